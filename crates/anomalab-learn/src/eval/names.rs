//! Metrics by name, for the spec's selection metric (`select_by: f1_macro`).
//!
//! [`CLASSIFICATION_METRICS`] and [`DETECTOR_METRICS`] list every valid key with its
//! direction and a one-line doc; `get` on the metric structs looks a key up and, for an
//! unknown key, returns an error that suggests the closest valid name and lists them all.

use super::classification::ClassificationMetrics;
use super::detector::DetectorMetrics;
use crate::LearnError;

/// A selectable metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    /// Key as written in a spec.
    pub name: &'static str,
    /// Whether a larger value is better (false only for `false_alarm_rate`).
    pub higher_is_better: bool,
    /// One line for `anomalab metrics` and error messages.
    pub doc: &'static str,
}

const fn m(name: &'static str, doc: &'static str) -> MetricInfo {
    MetricInfo {
        name,
        higher_is_better: true,
        doc,
    }
}

/// Every key accepted by [`ClassificationMetrics::get`].
pub const CLASSIFICATION_METRICS: &[MetricInfo] = &[
    m("accuracy", "fraction of rows predicted correctly"),
    m(
        "balanced_accuracy",
        "mean recall over classes present in the truth",
    ),
    m("precision_micro", "precision from pooled counts"),
    m("recall_micro", "recall from pooled counts"),
    m(
        "f1_micro",
        "F1 from pooled counts (= accuracy for single-label data)",
    ),
    m("precision_macro", "unweighted mean of per-class precision"),
    m("recall_macro", "unweighted mean of per-class recall"),
    m("f1_macro", "unweighted mean of per-class F1"),
    m(
        "precision_weighted",
        "support-weighted mean of per-class precision",
    ),
    m(
        "recall_weighted",
        "support-weighted mean of per-class recall",
    ),
    m("f1_weighted", "support-weighted mean of per-class F1"),
    m(
        "roc_auc",
        "ROC-AUC (binary, or one-vs-rest macro); needs scores",
    ),
    m(
        "pr_auc",
        "average precision (binary, or one-vs-rest macro); needs scores",
    ),
];

/// Every key accepted by [`DetectorMetrics::get`].
pub const DETECTOR_METRICS: &[MetricInfo] = &[
    m("precision", "flagged rows that are anomalies"),
    m("recall", "anomalies that are flagged"),
    m("f1", "harmonic mean of precision and recall"),
    m("detection_rate", "same as recall"),
    MetricInfo {
        name: "false_alarm_rate",
        higher_is_better: false,
        doc: "normal rows that are flagged (lower is better)",
    },
    m(
        "accuracy",
        "fraction of rows classified correctly at the threshold",
    ),
    m("roc_auc", "ROC-AUC of the anomaly scores"),
    m("pr_auc", "average precision of the anomaly scores"),
];

/// Levenshtein distance, for "did you mean" suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The error for an unknown metric key: names the closest valid key (when reasonably
/// close) and lists all of them.
pub fn unknown_metric(name: &str, valid: &[MetricInfo]) -> LearnError {
    let best = valid
        .iter()
        .map(|m| (edit_distance(name, m.name), m.name))
        .min();
    let hint = match best {
        Some((d, b)) if d <= 3 || b.contains(name) => format!(" (did you mean `{b}`?)"),
        _ => String::new(),
    };
    let all: Vec<&str> = valid.iter().map(|m| m.name).collect();
    LearnError::param(
        "metric",
        format!(
            "unknown metric `{name}`{hint}; valid names: {}",
            all.join(", ")
        ),
    )
}

impl ClassificationMetrics {
    /// The metric named `name` (a key of [`CLASSIFICATION_METRICS`]). `Ok(None)` when that
    /// metric is undefined for this evaluation (AUCs without scores or with one class).
    pub fn get(&self, name: &str) -> Result<Option<f64>, LearnError> {
        Ok(Some(match name {
            "accuracy" => self.accuracy,
            "balanced_accuracy" => self.balanced_accuracy,
            "precision_micro" => self.precision_micro,
            "recall_micro" => self.recall_micro,
            "f1_micro" => self.f1_micro,
            "precision_macro" => self.precision_macro,
            "recall_macro" => self.recall_macro,
            "f1_macro" => self.f1_macro,
            "precision_weighted" => self.precision_weighted,
            "recall_weighted" => self.recall_weighted,
            "f1_weighted" => self.f1_weighted,
            "roc_auc" => return Ok(self.roc_auc),
            "pr_auc" => return Ok(self.pr_auc),
            _ => return Err(unknown_metric(name, CLASSIFICATION_METRICS)),
        }))
    }
}

impl DetectorMetrics {
    /// The metric named `name` (a key of [`DETECTOR_METRICS`]); `Ok(None)` for an
    /// undefined AUC.
    pub fn get(&self, name: &str) -> Result<Option<f64>, LearnError> {
        Ok(Some(match name {
            "precision" => self.precision,
            "recall" => self.recall,
            "f1" => self.f1,
            "detection_rate" => self.detection_rate,
            "false_alarm_rate" => self.false_alarm_rate,
            "accuracy" => self.accuracy,
            "roc_auc" => return Ok(self.roc_auc),
            "pr_auc" => return Ok(self.pr_auc),
            _ => return Err(unknown_metric(name, DETECTOR_METRICS)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::classification_metrics;

    #[test]
    fn every_listed_name_resolves_and_typos_get_a_suggestion() {
        let m = classification_metrics(&[0, 1, 1], &[0, 1, 0], 2, None).unwrap();
        for info in CLASSIFICATION_METRICS {
            m.get(info.name).unwrap();
        }
        assert_eq!(m.get("accuracy").unwrap(), Some(2.0 / 3.0));
        assert_eq!(m.get("roc_auc").unwrap(), None);
        let e = m.get("f1macro").unwrap_err().to_string();
        assert!(e.contains("did you mean `f1_macro`?"), "{e}");
        assert!(e.contains("balanced_accuracy"), "{e}");
    }
}
