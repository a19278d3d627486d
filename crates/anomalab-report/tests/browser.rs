//! Each fixture's `report.html` opened in headless Chromium (see `browser_check.py`): no
//! request other than the page itself, no failed request, no console error or exception,
//! the dark colour scheme changes the page, every plot is rendered and every contents
//! link has a target. Screenshots (light and dark, 1400x3000) are left in
//! `$CARGO_TARGET_TMPDIR/browser/`.
//!
//! Chromium is found through `ANOMALAB_CHROMIUM`, else `chromium`, `chromium-browser`,
//! `google-chrome` on `PATH` (CI installs it with `.ci/install-chromium.sh`). Without a
//! browser the test fails, unless `ANOMALAB_ALLOW_NO_BROWSER=1` is set: then it prints
//! a "skipped" line and passes.

mod common;

#[path = "../../../tests/support/chromium.rs"]
mod chromium;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn html_reports_load_offline_without_errors_in_chromium() {
    let Some(chromium) = chromium::chromium_or_skip() else {
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let script = common::crate_dir().join("tests/browser_check.py");
    for name in common::FIXTURES {
        let results = common::load(name);
        let dir = out.join(name);
        anomalab_report::render(&results, &dir, &anomalab_report::RenderOptions::default())
            .unwrap();
        let prefix = out.join(format!("{name}-screenshot"));
        let run = Command::new("python3")
            .arg(&script)
            .arg(&chromium)
            .arg(dir.join("report.html"))
            .arg(&prefix)
            .output()
            .expect("python3 runs (it is required for the browser check)");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{name}: browser check failed ({}):\n{stdout}\n{}",
            run.status,
            String::from_utf8_lossy(&run.stderr)
        );
        let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let figures = anomalab_report::plots::figures(&results).len() as u64;
        for scheme in ["light", "dark"] {
            let s = &summary["schemes"][scheme];
            assert_eq!(
                s["svgs"].as_u64(),
                Some(figures),
                "{name} {scheme}: rendered plots"
            );
            let png = std::fs::read(s["screenshot"].as_str().unwrap()).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let (w, h) = (
                u32::from_be_bytes(png[16..20].try_into().unwrap()),
                u32::from_be_bytes(png[20..24].try_into().unwrap()),
            );
            assert_eq!((w, h), (1400, 3000), "{name} {scheme}: screenshot size");
        }
        // GitHub-like palette: white page in light mode, near-black in dark mode.
        assert_eq!(
            summary["schemes"]["light"]["background"],
            "rgb(255, 255, 255)"
        );
        assert_eq!(summary["schemes"]["dark"]["background"], "rgb(13, 17, 23)");
        println!(
            "{name}: screenshots {}-light.png and -dark.png",
            prefix.display()
        );
    }
}
