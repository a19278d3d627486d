//! The extraction driver: reads captures ([`crate::reader`]), decodes frames
//! ([`crate::decode`]), assembles flows in a bounded table keyed by the normalised 5-tuple,
//! runs the selected [`FeatureSet`], labels emitted flows and collects or streams them,
//! and keeps a [`Summary`] (packets read/decoded, skips by reason, flows by end reason,
//! evictions, bytes, capture time span).
//!
//! Flow table rules (spec §3): the key is the Flow ID (addresses ordered by their first
//! differing byte compared as signed 8-bit integers; equal addresses are not swapped); a
//! packet is forward iff its source address equals the flow's source address; expiry is
//! checked only when a packet of the same key arrives (offline parity, spec §3.5; there is
//! no periodic sweep: a live `serve` would need one, plus a per-key tombstone to keep the
//! inherited orientation after a timeout, and neither is implemented here). Memory is
//! bounded by `max_active_flows`: when the table is full the oldest-created flow is emitted
//! early and counted as evicted (its later packets start a new flow). Flows left at the end
//! of a capture are emitted in creation order. Flows live in a slab of reused slots; the
//! hash map (a fast non-cryptographic hasher) maps keys to slots, and a queue of
//! (slot, creation number) gives the creation order for eviction and the final flush.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::cic2017::Cic2017;
use crate::csv::{push_ip, push_ipv4, push_u32};
use crate::decode::{DecodeOptions, PacketInfo, SkipReason, decode};
use crate::error::FlowError;
use crate::features::{EndReason, FeatureSet, FlowRecord, Step};
use crate::labels::LabelSpec;
use crate::reader::{CaptureReader, ReadEvent};

/// Which feature set to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureSetKind {
    /// CICFlowMeter `eaa853d`, the generator of CIC-IDS2017 (85/79-column layouts).
    #[default]
    Cic2017,
}

/// Extraction options. Every field has a default (`ExtractOptions::default()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractOptions {
    /// Feature set (default `cic2017`).
    pub feature_set: FeatureSetKind,
    /// Count Ethernet trailer (padding) bytes as payload, as the published CIC-IDS2017 CSVs
    /// do (default true). Off reproduces the reference CSVs of `flows-reference`.
    pub count_l2_padding: bool,
    /// Decode IPv6 packets (default false: the CIC-IDS2017 models never saw IPv6 flows;
    /// skipped packets are counted as "IPv6 (include_ipv6 is off)").
    pub include_ipv6: bool,
    /// Cap on flows held in the table at once (default 1,000,000). A `cic2017` flow takes
    /// a 584-byte slab slot plus a 44-byte key-index slot (with the index's slack about
    /// 0.65–0.7 KB, which the peak memory of a real capture confirms: `docs/benchmarks.md`,
    /// design measurements), so the default bounds the table near 0.7 GB. Beyond the cap the
    /// oldest flow is emitted early and counted as evicted.
    pub max_active_flows: usize,
    /// Hard flow timeout from the first packet, microseconds (default 120 s).
    pub flow_timeout_us: i64,
    /// Activity timeout for the Active/Idle columns, microseconds (default 5 s).
    pub activity_timeout_us: i64,
    /// Emit all open flows at the end of each capture (default true, like running the
    /// reference once per file). False carries flows across captures, for rotated files
    /// of one capture; they are then emitted by [`Extractor::finish`].
    pub flush_per_capture: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            feature_set: FeatureSetKind::Cic2017,
            count_l2_padding: true,
            include_ipv6: false,
            max_active_flows: 1_000_000,
            flow_timeout_us: 120_000_000,
            activity_timeout_us: 5_000_000,
            flush_per_capture: true,
        }
    }
}

impl ExtractOptions {
    /// The settings of the reference CSVs in `flows-reference` (spec §8): padding off,
    /// IPv6 off.
    pub fn reference() -> Self {
        ExtractOptions {
            count_l2_padding: false,
            ..Self::default()
        }
    }
}

