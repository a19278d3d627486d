//! From predictions to the numbers stored in results.json.
//!
//! The metric definitions live in `anomalab_learn::eval` (each equal to scikit-learn's);
//! this module turns them into a [`FoldResult`]: a flat map of named scalar metrics, the
//! confusion matrix, per-class figures and downsampled ROC/PR curves.

use std::collections::BTreeMap;

use anomalab_learn::LearnError;
use anomalab_learn::eval as m;
use anomalab_results::metrics;
use anomalab_results::{ClassCurves, ClassMetrics, Diagnostics, FoldResult};
use ndarray::ArrayView2;

/// Points kept per curve for plotting.
pub const CURVE_POINTS: usize = 200;

/// Metrics shown in the leaderboard when a spec does not list its own.
/// Index of the normal class (`normal` or `benign`, in any case): detectors are evaluated
/// against it and a served model alerts on every other class.
pub fn normal_class(class_names: &[String]) -> Option<u32> {
    class_names
        .iter()
        .position(|c| ["normal", "benign"].contains(&c.to_lowercase().as_str()))
        .map(|i| i as u32)
}

pub fn default_leaderboard() -> Vec<&'static str> {
    metrics::default_leaderboard().map(|m| m.name).collect()
}

/// Every metric name a spec may use, in display order.
pub fn metric_names() -> Vec<&'static str> {
    metrics::recorded().map(|m| m.name).collect()
}

/// Whether a larger value of `name` is better.
pub fn higher_is_better(name: &str) -> bool {
    metrics::higher_is_better(name)
}

/// Classification metrics and curves for one fold.
pub fn classification_fold(
    fold: &str,
    class_names: &[String],
    y_true: &[u32],
    y_pred: &[u32],
    scores: Option<ArrayView2<'_, f64>>,
) -> Result<FoldResult, LearnError> {
    let k = class_names.len();
    let cm = m::classification_metrics(y_true, y_pred, k, scores)?;
    let mut metrics = BTreeMap::new();
    for info in m::CLASSIFICATION_METRICS.iter() {
        if let Ok(Some(v)) = cm.get(info.name)
            && v.is_finite()
        {
            metrics.insert(info.name.to_string(), v);
        }
    }
    let per_class = cm
        .per_class
        .iter()
        .map(|c| ClassMetrics {
            class: class_names
                .get(c.class)
                .cloned()
                .unwrap_or_else(|| c.class.to_string()),
            precision: c.precision,
            recall: c.recall,
            f1: c.f1,
            support: c.support,
        })
        .collect();
    let curves = match scores {
        Some(s) => curves_for(class_names, y_true, s),
        None => Vec::new(),
    };
    Ok(FoldResult {
        fold: fold.to_string(),
        repeat: 0,
        metrics,
        confusion: cm.confusion,
        per_class,
        curves,
        feature_importances: None,
        diagnostics: Diagnostics::default(),
    })
}

/// ROC and PR curves: binary -> the positive class (index 1); multiclass -> one per class.
pub fn curves_for(
    class_names: &[String],
    y_true: &[u32],
    scores: ArrayView2<'_, f64>,
) -> Vec<ClassCurves> {
    let classes: Vec<usize> = if class_names.len() == 2 {
        vec![1]
    } else {
        (0..class_names.len()).collect()
    };
    classes
        .into_iter()
        .filter_map(|c| {
            let truth: Vec<bool> = y_true.iter().map(|&y| y as usize == c).collect();
            let s: Vec<f64> = scores.column(c).to_vec();
            let roc = m::roc_curve(&truth, &s)?;
            let pr = m::precision_recall_curve(&truth, &s)?;
            Some(ClassCurves {
                class: class_names[c].clone(),
                roc_auc: m::roc_auc(&truth, &s),
                average_precision: m::average_precision(&truth, &s),
                roc: m::downsample_curve(&roc, CURVE_POINTS)
                    .iter()
                    .map(|p| (p.x, p.y))
                    .collect(),
                pr: m::downsample_curve(&pr, CURVE_POINTS)
                    .iter()
                    .map(|p| (p.x, p.y))
                    .collect(),
            })
        })
        .collect()
}

/// Mean and population standard deviation over folds of every metric all folds define.
pub fn aggregate(folds: &[FoldResult]) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut mean = BTreeMap::new();
    let mut std = BTreeMap::new();
    let Some(first) = folds.first() else {
        return (mean, std);
    };
    for name in first.metrics.keys() {
        let vals: Vec<f64> = folds
            .iter()
            .filter_map(|f| f.metrics.get(name).copied())
            .collect();
        if vals.len() != folds.len() {
            continue;
        }
        let mu = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / vals.len() as f64;
        mean.insert(name.clone(), mu);
        std.insert(name.clone(), var.sqrt());
    }
    (mean, std)
}
