//! The runner: data -> folds -> preprocessing -> every trial in parallel -> results.json,
//! the best model, and the reports.
//!
//! Trials (models x grid points) run in one rayon pool of `--jobs` threads; a model that
//! parallelises internally (forests) runs its own `par_iter` inside the same pool, so the
//! total never exceeds `--jobs`. Each trial is seeded from the spec seed and its own name
//! and parameters, never from the thread or the order of completion, and results are kept
//! sorted by trial id: `--jobs 1` and `--jobs 8` write the same results apart from timings.
//! A failing trial is recorded with its error and the run goes on. `results.json` is
//! rewritten atomically after every trial, so an interrupted run keeps what it finished.

pub mod events;
pub mod progress;
mod trial;

use trial::TrainedModel;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anomalab_learn::DataCache;
use anomalab_report::model::{
    BestModel, DatasetSummary, FileSummary, FoldSummary, HostInfo, Projection2d,
    RESULTS_FORMAT_VERSION, RunManifest, RunResults, RunStatus, Selection, SplitSummary,
    TrialResult, TrialStatus,
};
use ndarray::Array2;
use rayon::prelude::*;
use thiserror::Error;

use crate::data::{DataError, Dataset};
use crate::data::{LoadContext, LoadedData};
use crate::fsutil::write_atomic;
use crate::persist::{self, ModelHeader};
use crate::preprocess::{FittedPipeline, Pipeline, PreprocessError};
use crate::spec::{Experiment, ModelPlan};
pub use events::{Observer, PlainLines, RunEvent, Silent};

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("preprocessing ({fold}): {source}")]
    Preprocess {
        fold: String,
        #[source]
        source: PreprocessError,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up {0} worker threads: {1}")]
    Threads(usize, String),
    #[error("saving the best model: {0}")]
    Save(String),
}

/// How a run is carried out (from the command line; nothing here changes results).
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub data_dir: PathBuf,
    /// Folder under which `reports/<experiment>/` and `models/<experiment>/` are written.
    pub project_dir: PathBuf,
    pub jobs: usize,
    pub strict: bool,
    pub command_line: Vec<String>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub results: RunResults,
    pub results_path: PathBuf,
    pub model_path: Option<PathBuf>,
    pub failed: usize,
}

/// One fold, preprocessed once and shared by every trial.
pub(crate) struct PreparedFold {
    pub name: String,
    pub pipeline: FittedPipeline,
    pub x_train: Array2<f64>,
    pub y_train: Vec<u32>,
    pub x_test: Array2<f64>,
    pub y_test: Vec<u32>,
    pub cache: DataCache,
    pub train_class_counts: Vec<usize>,
}

/// A trial to run: one grid point of one model.
pub(crate) struct TrialPlan<'a> {
    pub id: usize,
    pub model: &'a ModelPlan,
    pub point: usize,
    pub seed: u64,
    pub label: String,
}

pub fn reports_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("reports").join(experiment)
}

pub fn models_dir(project: &Path, experiment: &str) -> PathBuf {
    project.join("models").join(experiment)
}

