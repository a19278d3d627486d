//! How a run is carried out, and where it writes.

use std::path::{Path, PathBuf};

use super::cache::{Reuse, TrialCache};

/// How a run is carried out (from the command line; nothing here changes results).
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub data_dir: PathBuf,
    /// Folder under which `reports/<experiment>/` and `models/<experiment>/` are written.
    pub project_dir: PathBuf,
    pub jobs: usize,
    pub strict: bool,
    pub command_line: Vec<String>,
    /// The trial cache folder (relative paths are under `project_dir`), and how it is used;
    /// `None`: no cache.
    pub cache: Option<(PathBuf, Reuse)>,
}

impl RunSettings {
    /// The trial cache, when one is used.
    pub fn trial_cache(&self) -> Option<(TrialCache, Reuse)> {
        self.cache
            .as_ref()
            .map(|(dir, reuse)| (TrialCache::new(self.project_dir.join(dir)), *reuse))
    }
}

pub fn reports_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("reports").join(experiment)
}

pub fn models_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("models").join(experiment)
}
