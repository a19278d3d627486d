//! The one best-trial ordering: by the selection metric, better first, a missing metric
//! last, ties to the lower trial id, so the order depends on nothing but the results. The
//! leaderboard, the report's "best" and the runner's selection all use it.

use std::cmp::Ordering;

use crate::model::{RunResults, TrialResult, TrialStatus};

/// Compare two trials by `metric` (`higher`: larger is better): better first, a trial
/// without the metric after one with it, ties broken by trial id.
pub fn compare_by(metric: &str, higher: bool, a: &TrialResult, b: &TrialResult) -> Ordering {
    match (a.mean_metric(metric), b.mean_metric(metric)) {
        (Some(x), Some(y)) => compare_values((x, a.id), (y, b.id), higher),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    }
}

/// Compare two `(metric value, trial id)` pairs: the better value first, ties to the lower
/// id. For callers that hold a value, not a whole trial (the runner keeping the best
/// model while trials finish in any order).
pub fn compare_values(a: (f64, usize), b: (f64, usize), higher: bool) -> Ordering {
    let by_value = if higher {
        b.0.total_cmp(&a.0)
    } else {
        a.0.total_cmp(&b.0)
    };
    by_value.then(a.1.cmp(&b.1))
}

/// Compare two trials by the run's selection metric (see [`compare_by`]).
pub fn compare(results: &RunResults, a: &TrialResult, b: &TrialResult) -> Ordering {
    let s = &results.selection;
    compare_by(&s.metric, s.higher_is_better, a, b)
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

/// The best of the successful trials that pass `keep` and define `metric`: what a run
/// selects (e.g. `keep` = "the model can score new data").
pub fn best_by<'a>(
    trials: &'a [TrialResult],
    metric: &str,
    higher: bool,
    mut keep: impl FnMut(&TrialResult) -> bool,
) -> Option<&'a TrialResult> {
    trials
        .iter()
        .filter(|t| t.status == TrialStatus::Ok && t.mean.contains_key(metric) && keep(t))
        .min_by(|a, b| compare_by(metric, higher, a, b))
}

/// [`best_by`] with the run's selection metric.
pub fn best_of(
    results: &RunResults,
    keep: impl FnMut(&TrialResult) -> bool,
) -> Option<&TrialResult> {
    let s = &results.selection;
    best_by(&results.trials, &s.metric, s.higher_is_better, keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, TrialTiming};

    fn trial(id: usize, metric: Option<f64>, status: TrialStatus) -> TrialResult {
        TrialResult {
            id,
            model: format!("m{}", id % 2),
            algorithm: "a".into(),
            backend: "native".into(),
            role: Role::Classifier,
            params: Default::default(),
            varied: vec![],
            label: format!("t{id}"),
            status,
            error: None,
            folds: vec![],
            mean: metric.map(|v| ("f1".to_string(), v)).into_iter().collect(),
            std: Default::default(),
            timing: TrialTiming::default(),
        }
    }

    fn trials() -> Vec<TrialResult> {
        vec![
            trial(0, Some(0.5), TrialStatus::Ok),
            trial(1, None, TrialStatus::Ok),
            trial(2, Some(0.9), TrialStatus::Ok),
            trial(3, Some(0.9), TrialStatus::Ok),
            trial(4, Some(0.99), TrialStatus::Failed),
            trial(5, Some(0.1), TrialStatus::Ok),
        ]
    }

    #[test]
    fn better_first_missing_last_ties_to_the_lower_id() {
        let t = trials();
        let mut order: Vec<&TrialResult> = t.iter().collect();
        order.sort_by(|a, b| compare_by("f1", true, a, b));
        let ids: Vec<usize> = order.iter().map(|t| t.id).collect();
        assert_eq!(ids, [4, 2, 3, 0, 5, 1]);
        order.sort_by(|a, b| compare_by("f1", false, a, b));
        let ids: Vec<usize> = order.iter().map(|t| t.id).collect();
        assert_eq!(ids, [5, 0, 2, 3, 4, 1]);
    }

    #[test]
    fn best_by_skips_failed_undefined_and_filtered_trials() {
        let t = trials();
        assert_eq!(best_by(&t, "f1", true, |_| true).map(|t| t.id), Some(2));
        assert_eq!(
            best_by(&t, "f1", true, |t| t.id != 2).map(|t| t.id),
            Some(3)
        );
        assert_eq!(best_by(&t, "f1", false, |_| true).map(|t| t.id), Some(5));
        assert_eq!(best_by(&t, "auc", true, |_| true).map(|t| t.id), None);
    }

    #[test]
    fn best_of_agrees_with_the_leaderboard_on_the_report_fixtures() {
        for (name, text) in [
            (
                "binary",
                include_str!("../../anomalab-report/tests/fixtures/binary.json"),
            ),
            (
                "multiclass",
                include_str!("../../anomalab-report/tests/fixtures/multiclass.json"),
            ),
            (
                "unsupervised",
                include_str!("../../anomalab-report/tests/fixtures/unsupervised.json"),
            ),
        ] {
            let r = crate::parse_results(text, std::path::Path::new(name)).unwrap();
            let first = leaderboard(&r).first().map(|&i| r.trials[i].id);
            assert_eq!(best_of(&r, |_| true).map(|t| t.id), first, "{name}");
            if let Some(b) = &r.best {
                assert_eq!(Some(b.trial_id), first, "{name}");
            }
            // Leaving the best out gives the runner-up.
            let second = leaderboard(&r).get(1).map(|&i| r.trials[i].id);
            assert_eq!(
                best_of(&r, |t| Some(t.id) != first).map(|t| t.id),
                second,
                "{name}"
            );
        }
    }
}