/// Run an experiment end to end.
pub fn run(
    exp: &Experiment,
    settings: &RunSettings,
    observer: &dyn Observer,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    let jobs = settings.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| RunError::Threads(jobs, e.to_string()))?;

    observer.on_event(&RunEvent::Stage(format!(
        "loading dataset `{}`",
        exp.dataset.source.as_str()
    )));
    let ctx = LoadContext {
        data_dir: settings.data_dir.clone(),
        base_dir: exp.source.path.parent().map(Path::to_path_buf),
        seed: exp.seed,
        strict: settings.strict,
    };
    let loaded = crate::data::loader::load(&exp.dataset, &exp.split, &ctx)?;
    let kind = exp.split.kind_for(&exp.dataset);
    let folds = crate::data::split::make_splits(&loaded, kind, &exp.split, exp.seed)?
        .iter()
        .map(|f| f.materialise(&loaded))
        .collect::<Result<Vec<_>, _>>()?;

    observer.on_event(&RunEvent::Stage(format!(
        "preprocessing {} fold(s)",
        folds.len()
    )));
    let pipeline = Pipeline::new(exp.preprocessing.clone());
    let mut notes = Vec::new();
    let prepared: Vec<Prepared> = pool.install(|| {
        folds
            .par_iter()
            .enumerate()
            .map(|(i, f)| prepare_fold(&pipeline, &f.name, &f.train, &f.test, exp.seed ^ i as u64))
            .collect::<Result<Vec<_>, RunError>>()
    })?;
    if let Some((_, first_notes)) = prepared.first() {
        notes.extend(first_notes.iter().cloned());
    }
    let prepared: Vec<PreparedFold> = prepared.into_iter().map(|(f, _)| f).collect();

    let reports = reports_dir(&settings.project_dir, &exp.name);
    let results_path = reports.join("results.json");
    let class_names = loaded.train.class_names.clone();
    let results = RunResults {
        format_version: RESULTS_FORMAT_VERSION,
        experiment: exp.name.clone(),
        description: exp.description.clone(),
        status: RunStatus::Running,
        manifest: RunManifest {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("ANOMALAB_GIT_COMMIT").map(str::to_string),
            spec_path: exp.source.path.display().to_string(),
            spec_text: exp.source.text.clone(),
            spec_resolved: exp.resolved_json(),
            spec_hash: exp.hash(),
            seed: exp.seed,
            threads: jobs,
            host: host_info(),
            started_at,
            finished_at: None,
            duration_seconds: None,
            command_line: settings.command_line.clone(),
        },
        dataset: dataset_summary(exp, &loaded, &prepared, notes),
        split: SplitSummary {
            kind: exp.split.kind_for(&exp.dataset).as_str().to_string(),
            folds: prepared
                .iter()
                .map(|f| FoldSummary {
                    name: f.name.clone(),
                    train_rows: f.y_train.len(),
                    test_rows: f.y_test.len(),
                })
                .collect(),
        },
        selection: Selection {
            metric: exp.selection.metric.clone(),
            higher_is_better: crate::eval::higher_is_better(&exp.selection.metric),
        },
        trials: Vec::new(),
        best: None,
        projection: projection(&prepared[0], exp.seed),
    };
    write_results(&results_path, &results)?;

    // Plan trials in spec order.
    let mut plans = Vec::new();
    for model in &exp.models {
        for (point, params) in model.grid.iter().enumerate() {
            let id = plans.len();
            let label = if model.varied.is_empty() {
                format!("{}#{id}", model.name)
            } else {
                format!("{}#{id} ({})", model.name, params.label(&model.varied))
            };
            let seed = anomalab_learn::rng::derive_seed(
                exp.seed,
                fnv1a(&format!(
                    "{}|{}",
                    model.name,
                    serde_json::to_string(params).unwrap_or_default()
                )),
            );
            plans.push(TrialPlan {
                id,
                model,
                point,
                seed,
                label,
            });
        }
    }
    observer.on_event(&RunEvent::Planned {
        trials: plans.len(),
        folds: prepared.len(),
        jobs,
    });

    let store = Mutex::new(results);
    let write_error: Mutex<Option<RunError>> = Mutex::new(None);
    let selection = exp.selection.metric.clone();
    let higher = crate::eval::higher_is_better(&selection);
    // Only the single-fold model of the current best trial is kept in memory.
    let best_so_far: Mutex<Option<(f64, usize, TrainedModel)>> = Mutex::new(None);
    pool.install(|| {
        plans.par_iter().for_each(|plan| {
            observer.on_event(&RunEvent::TrialStarted {
                id: plan.id,
                label: plan.label.clone(),
            });
            let t0 = Instant::now();
            let (trial, fitted) = trial::run_trial(plan, &prepared, &class_names, exp);
            let outcome = match trial.status {
                TrialStatus::Ok => Ok(match trial.mean.get(&selection) {
                    Some(v) => format!("{selection} {v:.4}"),
                    None => format!("{selection} undefined"),
                }),
                TrialStatus::Failed => Err(trial.error.clone().unwrap_or_default()),
            };
            if let (TrialStatus::Ok, Some(model)) = (trial.status, fitted)
                && let Some(&score) = trial.mean.get(&selection)
            {
                let mut best = best_so_far.lock().unwrap_or_else(|p| p.into_inner());
                let better = match &*best {
                    None => true,
                    Some((s, id, _)) => is_better(score, plan.id, *s, *id, higher),
                };
                if better {
                    *best = Some((score, plan.id, model));
                }
            }
            {
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                let results = &mut *guard;
                let pos = results.trials.partition_point(|t| t.id < trial.id);
                results.trials.insert(pos, trial);
                if let Err(e) = write_results(&results_path, results) {
                    *write_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            }
            observer.on_event(&RunEvent::TrialFinished {
                id: plan.id,
                label: plan.label.clone(),
                outcome,
                elapsed: t0.elapsed(),
            });
        });
    });
    if let Some(e) = write_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut results = store.into_inner().unwrap_or_else(|p| p.into_inner());
    let failed = results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Failed)
        .count();

    // Select the best trial deterministically (ties go to the lower trial id), among the
    // models that can score new data (a transductive clusterer cannot be saved).
    let can_predict = |t: &TrialResult| {
        crate::models::find(&t.algorithm, Some(&t.backend)).is_ok_and(|i| i.can_predict)
    };
    let mut best: Option<&TrialResult> = None;
    for t in results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Ok && can_predict(t))
    {
        let Some(&v) = t.mean.get(&selection) else {
            continue;
        };
        if best.is_none_or(|b| is_better(v, t.id, b.mean[&selection], b.id, higher)) {
            best = Some(t);
        }
    }
    let mut model_path = None;
    if let Some(b) = best.cloned() {
        let mut best_model = BestModel {
            trial_id: b.id,
            label: b.label.clone(),
            metric: selection.clone(),
            value: b.mean[&selection],
            model_path: None,
        };
        if exp.outputs.save_best {
            let kept = best_so_far.into_inner().unwrap_or_else(|p| p.into_inner());
            let plan = &plans[b.id];
            // With one fold the model of the trial is the model; with k folds the best
            // trial is refitted on all training rows.
            let (pipeline, trained) = if prepared.len() == 1 {
                match kept {
                    Some((_, id, m)) if id == b.id => (prepared[0].pipeline.clone(), m),
                    _ => return Err(RunError::Save("the best trial's model was not kept".into())),
                }
            } else {
                observer.on_event(&RunEvent::Stage(format!(
                    "refitting {} on all training rows",
                    b.label
                )));
                let all = prepare_fold(&pipeline, "all", &loaded.train, &loaded.train, exp.seed)?.0;
                let (refit, model) =
                    trial::run_trial(plan, std::slice::from_ref(&all), &class_names, exp);
                let Some(model) = model else {
                    return Err(RunError::Save(
                        refit.error.unwrap_or_else(|| "refit failed".into()),
                    ));
                };
                (all.pipeline.clone(), model)
            };
            let header = ModelHeader {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                experiment: exp.name.clone(),
                trial_id: b.id,
                trial_label: b.label.clone(),
                role: plan.model.role,
                algorithm: plan.model.algorithm.clone(),
                backend: plan.model.backend.clone(),
                params: b.params.clone(),
                class_names: trained
                    .class_names
                    .clone()
                    .unwrap_or_else(|| class_names.clone()),
                non_feature_columns: exp.dataset.source.non_feature_columns(),
                input_columns: pipeline.input.clone(),
                feature_names: pipeline.output_names.clone(),
                spec_hash: results.manifest.spec_hash.clone(),
                dataset_files: results
                    .dataset
                    .files
                    .iter()
                    .map(|f| {
                        (
                            f.path.clone(),
                            Some(f.sha256.clone()).filter(|s| !s.is_empty()),
                        )
                    })
                    .collect(),
                metrics: b.mean.clone(),
                selection_metric: selection.clone(),
                threshold: trained.threshold,
                cluster_classes: trained.cluster_classes.clone(),
            };
            let bytes = persist::encode(&header, &pipeline, &trained.fitted)
                .map_err(|e| RunError::Save(e.to_string()))?;
            let dir = models_dir(&settings.project_dir, &exp.name);
            let path = dir.join("best.model");
            write_atomic(&path, &bytes).map_err(|source| RunError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let json = serde_json::to_vec_pretty(&header).unwrap_or_default();
            let jpath = dir.join("best.json");
            write_atomic(&jpath, &json).map_err(|source| RunError::Io {
                path: jpath.display().to_string(),
                source,
            })?;
            best_model.model_path = Some(format!("models/{}/best.model", exp.name));
            model_path = Some(path);
        }
        results.best = Some(best_model);
    }
    results.status = RunStatus::Complete;
    results.manifest.finished_at = Some(now_rfc3339());
    results.manifest.duration_seconds = Some(started.elapsed().as_secs_f64());
    write_results(&results_path, &results)?;
    observer.on_event(&RunEvent::Finished {
        ok: results.trials.len() - failed,
        failed,
        elapsed: started.elapsed(),
    });
    Ok(RunOutcome {
        results,
        results_path,
        model_path,
        failed,
    })
}

