//! NetFlow v5, v9 and IPFIX export packets inside a capture (what a collector's
//! `tcpdump -w` holds): every UDP datagram whose first two bytes are version 5, 9 or 10 is
//! an export packet; other packets are counted and skipped.
//!
//! - v9 and IPFIX templates are learned per exporter address, observation domain (v9
//!   source id) and template id; data sets whose template has not been seen yet (a capture
//!   that starts mid-stream) are counted and skipped. A template seen again replaces the
//!   old one; an IPFIX template withdrawal (field count 0) removes it.
//! - Options templates are learned only so that their data records can be stepped over;
//!   of options data, only `systemInitTimeMilliseconds` (IE 160) is read, which IPFIX
//!   exporters using uptime timestamps (IE 21/22, e.g. softflowd) need for absolute
//!   times. Sampling fields (v5 header, v9/IPFIX 34, 35, 48-50, 305, 306) are ignored:
//!   counts are as exported, not scaled by the sampling rate.
//! - Times: v5 and v9 uptime timestamps are converted with the packet header's uptime
//!   and export time; IPFIX takes absolute times (IE 150-157) or uptime with IE 160.
//!   Records with uptime times before any IE 160 was seen start at the packet's export
//!   time (counted in [`ExportSummary::approximate_times`]).
//! - Fragmented export datagrams (v9/IPFIX over a 1500-byte MTU) are not reassembled:
//!   they are counted and skipped.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::NetflowRecord;
use crate::decode::network_layer;
use crate::error::FlowError;
use crate::reader::{CaptureReader, ReadEvent};

/// What reading one export capture found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    /// Capture records read (packets and skipped records).
    pub packets_read: u64,
    /// Export packets (datagrams) per version: v5, v9, IPFIX.
    pub v5_packets: u64,
    pub v9_packets: u64,
    pub ipfix_packets: u64,
    /// Flow records decoded.
    pub records: u64,
    /// Packets that are not UDP over IP, or UDP without a NetFlow/IPFIX version.
    pub not_export: u64,
    /// Fragments and datagrams cut by the capture's snap length.
    pub fragmented_or_cut: u64,
    /// Data sets skipped because their template had not been seen.
    pub sets_without_template: u64,
    /// Data records without both addresses (skipped).
    pub records_without_addresses: u64,
    /// Records whose start time is the export time (uptime times, no IE 160 yet).
    pub approximate_times: u64,
}

/// Read the flow records of every NetFlow v5/v9/IPFIX export packet in a capture (pcap,
/// pcapng, gzip of either). A malformed export packet is an error naming the file, the
/// capture record number (1-based) and what was expected.
pub fn read_export_capture(
    reader: impl Read,
    name: &str,
) -> Result<(Vec<NetflowRecord>, ExportSummary), FlowError> {
    let mut cap = CaptureReader::new(reader, name)?;
    let mut state = Collector::default();
    let mut out = Vec::new();
    loop {
        let pkt = match cap.next_event()? {
            ReadEvent::End => break,
            ReadEvent::Skipped(_) => {
                state.summary.packets_read += 1;
                state.summary.not_export += 1;
                continue;
            }
            ReadEvent::Packet(p) => p,
        };
        state.summary.packets_read += 1;
        let Some((exporter, payload)) = udp_payload(pkt.linktype, pkt.data, &mut state.summary)
        else {
            continue;
        };
        let n = state.summary.packets_read;
        state
            .datagram(exporter, payload, &mut out)
            .map_err(|message| FlowError::NetflowExport {
                source_name: name.to_string(),
                packet: n,
                message,
            })?;
    }
    state.summary.records = out.len() as u64;
    Ok((out, state.summary))
}

