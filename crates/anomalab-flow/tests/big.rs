//! Parity at scale: the 607,108-packet synthetic capture of
//! `flows-reference/gen_big.py big.pcap 20000 1` against `cicflowmeter-2018/big.csv.gz`
//! (55,519 flows). The capture is generated with python3 into a cache directory (env
//! `ANOMALAB_CACHE_DIR`, else the system temp dir) and reused while its sha256 matches the
//! README's `cb167df8…2af0`. Generation takes a few seconds to half a minute.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;
use sha2::{Digest, Sha256};

const BIG_SHA256: &str = "cb167df842996a97b6f4ba36358348d9b49501a6d0f19cd8e4e3edf68f792af0";

fn sha256_file(p: &Path) -> Option<String> {
    let mut f = std::fs::File::open(p).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Path of the big capture, generated if needed.
pub fn big_pcap(data: &Path) -> PathBuf {
    // Tests of this binary run in parallel: generate the capture once.
    static GENERATE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = GENERATE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = std::env::var_os("ANOMALAB_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("anomalab-flow-cache"));
    std::fs::create_dir_all(&dir).expect("cache dir");
    let out = dir.join("big.pcap");
    if sha256_file(&out).as_deref() == Some(BIG_SHA256) {
        return out;
    }
    let tmp = dir.join(format!("big.pcap.tmp{}", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(data.join("flows-reference/gen_big.py"))
        .arg(&tmp)
        .args(["20000", "1"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs gen_big.py");
    assert!(status.success(), "gen_big.py failed");
    assert_eq!(
        sha256_file(&tmp).as_deref(),
        Some(BIG_SHA256),
        "generated big.pcap has an unexpected sha256"
    );
    std::fs::rename(&tmp, &out).expect("rename");
    out
}

#[test]
fn big_capture_matches_reference() {
    let Some(d) = data_dir() else { return };
    let p = big_pcap(&d);
    let (recs, s) = extract_file(&p);
    // README: 607,108 packets, 55,519 flows covering all of them; 20,000 sessions give
    // 40,000 TCP flows (+5,000 probes), 10,000 UDP, 519 protocol-0 flows.
    assert_eq!(s.packets_read, 607_108);
    assert_eq!(s.packets_decoded, 607_108);
    assert_eq!(recs.len(), 55_519);
    let in_flows: f64 = recs.iter().map(|r| r.values[1] + r.values[2]).sum();
    assert_eq!(in_flows, 607_108.0);
    assert_eq!(recs.iter().filter(|r| r.protocol == 6).count(), 45_000);
    assert_eq!(recs.iter().filter(|r| r.protocol == 17).count(), 10_000);
    assert_eq!(recs.iter().filter(|r| r.protocol == 0).count(), 519);
    let reference = read_reference(&d.join("flows-reference/cicflowmeter-2018/big.csv.gz"));
    let identical = assert_same_flows("big", &rows_of(&recs), &reference);
    println!(
        "big: {identical} of {} rows text-identical",
        reference.len()
    );
    assert_invariants("big", &recs);
}

#[test]
fn table_cap_bounds_memory_and_counts_evictions() {
    // With a cap of 1,000 active flows (the big capture peaks at 35,200), flows are
    // evicted early; every packet still lands in some flow or in a counted one-packet flow,
    // and the table never holds more than the cap.
    let Some(d) = data_dir() else { return };
    let p = big_pcap(&d);
    let opts = anomalab_flow::ExtractOptions {
        max_active_flows: 1_000,
        ..anomalab_flow::ExtractOptions::reference()
    };
    let (recs, s) = extract(std::fs::File::open(&p).unwrap(), "big", opts);
    assert!(s.flows_evicted > 0);
    assert_eq!(s.peak_active_flows, 1_000);
    let in_flows: u64 = recs
        .iter()
        .map(|r| (r.values[1] + r.values[2]) as u64)
        .sum();
    assert_eq!(in_flows + s.flows_too_short, 607_108);
    let evicted = recs
        .iter()
        .filter(|r| r.end_reason == anomalab_flow::EndReason::Evicted)
        .count() as u64;
    assert!(evicted <= s.flows_evicted);
}

#[test]
fn big_capture_reads_identically_in_resync_mode() {
    let Some(d) = data_dir() else { return };
    let p = big_pcap(&d);
    let (strict, mut s1) = extract_file(&p);
    let mut ex = anomalab_flow::Extractor::new(anomalab_flow::ExtractOptions::reference());
    ex.set_resync(true);
    ex.feed_capture(std::fs::File::open(&p).unwrap(), &p.display().to_string())
        .unwrap();
    let (resync, mut s2) = ex.finish();
    (s1.elapsed, s2.elapsed) = Default::default();
    assert_eq!(s2, s1);
    assert!(rows_of(&resync) == rows_of(&strict), "flows differ");
}
