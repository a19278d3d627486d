//! smartcore-backed learners: `svc` (RBF-kernel SVM, one-vs-rest), and the comparison
//! backends `decision_tree`/`smartcore` and `random_forest`/`smartcore`.
//!
//! `svc` trains one smartcore binary `SVC` per present class (that class against the
//! rest; one problem for two classes) with the RBF kernel `exp(-gamma |x - y|^2)`. The
//! fitted support vectors, their coefficients and the bias are copied out of smartcore's
//! model (through its serde representation, since the fields are private), and decision
//! values are evaluated here with smartcore's own formula `b + sum_i w_i K(x, sv_i)`, so a
//! saved model does not need smartcore's borrowed parameter struct. Kernel SVMs cost
//! O(n^2) or more to train, so `svc` refuses training sets above `max_train_rows`.
//!
//! smartcore's trees and forests predict labels only (its tree `predict_proba` is the
//! one-hot of the prediction and the forest has none), so their `scores()` are one-hot rows
//! and `scores_are_probabilities()` is false.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::svm::Kernels;
use smartcore::svm::svc::{SVC, SVCParameters};
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters, SplitCriterion,
};

use super::{
    LibModel, TreeSettings, Wrapped, check_train, lib_error, one_hot, row_major, tree_param_specs,
};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::derive_seed;
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name of the kernel SVM.
pub const SVC_NAME: &str = "svc";
/// Registry name of the decision tree (this module provides its `smartcore` backend).
pub const DECISION_TREE: &str = "decision_tree";
/// Registry name of the random forest (this module provides its `smartcore` backend).
pub const RANDOM_FOREST: &str = "random_forest";

type Matrix = DenseMatrix<f64>;

fn matrix(x: ArrayView2<'_, f64>) -> Result<Matrix, LearnError> {
    DenseMatrix::new(x.nrows(), x.ncols(), row_major(x), false)
        .map_err(|e| lib_error("smartcore", e))
}

fn labels(train: &TrainSet<'_>) -> Vec<i32> {
    train.y.iter().map(|&c| c as i32).collect()
}

/// `LibModel` for a smartcore classifier whose scores are one-hot rows of its predicted
/// labels (no probabilities).
macro_rules! vote_scores {
    ($model:ty, $kind:expr) => {
        impl LibModel for $model {
            const KIND: &'static str = $kind;
            const PROBABILITIES: bool = false;
            fn scores(
                &self,
                x: ArrayView2<'_, f64>,
                n_classes: usize,
            ) -> Result<Array2<f64>, LearnError> {
                let pred = self
                    .predict(&matrix(x)?)
                    .map_err(|e| lib_error("smartcore", e))?;
                Ok(predictions_to_scores(&pred, n_classes))
            }
        }
    };
}

fn predictions_to_scores(pred: &[i32], n_classes: usize) -> Array2<f64> {
    let p: Vec<usize> = pred.iter().map(|&c| c.max(0) as usize).collect();
    one_hot(&p, n_classes)
}

// ---------------------------------------------------------------------------------------
// SVC

/// Parameter schema of `svc`.
pub fn svc_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "C",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1.0),
            "penalty of margin violations (default 1.0)",
        ),
        ParamSpec::new(
            "gamma",
            ParamKind::OneOf(vec![
                ParamKind::Choice(&["scale", "auto"]),
                ParamKind::FloatOpenMin {
                    min: 0.0,
                    max: f64::INFINITY,
                },
            ]),
            ParamValue::Str("scale".into()),
            "RBF width: \"scale\" = 1/(n_features * X.var()), \"auto\" = 1/n_features, or a number (default scale)",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1e-3),
            "smartcore's stopping tolerance (default 1e-3)",
        ),
        ParamSpec::new(
            "epoch",
            ParamKind::Int { min: 1, max: 1000 },
            ParamValue::Int(2),
            "smartcore's passes over the data (default 2)",
        ),
        ParamSpec::new(
            "max_train_rows",
            ParamKind::Int {
                min: 2,
                max: i64::MAX,
            },
            ParamValue::Int(10_000),
            "refuse larger training sets: kernel SVMs are only tractable up to a few thousand rows (default 10000)",
        ),
    ]
}

/// How `gamma` is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gamma {
    Scale,
    Auto,
    Value(f64),
}

/// Validated `svc` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SvcParams {
    pub c: f64,
    pub gamma: Gamma,
    pub tol: f64,
    pub epoch: usize,
    pub max_train_rows: usize,
}

