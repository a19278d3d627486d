//! The formatted view model: [`ReportView`] is built once from [`RunResults`] and holds only
//! already-formatted strings (and a few booleans), so templates and exporters do no
//! arithmetic and every format shows the same numbers. Format-specific escaping (Markdown,
//! HTML, LaTeX, CSV) is left to the exporters.

use serde::Serialize;

use anomalab_results::metrics;

use crate::compare::Significance;
use crate::fmt;
use crate::model::{
    ClassMetrics, ClusterProfile, DatasetSummary, Role, RunManifest, RunResults, RunStatus,
    TrialResult, TrialStatus,
};
use crate::plots::{self, Figure, Place};
use crate::rank::{self, ModelGroup};

/// A label and a value, for key/value tables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

fn kv(key: &str, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: value.into(),
    }
}

/// One entry of the table of contents.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TocEntry {
    pub title: String,
    /// HTML id.
    pub anchor: String,
    /// The anchor GitHub and GitLab generate for the same Markdown heading.
    pub md_anchor: String,
    /// 1 = section, 2 = subsection.
    pub level: u8,
}

/// A plot: where its file is, and its SVG text for inlining in HTML.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FigureView {
    pub id: String,
    pub title: String,
    pub caption: String,
    /// Relative to the report directory, e.g. `plots/roc.svg`.
    pub file: String,
    pub svg: String,
}

/// One input file of the dataset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileView {
    pub path: String,
    pub role: String,
    pub sha256: String,
    pub size: String,
    pub rows: String,
    pub columns: String,
}

/// Rows of one class: as loaded and after preprocessing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassCountView {
    pub class: String,
    pub train: String,
    pub train_share: String,
    /// Empty when the split has no separate test file.
    pub test: String,
    /// Empty when not recorded.
    pub after: String,
}

/// The dataset section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatasetView {
    pub source: String,
    pub target: String,
    pub description: String,
    pub synthetic: bool,
    pub files: Vec<FileView>,
    pub classes: Vec<ClassCountView>,
    pub has_test_counts: bool,
    pub has_after_counts: bool,
    pub features: String,
    pub preprocessing: Vec<String>,
}

/// A cell holding `mean ± std`, with the parts kept for formats that typeset them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricCell {
    /// `0.9123 ± 0.0041`, or `n/a`.
    pub text: String,
    pub mean: String,
    /// Empty with a single fold.
    pub std: String,
}

/// The cell of one metric of a trial; the std is left out with a single fold (it is 0 by
/// definition there and would suggest a precision the run does not have).
fn metric_cell(t: &TrialResult, name: &str) -> MetricCell {
    match t.mean_metric(name) {
        Some(m) => {
            let s = t
                .std
                .get(name)
                .copied()
                .filter(|s| s.is_finite() && t.folds.len() > 1);
            MetricCell {
                text: fmt::mean_std(m, s),
                mean: fmt::metric(m),
                std: s.map(fmt::metric).unwrap_or_default(),
            }
        }
        None => MetricCell {
            text: "n/a".into(),
            mean: "n/a".into(),
            std: String::new(),
        },
    }
}

/// One leaderboard row (successful trials only, best first).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LeaderRow {
    pub rank: String,
    pub trial_id: String,
    pub label: String,
    pub model: String,
    pub is_best: bool,
    /// With repeats: not significantly worse than the best (see [`Leaderboard::note`]).
    pub not_worse: bool,
    /// The selection metric first, then the other leaderboard metrics.
    pub metrics: Vec<MetricCell>,
    pub fit: String,
    pub predict: String,
    /// Seconds with 3 decimals, for LaTeX.
    pub fit_seconds: String,
    pub predict_seconds: String,
}

/// The leaderboard table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Leaderboard {
    /// Metric names, selection metric first.
    pub metrics: Vec<String>,
    pub rows: Vec<LeaderRow>,
    /// With repeats: what the cells and marks mean (empty for a single run).
    pub note: String,
    /// With repeats: each model's best trial against each other's.
    pub pairwise: Vec<PairRow>,
}

/// One pairwise comparison of two models over the repeats.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairRow {
    pub a: String,
    pub b: String,
    /// mean(a - b) of the selection metric.
    pub difference: String,
    /// Cohen's d_z of the paired differences.
    pub effect: String,
    pub p: String,
    pub p_holm: String,
    pub significant: bool,
}

/// One trial in the compact table of all trials.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrialRow {
    pub id: String,
    pub model: String,
    pub label: String,
    pub algorithm: String,
    pub backend: String,
    pub role: String,
    pub params: String,
    pub status: String,
    pub selection: String,
    pub fit: String,
    pub predict: String,
}

