//! The `cic2017` feature set: the behaviour of CICFlowMeter `ahlashkari/CICFlowMeter` at
//! commit `eaa853d` (2018), which generated CIC-IDS2017, quirks included (spec §3–§5):
//! first FIN in either direction closes the flow, RST is ignored, 120 s hard timeout from
//! the first packet checked only when a packet of the flow arrives (the new flow inherits
//! the old orientation and counts its first packet forward), no idle timeout, one-packet
//! flows dropped, flags read from the first packet only in a permuted order, the first
//! packet counted twice in the `Packet Length *` statistics, bulk columns 0, subflow =
//! totals, `Init_Win_bytes_backward` from the last backward packet.
//!
//! State is O(1) per flow: eight [`SummaryStats`] accumulators and a few counters.

use crate::decode::{PacketInfo, tcp_flags as f};
use crate::features::{FeatureSet, Step};
use crate::stats::SummaryStats;

/// The 77 feature names of `cic2017`, `Flow Duration` … `Idle Min` (trimmed; the CSV
/// header with the reference's spacing is in [`crate::csv`]).
pub const FEATURE_NAMES: [&str; 77] = [
    "Flow Duration",
    "Total Fwd Packets",
    "Total Backward Packets",
    "Total Length of Fwd Packets",
    "Total Length of Bwd Packets",
    "Fwd Packet Length Max",
    "Fwd Packet Length Min",
    "Fwd Packet Length Mean",
    "Fwd Packet Length Std",
    "Bwd Packet Length Max",
    "Bwd Packet Length Min",
    "Bwd Packet Length Mean",
    "Bwd Packet Length Std",
    "Flow Bytes/s",
    "Flow Packets/s",
    "Flow IAT Mean",
    "Flow IAT Std",
    "Flow IAT Max",
    "Flow IAT Min",
    "Fwd IAT Total",
    "Fwd IAT Mean",
    "Fwd IAT Std",
    "Fwd IAT Max",
    "Fwd IAT Min",
    "Bwd IAT Total",
    "Bwd IAT Mean",
    "Bwd IAT Std",
    "Bwd IAT Max",
    "Bwd IAT Min",
    "Fwd PSH Flags",
    "Bwd PSH Flags",
    "Fwd URG Flags",
    "Bwd URG Flags",
    "Fwd Header Length",
    "Bwd Header Length",
    "Fwd Packets/s",
    "Bwd Packets/s",
    "Min Packet Length",
    "Max Packet Length",
    "Packet Length Mean",
    "Packet Length Std",
    "Packet Length Variance",
    "FIN Flag Count",
    "SYN Flag Count",
    "RST Flag Count",
    "PSH Flag Count",
    "ACK Flag Count",
    "URG Flag Count",
    "CWE Flag Count",
    "ECE Flag Count",
    "Down/Up Ratio",
    "Average Packet Size",
    "Avg Fwd Segment Size",
    "Avg Bwd Segment Size",
    "Fwd Header Length",
    "Fwd Avg Bytes/Bulk",
    "Fwd Avg Packets/Bulk",
    "Fwd Avg Bulk Rate",
    "Bwd Avg Bytes/Bulk",
    "Bwd Avg Packets/Bulk",
    "Bwd Avg Bulk Rate",
    "Subflow Fwd Packets",
    "Subflow Fwd Bytes",
    "Subflow Bwd Packets",
    "Subflow Bwd Bytes",
    "Init_Win_bytes_forward",
    "Init_Win_bytes_backward",
    "act_data_pkt_fwd",
    "min_seg_size_forward",
    "Active Mean",
    "Active Std",
    "Active Max",
    "Active Min",
    "Idle Mean",
    "Idle Std",
    "Idle Max",
    "Idle Min",
];

/// Indices (into the 77 values) that are always printed as integers.
const ALWAYS_INT: [usize; 32] = [
    0, 1, 2, 29, 30, 31, 32, 33, 34, 42, 43, 44, 45, 46, 47, 48, 49, 54, 55, 56, 57, 58, 59, 60,
    61, 62, 63, 64, 65, 66, 67, 68,
];

/// The `cic2017` feature set.
#[derive(Debug, Clone, Copy)]
pub struct Cic2017 {
    /// Hard flow timeout from the first packet, µs (120 s).
    pub flow_timeout_us: i64,
    /// Activity timeout for the Active/Idle columns, µs (5 s).
    pub activity_timeout_us: i64,
}

impl Default for Cic2017 {
    fn default() -> Self {
        Cic2017 {
            flow_timeout_us: 120_000_000,
            activity_timeout_us: 5_000_000,
        }
    }
}