/// The exporter address and UDP payload of a frame, or `None` (counted) when it has none.
fn udp_payload<'a>(
    linktype: u32,
    data: &'a [u8],
    s: &mut ExportSummary,
) -> Option<(IpAddr, &'a [u8])> {
    let Ok(ip) = network_layer(linktype, data) else {
        s.not_export += 1;
        return None;
    };
    let (src, proto, l4, fragment) = match ip.first().map(|b| b >> 4) {
        Some(4) if ip.len() >= 20 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(be16(ip, 2)).min(ip.len());
            let frag = be16(ip, 6) & 0x3fff != 0;
            let src = IpAddr::V4(Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]));
            (src, ip[9], ip.get(ihl..total.max(ihl))?, frag)
        }
        Some(6) if ip.len() >= 40 => {
            let total = (40 + usize::from(be16(ip, 4))).min(ip.len());
            let src: [u8; 16] = ip[8..24].try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(src)),
                ip[6],
                &ip[40..total],
                false,
            )
        }
        _ => {
            s.not_export += 1;
            return None;
        }
    };
    if proto != 17 {
        s.not_export += 1;
        return None;
    }
    let udp_len = if l4.len() >= 8 {
        usize::from(be16(l4, 4))
    } else {
        0
    };
    if fragment || udp_len < 8 || udp_len > l4.len() {
        s.fragmented_or_cut += 1;
        return None;
    }
    let payload = &l4[8..udp_len];
    if payload.len() < 2 || !matches!(be16(payload, 0), 5 | 9 | 10) {
        s.not_export += 1;
        return None;
    }
    Some((src, payload))
}

/// One field of a template: information element, enterprise number (0 for IANA), length
/// (65535: variable, IPFIX only).
#[derive(Debug, Clone, Copy)]
struct Field {
    ie: u16,
    pen: u32,
    len: u16,
}

/// A learned template: its fields and, for an options template, how many of them are
/// scope fields (v9 numbers scope fields in their own space, so they are never read).
#[derive(Debug, Clone)]
struct Template {
    fields: Vec<Field>,
    options: Option<usize>,
}

impl Template {
    /// The shortest record (variable-length fields at their 1-byte minimum): trailing
    /// bytes shorter than this are set padding.
    fn min_len(&self) -> usize {
        self.fields
            .iter()
            .map(|f| {
                if f.len == 65535 {
                    1
                } else {
                    usize::from(f.len)
                }
            })
            .sum()
    }
}

/// Where sets come from: templates are per exporter, version and observation domain
/// (v9 source id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Origin {
    exporter: IpAddr,
    version: u16,
    domain: u32,
}

/// An origin and a template id.
type TemplateKey = (Origin, u16);

/// The state of the collector: learned templates and system init times.
#[derive(Default)]
struct Collector {
    templates: HashMap<TemplateKey, Template>,
    init_ms: HashMap<Origin, i64>,
    summary: ExportSummary,
}

/// The export packet's time base: export time (Unix ms) and exporter uptime (ms; v5/v9).
#[derive(Clone, Copy)]
struct Clock {
    export_ms: i64,
    uptime_ms: Option<u32>,
    init_ms: Option<i64>,
}

impl Collector {
    fn datagram(
        &mut self,
        exporter: IpAddr,
        p: &[u8],
        out: &mut Vec<NetflowRecord>,
    ) -> Result<(), String> {
        match be16(p, 0) {
            5 => {
                self.summary.v5_packets += 1;
                v5(p, out)
            }
            9 => {
                self.summary.v9_packets += 1;
                self.v9(exporter, p, out)
            }
            _ => {
                self.summary.ipfix_packets += 1;
                self.ipfix(exporter, p, out)
            }
        }
    }

    fn v9(
        &mut self,
        exporter: IpAddr,
        p: &[u8],
        out: &mut Vec<NetflowRecord>,
    ) -> Result<(), String> {
        if p.len() < 20 {
            return Err(format!(
                "NetFlow v9 packet of {} bytes, expected at least the 20-byte header",
                p.len()
            ));
        }
        let clock = Clock {
            export_ms: i64::from(be32(p, 8)) * 1000,
            uptime_ms: Some(be32(p, 4)),
            init_ms: None,
        };
        let origin = Origin {
            exporter,
            version: 9,
            domain: be32(p, 16),
        };
        self.sets(origin, &p[20..], 20, clock, out)
    }