/// A failed trial and its error.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailedView {
    pub id: String,
    pub label: String,
    pub error: String,
}

/// A labelled matrix (confusion matrix as a table).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MatrixView {
    pub columns: Vec<String>,
    pub rows: Vec<MatrixRow>,
}

/// One row of a [`MatrixView`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MatrixRow {
    pub label: String,
    pub cells: Vec<String>,
}

/// Per-class precision, recall, F1 (mean over folds) and support (summed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassRow {
    pub class: String,
    pub precision: String,
    pub recall: String,
    pub f1: String,
    pub support: String,
}

/// One cluster of a clusterer: size, composition, distinctive features.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClusterRow {
    pub cluster: String,
    /// Rows and their share of the clustered rows.
    pub size: String,
    /// Classes, largest first, with their share of the cluster.
    pub composition: String,
    /// The features that most set it apart: cluster vs rest mean (original units) and
    /// the standardised mean difference.
    pub top_features: String,
}

/// Cluster centres in original units: one row per input feature, one column per cluster.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CentreTable {
    pub clusters: Vec<String>,
    pub rows: Vec<CentreRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CentreRow {
    pub feature: String,
    pub values: Vec<String>,
}

/// The section of one model name (its best trial).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelSection {
    pub anchor: String,
    pub model: String,
    pub label: String,
    pub trial_id: String,
    pub algorithm: String,
    pub backend: String,
    pub role: String,
    pub params: String,
    pub is_best: bool,
    /// How many trials this model name has.
    pub trials: String,
    pub metrics: Vec<KeyValue>,
    pub confusion: Option<MatrixView>,
    pub confusion_normalised: Option<MatrixView>,
    pub per_class: Vec<ClassRow>,
    pub threshold: String,
    pub clusters: Vec<ClusterRow>,
    /// What the cluster tables leave out (empty: nothing).
    pub clusters_hidden: String,
    /// Centres of the clusters in original units (`None`: not recorded, or after PCA).
    pub centres: Option<CentreTable>,
    pub notes: Vec<String>,
    pub figures: Vec<FigureView>,
}

/// Everything a report shows, formatted.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportView {
    pub experiment: String,
    pub description: String,
    /// The run has not finished: the report is partial.
    pub running: bool,
    pub status: String,
    pub tool_version: String,
    pub seed: String,
    pub selection_metric: String,
    /// `higher is better` or `lower is better`.
    pub selection_direction: String,
    pub summary: Vec<KeyValue>,
    pub manifest: Vec<KeyValue>,
    pub dataset: DatasetView,
    pub split_kind: String,
    pub folds: Vec<KeyValue>,
    pub warnings: Vec<String>,
    pub best_label: String,
    pub best_value: String,
    pub best_model_path: String,
    pub leaderboard: Leaderboard,
    pub trials: Vec<TrialRow>,
    pub failed: Vec<FailedView>,
    pub models: Vec<ModelSection>,
    /// Leaderboard-level figures (comparison, timing).
    pub comparison_figures: Vec<FigureView>,
    /// ROC and PR figures.
    pub curve_figures: Vec<FigureView>,
    /// Run-level PCA projection.
    pub projection_figures: Vec<FigureView>,
    pub toc: Vec<TocEntry>,
    /// `results.csv`: header and one row per trial, numbers at full precision.
    pub csv_header: Vec<String>,
    pub csv_rows: Vec<Vec<String>>,
}

/// At most this many metric columns in the leaderboard (all are in `results.csv`).
const LEADERBOARD_COLUMNS: usize = 5;

/// The anchor GitHub/GitLab generate for a Markdown heading: lower case, punctuation other
/// than `-` and `_` dropped, spaces to `-`.
pub fn github_anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Classifier => "classifier",
        Role::Detector => "detector",
        Role::Clusterer => "clusterer",
    }
}

