//! Reports are rendered by the `anomalab-report` crate from the results model alone; this
//! is the root crate's entry point to it.

use std::path::{Path, PathBuf};

use anomalab_results::RunResults;

/// Render every report of a run into `dir` (each file written atomically).
/// `ANOMALAB_DEBUG_REPORT=1` also writes the template context as JSON.
pub fn render(
    results: &RunResults,
    dir: &Path,
) -> Result<Vec<PathBuf>, anomalab_report::ReportError> {
    let opts = anomalab_report::RenderOptions {
        debug_context: std::env::var_os("ANOMALAB_DEBUG_REPORT")
            .is_some_and(|v| !v.is_empty() && v != "0"),
        ..Default::default()
    };
    anomalab_report::render(results, dir, &opts)
}