/// Counters of one extraction run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Captures fed.
    pub captures: u64,
    /// Capture bytes consumed (after gzip decompression).
    pub bytes_read: u64,
    /// Capture bytes skipped as damaged (resync mode only, [`Extractor::set_resync`]);
    /// included in `bytes_read`.
    pub bytes_skipped: u64,
    /// Packet records read from the captures.
    pub packets_read: u64,
    /// Packets decoded into flow-table records.
    pub packets_decoded: u64,
    /// Records skipped, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Flows emitted (written to the output).
    pub flows_emitted: u64,
    /// Emitted flows closed by a packet (first FIN).
    pub flows_closed: u64,
    /// Emitted flows cut by the hard timeout.
    pub flows_timed_out: u64,
    /// Emitted flows flushed at the end of input.
    pub flows_flushed: u64,
    /// Flows evicted early because the table was full (emitted if they had enough packets).
    pub flows_evicted: u64,
    /// Flows not emitted because they had fewer packets than the feature set requires
    /// (one-packet flows in `cic2017`).
    pub flows_too_short: u64,
    /// Largest number of flows held at once.
    pub peak_active_flows: u64,
    /// Earliest and latest packet timestamps seen (µs).
    pub time_range_us: Option<(i64, i64)>,
    /// Wall-clock time spent in extraction.
    pub elapsed: Duration,
}

impl Summary {
    /// Total of skipped records.
    pub fn packets_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "captures {}, {} bytes, {} packets read, {} decoded, {} skipped",
            self.captures,
            self.bytes_read,
            self.packets_read,
            self.packets_decoded,
            self.packets_skipped()
        )?;
        for (reason, n) in &self.skipped {
            writeln!(f, "  skipped {n}: {}", reason.name())?;
        }
        if self.bytes_skipped > 0 {
            writeln!(
                f,
                "  skipped {} bytes of damaged capture data",
                self.bytes_skipped
            )?;
        }
        writeln!(
            f,
            "flows emitted {} (first FIN {}, timeout {}, end of input {}, evicted {}); \
             {} one-packet flows not emitted; peak {} active flows",
            self.flows_emitted,
            self.flows_closed,
            self.flows_timed_out,
            self.flows_flushed,
            self.flows_evicted,
            self.flows_too_short,
            self.peak_active_flows
        )?;
        if let Some((a, b)) = self.time_range_us {
            writeln!(f, "capture time span {:.6} s", (b - a) as f64 / 1e6)?;
        }
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.packets_read as f64 / secs
        } else {
            0.0
        };
        write!(f, "elapsed {secs:.3} s ({rate:.0} packets/s)")
    }
}

/// Progress report passed to the progress callback.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Name of the capture being read.
    pub source: &'a str,
    /// 0-based index of the capture.
    pub capture_index: u64,
    /// Raw bytes consumed from this capture's reader (compressed bytes for gzip), to
    /// compare with the file size.
    pub capture_bytes: u64,
    /// Packets read over all captures.
    pub packets_read: u64,
    /// Flows emitted over all captures.
    pub flows_emitted: u64,
    /// True on the last report of a capture.
    pub capture_done: bool,
    /// Flows held in the table now.
    pub active_flows: u64,
    /// Every counter so far.
    pub summary: &'a Summary,
}

/// Packets between two progress reports.
pub const PROGRESS_EVERY: u64 = 1 << 16;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    a: [u8; 16],
    b: [u8; 16],
    pa: u16,
    pb: u16,
    proto: u8,
    v6: bool,
}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        let w = |x: &[u8]| u64::from_le_bytes(x.try_into().unwrap_or([0; 8]));
        h.write_u64(w(&self.a[..8]));
        h.write_u64(w(&self.b[..8]));
        if self.v6 {
            h.write_u64(w(&self.a[8..]));
            h.write_u64(w(&self.b[8..]));
        }
        h.write_u64(
            ((self.pa as u64) << 32)
                | ((self.pb as u64) << 16)
                | self.proto as u64
                | ((self.v6 as u64) << 8),
        );
    }
}

