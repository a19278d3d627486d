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
pub(crate) fn capture_model(p: &Project, data: &Path) -> &'static str {
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
        // Serve emits a flow once the traffic's clock passes its timeout, extract at the
        // end of input: the same flows in another order, so compare them sorted.
        let mut got: Vec<(String, String, f64, bool)> = flows
            .iter()
            .map(|ev| {
                let a = &ev["anomalab"];
                let key = a["flow_key"].as_str().unwrap().to_string();
                let label = a["prediction"].as_str().unwrap().to_string();
                (
                    key,
                    label,
                    a["score"].as_f64().unwrap(),
                    ev["flow"]["alerted"] == true,
                )
            })
            .collect();
        // Same flow (CICFlowMeter's Flow ID, first column of the cic85 layout), same
        // prediction, the same probability to the last bit.
        let mut expected: Vec<(String, String, f64, bool)> = extracted
            .iter()
            .zip(&predictions)
            .map(|(row, pred)| {
                let class = if pred[1] == "attack" { 3 } else { 2 };
                let p: f64 = pred[class].parse().unwrap();
                (row[0].clone(), pred[1].clone(), p, pred[1] == "attack")
            })
            .collect();
        let order = |a: &(String, String, f64, bool), b: &(String, String, f64, bool)| {
            (&a.0, &a.1, a.2.to_bits()).cmp(&(&b.0, &b.1, b.2.to_bits()))
        };
        got.sort_by(order);
        expected.sort_by(order);
        assert!(
            got == expected,
            "{rel}: served flows differ from extract + predict"
        );
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

