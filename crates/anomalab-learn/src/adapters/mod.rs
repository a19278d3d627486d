//! Learners backed by other Rust ML libraries, behind anomalab's own traits.
//!
//! * [`linfa`]: `gaussian_nb` (linfa-bayes; the default backend of that name) and the
//!   `decision_tree` comparison backend `linfa` (linfa-trees).
//! * [`smartcore`]: `svc` (RBF-kernel SVM, one-vs-rest) and the comparison backends
//!   `decision_tree`/`smartcore` and `random_forest`/`smartcore`.
//!
//! The tree and forest backends exist to benchmark the native learners against other
//! implementations, so they favour correctness over speed. Data crosses into each library
//! through plain `Vec<f64>` (smartcore has its own `DenseMatrix`; linfa uses ndarray 0.16
//! like this crate), and every random choice inside a library is seeded from the fit seed
//! through [`crate::rng::derive_seed`], so a seed gives the same model every time.
//! Parameter names are scikit-learn's wherever the library supports the setting, and only
//! those settings are offered.

pub mod linfa;
pub mod smartcore;

use ndarray::{Array2, ArrayView2};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamKind, ParamSpec, ParamValue};
use crate::traits::{Classifier, TrainSet};

/// What anomalab needs from a model fitted by another library.
pub trait LibModel: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Registry name of the algorithm.
    const KIND: &'static str;
    /// True when [`LibModel::scores`] are class probabilities (false: one-hot rows of the
    /// predicted labels, for libraries that give labels only).
    const PROBABILITIES: bool;
    /// Scores of rows that have the training width, `n_classes` columns.
    fn scores(&self, x: ArrayView2<'_, f64>, n_classes: usize) -> Result<Array2<f64>, LearnError>;
}

/// A library model with the dimensions the [`Classifier`] trait reports; saved with
/// postcard as `(n_classes, n_features, model)`. Input of the wrong width, or a library
/// error at prediction time, gives rows of NaN.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Wrapped<M> {
    n_classes: usize,
    n_features: usize,
    model: M,
}

impl<M: LibModel> Wrapped<M> {
    /// Wraps a model fitted on `train`.
    pub(crate) fn boxed(train: &TrainSet<'_>, model: M) -> Box<dyn Classifier> {
        Box::new(Wrapped {
            n_classes: train.n_classes,
            n_features: train.x.ncols(),
            model,
        })
    }

    /// Loads a model saved by [`Classifier::save`].
    pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
        let m: Wrapped<M> = postcard::from_bytes(bytes)?;
        Ok(Box::new(m))
    }

    /// The library's model.
    pub fn model(&self) -> &M {
        &self.model
    }
}

impl<M: LibModel> Classifier for Wrapped<M> {
    fn kind(&self) -> &'static str {
        M::KIND
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        if x.ncols() != self.n_features {
            return Array2::from_elem((x.nrows(), self.n_classes), f64::NAN);
        }
        self.model
            .scores(x, self.n_classes)
            .unwrap_or_else(|_| Array2::from_elem((x.nrows(), self.n_classes), f64::NAN))
    }

    fn scores_are_probabilities(&self) -> bool {
        M::PROBABILITIES
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

/// Finite features and a valid training set, with at least two classes present.
pub(crate) fn check_train(train: &TrainSet<'_>, lib: &str) -> Result<(), LearnError> {
    train.validate()?;
    if train.x.iter().any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidInput(format!(
            "{lib} needs finite feature values (found NaN or infinity)"
        )));
    }
    if train.x.ncols() == 0 {
        return Err(LearnError::InvalidInput(
            "the training set has no feature columns".into(),
        ));
    }
    let present = train.class_counts().iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(LearnError::InvalidInput(format!(
            "a classifier needs at least two classes in the training set, found {present}"
        )));
    }
    Ok(())
}

/// Row-major copy of a matrix.
pub(crate) fn row_major(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.as_standard_layout().iter().copied().collect()
}

/// One-hot rows of predicted classes (for libraries that only give labels). Labels out of
/// range leave their row at zero.
pub(crate) fn one_hot(pred: &[usize], n_classes: usize) -> Array2<f64> {
    let mut out = Array2::zeros((pred.len(), n_classes));
    for (i, &c) in pred.iter().enumerate() {
        if c < n_classes {
            out[[i, c]] = 1.0;
        }
    }
    out
}

/// A library error, as a fit error naming the library.
pub(crate) fn lib_error(lib: &str, e: impl std::fmt::Display) -> LearnError {
    LearnError::Fit(format!("{lib}: {e}"))
}

/// The tree parameters shared by the tree backends (scikit-learn names).
pub(crate) fn tree_param_specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "criterion",
            ParamKind::Choice(&["gini", "entropy"]),
            ParamValue::Str("gini".into()),
            "split quality: \"gini\" or \"entropy\" (default gini)",
        ),
        ParamSpec::new(
            "max_depth",
            ParamKind::OneOf(vec![ParamKind::Int { min: 1, max: 1000 }, ParamKind::Null]),
            ParamValue::Null,
            "maximum depth; null = grow until leaves are pure (default null)",
        ),
        ParamSpec::new(
            "min_samples_split",
            ParamKind::Int {
                min: 2,
                max: i64::MAX,
            },
            ParamValue::Int(2),
            "fewest rows a node needs to be split (default 2)",
        ),
        ParamSpec::new(
            "min_samples_leaf",
            ParamKind::Int {
                min: 1,
                max: i64::MAX,
            },
            ParamValue::Int(1),
            "fewest rows in a leaf (default 1)",
        ),
    ]
}

/// Tree settings read from a resolved map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeSettings {
    pub entropy: bool,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
}

impl TreeSettings {
    pub(crate) fn from_params(p: &crate::params::ParamMap) -> Result<Self, LearnError> {
        let entropy = match p.str("criterion")? {
            "gini" => false,
            "entropy" => true,
            c => return Err(LearnError::param("criterion", format!("unknown `{c}`"))),
        };
        let max_depth = p.opt_usize("max_depth")?;
        if max_depth == Some(0) {
            return Err(LearnError::param("max_depth", "must be at least 1"));
        }
        let min_samples_split = p.usize("min_samples_split")?;
        if min_samples_split < 2 {
            return Err(LearnError::param("min_samples_split", "must be at least 2"));
        }
        let min_samples_leaf = p.usize("min_samples_leaf")?;
        if min_samples_leaf < 1 {
            return Err(LearnError::param("min_samples_leaf", "must be at least 1"));
        }
        Ok(TreeSettings {
            entropy,
            max_depth,
            min_samples_split,
            min_samples_leaf,
        })
    }
}
