//! Choosing the best trial: the one comparison of trials by the selection metric.

use anomalab_report::model::{RunResults, TrialResult, TrialStatus};

/// Position in `results.trials` of the best finished trial that `can_predict` (a
/// transductive clusterer cannot score new data, so it cannot be saved), by the selection
/// metric; ties go to the lower trial id. `None` when no such trial has the metric.
pub fn select(results: &RunResults, can_predict: impl Fn(&TrialResult) -> bool) -> Option<usize> {
    let metric = &results.selection.metric;
    let higher = results.selection.higher_is_better;
    let mut best: Option<(usize, f64, usize)> = None;
    for (pos, t) in results.trials.iter().enumerate() {
        if t.status != TrialStatus::Ok || !can_predict(t) {
            continue;
        }
        let Some(&v) = t.mean.get(metric) else {
            continue;
        };
        if best.is_none_or(|(_, bv, bid)| is_better(v, t.id, bv, bid, higher)) {
            best = Some((pos, v, t.id));
        }
    }
    best.map(|(pos, _, _)| pos)
}

/// Strictly better, ties to the lower id (a total order, so the pick never depends on
/// the order trials finish in).
pub(crate) fn is_better(v: f64, id: usize, best_v: f64, best_id: usize, higher: bool) -> bool {
    if v == best_v {
        return id < best_id;
    }
    if higher { v > best_v } else { v < best_v }
}
