//! Experiment specs: YAML in, a validated [`Experiment`] out.
//!
//! Loading happens in two passes, and every problem of both passes is reported together:
//! 1. syntax and types: the YAML is parsed into a tree with positions ([`yaml`]); each
//!    top-level section is deserialised on its own with serde (unknown keys are errors),
//!    so a mistake in `dataset` does not hide one in `models`;
//! 2. meaning: model names and backends are resolved in the registry, every grid value is
//!    checked against the algorithm's parameter schema, metric names are checked, and the
//!    dataset and split sections check their cross-field rules.
//!
//! Each problem carries the field path and the line and column of the value, with a
//! "did you mean" for near-misses. `anomalab validate` stops after this module.

pub use crate::diag::{self, yaml};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anomalab_learn::{ParamKind, ParamMap, ParamValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::spec::{DatasetSpec, SplitSpec};
use crate::eval;
use crate::models::{self, AlgorithmInfo, Role};
use crate::preprocess::StepSpec;
pub use diag::{Diagnostic, SpecError};
use yaml::{Node, Pos, Seg};

/// How a detector or clusterer is trained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMode {
    /// Fit on every training row (labels unused).
    #[default]
    All,
    /// Fit on the normal training rows only (semi-supervised novelty detection).
    NormalOnly,
}

/// How a detector's decision threshold is chosen (never on the test set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method", deny_unknown_fields)]
pub enum ThresholdSpec {
    /// The `rate` quantile of training scores is the threshold (scikit-learn's contamination).
    Contamination {
        /// Expected fraction of anomalies in the training rows (default 0.1).
        #[serde(default = "default_contamination")]
        rate: f64,
    },
    /// The `percentile` of scores on normal rows of a validation split held out from training.
    Percentile {
        /// Default 99.
        #[serde(default = "default_percentile")]
        percentile: f64,
        /// Fraction of training rows held out for validation (default 0.2).
        #[serde(default = "default_validation")]
        validation_fraction: f64,
    },
    /// The threshold maximising F1 on a validation split held out from training.
    BestF1 {
        /// Fraction of training rows held out for validation (default 0.2).
        #[serde(default = "default_validation")]
        validation_fraction: f64,
    },
}

fn default_contamination() -> f64 {
    0.1
}
fn default_percentile() -> f64 {
    99.0
}
fn default_validation() -> f64 {
    0.2
}

impl Default for ThresholdSpec {
    fn default() -> Self {
        ThresholdSpec::Contamination { rate: 0.1 }
    }
}

/// One entry of `models:` as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Registry name of the algorithm (`anomalab models` lists them).
    pub algorithm: String,
    /// Name in reports (default: the algorithm name; must be unique in the spec).
    #[serde(default)]
    pub name: Option<String>,
    /// Implementation (default: the first listed by `anomalab models`, usually `native`).
    #[serde(default)]
    pub backend: Option<String>,
    /// Hyper-parameters: a value, or a list of values to search (lists expand to the
    /// cartesian product). Unlisted parameters take their defaults.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// Detectors and clusterers: `all` (default) or `normal_only`.
    #[serde(default)]
    pub training: Option<TrainingMode>,
    /// Detectors: how the decision threshold is fitted (default: contamination 0.1).
    #[serde(default)]
    pub threshold: Option<ThresholdSpec>,
}

/// `selection:`: which metric picks the best trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionSpec {
    /// Metric name (default `f1_macro`); higher is better for every metric offered.
    #[serde(default = "default_metric")]
    pub metric: String,
}

fn default_metric() -> String {
    "f1_macro".into()
}

impl Default for SelectionSpec {
    fn default() -> Self {
        SelectionSpec {
            metric: default_metric(),
        }
    }
}

/// `outputs:`: what a run writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Save the best trial's model under `models/<experiment>/` (default true).
    #[serde(default = "yes")]
    pub save_best: bool,
    /// Render the reports under `reports/<experiment>/` (default true).
    #[serde(default = "yes")]
    pub report: bool,
}

fn yes() -> bool {
    true
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            save_best: true,
            report: true,
        }
    }
}

