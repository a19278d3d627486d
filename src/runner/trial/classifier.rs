//! A classifier on one fold: fit, class scores, metrics, importances.

use std::time::Instant;

use anomalab_learn::{FitContext, LearnError, TrainSet};

use super::{FoldOutcome, TrainedModel};
use crate::eval;
use crate::models::Fitted;
use crate::runner::PreparedFold;

pub(super) fn classifier_fold(
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
