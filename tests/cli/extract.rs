//! `anomalab extract` on the real captures.

use super::*;
use anomalab::data::ColumnData;

fn rows(csv: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv.lines().skip(1).map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn extract_reproduces_the_reference_flows_and_stdin_equals_the_file() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let pcap = data.join("pcap/chrissanders-synscan.pcapng");
    let out = p.run(&[
        "extract",
        pcap.to_str().unwrap(),
        "-o",
        "flows.csv",
        "--count-l2-padding",
        "off",
        "--quiet",
    ]);
    out.expect(0);
    let ours = p.read("flows.csv");
    let reference = std::fs::read_to_string(
        data.join("flows-reference/cicflowmeter-2018/chrissanders-synscan.csv"),
    )
    .unwrap();
    // Same header, same number of flows (the full column-by-column comparison is in the
    // anomalab-flow conformance tests).
    assert_eq!(ours.lines().next(), reference.lines().next());
    assert_eq!(rows(&ours).len(), rows(&reference).len());

    // The same capture through standard input.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_anomalab"))
        .args([
            "extract",
            "-",
            "-o",
            "-",
            "--count-l2-padding",
            "off",
            "--quiet",
        ])
        .stdin(std::fs::File::open(&pcap).unwrap())
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let piped = String::from_utf8(child.stdout).unwrap();
    assert_eq!(rows(&piped), rows(&ours));
}

#[test]
fn a_corrupt_capture_is_a_clear_error_and_writes_nothing() {
    let p = Project::new();
    p.write_bytes("bad.pcap", b"this is not a capture file at all");
    let out = p.run(&["extract", "bad.pcap", "-o", "flows.csv", "--quiet"]);
    out.expect(2);
    assert!(out.stderr().contains("bad.pcap"), "{}", out.stderr());
    assert!(!p.path("flows.csv").exists());
}

#[test]
fn parquet_output_holds_the_same_flows_as_the_csv() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let pcap = data.join("pcap/honeynet-fc4-voip.pcap");
    for (out, layout) in [
        ("flows.csv", "cic85"),
        ("flows.parquet", "cic85"),
        ("ml.csv", "mlcve79"),
        ("ml.parquet", "mlcve79"),
    ] {
        p.run(&[
            "extract",
            pcap.to_str().unwrap(),
            "-o",
            out,
            "--layout",
            layout,
            "--label",
            "VoIP",
            "--quiet",
        ])
        .expect(0);
    }
    let read = |f: &str| {
        anomalab::data::read_file(
            &p.path(f),
            &anomalab::data::ReadOptions {
                label: Some(" Label".into()),
                ..Default::default()
            },
        )
        .unwrap()
    };
    for (csv, parquet, n_cols) in [
        ("flows.csv", "flows.parquet", 84),
        ("ml.csv", "ml.parquet", 78),
    ] {
        let (c, q) = (read(csv), read(parquet));
        assert_eq!(c.table.n_rows(), q.table.n_rows());
        assert!(c.table.n_rows() > 100);
        assert_eq!(c.table.n_cols(), n_cols);
        assert_eq!(c.labels, q.labels);
        // same names (the CSV's duplicate ` Fwd Header Length` is `.1` in both)
        assert_eq!(c.table.names(), q.table.names());
        for (a, b) in c.table.columns.iter().zip(&q.table.columns) {
            if a.name == " Timestamp" {
                continue; // text in the CSV, microseconds in Parquet
            }
            match (&a.data, &b.data) {
                (ColumnData::Numeric(x), ColumnData::Numeric(y)) => {
                    // Java's Double.toString output parses back to the same double
                    for (u, v) in x.iter().zip(y) {
                        assert!(
                            u == v || (u.is_nan() && v.is_nan()),
                            "{}: {u} vs {v}",
                            a.name
                        );
                    }
                }
                (ColumnData::Categorical { .. }, ColumnData::Categorical { .. }) => {
                    for r in 0..c.table.n_rows() {
                        assert_eq!(a.data.text(r), b.data.text(r), "{}", a.name);
                    }
                }
                _ => panic!("{}: types differ", a.name),
            }
        }
    }
}

/// The user's path from a capture to predictions: `extract` writes CICFlowMeter's layout
/// (leading-space names, identity columns, a `Label`), and `predict` with a model trained
/// on `source: pcap` scores that file as it is, in either layout.
#[test]
fn predict_scores_an_extract_csv_with_a_capture_model() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let syn = data.join("pcap/chrissanders-synscan.pcapng");
    let http = data.join("pcap/hackeire2010-ipv6-loopback-http.pcap");
    let spec = format!(
        "name: capture_model\nseed: 7\ndataset:\n  source: pcap\n  target: binary\n  files: [{}, {}]\n  \
         extract: {{include_ipv6: true}}\n  labels: {{default: BENIGN, files: {{chrissanders-synscan.pcapng: SYN scan}}}}\n\
         split: {{kind: holdout, test_size: 0.3}}\nmodels:\n  - algorithm: decision_tree\n",
        syn.display(),
        http.display()
    );
    p.write("capture.yaml", &spec);
    p.run(&["run", "capture.yaml", "--quiet"]).expect(0);
    let model = "models/capture_model/best.model";
    let syn = syn.to_str().unwrap();
    let mut predictions = Vec::new();
    for layout in ["cic85", "mlcve79"] {
        let csv = format!("flows-{layout}.csv");
        p.run(&["extract", syn, "-o", &csv, "--layout", layout, "--quiet"])
            .expect(0);
        let out = p.run(&["predict", "--model", model, "--input", &csv]);
        out.expect(0);
        // An ordinary file, like every other output (the temporary file was private).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.path(&csv))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644, "{csv}");
        }
        let flows = p.read(&csv).lines().count() - 1;
        let rows: Vec<String> = out.stdout().lines().skip(1).map(String::from).collect();
        assert_eq!(rows.len(), flows, "{layout}: one prediction per flow");
        predictions.push(rows);
    }
    assert_eq!(
        predictions[0], predictions[1],
        "both layouts give the same predictions"
    );
    // A tree trained on 70 % of these very flows (SYN scan vs benign HTTP) calls nearly all
    // of them attacks.
    let attacks = predictions[0]
        .iter()
        .filter(|r| r.split(',').nth(1) == Some("attack"))
        .count();
    assert!(
        attacks * 100 >= predictions[0].len() * 95,
        "{attacks} of {} flows predicted attack",
        predictions[0].len()
    );
}
