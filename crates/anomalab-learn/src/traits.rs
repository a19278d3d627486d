//! The model roles. The runner and the registry know these traits, never an algorithm.
//!
//! * [`ClassifierParams`] -> [`Classifier`]: supervised learners. Unfitted parameters and
//!   fitted models are different types, so nothing can predict before it was fitted.
//! * [`DetectorParams`] -> [`Detector`]: anomaly scorers (higher score = more anomalous).
//!   The decision threshold is not the algorithm's business: the caller fits it (from
//!   contamination, a percentile of normal validation scores, or the F1-best point on a
//!   validation split) and stores it with the model.
//! * [`ClustererParams`] -> [`Clustering`]: labels for the training rows, plus an
//!   optional [`Detector`]-like assigner where the algorithm can place new points
//!   (k-means, GMM); DBSCAN has none, so it cannot be used to score new data.
//!
//! Every fitted model can `save` itself to bytes; the registry maps its `kind()` to a
//! loader, and loading only decodes data (no code is ever executed from a model file).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anomalab_results::ModelDiagnostic;
use ndarray::{Array2, ArrayView2};

use crate::LearnError;
use crate::params::{ParamMap, ParamSpec};

/// Per-fit settings that are not hyper-parameters.
#[derive(Debug, Clone)]
pub struct FitContext {
    /// Seed for everything random in this fit (derived from the spec seed and trial id).
    pub seed: u64,
    /// How many threads the fit may use. Fits run inside the runner's rayon pool, so
    /// nested `par_iter` never creates more threads than `--jobs`; this number is for
    /// algorithms that split work into chunks themselves.
    pub threads: usize,
}

impl Default for FitContext {
    fn default() -> Self {
        FitContext {
            seed: 0,
            threads: 1,
        }
    }
}

/// Derived data shared by every trial that trains on the same matrix (e.g. the quantile
/// bins of the native tree learners, built once per training fold).
///
/// Keys are chosen by the algorithm (`"bins:255"`); values are built at most once, even
/// when several trials ask at the same time.
/// One cached value, built at most once.
type Slot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

#[derive(Default)]
pub struct DataCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for DataCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .slots
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("DataCache").field("keys", &keys).finish()
    }
}

impl DataCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value stored under `key`, built by `build` the first time it is asked for.
    pub fn get_or_build<T, F>(&self, key: &str, build: F) -> Arc<T>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> T,
    {
        let slot = {
            // A poisoned lock only means another trial panicked while inserting an empty
            // slot; the map itself is still consistent.
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.to_string()).or_default().clone()
        };
        let any = slot
            .get_or_init(|| Arc::new(build()) as Arc<dyn Any + Send + Sync>)
            .clone();
        any.downcast::<T>()
            .unwrap_or_else(|_| panic!("DataCache key `{key}` was used with two different types"))
    }
}

/// A training set for supervised learners.
#[derive(Debug, Clone, Copy)]
pub struct TrainSet<'a> {
    /// Rows are samples, columns are features (any memory layout).
    pub x: ArrayView2<'a, f64>,
    /// Class index of each row, in `0..n_classes`.
    pub y: &'a [u32],
    pub n_classes: usize,
    /// Class names in index order (for `class_weight` maps and messages).
    pub class_names: &'a [String],
    /// Column names, for feature importances and error messages.
    pub feature_names: &'a [String],
    /// Derived data shared across trials on this same training matrix.
    pub cache: &'a DataCache,
}

impl TrainSet<'_> {
    /// Checks every learner wants: shapes agree, at least one row, labels in range.
    pub fn validate(&self) -> Result<(), LearnError> {
        if self.x.nrows() == 0 {
            return Err(LearnError::InvalidInput(
                "the training set has no rows".into(),
            ));
        }
        if self.x.nrows() != self.y.len() {
            return Err(LearnError::InvalidInput(format!(
                "{} rows of features but {} labels",
                self.x.nrows(),
                self.y.len()
            )));
        }
        if let Some(bad) = self.y.iter().find(|&&c| c as usize >= self.n_classes) {
            return Err(LearnError::InvalidInput(format!(
                "label {bad} is not below the number of classes {}",
                self.n_classes
            )));
        }
        Ok(())
    }

    /// Number of rows of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.n_classes];
        for &y in self.y {
            c[y as usize] += 1;
        }
        c
    }
}

/// Unfitted, validated hyper-parameters of a supervised learner.
pub trait ClassifierParams: Send + Sync + std::fmt::Debug {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError>;

    /// Whether the fit runs on one thread whatever the pool (the default: it may use the
    /// pool's threads). The runner starts such trials first, so that the other trials'
    /// parallel work fills the threads they leave idle, instead of one long single-thread
    /// fit running alone at the end.
    fn fits_on_one_thread(&self) -> bool {
        false
    }
}

