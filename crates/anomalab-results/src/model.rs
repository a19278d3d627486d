//! The results model: everything a run produces, as written to `reports/<experiment>/results.json`.
//!
//! This is the one interface between the runner and every report: exporters read these
//! types (deserialised from the file) and nothing else, so `anomalab report results.json`
//! re-renders without re-running. All fields that depend on the machine or the clock are
//! kept in [`RunManifest`] and in the `timing` objects, so two runs of the same spec and
//! seed are identical once those are removed, whatever the thread count.

use std::collections::BTreeMap;

use crate::params::ParamMap;
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or is removed.
pub const RESULTS_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunResults {
    pub format_version: u32,
    pub experiment: String,
    pub description: Option<String>,
    pub status: RunStatus,
    pub manifest: RunManifest,
    pub dataset: DatasetSummary,
    pub split: SplitSummary,
    pub selection: Selection,
    /// Every trial, ordered by trial id (models x grid points, in spec order).
    pub trials: Vec<TrialResult>,
    /// The best successful trial by the selection metric, once the run is complete.
    pub best: Option<BestModel>,
    /// Dataset-level projections for plots (2-D PCA of a seeded sample of test rows).
    pub projection: Option<Projection2d>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Trials still running (results.json is rewritten after each one).
    Running,
    /// Every trial finished (some may have failed).
    Complete,
}

