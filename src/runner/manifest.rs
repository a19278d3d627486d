//! The results of a run before any trial has finished: what ran, on what data, where, how.

use std::path::Path;

use anomalab_results::{
    DatasetSummary, FileSummary, FoldSummary, HostInfo, RESULTS_FORMAT_VERSION, RunManifest,
    RunResults, RunStatus, Selection, SplitSummary,
};

use super::prepare::PreparedData;
use super::projection::projection;
use super::settings::RunSettings;
use crate::spec::Experiment;

/// `RunResults` with the manifest, dataset, split and projection filled in, no trials yet.
pub(crate) fn initial_results(
    exp: &Experiment,
    settings: &RunSettings,
    started_at: String,
    data: &PreparedData,
) -> RunResults {
    RunResults {
        format_version: RESULTS_FORMAT_VERSION,
        experiment: exp.name.clone(),
        description: exp.description.clone(),
        status: RunStatus::Running,
        manifest: manifest(exp, settings, started_at),
        dataset: dataset_summary(exp, data),
        split: SplitSummary {
            kind: exp.split.kind_for(&exp.dataset).as_str().to_string(),
            folds: data
                .folds
                .iter()
                .map(|f| FoldSummary {
                    name: f.name.clone(),
                    train_rows: f.y_train.len(),
                    test_rows: f.y_test.len(),
                    repeat: f.repeat,
                })
                .collect(),
            repeats: exp.repeats,
        },
        selection: Selection {
            metric: exp.selection.metric.clone(),
            higher_is_better: crate::eval::higher_is_better(&exp.selection.metric),
        },
        trials: Vec::new(),
        best: None,
        projection: data.folds.first().and_then(|f| projection(f, exp.seed)),
    }
}

fn manifest(exp: &Experiment, settings: &RunSettings, started_at: String) -> RunManifest {
    RunManifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("ANOMALAB_GIT_COMMIT").map(str::to_string),
        spec_path: exp.source.path.display().to_string(),
        spec_text: exp.source.text.clone(),
        spec_resolved: exp.resolved_json(),
        spec_hash: exp.hash(),
        seed: exp.seed,
        threads: settings.jobs.max(1),
        host: host_info(),
        started_at,
        finished_at: None,
        duration_seconds: None,
        command_line: settings.command_line.clone(),
    }
}

fn dataset_summary(exp: &Experiment, data: &PreparedData) -> DatasetSummary {
    let loaded = &data.loaded;
    let first = data.folds.first();
    let mut warnings = loaded.warnings.clone();
    warnings.extend(data.notes.iter().cloned());
    DatasetSummary {
        source: loaded.source.clone(),
        target: Some(loaded.target.clone()),
        description: loaded.description.clone(),
        synthetic: loaded.synthetic,
        files: loaded
            .files
            .iter()
            .map(|f| FileSummary {
                path: display_data_path(&f.path),
                role: f.role.clone(),
                sha256: f.sha256.clone().unwrap_or_default(),
                bytes: f.bytes,
                rows: f.rows,
                columns: f.columns,
            })
            .collect(),
        class_names: loaded.train.class_names.clone(),
        class_counts_train: loaded.train.class_counts(),
        class_counts_test: loaded.test.as_ref().map(|t| t.class_counts()),
        class_counts_after_preprocessing: first.map(|f| f.train_class_counts.clone()),
        n_features_raw: loaded.train.features.n_cols(),
        n_features_model: first.map_or(0, |f| f.x_train.ncols()),
        feature_names: first
            .map(|f| f.pipeline.output_names.clone())
            .unwrap_or_default(),
        preprocessing: exp.preprocessing.iter().map(|s| s.describe()).collect(),
        warnings,
    }
}

/// Data paths are shown by file name under the data directory (results must not depend on
/// where a machine keeps its data).
fn display_data_path(p: &str) -> String {
    let path = Path::new(p);
    let n = path.components().count();
    path.components()
        .skip(n.saturating_sub(2))
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn host_info() -> HostInfo {
    HostInfo {
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        hostname: std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|s| s.trim().to_string()),
        memory_bytes: std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .map(|kb| kb * 1024)
        }),
    }
}
