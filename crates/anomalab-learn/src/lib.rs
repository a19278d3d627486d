//! anomalab's learning core: the model roles (classifier, detector, clusterer), the typed
//! hyper-parameter schema every algorithm declares, a portable seeded RNG, the native
//! learners, and the evaluation metrics.
//!
//! This crate knows nothing about specs, files, polars or reports: it takes dense
//! `f64` matrices (`ndarray` views) and integer class labels, and returns fitted models,
//! predictions and numbers. Everything here is deterministic for a given seed, whatever
//! the number of threads.

pub mod adapters;
pub mod binning;
pub mod cluster;
pub mod distance;
pub mod dummy;
pub mod ensemble;
pub mod error;
pub mod eval;
pub mod forest;
pub mod gbdt;
pub mod iforest;
pub mod knn;
pub mod linalg;
pub mod linear;
pub mod lof;
pub mod matrix;
pub mod mlp;
pub mod params;
pub mod pca_detector;
pub mod registry;
pub mod rng;
pub mod som;
pub mod stats;
pub mod svm;
pub mod traits;
pub mod tree;

pub use binning::BinnedMatrix;
pub use error::LearnError;
pub use params::{ParamKind, ParamMap, ParamSpec, ParamValue};
pub use rng::Rng;
pub use traits::{
    Classifier, ClassifierParams, Clusterer, ClustererParams, Clustering, DataCache, Detector,
    DetectorParams, FitContext, TrainSet,
};
