//! The one table of metrics: every name a fold's `metrics` map can hold (and the few that
//! only the learners' detector evaluation computes), with its direction, the roles whose
//! trials record it, and a one-line doc. The learners' lookup lists, the spec's valid and
//! default names, the selection direction and the report's column preference all read
//! this table.

use crate::model::Role;

/// Which roles' trials record a metric in `results.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub classifier: bool,
    pub detector: bool,
    pub clusterer: bool,
}

impl Roles {
    /// Recorded by no trial: computed by the learners' detector evaluation only.
    pub const NONE: Roles = Roles::new(false, false, false);
    pub const ALL: Roles = Roles::new(true, true, true);
    /// Detectors, and clusterers evaluated as detectors (transductive DBSCAN).
    pub const DETECTING: Roles = Roles::new(false, true, true);
    pub const CLUSTERER: Roles = Roles::new(false, false, true);

    const fn new(classifier: bool, detector: bool, clusterer: bool) -> Roles {
        Roles {
            classifier,
            detector,
            clusterer,
        }
    }

    pub fn has(self, role: Role) -> bool {
        match role {
            Role::Classifier => self.classifier,
            Role::Detector => self.detector,
            Role::Clusterer => self.clusterer,
        }
    }

    pub fn is_empty(self) -> bool {
        self == Roles::NONE
    }
}

/// Which of the learners' evaluations computes a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Computed {
    /// A key of `anomalab_learn::eval::ClassificationMetrics`.
    pub classification: bool,
    /// A key of `anomalab_learn::eval::DetectorMetrics`.
    pub detector: bool,
}

/// One metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    /// Key in a fold's `metrics` and in a spec (`select_by: f1_macro`).
    pub name: &'static str,
    /// As the report shows it (column headers, model sections).
    pub display: &'static str,
    /// Whether a larger value is better.
    pub higher_is_better: bool,
    pub roles: Roles,
    pub computed: Computed,
    /// Listed in the leaderboard when a spec does not list its own `metrics`.
    pub default_leaderboard: bool,
    /// Position among the metrics the report prefers as leaderboard columns (after the
    /// selection metric); `None`: shown only after those, alphabetically.
    pub report_rank: Option<u8>,
    /// One line for error messages and listings.
    pub doc: &'static str,
}

const CLASS: Computed = Computed {
    classification: true,
    detector: false,
};
const BOTH: Computed = Computed {
    classification: true,
    detector: true,
};
const DET: Computed = Computed {
    classification: false,
    detector: true,
};
const RUNNER: Computed = Computed {
    classification: false,
    detector: false,
};

/// A higher-is-better metric with no leaderboard preference.
const fn m(name: &'static str, roles: Roles, computed: Computed, doc: &'static str) -> MetricInfo {
    MetricInfo {
        name,
        display: name,
        higher_is_better: true,
        roles,
        computed,
        default_leaderboard: false,
        report_rank: None,
        doc,
    }
}

/// `m` listed in the default leaderboard.
const fn default(mut info: MetricInfo) -> MetricInfo {
    info.default_leaderboard = true;
    info
}

/// `m` with a report column preference.
const fn ranked(mut info: MetricInfo, rank: u8) -> MetricInfo {
    info.report_rank = Some(rank);
    info
}

/// Every metric, in the order specs and listings show them.
pub const METRICS: &[MetricInfo] = &[
    ranked(
        default(m(
            "accuracy",
            Roles::ALL,
            BOTH,
            "fraction of rows predicted correctly",
        )),
        0,
    ),
    default(m(
        "balanced_accuracy",
        Roles::ALL,
        CLASS,
        "mean recall over classes present in the truth",
    )),
    m(
        "precision_micro",
        Roles::ALL,
        CLASS,
        "precision from pooled counts",
    ),
    m(
        "recall_micro",
        Roles::ALL,
        CLASS,
        "recall from pooled counts",
    ),
    m(
        "f1_micro",
        Roles::ALL,
        CLASS,
        "F1 from pooled counts (= accuracy for single-label data)",
    ),
    ranked(
        default(m(
            "precision_macro",
            Roles::ALL,
            CLASS,
            "unweighted mean of per-class precision",
        )),
        5,
    ),
    ranked(
        default(m(
            "recall_macro",
            Roles::ALL,
            CLASS,
            "unweighted mean of per-class recall",
        )),
        6,
    ),
    ranked(
        default(m(
            "f1_macro",
            Roles::ALL,
            CLASS,
            "unweighted mean of per-class F1",
        )),
        1,
    ),
    m(
        "precision_weighted",
        Roles::ALL,
        CLASS,
        "support-weighted mean of per-class precision",
    ),
    m(
        "recall_weighted",
        Roles::ALL,
        CLASS,
        "support-weighted mean of per-class recall",
    ),
    ranked(
        default(m(
            "f1_weighted",
            Roles::ALL,
            CLASS,
            "support-weighted mean of per-class F1",
        )),
        2,
    ),
    ranked(
        default(m(
            "roc_auc",
            Roles::ALL,
            BOTH,
            "ROC-AUC (binary, or one-vs-rest macro); needs scores",
        )),
        3,
    ),
    ranked(
        default(m(
            "pr_auc",
            Roles::ALL,
            BOTH,
            "average precision (binary, or one-vs-rest macro); needs scores",
        )),
        4,
    ),
    m(
        "detection_rate",
        Roles::DETECTING,
        DET,
        "detectors: fraction of attack rows flagged (recall of the attack class)",
    ),
    MetricInfo {
        higher_is_better: false,
        ..m(
            "false_alarm_rate",
            Roles::DETECTING,
            DET,
            "detectors: fraction of normal rows flagged (lower is better)",
        )
    },
    ranked(
        m(
            "silhouette",
            Roles::CLUSTERER,
            RUNNER,
            "clusterers: mean silhouette coefficient of the test rows (seeded sample)",
        ),
        7,
    ),
    m(
        "adjusted_rand",
        Roles::CLUSTERER,
        RUNNER,
        "clusterers: adjusted Rand index of clusters vs true classes",
    ),
    m(
        "purity",
        Roles::CLUSTERER,
        RUNNER,
        "clusterers: fraction of rows in their cluster's majority class",
    ),
    m(
        "precision",
        Roles::NONE,
        DET,
        "flagged rows that are anomalies",
    ),
    m("recall", Roles::NONE, DET, "anomalies that are flagged"),
    m(
        "f1",
        Roles::NONE,
        DET,
        "harmonic mean of precision and recall",
    ),
];