/// `anomalab serve -m model - --flows --alerts alerts` with `bytes` on standard input.
fn pipe_to_serve(p: &Project, model: &str, bytes: &[u8], alerts: &str) -> std::process::Output {
    let mut child = spawn_serve(
        p,
        &["serve", "-m", model, "-", "--flows", "--alerts", alerts],
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(bytes).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

pub(crate) fn sigterm(child: &Child) {
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
    let out = pipe_to_serve(&p, model, &std::fs::read(cut).unwrap(), "cut.json");
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
    let child = spawn_serve(
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

/// Network namespaces joined by a veth pair, removed on drop.
#[cfg(all(feature = "live", target_os = "linux"))]
struct Netns {
    a: String,
    b: String,
}

#[cfg(all(feature = "live", target_os = "linux"))]
impl Netns {
    fn new() -> Self {
        let id = std::process::id() % 100_000;
        let n = Netns {
            a: format!("anomalab-a{id}"),
            b: format!("anomalab-b{id}"),
        };
        let (va, vb) = (format!("alva{id}"), format!("alvb{id}"));
        for cmd in [
            format!("netns add {}", n.a),
            format!("netns add {}", n.b),
            format!("link add {va} type veth peer name {vb}"),
            format!("link set {va} netns {}", n.a),
            format!("link set {vb} netns {}", n.b),
            format!("-n {} addr add 10.199.0.1/24 dev {va}", n.a),
            format!("-n {} addr add 10.199.0.2/24 dev {vb}", n.b),
            format!("-n {} link set {va} up", n.a),
            format!("-n {} link set {vb} up", n.b),
        ] {
            let ok = Command::new("ip").args(cmd.split(' ')).status();
            assert!(
                ok.is_ok_and(|s| s.success()),
                "`ip {cmd}` failed: the live test needs root and iproute2 (./test.sh installs it)"
            );
        }
        n
    }

    fn vb(&self) -> String {
        self.b.replace("anomalab-b", "alvb")
    }

    fn exec(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }
}

#[cfg(all(feature = "live", target_os = "linux"))]
impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Python's own AF_PACKET socket writes what the interface sees to a pcap: an independent
/// capture of the same frames, to extract and compare with what serve saw live.
#[cfg(all(feature = "live", target_os = "linux"))]
const PY_CAPTURE: &str = r#"
import socket, struct, sys, time, signal
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(0.1)
out = open(sys.argv[2], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
out.flush()
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
open(sys.argv[2] + ".ready", "w").close()
while not stop:
    try:
        f = s.recv(262144)
    except socket.timeout:
        continue
    t = time.time()
    out.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(f), len(f)) + f)
    out.flush()
"#;

#[cfg(all(feature = "live", target_os = "linux"))]
#[test]
fn a_live_interface_is_scored_like_a_capture_of_it() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let ns = Netns::new();
    let vb = ns.vb();
    let model_path = p.path(model).display().to_string();
    let live_json = p.path("live.json").display().to_string();
    let serve = ns
        .exec(
            &ns.b,
            &[
                env!("CARGO_BIN_EXE_anomalab"),
                "serve",
                "-m",
                &model_path,
                "--interface",
                &vb,
                "--flows",
                "--alerts",
                &live_json,
            ],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pcap = p.path("ref.pcap").display().to_string();
    let mut reference = ns
        .exec(&ns.b, &["python3", "-c", PY_CAPTURE, &vb, &pcap])
        .spawn()
        .unwrap();
    wait_for(20, "the reference capture", || {
        p.path("ref.pcap.ready").exists()
    });
    std::thread::sleep(Duration::from_millis(300));
    // Three TCP exchanges and UDP datagrams from a to b.
    let server = ns
        .exec(&ns.b, &["python3", "-c", "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('10.199.0.2', 8080)); s.listen(5)\nfor i in range(3):\n    c,_=s.accept(); c.recv(100); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\nhi'); c.close()"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let client = ns
        .exec(&ns.a, &["python3", "-c", "import socket, time\nfor i in range(3):\n    c=socket.create_connection(('10.199.0.2', 8080)); c.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); c.recv(100); c.close()\nu=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(4):\n    u.sendto(b'x'*(10+i), ('10.199.0.2', 5353)); time.sleep(0.01)"])
        .status()
        .unwrap();
    assert!(client.success());
    let _ = server.wait_with_output();
    std::thread::sleep(Duration::from_millis(500));
    sigterm(&serve);
    sigterm(&reference);
    let _ = reference.wait();
    let out = serve.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The reference capture, extracted, has the same flows with the same counts.
    p.run(&["extract", &pcap, "-o", "ref.csv", "--quiet"])
        .expect(0);
    let reference = p.run(&[
        "serve", "-m", model, &pcap, "--flows", "--alerts", "ref.json",
    ]);
    reference.expect(0);
    let key = |e: &&serde_json::Value| {
        let f = &e["flow"];
        format!(
            "{} {} {} {} {} {}",
            e["anomalab"]["flow_key"],
            f["pkts_toserver"],
            f["pkts_toclient"],
            f["bytes_toserver"],
            f["bytes_toclient"],
            e["anomalab"]["prediction"]
        )
    };
    let mut live: Vec<String> = of_type(&eve(&p.read("live.json")), "flow")
        .iter()
        .map(key)
        .collect();
    let mut reference: Vec<String> = of_type(&eve(&p.read("ref.json")), "flow")
        .iter()
        .map(key)
        .collect();
    // Only the exchanges of the test: the link's own IPv6 chatter (MLD, DAD) starts when
    // the veth comes up, before or after either capture starts.
    live.retain(|k| k.starts_with("\"10.199."));
    reference.retain(|k| k.starts_with("\"10.199."));
    live.sort();
    reference.sort();
    assert!(
        live.len() >= 4,
        "three TCP exchanges and a UDP flow: {live:?}\n{stderr}"
    );
    assert_eq!(live, reference);
}

/// `bytes` (a little-endian pcap) with `junk` inserted after the records numbered in `after`.
fn with_garbage(bytes: &[u8], after: &[usize], junk: &[u8]) -> Vec<u8> {
    let mut out = bytes[..24].to_vec();
    let (mut at, mut index) = (24, 0);
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.extend_from_slice(&bytes[at..at + 16 + caplen]);
        at += 16 + caplen;
        index += 1;
        if after.contains(&index) {
            out.extend_from_slice(junk);
        }
    }
    out
}

#[test]
fn garbage_between_packets_is_counted_and_skipped() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let clean = std::fs::read(&cap).unwrap();
    assert_eq!(
        &clean[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "a little-endian pcap"
    );
    // Seeded junk: an xorshift stream, and a run of 0xff.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut junk: Vec<u8> = (0..300)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    junk.extend([0xff; 64]);
    let dirty = with_garbage(&clean, &[10, 2000, 9000], &junk);
    let out = pipe_to_serve(&p, model, &dirty, "dirty.json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("malformed record 3"),
        "three skipped runs: {stderr}"
    );
    p.run(&[
        "serve",
        "-m",
        model,
        cap.to_str().unwrap(),
        "--flows",
        "--alerts",
        "clean.json",
    ])
    .expect(0);
    let flows = |f: &str| -> Vec<String> {
        of_type(&eve(&p.read(f)), "flow")
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["anomalab"]["flow_key"], e["flow"]["pkts_toserver"], e["anomalab"]["score"]
                )
            })
            .collect()
    };
    assert_eq!(flows("dirty.json"), flows("clean.json"));
}

#[test]
fn the_flow_table_is_bounded_and_evictions_are_counted_as_extract_counts_them() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/chrissanders-synscan.pcapng");
    let cap = cap.to_str().unwrap();
    let args = ["--max-active-flows", "50"];
    p.run(&[&["extract", cap, "-o", "capped.csv", "--quiet"][..], &args].concat())
        .expect(0);
    let extracted = p.read("capped.csv").lines().count() - 1;
    let out = p.run(
        &[
            &[
                "serve",
                "-m",
                model,
                cap,
                "--flows",
                "--alerts",
                "capped.json",
            ][..],
            &args,
        ]
        .concat(),
    );
    out.expect(0);
    let events = eve(&p.read("capped.json"));
    let flows = of_type(&events, "flow");
    assert_eq!(flows.len(), extracted);
    let evicted = flows
        .iter()
        .filter(|e| e["flow"]["reason"] == "evicted")
        .count();
    assert!(
        evicted > 0,
        "a SYN flood of spoofed sources overflows 50 flows"
    );
    assert!(out.stderr().contains(" evicted)"), "{}", out.stderr());
}