/// One model of the experiment after validation: its grid expanded.
#[derive(Debug, Clone, Serialize)]
pub struct ModelPlan {
    pub name: String,
    pub algorithm: String,
    pub backend: String,
    pub role: Role,
    /// One complete parameter set per grid point, in a stable order.
    pub grid: Vec<ParamMap>,
    /// Parameters that take more than one value in the grid.
    pub varied: Vec<String>,
    pub training: TrainingMode,
    pub threshold: ThresholdSpec,
}

/// A validated experiment, ready to run.
#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    pub dataset: DatasetSpec,
    pub split: SplitSpec,
    pub preprocessing: Vec<StepSpec>,
    pub models: Vec<ModelPlan>,
    /// Metrics shown in the leaderboard (all are computed and stored).
    pub metrics: Vec<String>,
    pub selection: SelectionSpec,
    pub outputs: OutputSpec,
    /// How many times the split, preprocessing and every model run, each repeat with
    /// seeds derived from `seed` and its index (repeat 0 uses `seed` itself). From the
    /// top-level `repeats:` or, for k-fold, `split.repeats`. Default 1.
    #[serde(skip_serializing_if = "is_one")]
    pub repeats: usize,
    #[serde(skip)]
    pub source: SpecSource,
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// Largest accepted `repeats` (a typo like `repeats: 500` would otherwise run for days).
pub const MAX_REPEATS: usize = 100;

/// Where the spec came from.
#[derive(Debug, Clone, Default)]
pub struct SpecSource {
    pub path: PathBuf,
    pub text: String,
}

impl Experiment {
    /// The spec after defaults were filled in, as JSON (stored in results and models).
    pub fn resolved_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// sha256 of the resolved spec.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(&self.resolved_json()).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))
    }

    pub fn n_trials(&self) -> usize {
        self.models.iter().map(|m| m.grid.len()).sum()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const TOP_LEVEL: &[&str] = &[
    "name",
    "description",
    "seed",
    "dataset",
    "split",
    "preprocessing",
    "models",
    "metrics",
    "selection",
    "outputs",
    "repeats",
];

/// Grids larger than this are refused (a typo like `n_estimators: [1..1000]` expanded by
/// hand would otherwise run for days).
pub const MAX_GRID_POINTS: usize = 10_000;

/// Read and validate a spec file.
pub fn load(path: &Path) -> Result<Experiment, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: path.to_path_buf(),
        source: String::new(),
        diagnostics: vec![Diagnostic {
            path: String::new(),
            pos: Pos::default(),
            message: format!("cannot read the file: {e}"),
            help: None,
        }],
    })?;
    parse(path, &text)
}