/// `k=v, k=v` of the parameters (only the varied ones when `varied_only` and some vary).
pub fn params_text(t: &TrialResult, varied_only: bool) -> String {
    t.params
        .0
        .iter()
        .filter(|(k, _)| !varied_only || t.varied.is_empty() || t.varied.contains(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn figure_view(fig: &Figure, svg: &str, ext: &str) -> FigureView {
    FigureView {
        id: fig.id.clone(),
        title: fig.title.clone(),
        caption: fig.caption.clone(),
        file: format!("plots/{}.{ext}", fig.id),
        svg: svg.to_string(),
    }
}

/// Every metric name used by any trial, in a stable order: the selection metric, the
/// metrics the table ranks for the report's leaderboard, then the rest alphabetically.
pub fn metric_names(results: &RunResults) -> Vec<String> {
    let mut all: std::collections::BTreeSet<&str> = Default::default();
    for t in &results.trials {
        all.extend(t.mean.keys().map(String::as_str));
    }
    let mut out = vec![results.selection.metric.clone()];
    for m in metrics::report_preference() {
        if all.contains(m.name) && !out.iter().any(|o| o == m.name) {
            out.push(m.name.to_string());
        }
    }
    for m in all {
        if !out.iter().any(|o| o == m) {
            out.push(m.to_string());
        }
    }
    out
}

/// The leaderboard's metric columns: the selection metric, then metrics in `names` order,
/// preferring one that a trial with no column yet defines (so a detector/clusterer mix
/// shows each model's metrics), at most 5 columns (all metrics are in `results.csv`).
pub fn leaderboard_metrics(results: &RunResults, order: &[usize], names: &[String]) -> Vec<String> {
    let mut cols: Vec<String> = names.iter().take(1).cloned().collect();
    while cols.len() < LEADERBOARD_COLUMNS {
        let uncovered: Vec<&TrialResult> = order
            .iter()
            .map(|&i| &results.trials[i])
            .filter(|t| !cols.iter().any(|c| t.mean.contains_key(c)))
            .collect();
        let next = names
            .iter()
            .filter(|n| !cols.contains(n))
            .find(|n| uncovered.is_empty() || uncovered.iter().any(|t| t.mean.contains_key(*n)));
        match next {
            Some(n) => cols.push(n.clone()),
            None => break,
        }
    }
    cols
}

/// Full-precision number for CSV (shortest text that round-trips; empty when absent).
fn raw(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x}"),
        Some(x) => format!("{x}").to_lowercase(),
        None => String::new(),
    }
}

/// Facts several sections share, computed once per build.
struct Basis<'a> {
    results: &'a RunResults,
    /// Successful trials, best first.
    order: Vec<usize>,
    best: Option<usize>,
    /// Every metric name, in display order (see [`metric_names`]).
    names: Vec<String>,
    n_failed: usize,
    /// `higher is better` or `lower is better`.
    direction: &'static str,
    /// Run duration, or `(running)`.
    duration: String,
}

impl<'a> Basis<'a> {
    fn new(results: &'a RunResults) -> Basis<'a> {
        Basis {
            results,
            order: rank::leaderboard(results),
            best: rank::best(results),
            names: metric_names(results),
            n_failed: results
                .trials
                .iter()
                .filter(|t| t.status == TrialStatus::Failed)
                .count(),
            direction: if results.selection.higher_is_better {
                "higher is better"
            } else {
                "lower is better"
            },
            duration: results
                .manifest
                .duration_seconds
                .map(fmt::seconds)
                .unwrap_or_else(|| "(running)".into()),
        }
    }

    fn metric(&self) -> &'a str {
        &self.results.selection.metric
    }

    /// Label and selection-metric cell of the best trial.
    fn best_label_value(&self) -> (String, String) {
        match self.best.map(|i| &self.results.trials[i]) {
            Some(t) => (t.label.clone(), metric_cell(t, self.metric()).text),
            None => ("(no successful trial)".into(), "n/a".into()),
        }
    }
}

/// The figures placed at `place`, in order.
fn placed_figures(
    figures: &[(Place, Figure)],
    svgs: &[String],
    ext: &str,
    place: Place,
) -> Vec<FigureView> {
    figures
        .iter()
        .zip(svgs)
        .filter(|((p, _), _)| *p == place)
        .map(|((_, f), s)| figure_view(f, s, ext))
        .collect()
}

/// Rows per class: as loaded (with the share of the train rows), test, after preprocessing.
fn class_counts(d: &DatasetSummary) -> Vec<ClassCountView> {
    let train_total: usize = d.class_counts_train.iter().sum();
    let count_at = |counts: &Option<Vec<usize>>, i: usize| {
        counts
            .as_ref()
            .and_then(|c| c.get(i))
            .map(|&c| fmt::count(c as u64))
            .unwrap_or_default()
    };
    d.class_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let train = d.class_counts_train.get(i).copied().unwrap_or(0);
            ClassCountView {
                class: name.clone(),
                train: fmt::count(train as u64),
                train_share: fmt::percent(train as u64, train_total as u64),
                test: count_at(&d.class_counts_test, i),
                after: count_at(&d.class_counts_after_preprocessing, i),
            }
        })
        .collect()
}

