//! The comparison of models across datasets (a benchmark: the same models run on several
//! datasets, each dataset its own run and results.json): per-dataset ranks, mean ranks,
//! the Friedman test, Nemenyi post-hoc p-values with Demšar's critical difference, and
//! pairwise Wilcoxon signed-rank tests over the datasets with Holm's adjustment and the
//! rank-biserial effect size (Demšar 2006; Benavoli et al. 2016 for the pairwise tests).
//!
//! Each dataset contributes one value per model: the mean over the run's repeats of the
//! model's best trial (by the selection metric). Rank 1 is the best model of a dataset.

use anomalab_stats::{critical_difference, friedman, holm, nemenyi, rankdata, wilcoxon};
use serde::Serialize;

use crate::compare::{ALPHA, repeat_values};
use crate::model::RunResults;
use crate::rank;

/// One dataset of the benchmark: its run's experiment name and how it was split.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatasetEntry {
    pub experiment: String,
    pub description: String,
    pub split: String,
    pub repeats: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FriedmanResult {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NemenyiResult {
    /// Symmetric, 1 on the diagonal, in `models` order.
    pub p_values: Vec<Vec<f64>>,
    /// Demšar's critical difference of mean ranks at `alpha` (what a CD diagram draws).
    pub critical_difference: f64,
    pub alpha: f64,
    pub n_blocks: usize,
}

/// One pair of models compared over the datasets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WilcoxonPair {
    pub a: String,
    pub b: String,
    pub statistic: f64,
    pub p_value: f64,
    pub p_holm: f64,
    /// Matched-pairs rank-biserial correlation of a - b (positive: a better).
    pub rank_biserial: f64,
    pub method: String,
}

/// Everything the benchmark summary shows (benchmark.json).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BenchmarkSummary {
    pub benchmark: String,
    pub description: String,
    pub metric: String,
    pub higher_is_better: bool,
    pub datasets: Vec<DatasetEntry>,
    /// Models present (with a value) on every dataset, in the first run's order.
    pub models: Vec<String>,
    /// `values[d][m]`: model m on dataset d, mean over the repeats.
    pub values: Vec<Vec<f64>>,
    /// `repeat_values[d][m]`: model m on dataset d, one value per repeat (box plots).
    pub repeat_values: Vec<Vec<Vec<f64>>>,
    /// `ranks[d][m]`: 1 = best on dataset d, ties averaged.
    pub ranks: Vec<Vec<f64>>,
    pub mean_ranks: Vec<f64>,
    pub friedman: Option<FriedmanResult>,
    pub nemenyi: Option<NemenyiResult>,
    pub wilcoxon: Vec<WilcoxonPair>,
    /// What could not be computed, and why.
    pub notes: Vec<String>,
}

/// Each model's best trial in a run: (model name, per-repeat values).
fn model_values(run: &RunResults, metric: &str) -> Vec<(String, Vec<f64>)> {
    rank::model_groups(run)
        .iter()
        .filter_map(|g| {
            let t = &run.trials[g.best];
            Some((
                g.model.clone(),
                repeat_values(t, metric, run.split.repeats)?,
            ))
        })
        .collect()
}