/// Validate spec text (`path` is used in messages only).
pub fn parse(path: &Path, text: &str) -> Result<Experiment, SpecError> {
    let mut v = Validator {
        diags: Vec::new(),
        root: None,
    };
    let exp = v.run(text);
    match exp {
        Some(mut exp) if v.diags.is_empty() => {
            exp.source = SpecSource {
                path: path.to_path_buf(),
                text: text.to_string(),
            };
            Ok(exp)
        }
        _ => {
            v.diags.sort_by_key(|d| (d.pos.line, d.pos.col));
            Err(SpecError {
                file: path.to_path_buf(),
                source: text.to_string(),
                diagnostics: v.diags,
            })
        }
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
    root: Option<Node>,
}

impl Validator {
    fn report(
        &mut self,
        path: &[Seg],
        key: bool,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let pos = self
            .root
            .as_ref()
            .map(|r| r.pos_for(path, key))
            .unwrap_or_default();
        self.diags.push(Diagnostic {
            path: yaml::path_string(path),
            pos,
            message: message.into(),
            help,
        });
    }

    /// Deserialise the section at `path` into `T`, reporting a problem (with position and
    /// suggestion) on failure.
    fn section<T: serde::de::DeserializeOwned>(
        &mut self,
        path: Vec<Seg>,
        value: &serde_json::Value,
    ) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Some(t),
            Err(err) => {
                let mut full = path.clone();
                for seg in err.path().iter() {
                    match seg {
                        serde_path_to_error::Segment::Seq { index } => {
                            full.push(Seg::Index(*index))
                        }
                        serde_path_to_error::Segment::Map { key } => {
                            full.push(Seg::Key(key.clone()))
                        }
                        serde_path_to_error::Segment::Enum { variant } => {
                            full.push(Seg::Key(variant.clone()))
                        }
                        serde_path_to_error::Segment::Unknown => {}
                    }
                }
                let msg = err.inner().to_string();
                let (msg, help, key) = explain_serde_error(&msg);
                // serde_path_to_error's path may already end at the unknown key
                if let Some(unknown) = &key
                    && full.last() != Some(&Seg::Key(unknown.clone()))
                {
                    full.push(Seg::Key(unknown.clone()));
                }
                self.report(&full, key.is_some(), msg, help);
                None
            }
        }
    }

    fn run(&mut self, text: &str) -> Option<Experiment> {
        let json = self.parse_root(text)?;
        let get = |k: &str| json.get(k).cloned();
        let (name, description, seed) = self.header(&json);
        let dataset: Option<DatasetSpec> =
            get("dataset").and_then(|v| self.section(key("dataset"), &v));
        let split: Option<SplitSpec> = match get("split") {
            Some(v) => self.section(key("split"), &v),
            None => Some(SplitSpec::default()),
        };
        if let (Some(ds), Some(sp)) = (&dataset, &split) {
            for problem in crate::data::spec::validate(ds, sp) {
                let p = dotted_path(&problem.path);
                self.report(&p, false, problem.message, None);
            }
        }
        let preprocessing = self.preprocessing(get("preprocessing"));
        let models = self.models(get("models"));
        let (metrics, selection) = self.metrics(get("metrics"), get("selection"));
        let outputs: Option<OutputSpec> = match get("outputs") {
            Some(v) => self.section(key("outputs"), &v),
            None => Some(OutputSpec::default()),
        };
        let repeats = self.repeats(get("repeats"), split.as_ref());
        Some(Experiment {
            name: name?,
            description,
            seed: seed?,
            dataset: dataset?,
            split: split?,
            preprocessing,
            models,
            metrics,
            selection: selection?,
            outputs: outputs?,
            repeats: repeats?,
            source: SpecSource::default(),
        })
    }

    /// `repeats:` (top level) or `split.repeats`, at most one of them, in 1..=MAX_REPEATS.
    fn repeats(
        &mut self,
        value: Option<serde_json::Value>,
        split: Option<&SplitSpec>,
    ) -> Option<usize> {
        let top: Option<usize> = match value {
            Some(v) => Some(self.section(key("repeats"), &v)?),
            None => None,
        };
        let in_split = split.and_then(|s| s.repeats);
        let (n, path) = match (top, in_split) {
            (Some(_), Some(_)) => {
                self.report(
                    &dotted_path("split.repeats"),
                    false,
                    "repeats are given twice (top-level `repeats:` and `split.repeats`)",
                    Some("keep one: `split.repeats` for repeated k-fold, or `repeats:` for any split".into()),
                );
                return None;
            }
            (Some(n), None) => (n, "repeats"),
            (None, Some(n)) => (n, "split.repeats"),
            (None, None) => return Some(1),
        };
        if n == 0 || n > MAX_REPEATS {
            self.report(
                &dotted_path(path),
                false,
                format!("{n} repeat(s): `{path}` must be between 1 and {MAX_REPEATS}"),
                None,
            );
            return None;
        }
        Some(n)
    }

    /// Parse the YAML into the positioned tree (kept for positions) and its JSON, checking
    /// the top-level keys.
    fn parse_root(&mut self, text: &str) -> Option<serde_json::Value> {
        let root = match Node::parse(text) {
            Ok(r) => r,
            Err(e) => {
                self.diags.push(Diagnostic {
                    path: String::new(),
                    pos: e.pos,
                    message: format!("YAML syntax: {}", e.message),
                    help: None,
                });
                return None;
            }
        };
        let Some(entries) = root.as_map().map(|m| m.to_vec()) else {
            self.root = Some(root);
            self.report(
                &[],
                false,
                "expected a mapping of experiment fields (name, dataset, models, ...)",
                None,
            );
            return None;
        };
        self.root = Some(root.clone());
        let json = root.to_json();
        for (key, _, _) in &entries {
            if !TOP_LEVEL.contains(&key.as_str()) {
                let help = diag::did_you_mean(key, TOP_LEVEL.iter().copied())
                    .map(|s| format!("did you mean `{s}`? Fields: {}", TOP_LEVEL.join(", ")))
                    .or_else(|| Some(format!("fields: {}", TOP_LEVEL.join(", "))));
                self.report(
                    &[Seg::Key(key.clone())],
                    true,
                    format!("unknown field `{key}`"),
                    help,
                );
            }
        }
        for required in ["name", "dataset", "models"] {
            if json.get(required).is_none() {
                self.report(&[], false, format!("missing field `{required}`"), None);
            }
        }
        Some(json)
    }

    /// `name` (usable as a folder name), `description` and `seed` (default 42).
    fn header(
        &mut self,
        json: &serde_json::Value,
    ) -> (Option<String>, Option<String>, Option<u64>) {
        let get = |k: &str| json.get(k).cloned();
        let name: Option<String> = get("name").and_then(|v| self.section(key("name"), &v));
        if let Some(n) = &name
            && (n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            self.report(
                &key("name"),
                false,
                format!("`{n}` cannot be used as a folder name"),
                Some("use letters, digits, `-`, `_` and `.` only".into()),
            );
        }
        let description: Option<String> =
            get("description").and_then(|v| self.section(key("description"), &v));
        let seed: Option<u64> = match get("seed") {
            Some(v) => self.section(key("seed"), &v),
            None => Some(42),
        };
        (name, description, seed)
    }

    /// The `preprocessing:` steps, each checked.
    fn preprocessing(&mut self, value: Option<serde_json::Value>) -> Vec<StepSpec> {
        let mut steps = Vec::new();
        match value {
            Some(serde_json::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let p = vec![Seg::Key("preprocessing".into()), Seg::Index(i)];
                    if let Some(step) = self.section::<StepSpec>(p.clone(), item) {
                        for problem in step.problems() {
                            self.report(&p, false, problem, None);
                        }
                        steps.push(step);
                    }
                }
            }
            Some(serde_json::Value::Null) | None => {}
            Some(_) => self.report(
                &key("preprocessing"),
                false,
                "expected a list of steps",
                None,
            ),
        }
        steps
    }

    /// The `models:` list, each model planned, names unique.
    fn models(&mut self, value: Option<serde_json::Value>) -> Vec<ModelPlan> {
        let mut plans = Vec::new();
        match value {
            Some(serde_json::Value::Array(items)) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let p = vec![Seg::Key("models".into()), Seg::Index(i)];
                    if let Some(spec) = self.section::<ModelSpec>(p.clone(), item)
                        && let Some(plan) = self.plan_model(&p, &spec)
                    {
                        plans.push(plan);
                    }
                }
                let mut seen = std::collections::HashSet::new();
                for (i, plan) in plans.iter().enumerate() {
                    if !seen.insert(plan.name.clone()) {
                        let p = vec![Seg::Key("models".into()), Seg::Index(i)];
                        self.report(
                            &p,
                            false,
                            format!("a model named `{}` appears twice", plan.name),
                            Some("give one of them a different `name:`".into()),
                        );
                    }
                }
            }
            Some(_) => self.report(
                &key("models"),
                false,
                "expected a non-empty list of models",
                None,
            ),
            None => {}
        }
        plans
    }

    /// `metrics:` (default: the leaderboard's) and `selection:`, every name known.
    fn metrics(
        &mut self,
        metrics: Option<serde_json::Value>,
        selection: Option<serde_json::Value>,
    ) -> (Vec<String>, Option<SelectionSpec>) {
        let metric_names = eval::metric_names();
        let metrics: Vec<String> = match metrics {
            Some(v) => self.section(key("metrics"), &v).unwrap_or_default(),
            None => eval::default_leaderboard()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let unknown = |m: &str| {
            diag::did_you_mean(m, metric_names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some(format!("metrics: {}", metric_names.join(", "))))
        };
        for (i, m) in metrics.iter().enumerate() {
            if !metric_names.contains(&m.as_str()) {
                self.report(
                    &[Seg::Key("metrics".into()), Seg::Index(i)],
                    false,
                    format!("unknown metric `{m}`"),
                    unknown(m),
                );
            }
        }
        let selection: Option<SelectionSpec> = match selection {
            Some(v) => self.section(key("selection"), &v),
            None => Some(SelectionSpec::default()),
        };
        if let Some(sel) = &selection
            && !metric_names.contains(&sel.metric.as_str())
        {
            self.report(
                &[Seg::Key("selection".into()), Seg::Key("metric".into())],
                false,
                format!("unknown metric `{}`", sel.metric),
                unknown(&sel.metric),
            );
        }
        (metrics, selection)
    }

    fn plan_model(&mut self, path: &[Seg], spec: &ModelSpec) -> Option<ModelPlan> {
        let info = self.find_algorithm(path, spec)?;
        self.check_role(path, spec, &info);
        let axes = self.param_axes(path, spec, &info)?;
        let (grid, varied) = self.expand_grid(path, &info, &axes)?;
        Some(ModelPlan {
            name: spec.name.clone().unwrap_or_else(|| info.name.to_string()),
            algorithm: info.name.to_string(),
            backend: info.backend.to_string(),
            role: info.role,
            grid,
            varied,
            training: spec.training.unwrap_or_default(),
            threshold: spec.threshold.clone().unwrap_or_default(),
        })
    }

    /// The algorithm and backend of a model in the registry.
    fn find_algorithm(&mut self, path: &[Seg], spec: &ModelSpec) -> Option<AlgorithmInfo> {
        match models::find(&spec.algorithm, spec.backend.as_deref()) {
            Ok(info) => Some(info),
            Err(lookup) => {
                let field = if lookup.backend_problem {
                    "backend"
                } else {
                    "algorithm"
                };
                self.report(&at(path, field), false, lookup.message, lookup.help);
                None
            }
        }
    }

    /// `training` and `threshold` only where the algorithm's role has them.
    fn check_role(&mut self, path: &[Seg], spec: &ModelSpec, info: &AlgorithmInfo) {
        if info.role == Role::Classifier && (spec.training.is_some() || spec.threshold.is_some()) {
            let field = if spec.training.is_some() {
                "training"
            } else {
                "threshold"
            };
            self.report(
                &at(path, field),
                true,
                format!(
                    "`{field}` applies to detectors and clusterers, not to the classifier `{}`",
                    info.name
                ),
                None,
            );
        }
        if info.role == Role::Clusterer && spec.threshold.is_some() {
            self.report(
                &at(path, "threshold"),
                true,
                "clusterers have no score threshold (noise points or cluster labels are used)",
                None,
            );
        }
        if let Some(t) = &spec.threshold {
            for problem in threshold_problems(t) {
                self.report(&at(path, "threshold"), false, problem, None);
            }
        }
    }

    /// Each parameter: a single value or a list of grid values, each checked against the
    /// algorithm's schema. `None` when any is wrong.
    fn param_axes(
        &mut self,
        path: &[Seg],
        spec: &ModelSpec,
        info: &AlgorithmInfo,
    ) -> Option<Vec<(String, Vec<ParamValue>)>> {
        let param_names: Vec<&str> = info.params.iter().map(|p| p.name).collect();
        let mut axes: Vec<(String, Vec<ParamValue>)> = Vec::new();
        let mut ok = true;
        for (pname, raw) in &spec.params {
            let mut ppath = at(path, "params");
            ppath.push(Seg::Key(pname.clone()));
            let Some(pspec) = info.params.iter().find(|p| p.name == pname) else {
                let list = format!("of {}: {}", info.name, param_names.join(", "));
                let help = diag::did_you_mean(pname, param_names.iter().copied())
                    .map(|s| format!("did you mean `{s}`? Parameters {list}"))
                    .or_else(|| Some(format!("parameters {list}")));
                self.report(
                    &ppath,
                    true,
                    format!("unknown parameter `{pname}` for {}", info.name),
                    help,
                );
                ok = false;
                continue;
            };
            match self.param_values(&ppath, pspec, raw) {
                Some(values) => axes.push((pname.clone(), values)),
                None => ok = false,
            }
        }
        ok.then_some(axes)
    }

    /// The checked values of one parameter (a list is a grid axis unless the parameter
    /// takes a list itself).
    fn param_values(
        &mut self,
        ppath: &[Seg],
        pspec: &anomalab_learn::ParamSpec,
        raw: &serde_json::Value,
    ) -> Option<Vec<ParamValue>> {
        if matches!(pspec.kind, ParamKind::Member | ParamKind::MemberList) {
            return self.member_values(ppath, pspec, raw);
        }
        let values: Vec<(Vec<Seg>, &serde_json::Value)> = match raw {
            serde_json::Value::Array(items)
                if !pspec.kind.accepts_list() || items.iter().all(|i| i.is_array()) =>
            {
                items
                    .iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let mut p = ppath.to_vec();
                        p.push(Seg::Index(j));
                        (p, v)
                    })
                    .collect()
            }
            v => vec![(ppath.to_vec(), v)],
        };
        if values.is_empty() {
            self.report(ppath, false, "an empty list leaves nothing to try", None);
            return None;
        }
        let mut checked = Vec::new();
        let mut ok = true;
        for (vpath, v) in values {
            match json_to_param(v)
                .map_err(|e| e.to_string())
                .and_then(|pv| pspec.kind.check(&pv))
            {
                Ok(pv) => checked.push(pv),
                Err(e) => {
                    self.report(
                        &vpath,
                        false,
                        e,
                        Some(format!("{}: {}", pspec.name, pspec.doc)),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(checked)
    }

    /// Every grid point as a complete parameter set, and the parameters that vary; the
    /// grid's size is limited and the algorithm checks every point.
    fn expand_grid(
        &mut self,
        path: &[Seg],
        info: &AlgorithmInfo,
        axes: &[(String, Vec<ParamValue>)],
    ) -> Option<(Vec<ParamMap>, Vec<String>)> {
        let points: usize = axes.iter().map(|(_, v)| v.len()).product();
        if points > MAX_GRID_POINTS {
            self.report(
                &at(path, "params"),
                false,
                format!("the grid has {points} points, more than the limit of {MAX_GRID_POINTS}"),
                None,
            );
            return None;
        }
        let varied: Vec<String> = axes
            .iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(k, _)| k.clone())
            .collect();
        let mut grid = Vec::with_capacity(points);
        for combo in cartesian(axes) {
            match anomalab_learn::params::resolve(&info.params, &combo) {
                Ok(m) => grid.push(m),
                Err(errs) => {
                    for (n, e) in errs {
                        let mut p = at(path, "params");
                        p.push(Seg::Key(n));
                        self.report(&p, false, e, None);
                    }
                    return None;
                }
            }
        }
        // Let the algorithm check combinations (e.g. min > max) on every grid point.
        for m in &grid {
            if let Err(e) = models::check_params(info, m) {
                self.report(
                    &at(path, "params"),
                    false,
                    format!("{e} (grid point: {})", m.label(&varied)),
                    None,
                );
                return None;
            }
        }
        Some((grid, varied))
    }
}

/// The path of a top-level key.
fn key(k: &str) -> Vec<Seg> {
    vec![Seg::Key(k.to_string())]
}

/// `path` followed by key `k`.
fn at(path: &[Seg], k: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Key(k.to_string()));
    p
}

