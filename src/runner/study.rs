//! A run spread over processes: the plan file names every trial with its index and key;
//! workers run trials by index into the shared trial cache; a collector turns the stored
//! trials into the run's results. Whatever runs the workers (a Slurm job array, a
//! Kubernetes Indexed Job, a shell loop), the collected results equal a local run's.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::cache::{Reuse, TrialCache};
use super::error::RunError;
use super::events::{Observer, RunEvent, Tee};
use super::execute::{self, TrialData};
use super::fold_cache::{self, StoredFolds};
use super::plan::{TrialPlan, changed_parts, data_identity, plan};
use super::prepare;
use super::settings::RunSettings;
use crate::spec::Experiment;

/// Raised when the plan file's layout changes.
pub const PLAN_FORMAT: u32 = 1;

/// The plan file (`anomalab plan -o plan.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyPlan {
    pub format: u32,
    pub experiment: String,
    /// The spec as written, so that every worker runs exactly it; its path resolves the
    /// spec's relative data paths.
    pub spec_path: PathBuf,
    pub spec_text: String,
    pub data_dir: PathBuf,
    pub project_dir: PathBuf,
    /// The trial cache every worker writes to (a shared filesystem on a cluster).
    pub cache_dir: PathBuf,
    /// The trials; a trial's index is its position (and its `id`).
    pub trials: Vec<TrialPlan>,
}

impl StudyPlan {
    /// The spec the plan was made from.
    pub fn experiment(&self) -> Result<Experiment, crate::spec::SpecError> {
        crate::spec::parse(&self.spec_path, &self.spec_text)
    }

    /// How a worker or the collector runs: the plan's folders and cache.
    pub fn settings(&self, jobs: usize, reuse: Reuse, command_line: Vec<String>) -> RunSettings {
        RunSettings {
            data_dir: self.data_dir.clone(),
            project_dir: self.project_dir.clone(),
            jobs,
            strict: false,
            command_line,
            cache: Some((self.cache_dir.clone(), reuse)),
        }
    }

    /// Indexes of the trials with no stored result.
    pub fn missing(&self) -> Vec<usize> {
        TrialCache::new(&self.cache_dir).missing(&self.trials)
    }
}