/// Multiply-rotate hasher with a final avalanche (the table keys are attacker-chosen only
/// as much as packet headers are; this is a throughput tool, not a server-side map).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

fn key_of(p: &PacketInfo) -> Key {
    let n = if p.v6 { 16 } else { 4 };
    let mut swap = false;
    for i in 0..n {
        if p.src[i] != p.dst[i] {
            swap = (p.src[i] as i8) > (p.dst[i] as i8);
            break;
        }
    }
    if swap {
        Key {
            a: p.dst,
            b: p.src,
            pa: p.dst_port,
            pb: p.src_port,
            proto: p.protocol,
            v6: p.v6,
        }
    } else {
        Key {
            a: p.src,
            b: p.dst,
            pa: p.src_port,
            pb: p.dst_port,
            proto: p.protocol,
            v6: p.v6,
        }
    }
}

fn ip_of(a: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(*a))
    } else {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    }
}

/// `A-B-portA-portB-proto` of a key (the addresses as `IpAddr` displays them).
fn flow_id(key: &Key) -> String {
    let mut b = Vec::with_capacity(if key.v6 { 96 } else { 40 });
    if key.v6 {
        push_ip(&mut b, ip_of(&key.a, true));
        b.push(b'-');
        push_ip(&mut b, ip_of(&key.b, true));
    } else {
        push_ipv4(&mut b, [key.a[0], key.a[1], key.a[2], key.a[3]]);
        b.push(b'-');
        push_ipv4(&mut b, [key.b[0], key.b[1], key.b[2], key.b[3]]);
    }
    for v in [key.pa as u32, key.pb as u32, key.proto as u32] {
        b.push(b'-');
        push_u32(&mut b, v);
    }
    // Digits, dots, colons and dashes only.
    String::from_utf8(b).unwrap_or_default()
}

/// One flow of the table, stored in a slab slot (the hash map holds only slot indices, so
/// growing it moves 44-byte pairs, not flows).
struct Entry<Fl> {
    key: Key,
    src: [u8; 16],
    dst: [u8; 16],
    sport: u16,
    dport: u16,
    /// Creation sequence number; [`FREE`] for a free slot.
    seq: u64,
    source: u32,
    flow: Fl,
}

/// How far past its timeout a flow is swept. Capture clocks step back (packets out of time
/// order by up to 0.65 s in the shared `ppa-ftp-crack.pcap`); a packet of the flow that
/// arrives late but stamped before the timeout must still join it, as it would without the
/// sweep.
const SWEEP_GRACE_US: i64 = 2_000_000;

/// Who is the source of a flow (the sender of its first packet).
#[derive(Clone, Copy)]
struct Orientation {
    src: [u8; 16],
    dst: [u8; 16],
    sport: u16,
    dport: u16,
}

/// `seq` of a free slab slot.
const FREE: u64 = u64::MAX;

struct Source {
    name: Arc<str>,
    labels: LabelSpec,
    default_label: Arc<str>,
    rule_labels: Vec<Arc<str>>,
}

/// Boxed progress callback.
type ProgressFn<'s> = Box<dyn FnMut(&Progress) + 's>;

/// Boxed pacing callback (given each packet record's timestamp, µs).
type PacerFn<'s> = Box<dyn FnMut(i64) + 's>;

enum Output<'s> {
    Collect(Vec<FlowRecord>),
    Sink(Box<dyn FnMut(FlowRecord) + 's>),
}

/// The feature set and everything emitting a flow needs (kept apart from the flow table
/// so that a flow can be emitted straight from its slot).
struct Emitter<'s, F: FeatureSet> {
    fs: F,
    sources: Vec<Source>,
    summary: Summary,
    output: Output<'s>,
    values: Vec<f64>,
}

