//! Execution: every planned trial in the rayon pool. Each finished trial is sent to the
//! observer (`TrialRecorded`, then `TrialFinished`); nothing here depends on the order
//! trials finish in.

use std::sync::Mutex;
use std::time::Instant;

use anomalab_results::{TrialResult, TrialStatus, rank};
use rayon::prelude::*;

use super::events::{Observer, RunEvent};
use super::plan::TrialPlan;
use super::prepare::PreparedData;
use super::trial::{self, TrainedModel};
use crate::spec::Experiment;

/// The single-fold model of the best trial: with one fold it is the model that is saved,
/// so it is kept instead of refitted. Every other trial's model is dropped when it ends.
pub(crate) struct Kept {
    pub trial_id: usize,
    pub model: TrainedModel,
}

/// Runs every plan in the current rayon pool (call it inside `pool.install`), and returns
/// the model of the best trial when the trials kept their models (one fold).
pub(crate) fn execute_all(
    plans: &[TrialPlan],
    exp: &Experiment,
    data: &PreparedData,
    observer: &dyn Observer,
) -> Option<Kept> {
    let keeper = Keeper {
        metric: &exp.selection.metric,
        higher: crate::eval::higher_is_better(&exp.selection.metric),
        best: Mutex::new(None),
    };
    plans
        .par_iter()
        .for_each(|plan| execute_one(plan, exp, data, observer, &keeper));
    let best = keeper.best.into_inner().unwrap_or_else(|p| p.into_inner());
    best.map(|(_, trial_id, model)| Kept { trial_id, model })
}

fn execute_one(
    plan: &TrialPlan,
    exp: &Experiment,
    data: &PreparedData,
    observer: &dyn Observer,
    keeper: &Keeper<'_>,
) {
    observer.on_event(&RunEvent::TrialStarted {
        id: plan.id,
        label: plan.label.clone(),
    });
    let t0 = Instant::now();
    let model = plan.model_plan(exp);
    let (trial, fitted) = trial::run_trial(plan, model, &data.folds, data.class_names(), exp);
    let outcome = summary(&trial, keeper.metric);
    if let Some(model) = fitted {
        keeper.offer(&trial, model);
    }
    observer.on_event(&RunEvent::TrialRecorded(Box::new(trial)));
    observer.on_event(&RunEvent::TrialFinished {
        id: plan.id,
        label: plan.label.clone(),
        outcome,
        elapsed: t0.elapsed(),
    });
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
