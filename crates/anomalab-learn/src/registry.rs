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
    vec![
        ClassifierEntry {
            name: crate::tree::NAME,
            backend: "native",
            summary: "CART decision tree (histogram split search on quantile bins)",
            params: crate::tree::DecisionTreeParams::specs,
            build: crate::tree::build,
            load: crate::tree::load,
        },
        ClassifierEntry {
            name: crate::forest::RANDOM_FOREST,
            backend: "native",
            summary: "random forest: bootstrap CART trees, averaged probabilities",
            params: crate::forest::random_forest_specs,
            build: crate::forest::build_random_forest,
            load: crate::forest::load_random_forest,
        },
        ClassifierEntry {
            name: crate::forest::EXTRA_TREES,
            backend: "native",
            summary: "extremely randomised trees: one random threshold per candidate feature",
            params: crate::forest::extra_trees_specs,
            build: crate::forest::build_extra_trees,
            load: crate::forest::load_extra_trees,
        },
    ]
}

/// Every anomaly detector.
pub fn detectors() -> Vec<DetectorEntry> {
    vec![]
}

/// Every clusterer.
pub fn clusterers() -> Vec<ClustererEntry> {
    vec![]
}