struct Engine<'s, F: FeatureSet> {
    out: Emitter<'s, F>,
    decode: DecodeOptions,
    cap: usize,
    flush_per_capture: bool,
    /// Read captures in resynchronising mode ([`Extractor::set_resync`]).
    resync: bool,
    /// Emit flows as soon as the packet clock passes their timeout
    /// ([`Extractor::set_expire_timed_out`]).
    sweep: bool,
    /// The orientation of flows emitted by the sweep, which a later packet of the same key
    /// inherits (as it would had the flow still been in the table), oldest first.
    tombs: FastMap<Key, Orientation>,
    tomb_order: VecDeque<Key>,
    /// Key -> slab slot of the active flows.
    map: FastMap<Key, u32>,
    slab: Vec<Entry<F::Flow>>,
    /// Free slab slots, reused before the slab grows.
    free: Vec<u32>,
    /// (slot, seq) in creation order; entries whose slot no longer has that seq are stale.
    queue: VecDeque<(u32, u64)>,
    next_seq: u64,
    progress: Option<ProgressFn<'s>>,
    progress_every: u64,
    pacer: Option<PacerFn<'s>>,
}

impl<'s, F: FeatureSet> Engine<'s, F> {
    fn new(fs: F, opts: &ExtractOptions, output: Output<'s>) -> Self {
        Engine {
            out: Emitter {
                fs,
                sources: Vec::new(),
                summary: Summary::default(),
                output,
                values: Vec::new(),
            },
            decode: DecodeOptions {
                count_l2_padding: opts.count_l2_padding,
                include_ipv6: opts.include_ipv6,
            },
            cap: opts.max_active_flows.max(1),
            flush_per_capture: opts.flush_per_capture,
            resync: false,
            sweep: false,
            tombs: FastMap::default(),
            tomb_order: VecDeque::new(),
            map: FastMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            queue: VecDeque::new(),
            next_seq: 0,
            progress: None,
            progress_every: PROGRESS_EVERY,
            pacer: None,
        }
    }

    fn add_source(&mut self, name: &str, labels: &LabelSpec) -> u32 {
        let sources = &mut self.out.sources;
        sources.push(Source {
            name: Arc::from(name),
            labels: labels.clone(),
            default_label: Arc::from(labels.default.as_str()),
            rule_labels: labels
                .rules
                .iter()
                .map(|r| Arc::from(r.label.as_str()))
                .collect(),
        });
        (sources.len() - 1) as u32
    }