    fn ipfix(
        &mut self,
        exporter: IpAddr,
        p: &[u8],
        out: &mut Vec<NetflowRecord>,
    ) -> Result<(), String> {
        if p.len() < 16 {
            return Err(format!(
                "IPFIX message of {} bytes, expected at least the 16-byte header",
                p.len()
            ));
        }
        let len = usize::from(be16(p, 2));
        if len != p.len() {
            return Err(format!(
                "IPFIX message length field says {len} bytes, the datagram holds {}",
                p.len()
            ));
        }
        let origin = Origin {
            exporter,
            version: 10,
            domain: be32(p, 12),
        };
        let clock = Clock {
            export_ms: i64::from(be32(p, 4)) * 1000,
            uptime_ms: None,
            init_ms: self.init_ms.get(&origin).copied(),
        };
        self.sets(origin, &p[16..], 16, clock, out)
    }

    /// Walk the (flow)sets of a v9 packet or IPFIX message. `base` is the offset of
    /// `body` in the packet (for messages).
    fn sets(
        &mut self,
        origin: Origin,
        body: &[u8],
        base: usize,
        mut clock: Clock,
        out: &mut Vec<NetflowRecord>,
    ) -> Result<(), String> {
        let mut off = 0;
        // v9 packets may end with padding shorter than a set header.
        while off + 4 <= body.len() {
            let id = be16(body, off);
            let len = usize::from(be16(body, off + 2));
            if len < 4 || off + len > body.len() {
                return Err(format!(
                    "set {id} at byte {} has length {len}, expected 4..={} (the bytes left)",
                    base + off,
                    body.len() - off
                ));
            }
            let set = &body[off + 4..off + len];
            let at = base + off;
            match (origin.version, id) {
                (9, 0) | (10, 2) => self.templates(origin, set, false, at)?,
                (9, 1) | (10, 3) => self.templates(origin, set, true, at)?,
                (_, 256..) => {
                    if let Some(t) = self.templates.get(&(origin, id)) {
                        let t = t.clone();
                        let found = data_set(&t, set, clock, &mut self.summary, out)
                            .map_err(|e| format!("data set {id} at byte {at}: {e}"))?;
                        if let Some(init) = found {
                            self.init_ms.insert(origin, init);
                            clock.init_ms = Some(init);
                        }
                    } else {
                        self.summary.sets_without_template += 1;
                    }
                }
                _ => {
                    return Err(format!(
                        "set id {id} at byte {at}: expected 0/1 (v9 templates), 2/3 (IPFIX \
                         templates) or a data set id of 256 or more"
                    ));
                }
            }
            off += len;
        }
        Ok(())
    }

    /// Learn the templates of a (options) template set.
    fn templates(
        &mut self,
        origin: Origin,
        set: &[u8],
        options: bool,
        at: usize,
    ) -> Result<(), String> {
        let mut off = 0;
        let header = if options { 6 } else { 4 };
        while off + header <= set.len() {
            let id = be16(set, off);
            let (count, scope, next) = match (options, origin.version) {
                // v9: scope length and option length, in bytes, 4 bytes per field.
                (true, 9) => {
                    let scope = usize::from(be16(set, off + 2)) / 4;
                    (scope + usize::from(be16(set, off + 4)) / 4, scope, off + 6)
                }
                (true, _) => (
                    usize::from(be16(set, off + 2)),
                    usize::from(be16(set, off + 4)),
                    off + 6,
                ),
                (false, _) => (usize::from(be16(set, off + 2)), 0, off + 4),
            };
            if id < 256 {
                return Err(format!(
                    "template set at byte {at}: template id {id}, expected 256 or more"
                ));
            }
            let (fields, end) = template_fields(set, next, count, origin.version)
                .ok_or_else(|| format!("template {id} at byte {at}: cut short ({count} fields)"))?;
            let key = (origin, id);
            if count == 0 {
                self.templates.remove(&key);
            } else {
                let options = options.then_some(scope);
                self.templates.insert(key, Template { fields, options });
            }
            off = end;
        }
        Ok(())
    }
}

