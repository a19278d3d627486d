//! Shared helpers of the integration tests: data lookup (env `ANOMALAB_DATA_DIR`, else
//! `<repo>/../shared/datasets`), running the extractor, and the reference-CSV comparison of
//! spec §8 (join on identity columns, exact integer columns, 1e-9 relative floats, same
//! non-finite class) plus the invariants of §6.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anomalab_flow::csv::format_row;
use anomalab_flow::{CIC85_HEADER, CsvLayout, ExtractOptions, Extractor, FlowRecord, Summary};

/// The dataset directory, or `None` (after printing a skip line) when it is missing and
/// `ANOMALAB_ALLOW_MISSING_DATA=1`. Panics with a clear message otherwise.
pub fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ANOMALAB_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    if dir.join("flows-reference").is_dir() {
        return Some(dir);
    }
    if std::env::var("ANOMALAB_ALLOW_MISSING_DATA").as_deref() == Ok("1") {
        println!(
            "skipped: dataset directory {} not found (set ANOMALAB_DATA_DIR)",
            dir.display()
        );
        return None;
    }
    panic!(
        "dataset directory {} (with flows-reference/) not found: set ANOMALAB_DATA_DIR to the \
         shared datasets directory, or ANOMALAB_ALLOW_MISSING_DATA=1 to skip",
        dir.display()
    );
}

/// Small deterministic generator (SplitMix64) for seeded random inputs.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Runs the extractor on one reader.
pub fn extract(reader: impl Read, name: &str, opts: ExtractOptions) -> (Vec<FlowRecord>, Summary) {
    let mut ex = Extractor::new(opts);
    ex.feed_capture(reader, name).expect("capture reads");
    ex.finish()
}

/// Runs the extractor on a file with the reference settings (padding off, IPv6 off).
pub fn extract_file(path: &Path) -> (Vec<FlowRecord>, Summary) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    extract(f, &path.display().to_string(), ExtractOptions::reference())
}

/// Our rows as CSV cells (85-column layout, UTC).
pub fn rows_of(records: &[FlowRecord]) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|r| {
            let mut s = String::new();
            format_row(r, CsvLayout::Cic85, 0, &mut s);
            s.split(',').map(str::to_string).collect()
        })
        .collect()
}

/// Parses a reference CSV (plain or gzip); checks the header is byte-identical to ours.
pub fn read_reference(path: &Path) -> Vec<Vec<String>> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .expect("gzip csv");
    } else {
        std::io::BufReader::new(f)
            .read_to_string(&mut text)
            .expect("csv");
    }
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(CIC85_HEADER),
        "{}: header",
        path.display()
    );
    lines
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .inspect(|c| assert_eq!(c.len(), 85, "{}: row width", path.display()))
        .collect()
}

/// Columns (85-column indices) checked with the float rule of spec §8.4; all others are
/// exact (§8.3). Means, std, variance, rates, Average Packet Size, segment sizes,
/// Active/Idle Mean/Std.
pub const FLOAT_COLS: [usize; 24] = [
    14, 15, 18, 19, 20, 21, 22, 23, 27, 28, 32, 33, 42, 43, 46, 47, 48, 58, 59, 60, 76, 77, 80, 81,
];

fn is_float_col(i: usize) -> bool {
    FLOAT_COLS.contains(&i)
}

fn num(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
    }
}

fn class(x: f64) -> u8 {
    if x.is_nan() {
        1
    } else if x == f64::INFINITY {
        2
    } else if x == f64::NEG_INFINITY {
        3
    } else {
        0
    }
}

/// Compares two cells of column `i` under §8 rules; returns a description on mismatch.
fn cell_mismatch(i: usize, a: &str, b: &str) -> Option<String> {
    match i {
        // Flow ID, Source IP, Destination IP, Timestamp: strings. Label is ignored.
        0 | 1 | 3 | 6 => (a != b).then(|| format!("col {i}: {a} != {b}")),
        84 => None,
        _ => {
            let (x, y) = (num(a), num(b));
            if class(x) != class(y) {
                return Some(format!("col {i}: class {a} vs {b}"));
            }
            if class(x) != 0 {
                return None;
            }
            let ok = if is_float_col(i) {
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) || (x - y).abs() <= 1e-9
            } else {
                x == y
            };
            (!ok).then(|| format!("col {i}: {a} != {b}"))
        }
    }
}

fn join_key(r: &[String]) -> String {
    // Source IP, Source Port, Destination IP, Destination Port, Protocol, start second
    // (Timestamp), Total Fwd Packets, Total Backward Packets (spec §8.2).
    [1, 2, 3, 4, 5, 6, 8, 9].map(|i| r[i].as_str()).join("|")
}

fn sort_group(g: &mut [&Vec<String>]) {
    g.sort_by(|a, b| {
        num(&a[7])
            .total_cmp(&num(&b[7]))
            .then_with(|| a[10..84].cmp(&b[10..84]))
    });
}

