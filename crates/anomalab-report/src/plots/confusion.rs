//! Confusion matrix heatmaps (counts and row-normalised) of one trial, summed over folds.

use super::{Chart, Figure, Heatmap, Panel};
use crate::fmt;
use crate::model::{RunResults, TrialResult};

/// The confusion matrix summed over folds (folds of different shapes are skipped after the
/// first, which a well-formed results file never has).
pub fn pooled(trial: &TrialResult) -> Vec<Vec<u64>> {
    let mut out: Vec<Vec<u64>> = Vec::new();
    for f in &trial.folds {
        if out.is_empty() {
            out = f.confusion.clone();
        } else if f.confusion.len() == out.len()
            && f.confusion
                .iter()
                .zip(&out)
                .all(|(a, b)| a.len() == b.len())
        {
            for (row, add) in out.iter_mut().zip(&f.confusion) {
                for (c, a) in row.iter_mut().zip(add) {
                    *c += a;
                }
            }
        }
    }
    out
}

/// Each row divided by its sum (0 for an empty row).
pub fn row_normalised(m: &[Vec<u64>]) -> Vec<Vec<f64>> {
    m.iter()
        .map(|row| {
            let s: u64 = row.iter().sum();
            row.iter()
                .map(|&c| if s == 0 { 0.0 } else { c as f64 / s as f64 })
                .collect()
        })
        .collect()
}

/// Labels for `n` rows or columns: the trial's per-class names, else the dataset's class
/// names, else indices.
pub fn labels(results: &RunResults, trial: &TrialResult, n: usize) -> Vec<String> {
    if let Some(f) = trial.folds.first()
        && f.per_class.len() == n
    {
        return f.per_class.iter().map(|c| c.class.clone()).collect();
    }
    if results.dataset.class_names.len() == n {
        return results.dataset.class_names.clone();
    }
    (0..n).map(|i| i.to_string()).collect()
}

/// The confusion figure of a trial (none without a confusion matrix).
pub fn figure(results: &RunResults, trial: &TrialResult) -> Option<Figure> {
    let m = pooled(trial);
    if m.is_empty() || m.iter().all(Vec::is_empty) {
        return None;
    }
    let rows = labels(results, trial, m.len());
    let cols = labels(results, trial, m.iter().map(Vec::len).max().unwrap_or(0));
    let norm = row_normalised(&m);
    let counts: Vec<Vec<String>> = m
        .iter()
        .map(|r| r.iter().map(|&c| fmt::count(c)).collect())
        .collect();
    let fracs: Vec<Vec<String>> = norm
        .iter()
        .map(|r| r.iter().map(|&v| format!("{v:.2}")).collect())
        .collect();
    let n = rows.len().max(cols.len()) as u32;
    let side = (260 + 48 * n).clamp(420, 1100);
    let heat = |annotations| {
        Chart::Heatmap(Heatmap {
            x_label: "Predicted".into(),
            y_label: "True".into(),
            row_labels: rows.clone(),
            col_labels: cols.clone(),
            values: norm.clone(),
            annotations: Some(annotations),
        })
    };
    let folds = trial.folds.len();
    Some(Figure {
        id: format!("confusion-{}", fmt::slug(&trial.model)),
        title: format!("Confusion matrix: {}", trial.label),
        caption: format!(
            "Confusion matrix of {} summed over {folds} fold{} (rows: true class, columns: \
             predicted class; colour: row-normalised).",
            trial.label,
            if folds == 1 { "" } else { "s" }
        ),
        panels: vec![
            Panel {
                title: "counts".into(),
                chart: heat(counts),
            },
            Panel {
                title: "row-normalised (recall on the diagonal)".into(),
                chart: heat(fracs),
            },
        ],
        columns: 2,
        panel_size: (side, side),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_normalisation_by_hand() {
        // [[8, 2], [1, 3]] -> [[0.8, 0.2], [0.25, 0.75]]; an empty row stays 0.
        let n = row_normalised(&[vec![8, 2], vec![1, 3], vec![0, 0]]);
        assert_eq!(n, vec![vec![0.8, 0.2], vec![0.25, 0.75], vec![0.0, 0.0]]);
    }
}
