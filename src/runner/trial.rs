//! One trial: fit one grid point of one model on every fold, score the test rows, and turn
//! the predictions into metrics. Knows the three roles, never a specific algorithm.

use std::time::Instant;

use anomalab_learn::{FitContext, LearnError, TrainSet};
use anomalab_results::{
    ClusterProfile, Diagnostics, FoldResult, ScoreHistogram, Threshold, TrialResult, TrialStatus,
    TrialTiming,
};
use ndarray::{Array2, Axis};

use super::{PreparedFold, TrialPlan};
use crate::eval;
use crate::models::{self, Built, Fitted};
use crate::spec::{Experiment, ThresholdSpec, TrainingMode};

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
    model: &crate::spec::ModelPlan,
    folds: &[PreparedFold],
    class_names: &[String],
    exp: &Experiment,
) -> (TrialResult, Option<TrainedModel>) {
    let params = &plan.params;
    let mut result = TrialResult {
        id: plan.id,
        model: model.name.clone(),
        algorithm: model.algorithm.clone(),
        backend: model.backend.clone(),
        role: model.role,
        params: params.clone(),
        varied: model.varied.clone(),
        label: plan.label.clone(),
        status: TrialStatus::Ok,
        error: None,
        folds: Vec::new(),
        mean: Default::default(),
        std: Default::default(),
        timing: TrialTiming::default(),
    };
    let info = match models::find(&model.algorithm, Some(&model.backend)) {
        Ok(i) => i,
        Err(e) => return (failed(result, e.message), None),
    };
    let built = match models::build(&info, params) {
        Ok(b) => b,
        Err(e) => return (failed(result, e.to_string()), None),
    };
    let mut kept = None;
    for (i, fold) in folds.iter().enumerate() {
        let ctx = FitContext {
            seed: anomalab_learn::rng::derive_seed(plan.seed, i as u64),
            threads: rayon::current_num_threads(),
        };
        let outcome = match &built {
            Built::Classifier(p) => classifier_fold(p.as_ref(), fold, class_names, &ctx),
            Built::Detector(p) => detector_fold(
                p.as_ref(),
                fold,
                class_names,
                &ctx,
                model.training,
                &model.threshold,
            ),
            Built::Clusterer(p) if info.can_predict => clusterer_fold(
                p.as_ref(),
                fold,
                class_names,
                &ctx,
                model.training,
                exp.seed,
            ),
            Built::Clusterer(p) => transductive_fold(p.as_ref(), fold, class_names, &ctx, exp.seed),
        };
        match outcome {
            Ok((fold_result, fit_s, predict_s, trained)) => {
                result.timing.fit_seconds.push(fit_s);
                result.timing.predict_seconds.push(predict_s);
                result.folds.push(fold_result);
                if folds.len() == 1 {
                    kept = trained;
                }
            }
            Err(e) => {
                let msg = if folds.len() > 1 {
                    format!("{}: {e}", fold.name)
                } else {
                    e.to_string()
                };
                return (failed(result, msg), None);
            }
        }
    }
    let (mean, std) = eval::aggregate(&result.folds);
    result.mean = mean;
    result.std = std;
    let n = result.timing.fit_seconds.len().max(1) as f64;
    result.timing.fit_seconds_mean = result.timing.fit_seconds.iter().sum::<f64>() / n;
    result.timing.predict_seconds_mean = result.timing.predict_seconds.iter().sum::<f64>() / n;
    (result, kept)
}

fn failed(mut r: TrialResult, error: String) -> TrialResult {
    r.status = TrialStatus::Failed;
    r.error = Some(error);
    r.folds.clear();
    r
}

type FoldOutcome = Result<(FoldResult, f64, f64, Option<TrainedModel>), LearnError>;

