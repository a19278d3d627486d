//! `anomalab serve`: the detector gives the flows `extract` gives and the predictions
//! `predict` gives; stops cleanly on SIGTERM; follows a growing, rotating Zeek log.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// The six shared captures (MANIFEST.md) and the reference captures of flows-reference.
const CAPTURES: [&str; 9] = [
    "pcap/chrissanders-synscan.pcapng",
    "pcap/stopddos-pkt.TCP.synflood.spoofed.pcap",
    "pcap/evilfingers-nmap-UDP_SCAN.pcap",
    "pcap/ppa-ftp-crack.pcap",
    "pcap/honeynet-fc4-voip.pcap",
    "pcap/hackeire2010-ipv6-loopback-http.pcap",
    "flows-reference/test.pcap",
    "flows-reference/test.pcapng",
    "flows-reference/test_sll.pcap",
];

/// Train a forest on four of the shared captures (IPv6 decoded, as `experiments/pcap_flows`).
fn capture_model(p: &Project, data: &Path) -> &'static str {
    let f = |rel: &str| data.join(rel).display().to_string();
    let spec = format!(
        "name: serve_rf\nseed: 3\ndataset:\n  source: pcap\n  target: binary\n  files: [{}, {}, {}, {}]\n  \
         extract: {{include_ipv6: true}}\n  labels: {{default: BENIGN, files: {{chrissanders-synscan.pcapng: SYN scan, \
         ppa-ftp-crack.pcap: FTP brute force}}}}\n\
         split: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n  - clean: {{non_finite: median}}\nmodels:\n  - algorithm: random_forest\n    params: {{n_estimators: 30}}\n",
        f(CAPTURES[0]),
        f(CAPTURES[3]),
        f(CAPTURES[5]),
        f(CAPTURES[4]),
    );
    p.write("serve_rf.yaml", &spec);
    p.run(&["run", "serve_rf.yaml", "--quiet"]).expect(0);
    "models/serve_rf/best.model"
}

/// The EVE lines of a file, parsed.
fn eve(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(events: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["event_type"] == t).collect()
}

#[test]
fn served_flows_equal_extract_and_their_predictions_equal_predict() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    for (i, rel) in CAPTURES.iter().enumerate() {
        let cap = data.join(rel).display().to_string();
        let csv = format!("flows{i}.csv");
        p.run(&["extract", &cap, "-o", &csv, "--include-ipv6", "--quiet"])
            .expect(0);
        let predicted = p.run(&["predict", "-m", model, "-i", &csv]);
        predicted.expect(0);
        let alerts = format!("eve{i}.json");
        let served = p.run(&["serve", "-m", model, &cap, "--flows", "--alerts", &alerts]);
        served.expect(0);
        let events = eve(&p.read(&alerts));
        let flows = of_type(&events, "flow");
        let extracted: Vec<Vec<String>> = p
            .read(&csv)
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        let predictions: Vec<Vec<String>> = predicted
            .stdout()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        assert_eq!(
            flows.len(),
            extracted.len(),
            "{rel}: one flow event per extracted flow"
        );
        for ((ev, row), pred) in flows.iter().zip(&extracted).zip(&predictions) {
            // Same flow (CICFlowMeter's Flow ID, first column of the cic85 layout) ...
            assert_eq!(ev["anomalab"]["flow_key"], row[0].as_str(), "{rel}");
            // ... same prediction, and the same probability to the last bit.
            assert_eq!(ev["anomalab"]["prediction"], pred[1].as_str(), "{rel}");
            let class = if pred[1] == "attack" { 3 } else { 2 };
            let p_pred: f64 = pred[class].parse().unwrap();
            assert_eq!(ev["anomalab"]["score"].as_f64().unwrap(), p_pred, "{rel}");
            assert_eq!(ev["flow"]["alerted"], pred[1] == "attack", "{rel}");
        }
        let with_alerts = events.len() - flows.len();
        assert!(served.stderr().contains(&format!("{} scored", flows.len())));
        assert!(with_alerts <= flows.len());
    }
}