/// Build `svc` from a resolved parameter map.
pub fn svc_build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let gamma = match p.get("gamma")? {
        ParamValue::Str(s) if s == "scale" => Gamma::Scale,
        ParamValue::Str(s) if s == "auto" => Gamma::Auto,
        _ => {
            let g = p.f64("gamma")?;
            if !(g > 0.0 && g.is_finite()) {
                return Err(LearnError::param("gamma", "must be a positive number"));
            }
            Gamma::Value(g)
        }
    };
    let c = p.f64("C")?;
    if !(c > 0.0 && c.is_finite()) {
        return Err(LearnError::param("C", "must be a positive number"));
    }
    let tol = p.f64("tol")?;
    if tol.is_nan() || tol <= 0.0 {
        return Err(LearnError::param("tol", "must be positive"));
    }
    Ok(Box::new(SvcParams {
        c,
        gamma,
        tol,
        epoch: p.usize("epoch")?.max(1),
        max_train_rows: p.usize("max_train_rows")?,
    }))
}

/// The fields of smartcore's fitted binary `SVC` that prediction needs.
#[derive(Deserialize)]
struct SvcParts {
    instances: Option<Vec<Vec<f64>>>,
    w: Option<Vec<f64>>,
    b: Option<f64>,
}

/// One fitted binary problem: `f(x) = b + sum_i w_i exp(-gamma |x - sv_i|^2)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KernelMachine {
    /// Support vectors, row-major.
    sv: Vec<f64>,
    w: Vec<f64>,
    b: f64,
}

impl SvcParams {
    fn gamma_value(&self, x: ArrayView2<'_, f64>) -> f64 {
        match self.gamma {
            Gamma::Value(g) => g,
            Gamma::Auto => 1.0 / x.ncols() as f64,
            Gamma::Scale => {
                // scikit-learn: 1 / (n_features * X.var()), variance over all entries;
                // 1.0 when the variance is zero.
                let n = x.len() as f64;
                let mean = x.iter().sum::<f64>() / n;
                let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                if var > 0.0 {
                    1.0 / (x.ncols() as f64 * var)
                } else {
                    1.0
                }
            }
        }
    }
}

impl ClassifierParams for SvcParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train, "svc")?;
        let n = train.x.nrows();
        if n > self.max_train_rows {
            return Err(LearnError::InvalidInput(format!(
                "svc (smartcore): the training set has {n} rows, above max_train_rows = {}. \
                 smartcore's solver is only tractable up to a few thousand rows; use the \
                 native backend of `svc` (libsvm's SMO) or `linear_svm` for large data, or \
                 raise max_train_rows if you accept the cost",
                self.max_train_rows
            )));
        }
        let d = train.x.ncols();
        if n < d {
            // smartcore reads at most `n_rows` features per row when training.
            return Err(LearnError::InvalidInput(format!(
                "svc (smartcore) needs at least as many training rows as features ({n} < {d})"
            )));
        }
        let gamma = self.gamma_value(train.x);
        let x = matrix(train.x)?;
        let counts = train.class_counts();
        let present: Vec<usize> = (0..train.n_classes).filter(|&k| counts[k] > 0).collect();
        let problems: Vec<usize> = if present.len() == 2 {
            vec![present[1]]
        } else {
            present.clone()
        };
        let machines: Vec<KernelMachine> = problems
            .par_iter()
            .enumerate()
            .map(|(p, &pos)| {
                let y: Vec<i32> = train
                    .y
                    .iter()
                    .map(|&c| i32::from(c as usize == pos))
                    .collect();
                let params: SVCParameters<f64, i32, Matrix, Vec<i32>> = SVCParameters::default()
                    .with_c(self.c)
                    .with_tol(self.tol)
                    .with_epoch(self.epoch)
                    .with_kernel(Kernels::rbf().with_gamma(gamma))
                    .with_seed(Some(derive_seed(ctx.seed, p as u64)));
                let svc = SVC::fit(&x, &y, &params).map_err(|e| lib_error("smartcore SVC", e))?;
                let value =
                    serde_json::to_value(&svc).map_err(|e| lib_error("smartcore SVC", e))?;
                let parts: SvcParts =
                    serde_json::from_value(value).map_err(|e| lib_error("smartcore SVC", e))?;
                let (Some(inst), Some(w), Some(b)) = (parts.instances, parts.w, parts.b) else {
                    return Err(LearnError::Fit("smartcore SVC returned no model".into()));
                };
                if inst.iter().any(|r| r.len() != d) || inst.len() != w.len() {
                    return Err(LearnError::Fit(
                        "smartcore SVC returned support vectors of the wrong shape".into(),
                    ));
                }
                Ok(KernelMachine {
                    sv: inst.into_iter().flatten().collect(),
                    w,
                    b,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Box::new(SvcModel {
            n_classes: train.n_classes,
            n_features: d,
            gamma,
            present,
            problems,
            machines,
        }))
    }
}

/// A fitted RBF SVM (one-vs-rest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SvcModel {
    n_classes: usize,
    n_features: usize,
    gamma: f64,
    present: Vec<usize>,
    problems: Vec<usize>,
    machines: Vec<KernelMachine>,
}

