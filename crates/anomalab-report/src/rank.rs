//! Ordering of trials: the leaderboard order and the best trial (the results crate's one
//! ordering, re-exported) and the grouping of trials by model name with each group's best
//! trial. Shared by the view and the plots so both always agree on which trial is "best".

pub use anomalab_results::rank::{best, compare, leaderboard};

use crate::model::RunResults;

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
