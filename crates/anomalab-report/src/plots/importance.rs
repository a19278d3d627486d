//! Feature importance: the top 20 features of a trial, importances averaged over folds
//! (a feature missing from a fold's top-50 list counts as 0 there).

use super::{Bar, BarChart, Chart, Figure};
use crate::fmt;
use crate::model::TrialResult;

/// How many features the chart shows.
pub const TOP: usize = 20;

/// Mean importance per feature over the folds that report importances, largest first,
/// ties by name; `None` when no fold has importances.
pub fn mean_importances(trial: &TrialResult) -> Option<Vec<(String, f64)>> {
    let folds: Vec<&Vec<(String, f64)>> = trial
        .folds
        .iter()
        .filter_map(|f| f.feature_importances.as_ref())
        .collect();
    if folds.is_empty() {
        return None;
    }
    let mut sums: std::collections::BTreeMap<&str, f64> = Default::default();
    for f in &folds {
        for (name, v) in f.iter() {
            if v.is_finite() {
                *sums.entry(name.as_str()).or_default() += v;
            }
        }
    }
    let n = folds.len() as f64;
    let mut out: Vec<(String, f64)> = sums
        .into_iter()
        .map(|(k, v)| (k.to_string(), v / n))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(out)
}

/// The importance figure of a trial, if it has importances.
pub fn figure(trial: &TrialResult) -> Option<Figure> {
    let imp = mean_importances(trial)?;
    let bars: Vec<Bar> = imp
        .into_iter()
        .take(TOP)
        .map(|(name, v)| Bar {
            label: name,
            value: v,
            error: None,
            highlight: false,
            value_text: format!("{v:.3}"),
        })
        .collect();
    let n = bars.len();
    Some(Figure::single(
        format!("importance-{}", fmt::slug(&trial.model)),
        format!("Feature importance: {}", trial.label),
        format!(
            "Top {n} features of {} by normalised importance, mean over folds.",
            trial.label
        ),
        Chart::Bars(BarChart {
            value_label: "importance (normalised)".into(),
            bars,
            log: false,
            unit_scores: false,
        }),
        (900, (90 + 26 * n as u32).max(220)),
    ))
}