/// Per-flow accumulator of `cic2017`.
#[derive(Debug, Clone)]
pub struct CicFlow {
    start: i64,
    last: i64,
    fwd_last: i64,
    bwd_last: i64,
    start_active: i64,
    end_active: i64,
    fwd: SummaryStats,
    bwd: SummaryStats,
    len: SummaryStats,
    iat: SummaryStats,
    fwd_iat: SummaryStats,
    bwd_iat: SummaryStats,
    active: SummaryStats,
    idle: SummaryStats,
    fwd_hdr: i64,
    bwd_hdr: i64,
    fwd_bytes: i64,
    bwd_bytes: i64,
    act_data_fwd: i64,
    min_seg_fwd: i64,
    init_win_fwd: i32,
    init_win_bwd: i32,
    p0_flags: u8,
}

impl FeatureSet for Cic2017 {
    type Flow = CicFlow;

    fn name(&self) -> &'static str {
        "cic2017"
    }

    fn feature_names(&self) -> &'static [&'static str] {
        &FEATURE_NAMES
    }

    fn start(&self, p: &PacketInfo) -> CicFlow {
        let l = p.payload_len as f64;
        let mut len = SummaryStats::default();
        // The first packet enters the length statistics twice (spec §5.3, "p0 twice").
        len.add(l);
        len.add(l);
        let mut fwd = SummaryStats::default();
        fwd.add(l);
        CicFlow {
            start: p.ts_us,
            last: p.ts_us,
            fwd_last: p.ts_us,
            bwd_last: 0,
            start_active: p.ts_us,
            end_active: p.ts_us,
            fwd,
            bwd: SummaryStats::default(),
            len,
            iat: SummaryStats::default(),
            fwd_iat: SummaryStats::default(),
            bwd_iat: SummaryStats::default(),
            active: SummaryStats::default(),
            idle: SummaryStats::default(),
            fwd_hdr: p.header_len as i64,
            bwd_hdr: 0,
            fwd_bytes: p.payload_len as i64,
            bwd_bytes: 0,
            act_data_fwd: 0,
            min_seg_fwd: p.header_len as i64,
            init_win_fwd: p.window,
            init_win_bwd: -1,
            p0_flags: p.flags,
        }
    }

    #[inline]
    fn timed_out(&self, flow: &CicFlow, p: &PacketInfo) -> bool {
        self.expired_at(flow, p.ts_us)
    }

    #[inline]
    fn expired_at(&self, flow: &CicFlow, now_us: i64) -> bool {
        now_us - flow.start > self.flow_timeout_us
    }

    #[inline]
    fn add(&self, flow: &mut CicFlow, p: &PacketInfo, forward: bool) -> Step {
        let t = p.ts_us;
        let fin = p.flags & f::FIN != 0;
        if !fin {
            // Active/Idle update before the packet is added; not for the closing FIN.
            if t - flow.end_active > self.activity_timeout_us {
                let active = flow.end_active - flow.start_active;
                if active > 0 {
                    flow.active.add(active as f64);
                }
                flow.idle.add((t - flow.end_active) as f64);
                flow.start_active = t;
                flow.end_active = t;
            } else {
                flow.end_active = t;
            }
        }
        let l = p.payload_len as i64;
        flow.len.add(l as f64);
        if forward {
            if l >= 1 {
                flow.act_data_fwd += 1;
            }
            flow.fwd.add(l as f64);
            flow.fwd_hdr += p.header_len as i64;
            flow.fwd_bytes += l;
            if flow.fwd.n() > 1 {
                flow.fwd_iat.add((t - flow.fwd_last) as f64);
            }
            flow.fwd_last = t;
            flow.min_seg_fwd = flow.min_seg_fwd.min(p.header_len as i64);
        } else {
            flow.bwd.add(l as f64);
            flow.init_win_bwd = p.window;
            flow.bwd_hdr += p.header_len as i64;
            flow.bwd_bytes += l;
            if flow.bwd.n() > 1 {
                flow.bwd_iat.add((t - flow.bwd_last) as f64);
            }
            flow.bwd_last = t;
        }
        flow.iat.add((t - flow.last) as f64);
        flow.last = t;
        if fin { Step::Close } else { Step::Continue }
    }

    #[inline]
    fn packets(&self, flow: &CicFlow) -> u64 {
        flow.fwd.n() + flow.bwd.n()
    }

    fn start_us(&self, flow: &CicFlow) -> i64 {
        flow.start
    }

    fn min_packets(&self) -> u64 {
        2
    }

    fn finish(&self, c: &CicFlow, v: &mut Vec<f64>) -> u128 {
        v.clear();
        let mut mask: u128 = 0;
        for i in ALWAYS_INT {
            mask |= 1 << i;
        }
        let d = c.last - c.start;
        let nf = c.fwd.n();
        let nb = c.bwd.n();
        let n = nf + nb;
        let secs = d as f64 / 1_000_000.0;
        v.push(d as f64); // 0
        v.push(nf as f64);
        v.push(nb as f64);
        v.push(c.fwd.sum());
        v.push(c.bwd.sum());
        // 5..=8 forward length stats (p0 is always forward, so never empty)
        stats4(v, &mut mask, &c.fwd, nf > 0);
        stats4(v, &mut mask, &c.bwd, nb > 0); // 9..=12
        v.push((c.fwd_bytes + c.bwd_bytes) as f64 / secs); // 13
        v.push(n as f64 / secs); // 14
        v.push(c.iat.mean()); // 15
        v.push(c.iat.std());
        v.push(c.iat.max());
        v.push(c.iat.min());
        iat5(v, &mut mask, &c.fwd_iat, nf > 1); // 19..=23
        iat5(v, &mut mask, &c.bwd_iat, nb > 1); // 24..=28
        let fl = c.p0_flags;
        let bit = |b: u8| if fl & b != 0 { 1.0 } else { 0.0 };
        v.push(bit(f::PSH)); // 29 Fwd PSH Flags
        v.push(0.0); // 30 Bwd PSH Flags
        v.push(bit(f::URG)); // 31 Fwd URG Flags
        v.push(0.0); // 32
        v.push(c.fwd_hdr as f64); // 33
        v.push(c.bwd_hdr as f64); // 34
        let rate = |k: u64| if d > 0 { k as f64 / secs } else { 0.0 };
        v.push(rate(nf)); // 35
        v.push(rate(nb)); // 36
        v.push(c.len.min()); // 37
        v.push(c.len.max());
        v.push(c.len.mean());
        v.push(c.len.std());
        v.push(c.len.variance()); // 41
        // 42..=49: the header says FIN SYN RST PSH ACK URG CWE ECE but the values are p0's
        // RST PSH ECE SYN ACK FIN URG CWR (Java HashMap iteration order, spec §5.4).
        for b in [
            f::RST,
            f::PSH,
            f::ECE,
            f::SYN,
            f::ACK,
            f::FIN,
            f::URG,
            f::CWR,
        ] {
            v.push(bit(b));
        }
        v.push(nb.checked_div(nf).map_or(0.0, |r| r as f64)); // 50 Down/Up (integer division)
        v.push(if n > 0 { c.len.sum() / n as f64 } else { 0.0 }); // 51
        v.push(if nf > 0 { c.fwd.sum() / nf as f64 } else { 0.0 }); // 52
        v.push(if nb > 0 { c.bwd.sum() / nb as f64 } else { 0.0 }); // 53
        v.push(c.fwd_hdr as f64); // 54
        v.extend_from_slice(&[0.0; 6]); // 55..=60 bulk
        v.push(nf as f64); // 61 subflow = totals
        v.push(c.fwd_bytes as f64);
        v.push(nb as f64);
        v.push(c.bwd_bytes as f64);
        v.push(c.init_win_fwd as f64); // 65
        v.push(c.init_win_bwd as f64);
        v.push(c.act_data_fwd as f64);
        v.push(c.min_seg_fwd as f64); // 68
        let base = v.len();
        stats4_mmm(v, &mut mask, &c.active, base); // 69..=72
        let base = v.len();
        stats4_mmm(v, &mut mask, &c.idle, base); // 73..=76
        mask
    }
}

