//! Metrics by name, for the spec's selection metric (`select_by: f1_macro`).
//!
//! [`CLASSIFICATION_METRICS`] and [`DETECTOR_METRICS`] are the rows of the one metric
//! table (`anomalab_results::metrics`) that these structs compute; `get` on the metric
//! structs looks a key up and, for an unknown key, returns an error that suggests the
//! closest valid name and lists them all.

use std::sync::LazyLock;

pub use anomalab_results::MetricInfo;
use anomalab_results::metrics;

use super::classification::ClassificationMetrics;
use super::detector::DetectorMetrics;
use crate::LearnError;

/// Every key accepted by [`ClassificationMetrics::get`] (the table's classification rows).
pub static CLASSIFICATION_METRICS: LazyLock<Vec<&'static MetricInfo>> =
    LazyLock::new(|| metrics::classification().collect());

/// Every key accepted by [`DetectorMetrics::get`] (the table's detector rows).
pub static DETECTOR_METRICS: LazyLock<Vec<&'static MetricInfo>> =
    LazyLock::new(|| metrics::detector().collect());

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
pub fn unknown_metric(name: &str, valid: &[&MetricInfo]) -> LearnError {
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
            _ => return Err(unknown_metric(name, &CLASSIFICATION_METRICS)),
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
            _ => return Err(unknown_metric(name, &DETECTOR_METRICS)),
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
        for info in CLASSIFICATION_METRICS.iter() {
            m.get(info.name).unwrap();
        }
        assert_eq!(m.get("accuracy").unwrap(), Some(2.0 / 3.0));
        assert_eq!(m.get("roc_auc").unwrap(), None);
        let e = m.get("f1macro").unwrap_err().to_string();
        assert!(e.contains("did you mean `f1_macro`?"), "{e}");
        assert!(e.contains("balanced_accuracy"), "{e}");
    }

    #[test]
    fn every_detector_key_resolves_and_every_computed_name_is_in_the_table() {
        let d = crate::eval::detector_metrics(&[false, true, true], &[0.1, 0.9, 0.2], 0.5).unwrap();
        for info in DETECTOR_METRICS.iter() {
            d.get(info.name).unwrap();
        }
        assert_eq!(DETECTOR_METRICS.len(), 8);
        assert_eq!(CLASSIFICATION_METRICS.len(), 13);
        // The fields of both structs, as serialised, are all table names (per-class and
        // confusion data aside).
        let c = crate::eval::classification_metrics(&[0, 1], &[0, 1], 2, None).unwrap();
        let mut keys: Vec<String> = Vec::new();
        for v in [
            serde_json::to_value(&c).unwrap(),
            serde_json::to_value(&d).unwrap(),
        ] {
            keys.extend(v.as_object().unwrap().keys().cloned());
        }
        for k in keys {
            if [
                "per_class",
                "confusion",
                "threshold",
                "n_samples",
                "n_anomalies",
                "tp",
                "fp",
                "tn",
                "fn_",
            ]
            .contains(&k.as_str())
            {
                continue;
            }
            assert!(
                anomalab_results::metrics::find(&k).is_some(),
                "{k} not in the table"
            );
        }
    }
}
