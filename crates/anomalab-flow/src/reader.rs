//! Capture readers: classic pcap (micro- and nanosecond, both byte orders), pcapng (several
//! sections and interfaces, per-interface link type, `if_tsresol` and `if_tsoffset`) and
//! gzip-compressed files of either, read incrementally from any [`Read`] through one
//! reusable buffer (never the whole file). The format is detected from the magic bytes.
//!
//! A damaged record header that makes framing impossible is a [`FlowError`]; a capture that
//! ends in the middle of a record, or a pcapng block for an unknown interface, is reported
//! as a counted skip ([`ReadEvent::Skipped`]).
//!
//! Resynchronising mode ([`CaptureReader::set_resync`], for live streams that must not stop
//! on damage) skips damaged data instead. Where a record is judged damaged, the reader scans
//! forward byte by byte to the next offset where a record plausibly starts, reports the run
//! once as [`SkipReason::MalformedRecord`] and counts its bytes
//! ([`CaptureReader::bytes_skipped`]); valid captures read exactly as in the default mode.
//!
//! - A pcap record header is *sane* when its captured length is within the record limit and
//!   the wire length, its wire length is 1 byte to [`HARD_MAX_RECORD`] and its sub-second
//!   part is at most one second. An insane header is damage. So is a sane one stamped more
//!   than a day from the previous record if the records after it do not follow it, or one
//!   followed by an insane header when a plausible record starts inside its extent.
//! - A plausible pcap record start has a sane header of at least one captured byte, and is
//!   stamped within a day of the previous record or followed by two sane headers, each
//!   stamped within a day of the one before (or by the end of input).
//! - A pcapng block is damage when its length is impossible, its trailing length copy
//!   differs, or its type is unknown and a plausible block starts inside it. A plausible
//!   block start is a known block type of a valid length whose trailing copy matches.
//!
//! The scan drops the bytes it has passed before reading more, so it holds at most a few
//! candidate records in memory, and it looks at each byte a bounded number of times.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use crate::decode::SkipReason;
use crate::error::FlowError;

/// Largest record accepted when the file header does not announce a bigger snap length
/// (libpcap's `MAXIMUM_SNAPLEN`).
pub const DEFAULT_MAX_RECORD: usize = 262_144;
/// Hard ceiling on one record or block, whatever the header says (64 MiB).
pub const HARD_MAX_RECORD: usize = 64 << 20;

/// Resync mode: pcap timestamps (seconds) within this of each other are "close" (a day, as
/// the pcapfix repair tool uses). Closeness only ever confirms a record; a larger gap in a
/// valid capture reads unchanged as long as the records after it follow it.
const RESYNC_MAX_TS_JUMP_S: i64 = 86_400;
/// Resync mode: number of sane headers that must follow a pcap record found by a scan
/// whose timestamp is not close to the previous record's (unless the input ends first).
const RESYNC_CHAIN: usize = 2;
/// Resync mode: largest pcapng block accepted as the restart point of a scan (a packet of
/// libpcap's maximum snap length plus 64 KiB of options). Confirming a candidate means
/// buffering all of it, so this bounds the memory and the re-reading one false candidate
/// costs; a real block beyond it that follows damage is skipped with the damage.
const RESYNC_MAX_BLOCK: usize = DEFAULT_MAX_RECORD + 65_536;
/// pcapng block types a resync scan restarts at: section header, interface description,
/// packet, simple packet, name resolution, interface statistics, enhanced packet, systemd
/// journal export, decryption secrets, and the two custom block types.
const KNOWN_BLOCKS: [u32; 11] = [0x0A0D_0D0A, 1, 2, 3, 4, 5, 6, 9, 0x0A, 0x0BAD, 0x4000_0BAD];
/// The section header block type, the same bytes in either byte order.
const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

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
    // pcapng state: the section's interfaces by number; `None` for a description too
    // short to use (resync mode), which keeps the later interfaces' numbers right.
    interfaces: Vec<Option<Interface>>,
    finished: bool,
    // resync mode
    resync: bool,
    bytes_skipped: u64,
    /// Seconds field of the last pcap record returned.
    last_sec: Option<i64>,
}

