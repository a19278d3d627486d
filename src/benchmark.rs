//! A benchmark file: the same models run on several datasets, one experiment spec per
//! dataset, compared across the datasets (`anomalab benchmark FILE`). Not to be confused
//! with a sharded run (`anomalab plan / run-trial / collect`, `runner::study`), which
//! spreads the trials of one spec over machines.
//!
//! ```yaml
//! benchmark: study_nids          # names reports/<benchmark>/ (benchmark.json, .md, .html)
//! description: ...
//! experiments:                   # at least 2 specs, paths relative to this file; each
//!   - study_nids/nsl_kdd_binary.yaml   # runs as `anomalab run` would, its own results.json
//!   - study_nids/unsw_nb15_binary.yaml
//! metric: f1_macro               # optional: by default the specs' common selection metric
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::spec::Experiment;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    benchmark: String,
    #[serde(default)]
    description: Option<String>,
    experiments: Vec<PathBuf>,
    #[serde(default)]
    metric: Option<String>,
}

/// A checked benchmark: its specs loaded and validated.
#[derive(Debug, Clone)]
pub struct Benchmark {
    pub name: String,
    pub description: String,
    pub experiments: Vec<Experiment>,
    /// The metric the datasets are compared on.
    pub metric: String,
}

#[derive(Debug, Error)]
pub enum BenchmarkError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Spec(#[from] crate::diag::SpecError),
}

/// Whether `path` is a benchmark file rather than a spec (its top level has `benchmark:`).
pub fn is_benchmark_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| crate::diag::yaml::Node::parse(&t).ok())
        .is_some_and(|n| n.to_json().get("benchmark").is_some())
}

/// Read `path` and load every spec it lists.
pub fn load(path: &Path) -> Result<Benchmark, BenchmarkError> {
    let err = |message: String| BenchmarkError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let node = crate::diag::yaml::Node::parse(&text)
        .map_err(|e| err(format!("line {}:{}: {}", e.pos.line, e.pos.col, e.message)))?;
    let file: File = serde_path_to_error::deserialize(node.to_json()).map_err(|e| {
        let at = e.path().to_string();
        err(format!("{at}: {}", e.inner()))
    })?;
    if file.benchmark.is_empty()
        || !file
            .benchmark
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(err(format!(
            "benchmark: `{}` cannot be used as a folder name (letters, digits, `-`, `_`, `.`)",
            file.benchmark
        )));
    }
    if file.experiments.len() < 2 {
        return Err(err(format!(
            "experiments: {} spec(s): a comparison across datasets needs at least 2",
            file.experiments.len()
        )));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let experiments = file
        .experiments
        .iter()
        .map(|p| crate::spec::load(&base.join(p)))
        .collect::<Result<Vec<_>, _>>()?;
    let metric = benchmark_metric(&file, &experiments).map_err(err)?;
    check_names(&experiments).map_err(err)?;
    Ok(Benchmark {
        name: file.benchmark,
        description: file.description.unwrap_or_default(),
        experiments,
        metric,
    })
}

fn benchmark_metric(file: &File, experiments: &[Experiment]) -> Result<String, String> {
    if let Some(m) = &file.metric {
        if !crate::eval::metric_names().contains(&m.as_str()) {
            return Err(format!("metric: unknown metric `{m}`"));
        }
        return Ok(m.clone());
    }
    let first = &experiments[0].selection.metric;
    match experiments.iter().find(|e| &e.selection.metric != first) {
        Some(e) => Err(format!(
            "experiments: `{}` selects by {} and `{}` by {}: give `metric:` to compare on one",
            experiments[0].name, first, e.name, e.selection.metric
        )),
        None => Ok(first.clone()),
    }
}

/// Each dataset's results are kept apart under reports/<experiment>/: the names must differ.
fn check_names(experiments: &[Experiment]) -> Result<(), String> {
    for (i, e) in experiments.iter().enumerate() {
        if experiments[..i].iter().any(|x| x.name == e.name) {
            return Err(format!(
                "experiments[{i}]: the experiment name `{}` is used twice; each dataset's \
                 results are kept in reports/<name>/, so the names must differ",
                e.name
            ));
        }
    }
    Ok(())
}
