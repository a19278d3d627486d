//! The end of a run: the best trial's model (the kept single-fold model, or with k folds a
//! refit on all training rows) saved as `best.model` and `best.json`, and the results
//! marked complete.

use std::path::PathBuf;
use std::time::Instant;

use anomalab_results::{BestModel, RunResults, RunStatus, TrialResult};

use super::clock::now_rfc3339;
use super::error::RunError;
use super::events::{Observer, RunEvent};
use super::execute::Kept;
use super::plan::TrialPlan;
use super::prepare::{PreparedData, PreparedFold, prepare_fold};
use super::settings::{RunSettings, models_dir};
use super::trial::{self, TrainedModel};
use crate::fsutil::write_atomic;
use crate::persist::{self, ModelHeader};
use crate::preprocess::FittedPipeline;
use crate::spec::Experiment;

/// What finalising reads (nothing here is changed).
pub(crate) struct RunContext<'a> {
    pub exp: &'a Experiment,
    pub settings: &'a RunSettings,
    pub data: &'a PreparedData,
    pub plans: &'a [TrialPlan],
    pub observer: &'a dyn Observer,
}

/// Sets `best` (the trial at position `best` of `results.trials`), the status and the
/// finish times, saving the best model when the spec asks; returns the model's path.
pub(crate) fn finalize(
    ctx: &RunContext<'_>,
    results: &mut RunResults,
    best: Option<usize>,
    kept: Option<Kept>,
    started: Instant,
) -> Result<Option<PathBuf>, RunError> {
    let mut model_path = None;
    if let Some(pos) = best {
        let b = &results.trials[pos];
        let metric = results.selection.metric.clone();
        let mut best_model = BestModel {
            trial_id: b.id,
            label: b.label.clone(),
            value: b.mean[&metric],
            metric,
            model_path: None,
        };
        if ctx.exp.outputs.save_best {
            model_path = Some(save_best(ctx, results, b, kept)?);
            best_model.model_path = Some(format!("models/{}/best.model", ctx.exp.name));
        }
        results.best = Some(best_model);
    }
    results.status = RunStatus::Complete;
    results.manifest.finished_at = Some(now_rfc3339());
    results.manifest.duration_seconds = Some(started.elapsed().as_secs_f64());
    Ok(model_path)
}

fn save_best(
    ctx: &RunContext<'_>,
    results: &RunResults,
    best: &TrialResult,
    kept: Option<Kept>,
) -> Result<PathBuf, RunError> {
    let plan = ctx
        .plans
        .iter()
        .find(|p| p.id == best.id)
        .ok_or_else(|| RunError::Save(format!("trial {} is not in the plan", best.id)))?;
    let (pipeline, trained) = best_model(ctx, plan, kept)?;
    let header = model_header(ctx, results, best, &pipeline, &trained);
    let bytes = persist::encode(&header, &pipeline, &trained.fitted)
        .map_err(|e| RunError::Save(e.to_string()))?;
    let dir = models_dir(&ctx.settings.project_dir, &ctx.exp.name);
    let path = dir.join("best.model");
    write_atomic(&path, &bytes).map_err(|e| RunError::io(&path, e))?;
    super::writer::write_json(&dir.join("best.json"), &header)?;
    Ok(path)
}

/// With one fold the trial's model is the model; with k folds the best trial is refitted
/// on all training rows.
fn best_model(
    ctx: &RunContext<'_>,
    plan: &TrialPlan,
    kept: Option<Kept>,
) -> Result<(FittedPipeline, TrainedModel), RunError> {
    if let [fold] = ctx.data.folds.as_slice() {
        if let Some(k) = kept.filter(|k| k.trial_id == plan.id) {
            return Ok((fold.pipeline.clone(), k.model));
        }
        // The best trial's result was stored by an earlier run: fitted again on its fold
        // with its seed, it gives the same model.
        return fit_on(ctx, plan, fold, fold.pipeline.clone());
    }
    ctx.observer.on_event(&RunEvent::Stage(format!(
        "refitting {} on all training rows",
        plan.label
    )));
    let train = &ctx.data.loaded.train;
    let (all, _) = prepare_fold(
        &ctx.data.pipeline,
        "all",
        train.clone(),
        train.clone(),
        ctx.exp.seed,
    )?;
    let pipeline = all.pipeline.clone();
    fit_on(ctx, plan, &all, pipeline)
}

fn fit_on(
    ctx: &RunContext<'_>,
    plan: &TrialPlan,
    fold: &PreparedFold,
    pipeline: FittedPipeline,
) -> Result<(FittedPipeline, TrainedModel), RunError> {
    let model_plan = plan.model_plan(ctx.exp);
    let folds = std::slice::from_ref(fold);
    let (refit, model) = trial::run_trial(plan, model_plan, folds, ctx.data.class_names(), ctx.exp);
    match model {
        Some(model) => Ok((pipeline, model)),
        None => Err(RunError::Save(
            refit.error.unwrap_or_else(|| "refit failed".into()),
        )),
    }
}

fn model_header(
    ctx: &RunContext<'_>,
    results: &RunResults,
    best: &TrialResult,
    pipeline: &FittedPipeline,
    trained: &TrainedModel,
) -> ModelHeader {
    let exp = ctx.exp;
    let class_names = trained.class_names.clone();
    ModelHeader {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        experiment: exp.name.clone(),
        trial_id: best.id,
        trial_label: best.label.clone(),
        role: best.role,
        algorithm: best.algorithm.clone(),
        backend: best.backend.clone(),
        params: best.params.clone(),
        class_names: class_names.unwrap_or_else(|| ctx.data.class_names().to_vec()),
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
        dataset: Some(exp.dataset.to_fields()),
        metrics: best.mean.clone(),
        selection_metric: results.selection.metric.clone(),
        threshold: trained.threshold,
        cluster_classes: trained.cluster_classes.clone(),
    }
}