/// A pcap record header.
#[derive(Debug, Clone, Copy)]
struct PcapHdr {
    sec: i64,
    frac: u32,
    caplen: usize,
    orig_len: u32,
}

/// Whether a record can start at an offset, as a resync scan judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// No record starts here.
    No,
    /// A plausible record starts here and what follows it confirms it.
    Confirmed,
    /// A plausible header whose confirmation needs this many bytes from its start.
    Unconfirmed(usize),
    /// Fewer bytes than a header needs are buffered; this many are needed.
    Short(usize),
}

/// Outcome of framing one pcapng block.
enum Framed {
    /// The whole block, of this total length, is buffered at `pos`.
    Block(usize),
    /// No block: the end of input, a truncation, or (resync mode) a skipped damaged run.
    Done(ReadEvent<'static>),
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
            resync: false,
            bytes_skipped: 0,
            last_sec: None,
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
        self.u32_in(at, self.big_endian)
    }

    /// The u32 at `at` in the given byte order (a pcapng section header carries its own).
    #[inline]
    fn u32_in(&self, at: usize, big: bool) -> u32 {
        let b = [
            self.buf[at],
            self.buf[at + 1],
            self.buf[at + 2],
            self.buf[at + 3],
        ];
        if big {
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

    /// Turns resynchronising mode on or off (default off: a record that cannot be framed
    /// is a [`FlowError::CorruptRecord`]). On, damaged data is skipped up to the next
    /// plausible record (see the module documentation), reported once per damaged run as
    /// [`SkipReason::MalformedRecord`] and counted in [`CaptureReader::bytes_skipped`]; a
    /// valid capture reads exactly as in the default mode.
    pub fn set_resync(&mut self, on: bool) {
        self.resync = on;
    }

    /// Bytes skipped so far by resynchronisation (the damaged runs; records that frame but
    /// are malformed inside are skipped as records and not counted here).
    pub fn bytes_skipped(&self) -> u64 {
        self.bytes_skipped
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

    /// The record at `pos` runs past the end of input: a truncation, unless (resync mode)
    /// a confirmed record starts inside it, which shows that a damaged header claimed more
    /// than the input holds.
    fn cut_short(&mut self) -> Result<ReadEvent<'static>, FlowError> {
        if self.resync
            && let Some(o) = (self.pos + 1..self.end).find(|&o| self.probe(o) == Probe::Confirmed)
        {
            return self.resync_from(o);
        }
        Ok(self.truncated_end())
    }

    #[inline]
    fn pcap_hdr(&self, at: usize) -> PcapHdr {
        PcapHdr {
            sec: self.u32_at(at) as i32 as i64,
            frac: self.u32_at(at + 4),
            caplen: self.u32_at(at + 8) as usize,
            orig_len: self.u32_at(at + 12),
        }
    }

    /// Whether a pcap record header is one a capture tool writes: the captured length
    /// within the record limit and the wire length, a wire length of 1 byte to
    /// [`HARD_MAX_RECORD`], and a sub-second part below one second. Exactly one second is
    /// let through because some writers round the fraction up to it.
    #[inline]
    fn pcap_sane(&self, h: &PcapHdr) -> bool {
        let units = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let orig = h.orig_len as usize;
        h.caplen <= self.max_record
            && h.caplen <= orig
            && (1..=HARD_MAX_RECORD).contains(&orig)
            && h.frac <= units
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
        let h = self.pcap_hdr(self.pos);
        if self.resync && !self.pcap_sane(&h) {
            return self.resync_from(self.pos + 1);
        }
        if h.caplen > self.max_record {
            return Err(self.corrupt(format!(
                "captured length {} is larger than the maximum {} (snap length or 262144)",
                h.caplen, self.max_record
            )));
        }
        self.fill(16 + h.caplen)?;
        if self.end - self.pos < 16 + h.caplen {
            return self.cut_short();
        }
        if self.resync
            && let Some(from) = self.pcap_misframed(&h)
        {
            return self.resync_from(from);
        }
        let frac = h.frac as i64;
        let ts_us = h.sec * 1_000_000 + if self.nanos { frac / 1000 } else { frac };
        self.last_sec = Some(h.sec);
        self.consume(16 + h.caplen);
        self.index += 1;
        let start = self.pos - h.caplen;
        Ok(ReadEvent::Packet(Packet {
            ts_us,
            linktype: self.pcap_linktype,
            orig_len: h.orig_len,
            data: &self.buf[start..self.pos],
        }))
    }

    /// Resync mode, for the sane record `h` buffered at `pos`: whether it is damage that
    /// looks like a header, and where to scan from then. Only what is buffered is judged,
    /// so that a live stream's packet is never held back for the next one.
    ///
    /// A record stamped more than a day from the previous one is a clock step or damage
    /// (often a header read a byte off): it is damage if the records after it
    /// ([`CaptureReader::pcap_chain`]) do not follow it. Otherwise, if the header after it
    /// is not sane, either damage follows a good record (returned; the next call
    /// resynchronises) or this header is damage: then a record stamped within a day of the
    /// previous one starts inside its extent, either confirmed by the records after it or
    /// ending where the buffered data ends (the end of input may not be seen yet).
    fn pcap_misframed(&self, h: &PcapHdr) -> Option<usize> {
        let p = self.pos;
        if !self.near_last_sec(h.sec) {
            return (self.pcap_chain(p, *h) == Probe::No).then_some(p + 1);
        }
        let next = p + 16 + h.caplen;
        if self.end - next < 16 || self.pcap_sane(&self.pcap_hdr(next)) {
            return None;
        }
        (p + 1..next).find(|&o| {
            let found = match self.pcap_probe(o) {
                Probe::Confirmed => true,
                Probe::Unconfirmed(n) => o + n - 16 == self.end,
                _ => false,
            };
            found && self.near_last_sec(self.pcap_hdr(o).sec)
        })
    }

    /// Whether `sec` is within a day of the last record's seconds (true before the first).
    fn near_last_sec(&self, sec: i64) -> bool {
        self.last_sec.is_none_or(|last| near(sec, last))
    }

    /// Whether a pcap record can start at `o`: a sane header of at least one captured byte
    /// (a zero-filled run would otherwise chain as empty records), confirmed by a timestamp
    /// within a day of the previous record's (if there was one), or else by the records
    /// after it ([`CaptureReader::pcap_chain`]). The previous record's timestamp keeps a
    /// record between two damaged runs; the chain confirms one after a long quiet spell or
    /// a clock step.
    fn pcap_probe(&self, o: usize) -> Probe {
        if self.end - o < 16 {
            return Probe::Short(16);
        }
        let h = self.pcap_hdr(o);
        if h.caplen == 0 || !self.pcap_sane(&h) {
            return Probe::No;
        }
        if self.last_sec.is_some() && self.near_last_sec(h.sec) {
            return Probe::Confirmed;
        }
        self.pcap_chain(o, h)
    }

    /// Whether the [`RESYNC_CHAIN`] headers after the record `h` at `o` are sane and each
    /// stamped within a day of the record before it; the end of input may end the chain.
    /// One sane successor is not enough: a header read a byte off (often sane, as small
    /// sub-second parts and lengths shift into small values) claims a length 256 times the
    /// real one, and in a capture of regular records that often lands on another header
    /// read a byte off, stamped alike.
    fn pcap_chain(&self, o: usize, mut h: PcapHdr) -> Probe {
        let mut at = o;
        for _ in 0..RESYNC_CHAIN {
            let next = at + 16 + h.caplen;
            if self.eof && next == self.end {
                return Probe::Confirmed;
            }
            if self.end < next + 16 {
                return Probe::Unconfirmed(next + 16 - o);
            }
            let after = self.pcap_hdr(next);
            if !self.pcap_sane(&after) || !near(after.sec, h.sec) {
                return Probe::No;
            }
            (at, h) = (next, after);
        }
        Probe::Confirmed
    }

    /// Whether a pcapng block can start at `o`: a known type, a length that is a multiple
    /// of 4 from 12 to [`RESYNC_MAX_BLOCK`], and the same length in the block's last word.
    /// A section header is read in the byte order its byte-order magic gives.
    fn pcapng_probe(&self, o: usize) -> Probe {
        if self.end - o < 12 {
            return Probe::Short(12);
        }
        let big = if self.buf[o..o + 4] == SHB_MAGIC {
            match self.bom_big(o + 8) {
                Some(big) => big,
                None => return Probe::No,
            }
        } else {
            self.big_endian
        };
        let blen = self.u32_in(o + 4, big) as usize;
        if !KNOWN_BLOCKS.contains(&self.u32_in(o, big)) || !block_len_ok(blen, RESYNC_MAX_BLOCK) {
            return Probe::No;
        }
        if self.end - o < blen {
            return Probe::Unconfirmed(blen);
        }
        if self.u32_in(o + blen - 4, big) as usize == blen {
            Probe::Confirmed
        } else {
            Probe::No
        }
    }

    /// Resync mode: skips from `pos` to the first offset at or after `from` where a record
    /// can start (or to the end of input), counting the bytes, and returns the one skip
    /// event of the run. Bytes before a candidate are dropped before more are read, so the
    /// buffer holds at most one candidate record plus a read; a candidate whose
    /// confirmation is not buffered yet waits for it (in a live stream, until the next
    /// packet). At the end of input a candidate that runs past it is taken only if no
    /// confirmed one starts inside it (it then ends as a truncated record).
    fn resync_from(&mut self, from: usize) -> Result<ReadEvent<'static>, FlowError> {
        let mut o = from;
        let mut cut_short = None;
        loop {
            let need = match self.probe(o) {
                Probe::Confirmed => break,
                Probe::No => {
                    o += 1;
                    continue;
                }
                Probe::Unconfirmed(_) if self.eof => {
                    cut_short.get_or_insert(o);
                    o += 1;
                    continue;
                }
                Probe::Short(_) if self.eof => {
                    o = cut_short.unwrap_or(self.end);
                    break;
                }
                Probe::Unconfirmed(n) | Probe::Short(n) => n,
            };
            self.skip_to(o);
            self.fill(need)?;
            o = self.pos;
        }
        self.skip_to(o);
        Ok(ReadEvent::Skipped(SkipReason::MalformedRecord))
    }

    fn probe(&self, o: usize) -> Probe {
        match self.format {
            CaptureFormat::Pcap => self.pcap_probe(o),
            CaptureFormat::PcapNg => self.pcapng_probe(o),
        }
    }

    fn skip_to(&mut self, o: usize) {
        let n = o - self.pos;
        self.bytes_skipped += n as u64;
        self.consume(n);
    }

    /// The byte order a pcapng byte-order magic at `at` gives (true: big endian).
    fn bom_big(&self, at: usize) -> Option<bool> {
        match self.buf[at..at + 4] {
            [0x1a, 0x2b, 0x3c, 0x4d] => Some(true),
            [0x4d, 0x3c, 0x2b, 0x1a] => Some(false),
            _ => None,
        }
    }

    fn next_pcapng(&mut self) -> Result<ReadEvent<'_>, FlowError> {
        loop {
            let blen = match self.pcapng_frame()? {
                Framed::Block(blen) => blen,
                Framed::Done(ev) => return Ok(ev),
            };
            let btype = self.u32_at(self.pos);
            self.index += 1;
            match btype {
                1 => {
                    if let Some(ev) = self.interface_block(blen)? {
                        return Ok(ev);
                    }
                }
                // Enhanced packet block (6) or obsolete packet block (2).
                6 | 2 => return Ok(self.packet_block(btype, blen)),
                3 => return Ok(self.simple_packet_block(blen)),
                // Section headers took effect when framed; other blocks carry no packets.
                _ => self.consume(blen),
            }
        }
    }