/// Strictly better, ties to the lower id (a total order, so the pick never depends on
/// the order trials finish in).
fn is_better(v: f64, id: usize, best_v: f64, best_id: usize, higher: bool) -> bool {
    if v == best_v {
        return id < best_id;
    }
    if higher { v > best_v } else { v < best_v }
}

type Prepared = (PreparedFold, Vec<String>);

fn prepare_fold(
    pipeline: &Pipeline,
    name: &str,
    train: &Dataset,
    test: &Dataset,
    seed: u64,
) -> Result<Prepared, RunError> {
    let wrap = |source| RunError::Preprocess {
        fold: name.to_string(),
        source,
    };
    let fitted = pipeline.fit(train, seed).map_err(wrap)?;
    let (x_test, stats) = fitted.pipeline.transform(&test.features).map_err(wrap)?;
    let mut notes = fitted.notes.clone();
    for (col, n) in &stats.unseen_categories {
        notes.push(format!(
            "{n} test row(s) have a `{col}` category not seen in training (encoded as all zeros)"
        ));
    }
    if stats.imputed_cells > 0 {
        notes.push(format!(
            "{} non-finite test cell(s) replaced by training statistics",
            stats.imputed_cells
        ));
    }
    let mut counts = vec![0; train.class_names.len()];
    for &y in &fitted.y {
        counts[y as usize] += 1;
    }
    Ok((
        PreparedFold {
            name: name.to_string(),
            pipeline: fitted.pipeline,
            x_train: fitted.x,
            y_train: fitted.y,
            x_test,
            y_test: test.y.clone(),
            cache: DataCache::new(),
            train_class_counts: counts,
        },
        notes,
    ))
}

