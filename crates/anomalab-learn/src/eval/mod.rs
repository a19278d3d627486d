//! Evaluation metrics, each equal to scikit-learn's definition (checked against values
//! computed by scikit-learn in `tests/reference/metrics.json`, to 1e-9).
//!
//! This module owns the numbers only: it takes class indices, per-class scores, anomaly
//! scores or cluster labels and returns plain serde structs that the runner writes to
//! `results.json` and the report reads back. It never reads files and never prints.
//!
//! * [`classification`]: confusion matrix, accuracy, balanced accuracy, precision / recall /
//!   F1 (micro, macro, weighted, per class) and the summary [`ClassificationMetrics`].
//! * [`curves`]: ROC and precision-recall curves, ROC-AUC and average precision (PR-AUC),
//!   binary and one-vs-rest macro, plus a shape-keeping downsampler for plots.
//! * [`clustering`]: silhouette (exact and seeded-sample), adjusted Rand index, purity.
//! * [`detector`]: thresholded anomaly-detector metrics ([`DetectorMetrics`]).
//! * [`names`]: the selection metrics by string key, with "did you mean" suggestions.

pub mod classification;
pub mod clustering;
pub mod curves;
pub mod detector;
pub mod names;

pub use classification::{
    ClassMetrics, ClassificationMetrics, classification_metrics, confusion_matrix,
};
pub use clustering::{
    SilhouetteSample, adjusted_rand_score, purity, silhouette_score, silhouette_score_sampled,
};
pub use curves::{
    CurvePoint, average_precision, average_precision_ovr_macro, downsample_curve,
    precision_recall_curve, roc_auc, roc_auc_ovr_macro, roc_curve,
};
pub use detector::{DetectorMetrics, detector_metrics};
pub use names::{CLASSIFICATION_METRICS, DETECTOR_METRICS, MetricInfo, unknown_metric};
