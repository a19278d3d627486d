//! Confusion matrix and the label-based classification metrics, as scikit-learn defines them
//! with `labels=range(n_classes)` and the default `zero_division` behaviour.
//!
//! scikit-learn conventions matched here (checked against `tests/reference/metrics.json`):
//! * confusion matrix rows are true classes, columns predicted classes;
//! * a ratio whose denominator is zero (precision of a class never predicted, recall of a
//!   class absent from `y_true`, F1 when precision + recall is zero) is `0.0`
//!   (`zero_division="warn"` returns 0.0 after its warning);
//! * macro averages are over **all** `n_classes` labels, so a class absent from both
//!   `y_true` and `y_pred` contributes 0.0 to the macro precision, recall and F1 (that is
//!   what `precision_recall_fscore_support(..., labels=range(n), average="macro")` does);
//!   weighted averages weight by support, so such a class contributes nothing;
//! * micro averages pool the counts of all labels (equal to accuracy for single-label data);
//! * balanced accuracy (`balanced_accuracy_score`, which takes no `labels`) is the mean
//!   recall over the classes **present in `y_true`** only.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::curves::{average_precision, mean_defined, ovr_per_class, roc_auc};
use crate::LearnError;

/// Metrics of one class (one-vs-rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Class index.
    pub class: usize,
    /// TP / (TP + FP); 0.0 when the class is never predicted.
    pub precision: f64,
    /// TP / (TP + FN); 0.0 when the class is absent from `y_true`.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0.0 when both are 0.
    pub f1: f64,
    /// Number of rows of this class in `y_true`.
    pub support: u64,
    /// One-vs-rest ROC-AUC of this class's score column, when scores were given and the
    /// class is present (and not alone) in `y_true`.
    pub roc_auc: Option<f64>,
    /// One-vs-rest average precision of this class's score column (same conditions).
    pub pr_auc: Option<f64>,
}

/// Every classification metric of one evaluation, as written to `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Number of evaluated rows.
    pub n_samples: u64,
    /// Fraction of rows predicted correctly.
    pub accuracy: f64,
    /// Mean recall over the classes present in `y_true`.
    pub balanced_accuracy: f64,
    /// Pooled-count precision (equals accuracy for single-label data).
    pub precision_micro: f64,
    /// Pooled-count recall (equals accuracy for single-label data).
    pub recall_micro: f64,
    /// Pooled-count F1 (equals accuracy for single-label data).
    pub f1_micro: f64,
    /// Unweighted mean of the per-class precisions over all classes.
    pub precision_macro: f64,
    /// Unweighted mean of the per-class recalls over all classes.
    pub recall_macro: f64,
    /// Unweighted mean of the per-class F1 scores over all classes.
    pub f1_macro: f64,
    /// Support-weighted mean of the per-class precisions.
    pub precision_weighted: f64,
    /// Support-weighted mean of the per-class recalls.
    pub recall_weighted: f64,
    /// Support-weighted mean of the per-class F1 scores.
    pub f1_weighted: f64,
    /// ROC-AUC: binary (score column 1) for two classes, one-vs-rest macro otherwise;
    /// `None` without scores or when undefined (one class present).
    pub roc_auc: Option<f64>,
    /// PR-AUC as average precision: binary (column 1) or one-vs-rest macro; `None` as above.
    pub pr_auc: Option<f64>,
    /// Per-class metrics, in class index order.
    pub per_class: Vec<ClassMetrics>,
    /// Confusion matrix: `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
}

fn check_labels(y: &[u32], n_classes: usize, what: &str) -> Result<(), LearnError> {
    match y.iter().find(|&&c| c as usize >= n_classes) {
        Some(bad) => Err(LearnError::InvalidInput(format!(
            "{what} contains class {bad}, but there are only {n_classes} classes"
        ))),
        None => Ok(()),
    }
}

