//! indicatif progress for terminals: an overall bar plus one spinner per running trial.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::events::{Observer, RunEvent};

pub struct Bars {
    multi: MultiProgress,
    overall: Mutex<Option<ProgressBar>>,
    running: Mutex<HashMap<usize, ProgressBar>>,
}

impl Bars {
    pub fn new() -> Self {
        Bars {
            multi: MultiProgress::new(),
            overall: Mutex::new(None),
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for Bars {
    fn on_event(&self, event: &RunEvent) {
        match event {
            RunEvent::Stage(s) => {
                let _ = self.multi.println(s);
            }
            RunEvent::Planned {
                trials,
                folds,
                jobs,
            } => self.planned(*trials, *folds, *jobs),
            RunEvent::TrialStarted { id, label } => self.started(*id, label),
            RunEvent::TrialRecorded(_) => {}
            RunEvent::TrialFinished {
                id, label, outcome, ..
            } => self.finished(*id, label, outcome),
            RunEvent::Finished {
                ok,
                failed,
                reused,
                elapsed,
            } => {
                if let Some(b) = self.lock_overall().take() {
                    b.finish_and_clear();
                }
                let _ = self.multi.println(format!(
                    "finished: {ok} ok ({reused} of them stored by an earlier run), {failed} failed in {:.1}s",
                    elapsed.as_secs_f64()
                ));
            }
        }
    }
}

impl Bars {
    fn lock_overall(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.overall.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn planned(&self, trials: usize, folds: usize, jobs: usize) {
        let bar = self.multi.add(ProgressBar::new(trials as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} trials  {elapsed_precise} (eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{folds} fold(s), {jobs} thread(s)"));
        *self.lock_overall() = Some(bar);
    }

    fn started(&self, id: usize, label: &str) {
        let sp = self.multi.add(ProgressBar::new_spinner());
        sp.set_style(
            ProgressStyle::with_template("  {spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        sp.set_message(label.to_string());
        sp.enable_steady_tick(Duration::from_millis(120));
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, sp);
    }

    fn finished(&self, id: usize, label: &str, outcome: &Result<String, String>) {
        if let Some(sp) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)
        {
            sp.finish_and_clear();
            self.multi.remove(&sp);
        }
        if let Err(e) = outcome {
            let _ = self.multi.println(format!("  {label}: FAILED: {e}"));
        }
        if let Some(b) = self.lock_overall().as_ref() {
            b.inc(1);
        }
    }
}
