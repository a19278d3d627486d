//! The list of every algorithm this crate offers, by role.
//!
//! An entry ties a spec name (`random_forest`) and a backend (`native`, `smartcore`,
//! `linfa`) to its parameter schema, a builder from a resolved [`ParamMap`], and a loader
//! for saved models. The root crate's registry, `anomalab models` and the spec validator
//! read these lists; nothing else needs to know which algorithms exist.
//!
//! The first entry of a name is its default backend.

use crate::LearnError;
use crate::params::{ParamMap, ParamSpec};
use crate::traits::{
    Classifier, ClassifierParams, Clusterer, ClustererParams, Detector, DetectorParams,
};

pub struct ClassifierEntry {
    pub name: &'static str,
    pub backend: &'static str,
    /// One line for `anomalab models`.
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: fn(&ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError>,
    pub load: fn(&[u8]) -> Result<Box<dyn Classifier>, LearnError>,
}

pub struct DetectorEntry {
    pub name: &'static str,
    pub backend: &'static str,
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: fn(&ParamMap) -> Result<Box<dyn DetectorParams>, LearnError>,
    pub load: fn(&[u8]) -> Result<Box<dyn Detector>, LearnError>,
}

pub struct ClustererEntry {
    pub name: &'static str,
    pub backend: &'static str,
    pub summary: &'static str,
    pub params: fn() -> Vec<ParamSpec>,
    pub build: fn(&ParamMap) -> Result<Box<dyn ClustererParams>, LearnError>,
    /// `None` for transductive algorithms (DBSCAN) that cannot place new points.
    pub load: Option<fn(&[u8]) -> Result<Box<dyn Clusterer>, LearnError>>,
}

/// Every supervised learner. Add new entries here (one line each).
pub fn classifiers() -> Vec<ClassifierEntry> {
    vec![ClassifierEntry {
        name: crate::gbdt::KIND,
        backend: "native",
        summary: "histogram gradient boosting, XGBoost-style second order (logistic / softmax)",
        params: crate::gbdt::param_specs,
        build: crate::gbdt::build,
        load: crate::gbdt::load,
    }]
}

/// Every anomaly detector.
pub fn detectors() -> Vec<DetectorEntry> {
    vec![]
}

/// Every clusterer.
pub fn clusterers() -> Vec<ClustererEntry> {
    vec![]
}