fn dataset_view(d: &DatasetSummary) -> DatasetView {
    DatasetView {
        source: d.source.clone(),
        target: d
            .target
            .clone()
            .unwrap_or_else(|| "(none: unsupervised)".into()),
        description: d.description.clone(),
        synthetic: d.synthetic,
        files: d
            .files
            .iter()
            .map(|f| FileView {
                path: f.path.clone(),
                role: f.role.clone(),
                sha256: f.sha256.clone(),
                size: fmt::bytes(f.bytes),
                rows: fmt::count(f.rows as u64),
                columns: fmt::count(f.columns as u64),
            })
            .collect(),
        classes: class_counts(d),
        has_test_counts: d.class_counts_test.is_some(),
        has_after_counts: d.class_counts_after_preprocessing.is_some(),
        features: format!(
            "{} raw, {} after preprocessing",
            fmt::count(d.n_features_raw as u64),
            fmt::count(d.n_features_model as u64)
        ),
        preprocessing: d.preprocessing.clone(),
    }
}

/// `host (os arch, n CPUs, m memory)`.
fn host_text(m: &RunManifest) -> String {
    let mut host = format!("{} {}, {} CPUs", m.host.os, m.host.arch, m.host.cpus);
    if let Some(mem) = m.host.memory_bytes {
        host.push_str(&format!(", {} memory", fmt::bytes(mem)));
    }
    if let Some(h) = &m.host.hostname {
        host = format!("{h} ({host})");
    }
    host
}

fn manifest_rows(m: &RunManifest, duration: &str) -> Vec<KeyValue> {
    vec![
        kv("tool version", format!("anomalab {}", m.tool_version)),
        kv(
            "git commit",
            m.git_commit.clone().unwrap_or_else(|| "(unknown)".into()),
        ),
        kv("spec", m.spec_path.clone()),
        kv("spec sha256", m.spec_hash.clone()),
        kv("command", m.command_line.join(" ")),
        kv("seed", m.seed.to_string()),
        kv("threads", m.threads.to_string()),
        kv("host", host_text(m)),
        kv("started", m.started_at.clone()),
        kv(
            "finished",
            m.finished_at.clone().unwrap_or_else(|| "(running)".into()),
        ),
        kv("duration", duration),
    ]
}

fn fold_rows(results: &RunResults) -> Vec<KeyValue> {
    results
        .split
        .folds
        .iter()
        .map(|f| {
            kv(
                &f.name,
                format!(
                    "{} train rows, {} test rows",
                    fmt::count(f.train_rows as u64),
                    fmt::count(f.test_rows as u64)
                ),
            )
        })
        .collect()
}

fn summary_rows(b: &Basis<'_>) -> Vec<KeyValue> {
    let (results, d, metric) = (b.results, &b.results.dataset, b.metric());
    let train_total: usize = d.class_counts_train.iter().sum();
    let rows = if d.class_counts_test.is_some() {
        " train rows"
    } else {
        " rows"
    };
    let n_folds = results.split.folds.len();
    let plural = if n_folds == 1 { "" } else { "s" };
    let (best_label, best_value) = b.best_label_value();
    vec![
        kv("experiment", results.experiment.clone()),
        kv(
            "dataset",
            format!("{} ({}{rows})", d.source, fmt::count(train_total as u64)),
        ),
        kv(
            "split",
            format!("{} ({n_folds} fold{plural})", results.split.kind),
        ),
        kv("seed", results.manifest.seed.to_string()),
        kv("selection metric", format!("{metric} ({})", b.direction)),
        kv(
            "trials",
            format!(
                "{} ({} succeeded, {} failed)",
                results.trials.len(),
                b.order.len(),
                b.n_failed
            ),
        ),
        kv("best", format!("{best_label}: {metric} = {best_value}")),
        kv("duration", b.duration.clone()),
    ]
}

fn warnings(b: &Basis<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    if b.results.status == RunStatus::Running {
        warnings.push(
            "The run has not finished: this report shows the trials completed so far.".to_string(),
        );
    }
    if b.n_failed > 0 {
        warnings.push(format!(
            "{} trial(s) failed: see \"Failed trials\".",
            b.n_failed
        ));
    }
    warnings.extend(b.results.dataset.warnings.iter().cloned());
    warnings
}