fn classifier_fold(
    params: &dyn anomalab_learn::ClassifierParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
) -> FoldOutcome {
    check_training_classes(&fold.y_train, class_names, &fold.name)?;
    let train = TrainSet {
        x: fold.x_train.view(),
        y: &fold.y_train,
        n_classes: class_names.len(),
        class_names,
        feature_names: &fold.pipeline.output_names,
        cache: &fold.cache,
    };
    let t0 = Instant::now();
    let model = params.fit(&train, ctx)?;
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let scores = model.scores(fold.x_test.view());
    let pred = anomalab_learn::traits::argmax_rows(&scores);
    let predict_s = t1.elapsed().as_secs_f64();
    let mut fr = eval::classification_fold(
        &fold.name,
        class_names,
        &fold.y_test,
        &pred,
        Some(scores.view()),
    )?;
    if let Some(imp) = model.feature_importances() {
        let mut named: Vec<(String, f64)> = fold
            .pipeline
            .output_names
            .iter()
            .cloned()
            .zip(imp)
            .collect();
        named.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        named.truncate(50);
        fr.feature_importances = Some(named);
    }
    if let Some(oob) = model.oob_score() {
        fr.diagnostics.oob_score = Some(oob);
        fr.diagnostics.notes.push(format!(
            "out-of-bag accuracy on the training rows: {oob:.4}"
        ));
    }
    Ok((
        fr,
        fit_s,
        predict_s,
        Some(TrainedModel {
            fitted: Fitted::Classifier(model),
            threshold: None,
            cluster_classes: None,
            class_names: None,
        }),
    ))
}

/// A training fold with a single class cannot train a classifier: say which.
fn check_training_classes(y: &[u32], class_names: &[String], fold: &str) -> Result<(), LearnError> {
    let mut present = vec![false; class_names.len()];
    for &c in y {
        present[c as usize] = true;
    }
    let n = present.iter().filter(|&&p| p).count();
    if n < 2 {
        let only = present
            .iter()
            .position(|&p| p)
            .map(|i| class_names[i].clone())
            .unwrap_or_default();
        return Err(LearnError::InvalidInput(format!(
            "the training rows of {fold} contain only the class `{only}`; a classifier needs at least two classes"
        )));
    }
    Ok(())
}

/// Index of the normal class: detectors treat every other class as an attack.
fn normal_class(class_names: &[String]) -> Result<u32, LearnError> {
    class_names
        .iter()
        .position(|c| ["normal", "benign"].contains(&c.to_lowercase().as_str()))
        .map(|i| i as u32)
        .ok_or_else(|| {
            LearnError::InvalidInput(format!(
                "detectors need a normal class to evaluate against, and none of the classes ({}) is `normal` or `benign`",
                class_names.join(", ")
            ))
        })
}

/// Rows used for fitting and for choosing the threshold.
fn split_validation(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = anomalab_learn::Rng::new(anomalab_learn::rng::derive_seed(seed, 0x7A11));
    let mut idx: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut idx);
    let n_val = ((n as f64) * fraction).round().clamp(1.0, (n - 1) as f64) as usize;
    let mut val = idx[..n_val].to_vec();
    let mut fit = idx[n_val..].to_vec();
    val.sort_unstable();
    fit.sort_unstable();
    (fit, val)
}

fn rows(x: &Array2<f64>, idx: &[usize]) -> Array2<f64> {
    x.select(Axis(0), idx)
}

