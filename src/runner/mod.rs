//! The runner: data -> folds -> preprocessing -> every trial in parallel -> results.json,
//! the best model, and the reports.
//!
//! A run is `prepare -> plan -> execute -> select -> finalize`. The plan is plain data
//! (serialisable, each trial with a key of what decides its result), so the same steps
//! can later be spread over machines.
//!
//! Trials (models x grid points) run in one rayon pool of `--jobs` threads; a model that
//! parallelises internally (forests) runs its own `par_iter` inside the same pool, so the
//! total never exceeds `--jobs`. Each trial is seeded from the spec seed and its own name
//! and parameters, never from the thread or the order of completion, and results are kept
//! sorted by trial id: `--jobs 1` and `--jobs 8` write the same results apart from timings.
//! A failing trial is recorded with its error and the run goes on. `results.json` is
//! rewritten atomically after every trial (by the [`writer::ResultsWriter`] observer), so
//! an interrupted run keeps what it finished.

pub mod cache;
mod clock;
mod error;
pub mod events;
mod execute;
mod finalize;
mod fold_cache;
mod manifest;
pub mod plan;
mod prepare;
pub mod progress;
mod projection;
pub mod select;
mod settings;
pub mod study;
#[cfg(test)]
mod test_support;
mod trial;
pub mod writer;

use std::path::PathBuf;
use std::time::Instant;

use anomalab_results::{RunResults, TrialResult, TrialStatus};

use crate::spec::Experiment;
pub use cache::Reuse;
pub use clock::now_rfc3339;
pub use error::RunError;
pub use events::{Observer, PlainLines, RunEvent, Silent, Tee};
pub use plan::{TrialPlan, data_identity, plan};
pub(crate) use prepare::PreparedFold;
pub use projection::PROJECTION_POINTS;
pub(crate) use projection::projection_rows;
pub use select::select;
pub use settings::{RunSettings, models_dir, reports_dir};
use writer::{ResultsWriter, write_results};

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub results: RunResults,
    pub results_path: PathBuf,
    pub model_path: Option<PathBuf>,
    pub failed: usize,
    /// Trials taken from the cache instead of run.
    pub reused: usize,
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
    let data = prepare::load_and_prepare(exp, settings, &pool, observer)?;
    let plans = plan(exp, &data_identity(exp, &data.loaded.files));
    let cache = settings.trial_cache();
    // Collecting runs nothing: with a trial missing it stops before results.json is
    // touched, so a complete one written earlier stays.
    if let Some((c, Reuse::Only)) = &cache {
        let missing = c.missing(&plans);
        if !missing.is_empty() {
            return Err(RunError::Missing(missing));
        }
    }
    let results = manifest::initial_results(exp, settings, started_at, &data);
    let results_path = reports_dir(&settings.project_dir, &exp.name).join("results.json");
    let writer = ResultsWriter::create(results_path.clone(), results)?;

    observer.on_event(&RunEvent::Planned {
        trials: plans.len(),
        folds: data.folds.len(),
        jobs,
    });
    let both = Tee(&writer, observer);
    let cache = cache.as_ref().map(|(c, r)| (c, *r));
    let executed =
        pool.install(|| execute::execute_all(&plans, exp, (&data).into(), cache, &both))?;
    let mut results = writer.finish()?;

    let best = select(&results, can_predict);
    let ctx = finalize::RunContext {
        exp,
        settings,
        data: &data,
        plans: &plans,
        observer,
    };
    let model_path = finalize::finalize(&ctx, &mut results, best, executed.kept, started)?;
    write_results(&results_path, &results)?;
    let failed = count_failed(&results);
    observer.on_event(&RunEvent::Finished {
        ok: results.trials.len() - failed,
        failed,
        reused: executed.reused,
        elapsed: started.elapsed(),
    });
    Ok(RunOutcome {
        results,
        results_path,
        model_path,
        failed,
        reused: executed.reused,
    })
}

/// A model that can score new data (a transductive clusterer cannot, so it is not saved).
fn can_predict(t: &TrialResult) -> bool {
    crate::models::find(&t.algorithm, Some(&t.backend)).is_ok_and(|i| i.can_predict)
}

fn count_failed(results: &RunResults) -> usize {
    results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Failed)
        .count()
}