    /// Frames the block at `pos`: checks its header and buffers all of it. A section header
    /// sets the byte order and starts a new interface list only once framed, so that in
    /// resync mode a damaged one changes nothing.
    fn pcapng_frame(&mut self) -> Result<Framed, FlowError> {
        self.fill(12)?;
        let avail = self.end - self.pos;
        if avail == 0 {
            self.finished = true;
            return Ok(Framed::Done(ReadEvent::End));
        }
        if avail < 12 {
            return Ok(Framed::Done(self.truncated_end()));
        }
        let p = self.pos;
        let shb = self.buf[p..p + 4] == SHB_MAGIC;
        let big = match (shb, self.bom_big(p + 8)) {
            (false, _) => self.big_endian,
            (true, Some(big)) => big,
            (true, None) => {
                let bom = hex(&self.buf[p + 8..p + 12]);
                return self.damaged(format!(
                    "section header byte-order magic is {bom}, expected 1a2b3c4d in either order"
                ));
            }
        };
        let btype = self.u32_in(p, big);
        let blen = self.u32_in(p + 4, big) as usize;
        if !block_len_ok(blen, HARD_MAX_RECORD) {
            return self.damaged(format!(
                "block type {btype:#x} has total length {blen}, expected a multiple of 4 \
                 between 12 and {HARD_MAX_RECORD}"
            ));
        }
        self.fill(blen)?;
        if self.end - self.pos < blen {
            return self.cut_short().map(Framed::Done);
        }
        if self.resync
            && let Some(from) = self.pcapng_misframed(btype, blen, big)
        {
            return self.resync_from(from).map(Framed::Done);
        }
        if shb {
            self.big_endian = big;
            self.interfaces.clear();
        }
        Ok(Framed::Block(blen))
    }