/// The cell of one metric over the repeats: mean ± sd [95 % interval].
fn repeat_cell(t: &TrialResult, name: &str, repeats: usize) -> MetricCell {
    match crate::compare::repeat_summary(t, name, repeats) {
        Some(s) => {
            let interval = s
                .ci95
                .map(|(lo, hi)| format!(" [{}, {}]", fmt::metric(lo), fmt::metric(hi)))
                .unwrap_or_default();
            MetricCell {
                text: format!("{}{interval}", fmt::mean_std(s.mean, s.sd)),
                mean: fmt::metric(s.mean),
                std: s.sd.map(fmt::metric).unwrap_or_default(),
            }
        }
        None => metric_cell(t, name),
    }
}

fn p_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn significance_note(s: &Significance, results: &RunResults) -> String {
    format!(
        "mean ± standard deviation [95 % t interval] over {} repeats; ★ marks the best \
         trial, ≈ every trial not significantly worse than it on {} ({}, {} paired values, \
         Holm-adjusted over the {} comparisons with the best, alpha {})",
        s.repeats,
        results.selection.metric,
        s.test.describe(),
        s.n_paired,
        s.versus_best.len(),
        crate::compare::ALPHA
    )
}

fn pair_rows(s: &Significance, results: &RunResults) -> Vec<PairRow> {
    s.pairwise
        .iter()
        .map(|p| PairRow {
            a: results.trials[p.a].label.clone(),
            b: results.trials[p.b].label.clone(),
            difference: format!("{:+.4}", p.mean_difference),
            effect: match (p.effect_size, p.note) {
                (Some(d), _) => format!("{d:+.2}"),
                (None, Some(note)) => note.to_string(),
                (None, None) => "n/a".into(),
            },
            p: p_text(p.p_value),
            p_holm: p_text(p.p_holm),
            significant: p.p_holm < crate::compare::ALPHA,
        })
        .collect()
}

fn leaderboard_view(b: &Basis<'_>) -> Leaderboard {
    let lb_metrics = leaderboard_metrics(b.results, &b.order, &b.names);
    let sig = crate::compare::significance(b.results);
    let repeats = b.results.split.repeats;
    let cell = |t: &TrialResult, n: &str| match sig {
        Some(_) => repeat_cell(t, n, repeats),
        None => metric_cell(t, n),
    };
    let rows = b
        .order
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let t = &b.results.trials[i];
            LeaderRow {
                rank: (r + 1).to_string(),
                trial_id: t.id.to_string(),
                label: t.label.clone(),
                model: t.model.clone(),
                is_best: Some(i) == b.best,
                not_worse: sig.as_ref().is_some_and(|s| s.not_worse.contains(&i)),
                metrics: lb_metrics.iter().map(|n| cell(t, n)).collect(),
                fit: fmt::seconds(t.timing.fit_seconds_mean),
                predict: fmt::seconds(t.timing.predict_seconds_mean),
                fit_seconds: format!("{:.3}", t.timing.fit_seconds_mean),
                predict_seconds: format!("{:.3}", t.timing.predict_seconds_mean),
            }
        })
        .collect();
    Leaderboard {
        metrics: lb_metrics
            .iter()
            .map(|n| metrics::display_name(n).to_string())
            .collect(),
        rows,
        note: sig
            .as_ref()
            .map(|s| significance_note(s, b.results))
            .unwrap_or_default(),
        pairwise: sig
            .as_ref()
            .map(|s| pair_rows(s, b.results))
            .unwrap_or_default(),
    }
}

fn status_text(s: TrialStatus) -> &'static str {
    match s {
        TrialStatus::Ok => "ok",
        TrialStatus::Failed => "failed",
    }
}

fn trial_rows(results: &RunResults) -> Vec<TrialRow> {
    let metric = &results.selection.metric;
    results
        .trials
        .iter()
        .map(|t| TrialRow {
            id: t.id.to_string(),
            model: t.model.clone(),
            label: t.label.clone(),
            algorithm: t.algorithm.clone(),
            backend: t.backend.clone(),
            role: role(t.role).into(),
            params: params_text(t, true),
            status: status_text(t.status).into(),
            selection: metric_cell(t, metric).text,
            fit: fmt::seconds(t.timing.fit_seconds_mean),
            predict: fmt::seconds(t.timing.predict_seconds_mean),
        })
        .collect()
}

fn failed_views(results: &RunResults) -> Vec<FailedView> {
    results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Failed)
        .map(|t| FailedView {
            id: t.id.to_string(),
            label: t.label.clone(),
            error: t
                .error
                .clone()
                .unwrap_or_else(|| "(no error recorded)".into()),
        })
        .collect()
}