/// The metric called `name`.
pub fn find(name: &str) -> Option<&'static MetricInfo> {
    METRICS.iter().find(|m| m.name == name)
}

/// Whether a larger value of `name` is better (true for a name not in the table).
pub fn higher_is_better(name: &str) -> bool {
    find(name).is_none_or(|m| m.higher_is_better)
}

/// The name the report shows for `name` (the name itself when it is not in the table).
pub fn display_name(name: &str) -> &str {
    find(name).map_or(name, |m| m.display)
}

/// Every metric some trial records: the names a spec may select or list, in table order.
pub fn recorded() -> impl Iterator<Item = &'static MetricInfo> {
    METRICS.iter().filter(|m| !m.roles.is_empty())
}

/// The keys of the learners' classification evaluation, in table order.
pub fn classification() -> impl Iterator<Item = &'static MetricInfo> {
    METRICS.iter().filter(|m| m.computed.classification)
}

/// The keys of the learners' detector evaluation, in table order.
pub fn detector() -> impl Iterator<Item = &'static MetricInfo> {
    METRICS.iter().filter(|m| m.computed.detector)
}

/// The leaderboard's metrics when a spec lists none, in table order.
pub fn default_leaderboard() -> impl Iterator<Item = &'static MetricInfo> {
    METRICS.iter().filter(|m| m.default_leaderboard)
}

/// The metrics the report prefers as leaderboard columns, most preferred first.
pub fn report_preference() -> Vec<&'static MetricInfo> {
    let mut v: Vec<&MetricInfo> = METRICS.iter().filter(|m| m.report_rank.is_some()).collect();
    v.sort_by_key(|m| m.report_rank);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(it: impl IntoIterator<Item = &'static MetricInfo>) -> Vec<&'static str> {
        it.into_iter().map(|m| m.name).collect()
    }

    #[test]
    fn names_are_unique_and_directions_right() {
        for (i, a) in METRICS.iter().enumerate() {
            assert!(
                METRICS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
            assert_eq!(
                a.higher_is_better,
                a.name != "false_alarm_rate",
                "{}",
                a.name
            );
            assert!(!a.doc.is_empty() && !a.display.is_empty());
        }
        assert!(!higher_is_better("false_alarm_rate"));
        assert!(higher_is_better("pr_auc"));
    }

    #[test]
    fn derived_lists_keep_their_order() {
        assert_eq!(
            names(default_leaderboard()),
            [
                "accuracy",
                "balanced_accuracy",
                "precision_macro",
                "recall_macro",
                "f1_macro",
                "f1_weighted",
                "roc_auc",
                "pr_auc"
            ]
        );
        assert_eq!(
            names(report_preference()),
            [
                "accuracy",
                "f1_macro",
                "f1_weighted",
                "roc_auc",
                "pr_auc",
                "precision_macro",
                "recall_macro",
                "silhouette"
            ]
        );
        assert_eq!(names(classification()).len(), 13);
        assert_eq!(names(recorded()).len(), 18);
        let det = names(detector());
        for n in [
            "precision",
            "recall",
            "f1",
            "detection_rate",
            "false_alarm_rate",
        ] {
            assert!(det.contains(&n), "{n}");
        }
        assert!(find("average_precision").is_none());
    }

    #[test]
    fn roles_say_who_records_a_metric() {
        let sil = find("silhouette").unwrap();
        assert!(sil.roles.has(Role::Clusterer) && !sil.roles.has(Role::Classifier));
        assert!(find("false_alarm_rate").unwrap().roles.has(Role::Detector));
        assert!(find("precision").unwrap().roles.is_empty());
    }
}
