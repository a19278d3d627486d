//! linfa-backed learners: `gaussian_nb` (linfa-bayes) and `decision_tree` backend `linfa`
//! (linfa-trees).
//!
//! Gaussian naive Bayes is fitted by linfa-bayes (per-class means, variances with
//! scikit-learn's `var_smoothing` rule, class priors); its probabilities are computed here
//! from linfa's joint log-likelihoods with a stable log-sum-exp, because linfa's own
//! `predict_proba` exponentiates before normalising and gives NaN for rows far from every
//! class. The result is scikit-learn's `GaussianNB.predict_proba`.
//!
//! The linfa decision tree predicts labels only: its `scores()` are the one-hot rows of the
//! predictions and `scores_are_probabilities()` is false.

use std::collections::HashMap;

use linfa::prelude::*;
use linfa_bayes::{GaussianNb, NaiveBayes};
use linfa_trees::{DecisionTree, SplitQuality};
use ndarray::{Array1, Array2, ArrayView2};

use super::{LibModel, TreeSettings, Wrapped, check_train, lib_error, one_hot, tree_param_specs};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name of Gaussian naive Bayes.
pub const GAUSSIAN_NB: &str = "gaussian_nb";
/// Registry name of the decision tree (this module provides its `linfa` backend).
pub const DECISION_TREE: &str = "decision_tree";

// ---------------------------------------------------------------------------------------
// Gaussian naive Bayes

/// Parameter schema of `gaussian_nb` (scikit-learn's `GaussianNB`).
pub fn gaussian_nb_params() -> Vec<ParamSpec> {
    vec![ParamSpec::new(
        "var_smoothing",
        ParamKind::Float { min: 0.0, max: 1.0 },
        ParamValue::Float(1e-9),
        "fraction of the largest feature variance added to every variance (default 1e-9)",
    )]
}

/// Validated `gaussian_nb` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianNbParams {
    pub var_smoothing: f64,
}

/// Build `gaussian_nb` from a resolved parameter map.
pub fn gaussian_nb_build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let var_smoothing = p.f64("var_smoothing")?;
    if !(0.0..=1.0).contains(&var_smoothing) {
        return Err(LearnError::param("var_smoothing", "must be in [0, 1]"));
    }
    Ok(Box::new(GaussianNbParams { var_smoothing }))
}

impl ClassifierParams for GaussianNbParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train, "gaussian_nb")?;
        let x = train.x.to_owned();
        let y: Array1<usize> = train.y.iter().map(|&c| c as usize).collect();
        let ds = Dataset::new(x, y);
        let model = GaussianNb::params()
            .var_smoothing(self.var_smoothing)
            .fit(&ds)
            .map_err(|e| lib_error("linfa-bayes", e))?;
        Ok(Wrapped::boxed(train, model))
    }
}

/// A fitted Gaussian naive Bayes model.
pub type GaussianNbModel = Wrapped<GaussianNb<f64, usize>>;

/// Load a `gaussian_nb` model.
pub fn gaussian_nb_load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    GaussianNbModel::load(bytes)
}

/// Posterior class probabilities (0 for classes without training rows).
impl LibModel for GaussianNb<f64, usize> {
    const KIND: &'static str = GAUSSIAN_NB;
    const PROBABILITIES: bool = true;
    fn scores(&self, x: ArrayView2<'_, f64>, n_classes: usize) -> Result<Array2<f64>, LearnError> {
        let mut out = Array2::zeros((x.nrows(), n_classes));
        let jll: HashMap<&usize, Array1<f64>> = self.joint_log_likelihood(x);
        let mut classes: Vec<(usize, &Array1<f64>)> = jll.iter().map(|(&&c, v)| (c, v)).collect();
        classes.sort_by_key(|(c, _)| *c);
        for r in 0..x.nrows() {
            let m = classes
                .iter()
                .map(|(_, v)| v[r])
                .fold(f64::NEG_INFINITY, f64::max);
            let lse = m + classes
                .iter()
                .map(|(_, v)| (v[r] - m).exp())
                .sum::<f64>()
                .ln();
            for (c, v) in &classes {
                if *c < n_classes {
                    out[[r, *c]] = (v[r] - lse).exp();
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// Decision tree (linfa backend)

/// Parameter schema of `decision_tree` with the `linfa` backend.
pub fn decision_tree_params() -> Vec<ParamSpec> {
    tree_param_specs()
}

/// Validated parameters of the linfa decision tree.
#[derive(Debug, Clone, PartialEq)]
pub struct LinfaTreeParams {
    settings: TreeSettings,
}

/// Build the linfa decision tree from a resolved parameter map.
pub fn decision_tree_build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(LinfaTreeParams {
        settings: TreeSettings::from_params(p)?,
    }))
}

impl ClassifierParams for LinfaTreeParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train, "decision_tree (linfa)")?;
        let s = &self.settings;
        let x = train.x.to_owned();
        let y: Array1<usize> = train.y.iter().map(|&c| c as usize).collect();
        let ds = Dataset::new(x, y);
        // With unit sample weights, linfa's minimum weights are row counts.
        let model = DecisionTree::params()
            .split_quality(if s.entropy {
                SplitQuality::Entropy
            } else {
                SplitQuality::Gini
            })
            .max_depth(s.max_depth)
            .min_weight_split(s.min_samples_split as f32)
            .min_weight_leaf(s.min_samples_leaf as f32)
            .fit(&ds)
            .map_err(|e| lib_error("linfa-trees", e))?;
        Ok(Wrapped::boxed(train, model))
    }
}

/// A fitted linfa decision tree.
pub type LinfaTree = Wrapped<DecisionTree<f64, usize>>;

/// Load a linfa decision tree.
pub fn decision_tree_load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    LinfaTree::load(bytes)
}

/// One-hot rows of the predicted labels (linfa's tree has no probabilities).
impl LibModel for DecisionTree<f64, usize> {
    const KIND: &'static str = DECISION_TREE;
    const PROBABILITIES: bool = false;
    fn scores(&self, x: ArrayView2<'_, f64>, n_classes: usize) -> Result<Array2<f64>, LearnError> {
        let pred: Array1<usize> = self.predict(&x);
        Ok(one_hot(
            pred.as_slice().unwrap_or(&pred.to_vec()),
            n_classes,
        ))
    }
}