fn detector_fold(
    params: &dyn anomalab_learn::DetectorParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
    training: TrainingMode,
    threshold: &ThresholdSpec,
) -> FoldOutcome {
    let normal = normal_class(class_names)?;
    let all: Vec<usize> = (0..fold.y_train.len()).collect();
    let (fit_pool, val) = match threshold {
        ThresholdSpec::Contamination { .. } => (all, Vec::new()),
        ThresholdSpec::Percentile {
            validation_fraction,
            ..
        }
        | ThresholdSpec::BestF1 {
            validation_fraction,
        } => split_validation(fold.y_train.len(), *validation_fraction, ctx.seed),
    };
    let fit_rows: Vec<usize> = match training {
        TrainingMode::All => fit_pool,
        TrainingMode::NormalOnly => fit_pool
            .into_iter()
            .filter(|&i| fold.y_train[i] == normal)
            .collect(),
    };
    if fit_rows.is_empty() {
        return Err(LearnError::InvalidInput(format!(
            "{}: no training rows left to fit the detector on",
            fold.name
        )));
    }
    let x_fit = rows(&fold.x_train, &fit_rows);
    let t0 = Instant::now();
    let det = params.fit(x_fit.view(), ctx)?;
    let thr = match threshold {
        ThresholdSpec::Contamination { rate } => {
            let mut s = det.score(x_fit.view());
            s.sort_by(f64::total_cmp);
            crate::preprocess::quantile(&s, 1.0 - rate)
        }
        ThresholdSpec::Percentile { percentile, .. } => {
            let normal_val: Vec<usize> = val
                .iter()
                .copied()
                .filter(|&i| fold.y_train[i] == normal)
                .collect();
            if normal_val.is_empty() {
                return Err(LearnError::InvalidInput(
                    "the validation rows contain no normal row".into(),
                ));
            }
            let mut s = det.score(rows(&fold.x_train, &normal_val).view());
            s.sort_by(f64::total_cmp);
            crate::preprocess::quantile(&s, percentile / 100.0)
        }
        ThresholdSpec::BestF1 { .. } => {
            let s = det.score(rows(&fold.x_train, &val).view());
            let truth: Vec<bool> = val.iter().map(|&i| fold.y_train[i] != normal).collect();
            best_f1_threshold(&s, &truth)
        }
    };
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let s = det.score(fold.x_test.view());
    let predict_s = t1.elapsed().as_secs_f64();

    let bin_names = vec!["normal".to_string(), "attack".to_string()];
    let y_bin: Vec<u32> = fold
        .y_test
        .iter()
        .map(|&y| u32::from(y != normal))
        .collect();
    let pred: Vec<u32> = s.iter().map(|&v| u32::from(v > thr)).collect();
    let mut scores = Array2::zeros((s.len(), 2));
    for (i, &v) in s.iter().enumerate() {
        scores[[i, 0]] = -v;
        scores[[i, 1]] = v;
    }
    let mut fr =
        eval::classification_fold(&fold.name, &bin_names, &y_bin, &pred, Some(scores.view()))?;
    let truth: Vec<bool> = y_bin.iter().map(|&y| y == 1).collect();
    let dm = anomalab_learn::eval::detector_metrics(&truth, &s, thr)?;
    fr.metrics
        .insert("detection_rate".into(), dm.detection_rate);
    fr.metrics
        .insert("false_alarm_rate".into(), dm.false_alarm_rate);
    let mut diag = Diagnostics::from_model(det.diagnostics());
    diag.threshold = Some(Threshold {
        value: thr,
        method: match threshold {
            ThresholdSpec::Contamination { .. } => "contamination",
            ThresholdSpec::Percentile { .. } => "percentile",
            ThresholdSpec::BestF1 { .. } => "best_f1",
        }
        .to_string(),
    });
    diag.score_histogram = Some(score_histogram(&s, &fold.y_test, class_names, thr));
    if training == TrainingMode::NormalOnly {
        diag.notes.push(format!(
            "fitted on the {} normal training rows only",
            fit_rows.len()
        ));
    }
    fr.diagnostics = diag;
    Ok((
        fr,
        fit_s,
        predict_s,
        Some(TrainedModel {
            fitted: Fitted::Detector(det),
            threshold: Some(thr),
            cluster_classes: None,
            class_names: Some(bin_names),
        }),
    ))
}

/// The threshold with the best F1 on (scores, truth): a cut between consecutive distinct
/// scores, predicting anomaly for score > threshold.
pub(crate) fn best_f1_threshold(scores: &[f64], truth: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = truth.iter().filter(|&&t| t).count() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    for (k, &i) in idx.iter().enumerate() {
        if truth[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let next = idx.get(k + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let f1 = if tp > 0.0 {
            2.0 * tp / (2.0 * tp + fp + (positives - tp))
        } else {
            0.0
        };
        if f1 > best.0 {
            let thr = match next {
                Some(n) => (scores[i] + n) / 2.0,
                None => scores[i] - 1e-12_f64.max(scores[i].abs() * 1e-12),
            };
            best = (f1, thr);
        }
    }
    best.1
}

fn score_histogram(s: &[f64], y: &[u32], class_names: &[String], thr: f64) -> ScoreHistogram {
    let finite = s.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min).min(thr);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max).max(thr);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo) / HISTOGRAM_BINS as f64;
    let edges: Vec<f64> = (0..=HISTOGRAM_BINS)
        .map(|i| lo + width * i as f64)
        .collect();
    let mut counts = vec![vec![0u64; HISTOGRAM_BINS]; class_names.len()];
    for (&v, &c) in s.iter().zip(y) {
        if v.is_finite() {
            let b = (((v - lo) / width) as usize).min(HISTOGRAM_BINS - 1);
            counts[c as usize][b] += 1;
        }
    }
    ScoreHistogram {
        edges,
        counts: class_names
            .iter()
            .cloned()
            .zip(counts)
            .filter(|(_, c)| c.iter().any(|&n| n > 0))
            .collect(),
    }
}