    #[inline]
    fn packet(&mut self, p: &PacketInfo, source: u32) {
        self.out.summary.packets_decoded += 1;
        if self.sweep {
            self.expire(p.ts_us);
        }
        let key = key_of(p);
        if let Some(&slot) = self.map.get(&key) {
            let e = &mut self.slab[slot as usize];
            let fs = &self.out.fs;
            if fs.timed_out(&e.flow, p) {
                // Replace with a new flow that inherits the orientation (spec §3.3 2a).
                let old = Entry {
                    key,
                    src: e.src,
                    dst: e.dst,
                    sport: e.sport,
                    dport: e.dport,
                    seq: e.seq,
                    source: e.source,
                    flow: std::mem::replace(&mut e.flow, fs.start(p)),
                };
                e.seq = self.next_seq;
                e.source = source;
                self.queue.push_back((slot, self.next_seq));
                self.next_seq += 1;
                self.out.emit(&old, EndReason::Timeout);
            } else {
                let fwd = p.src == e.src;
                if fs.add(&mut e.flow, p, fwd) == Step::Close {
                    self.map.remove(&key);
                    self.out.emit(&self.slab[slot as usize], EndReason::Fin);
                    self.release(slot);
                }
            }
            return;
        }
        if self.map.len() >= self.cap {
            self.evict_one();
        }
        let o = self.inherited(&key).unwrap_or(Orientation {
            src: p.src,
            dst: p.dst,
            sport: p.src_port,
            dport: p.dst_port,
        });
        let entry = Entry {
            key,
            src: o.src,
            dst: o.dst,
            sport: o.sport,
            dport: o.dport,
            seq: self.next_seq,
            source,
            flow: self.out.fs.start(p),
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = entry;
                s
            }
            None => {
                self.slab.push(entry);
                (self.slab.len() - 1) as u32
            }
        };
        self.map.insert(key, slot);
        self.queue.push_back((slot, self.next_seq));
        self.next_seq += 1;
        let active = self.map.len() as u64;
        if active > self.out.summary.peak_active_flows {
            self.out.summary.peak_active_flows = active;
        }
        if self.queue.len() > 2 * self.map.len() + 4096 {
            let slab = &self.slab;
            self.queue.retain(|&(s, q)| slab[s as usize].seq == q);
        }
    }

    /// Marks a slot free (its flow was emitted or dropped and its key removed).
    fn release(&mut self, slot: u32) {
        self.slab[slot as usize].seq = FREE;
        self.free.push(slot);
    }

    /// Emit, oldest first, the flows whose timeout the packet clock `now_us` has passed:
    /// the flow a later packet of theirs would have ended (with the same values), so the
    /// verdict on a flow with no FIN does not wait for traffic that may never come.
    fn expire(&mut self, now_us: i64) {
        while let Some(&(slot, seq)) = self.queue.front() {
            let e = &self.slab[slot as usize];
            if e.seq != seq {
                self.queue.pop_front();
                continue;
            }
            if !self.out.fs.expired_at(&e.flow, now_us - SWEEP_GRACE_US) {
                break;
            }
            self.queue.pop_front();
            self.map.remove(&e.key);
            self.out.emit(e, EndReason::Timeout);
            let o = Orientation {
                src: e.src,
                dst: e.dst,
                sport: e.sport,
                dport: e.dport,
            };
            let key = e.key;
            self.release(slot);
            if self.tombs.insert(key, o).is_none() {
                self.tomb_order.push_back(key);
            }
            while self.tombs.len() > self.cap {
                let Some(k) = self.tomb_order.pop_front() else {
                    break;
                };
                self.tombs.remove(&k);
            }
        }
    }

    /// The orientation a new flow under `key` inherits from a swept flow.
    fn inherited(&mut self, key: &Key) -> Option<Orientation> {
        if self.tombs.is_empty() {
            return None;
        }
        self.tombs.remove(key)
    }

    fn evict_one(&mut self) {
        while let Some((slot, seq)) = self.queue.pop_front() {
            let e = &self.slab[slot as usize];
            if e.seq == seq {
                self.map.remove(&e.key);
                self.out.summary.flows_evicted += 1;
                self.out.emit(e, EndReason::Evicted);
                self.release(slot);
                return;
            }
        }
    }

    /// Emits every open flow in creation order (the queue's order) and empties the table.
    fn flush(&mut self) {
        let mut emitted = 0;
        while let Some((slot, seq)) = self.queue.pop_front() {
            let e = &self.slab[slot as usize];
            if e.seq == seq {
                self.out.emit(e, EndReason::EndOfInput);
                self.release(slot);
                emitted += 1;
            }
        }
        // Every open flow has its (slot, seq) in the queue.
        debug_assert_eq!(emitted, self.map.len());
        self.map.clear();
        self.tombs.clear();
        self.tomb_order.clear();
    }

    fn report(&mut self, source: u32, bytes: u64, done: bool) {
        if let Some(cb) = self.progress.as_mut() {
            let p = Progress {
                source: &self.out.sources[source as usize].name,
                capture_index: source as u64,
                capture_bytes: bytes,
                packets_read: self.out.summary.packets_read,
                flows_emitted: self.out.summary.flows_emitted,
                capture_done: done,
                active_flows: self.map.len() as u64,
                summary: &self.out.summary,
            };
            cb(&p);
        }
    }
}