fn threshold_problems(t: &ThresholdSpec) -> Vec<String> {
    let mut out = Vec::new();
    let frac = |x: f64, name: &str, out: &mut Vec<String>| {
        if !(x > 0.0 && x < 1.0) {
            out.push(format!("`{name}` must be in (0, 1), found {x}"));
        }
    };
    match t {
        ThresholdSpec::Contamination { rate } => {
            if !(*rate > 0.0 && *rate <= 0.5) {
                out.push(format!("`rate` must be in (0, 0.5], found {rate}"));
            }
        }
        ThresholdSpec::Percentile {
            percentile,
            validation_fraction,
        } => {
            if !(*percentile > 0.0 && *percentile < 100.0) {
                out.push(format!(
                    "`percentile` must be in (0, 100), found {percentile}"
                ));
            }
            frac(*validation_fraction, "validation_fraction", &mut out);
        }
        ThresholdSpec::BestF1 {
            validation_fraction,
        } => frac(*validation_fraction, "validation_fraction", &mut out),
    }
    out
}

/// Every combination of the axes, last axis varying fastest.
fn cartesian(axes: &[(String, Vec<ParamValue>)]) -> Vec<BTreeMap<String, ParamValue>> {
    let mut out = vec![BTreeMap::new()];
    for (name, values) in axes {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for partial in &out {
            for v in values {
                let mut m = partial.clone();
                m.insert(name.clone(), v.clone());
                next.push(m);
            }
        }
        out = next;
    }
    out
}