/// `count` field specifiers from `off`; IPFIX enterprise fields carry a 4-byte number.
fn template_fields(
    set: &[u8],
    mut off: usize,
    count: usize,
    version: u16,
) -> Option<(Vec<Field>, usize)> {
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let ie = be16(set.get(off..off + 4)?, 0);
        let len = be16(set, off + 2);
        off += 4;
        let (ie, pen) = if version == 10 && ie & 0x8000 != 0 {
            let pen = be32(set.get(off..off + 4)?, 0);
            off += 4;
            (ie & 0x7fff, pen)
        } else {
            (ie, 0)
        };
        fields.push(Field { ie, pen, len });
    }
    Some((fields, off))
}

/// The records of a data set. Returns the system init time when a record carried one.
fn data_set(
    t: &Template,
    set: &[u8],
    clock: Clock,
    s: &mut ExportSummary,
    out: &mut Vec<NetflowRecord>,
) -> Result<Option<i64>, String> {
    let min = t.min_len().max(1);
    let mut off = 0;
    let mut init = None;
    while set.len() - off >= min {
        let mut b = Builder::default();
        for (i, f) in t.fields.iter().enumerate() {
            let len = match f.len {
                65535 => {
                    let l = *set
                        .get(off)
                        .ok_or("record cut in a variable-length field")?;
                    off += 1;
                    if l == 255 {
                        let l = be16(set.get(off..off + 2).ok_or("record cut")?, 0);
                        off += 2;
                        usize::from(l)
                    } else {
                        usize::from(l)
                    }
                }
                l => usize::from(l),
            };
            let v = set
                .get(off..off + len)
                .ok_or_else(|| format!("record cut at byte {off} of the set (field {})", f.ie))?;
            match t.options {
                // Options data: only the system init time is read, never a flow.
                Some(scope) if i >= scope && (f.pen, f.ie) == (0, 160) => {
                    init = Some(uint(v) as i64);
                }
                Some(_) => {}
                None => b.field(f, v),
            }
            off += len;
        }
        if t.options.is_some() {
            continue;
        }
        if let Some(i) = b.init_ms {
            init = Some(i);
        }
        let clock = Clock {
            init_ms: init.or(clock.init_ms),
            ..clock
        };
        match b.finish(clock, s) {
            Some(r) => out.push(r),
            None if b.is_flow() => s.records_without_addresses += 1,
            None => {}
        }
    }
    Ok(init)
}

/// A flow record's fields as they are read.
#[derive(Default)]
struct Builder {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    sport: u16,
    dport: u16,
    icmp: Option<u16>,
    proto: u8,
    flags: u8,
    tos: u8,
    packets: u64,
    bytes: u64,
    out_packets: u64,
    out_bytes: u64,
    first_up: Option<u32>,
    last_up: Option<u32>,
    first_abs: Option<i64>,
    last_abs: Option<i64>,
    init_ms: Option<i64>,
    counted: bool,
}

impl Builder {
    fn field(&mut self, f: &Field, v: &[u8]) {
        let n = uint(v);
        match (f.pen, f.ie) {
            (0, 1 | 85) => (self.bytes, self.counted) = (n, true),
            (0, 2 | 86) => (self.packets, self.counted) = (n, true),
            (0, 23) | (29305, 1 | 85) => self.out_bytes = n,
            (0, 24) | (29305, 2 | 86) => self.out_packets = n,
            (0, 4) => self.proto = n as u8,
            (0, 5) => self.tos = n as u8,
            (0, 6) => self.flags = n as u8,
            (0, 7) => self.sport = n as u16,
            (0, 11) => self.dport = n as u16,
            (0, 32 | 139) => self.icmp = Some(n as u16),
            (0, 8 | 12 | 27 | 28) => {
                let a = addr(v);
                if matches!(f.ie, 8 | 27) {
                    self.src = a.or(self.src);
                } else {
                    self.dst = a.or(self.dst);
                }
            }
            (0, 22) => self.first_up = Some(n as u32),
            (0, 21) => self.last_up = Some(n as u32),
            (0, 150) => self.first_abs = Some(n as i64 * 1000),
            (0, 151) => self.last_abs = Some(n as i64 * 1000),
            (0, 152) => self.first_abs = Some(n as i64),
            (0, 153) => self.last_abs = Some(n as i64),
            (0, 154 | 156) => self.first_abs = Some(ntp_ms(n)),
            (0, 155 | 157) => self.last_abs = Some(ntp_ms(n)),
            (0, 160) => self.init_ms = Some(n as i64),
            _ => {}
        }
    }