/// Confusion matrix, scikit-learn's `confusion_matrix(y_true, y_pred, labels=range(n))`:
/// `m[t][p]` counts rows of true class `t` predicted as `p`. O(n).
pub fn confusion_matrix(
    y_true: &[u32],
    y_pred: &[u32],
    n_classes: usize,
) -> Result<Vec<Vec<u64>>, LearnError> {
    if y_true.len() != y_pred.len() {
        return Err(LearnError::InvalidInput(format!(
            "{} true labels but {} predictions",
            y_true.len(),
            y_pred.len()
        )));
    }
    check_labels(y_true, n_classes, "y_true")?;
    check_labels(y_pred, n_classes, "y_pred")?;
    let mut flat = vec![0u64; n_classes * n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        flat[t as usize * n_classes + p as usize] += 1;
    }
    Ok(flat.chunks(n_classes.max(1)).map(|r| r.to_vec()).collect())
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

/// All classification metrics from true and predicted class indices and, optionally, the
/// per-class scores (one column per class, higher = more likely) for ROC-AUC and PR-AUC.
///
/// With two classes the AUCs are binary with class 1 positive (scores from column 1);
/// with more they are one-vs-rest macro averages (see [`super::curves::roc_auc_ovr_macro`]).
/// Errors when lengths disagree, a label is out of range, `y_true` is empty, or the score
/// matrix does not have one row per sample and one column per class.
pub fn classification_metrics(
    y_true: &[u32],
    y_pred: &[u32],
    n_classes: usize,
    scores: Option<ArrayView2<'_, f64>>,
) -> Result<ClassificationMetrics, LearnError> {
    if y_true.is_empty() {
        return Err(LearnError::InvalidInput(
            "cannot compute metrics on zero rows".into(),
        ));
    }
    if let Some(s) = &scores
        && (s.nrows() != y_true.len() || s.ncols() != n_classes)
    {
        return Err(LearnError::InvalidInput(format!(
            "scores have shape {}x{}, expected {}x{} (one column per class)",
            s.nrows(),
            s.ncols(),
            y_true.len(),
            n_classes
        )));
    }
    let confusion = confusion_matrix(y_true, y_pred, n_classes)?;
    let n = y_true.len() as f64;
    let tp: Vec<f64> = (0..n_classes).map(|k| confusion[k][k] as f64).collect();
    let support: Vec<f64> = confusion
        .iter()
        .map(|r| r.iter().sum::<u64>() as f64)
        .collect();
    let predicted: Vec<f64> = (0..n_classes)
        .map(|k| confusion.iter().map(|r| r[k]).sum::<u64>() as f64)
        .collect();

    let precision: Vec<f64> = (0..n_classes).map(|k| ratio(tp[k], predicted[k])).collect();
    let recall: Vec<f64> = (0..n_classes).map(|k| ratio(tp[k], support[k])).collect();
    // scikit-learn computes F1 from the counts: 2TP / (2TP + FP + FN).
    let f1: Vec<f64> = (0..n_classes)
        .map(|k| ratio(2.0 * tp[k], predicted[k] + support[k]))
        .collect();

    let macro_avg = |v: &[f64]| v.iter().sum::<f64>() / n_classes as f64;
    let weighted_avg = |v: &[f64]| {
        let total: f64 = support.iter().sum();
        ratio(
            v.iter().zip(&support).map(|(a, w)| a * w).sum::<f64>(),
            total,
        )
    };
    let tp_all: f64 = tp.iter().sum();
    let precision_micro = ratio(tp_all, predicted.iter().sum());
    let recall_micro = ratio(tp_all, support.iter().sum());
    let f1_micro = ratio(
        2.0 * tp_all,
        predicted.iter().sum::<f64>() + support.iter().sum::<f64>(),
    );
    let present: Vec<f64> = (0..n_classes)
        .filter(|&k| support[k] > 0.0)
        .map(|k| recall[k])
        .collect();
    let balanced_accuracy = present.iter().sum::<f64>() / present.len() as f64;

    let (class_auc, class_ap, roc, pr) = match scores {
        Some(s) => {
            let ra = ovr_per_class(y_true, s, roc_auc);
            let ap = ovr_per_class(y_true, s, average_precision);
            let (roc, pr) = if n_classes == 2 {
                (ra[1], ap[1])
            } else {
                (mean_defined(&ra), mean_defined(&ap))
            };
            (ra, ap, roc, pr)
        }
        None => (vec![None; n_classes], vec![None; n_classes], None, None),
    };

    let per_class = (0..n_classes)
        .map(|k| ClassMetrics {
            class: k,
            precision: precision[k],
            recall: recall[k],
            f1: f1[k],
            support: support[k] as u64,
            roc_auc: class_auc[k],
            pr_auc: class_ap[k],
        })
        .collect();

    Ok(ClassificationMetrics {
        n_samples: y_true.len() as u64,
        accuracy: tp_all / n,
        balanced_accuracy,
        precision_micro,
        recall_micro,
        f1_micro,
        precision_macro: macro_avg(&precision),
        recall_macro: macro_avg(&recall),
        f1_macro: macro_avg(&f1),
        precision_weighted: weighted_avg(&precision),
        recall_weighted: weighted_avg(&recall),
        f1_weighted: weighted_avg(&f1),
        roc_auc: roc,
        pr_auc: pr,
        per_class,
        confusion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_three_class_case() {
        // y_true = [0,0,1,1,2], y_pred = [0,1,1,1,0]
        // confusion: [[1,1,0],[0,2,0],[1,0,0]]
        // precision: c0 1/2, c1 2/3, c2 0 (never predicted -> 0)
        // recall:    c0 1/2, c1 1,   c2 0
        // f1:        c0 1/2, c1 4/5, c2 0
        let m = classification_metrics(&[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0], 3, None).unwrap();
        assert_eq!(
            m.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]
        );
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        assert!((m.precision_macro - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((m.f1_macro - (0.5 + 0.8) / 3.0).abs() < 1e-12);
        assert!((m.f1_weighted - (2.0 * 0.5 + 2.0 * 0.8) / 5.0).abs() < 1e-12);
        assert!((m.balanced_accuracy - 0.5).abs() < 1e-12);
        assert!((m.f1_micro - 0.6).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(classification_metrics(&[0, 3], &[0, 1], 2, None).is_err());
        assert!(classification_metrics(&[0], &[0, 1], 2, None).is_err());
        assert!(classification_metrics(&[], &[], 2, None).is_err());
    }
}