    /// Resync mode, for the block of `blen` bytes buffered at `pos`: whether it is damage,
    /// and where to scan from then. Its trailing length copy must match (strict reading
    /// does not check it, to stay as it was). A block of a type this reader does not know
    /// is damage, too, when a known block starts inside it: a header read a byte or more
    /// off, in a capture whose blocks all have one length, gives a block of an unknown type
    /// whose length and trailing copy are those of the real blocks shifted alike.
    fn pcapng_misframed(&self, btype: u32, blen: usize, big: bool) -> Option<usize> {
        let p = self.pos;
        if self.u32_in(p + blen - 4, big) as usize != blen {
            return Some(p + 1);
        }
        if KNOWN_BLOCKS.contains(&btype) {
            return None;
        }
        (p + 1..p + blen).find(|&o| self.pcapng_probe(o) == Probe::Confirmed)
    }

    /// A block header that makes framing impossible: an error, or in resync mode the skip
    /// of the damaged run it starts.
    fn damaged(&mut self, message: String) -> Result<Framed, FlowError> {
        if self.resync {
            return self.resync_from(self.pos + 1).map(Framed::Done);
        }
        Err(self.corrupt(message))
    }

    /// Interface description block, buffered at `pos`. One too short to use is an error,
    /// or in resync mode a counted skip that still takes its interface number (so that the
    /// numbers of the interfaces after it stay right; its packets count as undescribed).
    fn interface_block(&mut self, blen: usize) -> Result<Option<ReadEvent<'static>>, FlowError> {
        let iface = self.parse_idb(self.pos + 8..self.pos + blen - 4);
        if iface.is_none() && !self.resync {
            return Err(self.corrupt(format!(
                "interface description block of {blen} bytes is too short (at least 20 expected)"
            )));
        }
        self.interfaces.push(iface);
        self.consume(blen);
        Ok(iface
            .is_none()
            .then_some(ReadEvent::Skipped(SkipReason::MalformedRecord)))
    }

    /// Enhanced (6) or obsolete (2) packet block, buffered at `pos`.
    fn packet_block(&mut self, btype: u32, blen: usize) -> ReadEvent<'_> {
        let body = self.pos + 8..self.pos + blen - 4;
        if body.len() < 20 {
            self.consume(blen);
            return ReadEvent::Skipped(SkipReason::MalformedRecord);
        }
        let b = body.start;
        let iface_id = if btype == 6 {
            self.u32_at(b) as usize
        } else {
            self.u16_at(b) as usize
        };
        let ts = ((self.u32_at(b + 4) as u64) << 32) | self.u32_at(b + 8) as u64;
        let caplen = self.u32_at(b + 12) as usize;
        let orig_len = self.u32_at(b + 16);
        let data_start = b + 20;
        self.consume(blen);
        if caplen > body.end - data_start {
            return ReadEvent::Skipped(SkipReason::MalformedRecord);
        }
        let Some(iface) = self.interfaces.get(iface_id).copied().flatten() else {
            return ReadEvent::Skipped(SkipReason::UnknownInterface);
        };
        let ts_us = ts_to_us(ts, iface.resol) + iface.offset_s * 1_000_000;
        ReadEvent::Packet(Packet {
            ts_us,
            linktype: iface.linktype,
            orig_len,
            data: &self.buf[data_start..data_start + caplen],
        })
    }

    /// Simple packet block, buffered at `pos`: interface 0, no timestamp.
    fn simple_packet_block(&mut self, blen: usize) -> ReadEvent<'_> {
        let body = self.pos + 8..self.pos + blen - 4;
        if body.len() < 4 {
            self.consume(blen);
            return ReadEvent::Skipped(SkipReason::MalformedRecord);
        }
        let b = body.start;
        let orig_len = self.u32_at(b);
        let caplen = (orig_len as usize).min(body.end - (b + 4));
        self.consume(blen);
        let Some(iface) = self.interfaces.first().copied().flatten() else {
            return ReadEvent::Skipped(SkipReason::UnknownInterface);
        };
        ReadEvent::Packet(Packet {
            ts_us: 0,
            linktype: iface.linktype,
            orig_len,
            data: &self.buf[b + 4..b + 4 + caplen],
        })
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

