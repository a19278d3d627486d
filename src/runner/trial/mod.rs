//! One trial: fit one grid point of one model on every fold, score the test rows, and turn
//! the predictions into metrics. Knows the three roles, never a specific algorithm.

use anomalab_learn::{FitContext, LearnError};
use anomalab_results::{FoldResult, TrialResult, TrialStatus, TrialTiming};
use ndarray::{Array2, Axis};

mod classifier;
mod clusterer;
mod detector;
mod profile;

use super::{PreparedFold, TrialPlan};
use crate::data::split::repeat_seed;
use crate::eval;
use crate::models::{self, Built, Fitted};
use crate::spec::{Experiment, ModelPlan};
use classifier::classifier_fold;
use clusterer::{clusterer_fold, transductive_fold};
use detector::detector_fold;

/// A fitted model with what it needs besides its bytes.
pub(crate) struct TrainedModel {
    pub fitted: Fitted,
    /// Detectors: anomaly when score > threshold.
    pub threshold: Option<f64>,
    /// Clusterers: class of each cluster.
    pub cluster_classes: Option<Vec<u32>>,
    /// Class names the model predicts, when they differ from the dataset's (detectors).
    pub class_names: Option<Vec<String>>,
}

/// Bins of the anomaly-score histograms.
const HISTOGRAM_BINS: usize = 40;
/// Rows used for silhouette (a seeded sample of the test rows).
const SILHOUETTE_ROWS: usize = 5_000;

pub(crate) fn run_trial(
    plan: &TrialPlan,
    model: &ModelPlan,
    folds: &[PreparedFold],
    class_names: &[String],
    exp: &Experiment,
) -> (TrialResult, Option<TrainedModel>) {
    let mut result = empty_result(plan, model);
    let info = match models::find(&model.algorithm, Some(&model.backend)) {
        Ok(i) => i,
        Err(e) => return (failed(result, e.message), None),
    };
    let built = match models::build(&info, &plan.params) {
        Ok(b) => b,
        Err(e) => return (failed(result, e.to_string()), None),
    };
    let mut kept = None;
    for fold in folds {
        let ctx = FitContext {
            seed: anomalab_learn::rng::derive_seed(
                repeat_seed(plan.seed, fold.repeat),
                fold.index as u64,
            ),
            threads: rayon::current_num_threads(),
        };
        let role = RoleFit {
            built: &built,
            transductive: !info.can_predict,
            model,
            spec_seed: exp.seed,
        };
        match role.fit_fold(fold, class_names, &ctx) {
            Ok((fold_result, fit_s, predict_s, trained)) => {
                result.timing.fit_seconds.push(fit_s);
                result.timing.predict_seconds.push(predict_s);
                result.folds.push(FoldResult {
                    repeat: fold.repeat,
                    ..fold_result
                });
                if folds.len() == 1 {
                    kept = trained;
                }
            }
            Err(e) if folds.len() > 1 => {
                return (failed(result, format!("{}: {e}", fold.name)), None);
            }
            Err(e) => return (failed(result, e.to_string()), None),
        }
    }
    summarise(&mut result);
    (result, kept)
}

/// A trial's result before any fold ran.
fn empty_result(plan: &TrialPlan, model: &ModelPlan) -> TrialResult {
    TrialResult {
        id: plan.id,
        model: model.name.clone(),
        algorithm: model.algorithm.clone(),
        backend: model.backend.clone(),
        role: model.role,
        params: plan.params.clone(),
        varied: model.varied.clone(),
        label: plan.label.clone(),
        status: TrialStatus::Ok,
        error: None,
        folds: Vec::new(),
        mean: Default::default(),
        std: Default::default(),
        timing: TrialTiming::default(),
    }
}

/// Means and standard deviations over folds, and mean timings.
fn summarise(result: &mut TrialResult) {
    let (mean, std) = eval::aggregate(&result.folds);
    result.mean = mean;
    result.std = std;
    let n = result.timing.fit_seconds.len().max(1) as f64;
    result.timing.fit_seconds_mean = result.timing.fit_seconds.iter().sum::<f64>() / n;
    result.timing.predict_seconds_mean = result.timing.predict_seconds.iter().sum::<f64>() / n;
}

/// What one fold of a trial needs to know about its model: the built parameters by role.
struct RoleFit<'a> {
    built: &'a Built,
    /// A clusterer that cannot place new points (evaluated on the test rows themselves).
    transductive: bool,
    model: &'a ModelPlan,
    spec_seed: u64,
}

impl RoleFit<'_> {
    fn fit_fold(
        &self,
        fold: &PreparedFold,
        class_names: &[String],
        ctx: &FitContext,
    ) -> FoldOutcome {
        let (m, seed) = (self.model, self.spec_seed);
        match self.built {
            Built::Classifier(p) => classifier_fold(p.as_ref(), fold, class_names, ctx),
            Built::Detector(p) => {
                detector_fold(p.as_ref(), fold, class_names, ctx, m.training, &m.threshold)
            }
            Built::Clusterer(p) if self.transductive => {
                transductive_fold(p.as_ref(), fold, class_names, ctx, seed)
            }
            Built::Clusterer(p) => {
                clusterer_fold(p.as_ref(), fold, class_names, ctx, m.training, seed)
            }
        }
    }
}

fn failed(mut r: TrialResult, error: String) -> TrialResult {
    r.status = TrialStatus::Failed;
    r.error = Some(error);
    r.folds.clear();
    r
}

type FoldOutcome = Result<(FoldResult, f64, f64, Option<TrainedModel>), LearnError>;

/// Index of the normal class: detectors treat every other class as an attack.
fn normal_class(class_names: &[String]) -> Result<u32, LearnError> {
    crate::eval::normal_class(class_names).ok_or_else(|| {
            LearnError::InvalidInput(format!(
                "detectors need a normal class to evaluate against, and none of the classes ({}) is `normal` or `benign`",
                class_names.join(", ")
            ))
        })
}

fn rows(x: &Array2<f64>, idx: &[usize]) -> Array2<f64> {
    x.select(Axis(0), idx)
}
