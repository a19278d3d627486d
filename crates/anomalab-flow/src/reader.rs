//! Capture readers: classic pcap (micro- and nanosecond, both byte orders), pcapng (several
//! sections and interfaces, per-interface link type, `if_tsresol` and `if_tsoffset`) and
//! gzip-compressed files of either, read incrementally from any [`Read`] through one
//! reusable buffer (never the whole file). The format is detected from the magic bytes.
//!
//! A damaged record header that makes framing impossible is a [`FlowError`]; a capture that
//! ends in the middle of a record, or a pcapng block for an unknown interface, is reported
//! as a counted skip ([`ReadEvent::Skipped`]).

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use crate::decode::SkipReason;
use crate::error::FlowError;

/// Largest record accepted when the file header does not announce a bigger snap length
/// (libpcap's `MAXIMUM_SNAPLEN`).
pub const DEFAULT_MAX_RECORD: usize = 262_144;
/// Hard ceiling on one record or block, whatever the header says (64 MiB).
pub const HARD_MAX_RECORD: usize = 64 << 20;

/// Capture container format, as detected from the magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap file.
    Pcap,
    /// pcapng.
    PcapNg,
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Capture timestamp in integer microseconds since the Unix epoch (sub-microsecond
    /// parts truncated, as libpcap does when it scales nanosecond files).
    pub ts_us: i64,
    /// Link type (LINKTYPE_* value) of the interface the packet was captured on.
    pub linktype: u32,
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// The captured bytes (`caplen` of them).
    pub data: &'a [u8],
}

/// What [`CaptureReader::next_event`] returns.
#[derive(Debug)]
pub enum ReadEvent<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// A record that was counted and skipped.
    Skipped(SkipReason),
    /// End of input.
    End,
}

/// Reads packets from a capture stream.
pub struct CaptureReader<'r> {
    inner: Box<dyn Read + 'r>,
    name: String,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed (decompressed stream offset of `pos`).
    offset: u64,
    index: u64,
    format: CaptureFormat,
    // pcap state
    big_endian: bool,
    nanos: bool,
    pcap_linktype: u32,
    max_record: usize,
    // pcapng state
    interfaces: Vec<Interface>,
    finished: bool,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Timestamp units per second as (is_power_of_two, exponent).
    resol: TsResol,
    offset_s: i64,
}

#[derive(Debug, Clone, Copy)]
enum TsResol {
    Pow10(u32),
    Pow2(u32),
}

/// Smallest read request. Every read asks for at least this much, so that a `BufReader`
/// of up to 1 MiB that a caller wraps around the input (as `anomalab extract` does) hands
/// the reads straight to the file instead of copying everything through its own buffer.
const READ_MIN: usize = 1 << 20;