impl<F: FeatureSet> Emitter<'_, F> {
    fn emit(&mut self, e: &Entry<F::Flow>, reason: EndReason) {
        let key = &e.key;
        if self.fs.packets(&e.flow) < self.fs.min_packets() {
            self.summary.flows_too_short += 1;
            return;
        }
        match reason {
            EndReason::Fin => self.summary.flows_closed += 1,
            EndReason::Timeout => self.summary.flows_timed_out += 1,
            EndReason::EndOfInput => self.summary.flows_flushed += 1,
            EndReason::Evicted => {}
        }
        self.summary.flows_emitted += 1;
        let int_mask = self.fs.finish(&e.flow, &mut self.values);
        let src = &self.sources[e.source as usize];
        let mut rec = FlowRecord {
            flow_id: flow_id(key),
            src_ip: ip_of(&e.src, key.v6),
            src_port: e.sport,
            dst_ip: ip_of(&e.dst, key.v6),
            dst_port: e.dport,
            protocol: key.proto,
            start_us: self.fs.start_us(&e.flow),
            source: src.name.clone(),
            label: src.default_label.clone(),
            end_reason: reason,
            values: self.values.clone(),
            int_mask,
        };
        if let Some(i) = src.labels.rules.iter().position(|r| r.matches(&rec)) {
            rec.label = src.rule_labels[i].clone();
        }
        match &mut self.output {
            Output::Collect(v) => v.push(rec),
            Output::Sink(f) => f(rec),
        }
    }
}

impl<'s, F: FeatureSet> Engine<'s, F> {
    fn feed(
        &mut self,
        reader: &mut dyn Read,
        name: &str,
        labels: &LabelSpec,
    ) -> Result<(), FlowError> {
        let started = Instant::now();
        let source = self.add_source(name, labels);
        self.out.summary.captures += 1;
        let counter = Rc::new(Cell::new(0u64));
        let counting = CountingReader {
            inner: reader,
            count: counter.clone(),
        };
        let result = self.read_all(counting, name, source, &counter);
        if self.flush_per_capture {
            self.flush();
        }
        self.report(source, counter.get(), true);
        self.out.summary.elapsed += started.elapsed();
        result
    }

