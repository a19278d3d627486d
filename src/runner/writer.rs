//! results.json as an observer of the run: rewritten atomically after every trial, so an
//! interrupted run keeps what it finished.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anomalab_results::{RunResults, TrialResult};

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
    write_json(path, results)
}

/// Write `value` as pretty JSON with a final newline, atomically (results.json, best.json).
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), RunError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| RunError::io(path, std::io::Error::other(e)))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(|source| RunError::io(path, source))
}

#[cfg(test)]
mod tests {
    use anomalab_results::TrialStatus;

    use super::*;
    use crate::runner::test_support::{results, trial};

    fn on_disk(path: &Path) -> RunResults {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn record(writer: &ResultsWriter, id: usize) {
        let t = trial(id, Some(0.5), TrialStatus::Ok);
        writer.on_event(&RunEvent::TrialRecorded(Box::new(t)));
    }

    #[test]
    fn results_are_rewritten_after_each_trial_sorted_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports/t/results.json");
        let writer = ResultsWriter::create(path.clone(), results(Vec::new(), true)).unwrap();
        assert!(on_disk(&path).trials.is_empty());
        record(&writer, 2);
        assert_eq!(on_disk(&path).trials.len(), 1);
        writer.on_event(&RunEvent::Stage("not a trial".into()));
        record(&writer, 0);
        let ids: Vec<usize> = on_disk(&path).trials.iter().map(|t| t.id).collect();
        assert_eq!(ids, [0, 2]);
        assert_eq!(writer.finish().unwrap().trials.len(), 2);
    }

    #[test]
    fn a_failed_write_is_returned_by_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let writer = ResultsWriter::create(path.clone(), results(Vec::new(), true)).unwrap();
        // A directory where the file should be makes every later write fail.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        record(&writer, 0);
        assert!(matches!(writer.finish(), Err(RunError::Io { .. })));
    }
}