#[test]
fn alerts_have_the_eve_fields_with_their_types() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join(CAPTURES[0]).display().to_string();
    let out = p.run(&[
        "serve",
        "-m",
        model,
        &cap,
        "--alerts",
        "-",
        "--suppress",
        "0",
    ]);
    out.expect(0);
    let events = eve(&out.stdout());
    assert!(!events.is_empty(), "a SYN scan raises alerts");
    for e in &events {
        let ts = e["timestamp"].as_str().unwrap();
        // RFC 3339 as EVE writes it: microseconds and +0000.
        assert_eq!(ts.len(), "2017-07-03T15:06:09.123456+0000".len(), "{ts}");
        assert!(ts.ends_with("+0000") && ts.as_bytes()[19] == b'.', "{ts}");
        assert!(e["flow_id"].is_u64());
        assert_eq!(e["event_type"], "alert");
        for k in ["src_ip", "dest_ip", "proto", "community_id"] {
            assert!(e[k].is_string(), "{k}");
        }
        assert!(e["src_port"].is_u64() && e["dest_port"].is_u64());
        let a = &e["alert"];
        assert_eq!(a["action"], "allowed");
        for k in ["gid", "signature_id", "rev", "severity"] {
            assert!(a[k].is_u64(), "alert.{k}");
        }
        assert!((1..=3).contains(&a["severity"].as_u64().unwrap()));
        assert_eq!(a["signature"], "anomalab attack");
        assert!(a["category"].is_string());
        for k in ["anomalab_score", "anomalab_model", "anomalab_model_sha256"] {
            let v = a["metadata"][k].as_array().unwrap_or_else(|| panic!("{k}"));
            assert!(v.iter().all(|s| s.is_string()), "{k}: a list of strings");
        }
        for k in [
            "pkts_toserver",
            "pkts_toclient",
            "bytes_toserver",
            "bytes_toclient",
        ] {
            assert!(e["flow"][k].is_u64(), "flow.{k}");
        }
        assert!(e["flow"]["start"].is_string() && e["flow"]["end"].is_string());
    }
    // The model file's hash, as `sha256sum` prints it.
    let sha = {
        use sha2::Digest;
        let bytes = std::fs::read(p.path(model)).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(
        events[0]["alert"]["metadata"]["anomalab_model_sha256"][0],
        sha.as_str()
    );
}

#[test]
fn a_scan_is_suppressed_per_source_destination_and_label() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join(CAPTURES[0]).display().to_string();
    let all = p.run(&[
        "serve",
        "-m",
        model,
        &cap,
        "--alerts",
        "-",
        "--suppress",
        "0",
    ]);
    let windowed = p.run(&["serve", "-m", model, &cap, "--alerts", "-"]);
    let (all, windowed) = (eve(&all.stdout()), eve(&windowed.stdout()));
    // One alert per (source, destination, label) and minute of traffic: count them from
    // the unsuppressed alerts, independently of the sink's bookkeeping.
    let mut last: std::collections::HashMap<(String, String), i64> = Default::default();
    let mut expected = 0;
    for e in &all {
        let end = e["flow"]["end"].as_str().unwrap().to_string();
        let t = end_us(&end);
        let key = (e["src_ip"].to_string(), e["dest_ip"].to_string());
        match last.get(&key) {
            Some(&l) if t - l < 60_000_000 => {}
            _ => {
                last.insert(key, t);
                expected += 1;
            }
        }
    }
    assert!(
        all.len() > windowed.len(),
        "{} vs {}",
        all.len(),
        windowed.len()
    );
    assert_eq!(windowed.len(), expected);
    let suppressed: u64 = windowed
        .iter()
        .filter_map(|e| e["anomalab"]["suppressed_before"].as_u64())
        .sum();
    assert!(suppressed <= (all.len() - windowed.len()) as u64);
}

/// µs of an EVE timestamp (date part ignored beyond the day: captures span one day).
fn end_us(ts: &str) -> i64 {
    let day: i64 = ts[8..10].parse().unwrap();
    let h: i64 = ts[11..13].parse().unwrap();
    let m: i64 = ts[14..16].parse().unwrap();
    let s: i64 = ts[17..19].parse().unwrap();
    let us: i64 = ts[20..26].parse().unwrap();
    (((day * 24 + h) * 60 + m) * 60 + s) * 1_000_000 + us
}

fn spawn_serve(p: &Project, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_anomalab"))
        .args(args)
        .current_dir(p.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start anomalab serve")
}

/// Wait until `cond` holds (polling), or fail after `secs`.
fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn sigterm_mid_stream_scores_every_open_flow() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let offline = p.run(&[
        "serve",
        "-m",
        model,
        cap.to_str().unwrap(),
        "--flows",
        "--alerts",
        "offline.json",
    ]);
    offline.expect(0);
    let offline = of_type(&eve(&p.read("offline.json")), "flow").len();
    let ended_early = eve(&p.read("offline.json"))
        .iter()
        .filter(|e| e["event_type"] == "flow" && e["flow"]["reason"] != "end_of_input")
        .count();
    // The whole capture goes down the pipe, which stays open: only a signal ends it.
    let mut child = spawn_serve(
        &p,
        &[
            "serve",
            "-m",
            model,
            "-",
            "--flows",
            "--alerts",
            "live.json",
        ],
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&std::fs::read(&cap).unwrap()).unwrap();
    stdin.flush().unwrap();
    let flows = || {
        std::fs::read_to_string(p.path("live.json"))
            .map(|t| {
                t.lines()
                    .filter(|l| l.contains("\"event_type\":\"flow\""))
                    .count()
            })
            .unwrap_or(0)
    };
    wait_for(30, "the flows that end before the end of input", || {
        flows() >= ended_early
    });
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        flows(),
        offline,
        "every open flow scored at shutdown\n{stderr}"
    );
    assert!(stderr.contains("packet(s) read"), "a summary: {stderr}");
}