    fn read_all(
        &mut self,
        counting: CountingReader<'_>,
        name: &str,
        source: u32,
        counter: &Rc<Cell<u64>>,
    ) -> Result<(), FlowError> {
        let mut rd = CaptureReader::new(counting, name)?;
        rd.set_resync(self.resync);
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        let mut result = Ok(());
        loop {
            let ev = match rd.next_event() {
                Ok(ev) => ev,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            match ev {
                ReadEvent::End => break,
                ReadEvent::Skipped(r) => {
                    self.out.summary.packets_read += 1;
                    *self.out.summary.skipped.entry(r).or_insert(0) += 1;
                }
                ReadEvent::Packet(pk) => {
                    if let Some(pace) = self.pacer.as_mut() {
                        pace(pk.ts_us);
                    }
                    self.out.summary.packets_read += 1;
                    match decode(pk.linktype, pk.ts_us, pk.data, self.decode) {
                        Ok(info) => {
                            lo = lo.min(info.ts_us);
                            hi = hi.max(info.ts_us);
                            self.packet(&info, source);
                        }
                        Err(r) => {
                            *self.out.summary.skipped.entry(r).or_insert(0) += 1;
                        }
                    }
                    if self
                        .out
                        .summary
                        .packets_read
                        .is_multiple_of(self.progress_every)
                    {
                        self.report(source, counter.get(), false);
                    }
                }
            }
        }
        self.out.summary.bytes_read += rd.offset();
        self.out.summary.bytes_skipped += rd.bytes_skipped();
        if lo <= hi {
            self.out.summary.time_range_us = Some(match self.out.summary.time_range_us {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        result
    }

    fn finish(mut self) -> (Vec<FlowRecord>, Summary) {
        let started = Instant::now();
        self.flush();
        self.out.summary.elapsed += started.elapsed();
        let out = match std::mem::replace(&mut self.out.output, Output::Collect(Vec::new())) {
            Output::Collect(v) => v,
            Output::Sink(_) => Vec::new(),
        };
        (out, self.out.summary)
    }
}

struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    count: Rc<Cell<u64>>,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

enum EngineKind<'s> {
    Cic2017(Box<Engine<'s, Cic2017>>),
}

/// Packet captures to labelled flow records. See the crate documentation for an example.
pub struct Extractor<'s> {
    engine: EngineKind<'s>,
}

impl<'s> Extractor<'s> {
    /// An extractor that collects every flow; [`Extractor::finish`] returns them.
    pub fn new(opts: ExtractOptions) -> Self {
        Self::build(opts, Output::Collect(Vec::new()))
    }

    /// An extractor that hands each flow to `sink` as soon as it is emitted (memory then
    /// depends on active flows only); [`Extractor::finish`] returns an empty vector.
    pub fn with_sink(opts: ExtractOptions, sink: impl FnMut(FlowRecord) + 's) -> Self {
        Self::build(opts, Output::Sink(Box::new(sink)))
    }

    fn build(opts: ExtractOptions, output: Output<'s>) -> Self {
        let engine = match opts.feature_set {
            FeatureSetKind::Cic2017 => {
                let fs = Cic2017 {
                    flow_timeout_us: opts.flow_timeout_us,
                    activity_timeout_us: opts.activity_timeout_us,
                };
                EngineKind::Cic2017(Box::new(Engine::new(fs, &opts, output)))
            }
        };
        Extractor { engine }
    }

    /// Calls `cb` every [`PROGRESS_EVERY`] packets and at the end of each capture.
    pub fn set_progress(&mut self, cb: impl FnMut(&Progress) + 's) {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.progress = Some(Box::new(cb)),
        }
    }

    /// Report progress every `packets` packet records instead of [`PROGRESS_EVERY`] (a
    /// live reader publishes its counters often; at least 1).
    pub fn set_progress_every(&mut self, packets: u64) {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.progress_every = packets.max(1),
        }
    }

    /// Calls `pace` with each packet record's timestamp (µs) before the packet is
    /// processed, e.g. to replay a capture at its own pace by sleeping.
    pub fn set_pacer(&mut self, pace: impl FnMut(i64) + 's) {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.pacer = Some(Box::new(pace)),
        }
    }

