//! Comparing the trials of a run over its repeats: per-repeat values of a metric, their
//! mean, standard deviation and 95 % interval, and paired tests on the same splits.
//!
//! * k-fold (repeated): the corrected resampled t-test of Nadeau & Bengio (2003) over the
//!   r·k fold scores, since the folds share training rows;
//! * hold-out or official split repeated: the paired t-test over the r repeat scores.
//!
//! The best trial (by the mean over repeats, the one ordering of `anomalab_results::rank`)
//! is compared with every other successful trial; the p-values of those comparisons are
//! Holm-adjusted, and a trial whose adjusted p-value is at least [`ALPHA`] is "not
//! significantly worse". Pairwise comparisons of the models (each model's best trial)
//! are Holm-adjusted over all the pairs.

use anomalab_stats::{StatsError, Summary, corrected_resampled_t, holm, paired_t, summary};

use crate::model::{RunResults, TrialResult};
use crate::rank;

/// The significance level of every decision in the report.
pub const ALPHA: f64 = 0.05;

/// Which paired test the comparisons use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairedTest {
    /// Over every fold of every repeat; `ratio` = test rows / training rows of a fold.
    CorrectedResampledT { ratio: f64 },
    /// Over the repeats (each repeat's value).
    PairedT,
}

impl PairedTest {
    pub fn describe(&self) -> &'static str {
        match self {
            PairedTest::CorrectedResampledT { .. } => {
                "corrected resampled t-test (Nadeau & Bengio 2003) over the folds of every repeat"
            }
            PairedTest::PairedT => "paired t-test over the repeats",
        }
    }
}

/// One paired comparison of trial `a` with trial `b` (indices into `RunResults::trials`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    /// mean(a - b) of the selection metric over the paired values.
    pub mean_difference: f64,
    /// Cohen's d_z: mean(a - b) / sd(a - b); `None` when the differences are constant.
    pub effect_size: Option<f64>,
    pub p_value: f64,
    pub p_holm: f64,
    /// Why the test had nothing to estimate, if so.
    pub note: Option<&'static str>,
}

/// The comparisons of a repeated run.
#[derive(Debug, Clone, PartialEq)]
pub struct Significance {
    pub test: PairedTest,
    pub repeats: usize,
    /// Paired values per trial (folds of every repeat, or repeats).
    pub n_paired: usize,
    pub best: usize,
    /// Every other successful trial against the best, Holm-adjusted together.
    pub versus_best: Vec<Pair>,
    /// The best and every trial not significantly worse than it.
    pub not_worse: Vec<usize>,
    /// Each model's best trial against each other's, Holm-adjusted together.
    pub pairwise: Vec<Pair>,
}

/// The value of `metric` in each repeat (the mean over that repeat's folds); `None` when a
/// fold lacks it.
pub fn repeat_values(t: &TrialResult, metric: &str, repeats: usize) -> Option<Vec<f64>> {
    (0..repeats)
        .map(|r| {
            let v: Vec<f64> = t
                .folds
                .iter()
                .filter(|f| f.repeat == r)
                .map(|f| f.metrics.get(metric).copied())
                .collect::<Option<_>>()?;
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect()
}

/// Mean, sd and 95 % interval of `metric` over the repeats of a trial.
pub fn repeat_summary(t: &TrialResult, metric: &str, repeats: usize) -> Option<Summary> {
    summary(&repeat_values(t, metric, repeats)?).ok()
}

fn fold_values(t: &TrialResult, metric: &str) -> Option<Vec<f64>> {
    t.folds
        .iter()
        .map(|f| f.metrics.get(metric).copied())
        .collect()
}

/// The test a run's comparisons use.
pub fn paired_test(results: &RunResults) -> PairedTest {
    let folds = &results.split.folds;
    if results.split.kind == "kfold" && !folds.is_empty() {
        let test: usize = folds.iter().map(|f| f.test_rows).sum();
        let train: usize = folds.iter().map(|f| f.train_rows).sum();
        PairedTest::CorrectedResampledT {
            ratio: test as f64 / train.max(1) as f64,
        }
    } else {
        PairedTest::PairedT
    }
}

/// Compare trials `a` and `b` on `metric` with `test`; `None` when either lacks values.
pub fn compare_pair(results: &RunResults, test: PairedTest, a: usize, b: usize) -> Option<Pair> {
    let metric = &results.selection.metric;
    let (ta, tb) = (&results.trials[a], &results.trials[b]);
    let (x, y) = match test {
        PairedTest::CorrectedResampledT { .. } => {
            (fold_values(ta, metric)?, fold_values(tb, metric)?)
        }
        PairedTest::PairedT => {
            let r = results.split.repeats;
            (repeat_values(ta, metric, r)?, repeat_values(tb, metric, r)?)
        }
    };
    let outcome = match test {
        PairedTest::CorrectedResampledT { ratio } => corrected_resampled_t(&x, &y, 1.0, ratio),
        PairedTest::PairedT => paired_t(&x, &y),
    };
    let d: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p - q).collect();
    let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
    let (p_value, note) = match outcome {
        Ok(t) => (t.p_value, None),
        Err(StatsError::AllZero { .. }) => (1.0, Some("equal on every split")),
        Err(StatsError::ZeroVariance { .. }) => (0.0, Some("the same difference on every split")),
        Err(_) => return None,
    };
    let sd = anomalab_stats::summary(&d)
        .ok()
        .and_then(|s| s.sd)
        .filter(|s| *s > 0.0);
    Some(Pair {
        a,
        b,
        mean_difference: mean,
        effect_size: sd.map(|s| mean / s),
        p_value,
        p_holm: p_value,
        note,
    })
}

fn adjust(mut pairs: Vec<Pair>) -> Vec<Pair> {
    let adjusted = holm(&pairs.iter().map(|p| p.p_value).collect::<Vec<_>>());
    for (p, h) in pairs.iter_mut().zip(adjusted) {
        p.p_holm = h;
    }
    pairs
}

/// The comparisons of a run with more than one repeat; `None` for a single run.
pub fn significance(results: &RunResults) -> Option<Significance> {
    if results.split.repeats <= 1 {
        return None;
    }
    let order = rank::leaderboard(results);
    let best = *order.first()?;
    let test = paired_test(results);
    let versus_best = adjust(
        order[1..]
            .iter()
            .filter_map(|&i| compare_pair(results, test, i, best))
            .collect(),
    );
    let mut not_worse = vec![best];
    not_worse.extend(
        versus_best
            .iter()
            .filter(|p| p.p_holm >= ALPHA)
            .map(|p| p.a),
    );
    let models: Vec<usize> = rank::model_groups(results).iter().map(|g| g.best).collect();
    let mut pairwise = Vec::new();
    for (i, &a) in models.iter().enumerate() {
        for &b in &models[i + 1..] {
            pairwise.extend(compare_pair(results, test, a, b));
        }
    }
    let n_paired = match test {
        PairedTest::CorrectedResampledT { .. } => results.split.folds.len(),
        PairedTest::PairedT => results.split.repeats,
    };
    Some(Significance {
        test,
        repeats: results.split.repeats,
        n_paired,
        best,
        versus_best,
        not_worse,
        pairwise: adjust(pairwise),
    })
}
