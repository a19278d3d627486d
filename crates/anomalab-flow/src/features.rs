//! The feature-set interface and the emitted flow record. A [`FeatureSet`] owns the per-flow
//! accumulator (O(1) state), the flow-ending rules that differ between CICFlowMeter
//! versions (FIN handling, timeouts) and the feature vector it produces; the flow table
//! (key, orientation, eviction) is shared. `cic2017` ([`crate::cic2017::Cic2017`]) is the
//! first implementation; a corrected set (e.g. the Engelen fork) fits behind the same trait.

use std::net::IpAddr;
use std::sync::Arc;

use crate::decode::PacketInfo;

/// What the flow table does after a packet was added to a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep the flow open.
    Continue,
    /// The packet ended the flow: emit and remove it.
    Close,
}

/// Why a flow was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Closed by a packet (first FIN in `cic2017`).
    Fin,
    /// Replaced because a packet arrived after the hard timeout.
    Timeout,
    /// Flushed at the end of the capture (or of all input).
    EndOfInput,
    /// Evicted because the active-flow cap was reached.
    Evicted,
}

/// A flow feature set: per-flow accumulator plus flow-ending rules.
pub trait FeatureSet {
    /// Per-flow accumulator; must be O(1) in the number of packets.
    type Flow;
    /// Stable name (`"cic2017"`).
    fn name(&self) -> &'static str;
    /// Names of the feature values, in order (no leading spaces).
    fn feature_names(&self) -> &'static [&'static str];
    /// Starts a flow with `p` as its first packet, counted forward.
    fn start(&self, p: &PacketInfo) -> Self::Flow;
    /// True when `p` must not join `flow` but start a new flow under the same key (with the
    /// old orientation).
    fn timed_out(&self, flow: &Self::Flow, p: &PacketInfo) -> bool;
    /// True when any packet at `now_us` would time `flow` out ([`FeatureSet::timed_out`]
    /// for a packet of that time).
    fn expired_at(&self, flow: &Self::Flow, now_us: i64) -> bool;
    /// Adds a later packet; `forward` says whether it comes from the flow's source address.
    fn add(&self, flow: &mut Self::Flow, p: &PacketInfo, forward: bool) -> Step;
    /// Packets in the flow so far.
    fn packets(&self, flow: &Self::Flow) -> u64;
    /// Timestamp of the first packet (µs).
    fn start_us(&self, flow: &Self::Flow) -> i64;
    /// Flows with fewer packets are not emitted.
    fn min_packets(&self) -> u64;
    /// Writes the feature values into `values` (cleared first) and returns a bit mask of the
    /// values that the reference prints as integers (bit i for `values[i]`).
    fn finish(&self, flow: &Self::Flow, values: &mut Vec<f64>) -> u128;
}

/// One emitted flow.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    /// `A-B-portA-portB-proto` with the signed-byte address order (spec §3.1).
    pub flow_id: String,
    /// Source address (the first packet's sender, inherited across a timeout split).
    pub src_ip: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination address.
    pub dst_ip: IpAddr,
    /// Destination port.
    pub dst_port: u16,
    /// 6, 17 or 0.
    pub protocol: u8,
    /// Timestamp of the first packet, µs since the epoch.
    pub start_us: i64,
    /// Name of the capture the flow came from.
    pub source: Arc<str>,
    /// Label assigned by the capture's label rules.
    pub label: Arc<str>,
    /// Why the flow was emitted.
    pub end_reason: EndReason,
    /// Feature values, in [`FeatureSet::feature_names`] order (77 for `cic2017`:
    /// `Flow Duration` … `Idle Min`).
    pub values: Vec<f64>,
    /// Bit i set: `values[i]` prints as an integer in the reference layout.
    pub int_mask: u128,
}

impl FlowRecord {
    /// The model input vector of the MachineLearningCVE layout: `Destination Port`
    /// followed by the feature values (78 entries for `cic2017`), in
    /// [`crate::csv::model_feature_names`] order. The one mapping from a flow to a model row: the
    /// `pcap` data source and live scoring both use it.
    pub fn model_vector(&self) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.values.len() + 1);
        self.push_model_row(&mut v);
        v
    }

    /// Append [`FlowRecord::model_vector`] to `out` (for filling a row-major batch).
    pub fn push_model_row(&self, out: &mut Vec<f64>) {
        out.push(f64::from(self.dst_port));
        out.extend_from_slice(&self.values);
    }
}