#[test]
fn a_stream_cut_mid_packet_is_counted_and_its_flows_scored() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let bytes = std::fs::read(data.join("pcap/ppa-ftp-crack.pcap")).unwrap();
    let cut = p.write_bytes("cut.pcap", &bytes[..bytes.len() * 2 / 3 + 7]);
    let cut = cut.to_str().unwrap();
    p.run(&["extract", cut, "-o", "cut.csv", "--quiet"])
        .expect(0);
    let extracted = p.read("cut.csv").lines().count() - 1;
    let mut child = spawn_serve(
        &p,
        &["serve", "-m", model, "-", "--flows", "--alerts", "cut.json"],
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&std::fs::read(cut).unwrap()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 skipped (truncated record at end of capture 1)"),
        "{stderr}"
    );
    assert_eq!(of_type(&eve(&p.read("cut.json")), "flow").len(), extracted);
}

#[test]
fn a_model_the_input_cannot_feed_and_an_unreadable_input_are_refused() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let out = p.run(&["serve", "-m", model, "missing.pcap"]);
    out.expect(2);
    assert!(out.stderr().contains("missing.pcap"), "{}", out.stderr());
    // A zeek log for a capture model: the log lacks the flow features.
    let log = data.join("zeek/rita-json_with_all_fields-conn.log");
    let out = p.run(&["serve", "-m", model, "--zeek-log", log.to_str().unwrap()]);
    out.expect(2);
    assert!(out.stderr().contains("`Flow Duration`"), "{}", out.stderr());
    let out = p.run(&["serve", "-m", model]);
    out.expect(2);
    assert!(
        out.stderr().contains("nothing to serve"),
        "{}",
        out.stderr()
    );
    let out = p.run(&["serve", "-m", model, "-", "--replay-speed", "0"]);
    out.expect(2);
    assert!(out.stderr().contains("--replay-speed"), "{}", out.stderr());
}

/// Train the Zeek example's decision tree (experiments/zeek_conn.yaml).
fn zeek_model(p: &Project, data: &Path) -> &'static str {
    let spec = std::fs::read_to_string(repo().join("experiments/zeek_conn.yaml")).unwrap();
    let spec = spec.replace("files: zeek/", &format!("files: {}/zeek/", data.display()));
    p.write("zeek.yaml", &spec);
    p.run(&["run", "zeek.yaml", "--quiet"]).expect(0);
    "models/zeek_conn/best.model"
}

#[test]
fn a_followed_zeek_log_is_scored_as_it_grows_and_rotates() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = zeek_model(&p, &data);
    // The log as Zeek writes it (TSV), cut into three parts.
    let gz =
        std::fs::read(data.join("zeek/rita-missing_host-2024-04-19-conn.00_00_00-01_00_00.log.gz"))
            .unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let n = records.len();
    let part = |a: usize, b: usize| {
        records[a..b]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let whole = p.write("whole.log", &format!("{header}{}", part(0, n)));
    p.run(&[
        "serve",
        "-m",
        model,
        "--zeek-log",
        whole.to_str().unwrap(),
        "--flows",
        "--alerts",
        "whole.json",
    ])
    .expect(0);
    let log = p.write("conn.log", &format!("{header}{}", part(0, n / 3)));
    let mut child = spawn_serve(
        &p,
        &[
            "serve",
            "-m",
            model,
            "--zeek-log",
            log.to_str().unwrap(),
            "--follow",
            "--flows",
            "--alerts",
            "live.json",
        ],
    );
    let flows = || {
        std::fs::read_to_string(p.path("live.json"))
            .map(|t| {
                t.lines()
                    .filter(|l| l.contains("\"event_type\":\"flow\""))
                    .count()
            })
            .unwrap_or(0)
    };
    wait_for(30, "the first third", || flows() == n / 3);
    // It grows (a line written in two pieces must be read once, whole) ...
    {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let second = part(n / 3, 2 * n / 3);
        let (a, b) = second.split_at(second.len() / 2 + 3);
        f.write_all(a.as_bytes()).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(400));
        f.write_all(b.as_bytes()).unwrap();
    }
    wait_for(30, "the second third", || flows() == 2 * n / 3);
    // ... and rotates: renamed away, a new file with its own header.
    std::fs::rename(&log, p.path("conn.1.log")).unwrap();
    p.write("conn.log", &format!("{header}{}", part(2 * n / 3, n)));
    wait_for(30, "the rotated log", || flows() == n);
    sigterm(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same verdicts as reading the whole log at once, record by record.
    let strip = |t: &str| -> Vec<(String, String)> {
        of_type(&eve(t), "flow")
            .iter()
            .map(|e| {
                (
                    e["anomalab"]["flow_key"].to_string(),
                    e["anomalab"]["score"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&p.read("live.json")), strip(&p.read("whole.json")));
}
