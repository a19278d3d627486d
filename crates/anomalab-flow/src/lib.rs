//! Packet captures to flows: capture readers (pcap, pcapng, gzip, stdin), link/network/
//! transport decoding, a bounded flow table, and flow feature sets (CIC-IDS2017-exact
//! `cic2017` first), CSV output in the CIC-IDS2017 layouts, capture labelling rules, a
//! Zeek `conn.log` reader, and NetFlow/IPFIX records (export packets in captures, nfdump
//! CSV).
//!
//! The `cic2017` feature set reproduces CICFlowMeter at commit `eaa853d` (the generator of
//! CIC-IDS2017) as specified in `docs/cic2017-flow-features.md`, with the spec's
//! recommended deviations: Linux cooked (SLL/SLL2), raw IP and loopback captures are decoded
//! like Ethernet, and IPv6 is off by default ([`ExtractOptions::include_ipv6`]). One more
//! deliberate deviation: the reference reads the payload of any Ethernet frame as an IPv4
//! header, which can turn ARP and IPv6 frames into junk protocol-0 flows between addresses
//! taken from arbitrary bytes (issue 23); here a frame that is not IPv4 (or IPv6 when it is on) is skipped and
//! counted ([`SkipReason::NonIp`], [`SkipReason::Ipv6Disabled`]). The
//! Ethernet-padding switch [`ExtractOptions::count_l2_padding`] is on by default (as in the
//! published CSVs); [`ExtractOptions::reference`] turns it off to reproduce the reference
//! CSVs of `flows-reference`.
//!
//! # Example
//!
//! ```no_run
//! use anomalab_flow::{CsvLayout, ExtractOptions, Extractor, LabelSpec, write_csv};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut ex = Extractor::new(ExtractOptions::default());
//! ex.set_progress(|p| eprintln!("{}: {} bytes, {} packets", p.source, p.capture_bytes, p.packets_read));
//! // pcap, pcapng or .gz of either; any `Read` works, e.g. `std::io::stdin().lock()`.
//! let file = std::fs::File::open("capture.pcap.gz")?;
//! let labels = LabelSpec::constant("SYN scan");
//! ex.feed_capture_labeled(std::io::BufReader::new(file), "capture.pcap.gz", &labels)?;
//! let (flows, summary) = ex.finish();
//! eprintln!("{summary}");
//! write_csv(&flows, CsvLayout::Cic85, std::io::stdout().lock())?;
//! # Ok(())
//! # }
//! ```
//!
//! For large inputs use [`Extractor::with_sink`] and a [`CsvWriter`] so that memory
//! depends on the active flows only:
//!
//! ```no_run
//! use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut out = CsvWriter::new(std::io::stdout().lock(), CsvLayout::Mlcve79)?;
//! let mut ex = Extractor::with_sink(ExtractOptions::default(), |flow| {
//!     out.write(&flow).expect("write");
//! });
//! ex.feed_capture(std::io::stdin().lock(), "-")?;
//! let (_, summary) = ex.finish();
//! eprintln!("{summary}");
//! # Ok(())
//! # }
//! ```

pub mod cic2017;
pub mod community;
pub mod csv;
pub mod decode;
pub mod error;
pub mod extract;
pub mod features;
pub mod javafmt;
pub mod labels;
pub mod netflow;
pub mod reader;
pub mod stats;
pub mod zeek;

pub use crate::community::community_id;
pub use crate::csv::{
    CIC85_HEADER, CsvLayout, CsvWriter, MLCVE79_HEADER, civil_from_days, identity_columns,
    model_feature_names, write_csv,
};
pub use crate::decode::{PacketInfo, SkipReason};
pub use crate::error::FlowError;
pub use crate::extract::{ExtractOptions, Extractor, FeatureSetKind, Progress, Summary};
pub use crate::features::{EndReason, FeatureSet, FlowRecord};
pub use crate::labels::{Cidr, FlowKey, LabelRule, LabelSpec, protocol_number};
pub use crate::netflow::{NETFLOW_FEATURES, NetflowRecord, netflow_feature_names};