/// Facts about how, where and when the run happened (not part of the deterministic result).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunManifest {
    pub tool_version: String,
    /// `git describe`-like commit of the tool's source tree, when known.
    pub git_commit: Option<String>,
    pub spec_path: String,
    /// The spec file exactly as given.
    pub spec_text: String,
    /// The spec after defaults were filled in, as JSON.
    pub spec_resolved: serde_json::Value,
    /// sha256 of the resolved spec (stored with the model).
    pub spec_hash: String,
    pub seed: u64,
    pub threads: usize,
    pub host: HostInfo,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_seconds: Option<f64>,
    pub command_line: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostInfo {
    pub os: String,
    pub arch: String,
    pub cpus: usize,
    pub hostname: Option<String>,
    pub memory_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileSummary {
    pub path: String,
    pub role: String,
    pub sha256: String,
    pub bytes: u64,
    pub rows: usize,
    pub columns: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DatasetSummary {
    /// `nsl_kdd`, `unsw_nb15`, `csv`, `synthetic`, ...
    pub source: String,
    pub target: Option<String>,
    pub description: String,
    /// True for data the tool generated (the report says so prominently).
    pub synthetic: bool,
    pub files: Vec<FileSummary>,
    pub class_names: Vec<String>,
    /// Rows per class as loaded (train part, and test part when the split is official).
    pub class_counts_train: Vec<usize>,
    pub class_counts_test: Option<Vec<usize>>,
    /// Rows per class after cleaning (train part of the first fold), before the model sees it.
    pub class_counts_after_preprocessing: Option<Vec<usize>>,
    pub n_features_raw: usize,
    pub n_features_model: usize,
    pub feature_names: Vec<String>,
    pub preprocessing: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SplitSummary {
    /// `official`, `holdout`, `kfold`.
    pub kind: String,
    /// Every fold of every repeat, repeat by repeat.
    pub folds: Vec<FoldSummary>,
    /// How many times the whole split and every model were run with fresh seeds (1 when
    /// the spec has no `repeats`; absent from results written before repeats existed).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeats: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoldSummary {
    pub name: String,
    pub train_rows: usize,
    pub test_rows: usize,
    /// The repeat this fold belongs to (0-based; 0 when the run has one repeat).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeat: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    /// Metric name, e.g. `f1_macro`.
    pub metric: String,
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Classifier,
    Detector,
    Clusterer,
}

impl Role {
    /// The role's name as results.json and the CLI write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Classifier => "classifier",
            Role::Detector => "detector",
            Role::Clusterer => "clusterer",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrialResult {
    pub id: usize,
    /// The model's name in the spec (defaults to the algorithm name).
    pub model: String,
    pub algorithm: String,
    pub backend: String,
    pub role: Role,
    /// Complete parameter values (grid point + defaults).
    pub params: ParamMap,
    /// Names of the parameters that vary in this model's grid (for short labels).
    pub varied: Vec<String>,
    /// `random_forest#3 (max_depth=20, n_estimators=100)`.
    pub label: String,
    pub status: TrialStatus,
    pub error: Option<String>,
    pub folds: Vec<FoldResult>,
    /// Mean and population standard deviation over folds of every scalar metric.
    pub mean: BTreeMap<String, f64>,
    pub std: BTreeMap<String, f64>,
    pub timing: TrialTiming,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    Ok,
    Failed,
}

/// Wall-clock facts (removed before comparing two runs).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TrialTiming {
    pub fit_seconds_mean: f64,
    pub predict_seconds_mean: f64,
    pub fit_seconds: Vec<f64>,
    pub predict_seconds: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoldResult {
    pub fold: String,
    /// The repeat this fold belongs to (0-based; 0 when the run has one repeat).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeat: usize,
    /// Scalar metrics by name (`accuracy`, `f1_macro`, `roc_auc`, ...); undefined ones absent.
    pub metrics: BTreeMap<String, f64>,
    /// Rows = true class, columns = predicted class (class order of the dataset).
    pub confusion: Vec<Vec<u64>>,
    pub per_class: Vec<ClassMetrics>,
    /// ROC and PR curves (binary: one entry for the positive class; multiclass: one per class,
    /// one-vs-rest), downsampled for plotting.
    pub curves: Vec<ClassCurves>,
    /// Normalised feature importances by feature name, largest first (top 50), if the model has them.
    pub feature_importances: Option<Vec<(String, f64)>>,
    /// Role-specific data for the report (threshold, score histogram, elbow, k-distance, ...).
    #[serde(default)]
    pub diagnostics: Diagnostics,
}

/// Data for the unsupervised plots of the report. Every field is optional: a model fills
/// what applies to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Diagnostics {
    /// The fitted decision threshold of a detector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// Anomaly-score histogram of the test rows, per class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_histogram: Option<ScoreHistogram>,
    /// k-means: inertia and silhouette vs k, chosen k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elbow: Option<Elbow>,
    /// GMM: BIC/AIC vs number of components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_criteria: Option<InformationCriteria>,
    /// DBSCAN: sorted k-distance curve with the chosen eps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_distance: Option<KDistance>,
    /// Clusterers: cluster of each point of the run's 2-D projection sample (None = noise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_clusters: Option<Vec<Option<usize>>>,
    /// Clusterers: size and label composition of each cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_profile: Option<Vec<ClusterProfile>>,
    /// SOM: U-matrix (row-major, `rows` x `cols`, normalised to [0, 1]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u_matrix: Option<UMatrix>,
    /// Neural models: loss per epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_curve: Option<LossCurve>,
    /// Bagged forests with `oob_score: true`: accuracy of the out-of-bag vote on the
    /// training rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oob_score: Option<f64>,
    /// Free-form notes shown with the trial (e.g. "DBSCAN ran on a 20,000-row sample").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Threshold {
    pub value: f64,
    /// `contamination`, `percentile`, `best_f1`.
    pub method: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScoreHistogram {
    /// Bin edges (len = bins + 1).
    pub edges: Vec<f64>,
    /// The edges are spaced evenly on a log scale (positive scores spanning more than two
    /// decades): draw the score axis in log scale.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log_bins: bool,
    /// Counts per bin for each class (class name, counts).
    pub counts: Vec<(String, Vec<u64>)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Elbow {
    pub k: Vec<usize>,
    pub inertia: Vec<f64>,
    pub silhouette: Vec<Option<f64>>,
    pub chosen_k: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InformationCriteria {
    pub n_components: Vec<usize>,
    pub bic: Vec<f64>,
    pub aic: Vec<f64>,
    pub chosen: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KDistance {
    pub k: usize,
    /// Distance to the k-th neighbour of the query rows, sorted ascending (downsampled for
    /// plotting). Results written before `positions` existed hold it descending; readers
    /// sort it.
    pub distances: Vec<f64>,
    /// Position of each of `distances` among the `sampled_rows` rows clustered (1 to
    /// `sampled_rows`): the query rows stand for all of them. Empty in older results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<f64>,
    pub eps: f64,
    /// Index of the knee in the full descending curve (before downsampling), when eps was
    /// chosen from it.
    pub knee_index: Option<usize>,
    pub sampled_rows: usize,
    pub total_rows: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterProfile {
    /// `None` = noise.
    pub cluster: Option<usize>,
    pub size: usize,
    /// (class name, rows) in this cluster.
    pub composition: Vec<(String, usize)>,
    /// Older results: features whose cluster mean differs most from the overall mean (in
    /// standard deviations). Newer results fill `contrasts` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_features: Vec<(String, f64)>,
    /// The cluster's centre in the original units of every input feature (before scaling
    /// and encoding); empty when the features cannot be mapped back (after PCA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub centre: Vec<CentreValue>,
    /// The model features that most set the cluster apart from the rest of the rows,
    /// largest |standardised mean difference| first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contrasts: Vec<FeatureContrast>,
}

/// One input feature of a cluster centre, in original units.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CentreValue {
    pub feature: String,
    /// Numeric feature: mean over the cluster's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Categorical feature: its most frequent value in the cluster...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// ... and the fraction of the cluster's rows that have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// How one model feature (a numeric input, or one level of a one-hot categorical) sets a
/// cluster apart from the rest of the rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureContrast {
    pub feature: String,
    /// (cluster mean - rest mean) / pooled standard deviation (Cohen's d, n - 1 weights);
    /// when `complete`, over the feature's overall standard deviation instead.
    pub smd: f64,
    /// Means in original units (a one-hot level: the fraction of rows having it; model
    /// units after PCA).
    pub cluster_mean: f64,
    pub rest_mean: f64,
    /// The feature is constant within the cluster and within the rest, at different
    /// values: it separates them completely (the pooled deviation is 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UMatrix {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LossCurve {
    pub train: Vec<f64>,
    pub validation: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassMetrics {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassCurves {
    pub class: String,
    pub roc_auc: Option<f64>,
    pub average_precision: Option<f64>,
    /// (false positive rate, true positive rate)
    pub roc: Vec<(f64, f64)>,
    /// (recall, precision)
    pub pr: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BestModel {
    pub trial_id: usize,
    pub label: String,
    pub metric: String,
    pub value: f64,
    /// Relative to the project directory, e.g. `models/quickstart/best.model`.
    pub model_path: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Projection2d {
    pub explained_variance_ratio: [f64; 2],
    /// (x, y, class index) for a seeded sample of test rows of the first fold.
    pub points: Vec<(f64, f64, u32)>,
}

impl TrialResult {
    /// Mean of a metric over folds, if every fold defined it.
    pub fn mean_metric(&self, name: &str) -> Option<f64> {
        self.mean.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn role_names_are_the_serialised_names() {
        for role in [Role::Classifier, Role::Detector, Role::Clusterer] {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }
}