#[test]
fn a_json_zeek_log_is_scored_record_by_record() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = zeek_model(&p, &data);
    let log = data.join("zeek/rita-json_with_all_fields-conn.log");
    let records = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .count();
    let out = p.run(&[
        "serve",
        "-m",
        model,
        "--zeek-log",
        log.to_str().unwrap(),
        "--flows",
        "--alerts",
        "-",
    ]);
    out.expect(0);
    let events = eve(&out.stdout());
    let flows = of_type(&events, "flow");
    assert_eq!(flows.len(), records);
    // Zeek's own uid is the flow key; the endpoints are the log's.
    assert!(flows.iter().all(|e| {
        e["anomalab"]["flow_key"]
            .as_str()
            .is_some_and(|u| u.starts_with('C'))
    }));
    assert!(flows.iter().all(|e| e["flow"]["reason"] == "logged"));
}

#[test]
fn sighup_reopens_the_alerts_file_and_loses_no_alert() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let bytes = std::fs::read(&cap).unwrap();
    let whole = pipe_to_serve(&p, model, &bytes, "whole.json");
    assert_eq!(whole.status.code(), Some(0));
    let expected = p.read("whole.json").lines().count();
    let mut child = spawn_serve(
        &p,
        &["serve", "-m", model, "-", "--flows", "--alerts", "a.json"],
    );
    let mut stdin = child.stdin.take().unwrap();
    let half = bytes.len() / 2;
    stdin.write_all(&bytes[..half]).unwrap();
    stdin.flush().unwrap();
    let lines = |f: &str| std::fs::read_to_string(p.path(f)).map_or(0, |t| t.lines().count());
    wait_for(30, "alerts of the first half", || lines("a.json") > 100);
    // logrotate: move the file away, then SIGHUP; serve reopens (creates) the path.
    std::fs::rename(p.path("a.json"), p.path("a.json.1")).unwrap();
    let ok = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    wait_for(30, "the reopened alerts file", || p.path("a.json").exists());
    stdin.write_all(&bytes[half..]).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        lines("a.json") > 0,
        "lines after the rotation go to the new file"
    );
    assert_eq!(lines("a.json.1") + lines("a.json"), expected);
}