/// Asserts that `ours` and `reference` hold the same multiset of flows and agree cell by
/// cell under the §8 rules. Returns the number of rows that are also text-identical.
pub fn assert_same_flows(what: &str, ours: &[Vec<String>], reference: &[Vec<String>]) -> usize {
    let mut a: BTreeMap<String, Vec<&Vec<String>>> = BTreeMap::new();
    let mut b: BTreeMap<String, Vec<&Vec<String>>> = BTreeMap::new();
    for r in ours {
        a.entry(join_key(r)).or_default().push(r);
    }
    for r in reference {
        b.entry(join_key(r)).or_default().push(r);
    }
    let missing: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: flow sets differ; missing (first 5) {missing:?}, extra {extra:?}"
    );
    assert_eq!(ours.len(), reference.len(), "{what}: flow count");
    let mut identical = 0;
    let mut problems = Vec::new();
    for (k, ga) in a.iter_mut() {
        let gb = b.get_mut(k).expect("same keys");
        assert_eq!(ga.len(), gb.len(), "{what}: multiplicity of {k}");
        sort_group(ga);
        sort_group(gb);
        for (ra, rb) in ga.iter().zip(gb.iter()) {
            if ra[..84] == rb[..84] {
                identical += 1;
            }
            for i in 0..85 {
                if let Some(m) = cell_mismatch(i, &ra[i], &rb[i]) {
                    problems.push(format!("{}: {m}", ra[0]));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{what}: {} cell mismatches, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    identical
}

/// Spec §6 invariants on our output.
pub fn assert_invariants(what: &str, records: &[FlowRecord]) {
    for r in records {
        let v = &r.values;
        let c = |name: &str| {
            let i = anomalab_flow::cic2017::FEATURE_NAMES
                .iter()
                .position(|n| *n == name)
                .unwrap_or_else(|| panic!("no column {name}"));
            v[i]
        };
        let id = &r.flow_id;
        assert_eq!(
            v[29],
            c("SYN Flag Count"),
            "{what} {id}: Fwd PSH == SYN count"
        );
        assert_eq!(v[31], v[48], "{what} {id}: Fwd URG == CWE count");
        assert_eq!(v[61], v[1], "{what} {id}: subflow fwd packets");
        assert_eq!(v[62], v[3], "{what} {id}: subflow fwd bytes");
        assert_eq!(v[63], v[2], "{what} {id}: subflow bwd packets");
        assert_eq!(v[64], v[4], "{what} {id}: subflow bwd bytes");
        assert_eq!(v[33], v[54], "{what} {id}: both Fwd Header Length");
        for i in [30, 32, 55, 56, 57, 58, 59, 60] {
            assert_eq!(v[i], 0.0, "{what} {id}: constant-zero column {i}");
        }
        let n = v[1] + v[2];
        assert!(n >= 2.0, "{what} {id}: at least 2 packets");
        let aps = c("Average Packet Size");
        let plm = c("Packet Length Mean");
        assert!(
            (aps - plm * (n + 1.0) / n).abs() <= 1e-9 * aps.abs().max(1.0),
            "{what} {id}: Average Packet Size {aps} vs mean {plm} x (n+1)/n"
        );
        assert!(
            (v[52] - v[7]).abs() <= 1e-12 * v[52].abs().max(1.0),
            "{what} {id}: fwd seg"
        );
        if v[2] > 0.0 {
            assert!(
                (v[53] - v[11]).abs() <= 1e-12 * v[53].abs().max(1.0),
                "{what} {id}: bwd seg"
            );
        }
        assert_eq!(
            v[50],
            (v[2] as u64 / v[1] as u64) as f64,
            "{what} {id}: Down/Up"
        );
        assert!(v[67] <= v[1] - 1.0, "{what} {id}: act_data_pkt_fwd");
        assert!(v[0] <= 120_000_000.0, "{what} {id}: duration");
        for (i, x) in v.iter().enumerate().take(50).skip(42) {
            assert!(*x == 0.0 || *x == 1.0, "{what} {id}: flag column {i}");
        }
    }
}

/// The captures of `MANIFEST.md` (paths in its table relative to `shared/`) and every
/// capture in `flows-reference/`.
pub fn shared_captures(d: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(d.join("MANIFEST.md"))
        .unwrap_or_else(|e| panic!("{}: {e}", d.join("MANIFEST.md").display()));
    let is_capture = |p: &str| p.ends_with(".pcap") || p.ends_with(".pcapng");
    let mut out: Vec<PathBuf> = manifest
        .lines()
        .flat_map(|l| l.split('|').map(str::trim))
        .filter_map(|c| c.strip_prefix("datasets/"))
        .filter(|c| is_capture(c))
        .map(|c| d.join(c))
        .collect();
    let listed = out.len();
    assert!(
        listed >= 6,
        "MANIFEST.md lists {listed} captures, expected 6"
    );
    let refs = std::fs::read_dir(d.join("flows-reference")).expect("flows-reference");
    for e in refs {
        let p = e.expect("dir entry").path();
        if is_capture(&p.to_string_lossy()) {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    out
}