/// The table of contents: must follow the headings of the templates.
fn toc(v: &ReportView) -> Vec<TocEntry> {
    let mut toc = Vec::new();
    let mut entry = |title: String, anchor: &str, level: u8, shown: bool| {
        if shown {
            toc.push(TocEntry {
                md_anchor: github_anchor(&title),
                title,
                anchor: anchor.to_string(),
                level,
            })
        }
    };
    entry("Summary".into(), "summary", 1, true);
    entry("Dataset".into(), "dataset", 1, true);
    entry("Run manifest".into(), "run-manifest", 1, true);
    entry("Warnings".into(), "warnings", 1, !v.warnings.is_empty());
    entry("Leaderboard".into(), "leaderboard", 1, true);
    let pairwise = !v.leaderboard.pairwise.is_empty();
    entry("Pairwise comparisons".into(), "pairwise", 1, pairwise);
    let comparison = !v.comparison_figures.is_empty();
    entry(
        "Model comparison".into(),
        "model-comparison-section",
        1,
        comparison,
    );
    let curves = !v.curve_figures.is_empty();
    entry(
        "ROC and precision-recall curves".into(),
        "curves",
        1,
        curves,
    );
    let projection = !v.projection_figures.is_empty();
    entry("2-D projection".into(), "projection", 1, projection);
    entry("Models".into(), "models", 1, !v.models.is_empty());
    for s in &v.models {
        entry(format!("Model {}", s.model), &s.anchor, 2, true);
    }
    entry("All trials".into(), "all-trials", 1, true);
    entry(
        "Failed trials".into(),
        "failed-trials",
        1,
        !v.failed.is_empty(),
    );
    toc
}

/// `results.csv`'s header: trial facts, mean and std of every metric, timing, error.
fn csv_header(names: &[String]) -> Vec<String> {
    let mut header: Vec<String> = [
        "id",
        "model",
        "algorithm",
        "backend",
        "role",
        "params",
        "status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in names {
        header.push(format!("{n}_mean"));
        header.push(format!("{n}_std"));
    }
    header.extend(
        ["fit_seconds", "predict_seconds", "error"]
            .iter()
            .map(|s| s.to_string()),
    );
    header
}

/// One row of `results.csv`, numbers at full precision (timing empty for a failed trial).
fn csv_row(t: &TrialResult, names: &[String]) -> Vec<String> {
    let params = t
        .params
        .0
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";");
    let mut row = vec![
        t.id.to_string(),
        t.model.clone(),
        t.algorithm.clone(),
        t.backend.clone(),
        role(t.role).to_string(),
        params,
        status_text(t.status).to_string(),
    ];
    for n in names {
        row.push(raw(t.mean.get(n).copied()));
        row.push(raw(t.std.get(n).copied()));
    }
    let ok = t.status == TrialStatus::Ok;
    let timing = |s: f64| if ok { raw(Some(s)) } else { String::new() };
    row.push(timing(t.timing.fit_seconds_mean));
    row.push(timing(t.timing.predict_seconds_mean));
    row.push(t.error.clone().unwrap_or_default());
    row
}

impl ReportView {
    /// Build the view. `figures` and `svgs` are parallel (see [`plots::figures`] and
    /// [`plots::to_svg`]); `ext` is the extension of the plot files next to the Markdown.
    pub fn build(
        results: &RunResults,
        figures: &[(Place, Figure)],
        svgs: &[String],
        ext: &str,
    ) -> ReportView {
        let b = Basis::new(results);
        let m = &results.manifest;
        let placed = |place| placed_figures(figures, svgs, ext, place);
        let (best_label, best_value) = b.best_label_value();
        let models = rank::model_groups(results)
            .iter()
            .map(|g| model_section(results, g, b.best, &b.names, placed(Place::Model(g.best))))
            .collect();
        let mut view = ReportView {
            experiment: results.experiment.clone(),
            description: results.description.clone().unwrap_or_default(),
            running: results.status == RunStatus::Running,
            status: match results.status {
                RunStatus::Running => "running".into(),
                RunStatus::Complete => "complete".into(),
            },
            tool_version: m.tool_version.clone(),
            seed: m.seed.to_string(),
            selection_metric: b.metric().to_string(),
            selection_direction: b.direction.into(),
            summary: summary_rows(&b),
            manifest: manifest_rows(m, &b.duration),
            dataset: dataset_view(&results.dataset),
            split_kind: results.split.kind.clone(),
            folds: fold_rows(results),
            warnings: warnings(&b),
            best_label,
            best_value,
            best_model_path: results
                .best
                .as_ref()
                .and_then(|b| b.model_path.clone())
                .unwrap_or_default(),
            leaderboard: leaderboard_view(&b),
            trials: trial_rows(results),
            failed: failed_views(results),
            models,
            comparison_figures: placed(Place::Comparison),
            curve_figures: placed(Place::Curves),
            projection_figures: placed(Place::Projection),
            toc: Vec::new(),
            csv_header: csv_header(&b.names),
            csv_rows: results
                .trials
                .iter()
                .map(|t| csv_row(t, &b.names))
                .collect(),
        };
        view.toc = toc(&view);
        view
    }
}