/// `GET path` over loopback (HTTP/1.1, connection closed): (status, body).
fn http_get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Chunked bodies: this client only reads small JSON or text bodies, joined.
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.split("\r\n")
            .skip(1)
            .step_by(2)
            .collect::<Vec<_>>()
            .join("")
    } else {
        body.to_string()
    };
    (status, body)
}

/// A running `serve -m MODEL --http 127.0.0.1:0 ...`, killed if the test fails before
/// it stops it (a failing test must not leave a server behind).
pub(crate) struct Served {
    child: Option<Child>,
    pub port: u16,
}

impl Served {
    /// Start serve with `model` on a free loopback port, then `args`; read the port it
    /// prints.
    pub(crate) fn start(p: &Project, model: &str, args: &[&str]) -> Served {
        use std::io::BufRead;
        let mut argv = vec!["serve", "-m", model, "--http", "127.0.0.1:0"];
        argv.extend_from_slice(args);
        let mut child = spawn_serve(p, &argv);
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let port = loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
                break rest.split(' ').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining standard error so that serve never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Served {
            child: Some(child),
            port,
        }
    }

    /// SIGTERM, then serve's exit code.
    pub(crate) fn stop(mut self) -> Option<i32> {
        let child = self.child.take().unwrap();
        sigterm(&child);
        child.wait_with_output().unwrap().status.code()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn the_http_api_reports_what_the_detector_does_and_stops_on_sigterm() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/chrissanders-synscan.pcapng");
    let served = Served::start(
        &p,
        model,
        &[
            cap.to_str().unwrap(),
            "--alerts",
            "a.json",
            "--suppress",
            "0",
        ],
    );
    let port = served.port;
    let alerts =
        |p: &Project| std::fs::read_to_string(p.path("a.json")).map_or(0, |t| t.lines().count());
    // The capture is read to its end; the API stays up.
    let metric = |name: &str| -> Option<f64> {
        let (_, text) = http_get(port, "/metrics", None);
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
    };
    wait_for(30, "every flow scored", || {
        metric("anomalab_flows_scored_total").is_some_and(|n| n > 0.0) && alerts(&p) > 0 && {
            let (_, body) = http_get(port, "/alerts?since=0&limit=100000", None);
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["alerts"].as_array().unwrap().len() == alerts(&p)
        }
    });
    let (status, _) = http_get(port, "/v2/health/ready", None);
    assert_eq!(status, 200);
    // The extractor's own count of this capture (`anomalab extract` reads the same packets).
    let out = p.run(&["extract", cap.to_str().unwrap(), "-o", "x.csv"]);
    out.expect(0);
    let packets = metric("anomalab_packets_received_total").unwrap();
    assert!(
        out.stderr()
            .contains(&format!("{} packets", packets as u64)),
        "{packets}: {}",
        out.stderr()
    );
    let (_, body) = http_get(port, "/alerts?since=0&limit=100000", None);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &v["alerts"][0]["alert"];
    assert_eq!(first["event_type"], "alert");
    assert_eq!(
        first["flow_id"],
        eve(&p.read("a.json"))[0]["flow_id"],
        "the ring holds the lines of the alerts file"
    );
    assert_eq!(served.stop(), Some(0));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is closed"
    );
}

#[test]
fn a_public_address_needs_a_token_file_and_the_token_guards_the_api() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let out = p.run(&["serve", "-m", model, "--http", "0.0.0.0:0"]);
    out.expect(2);
    assert!(out.stderr().contains("--token-file"), "{}", out.stderr());
    p.write("token", "s3cret\n");
    let served = Served::start(&p, model, &["--token-file", "token"]);
    let port = served.port;
    assert_eq!(http_get(port, "/metrics", None).0, 401);
    assert_eq!(http_get(port, "/metrics", Some("wrong")).0, 401);
    assert_eq!(http_get(port, "/metrics", Some("s3cret")).0, 200);
    assert_eq!(http_get(port, "/v2/health/live", None).0, 200);
    assert_eq!(served.stop(), Some(0));
}

/// A request over loopback with a body: (status, headers and body as one text).
fn http_request(port: u16, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    (text[9..12].parse().unwrap(), text)
}