/// The summary of `runs` (one per dataset) on `metric`.
pub fn summarise(
    benchmark: &str,
    description: &str,
    runs: &[RunResults],
    metric: &str,
    higher_is_better: bool,
) -> BenchmarkSummary {
    let per_run: Vec<Vec<(String, Vec<f64>)>> =
        runs.iter().map(|r| model_values(r, metric)).collect();
    let mut notes = Vec::new();
    let first: Vec<String> = per_run
        .first()
        .map(|m| m.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let models: Vec<String> = first
        .iter()
        .filter(|n| per_run.iter().all(|m| m.iter().any(|(x, _)| x == *n)))
        .cloned()
        .collect();
    for n in first.iter().filter(|n| !models.contains(n)) {
        notes.push(format!(
            "`{n}` is left out: it has no {metric} value on every dataset"
        ));
    }
    let repeat_values: Vec<Vec<Vec<f64>>> = per_run
        .iter()
        .map(|m| {
            models
                .iter()
                .map(|n| {
                    m.iter()
                        .find(|(x, _)| x == n)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let values: Vec<Vec<f64>> = repeat_values
        .iter()
        .map(|d| {
            d.iter()
                .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
                .collect()
        })
        .collect();
    let sign = if higher_is_better { -1.0 } else { 1.0 };
    let oriented: Vec<Vec<f64>> = values
        .iter()
        .map(|d| d.iter().map(|v| sign * v).collect())
        .collect();
    let ranks: Vec<Vec<f64>> = oriented.iter().map(|d| rankdata(d)).collect();
    let k = models.len();
    let mean_ranks: Vec<f64> = (0..k)
        .map(|m| ranks.iter().map(|r| r[m]).sum::<f64>() / ranks.len().max(1) as f64)
        .collect();
    let datasets = runs.iter().map(dataset_entry).collect();
    let (friedman, nemenyi) = omnibus(&oriented, &mut notes);
    let wilcoxon = pairwise(&models, &values, higher_is_better, &mut notes);
    BenchmarkSummary {
        benchmark: benchmark.to_string(),
        description: description.to_string(),
        metric: metric.to_string(),
        higher_is_better,
        datasets,
        models,
        values,
        repeat_values,
        ranks,
        mean_ranks,
        friedman,
        nemenyi,
        wilcoxon,
        notes,
    }
}

fn dataset_entry(r: &RunResults) -> DatasetEntry {
    DatasetEntry {
        experiment: r.experiment.clone(),
        description: r.description.clone().unwrap_or_default(),
        split: r.split.kind.clone(),
        repeats: r.split.repeats,
    }
}

fn omnibus(
    oriented: &[Vec<f64>],
    notes: &mut Vec<String>,
) -> (Option<FriedmanResult>, Option<NemenyiResult>) {
    let fr = match friedman(oriented) {
        Ok(f) => Some(FriedmanResult {
            statistic: f.statistic,
            df: f.mean_ranks.len() - 1,
            p_value: f.p_value,
        }),
        Err(e) => {
            notes.push(format!("no Friedman test: {e}"));
            None
        }
    };
    let nem = nemenyi(oriented).and_then(|n| {
        let cd = critical_difference(n.mean_ranks.len(), n.n_blocks, ALPHA)?;
        Ok(NemenyiResult {
            p_values: n.p_values,
            critical_difference: cd,
            alpha: ALPHA,
            n_blocks: n.n_blocks,
        })
    });
    match nem {
        Ok(n) => (fr, Some(n)),
        Err(e) => {
            notes.push(format!("no Nemenyi test: {e}"));
            (fr, None)
        }
    }
}

fn pairwise(
    models: &[String],
    values: &[Vec<f64>],
    higher: bool,
    notes: &mut Vec<String>,
) -> Vec<WilcoxonPair> {
    let sign = if higher { 1.0 } else { -1.0 };
    let column = |m: usize| -> Vec<f64> { values.iter().map(|d| sign * d[m]).collect() };
    let mut pairs = Vec::new();
    for a in 0..models.len() {
        for b in a + 1..models.len() {
            match wilcoxon(&column(a), &column(b)) {
                Ok(w) => pairs.push(WilcoxonPair {
                    a: models[a].clone(),
                    b: models[b].clone(),
                    statistic: w.statistic,
                    p_value: w.p_value,
                    p_holm: w.p_value,
                    rank_biserial: w.rank_biserial,
                    method: w.method.name().to_string(),
                }),
                Err(e) => notes.push(format!("{} vs {}: {e}", models[a], models[b])),
            }
        }
    }
    let adjusted = holm(&pairs.iter().map(|p| p.p_value).collect::<Vec<_>>());
    for (p, h) in pairs.iter_mut().zip(adjusted) {
        p.p_holm = h;
    }
    pairs
}
