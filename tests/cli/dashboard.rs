//! The dashboard `serve --http` serves at `/`, opened in headless Chromium while `serve`
//! replays a capture at its own pace: alerts arrive live, the chart and top lists agree
//! with the alerts file, a feedback click lands in `--feedback`, the score form agrees
//! with `POST /invocations`, and the page makes no request outside its origin and logs no
//! error (`tests/dashboard_check.py` does the driving). Screenshots (light, dark, phone)
//! are left in `$CARGO_TARGET_TMPDIR/dashboard/`.
//!
//! Chromium is found as in `crates/anomalab-report/tests/browser.rs`: `ANOMALAB_CHROMIUM`,
//! else `chromium`, `chromium-browser`, `google-chrome` on `PATH`; without one the test
//! fails unless `ANOMALAB_ALLOW_NO_BROWSER=1`.

#[path = "../support/chromium.rs"]
mod chromium;

use std::path::PathBuf;
use std::process::Command;

use super::serve::{Served, capture_model};
use super::*;

#[test]
fn the_dashboard_shows_a_paced_replay_live_and_takes_feedback() {
    let Some(data) = shared_data() else { return };
    let Some(chromium) = chromium::chromium_or_skip() else {
        return;
    };
    let p = Project::new();
    let model = capture_model(&p, &data);
    // ppa-ftp-crack spans 44.6 s of traffic with ~2,800 alerts: at twice its pace the
    // replay lasts ~22 s, long enough for the page to open mid-replay and watch it grow.
    let cap = data.join("pcap/ppa-ftp-crack.pcap");
    let served = Served::start(
        &p,
        model,
        &[
            "--replay-speed",
            "2",
            cap.to_str().unwrap(),
            "--alerts",
            "a.json",
            "--suppress",
            "0",
            "--feedback",
            "fb.jsonl",
        ],
    );
    let port = served.port;
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&out).unwrap();
    let prefix = out.join("dashboard");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dashboard_check.py");
    let run = Command::new("python3")
        .arg(&script)
        .arg(&chromium)
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg(p.path("a.json"))
        .arg(p.path("fb.jsonl"))
        .arg(&prefix)
        .output()
        .expect("python3 runs (it is required for the browser check)");
    let code = served.stop();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "dashboard check failed ({}):\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(code, Some(0), "serve stops cleanly on SIGTERM");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // The page saw alerts arrive, then every alert of the file.
    let live = &summary["live"];
    assert!(live["later_received"].as_u64() > live["first_received"].as_u64());
    let written = p
        .read("a.json")
        .lines()
        .filter(|l| l.contains(r#""event_type":"alert""#))
        .count() as u64;
    assert!(written > 0);
    assert_eq!(summary["page"]["received"].as_u64(), Some(written));
    // The feedback file holds the verdict given in the page, for the alert it was given on.
    let fb = p.read("fb.jsonl");
    let line: serde_json::Value = serde_json::from_str(fb.lines().last().unwrap()).unwrap();
    assert_eq!(line["verdict"], "true_positive");
    assert_eq!(line["seq"], summary["detail"]["seq"]);
    for shot in ["light", "dark", "phone"] {
        let png = std::fs::read(summary["screenshots"][shot].as_str().unwrap()).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{shot} screenshot");
    }
    println!("screenshots: {}-{{light,dark,phone}}.png", prefix.display());
}