/// Max, min, mean, std, or four integer zeros when empty.
fn stats4(v: &mut Vec<f64>, mask: &mut u128, s: &SummaryStats, present: bool) {
    let base = v.len();
    if present {
        v.extend_from_slice(&[s.max(), s.min(), s.mean(), s.std()]);
    } else {
        v.extend_from_slice(&[0.0; 4]);
        *mask |= 0b1111 << base;
    }
}

/// Total, mean, std, max, min, or five integer zeros when `present` is false.
fn iat5(v: &mut Vec<f64>, mask: &mut u128, s: &SummaryStats, present: bool) {
    let base = v.len();
    if present {
        v.extend_from_slice(&[s.sum(), s.mean(), s.std(), s.max(), s.min()]);
    } else {
        v.extend_from_slice(&[0.0; 5]);
        *mask |= 0b11111 << base;
    }
}

/// Mean, std, max, min, or four integer zeros when empty.
fn stats4_mmm(v: &mut Vec<f64>, mask: &mut u128, s: &SummaryStats, base: usize) {
    if s.n() > 0 {
        v.extend_from_slice(&[s.mean(), s.std(), s.max(), s.min()]);
    } else {
        v.extend_from_slice(&[0.0; 4]);
        *mask |= 0b1111 << base;
    }
}