impl SvcModel {
    /// The RBF `gamma` used (after resolving "scale"/"auto").
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Number of support vectors of each binary problem.
    pub fn n_support(&self) -> Vec<usize> {
        self.machines.iter().map(|m| m.w.len()).collect()
    }
}

/// Load an `svc` model.
pub fn svc_load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let m: SvcModel = postcard::from_bytes(bytes)?;
    if m.machines.len() != m.problems.len()
        || m.problems
            .iter()
            .chain(&m.present)
            .any(|&c| c >= m.n_classes)
        || m.machines
            .iter()
            .any(|k| k.sv.len() != k.w.len() * m.n_features)
    {
        return Err(LearnError::Codec("svc model is inconsistent".into()));
    }
    Ok(Box::new(m))
}

impl Classifier for SvcModel {
    fn kind(&self) -> &'static str {
        SVC_NAME
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// One-vs-rest decision values; with two classes `[-f, f]`. Classes without training
    /// rows get `f64::MIN`; input of the wrong width gets NaN.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::from_elem((x.nrows(), self.n_classes), f64::MIN);
        if x.ncols() != self.n_features {
            out.fill(f64::NAN);
            return out;
        }
        let d = self.n_features;
        let q = row_major(x);
        let rows: Vec<Vec<f64>> = q
            .par_chunks(d.max(1))
            .map(|xi| {
                self.machines
                    .iter()
                    .map(|m| {
                        let mut f = m.b;
                        for (svi, wi) in m.sv.chunks(d).zip(&m.w) {
                            let d2: f64 = xi.iter().zip(svi).map(|(a, b)| (a - b) * (a - b)).sum();
                            f += wi * (-self.gamma * d2).exp();
                        }
                        f
                    })
                    .collect()
            })
            .collect();
        for (r, fs) in rows.iter().enumerate() {
            for (&pos, &f) in self.problems.iter().zip(fs) {
                out[[r, pos]] = f;
                if self.present.len() == 2 {
                    out[[r, self.present[0]]] = -f;
                }
            }
        }
        out
    }

    fn scores_are_probabilities(&self) -> bool {
        false
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

// ---------------------------------------------------------------------------------------
// Decision tree (smartcore backend)

/// Parameter schema of `decision_tree` with the `smartcore` backend.
pub fn decision_tree_params() -> Vec<ParamSpec> {
    tree_param_specs()
}

fn criterion(s: &TreeSettings) -> SplitCriterion {
    if s.entropy {
        SplitCriterion::Entropy
    } else {
        SplitCriterion::Gini
    }
}

fn depth_u16(s: &TreeSettings) -> Result<Option<u16>, LearnError> {
    s.max_depth
        .map(|d| u16::try_from(d).map_err(|_| LearnError::param("max_depth", "at most 65535")))
        .transpose()
}

/// Validated parameters of the smartcore decision tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreTreeParams {
    settings: TreeSettings,
}

/// Build the smartcore decision tree from a resolved parameter map.
pub fn decision_tree_build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(SmartcoreTreeParams {
        settings: TreeSettings::from_params(p)?,
    }))
}

impl ClassifierParams for SmartcoreTreeParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train, "decision_tree (smartcore)")?;
        let s = &self.settings;
        let params = DecisionTreeClassifierParameters {
            criterion: criterion(s),
            max_depth: depth_u16(s)?,
            min_samples_leaf: s.min_samples_leaf,
            min_samples_split: s.min_samples_split,
            seed: Some(derive_seed(ctx.seed, 0)),
        };
        let x = matrix(train.x)?;
        let model = DecisionTreeClassifier::fit(&x, &labels(train), params)
            .map_err(|e| lib_error("smartcore decision tree", e))?;
        Ok(Wrapped::boxed(train, model))
    }
}

/// A fitted smartcore decision tree.
pub type SmartcoreTree = Wrapped<DecisionTreeClassifier<f64, i32, Matrix, Vec<i32>>>;

/// Load a smartcore decision tree.
pub fn decision_tree_load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    SmartcoreTree::load(bytes)
}

// One-hot rows of the predicted labels (smartcore's tree `predict_proba` is that too).
vote_scores!(DecisionTreeClassifier<f64, i32, Matrix, Vec<i32>>, DECISION_TREE);

// ---------------------------------------------------------------------------------------
// Random forest (smartcore backend)

/// Parameter schema of `random_forest` with the `smartcore` backend.
pub fn random_forest_params() -> Vec<ParamSpec> {
    let mut v = vec![ParamSpec::new(
        "n_estimators",
        ParamKind::Int {
            min: 1,
            max: u16::MAX as i64,
        },
        ParamValue::Int(100),
        "number of trees (default 100)",
    )];
    v.extend(tree_param_specs());
    v
}

