//! The Chromium the browser tests drive, shared by the report's test
//! (`crates/anomalab-report/tests/browser.rs`) and the dashboard's (`tests/cli/dashboard.rs`),
//! which include this file. It is found through `ANOMALAB_CHROMIUM`, else `chromium`,
//! `chromium-browser`, `google-chrome` on `PATH`.

use std::path::PathBuf;

/// The browser, or `None` after printing why the test is skipped. Without a browser the
/// test fails, unless `ANOMALAB_ALLOW_NO_BROWSER=1`.
pub fn chromium_or_skip() -> Option<PathBuf> {
    if let Some(found) = find_chromium() {
        return Some(found);
    }
    let msg = "no Chromium found (set ANOMALAB_CHROMIUM or install it: .ci/install-chromium.sh)";
    if std::env::var_os("ANOMALAB_ALLOW_NO_BROWSER").is_some_and(|v| v == "1") {
        println!("skipped: {msg}; ANOMALAB_ALLOW_NO_BROWSER=1 allows this");
        return None;
    }
    panic!("{msg}. Set ANOMALAB_ALLOW_NO_BROWSER=1 to skip this test.");
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ANOMALAB_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}