    /// Names of the feature values of the selected feature set.
    pub fn feature_names(&self) -> &'static [&'static str] {
        match &self.engine {
            EngineKind::Cic2017(e) => e.out.fs.feature_names(),
        }
    }

    /// Reads one capture (pcap, pcapng, or either gzip-compressed; detected from the
    /// magic bytes) from any reader, e.g. a file or stdin. Every flow gets the label
    /// `BENIGN`. On a corrupt record the flows read so far are kept (and flushed if
    /// `flush_per_capture`) and the error is returned.
    pub fn feed_capture(&mut self, reader: impl Read, source_name: &str) -> Result<(), FlowError> {
        self.feed_capture_labeled(reader, source_name, &LabelSpec::default())
    }

    /// Like [`Extractor::feed_capture`], labelling this capture's flows with `labels`.
    pub fn feed_capture_labeled(
        &mut self,
        mut reader: impl Read,
        source_name: &str,
        labels: &LabelSpec,
    ) -> Result<(), FlowError> {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.feed(&mut reader, source_name, labels),
        }
    }

    /// The counters so far.
    pub fn summary(&self) -> &Summary {
        match &self.engine {
            EngineKind::Cic2017(e) => &e.out.summary,
        }
    }

    /// Emits the flows still open and returns the collected flows and the summary.
    pub fn finish(self) -> (Vec<FlowRecord>, Summary) {
        match self.engine {
            EngineKind::Cic2017(e) => e.finish(),
        }
    }

    /// Emit a flow as soon as a later packet's time passes its timeout (instead of when
    /// a packet of its own arrives, or at the end of input): the same flows with the same
    /// values, sooner, for a live stream where a flow without FIN may see no more packets.
    /// Only packets out of time order across flows can tell the difference. Default off.
    pub fn set_expire_timed_out(&mut self, on: bool) {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.sweep = on,
        }
    }

    /// Reads every capture fed after this call in resynchronising mode (default off), for
    /// live streams: damaged capture data is skipped up to the next plausible record and
    /// counted ([`Summary::bytes_skipped`], one "malformed record" skip per damaged run)
    /// instead of ending the capture with [`FlowError::CorruptRecord`]. Valid captures
    /// give the same flows either way. Not an [`ExtractOptions`] field: it changes how
    /// damage is handled, not what is computed.
    pub fn set_resync(&mut self, on: bool) {
        match &mut self.engine {
            EngineKind::Cic2017(e) => e.resync = on,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(src: [u8; 4], dst: [u8; 4], sp: u16, dp: u16) -> PacketInfo {
        let mut p = PacketInfo {
            ts_us: 0,
            src: [0; 16],
            dst: [0; 16],
            v6: false,
            src_port: sp,
            dst_port: dp,
            protocol: 6,
            ip_protocol: 6,
            flags: 0,
            window: 0,
            header_len: 20,
            payload_len: 0,
        };
        p.src[..4].copy_from_slice(&src);
        p.dst[..4].copy_from_slice(&dst);
        p
    }

    #[test]
    fn flow_id_uses_signed_byte_order() {
        // Spec §3.1: 192 is -64 as a signed byte, so 192.168.10.5 sorts first.
        let k = key_of(&pkt([104, 16, 207, 165], [192, 168, 10, 5], 443, 51000));
        assert_eq!(&k.a[..4], &[192, 168, 10, 5]);
        assert_eq!((k.pa, k.pb), (51000, 443));
        // 8.8.8.8 sorts before 10.0.0.1.
        let k = key_of(&pkt([10, 0, 0, 1], [8, 8, 8, 8], 5301, 53));
        assert_eq!(&k.a[..4], &[8, 8, 8, 8]);
        // Equal addresses keep the packet's order: two directions, two keys.
        let k1 = key_of(&pkt([127, 0, 0, 1], [127, 0, 0, 1], 40000, 8080));
        let k2 = key_of(&pkt([127, 0, 0, 1], [127, 0, 0, 1], 8080, 40000));
        assert!(k1 != k2);
    }

    #[test]
    fn flow_id_text_matches_display() {
        let k = key_of(&pkt([104, 16, 207, 165], [192, 168, 10, 5], 443, 51000));
        assert_eq!(flow_id(&k), "192.168.10.5-104.16.207.165-51000-443-6");
        let mut p = pkt([0; 4], [0; 4], 0, 65535);
        p.v6 = true;
        p.src = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets();
        p.dst = "fe80::2".parse::<Ipv6Addr>().unwrap().octets();
        p.protocol = 17;
        // fe80 sorts first (0xfe is -2 as a signed byte).
        let k = key_of(&p);
        assert_eq!(flow_id(&k), "fe80::2-2001:db8::1-65535-0-17");
        assert_eq!(
            flow_id(&k),
            format!(
                "{}-{}-{}-{}-{}",
                ip_of(&k.a, k.v6),
                ip_of(&k.b, k.v6),
                k.pa,
                k.pb,
                k.proto
            )
        );
    }
}
