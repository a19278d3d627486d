//! Choosing the best trial, by the one ordering of trials the report's leaderboard uses
//! too ([`anomalab_results::rank`]).

use anomalab_results::{RunResults, TrialResult, rank};

/// Position in `results.trials` of the best finished trial that `can_predict` (a
/// transductive clusterer cannot score new data, so it cannot be saved), by the selection
/// metric; ties go to the lower trial id. `None` when no such trial has the metric.
pub fn select(results: &RunResults, can_predict: impl Fn(&TrialResult) -> bool) -> Option<usize> {
    let best = rank::best_of(results, can_predict)?;
    results.trials.iter().position(|t| t.id == best.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_support::{results, trial};
    use anomalab_results::TrialStatus;

    fn ids(r: &RunResults, can_predict: impl Fn(&TrialResult) -> bool) -> Option<usize> {
        select(r, can_predict).map(|pos| r.trials[pos].id)
    }

    #[test]
    fn ties_go_to_the_lower_id_whatever_the_order() {
        let ok = TrialStatus::Ok;
        let forward = vec![trial(2, Some(0.9), ok), trial(5, Some(0.9), ok)];
        let backward: Vec<_> = forward.iter().rev().cloned().collect();
        assert_eq!(ids(&results(forward, true), |_| true), Some(2));
        assert_eq!(ids(&results(backward, true), |_| true), Some(2));
    }

    #[test]
    fn the_metric_direction_is_followed() {
        let ok = TrialStatus::Ok;
        let trials = vec![trial(0, Some(0.2), ok), trial(1, Some(0.7), ok)];
        assert_eq!(ids(&results(trials.clone(), true), |_| true), Some(1));
        assert_eq!(ids(&results(trials, false), |_| true), Some(0));
    }

    #[test]
    fn failed_unscored_and_transductive_trials_are_skipped() {
        let trials = vec![
            trial(0, Some(0.99), TrialStatus::Failed),
            trial(1, None, TrialStatus::Ok),
            trial(2, Some(0.95), TrialStatus::Ok),
            trial(3, Some(0.5), TrialStatus::Ok),
        ];
        let r = results(trials, true);
        assert_eq!(ids(&r, |_| true), Some(2));
        assert_eq!(ids(&r, |t| t.id != 2), Some(3));
        assert_eq!(ids(&r, |_| false), None);
    }
}
