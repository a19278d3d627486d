//! From a model's predictions to per-flow verdicts: the label, whether it is an alert, the
//! score an analyst sorts by, and a severity.

use crate::score::{ClassScoreKind, Predictions};

use super::eve::Verdict;

/// How predictions become alerts for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// The class that is not an alert (classifiers and clusterers).
    pub normal: Option<u32>,
    /// Number of classes (the `signature_id` of an unmapped cluster's alert follows them).
    pub classes: u32,
}

impl AlertRule {
    /// The verdict of every row of `p`.
    pub fn verdicts(&self, p: &Predictions) -> Vec<Verdict> {
        match p {
            Predictions::Classes(c) => (0..c.predicted.len())
                .map(|i| {
                    let class = c.predicted[i];
                    let score = c.scores[[i, class as usize]];
                    Verdict {
                        label: c.class_names[class as usize].clone(),
                        class,
                        alert: Some(class) != self.normal,
                        score,
                        threshold: None,
                        severity: class_severity(c.score_kind, score),
                    }
                })
                .collect(),
            Predictions::Anomalies(a) => (0..a.scores.len())
                .map(|i| {
                    let alert = a.is_anomaly(i);
                    Verdict {
                        label: if alert { "attack" } else { "normal" }.into(),
                        class: u32::from(alert),
                        alert,
                        score: a.scores[i],
                        threshold: Some(a.threshold),
                        severity: anomaly_severity(a.scores[i], a.threshold),
                    }
                })
                .collect(),
            Predictions::Clusters(c) => (0..c.clusters.len())
                .map(|i| match c.classes[i] {
                    Some(class) => Verdict {
                        label: c.class_names[class as usize].clone(),
                        class,
                        alert: Some(class) != self.normal,
                        score: c.scores[i],
                        threshold: None,
                        severity: 2,
                    },
                    None => Verdict {
                        label: format!("unmapped cluster {}", c.clusters[i]),
                        class: self.classes,
                        alert: true,
                        score: c.scores[i],
                        threshold: None,
                        severity: 3,
                    },
                })
                .collect(),
        }
    }
}

/// 1 when the model is sure (probability >= 0.9), 2 when fairly sure (>= 0.6), else 3;
/// raw class scores (not probabilities) carry no such scale: 2.
fn class_severity(kind: ClassScoreKind, score: f64) -> u8 {
    match kind {
        ClassScoreKind::Probability if score >= 0.9 => 1,
        ClassScoreKind::Probability if score >= 0.6 => 2,
        ClassScoreKind::Probability => 3,
        ClassScoreKind::Score => 2,
    }
}

/// By how far the score passes the threshold, relative to the threshold's size: at least
/// double it is 1, a quarter more is 2, just past it is 3.
fn anomaly_severity(score: f64, threshold: f64) -> u8 {
    let margin = (score - threshold) / threshold.abs().max(f64::MIN_POSITIVE);
    if margin >= 1.0 {
        1
    } else if margin >= 0.25 {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::score::{AnomalyPredictions, ClassPredictions, ClusterPredictions};

    #[test]
    fn classifier_alerts_on_every_class_but_normal() {
        let p = Predictions::Classes(ClassPredictions {
            class_names: vec!["BENIGN".into(), "DoS".into()],
            score_kind: ClassScoreKind::Probability,
            predicted: vec![0, 1, 1],
            scores: array![[0.8, 0.2], [0.05, 0.95], [0.35, 0.65]],
        });
        let rule = AlertRule {
            normal: Some(0),
            classes: 2,
        };
        let v = rule.verdicts(&p);
        assert_eq!(
            v.iter().map(|v| v.alert).collect::<Vec<_>>(),
            [false, true, true]
        );
        assert_eq!(v[1].label, "DoS");
        assert_eq!((v[1].score, v[1].severity), (0.95, 1));
        assert_eq!(v[2].severity, 2);
    }

    #[test]
    fn detector_alerts_above_its_threshold_only() {
        let p = Predictions::Anomalies(AnomalyPredictions {
            scores: vec![0.5, 0.5000001, 1.0, 0.7],
            threshold: 0.5,
        });
        let rule = AlertRule {
            normal: Some(0),
            classes: 2,
        };
        let v = rule.verdicts(&p);
        assert_eq!(
            v.iter().map(|v| v.alert).collect::<Vec<_>>(),
            [false, true, true, true]
        );
        assert_eq!(
            v.iter().map(|v| v.severity).collect::<Vec<_>>(),
            [3, 3, 1, 2]
        );
        assert_eq!(v[2].threshold, Some(0.5));
    }

    #[test]
    fn unmapped_cluster_is_an_alert_of_its_own() {
        let p = Predictions::Clusters(ClusterPredictions {
            clusters: vec![0, 3],
            classes: vec![Some(0), None],
            scores: vec![1.0, 9.0],
            class_names: vec!["normal".into(), "attack".into()],
        });
        let rule = AlertRule {
            normal: Some(0),
            classes: 2,
        };
        let v = rule.verdicts(&p);
        assert!(!v[0].alert);
        assert!(v[1].alert);
        assert_eq!((v[1].class, v[1].label.as_str()), (2, "unmapped cluster 3"));
    }
}
