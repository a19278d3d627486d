//! NetFlow and IPFIX flow records: from the export packets of NetFlow v5, v9 and IPFIX
//! inside a collector's capture ([`export`]) and from nfdump's CSV export
//! (`nfdump -r FILE -o csv`, [`nfdump`]). Both give [`NetflowRecord`]s, one per exported
//! (unidirectional, or for nfdump/biflow IPFIX bidirectional) flow record, and one mapping
//! to model features ([`NetflowRecord::push_model_row`], [`netflow_feature_names`]), so a
//! model trained on either reader scores the other. Addresses are never features.

pub mod export;
pub mod nfdump;

use std::net::IpAddr;

use crate::labels::FlowKey;

pub use export::{ExportSummary, read_export_capture};
pub use nfdump::{NfdumpCsv, read_nfdump_csv};

/// One flow record as an exporter reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetflowRecord {
    /// Time of the first packet, Unix milliseconds.
    pub start_ms: i64,
    /// Time of the last packet minus that of the first, milliseconds.
    pub duration_ms: i64,
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    pub src_port: u16,
    /// Destination port; for ICMP, type × 256 + code (as NetFlow v5 and nfdump report it).
    pub dst_port: u16,
    /// IP protocol number (1 for ICMP: unlike `cic2017` flows, nothing is folded to 0).
    pub protocol: u8,
    /// Cumulative OR of the TCP flags of the flow's packets.
    pub tcp_flags: u8,
    /// Type of service byte of the flow's (first) packet.
    pub tos: u8,
    pub packets: u64,
    pub bytes: u64,
    /// The reverse direction's counts (nfdump `opkt`/`obyt`, IPFIX biflow reverse
    /// elements, NetFlow v9 OUT_PKTS/OUT_BYTES); 0 when the exporter sends one-way records.
    pub out_packets: u64,
    pub out_bytes: u64,
}

/// Names of the entries [`NetflowRecord::push_model_row`] writes, in order.
pub const NETFLOW_FEATURES: [&str; 19] = [
    "Duration",
    "Protocol",
    "Src Port",
    "Dst Port",
    "TCP Flags",
    "FIN",
    "SYN",
    "RST",
    "PSH",
    "ACK",
    "URG",
    "ToS",
    "Packets",
    "Bytes",
    "Out Packets",
    "Out Bytes",
    "Bytes/s",
    "Packets/s",
    "Bytes/Packet",
];

/// [`NETFLOW_FEATURES`] as owned strings.
pub fn netflow_feature_names() -> Vec<String> {
    NETFLOW_FEATURES.iter().map(|s| s.to_string()).collect()
}

impl NetflowRecord {
    /// The model features of the record, in [`NETFLOW_FEATURES`] order: duration in
    /// seconds, the header fields, one 0/1 column per TCP flag, the counts, and rates per
    /// second of duration (0 for a record of zero duration, as nfdump computes `bps`/`pps`,
    /// so that one-packet records give no infinities) and bytes per packet.
    pub fn push_model_row(&self, out: &mut Vec<f64>) {
        let secs = self.duration_ms as f64 / 1000.0;
        let rate = |x: u64| if secs > 0.0 { x as f64 / secs } else { 0.0 };
        out.extend([
            secs,
            f64::from(self.protocol),
            f64::from(self.src_port),
            f64::from(self.dst_port),
            f64::from(self.tcp_flags),
        ]);
        for bit in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20] {
            out.push(f64::from(u8::from(self.tcp_flags & bit != 0)));
        }
        out.extend([
            f64::from(self.tos),
            self.packets as f64,
            self.bytes as f64,
            self.out_packets as f64,
            self.out_bytes as f64,
            rate(self.bytes + self.out_bytes),
            rate(self.packets + self.out_packets),
            if self.packets + self.out_packets > 0 {
                (self.bytes + self.out_bytes) as f64 / (self.packets + self.out_packets) as f64
            } else {
                0.0
            },
        ]);
    }

    /// What labelling rules look at.
    pub fn key(&self) -> FlowKey {
        FlowKey {
            src_ip: self.src_ip,
            src_port: self.src_port,
            dst_ip: self.dst_ip,
            dst_port: self.dst_port,
            protocol: self.protocol,
            start_s: self.start_ms as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_row_matches_the_names_and_rates_are_finite() {
        let r = NetflowRecord {
            start_ms: 0,
            duration_ms: 0,
            src_ip: "10.0.0.1".parse().unwrap(),
            dst_ip: "10.0.0.2".parse().unwrap(),
            src_port: 40000,
            dst_port: 80,
            protocol: 6,
            tcp_flags: 0x12,
            tos: 0,
            packets: 1,
            bytes: 60,
            out_packets: 0,
            out_bytes: 0,
        };
        let mut row = Vec::new();
        r.push_model_row(&mut row);
        assert_eq!(row.len(), NETFLOW_FEATURES.len());
        assert_eq!(row[5..11], [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(row[16..], [0.0, 0.0, 60.0]);
        let r2 = NetflowRecord {
            duration_ms: 2000,
            packets: 4,
            bytes: 400,
            out_packets: 2,
            out_bytes: 200,
            ..r
        };
        row.clear();
        r2.push_model_row(&mut row);
        assert_eq!(row[16..], [300.0, 3.0, 100.0]);
    }
}
