//! Execution: every planned trial in the rayon pool. Each finished trial is sent to the
//! observer (`TrialRecorded`, then `TrialFinished`); nothing here depends on the order
//! trials finish in.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anomalab_results::{TrialResult, TrialStatus, rank};
use rayon::prelude::*;

use super::cache::{Reuse, TrialCache};
use super::events::{Observer, RunEvent};
use super::plan::TrialPlan;
use super::prepare::{PreparedData, PreparedFold};
use super::trial::{self, TrainedModel};
use crate::spec::Experiment;

/// The single-fold model of the best trial: with one fold it is the model that is saved,
/// so it is kept instead of refitted. Every other trial's model is dropped when it ends.
pub(crate) struct Kept {
    pub trial_id: usize,
    pub model: TrainedModel,
}

/// What every trial reads: the prepared folds and the class names.
#[derive(Clone, Copy)]
pub(crate) struct TrialData<'a> {
    pub folds: &'a [PreparedFold],
    pub class_names: &'a [String],
}

impl<'a> From<&'a PreparedData> for TrialData<'a> {
    fn from(d: &'a PreparedData) -> Self {
        TrialData {
            folds: &d.folds,
            class_names: d.class_names(),
        }
    }
}

/// What the trials went through.
#[derive(Default)]
pub(crate) struct Executed {
    pub kept: Option<Kept>,
    pub reused: usize,
}

/// Runs every plan in the current rayon pool (call it inside `pool.install`); returns the
/// model of the best trial run here when the trials kept their models (one fold).
pub(crate) fn execute_all(
    plans: &[TrialPlan],
    exp: &Experiment,
    data: TrialData<'_>,
    cache: Option<(&TrialCache, Reuse)>,
    observer: &dyn Observer,
) -> Result<Executed, super::RunError> {
    let keeper = Keeper {
        metric: &exp.selection.metric,
        higher: crate::eval::higher_is_better(&exp.selection.metric),
        best: Mutex::new(None),
    };
    let reused = AtomicUsize::new(0);
    let errors = Mutex::new(None);
    start_order(plans, exp).par_iter().for_each(|&plan| {
        let step = Step {
            plan,
            exp,
            data,
            observer,
            keeper: &keeper,
        };
        let stored = match cache {
            Some((c, Reuse::Cached | Reuse::Only)) => c.get(plan),
            _ => None,
        };
        if let Some(trial) = stored {
            reused.fetch_add(1, Ordering::Relaxed);
            step.record(trial, Instant::now(), true);
        } else if let Err(e) = step.run(cache.map(|(c, _)| c)) {
            lock(&errors).get_or_insert(e);
        }
    });
    if let Some(e) = errors.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let best = keeper.best.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(Executed {
        kept: best.map(|(_, trial_id, model)| Kept { trial_id, model }),
        reused: reused.into_inner(),
    })
}

/// The plans in the order they start: trials whose fit runs on one thread first (so the
/// parallel ones fill the other threads around them), each group in plan order. Results
/// do not depend on it: every trial has its own seed.
fn start_order<'p>(plans: &'p [TrialPlan], exp: &Experiment) -> Vec<&'p TrialPlan> {
    let one_thread = |plan: &TrialPlan| {
        let model = plan.model_plan(exp);
        crate::models::find(&model.algorithm, Some(&model.backend))
            .ok()
            .and_then(|info| crate::models::build(&info, &plan.params).ok())
            .is_some_and(|built| built.fits_on_one_thread())
    };
    let (mut first, rest): (Vec<&TrialPlan>, Vec<&TrialPlan>) =
        plans.iter().partition(|p| one_thread(p));
    first.extend(rest);
    first
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One trial of the run.
struct Step<'a> {
    plan: &'a TrialPlan,
    exp: &'a Experiment,
    data: TrialData<'a>,
    observer: &'a dyn Observer,
    keeper: &'a Keeper<'a>,
}

impl Step<'_> {
    /// Fit and score the trial, store it, record it.
    fn run(&self, cache: Option<&TrialCache>) -> Result<(), super::RunError> {
        let plan = self.plan;
        self.observer.on_event(&RunEvent::TrialStarted {
            id: plan.id,
            label: plan.label.clone(),
        });
        let t0 = Instant::now();
        let model = plan.model_plan(self.exp);
        let data = self.data;
        let (trial, fitted) = trial::run_trial(plan, model, data.folds, data.class_names, self.exp);
        if let Some(c) = cache {
            c.put(plan, &trial)?;
        }
        if let Some(model) = fitted {
            self.keeper.offer(&trial, model);
        }
        self.record(trial, t0, false);
        Ok(())
    }

    fn record(&self, trial: TrialResult, t0: Instant, stored: bool) {
        let plan = self.plan;
        let outcome = summary(&trial, self.keeper.metric)
            .map(|s| if stored { format!("{s} (stored)") } else { s });
        self.observer
            .on_event(&RunEvent::TrialRecorded(Box::new(trial)));
        self.observer.on_event(&RunEvent::TrialFinished {
            id: plan.id,
            label: plan.label.clone(),
            outcome,
            elapsed: t0.elapsed(),
        });
    }
}

/// The selection metric of a finished trial, or its error.
fn summary(trial: &TrialResult, metric: &str) -> Result<String, String> {
    match trial.status {
        TrialStatus::Ok => Ok(match trial.mean.get(metric) {
            Some(v) => format!("{metric} {v:.4}"),
            None => format!("{metric} undefined"),
        }),
        TrialStatus::Failed => Err(trial.error.clone().unwrap_or_default()),
    }
}

struct Keeper<'a> {
    metric: &'a str,
    higher: bool,
    /// (selection metric, trial id, model) of the best trial so far.
    best: Mutex<Option<(f64, usize, TrainedModel)>>,
}

impl Keeper<'_> {
    fn offer(&self, trial: &TrialResult, model: TrainedModel) {
        if trial.status != TrialStatus::Ok {
            return;
        }
        let Some(&score) = trial.mean.get(self.metric) else {
            return;
        };
        let mut best = self.best.lock().unwrap_or_else(|p| p.into_inner());
        let better = match &*best {
            None => true,
            Some((s, id, _)) => {
                rank::compare_values((score, trial.id), (*s, *id), self.higher).is_lt()
            }
        };
        if better {
            *best = Some((score, trial.id, model));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn one_thread_fits_start_first_and_the_rest_keep_plan_order() {
        let text = "name: t\nseed: 7\ndataset: {source: synthetic, rows: 300}\n\
                    split: {kind: holdout, test_size: 0.3}\nmodels:\n  \
                    - algorithm: random_forest\n  - algorithm: mlp\n    params: {alpha: [0.1, 1.0]}\n  \
                    - algorithm: knn\n";
        let exp = crate::spec::parse(Path::new("t.yaml"), text).expect("valid spec");
        let plans = super::super::plan::plan(&exp, &serde_json::Value::Null);
        let order: Vec<&str> = start_order(&plans, &exp)
            .iter()
            .map(|p| p.algorithm.as_str())
            .collect();
        assert_eq!(order, ["mlp", "mlp", "random_forest", "knn"]);
    }
}