fn dataset_summary(
    exp: &Experiment,
    loaded: &LoadedData,
    prepared: &[PreparedFold],
    notes: Vec<String>,
) -> DatasetSummary {
    let mut warnings = loaded.warnings.clone();
    warnings.extend(notes);
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
        class_counts_after_preprocessing: prepared.first().map(|f| f.train_class_counts.clone()),
        n_features_raw: loaded.train.features.n_cols(),
        n_features_model: prepared.first().map_or(0, |f| f.x_train.ncols()),
        feature_names: prepared
            .first()
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

/// 2-D PCA of a seeded sample of the first fold's test rows (fitted on its training rows).
fn projection(fold: &PreparedFold, seed: u64) -> Option<Projection2d> {
    if fold.x_train.ncols() < 2 || fold.x_test.nrows() == 0 {
        return None;
    }
    let (fit_rows, show) = projection_samples(fold, seed);
    let xs = fold.x_train.select(ndarray::Axis(0), &fit_rows);
    let pca = crate::preprocess::pca::Pca::fit(xs.view(), |_| 2);
    let xt = fold.x_test.select(ndarray::Axis(0), &show);
    let p = pca.transform(xt.view());
    let ratio = [
        pca.explained_variance_ratio.first().copied().unwrap_or(0.0),
        pca.explained_variance_ratio.get(1).copied().unwrap_or(0.0),
    ];
    Some(Projection2d {
        explained_variance_ratio: ratio,
        points: show
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                (
                    p[[i, 0]],
                    p.get([i, 1]).copied().unwrap_or(0.0),
                    fold.y_test[r],
                )
            })
            .collect(),
    })
}

/// Test rows shown in the 2-D projection plots.
pub const PROJECTION_POINTS: usize = 2_000;

/// Indices of the projection sample (the test rows the report plots).
pub(crate) fn projection_rows(fold: &PreparedFold, seed: u64) -> Vec<usize> {
    projection_samples(fold, seed).1
}

/// Seeded samples for the 2-D projection: training rows the PCA is fitted on, and the test
/// rows shown (sorted). One function, so plots and cluster colours use the same rows.
fn projection_samples(fold: &PreparedFold, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = anomalab_learn::Rng::new(anomalab_learn::rng::derive_seed(seed, 0x2D));
    let fit_rows = rng.sample_indices(fold.x_train.nrows(), 20_000.min(fold.x_train.nrows()));
    let mut show = rng.sample_indices(
        fold.x_test.nrows(),
        PROJECTION_POINTS.min(fold.x_test.nrows()),
    );
    show.sort_unstable();
    (fit_rows, show)
}

fn write_results(path: &Path, results: &RunResults) -> Result<(), RunError> {
    let mut bytes = serde_json::to_vec_pretty(results).map_err(|e| RunError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(|source| RunError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// FNV-1a, for stable per-trial seeds.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
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

/// Current UTC time as RFC 3339 (seconds), without a date crate.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
