//! A clusterer on one fold: clusters mapped to their majority training class (k-means,
//! GMM), or, for an algorithm that cannot place new points (DBSCAN), the test rows
//! clustered directly with noise flagged as attacks.

use std::time::Instant;

use anomalab_learn::{FitContext, LearnError};
use anomalab_results::{Diagnostics, FoldResult};
use ndarray::ArrayView2;

use super::detector::{VERDICTS, attack_truth, insert_verdict_rates, score_columns};
use super::profile::cluster_profiles;
use super::{FoldOutcome, SILHOUETTE_ROWS, TrainedModel, normal_class, rows};
use crate::eval;
use crate::models::Fitted;
use crate::runner::{PreparedFold, projection_rows};
use crate::spec::TrainingMode;

pub(super) fn clusterer_fold(
    params: &dyn anomalab_learn::ClustererParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
    training: TrainingMode,
    seed: u64,
) -> FoldOutcome {
    let fit_rows = clusterer_rows(fold, class_names, training);
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
    let comp = composition(
        &clustering.labels,
        &y_fit,
        clustering.n_clusters,
        class_names,
    );
    let majority = majority_classes(&comp);
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
        score_curves(&mut fr, class_names, &fold.y_test, &s);
    }
    let truth: Vec<usize> = fold.y_test.iter().map(|&y| y as usize).collect();
    cluster_metrics(&mut fr, &truth, &assigned, fold.x_test.view(), seed);
    let mut diag = Diagnostics::from_model(clustering.diagnostics);
    diag.cluster_profile = Some(cluster_profiles(
        x_fit.view(),
        &clustering.labels,
        clustering.n_clusters,
        &y_fit,
        class_names,
        &fold.pipeline,
    ));
    let show = projection_rows(fold, seed);
    diag.projection_clusters = Some(show.iter().map(|&r| Some(assigned[r])).collect());
    fr.diagnostics = diag;
    let trained = TrainedModel {
        fitted: Fitted::Clusterer(model),
        threshold: None,
        cluster_classes: Some(majority),
        class_names: None,
    };
    Ok((fr, fit_s, predict_s, Some(trained)))
}

/// Training rows to cluster: the normal rows only when asked and a normal class exists.
fn clusterer_rows(
    fold: &PreparedFold,
    class_names: &[String],
    training: TrainingMode,
) -> Vec<usize> {
    match (training, normal_class(class_names).ok()) {
        (TrainingMode::NormalOnly, Some(n)) => (0..fold.y_train.len())
            .filter(|&i| fold.y_train[i] == n)
            .collect(),
        _ => (0..fold.y_train.len()).collect(),
    }
}

/// Rows of each class in each cluster (noise rows are in none).
fn composition(
    labels: &[Option<usize>],
    y: &[u32],
    n_clusters: usize,
    class_names: &[String],
) -> Vec<Vec<usize>> {
    let mut comp = vec![vec![0usize; class_names.len()]; n_clusters.max(1)];
    for (l, &c) in labels.iter().zip(y) {
        if let Some(k) = l {
            comp[*k][c as usize] += 1;
        }
    }
    comp
}

/// The majority training class of each cluster (the lower class index on ties).
fn majority_classes(comp: &[Vec<usize>]) -> Vec<u32> {
    comp.iter()
        .map(|counts| {
            counts
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                .map_or(0, |(i, _)| i as u32)
        })
        .collect()
}

/// ROC/PR of the anomaly score (distance, negative log-likelihood) for the attack class.
fn score_curves(fr: &mut FoldResult, class_names: &[String], y: &[u32], s: &[f64]) {
    let scores = score_columns(s);
    fr.curves = eval::curves_for(class_names, y, scores.view());
    if let Some(c) = fr.curves.first() {
        if let Some(a) = c.roc_auc {
            fr.metrics.insert("roc_auc".into(), a);
        }
        if let Some(a) = c.average_precision {
            fr.metrics.insert("pr_auc".into(), a);
        }
    }
}

/// Adjusted Rand index, purity and the silhouette (on a seeded sample) of `assigned`.
fn cluster_metrics(
    fr: &mut FoldResult,
    truth: &[usize],
    assigned: &[usize],
    x: ArrayView2<'_, f64>,
    seed: u64,
) {
    if let Ok(ari) = anomalab_learn::eval::adjusted_rand_score(truth, assigned) {
        fr.metrics.insert("adjusted_rand".into(), ari);
    }
    if let Ok(p) = anomalab_learn::eval::purity(truth, assigned) {
        fr.metrics.insert("purity".into(), p);
    }
    if let Ok(sil) = anomalab_learn::eval::silhouette_score_sampled(
        x,
        assigned,
        SILHOUETTE_ROWS,
        anomalab_learn::rng::derive_seed(seed, 0x5117),
    ) {
        fr.metrics.insert("silhouette".into(), sil);
    }
}

/// Clusterers that cannot place new points (DBSCAN) are evaluated transductively: they
/// cluster the test rows themselves (no label is used to fit), noise points are flagged as
/// attacks, and the result is scored as a binary detector. Such a model cannot be saved
/// for `predict`.
pub(super) fn transductive_fold(
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
    let bin_names = VERDICTS.map(String::from).to_vec();
    let y_bin = attack_truth(&fold.y_test, normal);
    let pred: Vec<u32> = clustering
        .labels
        .iter()
        .map(|l| u32::from(l.is_none()))
        .collect();
    let mut fr = eval::classification_fold(&fold.name, &bin_names, &y_bin, &pred, None)?;
    insert_verdict_rates(&mut fr);
    // Cluster quality on the clustered (non-noise) rows.
    let kept: Vec<usize> = (0..clustering.labels.len())
        .filter(|&i| clustering.labels[i].is_some())
        .collect();
    let assigned: Vec<usize> = kept
        .iter()
        .map(|&i| clustering.labels[i].unwrap_or(0))
        .collect();
    let truth_kept: Vec<usize> = kept.iter().map(|&i| fold.y_test[i] as usize).collect();
    let x_kept = rows(&fold.x_test, &kept);
    cluster_metrics(&mut fr, &truth_kept, &assigned, x_kept.view(), seed);
    let mut diag = Diagnostics::from_model(clustering.diagnostics);
    diag.cluster_profile = Some(cluster_profiles(
        fold.x_test.view(),
        &clustering.labels,
        clustering.n_clusters,
        &fold.y_test,
        class_names,
        &fold.pipeline,
    ));
    diag.notes.push(format!(
        "transductive: clustered the {} test rows directly (no labels used to fit); noise points are flagged as attacks; the model cannot be saved for predict",
        fold.x_test.nrows()
    ));
    let show = projection_rows(fold, seed);
    diag.projection_clusters = Some(show.iter().map(|&r| clustering.labels[r]).collect());
    fr.diagnostics = diag;
    Ok((fr, fit_s, 0.0, None))
}