fn clusterer_fold(
    params: &dyn anomalab_learn::ClustererParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
    training: TrainingMode,
    seed: u64,
) -> FoldOutcome {
    let normal = normal_class(class_names).ok();
    let fit_rows: Vec<usize> = match (training, normal) {
        (TrainingMode::NormalOnly, Some(n)) => (0..fold.y_train.len())
            .filter(|&i| fold.y_train[i] == n)
            .collect(),
        _ => (0..fold.y_train.len()).collect(),
    };
    let x_fit = rows(&fold.x_train, &fit_rows);
    let y_fit: Vec<u32> = fit_rows.iter().map(|&i| fold.y_train[i]).collect();
    let t0 = Instant::now();
    let clustering = params.fit(x_fit.view(), ctx)?;
    let fit_s = t0.elapsed().as_secs_f64();
    let Some(model) = clustering.model else {
        return Err(LearnError::InvalidInput(
            "the clusterer returned no model to assign test rows with".into(),
        ));
    };
    let k = clustering.n_clusters.max(1);
    // Majority training class of each cluster.
    let mut comp = vec![vec![0usize; class_names.len()]; k];
    for (l, &y) in clustering.labels.iter().zip(&y_fit) {
        if let Some(c) = l {
            comp[*c][y as usize] += 1;
        }
    }
    let majority: Vec<u32> = comp
        .iter()
        .map(|counts| {
            counts
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                .map_or(0, |(i, _)| i as u32)
        })
        .collect();
    let t1 = Instant::now();
    let assigned = model.assign(fold.x_test.view());
    let s = model.score(fold.x_test.view());
    let predict_s = t1.elapsed().as_secs_f64();
    let pred: Vec<u32> = assigned
        .iter()
        .map(|&c| majority.get(c).copied().unwrap_or(0))
        .collect();
    let mut fr = eval::classification_fold(&fold.name, class_names, &fold.y_test, &pred, None)?;
    if class_names.len() == 2 {
        // ROC/PR of the anomaly score (distance / negative log-likelihood) for the attack class.
        let mut scores = Array2::zeros((s.len(), 2));
        for (i, &v) in s.iter().enumerate() {
            scores[[i, 0]] = -v;
            scores[[i, 1]] = v;
        }
        fr.curves = eval::curves_for(class_names, &fold.y_test, scores.view());
        if let Some(c) = fr.curves.first() {
            if let Some(a) = c.roc_auc {
                fr.metrics.insert("roc_auc".into(), a);
            }
            if let Some(a) = c.average_precision {
                fr.metrics.insert("pr_auc".into(), a);
            }
        }
    }
    let truth: Vec<usize> = fold.y_test.iter().map(|&y| y as usize).collect();
    if let Ok(ari) = anomalab_learn::eval::adjusted_rand_score(&truth, &assigned) {
        fr.metrics.insert("adjusted_rand".into(), ari);
    }
    if let Ok(p) = anomalab_learn::eval::purity(&truth, &assigned) {
        fr.metrics.insert("purity".into(), p);
    }
    if let Ok(sil) = anomalab_learn::eval::silhouette_score_sampled(
        fold.x_test.view(),
        &assigned,
        SILHOUETTE_ROWS,
        anomalab_learn::rng::derive_seed(seed, 0x5117),
    ) {
        fr.metrics.insert("silhouette".into(), sil);
    }
    let mut diag = Diagnostics::from_model(clustering.diagnostics);
    diag.cluster_profile = Some(profile(
        &comp,
        class_names,
        &x_fit,
        &clustering.labels,
        &fold.pipeline.output_names,
    ));
    let show = super::projection_rows(fold, seed);
    diag.projection_clusters = Some(show.iter().map(|&r| Some(assigned[r])).collect());
    fr.diagnostics = diag;
    Ok((
        fr,
        fit_s,
        predict_s,
        Some(TrainedModel {
            fitted: Fitted::Clusterer(model),
            threshold: None,
            cluster_classes: Some(majority),
            class_names: None,
        }),
    ))
}

