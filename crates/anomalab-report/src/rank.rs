//! Ordering of trials: the leaderboard order (by the selection metric) and the grouping of
//! trials by model name with each group's best trial. Shared by the view and the plots so
//! both always agree on which trial is "best".

use std::cmp::Ordering;

use crate::model::{RunResults, TrialResult, TrialStatus};

/// The trials of one model name (a grid), in trial-id order, and its best successful trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelGroup {
    pub model: String,
    /// Indices into `RunResults::trials`.
    pub trials: Vec<usize>,
    /// Index into `RunResults::trials` of the best successful trial of the group.
    pub best: usize,
    /// Position of the group (first appearance), used as its colour in every chart.
    pub color: usize,
}

/// Compare two trials by the selection metric: better first, a missing metric last, ties
/// broken by trial id so the order never depends on anything but the results.
fn compare(results: &RunResults, a: &TrialResult, b: &TrialResult) -> Ordering {
    let metric = &results.selection.metric;
    match (a.mean_metric(metric), b.mean_metric(metric)) {
        (Some(x), Some(y)) => {
            let o = if results.selection.higher_is_better {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            o.then(a.id.cmp(&b.id))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    }
}

/// Indices of the successful trials, best first.
pub fn leaderboard(results: &RunResults) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..results.trials.len())
        .filter(|&i| results.trials[i].status == TrialStatus::Ok)
        .collect();
    idx.sort_by(|&a, &b| compare(results, &results.trials[a], &results.trials[b]));
    idx
}

/// The index of the best trial: the one `results.best` names, else the leaderboard's first.
pub fn best(results: &RunResults) -> Option<usize> {
    if let Some(b) = &results.best
        && let Some(i) = results.trials.iter().position(|t| t.id == b.trial_id)
    {
        return Some(i);
    }
    leaderboard(results).first().copied()
}

/// Model groups with at least one successful trial, in order of first appearance.
pub fn model_groups(results: &RunResults) -> Vec<ModelGroup> {
    let mut groups: Vec<ModelGroup> = Vec::new();
    for (i, t) in results.trials.iter().enumerate() {
        match groups.iter_mut().find(|g| g.model == t.model) {
            Some(g) => g.trials.push(i),
            None => groups.push(ModelGroup {
                model: t.model.clone(),
                trials: vec![i],
                best: usize::MAX,
                color: 0,
            }),
        }
    }
    let order = leaderboard(results);
    groups.retain_mut(|g| match order.iter().find(|i| g.trials.contains(i)) {
        Some(&b) => {
            g.best = b;
            true
        }
        None => false,
    });
    for (c, g) in groups.iter_mut().enumerate() {
        g.color = c;
    }
    groups
}