/// The pooled confusion matrix of `t`, as counts and as row-normalised shares.
fn confusion_views(
    results: &RunResults,
    t: &TrialResult,
) -> (Option<MatrixView>, Option<MatrixView>) {
    let confusion = plots::confusion::pooled(t);
    if confusion.is_empty() {
        return (None, None);
    }
    let rows = plots::confusion::labels(results, t, confusion.len());
    let width = confusion.iter().map(Vec::len).max().unwrap_or(0);
    let cols = plots::confusion::labels(results, t, width);
    let norm = plots::confusion::row_normalised(&confusion);
    let mk = |cells: Vec<Vec<String>>| MatrixView {
        columns: cols.clone(),
        rows: rows
            .iter()
            .zip(cells)
            .map(|(l, c)| MatrixRow {
                label: l.clone(),
                cells: c,
            })
            .collect(),
    };
    let counts = confusion
        .iter()
        .map(|r| r.iter().map(|&c| fmt::count(c)).collect())
        .collect();
    let shares = norm
        .iter()
        .map(|r| r.iter().map(|&v| format!("{v:.3}")).collect())
        .collect();
    (Some(mk(counts)), Some(mk(shares)))
}

/// Per-class metrics: mean over folds by class name (first fold's order), support summed.
fn per_class_rows(t: &TrialResult) -> Vec<ClassRow> {
    let Some(f0) = t.folds.first() else {
        return Vec::new();
    };
    f0.per_class
        .iter()
        .map(|c0| {
            let all: Vec<&ClassMetrics> = t
                .folds
                .iter()
                .filter_map(|f| f.per_class.iter().find(|c| c.class == c0.class))
                .collect();
            let n = all.len().max(1) as f64;
            let mean = |get: fn(&ClassMetrics) -> f64| {
                fmt::metric(all.iter().map(|c| get(c)).sum::<f64>() / n)
            };
            ClassRow {
                class: c0.class.clone(),
                precision: mean(|c| c.precision),
                recall: mean(|c| c.recall),
                f1: mean(|c| c.f1),
                support: fmt::count(all.iter().map(|c| c.support).sum()),
            }
        })
        .collect()
}

/// Clusters the report's tables show.
const SHOWN_CLUSTERS: usize = 12;

/// The [`SHOWN_CLUSTERS`] largest clusters (in cluster order) and the noise rows, and a
/// sentence on the clusters left out (DBSCAN can find hundreds).
fn shown_clusters(profile: &[ClusterProfile]) -> (Vec<ClusterProfile>, String) {
    let mut by_size: Vec<usize> = (0..profile.len())
        .filter(|&i| profile[i].cluster.is_some())
        .collect();
    by_size.sort_by(|&a, &b| profile[b].size.cmp(&profile[a].size).then(a.cmp(&b)));
    let hidden: Vec<usize> = by_size.split_off(by_size.len().min(SHOWN_CLUSTERS));
    let shown = (0..profile.len())
        .filter(|i| !hidden.contains(i))
        .map(|i| profile[i].clone())
        .collect();
    let note = if hidden.is_empty() {
        String::new()
    } else {
        let rows: usize = hidden.iter().map(|&i| profile[i].size).sum();
        format!(
            "The {SHOWN_CLUSTERS} largest clusters are shown; {} smaller ones ({} rows) are in results.json.",
            hidden.len(),
            fmt::count(rows as u64)
        )
    };
    (shown, note)
}

fn cluster_name(c: &ClusterProfile) -> String {
    c.cluster
        .map(|k| k.to_string())
        .unwrap_or_else(|| "noise".into())
}