/// Whether two timestamps (seconds) are within a day of each other.
fn near(a: i64, b: i64) -> bool {
    (a - b).abs() <= RESYNC_MAX_TS_JUMP_S
}

/// Whether a pcapng block total length is a multiple of 4 from 12 (header and trailing
/// length) to `max`.
fn block_len_ok(blen: usize, max: usize) -> bool {
    (12..=max).contains(&blen) && blen.is_multiple_of(4)
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

    /// A little-endian microsecond pcap file header: snap length 65535, Ethernet.
    fn pcap_file_header() -> Vec<u8> {
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&65_535u32.to_le_bytes());
        pcap.extend_from_slice(&1u32.to_le_bytes());
        pcap
    }

    #[test]
    fn resync_scan_keeps_the_buffer_bounded() {
        // 16 MiB of damage between two records: the scan drops what it has passed instead
        // of buffering it.
        let mut pcap = pcap_file_header();
        let record = |sec: u32| {
            let mut r = Vec::new();
            for v in [sec, 0, 60, 60] {
                r.extend_from_slice(&v.to_le_bytes());
            }
            r.extend_from_slice(&[0x61; 60]);
            r
        };
        pcap.extend(record(1_500_000_000));
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        pcap.extend((0..16 << 20).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }));
        pcap.extend(record(1_500_000_001));
        let mut r = CaptureReader::new(&pcap[..], "t").unwrap();
        r.set_resync(true);
        let mut events = String::new();
        let mut peak = 0;
        loop {
            match r.next_event().unwrap() {
                ReadEvent::Packet(_) => events.push('p'),
                ReadEvent::Skipped(s) => events.push_str(s.name()),
                ReadEvent::End => break,
            }
            peak = peak.max(r.buf.len());
        }
        assert_eq!(events, "pmalformed recordp");
        assert_eq!(r.bytes_skipped(), 16 << 20);
        assert!(peak <= 2 * READ_MIN, "buffer grew to {peak} bytes");
    }

    #[test]
    fn reads_ask_for_at_least_read_min_after_the_magic() {
        // So that a caller's `BufReader` of up to READ_MIN bytes passes them through.
        let mut pcap = pcap_file_header();
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