    /// Whether the record describes traffic (an options record does not).
    fn is_flow(&self) -> bool {
        self.counted
    }

    fn finish(&self, clock: Clock, s: &mut ExportSummary) -> Option<NetflowRecord> {
        let (src_ip, dst_ip) = (self.src?, self.dst?);
        let (start_ms, end_ms) = self.times(clock, s);
        let dst_port = match self.icmp {
            Some(tc) if self.dport == 0 => tc,
            _ => self.dport,
        };
        Some(NetflowRecord {
            start_ms,
            duration_ms: (end_ms - start_ms).max(0),
            src_ip,
            dst_ip,
            src_port: self.sport,
            dst_port,
            protocol: self.proto,
            tcp_flags: self.flags,
            tos: self.tos,
            packets: self.packets,
            bytes: self.bytes,
            out_packets: self.out_packets,
            out_bytes: self.out_bytes,
        })
    }

    /// Start and end, Unix ms.
    fn times(&self, clock: Clock, s: &mut ExportSummary) -> (i64, i64) {
        if let Some(first) = self.first_abs {
            return (first, self.last_abs.unwrap_or(first));
        }
        let Some(first) = self.first_up else {
            return (clock.export_ms, clock.export_ms);
        };
        let last = self.last_up.unwrap_or(first);
        let dur = i64::from(last.wrapping_sub(first));
        let start = match (clock.uptime_ms, clock.init_ms) {
            // As nfdump computes it: no wrap-around of the 32-bit uptime.
            (Some(up), _) => clock.export_ms - i64::from(up) + i64::from(first),
            (None, Some(init)) => init + i64::from(first),
            (None, None) => {
                s.approximate_times += 1;
                clock.export_ms
            }
        };
        (start, start + dur)
    }
}

/// A NetFlow v5 packet: 24-byte header, `count` 48-byte records.
fn v5(p: &[u8], out: &mut Vec<NetflowRecord>) -> Result<(), String> {
    if p.len() < 24 {
        return Err(format!(
            "NetFlow v5 packet of {} bytes, expected at least the 24-byte header",
            p.len()
        ));
    }
    let count = usize::from(be16(p, 2));
    if p.len() != 24 + 48 * count {
        return Err(format!(
            "NetFlow v5 header announces {count} records ({} bytes), the datagram holds {} bytes",
            24 + 48 * count,
            p.len()
        ));
    }
    let uptime = be32(p, 4);
    let export_ms = i64::from(be32(p, 8)) * 1000 + i64::from(be32(p, 12)) / 1_000_000;
    for r in p[24..].chunks_exact(48) {
        let (first, last) = (be32(r, 24), be32(r, 28));
        // As nfdump computes it for v5: modulo the 32-bit uptime (unlike its v9 reader).
        let start_ms = export_ms - i64::from(uptime.wrapping_sub(first));
        out.push(NetflowRecord {
            start_ms,
            duration_ms: i64::from(last.wrapping_sub(first)),
            src_ip: IpAddr::V4(Ipv4Addr::new(r[0], r[1], r[2], r[3])),
            dst_ip: IpAddr::V4(Ipv4Addr::new(r[4], r[5], r[6], r[7])),
            src_port: be16(r, 32),
            dst_port: be16(r, 34),
            protocol: r[38],
            tcp_flags: r[37],
            tos: r[39],
            packets: u64::from(be32(r, 16)),
            bytes: u64::from(be32(r, 20)),
            out_packets: 0,
            out_bytes: 0,
        });
    }
    Ok(())
}

/// An unsigned big-endian integer of 1 to 8 bytes (reduced-size encoding); longer values
/// keep their last 8 bytes.
fn uint(v: &[u8]) -> u64 {
    let v = &v[v.len().saturating_sub(8)..];
    v.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fn addr(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?))),
        _ => None,
    }
}