/// Clusterers that cannot place new points (DBSCAN) are evaluated transductively: they
/// cluster the test rows themselves (no label is used to fit), noise points are flagged as
/// attacks, and the result is scored as a binary detector. Such a model cannot be saved
/// for `predict`.
fn transductive_fold(
    params: &dyn anomalab_learn::ClustererParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
    seed: u64,
) -> FoldOutcome {
    let normal = normal_class(class_names)?;
    let t0 = Instant::now();
    let clustering = params.fit(fold.x_test.view(), ctx)?;
    let fit_s = t0.elapsed().as_secs_f64();
    let bin_names = vec!["normal".to_string(), "attack".to_string()];
    let y_bin: Vec<u32> = fold
        .y_test
        .iter()
        .map(|&y| u32::from(y != normal))
        .collect();
    let pred: Vec<u32> = clustering
        .labels
        .iter()
        .map(|l| u32::from(l.is_none()))
        .collect();
    let mut fr = eval::classification_fold(&fold.name, &bin_names, &y_bin, &pred, None)?;
    let truth: Vec<bool> = y_bin.iter().map(|&y| y == 1).collect();
    let flagged: Vec<f64> = pred.iter().map(|&p| p as f64).collect();
    let dm = anomalab_learn::eval::detector_metrics(&truth, &flagged, 0.5)?;
    fr.metrics
        .insert("detection_rate".into(), dm.detection_rate);
    fr.metrics
        .insert("false_alarm_rate".into(), dm.false_alarm_rate);
    // Cluster quality on the clustered (non-noise) rows.
    let kept: Vec<usize> = (0..clustering.labels.len())
        .filter(|&i| clustering.labels[i].is_some())
        .collect();
    let assigned: Vec<usize> = kept
        .iter()
        .map(|&i| clustering.labels[i].unwrap_or(0))
        .collect();
    let truth_kept: Vec<usize> = kept.iter().map(|&i| fold.y_test[i] as usize).collect();
    if let Ok(ari) = anomalab_learn::eval::adjusted_rand_score(&truth_kept, &assigned) {
        fr.metrics.insert("adjusted_rand".into(), ari);
    }
    if let Ok(p) = anomalab_learn::eval::purity(&truth_kept, &assigned) {
        fr.metrics.insert("purity".into(), p);
    }
    if let Ok(sil) = anomalab_learn::eval::silhouette_score_sampled(
        rows(&fold.x_test, &kept).view(),
        &assigned,
        SILHOUETTE_ROWS,
        anomalab_learn::rng::derive_seed(seed, 0x5117),
    ) {
        fr.metrics.insert("silhouette".into(), sil);
    }
    let mut diag = Diagnostics::from_model(clustering.diagnostics);
    diag.notes.push(format!(
        "transductive: clustered the {} test rows directly (no labels used to fit); noise points are flagged as attacks; the model cannot be saved for predict",
        fold.x_test.nrows()
    ));
    let show = super::projection_rows(fold, seed);
    diag.projection_clusters = Some(show.iter().map(|&r| clustering.labels[r]).collect());
    fr.diagnostics = diag;
    Ok((fr, fit_s, 0.0, None))
}

fn profile(
    comp: &[Vec<usize>],
    class_names: &[String],
    x: &Array2<f64>,
    labels: &[Option<usize>],
    names: &[String],
) -> Vec<ClusterProfile> {
    let d = x.ncols();
    let mean = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| ndarray::Array1::zeros(d));
    let std = x.std_axis(Axis(0), 0.0);
    comp.iter()
        .enumerate()
        .map(|(c, counts)| {
            let members: Vec<usize> = labels
                .iter()
                .enumerate()
                .filter(|(_, l)| **l == Some(c))
                .map(|(i, _)| i)
                .collect();
            let top = if members.is_empty() {
                Vec::new()
            } else {
                let m = x
                    .select(Axis(0), &members)
                    .mean_axis(Axis(0))
                    .unwrap_or_else(|| ndarray::Array1::zeros(d));
                let mut z: Vec<(String, f64)> = (0..d)
                    .map(|j| {
                        let s = if std[j] > 0.0 { std[j] } else { 1.0 };
                        (
                            names.get(j).cloned().unwrap_or_default(),
                            (m[j] - mean[j]) / s,
                        )
                    })
                    .collect();
                z.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
                z.truncate(5);
                z
            };
            ClusterProfile {
                cluster: Some(c),
                size: members.len(),
                composition: class_names
                    .iter()
                    .cloned()
                    .zip(counts.iter().copied())
                    .filter(|(_, n)| *n > 0)
                    .collect(),
                top_features: top,
            }
        })
        .collect()
}
