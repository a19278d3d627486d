//! Metrics of an anomaly detector: thresholded counts (precision, recall = detection rate,
//! F1, false-alarm rate) and the threshold-free ROC-AUC and PR-AUC of its scores.
//!
//! Convention: a row is flagged anomalous when `score >= threshold` (the same convention as
//! scikit-learn's curves, so a threshold taken from a PR or ROC curve point reproduces that
//! point). The anomalous class is the positive class.

use serde::{Deserialize, Serialize};

use super::curves::{average_precision, roc_auc};
use crate::LearnError;

/// Metrics of one detector evaluation, as written to `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorMetrics {
    /// The threshold used: rows with `score >= threshold` are flagged.
    pub threshold: f64,
    /// Number of evaluated rows.
    pub n_samples: u64,
    /// Number of truly anomalous rows.
    pub n_anomalies: u64,
    /// Flagged anomalies that are anomalies (true positives).
    pub tp: u64,
    /// Normal rows flagged (false positives).
    pub fp: u64,
    /// Normal rows not flagged (true negatives).
    pub tn: u64,
    /// Anomalies not flagged (false negatives).
    pub fn_: u64,
    /// TP / (TP + FP); 0.0 when nothing is flagged (scikit-learn's zero_division default).
    pub precision: f64,
    /// TP / (TP + FN); 0.0 when there are no anomalies.
    pub recall: f64,
    /// 2TP / (2TP + FP + FN); 0.0 when undefined.
    pub f1: f64,
    /// Same as recall: the fraction of anomalies that are flagged.
    pub detection_rate: f64,
    /// FP / (FP + TN): the fraction of normal rows that are flagged; 0.0 with no normal rows.
    pub false_alarm_rate: f64,
    /// (TP + TN) / n.
    pub accuracy: f64,
    /// ROC-AUC of the raw scores; `None` when only one class is present.
    pub roc_auc: Option<f64>,
    /// Average precision of the raw scores; `None` when only one class is present.
    pub pr_auc: Option<f64>,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den > 0 {
        num as f64 / den as f64
    } else {
        0.0
    }
}

/// Detector metrics from the truth (`true` = anomaly), the anomaly scores and a threshold.
/// Errors when the lengths differ, there are no rows, or a score is NaN.
pub fn detector_metrics(
    is_anomaly: &[bool],
    scores: &[f64],
    threshold: f64,
) -> Result<DetectorMetrics, LearnError> {
    if is_anomaly.len() != scores.len() || scores.is_empty() {
        return Err(LearnError::InvalidInput(format!(
            "detector metrics need one score per row: {} labels, {} scores",
            is_anomaly.len(),
            scores.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(LearnError::InvalidInput(format!(
            "anomaly score of row {i} is NaN"
        )));
    }
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    for (&t, &s) in is_anomaly.iter().zip(scores) {
        match (t, s >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let recall = ratio(tp, tp + fn_);
    Ok(DetectorMetrics {
        threshold,
        n_samples: scores.len() as u64,
        n_anomalies: tp + fn_,
        tp,
        fp,
        tn,
        fn_,
        precision: ratio(tp, tp + fp),
        recall,
        f1: ratio(2 * tp, 2 * tp + fp + fn_),
        detection_rate: recall,
        false_alarm_rate: ratio(fp, fp + tn),
        accuracy: ratio(tp + tn, scores.len() as u64),
        roc_auc: roc_auc(is_anomaly, scores),
        pr_auc: average_precision(is_anomaly, scores),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_counted_case() {
        // truth:  A  A  N  N  N ; scores 0.9 0.2 0.8 0.1 0.3 ; threshold 0.5
        // flagged: 0.9 (A, TP), 0.8 (N, FP); 0.2 (A) is a FN; 0.1, 0.3 are TNs.
        let m = detector_metrics(
            &[true, true, false, false, false],
            &[0.9, 0.2, 0.8, 0.1, 0.3],
            0.5,
        )
        .unwrap();
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 1, 2, 1));
        assert_eq!(m.precision, 0.5);
        assert_eq!(m.detection_rate, 0.5);
        assert!((m.false_alarm_rate - 1.0 / 3.0).abs() < 1e-15);
        // AUC by pair counting: positive 0.9 beats all 3 negatives, 0.2 beats only 0.1:
        // (3 + 1) / 6.
        assert!((m.roc_auc.unwrap() - 4.0 / 6.0).abs() < 1e-12);
        assert!(detector_metrics(&[true], &[f64::NAN], 0.0).is_err());
    }
}