/// Unix milliseconds of a 64-bit NTP timestamp (IPFIX dateTimeMicro/Nanoseconds).
fn ntp_ms(n: u64) -> i64 {
    let secs = (n >> 32) as i64 - 2_208_988_800;
    let frac = ((n & 0xffff_ffff) * 1000) >> 32;
    secs * 1000 + frac as i64
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPFIX message of domain 1 with `sets`.
    fn message(sets: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, b) in sets {
            body.extend(id.to_be_bytes());
            body.extend(((4 + b.len()) as u16).to_be_bytes());
            body.extend(b);
        }
        let mut m = vec![0, 10];
        m.extend(((16 + body.len()) as u16).to_be_bytes());
        m.extend([0x59, 0x5f, 0x8a, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]);
        m.extend(body);
        m
    }

    #[test]
    fn ipfix_ipv6_absolute_times_variable_length_and_reverse_counters() {
        // Template 400: sourceIPv6Address, destinationIPv6Address, ports, protocol,
        // interfaceName (variable length), reverse octetDeltaCount (PEN 29305), packets,
        // octets, flowStart/EndMilliseconds.
        let mut t = vec![0x01, 0x90, 0, 11];
        for (ie, len) in [
            (27u16, 16u16),
            (28, 16),
            (7, 2),
            (11, 2),
            (4, 1),
            (82, 65535),
        ] {
            t.extend(ie.to_be_bytes());
            t.extend(len.to_be_bytes());
        }
        t.extend([0x80, 0x01, 0, 8, 0, 0, 0x72, 0x79]); // enterprise bit, IE 1, PEN 29305
        for (ie, len) in [(2u16, 4u16), (1, 4), (152, 8), (153, 8)] {
            t.extend(ie.to_be_bytes());
            t.extend(len.to_be_bytes());
        }
        let src: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst: std::net::Ipv6Addr = "2001:db8::2".parse().unwrap();
        let mut d = src.octets().to_vec();
        d.extend(dst.octets());
        d.extend([0x9c, 0x40, 0, 53, 17, 4, b'e', b't', b'h', b'0']);
        d.extend(300u64.to_be_bytes());
        d.extend(3u32.to_be_bytes());
        d.extend(200u32.to_be_bytes());
        d.extend(1_499_433_600_000u64.to_be_bytes());
        d.extend(1_499_433_601_500u64.to_be_bytes());
        let m = message(&[(2, t), (400, d)]);
        let mut c = Collector::default();
        let mut out = Vec::new();
        c.datagram("192.0.2.1".parse().unwrap(), &m, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        let r = out[0];
        assert_eq!((r.src_ip, r.dst_ip), (IpAddr::V6(src), IpAddr::V6(dst)));
        assert_eq!((r.src_port, r.dst_port, r.protocol), (40000, 53, 17));
        assert_eq!((r.packets, r.bytes, r.out_bytes), (3, 200, 300));
        assert_eq!((r.start_ms, r.duration_ms), (1_499_433_600_000, 1500));
        // A data set of an unknown template is counted, the length field is checked.
        let mut c = Collector::default();
        c.datagram(
            "192.0.2.1".parse().unwrap(),
            &message(&[(401, vec![0; 8])]),
            &mut out,
        )
        .unwrap();
        assert_eq!(c.summary.sets_without_template, 1);
        let mut short = m.clone();
        short.pop();
        let e = c
            .datagram("192.0.2.1".parse().unwrap(), &short, &mut out)
            .unwrap_err();
        assert!(e.starts_with("IPFIX message length field says"), "{e}");
    }

    #[test]
    fn reduced_size_integers_and_ntp() {
        assert_eq!(uint(&[0x01, 0x02]), 0x0102);
        assert_eq!(uint(&[0xff]), 255);
        // 2017-07-07 13:20:00 UTC = 1499433600 s; NTP era 0 adds 2208988800 s.
        assert_eq!(
            ntp_ms((1_499_433_600 + 2_208_988_800) << 32 | 0x8000_0000),
            1_499_433_600_500
        );
    }
}