fn read_full(r: &mut dyn Read, out: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "(empty input)".to_string();
    }
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'r> CaptureReader<'r> {
    /// Opens a capture: reads the first bytes, unwraps gzip if present, detects pcap or
    /// pcapng and parses the file header. `source_name` is used in error messages.
    pub fn new(reader: impl Read + 'r, source_name: &str) -> Result<Self, FlowError> {
        let io_err = |error| FlowError::Io {
            source_name: source_name.to_string(),
            error,
        };
        let mut reader: Box<dyn Read + 'r> = Box::new(reader);
        let mut head = [0u8; 4];
        let n = read_full(&mut reader, &mut head).map_err(io_err)?;
        if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
            let chained = io::Cursor::new(head[..n].to_vec()).chain(reader);
            reader = Box::new(MultiGzDecoder::new(chained));
            return Self::detect(reader, source_name, true);
        }
        let chained = io::Cursor::new(head[..n].to_vec()).chain(reader);
        Self::detect(Box::new(chained), source_name, false)
    }

    fn detect(reader: Box<dyn Read + 'r>, source_name: &str, gz: bool) -> Result<Self, FlowError> {
        let mut r = CaptureReader {
            inner: reader,
            name: source_name.to_string(),
            buf: vec![0; READ_MIN],
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
            index: 0,
            format: CaptureFormat::Pcap,
            big_endian: false,
            nanos: false,
            pcap_linktype: 1,
            max_record: DEFAULT_MAX_RECORD,
            interfaces: Vec::new(),
            finished: false,
        };
        r.fill(4)?;
        let avail = r.end - r.pos;
        if avail < 4 {
            let found = hex(&r.buf[r.pos..r.end]);
            return Err(if avail == 0 {
                FlowError::BadMagic {
                    source_name: r.name.clone(),
                    found,
                }
            } else {
                FlowError::TruncatedHeader {
                    source_name: r.name.clone(),
                    got: avail,
                    expected: 24,
                }
            });
        }
        let m = [
            r.buf[r.pos],
            r.buf[r.pos + 1],
            r.buf[r.pos + 2],
            r.buf[r.pos + 3],
        ];
        match m {
            [0xd4, 0xc3, 0xb2, 0xa1] => r.pcap_header(false, false)?,
            [0xa1, 0xb2, 0xc3, 0xd4] => r.pcap_header(true, false)?,
            [0x4d, 0x3c, 0xb2, 0xa1] => r.pcap_header(false, true)?,
            [0xa1, 0xb2, 0x3c, 0x4d] => r.pcap_header(true, true)?,
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                r.format = CaptureFormat::PcapNg;
                // The section header is parsed as the first block; check it is complete.
                r.fill(12)?;
                if r.end - r.pos < 12 {
                    return Err(FlowError::TruncatedHeader {
                        source_name: r.name.clone(),
                        got: r.end - r.pos,
                        expected: 28,
                    });
                }
                let bom = &r.buf[r.pos + 8..r.pos + 12];
                if bom != [0x1a, 0x2b, 0x3c, 0x4d] && bom != [0x4d, 0x3c, 0x2b, 0x1a] {
                    return Err(FlowError::CorruptHeader {
                        source_name: r.name.clone(),
                        message: format!(
                            "pcapng byte-order magic is {}, expected 1a2b3c4d in either order",
                            hex(bom)
                        ),
                    });
                }
            }
            _ => {
                let shown = if gz {
                    format!("{} (inside gzip)", hex(&m))
                } else {
                    hex(&m)
                };
                return Err(FlowError::BadMagic {
                    source_name: r.name.clone(),
                    found: shown,
                });
            }
        }
        Ok(r)
    }

    /// The detected container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    fn io(&self, error: io::Error) -> FlowError {
        FlowError::Io {
            source_name: self.name.clone(),
            error,
        }
    }

    /// Makes at least `need` bytes available at `pos` unless the input ends first.
    #[inline]
    fn fill(&mut self, need: usize) -> Result<(), FlowError> {
        if self.end - self.pos >= need || self.eof {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end < need {
            if self.buf.len() - self.end < READ_MIN {
                // Grow only as data arrives (by at most READ_MIN past it), so a bogus
                // record length in a short (or hostile) input does not allocate up to the
                // record limit up front.
                self.buf.resize(self.end + READ_MIN, 0);
            }
            let n = match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            self.end += n;
        }
        Ok(())
    }

    #[inline]
    fn u16_at(&self, at: usize) -> u16 {
        let b = [self.buf[at], self.buf[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    #[inline]
    fn u32_at(&self, at: usize) -> u32 {
        let b = [
            self.buf[at],
            self.buf[at + 1],
            self.buf[at + 2],
            self.buf[at + 3],
        ];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    fn pcap_header(&mut self, big: bool, nanos: bool) -> Result<(), FlowError> {
        self.fill(24)?;
        if self.end - self.pos < 24 {
            return Err(FlowError::TruncatedHeader {
                source_name: self.name.clone(),
                got: self.end - self.pos,
                expected: 24,
            });
        }
        self.big_endian = big;
        self.nanos = nanos;
        let p = self.pos;
        let major = self.u16_at(p + 4);
        if major != 2 {
            return Err(FlowError::CorruptHeader {
                source_name: self.name.clone(),
                message: format!("pcap major version {major}, expected 2"),
            });
        }
        let snaplen = self.u32_at(p + 16) as usize;
        // The link type is the low 16 bits; the upper bits may carry FCS information.
        self.pcap_linktype = self.u32_at(p + 20) & 0xffff;
        self.max_record = snaplen.clamp(DEFAULT_MAX_RECORD, HARD_MAX_RECORD);
        self.consume(24);
        Ok(())
    }

    /// Returns the next packet, a counted skip, or the end of input.
    pub fn next_event(&mut self) -> Result<ReadEvent<'_>, FlowError> {
        if self.finished {
            return Ok(ReadEvent::End);
        }
        match self.format {
            CaptureFormat::Pcap => self.next_pcap(),
            CaptureFormat::PcapNg => self.next_pcapng(),
        }
    }

    fn truncated_end(&mut self) -> ReadEvent<'static> {
        self.finished = true;
        self.pos = self.end;
        ReadEvent::Skipped(SkipReason::TruncatedRecord)
    }

    fn next_pcap(&mut self) -> Result<ReadEvent<'_>, FlowError> {
        self.fill(16)?;
        let avail = self.end - self.pos;
        if avail == 0 {
            self.finished = true;
            return Ok(ReadEvent::End);
        }
        if avail < 16 {
            return Ok(self.truncated_end());
        }
        let p = self.pos;
        let sec = self.u32_at(p) as i32 as i64;
        let frac = self.u32_at(p + 4) as i64;
        let caplen = self.u32_at(p + 8) as usize;
        let orig_len = self.u32_at(p + 12);
        if caplen > self.max_record {
            return Err(FlowError::CorruptRecord {
                source_name: self.name.clone(),
                index: self.index,
                offset: self.offset,
                message: format!(
                    "captured length {caplen} is larger than the maximum {} \
                     (snap length or 262144)",
                    self.max_record
                ),
            });
        }
        self.fill(16 + caplen)?;
        if self.end - self.pos < 16 + caplen {
            return Ok(self.truncated_end());
        }
        let ts_us = sec * 1_000_000 + if self.nanos { frac / 1000 } else { frac };
        self.consume(16 + caplen);
        self.index += 1;
        let start = self.pos - caplen;
        Ok(ReadEvent::Packet(Packet {
            ts_us,
            linktype: self.pcap_linktype,
            orig_len,
            data: &self.buf[start..self.pos],
        }))
    }

    fn next_pcapng(&mut self) -> Result<ReadEvent<'_>, FlowError> {
        loop {
            self.fill(12)?;
            let avail = self.end - self.pos;
            if avail == 0 {
                self.finished = true;
                return Ok(ReadEvent::End);
            }
            if avail < 12 {
                return Ok(self.truncated_end());
            }
            let p = self.pos;
            let raw_type = [
                self.buf[p],
                self.buf[p + 1],
                self.buf[p + 2],
                self.buf[p + 3],
            ];
            if raw_type == [0x0a, 0x0d, 0x0d, 0x0a] {
                let bom = [
                    self.buf[p + 8],
                    self.buf[p + 9],
                    self.buf[p + 10],
                    self.buf[p + 11],
                ];
                self.big_endian = match bom {
                    [0x1a, 0x2b, 0x3c, 0x4d] => true,
                    [0x4d, 0x3c, 0x2b, 0x1a] => false,
                    _ => {
                        return Err(self.corrupt(format!(
                            "section header byte-order magic is {}, expected 1a2b3c4d \
                             in either order",
                            hex(&bom)
                        )));
                    }
                };
                self.interfaces.clear();
            }
            let btype = self.u32_at(p);
            let blen = self.u32_at(p + 4) as usize;
            if blen < 12 || !blen.is_multiple_of(4) || blen > HARD_MAX_RECORD {
                return Err(self.corrupt(format!(
                    "block type {btype:#x} has total length {blen}, expected a multiple of 4 \
                     between 12 and {HARD_MAX_RECORD}"
                )));
            }
            self.fill(blen)?;
            if self.end - self.pos < blen {
                return Ok(self.truncated_end());
            }
            let body = p + 8..p + blen - 4;
            let index = self.index;
            self.index += 1;
            match btype {
                0x0A0D0D0A => {
                    self.consume(blen);
                }
                1 => {
                    let iface = self.parse_idb(body.clone());
                    match iface {
                        Some(i) => self.interfaces.push(i),
                        None => {
                            let _ = index;
                            return Err(self.corrupt(format!(
                                "interface description block of {blen} bytes is too short \
                                 (at least 20 expected)"
                            )));
                        }
                    }
                    self.consume(blen);
                }
                6 | 2 => {
                    // Enhanced packet block (6) or obsolete packet block (2).
                    if body.len() < 20 {
                        self.consume(blen);
                        return Ok(ReadEvent::Skipped(SkipReason::MalformedRecord));
                    }
                    let b = body.start;
                    let (iface_id, ts_hi, ts_lo) = if btype == 6 {
                        (
                            self.u32_at(b) as usize,
                            self.u32_at(b + 4),
                            self.u32_at(b + 8),
                        )
                    } else {
                        (
                            self.u16_at(b) as usize,
                            self.u32_at(b + 4),
                            self.u32_at(b + 8),
                        )
                    };
                    let caplen = self.u32_at(b + 12) as usize;
                    let orig_len = self.u32_at(b + 16);
                    let data_start = b + 20;
                    self.consume(blen);
                    if caplen > body.end - data_start {
                        return Ok(ReadEvent::Skipped(SkipReason::MalformedRecord));
                    }
                    let Some(iface) = self.interfaces.get(iface_id).copied() else {
                        return Ok(ReadEvent::Skipped(SkipReason::UnknownInterface));
                    };
                    let ts = ((ts_hi as u64) << 32) | ts_lo as u64;
                    let ts_us = ts_to_us(ts, iface.resol) + iface.offset_s * 1_000_000;
                    return Ok(ReadEvent::Packet(Packet {
                        ts_us,
                        linktype: iface.linktype,
                        orig_len,
                        data: &self.buf[data_start..data_start + caplen],
                    }));
                }
                3 => {
                    // Simple packet block: interface 0, no timestamp.
                    if body.len() < 4 {
                        self.consume(blen);
                        return Ok(ReadEvent::Skipped(SkipReason::MalformedRecord));
                    }
                    let b = body.start;
                    let orig_len = self.u32_at(b);
                    let caplen = (orig_len as usize).min(body.end - (b + 4));
                    self.consume(blen);
                    let Some(iface) = self.interfaces.first().copied() else {
                        return Ok(ReadEvent::Skipped(SkipReason::UnknownInterface));
                    };
                    return Ok(ReadEvent::Packet(Packet {
                        ts_us: 0,
                        linktype: iface.linktype,
                        orig_len,
                        data: &self.buf[b + 4..b + 4 + caplen],
                    }));
                }
                _ => {
                    self.consume(blen);
                }
            }
        }
    }

    fn corrupt(&self, message: String) -> FlowError {
        FlowError::CorruptRecord {
            source_name: self.name.clone(),
            index: self.index,
            offset: self.offset,
            message,
        }
    }

    fn parse_idb(&self, body: std::ops::Range<usize>) -> Option<Interface> {
        if body.len() < 8 {
            return None;
        }
        let b = body.start;
        let linktype = self.u16_at(b) as u32;
        let mut iface = Interface {
            linktype,
            resol: TsResol::Pow10(6),
            offset_s: 0,
        };
        let mut o = b + 8;
        while o + 4 <= body.end {
            let code = self.u16_at(o);
            let len = self.u16_at(o + 2) as usize;
            let v = o + 4;
            if code == 0 || v + len > body.end {
                break;
            }
            if code == 9 && len >= 1 {
                let r = self.buf[v];
                iface.resol = if r & 0x80 != 0 {
                    TsResol::Pow2((r & 0x7f) as u32)
                } else {
                    TsResol::Pow10(r as u32)
                };
            } else if code == 14 && len >= 8 {
                let lo = self.u32_at(v) as u64;
                let hi = self.u32_at(v + 4) as u64;
                let raw = if self.big_endian {
                    (lo << 32) | hi
                } else {
                    (hi << 32) | lo
                };
                iface.offset_s = raw as i64;
            }
            o = v + len.div_ceil(4) * 4;
        }
        Some(iface)
    }

    /// Bytes consumed so far from the (decompressed) stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// Converts a pcapng timestamp in interface units to microseconds, truncating.
fn ts_to_us(ts: u64, resol: TsResol) -> i64 {
    let v: u128 = match resol {
        TsResol::Pow10(6) => ts as u128,
        TsResol::Pow10(k) if k < 6 => (ts as u128) * 10u128.pow(6 - k),
        TsResol::Pow10(k) => {
            let k = k.min(38);
            (ts as u128) / 10u128.pow(k - 6)
        }
        TsResol::Pow2(k) => {
            let k = k.min(127);
            ((ts as u128) * 1_000_000) >> k
        }
    };
    v.min(i64::MAX as u128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_conversions_truncate() {
        // 1.5 s at nanosecond resolution -> 1_500_000 us.
        assert_eq!(ts_to_us(1_500_000_123, TsResol::Pow10(9)), 1_500_000);
        // milliseconds
        assert_eq!(ts_to_us(1_500, TsResol::Pow10(3)), 1_500_000);
        // 2^-10 s units: 1024 units = 1 s.
        assert_eq!(ts_to_us(1536, TsResol::Pow2(10)), 1_500_000);
    }

    /// A reader over bytes that records the length of every read request.
    struct Recorder<'a> {
        data: &'a [u8],
        requests: Vec<usize>,
    }

    impl Read for Recorder<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.requests.push(buf.len());
            // Short reads, as pipes and sockets give.
            let n = buf.len().min(self.data.len()).min(300_000);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_ask_for_at_least_read_min_after_the_magic() {
        // So that a caller's `BufReader` of up to READ_MIN bytes passes them through.
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&65_535u32.to_le_bytes());
        pcap.extend_from_slice(&1u32.to_le_bytes());
        let records = 4_000u32;
        for i in 0..records {
            let len = 600 + (i % 7) * 100;
            for v in [i, 0, len, len] {
                pcap.extend_from_slice(&v.to_le_bytes());
            }
            pcap.extend(std::iter::repeat_n(0u8, len as usize));
        }
        let mut rec = Recorder {
            data: &pcap,
            requests: Vec::new(),
        };
        let mut r = CaptureReader::new(&mut rec, "t").unwrap();
        let mut n = 0;
        while let ReadEvent::Packet(p) = r.next_event().unwrap() {
            assert_eq!(p.data.len(), 600 + (n % 7) * 100);
            n += 1;
        }
        assert_eq!(n, records as usize);
        drop(r);
        assert_eq!(rec.requests[0], 4);
        assert!(rec.requests.len() > 10);
        assert!(
            rec.requests[1..].iter().all(|&k| k >= READ_MIN),
            "{:?}",
            rec.requests
        );
    }
}