#[test]
fn the_dashboard_endpoints_count_alerts_keep_feedback_and_list_sources_to_block() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let served = Served::start(
        &p,
        model,
        &[
            cap.to_str().unwrap(),
            "--alerts",
            "a.json",
            "--suppress",
            "0",
            "--feedback",
            "fb.jsonl",
            "--blocklist",
            "block.nft",
            "--block-severity",
            "3",
        ],
    );
    let port = served.port;
    let json = |path: &str| -> serde_json::Value {
        serde_json::from_str(&http_get(port, path, None).1).unwrap()
    };
    // The capture is read in well under a second; equal counts a second apart mean done.
    let settled = || {
        let n = std::fs::read_to_string(p.path("a.json")).map_or(0, |t| t.lines().count());
        n > 0 && json("/api/overview")["counters"]["alerts"] == n as u64
    };
    wait_for(30, "every alert counted", settled);
    std::thread::sleep(Duration::from_secs(1));
    wait_for(30, "every alert counted", settled);
    let alerts = eve(&p.read("a.json"));
    // The overview's counts equal those of the alerts file.
    let o = json("/api/overview");
    let mut by_src: std::collections::HashMap<String, u64> = Default::default();
    for a in &alerts {
        *by_src
            .entry(a["src_ip"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for t in o["top_sources"].as_array().unwrap() {
        assert_eq!(
            t["count"].as_u64().unwrap(),
            by_src[t["key"].as_str().unwrap()]
        );
    }
    let per_minute: u64 = o["alerts_per_minute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["count"].as_u64().unwrap())
        .sum();
    assert_eq!(per_minute, alerts.len() as u64);
    // One alert with every value its flow gave the model.
    let one = json("/api/alerts/1");
    assert_eq!(one["alert"]["flow_id"], alerts[0]["flow_id"]);
    assert_eq!(one["features"].as_object().unwrap().len(), 78);
    assert_eq!(http_get(port, "/api/alerts/999999", None).0, 404);
    assert_eq!(
        json("/api/model")["input_columns"]
            .as_array()
            .unwrap()
            .len(),
        78
    );
    // Feedback: stored, listed, exported as training rows; bad input refused.
    let fb = r#"{"seq": 1, "verdict": "false_positive"}"#;
    let (status, _) = http_request(
        port,
        "POST",
        "/api/feedback",
        "Content-Type: application/json\r\n",
        fb,
    );
    assert_eq!(status, 201);
    assert_eq!(p.read("fb.jsonl").lines().count(), 1);
    for bad in [
        r#"{"seq": 1, "verdict": "maybe"}"#,
        r#"{"seq": 1, "verdict": "true_positive", "label": "a,b"}"#,
        r#"{"seq": 1, "verdict": "true_positive", "extra": 1}"#,
    ] {
        let (status, text) = http_request(port, "POST", "/api/feedback", "", bad);
        assert_eq!(status, 400, "{bad}: {text}");
    }
    let big = format!(
        r#"{{"seq": 1, "verdict": "true_positive", "label": "{}"}}"#,
        "x".repeat(5000)
    );
    assert_eq!(http_request(port, "POST", "/api/feedback", "", &big).0, 413);
    assert_eq!(
        http_request(
            port,
            "POST",
            "/api/feedback",
            "",
            r#"{"seq": 999999, "verdict": "true_positive"}"#
        )
        .0,
        404
    );
    assert_eq!(
        p.read("fb.jsonl").lines().count(),
        1,
        "refused feedback is not stored"
    );
    let (_, csv) = http_get(port, "/api/feedback.csv", None);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("Destination Port,Flow Duration,") && rows[0].ends_with(",label"));
    assert_eq!(rows.len(), 2);
    let classes = json("/api/model")["class_names"].clone();
    let normal = classes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .find(|c| ["normal", "benign"].contains(&c.to_lowercase().as_str()))
        .unwrap();
    let tail = &rows[1][rows[1].len().saturating_sub(40)..];
    assert!(
        rows[1].ends_with(&format!(",{normal}")),
        "a false positive is a normal row: ...{tail}"
    );
    assert_eq!(served.stop(), Some(0));
    // The blocklist: every alert source, nothing but addresses and times.
    let block = p.read("block.nft");
    for src in by_src.keys() {
        assert!(
            block.contains(&format!("{{ {src} timeout ")),
            "{src} listed"
        );
    }
    for line in block.lines() {
        let ok = line.starts_with("# anomalab blocklist, written ")
            || line.starts_with("add element inet anomalab blocklist_v")
            || [
                "table inet anomalab {",
                "}",
                "flush set inet anomalab blocklist_v4",
                "flush set inet anomalab blocklist_v6",
            ]
            .contains(&line)
            || line.starts_with("\tset blocklist_v");
        assert!(ok, "unexpected blocklist line: {line}");
    }
}

#[test]
fn the_dashboard_needs_the_token_and_keeps_it_in_a_cookie() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    p.write("token", "s3cret\n");
    let served = Served::start(&p, model, &["--token-file", "token"]);
    let port = served.port;
    assert_eq!(http_get(port, "/", None).0, 401);
    assert_eq!(http_get(port, "/?token=wrong", None).0, 401);
    let (status, text) = http_request(port, "GET", "/?token=s3cret", "", "");
    assert_eq!(status, 200);
    assert!(
        text.contains("anomalab_token=s3cret; HttpOnly; SameSite=Strict"),
        "{}",
        &text[..400.min(text.len())]
    );
    let cookie = "Cookie: anomalab_token=s3cret\r\n";
    assert_eq!(
        http_request(port, "GET", "/api/overview", cookie, "").0,
        200
    );
    assert_eq!(
        http_request(
            port,
            "POST",
            "/api/feedback",
            "",
            r#"{"seq":1,"verdict":"true_positive"}"#
        )
        .0,
        401
    );
    assert_eq!(served.stop(), Some(0));
}

/// Run `sh -c script` inside a fresh network namespace (removed afterwards): a firewall
/// load there touches nothing of the host's. Fails the test when the script fails; its
/// standard output.
#[cfg(target_os = "linux")]
fn in_netns(script: &str) -> String {
    let ns = format!("anomalab-fw{}", std::process::id() % 100_000);
    let add = Command::new("ip").args(["netns", "add", &ns]).status();
    assert!(
        add.is_ok_and(|s| s.success()),
        "`ip netns add` failed: the blocklist test needs root and iproute2 (./test.sh installs it)"
    );
    let out = Command::new("ip")
        .args(["netns", "exec", &ns, "sh", "-c", script])
        .output()
        .unwrap();
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The blocklist in both formats, loaded for real (twice: a reload replaces the set) by
/// `nft -f` and by `ipset restore` in a network namespace: the sets hold exactly the
/// sources of the alerts file.
#[cfg(target_os = "linux")]
#[test]
fn the_blocklist_loads_into_nftables_and_ipset() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let model = capture_model(&p, &data);
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let cap = cap.to_str().unwrap();
    for (format, file) in [("nft", "block.nft"), ("ipset", "block.ipset")] {
        let out = p.run(&[
            "serve",
            "-m",
            model,
            cap,
            "--alerts",
            "a.json",
            "--suppress",
            "0",
            "--blocklist",
            file,
            "--blocklist-format",
            format,
            "--block-severity",
            "3",
        ]);
        out.expect(0);
    }
    let mut sources: Vec<String> = eve(&p.read("a.json"))
        .iter()
        .map(|a| a["src_ip"].as_str().unwrap().to_string())
        .collect();
    sources.sort();
    sources.dedup();
    let nft = p.path("block.nft").display().to_string();
    let out = in_netns(&format!(
        "nft -f {nft} && nft -f {nft} && nft -j list set inet anomalab blocklist_v4"
    ));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut got: Vec<String> = listed["nftables"][1]["set"]["elem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["elem"]["val"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got, sources, "nft set");
    let ipset = p.path("block.ipset").display().to_string();
    let text = in_netns(&format!(
        "ipset restore < {ipset} && ipset restore < {ipset} && ipset list anomalab_v4"
    ));
    let members = text.split("Members:\n").nth(1).unwrap_or("");
    let mut got: Vec<String> = members
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    got.sort();
    assert_eq!(got, sources, "ipset set");
}