/// Size, class mix and distinctive features of each cluster (sizes as a share of
/// `total` rows).
fn cluster_rows(profile: &[ClusterProfile], total: usize) -> Vec<ClusterRow> {
    profile
        .iter()
        .map(|c| {
            let mut comp: Vec<&(String, usize)> =
                c.composition.iter().filter(|x| x.1 > 0).collect();
            comp.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let of = c.composition.iter().map(|x| x.1).sum::<usize>() as u64;
            let apart: Vec<String> = if c.contrasts.is_empty() {
                c.top_features
                    .iter()
                    .map(|(n, z)| format!("{n} ({z:+.2} sd)"))
                    .collect()
            } else {
                c.contrasts
                    .iter()
                    .map(|f| {
                        let how = if f.complete {
                            "separates all rows".to_string()
                        } else {
                            format!("{:+.2}", f.smd)
                        };
                        format!(
                            "{} {} vs {} ({how})",
                            f.feature,
                            fmt::quantity(f.cluster_mean),
                            fmt::quantity(f.rest_mean),
                        )
                    })
                    .collect()
            };
            ClusterRow {
                cluster: cluster_name(c),
                size: format!(
                    "{} ({})",
                    fmt::count(c.size as u64),
                    fmt::percent(c.size as u64, total as u64)
                ),
                composition: comp
                    .iter()
                    .map(|(n, r)| format!("{n} {}", fmt::percent(*r as u64, of)))
                    .collect::<Vec<_>>()
                    .join(", "),
                top_features: apart.join("; "),
            }
        })
        .collect()
}

/// The centres of every cluster, feature by feature (`None` when no cluster has one).
fn centre_table(profile: &[ClusterProfile]) -> Option<CentreTable> {
    let first = profile.iter().find(|c| !c.centre.is_empty())?;
    let rows = first
        .centre
        .iter()
        .map(|f| CentreRow {
            feature: f.feature.clone(),
            values: profile
                .iter()
                .map(|c| {
                    let Some(v) = c.centre.iter().find(|v| v.feature == f.feature) else {
                        return String::new();
                    };
                    match (&v.mode, v.share, v.mean) {
                        (Some(m), Some(s), _) => format!("{m} ({:.0}%)", s * 100.0),
                        (Some(m), None, _) => m.clone(),
                        (None, _, Some(x)) => fmt::quantity(x),
                        _ => String::new(),
                    }
                })
                .collect(),
        })
        .collect();
    Some(CentreTable {
        clusters: profile.iter().map(cluster_name).collect(),
        rows,
    })
}

/// The notes of every fold, each once, in order of first appearance.
fn trial_notes(t: &TrialResult) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for f in &t.folds {
        for n in &f.diagnostics.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    notes
}

fn model_section(
    results: &RunResults,
    g: &ModelGroup,
    best: Option<usize>,
    names: &[String],
    figures: Vec<FigureView>,
) -> ModelSection {
    let t = &results.trials[g.best];
    let (confusion, confusion_normalised) = confusion_views(results, t);
    let d = t.folds.first().map(|f| &f.diagnostics);
    let threshold = d
        .and_then(|d| d.threshold.as_ref())
        .map(|th| format!("{} (method: {})", plots::chart::tick(th.value), th.method))
        .unwrap_or_default();
    let (shown, clusters_hidden) = shown_clusters(
        d.and_then(|d| d.cluster_profile.as_deref())
            .unwrap_or_default(),
    );
    let total = d
        .and_then(|d| d.cluster_profile.as_deref())
        .map_or(0, |p| p.iter().map(|c| c.size).sum());
    let clusters = cluster_rows(&shown, total);
    let centres = centre_table(&shown);
    ModelSection {
        anchor: format!("model-{}-{}", fmt::slug(&t.model), t.id),
        model: t.model.clone(),
        label: t.label.clone(),
        trial_id: t.id.to_string(),
        algorithm: t.algorithm.clone(),
        backend: t.backend.clone(),
        role: role(t.role).into(),
        params: params_text(t, false),
        is_best: Some(g.best) == best,
        trials: g.trials.len().to_string(),
        metrics: names
            .iter()
            .filter(|n| t.mean.contains_key(*n))
            .map(|n| kv(metrics::display_name(n), metric_cell(t, n).text))
            .collect(),
        confusion,
        confusion_normalised,
        per_class: per_class_rows(t),
        threshold,
        clusters,
        clusters_hidden,
        centres,
        notes: trial_notes(t),
        figures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_anchors_match_github_rules() {
        // GitHub: "Model random_forest" -> #model-random_forest; "2-D projection" -> #2-d-projection.
        assert_eq!(github_anchor("Model random_forest"), "model-random_forest");
        assert_eq!(github_anchor("2-D projection"), "2-d-projection");
        assert_eq!(
            github_anchor("ROC and precision-recall curves"),
            "roc-and-precision-recall-curves"
        );
    }
}