/// Plan `exp`: load its data (the keys hash the files' contents) and list the trials.
pub fn make_plan(exp: &Experiment, settings: &RunSettings) -> Result<StudyPlan, RunError> {
    let loaded = prepare::load_only(exp, settings)?;
    let cache_dir = match &settings.cache {
        Some((dir, _)) => settings.project_dir.join(dir),
        None => settings.project_dir.join(super::cache::DEFAULT_CACHE_DIR),
    };
    Ok(StudyPlan {
        format: PLAN_FORMAT,
        experiment: exp.name.clone(),
        spec_path: absolute(&exp.source.path),
        spec_text: exp.source.text.clone(),
        data_dir: absolute(&settings.data_dir),
        project_dir: absolute(&settings.project_dir),
        cache_dir: absolute(&cache_dir),
        trials: plan(exp, &data_identity(exp, &loaded.files)),
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// What a worker did.
#[derive(Debug, Default)]
pub struct WorkerOutcome {
    pub ran: usize,
    pub reused: usize,
    /// Trials that failed (not stored, so the collector reports them missing).
    pub failed: Vec<usize>,
}

/// Run the trials at `indexes` of `study` into its cache, loading and preprocessing the
/// data once. Refused when the data or anomalab changed since the plan was written (a
/// trial's key differs), naming what changed.
pub fn run_trials(
    study: &StudyPlan,
    exp: &Experiment,
    settings: &RunSettings,
    indexes: &[usize],
    observer: &dyn Observer,
) -> Result<WorkerOutcome, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs.max(1))
        .build()
        .map_err(|e| RunError::Threads(settings.jobs, e.to_string()))?;
    let picked = pick(study, indexes)?;
    if picked.is_empty() {
        return Ok(WorkerOutcome::default());
    }
    let key = fold_cache::key(&picked[0].description);
    let stored = match fold_cache::load(&study.cache_dir, &key) {
        // Stored by a worker that checked the plan against the data.
        Some(s) => s,
        None => {
            let data = prepare::load_and_prepare(exp, settings, &pool, observer)?;
            check_keys(&picked, &plan(exp, &data_identity(exp, &data.loaded.files)))?;
            // A worker that cannot store the folds still runs its trials.
            let _ = fold_cache::store(&study.cache_dir, &key, data.class_names(), &data.folds);
            StoredFolds {
                class_names: data.class_names().to_vec(),
                folds: data.folds,
            }
        }
    };
    let trial_data = TrialData {
        folds: &stored.folds,
        class_names: &stored.class_names,
    };
    let cache = TrialCache::new(&study.cache_dir);
    let failures = Failures::default();
    let both = Tee(&failures, observer);
    let executed = pool.install(|| {
        execute::execute_all(
            &picked,
            exp,
            trial_data,
            Some((&cache, Reuse::Cached)),
            &both,
        )
    })?;
    let mut failed = failures.0.into_inner().unwrap_or_else(|p| p.into_inner());
    failed.sort_unstable();
    Ok(WorkerOutcome {
        ran: picked.len() - executed.reused,
        reused: executed.reused,
        failed,
    })
}

/// The plan's trials at `indexes`.
fn pick(study: &StudyPlan, indexes: &[usize]) -> Result<Vec<TrialPlan>, RunError> {
    indexes
        .iter()
        .map(|&i| {
            study.trials.get(i).cloned().ok_or_else(|| {
                RunError::Plan(format!(
                    "trial index {i} is not in the plan (it has {} trials)",
                    study.trials.len()
                ))
            })
        })
        .collect()
}

/// Refuse trials whose key differs from the one the data gives now, naming what changed.
fn check_keys(picked: &[TrialPlan], now: &[TrialPlan]) -> Result<(), RunError> {
    for was in picked {
        let Some(is) = now.get(was.id) else {
            return Err(RunError::Plan(format!(
                "trial {} is not in the spec any more; plan again",
                was.id
            )));
        };
        if was.key != is.key {
            let parts = changed_parts(&was.description, &is.description).join(", ");
            return Err(RunError::Plan(format!(
                "trial {} ({}) is not the one planned: its {parts} changed since the plan was written; plan again",
                was.id, is.label
            )));
        }
    }
    Ok(())
}

/// Notes the trials that failed.
#[derive(Default)]
struct Failures(Mutex<Vec<usize>>);

impl Observer for Failures {
    fn on_event(&self, event: &RunEvent) {
        if let RunEvent::TrialFinished {
            id,
            outcome: Err(_),
            ..
        } = event
        {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push(*id);
        }
    }
}

/// `indexes` as a Slurm `--array` expression: `0-3,7,9-10`.
pub fn array_expression(indexes: &[usize]) -> String {
    let mut sorted = indexes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        parts.push(if sorted[i] == start {
            start.to_string()
        } else {
            format!("{start}-{}", sorted[i])
        });
        i += 1;
    }
    parts.join(",")
}

/// The trial indexes of array task `task` with `chunk` trials a task, among `n` trials.
pub fn chunk_indexes(task: usize, chunk: usize, n: usize) -> std::ops::Range<usize> {
    let chunk = chunk.max(1);
    let start = task.saturating_mul(chunk).min(n);
    start..start.saturating_add(chunk).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_expressions_merge_runs() {
        assert_eq!(array_expression(&[7, 0, 1, 2, 3, 9, 10]), "0-3,7,9-10");
        assert_eq!(array_expression(&[4]), "4");
        assert_eq!(array_expression(&[]), "");
    }

    #[test]
    fn chunks_cover_every_trial_once() {
        assert_eq!(chunk_indexes(0, 3, 7), 0..3);
        assert_eq!(chunk_indexes(2, 3, 7), 6..7);
        assert_eq!(chunk_indexes(3, 3, 7), 7..7);
        assert_eq!(chunk_indexes(5, 0, 7), 5..6, "a chunk of 0 is 1");
    }
}
