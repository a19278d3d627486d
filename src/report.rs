//! Reports are rendered by the `anomalab-report` crate from the results model alone; this
//! is the root crate's entry point to it.

use std::path::{Path, PathBuf};

use anomalab_report::model::RunResults;

/// Render every report of a run into `dir` (atomically, file by file).
pub fn render(results: &RunResults, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(anomalab_report::render(
        results,
        dir,
        &anomalab_report::RenderOptions::default(),
    )?)
}