/// A fitted supervised model.
pub trait Classifier: Send + Sync {
    /// Registry name of the algorithm that made this model (used to find its loader).
    fn kind(&self) -> &'static str;
    fn n_classes(&self) -> usize;
    fn n_features(&self) -> usize;
    /// Per-class scores, one row per sample, higher = more likely. Probabilities (rows sum
    /// to 1) where the algorithm has them, otherwise decision values; used for ROC/PR.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64>;
    /// Whether [`Classifier::scores`] are calibrated probabilities.
    fn scores_are_probabilities(&self) -> bool {
        true
    }
    /// Predicted class index for each row (argmax of the scores, lowest index on ties).
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<u32> {
        argmax_rows(&self.scores(x))
    }
    /// Normalised feature importances (sum 1), for models that have them.
    fn feature_importances(&self) -> Option<Vec<f64>> {
        None
    }
    /// Out-of-bag accuracy, for bagged models fitted to compute it (`random_forest` /
    /// `extra_trees` with `oob_score: true`): each training row is predicted by the trees
    /// whose bootstrap sample left it out, over the rows left out by at least one tree.
    fn oob_score(&self) -> Option<f64> {
        None
    }
    /// The model's own bytes (the caller adds the versioned envelope).
    fn save(&self) -> Result<Vec<u8>, LearnError>;
}

/// Unfitted, validated hyper-parameters of an anomaly detector.
pub trait DetectorParams: Send + Sync + std::fmt::Debug {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError>;

    /// Whether the fit runs on one thread whatever the pool (the default: it may use the
    /// pool's threads). The runner starts such trials first, so that the other trials'
    /// parallel work fills the threads they leave idle, instead of one long single-thread
    /// fit running alone at the end.
    fn fits_on_one_thread(&self) -> bool {
        false
    }
}

/// A fitted anomaly detector.
pub trait Detector: Send + Sync {
    fn kind(&self) -> &'static str;
    fn n_features(&self) -> usize;
    /// Anomaly score per row: higher means more anomalous.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64>;
    fn save(&self) -> Result<Vec<u8>, LearnError>;
    /// Data for the report (e.g. a SOM's U-matrix); empty when there is none.
    fn diagnostics(&self) -> Vec<ModelDiagnostic> {
        Vec::new()
    }
}

/// Result of fitting a clusterer.
pub struct Clustering {
    /// Cluster of each training row; `None` is noise (DBSCAN).
    pub labels: Vec<Option<usize>>,
    pub n_clusters: usize,
    /// A model that scores/assigns new points, where the algorithm has one. Its score is the
    /// anomaly score (distance to the nearest centroid, negative log-likelihood, ...).
    pub model: Option<Box<dyn Clusterer>>,
    /// Data for the report (elbow, BIC sweep, k-distance curve, sample, ...).
    pub diagnostics: Vec<ModelDiagnostic>,
}

/// Unfitted, validated hyper-parameters of a clusterer.
pub trait ClustererParams: Send + Sync + std::fmt::Debug {
    fn fit(&self, x: ArrayView2<'_, f64>, ctx: &FitContext) -> Result<Clustering, LearnError>;

    /// Whether the fit runs on one thread whatever the pool (the default: it may use the
    /// pool's threads). The runner starts such trials first, so that the other trials'
    /// parallel work fills the threads they leave idle, instead of one long single-thread
    /// fit running alone at the end.
    fn fits_on_one_thread(&self) -> bool {
        false
    }
}

/// A fitted clusterer that can place new points.
pub trait Clusterer: Detector {
    /// Cluster of each row.
    fn assign(&self, x: ArrayView2<'_, f64>) -> Vec<usize>;
}

// The registry's entry types live with the traits they build, so an algorithm module
// can declare its own entry without importing the registry that lists it.

/// Builds unfitted parameters from a resolved parameter map.
pub type BuildFn<P> = fn(&ParamMap) -> Result<Box<P>, LearnError>;
/// Decodes a saved model.
pub type LoadFn<M> = fn(&[u8]) -> Result<Box<M>, LearnError>;

pub struct ClassifierEntry {
    pub name: &'static str,
    pub backend: &'static str,
    /// One line for `anomalab models`.
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: BuildFn<dyn ClassifierParams>,
    pub load: LoadFn<dyn Classifier>,
}

pub struct DetectorEntry {
    pub name: &'static str,
    pub backend: &'static str,
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: BuildFn<dyn DetectorParams>,
    pub load: LoadFn<dyn Detector>,
}

pub struct ClustererEntry {
    pub name: &'static str,
    pub backend: &'static str,
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: BuildFn<dyn ClustererParams>,
    /// `None` for transductive algorithms (DBSCAN) that cannot place new points.
    pub load: Option<LoadFn<dyn Clusterer>>,
}

/// Index of the largest value in each row (first on ties; NaN never wins).
pub fn argmax_rows(scores: &Array2<f64>) -> Vec<u32> {
    scores
        .rows()
        .into_iter()
        .map(|row| {
            let mut best = 0usize;
            let mut best_v = f64::NEG_INFINITY;
            for (i, &v) in row.iter().enumerate() {
                if v > best_v {
                    best_v = v;
                    best = i;
                }
            }
            best as u32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn cache_builds_once_per_key() {
        let cache = DataCache::new();
        let calls = AtomicUsize::new(0);
        let a: Arc<Vec<u8>> = cache.get_or_build("k", || {
            calls.fetch_add(1, Ordering::SeqCst);
            vec![1, 2, 3]
        });
        let b: Arc<Vec<u8>> = cache.get_or_build("k", || {
            calls.fetch_add(1, Ordering::SeqCst);
            vec![9]
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(*a, *b);
    }

    #[test]
    fn argmax_takes_first_on_ties() {
        let s = ndarray::array![[0.5, 0.5], [0.2, 0.8], [f64::NAN, 0.1]];
        assert_eq!(argmax_rows(&s), vec![0, 1, 1]);
    }
}
