//! What the runner tells the outside world. The runner never prints: observers (progress
//! bars, plain log lines, nothing) decide how events are shown.

use std::sync::Mutex;
use std::time::Duration;

use anomalab_results::TrialResult;

#[derive(Debug, Clone)]
pub enum RunEvent {
    /// Data loading and preprocessing are done; `trials` will run.
    Planned {
        trials: usize,
        folds: usize,
        jobs: usize,
    },
    /// A stage of the run before trials start (loading, preprocessing).
    Stage(String),
    TrialStarted {
        id: usize,
        label: String,
    },
    /// A trial's result, sent before its `TrialFinished` (the results writer records it).
    TrialRecorded(Box<TrialResult>),
    TrialFinished {
        id: usize,
        label: String,
        /// Summary of the selection metric, or the error.
        outcome: Result<String, String>,
        elapsed: Duration,
    },
    Finished {
        ok: usize,
        failed: usize,
        /// Trials taken from the cache instead of run.
        reused: usize,
        elapsed: Duration,
    },
}

pub trait Observer: Send + Sync {
    fn on_event(&self, event: &RunEvent);
}

/// Sends every event to two observers, the first one first.
pub struct Tee<'a>(pub &'a dyn Observer, pub &'a dyn Observer);

impl Observer for Tee<'_> {
    fn on_event(&self, event: &RunEvent) {
        self.0.on_event(event);
        self.1.on_event(event);
    }
}

/// Shows nothing (`--quiet`).
pub struct Silent;

impl Observer for Silent {
    fn on_event(&self, _event: &RunEvent) {}
}

/// One line per event on standard error (used when standard error is not a terminal).
pub struct PlainLines {
    done: Mutex<usize>,
    total: Mutex<usize>,
}

impl PlainLines {
    pub fn new() -> Self {
        PlainLines {
            done: Mutex::new(0),
            total: Mutex::new(0),
        }
    }
}

impl Default for PlainLines {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for PlainLines {
    fn on_event(&self, event: &RunEvent) {
        match event {
            RunEvent::Planned {
                trials,
                folds,
                jobs,
            } => {
                *self.total.lock().unwrap_or_else(|p| p.into_inner()) = *trials;
                eprintln!("running {trials} trial(s) x {folds} fold(s) on {jobs} thread(s)");
            }
            RunEvent::Stage(s) => eprintln!("{s}"),
            RunEvent::TrialStarted { .. } | RunEvent::TrialRecorded(_) => {}
            RunEvent::TrialFinished {
                label,
                outcome,
                elapsed,
                ..
            } => {
                let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
                *done += 1;
                let total = *self.total.lock().unwrap_or_else(|p| p.into_inner());
                match outcome {
                    Ok(summary) => eprintln!(
                        "[{done}/{total}] {label}: {summary} ({:.2}s)",
                        elapsed.as_secs_f64()
                    ),
                    Err(e) => eprintln!("[{done}/{total}] {label}: FAILED: {e}"),
                }
            }
            RunEvent::Finished {
                ok,
                failed,
                reused,
                elapsed,
            } => {
                eprintln!(
                    "finished: {ok} ok ({reused} of them stored by an earlier run), {failed} failed in {:.1}s",
                    elapsed.as_secs_f64()
                )
            }
        }
    }
}
