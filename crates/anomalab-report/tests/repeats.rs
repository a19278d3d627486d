//! A run with repeats: the leaderboard shows mean ± sd [95 % interval] over the repeats,
//! marks the best trial and every trial not significantly worse than it, and the report
//! has a table of pairwise p-values. Built from the binary fixture with its fold results
//! copied into repeats and shifted by a fixed pattern (no randomness).

mod common;

use anomalab_report::compare::{PairedTest, significance};
use anomalab_report::model::{FoldResult, FoldSummary, RunResults};
use anomalab_report::{RenderOptions, render};

/// A small fixed pattern standing in for the spread between repeats.
fn shift(trial: usize, repeat: usize, fold: usize) -> f64 {
    (((trial * 5 + repeat * 3 + fold * 2) % 7) as f64 - 3.0) * 0.002
}

/// The binary fixture as `repeats` repeats of `folds` folds of split `kind`; trial 1 is
/// moved to 0.001 below trial 0 (so it should not be significantly worse).
fn repeated(kind: &str, repeats: usize, folds: usize) -> RunResults {
    let mut results = common::load("binary");
    let metric = results.selection.metric.clone();
    results.split.kind = kind.into();
    results.split.repeats = repeats;
    results.split.folds = (0..repeats * folds)
        .map(|i| FoldSummary {
            name: format!("r{}/fold-{}", i / folds, i % folds + 1),
            train_rows: 4000,
            test_rows: if kind == "kfold" {
                4000 / (folds - 1)
            } else {
                1700
            },
            repeat: i / folds,
        })
        .collect();
    let base0 = results.trials[0].mean[&metric];
    for t in &mut results.trials {
        let template: FoldResult = t.folds[0].clone();
        let base = if t.id == 1 {
            base0 - 0.001
        } else {
            t.mean[&metric]
        };
        t.folds = (0..repeats * folds)
            .map(|i| {
                let mut f = template.clone();
                f.fold = format!("r{}/fold-{}", i / folds, i % folds + 1);
                f.repeat = i / folds;
                let v = base + shift(t.id, i / folds, i % folds);
                f.metrics.insert(metric.clone(), v);
                f
            })
            .collect();
        let values: Vec<f64> = t.folds.iter().map(|f| f.metrics[&metric]).collect();
        t.mean.insert(
            metric.clone(),
            values.iter().sum::<f64>() / values.len() as f64,
        );
    }
    results
}

#[test]
fn repeated_holdout_marks_the_trials_not_significantly_worse() {
    let results = repeated("holdout", 5, 1);
    let s = significance(&results).expect("five repeats are compared");
    assert_eq!(s.test, PairedTest::PairedT);
    assert_eq!((s.best, s.n_paired), (0, 5));
    // trial 1 is 0.001 below the best with a spread of ~0.004: not significantly worse;
    // the others are 3 to 15 points below: worse.
    assert_eq!(s.not_worse, vec![0, 1]);
    // three models (random_forest, logistic_regression, naive_bayes): three pairs
    assert_eq!(s.pairwise.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    render(&results, dir.path(), &RenderOptions::default()).unwrap();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    check_snapshot(&md);
    assert!(md.contains("over 5 repeats"), "{md}");
    assert!(md.contains("paired t-test over the repeats"));
    assert!(md.contains("★ **random_forest#0"));
    assert!(md.contains("≈ random_forest#1"));
    assert!(md.contains("## Pairwise comparisons"));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<section id=\"pairwise\">"));
    assert!(html.contains("≈ random_forest#1"));
    let tex = std::fs::read_to_string(dir.path().join("leaderboard.tex")).unwrap();
    assert!(tex.contains("standard deviation over the repeats"), "{tex}");
}

#[test]
fn repeated_kfold_uses_the_corrected_resampled_t_test() {
    let results = repeated("kfold", 3, 5);
    let s = significance(&results).unwrap();
    assert_eq!(s.test, PairedTest::CorrectedResampledT { ratio: 0.25 });
    assert_eq!(s.n_paired, 15);
    assert!(s.not_worse.contains(&1) && !s.not_worse.contains(&3));
}

#[test]
fn a_single_run_has_no_comparisons() {
    assert!(significance(&common::load("binary")).is_none());
}

fn check_snapshot(got: &str) {
    let snap = common::crate_dir().join("tests/snapshots/repeated/report.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&snap)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 creates it)", snap.display()));
    assert_eq!(got, want, "repeated/report.md differs from the snapshot");
}