/// JSON (from YAML) to a parameter value.
pub fn json_to_param(v: &serde_json::Value) -> Result<ParamValue, String> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => ParamValue::Null,
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ParamValue::Int(i),
            None => ParamValue::Float(n.as_f64().ok_or("number out of range")?),
        },
        Value::String(s) => ParamValue::Str(s.clone()),
        Value::Array(items) => {
            ParamValue::List(items.iter().map(json_to_param).collect::<Result<_, _>>()?)
        }
        Value::Object(m) => ParamValue::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_param(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// `dataset.files.train` -> path segments.
fn dotted_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if let Some((name, rest)) = part.split_once('[') {
            if !name.is_empty() {
                out.push(Seg::Key(name.to_string()));
            }
            for idx in rest.split('[') {
                if let Ok(i) = idx.trim_end_matches(']').parse() {
                    out.push(Seg::Index(i));
                }
            }
        } else if !part.is_empty() {
            out.push(Seg::Key(part.to_string()));
        }
    }
    out
}

/// Turn serde's message into (message, help, unknown key).
fn explain_serde_error(msg: &str) -> (String, Option<String>, Option<String>) {
    // serde: "unknown field `n_tree`, expected one of `a`, `b`" / "expected `a` or `b`"
    for what in ["field", "variant"] {
        let prefix = format!("unknown {what} `");
        if let Some(rest) = msg.strip_prefix(&prefix)
            && let Some((name, tail)) = rest.split_once('`')
        {
            // a source's message adds why between the name and the expected names
            let (extra, tail) = tail.split_at(tail.find(", expected ").unwrap_or(0));
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            let list = expected.join(", ");
            let help = match diag::did_you_mean(name, expected.iter().copied()) {
                Some(s) => Some(format!("did you mean `{s}`? Expected one of: {list}")),
                None if !expected.is_empty() => Some(format!("expected one of: {list}")),
                None => None,
            };
            let message = if what == "field" {
                format!("unknown field `{name}`{extra}")
            } else {
                format!("unknown kind `{name}`")
            };
            // For an unknown field, point at the key itself.
            return (message, help, (what == "field").then(|| name.to_string()));
        }
    }
    let cleaned = msg
        .replace("invalid type: ", "")
        .replace("invalid value: ", "")
        .replace("string \"", "found \"")
        .replace("integer `", "found `")
        .replace("floating point `", "found `");
    // "found \"deep\", expected u64" -> "expected an unsigned integer, found \"deep\""
    let cleaned = match cleaned.split_once(", expected ") {
        Some((found, expected))
            if found.starts_with("found")
                || found.starts_with("map")
                || found.starts_with("sequence")
                || found.starts_with("boolean")
                || found.starts_with("null") =>
        {
            format!(
                "expected {}, {}",
                humanize(expected),
                if found.starts_with("found") {
                    found.to_string()
                } else {
                    format!("found {found}")
                }
            )
        }
        _ => cleaned,
    };
    (cleaned, None, None)
}

fn humanize(expected: &str) -> String {
    match expected {
        "u64" | "u32" | "usize" => "a non-negative integer".into(),
        "i64" | "i32" => "an integer".into(),
        "f64" | "f32" => "a number".into(),
        "a string" => "a string".into(),
        other => other.to_string(),
    }
}

mod members;
#[cfg(test)]
mod tests;
