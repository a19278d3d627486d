//! How a run is carried out, and where it writes.

use std::path::{Path, PathBuf};

/// How a run is carried out (from the command line; nothing here changes results).
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub data_dir: PathBuf,
    /// Folder under which `reports/<experiment>/` and `models/<experiment>/` are written.
    pub project_dir: PathBuf,
    pub jobs: usize,
    pub strict: bool,
    pub command_line: Vec<String>,
}

pub fn reports_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("reports").join(experiment)
}

pub fn models_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("models").join(experiment)
}