/// Validated parameters of the smartcore random forest.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartcoreForestParams {
    n_estimators: u16,
    settings: TreeSettings,
}

/// Build the smartcore random forest from a resolved parameter map.
pub fn random_forest_build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let n = p.usize("n_estimators")?;
    let n_estimators = u16::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| LearnError::param("n_estimators", "must be in [1, 65535]"))?;
    Ok(Box::new(SmartcoreForestParams {
        n_estimators,
        settings: TreeSettings::from_params(p)?,
    }))
}

impl ClassifierParams for SmartcoreForestParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train, "random_forest (smartcore)")?;
        let s = &self.settings;
        // smartcore draws sqrt(n_features) candidate features per split (scikit-learn's
        // default max_features="sqrt") and bootstraps each tree.
        let params = RandomForestClassifierParameters {
            criterion: criterion(s),
            max_depth: depth_u16(s)?,
            min_samples_leaf: s.min_samples_leaf,
            min_samples_split: s.min_samples_split,
            n_trees: self.n_estimators,
            m: None,
            keep_samples: false,
            seed: derive_seed(ctx.seed, 0),
        };
        let x = matrix(train.x)?;
        let model = RandomForestClassifier::fit(&x, &labels(train), params)
            .map_err(|e| lib_error("smartcore random forest", e))?;
        Ok(Wrapped::boxed(train, model))
    }
}

/// A fitted smartcore random forest.
pub type SmartcoreForest = Wrapped<RandomForestClassifier<f64, i32, Matrix, Vec<i32>>>;

/// Load a smartcore random forest.
pub fn random_forest_load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    SmartcoreForest::load(bytes)
}

// One-hot rows of the majority vote (smartcore's forest gives no probabilities).
vote_scores!(RandomForestClassifier<f64, i32, Matrix, Vec<i32>>, RANDOM_FOREST);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::DataCache;
    use std::collections::BTreeMap;

    #[test]
    fn svc_refuses_large_training_sets_and_suggests_linear_svm() {
        let x = Array2::from_shape_fn((30, 2), |(i, j)| (i * 2 + j) as f64);
        let y: Vec<u32> = (0..30).map(|i| (i % 2) as u32).collect();
        let mut g = BTreeMap::new();
        g.insert("max_train_rows".to_string(), ParamValue::Int(20));
        let p = crate::params::resolve(&svc_params(), &g).unwrap();
        let cache = DataCache::new();
        let names = vec!["a".to_string(), "b".to_string()];
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 2,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let e = svc_build(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("30 rows") && e.contains("linear_svm"), "{e}");
    }

    #[test]
    fn svc_decision_values_equal_smartcore_predictions_and_gamma_scale() {
        // Two blobs; our evaluation of the extracted support vectors must give the same
        // signs as smartcore's own predict on the same fitted binary SVC.
        let mut r = crate::rng::Rng::new(5);
        let n = 60;
        let x = Array2::from_shape_fn((n, 2), |(i, _)| {
            r.normal() + if i < n / 2 { -1.5 } else { 1.5 }
        });
        let y: Vec<u32> = (0..n).map(|i| u32::from(i >= n / 2)).collect();
        let p = SvcParams {
            c: 1.0,
            gamma: Gamma::Scale,
            tol: 1e-3,
            epoch: 2,
            max_train_rows: 10_000,
        };
        // gamma "scale" by hand: 1 / (n_features * variance of all entries).
        let all: Vec<f64> = x.iter().copied().collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64;
        let gamma = 1.0 / (2.0 * var);
        assert!((p.gamma_value(x.view()) - gamma).abs() < 1e-12);

        let cache = DataCache::new();
        let names = vec!["a".to_string(), "b".to_string()];
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 2,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let ctx = FitContext::default();
        let ours = p.fit(&train, &ctx).unwrap().predict(x.view());

        let xm = matrix(x.view()).unwrap();
        let yi: Vec<i32> = y.iter().map(|&c| c as i32).collect();
        let params: SVCParameters<f64, i32, Matrix, Vec<i32>> = SVCParameters::default()
            .with_c(1.0)
            .with_tol(1e-3)
            .with_epoch(2)
            .with_kernel(Kernels::rbf().with_gamma(gamma))
            .with_seed(Some(derive_seed(ctx.seed, 0)));
        let svc = SVC::fit(&xm, &yi, &params).unwrap();
        let theirs: Vec<u32> = svc
            .predict(&xm)
            .unwrap()
            .iter()
            .map(|&v| v as u32)
            .collect();
        assert_eq!(ours, theirs);
        let acc = ours.iter().zip(&y).filter(|(a, b)| a == b).count();
        assert!(acc >= n * 9 / 10, "{acc}/{n}");
    }
}
