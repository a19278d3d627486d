//! `anomalab extract` on the real captures.

use super::*;

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
