//! results.json as an observer of the run: rewritten atomically after every trial, so an
//! interrupted run keeps what it finished.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anomalab_report::model::{RunResults, TrialResult};

use super::error::RunError;
use super::events::{Observer, RunEvent};
use crate::fsutil::write_atomic;

/// Keeps the results of the run so far (trials sorted by id, whatever order they finish
/// in) and rewrites the file on every `TrialRecorded`.
pub struct ResultsWriter {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    results: RunResults,
    /// The first failed write: observers cannot fail, so the runner asks at the end.
    error: Option<RunError>,
}

impl ResultsWriter {
    /// Writes `results` (no trials yet) at once, so even a run stopped during its first
    /// trial leaves its manifest.
    pub fn create(path: PathBuf, results: RunResults) -> Result<Self, RunError> {
        write_results(&path, &results)?;
        let state = Mutex::new(State {
            results,
            error: None,
        });
        Ok(ResultsWriter { path, state })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The results with every recorded trial, or the first write that failed.
    pub fn finish(self) -> Result<RunResults, RunError> {
        let state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        match state.error {
            Some(e) => Err(e),
            None => Ok(state.results),
        }
    }

    fn record(&self, trial: TrialResult) {
        // The lock is held while writing, so the last write has every trial.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let trials = &mut state.results.trials;
        let pos = trials.partition_point(|t| t.id < trial.id);
        trials.insert(pos, trial);
        if let Err(e) = write_results(&self.path, &state.results) {
            state.error.get_or_insert(e);
        }
    }
}

impl Observer for ResultsWriter {
    fn on_event(&self, event: &RunEvent) {
        if let RunEvent::TrialRecorded(trial) = event {
            self.record(trial.as_ref().clone());
        }
    }
}

/// Pretty JSON with a final newline, replaced atomically.
pub fn write_results(path: &Path, results: &RunResults) -> Result<(), RunError> {
    let mut bytes = serde_json::to_vec_pretty(results)
        .map_err(|e| RunError::io(path, std::io::Error::other(e)))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(|source| RunError::io(path, source))
}
