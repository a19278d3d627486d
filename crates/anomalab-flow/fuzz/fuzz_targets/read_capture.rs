//! Fuzz target: any byte string fed as a capture (pcap, pcapng, gzip, garbage) and as a
//! Zeek log must end in `Ok` or a typed error, never a panic; emitted flows must format.
//!
//! Run (stable toolchain; cargo-fuzz needs `-Z` flags): `cd crates/anomalab-flow/fuzz &&
//! RUSTC_BOOTSTRAP=1 cargo fuzz run read_capture -- -max_total_time=300`
#![no_main]

use anomalab_flow::{CsvLayout, ExtractOptions, Extractor, write_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for padding in [false, true] {
        let opts = ExtractOptions {
            include_ipv6: true,
            count_l2_padding: padding,
            max_active_flows: 64,
            ..ExtractOptions::default()
        };
        let mut ex = Extractor::new(opts);
        let r = ex.feed_capture(data, "fuzz");
        let (recs, s) = ex.finish();
        if r.is_ok() {
            assert_eq!(s.packets_read, s.packets_decoded + s.packets_skipped());
        }
        let _ = write_csv(&recs, CsvLayout::Cic85, std::io::sink());
    }
    let _ = anomalab_flow::zeek::read_conn_log(data, "fuzz");
});
