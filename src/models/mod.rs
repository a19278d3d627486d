//! The model registry as the rest of the tool sees it: every algorithm of every role,
//! looked up by spec name and backend, built from checked parameters, and loaded back from
//! a saved model. The runner only ever holds the role traits returned from here.

use anomalab_learn::registry::{self, ClassifierEntry, ClustererEntry, DetectorEntry};
use anomalab_learn::{
    Classifier, ClassifierParams, Clusterer, ClustererParams, Detector, DetectorParams, LearnError,
    ParamMap, ParamSpec,
};

pub use anomalab_results::Role;

/// One algorithm + backend, as listed by `anomalab models`.
#[derive(Debug, Clone)]
pub struct AlgorithmInfo {
    pub name: &'static str,
    pub backend: &'static str,
    pub role: Role,
    pub summary: &'static str,
    pub params: Vec<ParamSpec>,
    /// Whether fitted models can score new data (`predict`, `serve`).
    pub can_predict: bool,
}

/// Unfitted parameters of any role.
#[derive(Debug)]
pub enum Built {
    Classifier(Box<dyn ClassifierParams>),
    Detector(Box<dyn DetectorParams>),
    Clusterer(Box<dyn ClustererParams>),
}

impl Built {
    /// Whether the fit runs on one thread whatever the pool (see the role traits).
    pub fn fits_on_one_thread(&self) -> bool {
        match self {
            Built::Classifier(p) => p.fits_on_one_thread(),
            Built::Detector(p) => p.fits_on_one_thread(),
            Built::Clusterer(p) => p.fits_on_one_thread(),
        }
    }
}

/// A fitted model of any role that can score new rows.
pub enum Fitted {
    Classifier(Box<dyn Classifier>),
    Detector(Box<dyn Detector>),
    Clusterer(Box<dyn Clusterer>),
}

impl Fitted {
    pub fn kind(&self) -> &'static str {
        match self {
            Fitted::Classifier(m) => m.kind(),
            Fitted::Detector(m) => m.kind(),
            Fitted::Clusterer(m) => m.kind(),
        }
    }

    pub fn save(&self) -> Result<Vec<u8>, LearnError> {
        match self {
            Fitted::Classifier(m) => m.save(),
            Fitted::Detector(m) => m.save(),
            Fitted::Clusterer(m) => m.save(),
        }
    }
}

/// Every algorithm of every role, in registry order.
pub fn algorithms() -> Vec<AlgorithmInfo> {
    let mut out = Vec::new();
    for e in registry::classifiers() {
        out.push(AlgorithmInfo {
            name: e.name,
            backend: e.backend,
            role: Role::Classifier,
            summary: e.summary,
            params: (e.params)(),
            can_predict: true,
        });
    }
    for e in registry::detectors() {
        out.push(AlgorithmInfo {
            name: e.name,
            backend: e.backend,
            role: Role::Detector,
            summary: e.summary,
            params: (e.params)(),
            can_predict: true,
        });
    }
    for e in registry::clusterers() {
        out.push(AlgorithmInfo {
            name: e.name,
            backend: e.backend,
            role: Role::Clusterer,
            summary: e.summary,
            params: (e.params)(),
            can_predict: e.load.is_some(),
        });
    }
    out
}

/// Why a lookup failed, phrased for the spec diagnostics.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub message: String,
    pub help: Option<String>,
    /// The algorithm exists but not with this backend.
    pub backend_problem: bool,
}

/// The algorithm `name` with `backend` (default: its first backend).
pub fn find(name: &str, backend: Option<&str>) -> Result<AlgorithmInfo, Lookup> {
    let all = algorithms();
    let same: Vec<&AlgorithmInfo> = all.iter().filter(|a| a.name == name).collect();
    if same.is_empty() {
        let mut names: Vec<&str> = all.iter().map(|a| a.name).collect();
        names.dedup();
        let help = crate::diag::did_you_mean(name, names.iter().copied())
            .map(|s| format!("did you mean `{s}`? (`anomalab models` lists every algorithm)"))
            .or_else(|| Some(format!("algorithms: {}", names.join(", "))));
        return Err(Lookup {
            message: format!("unknown algorithm `{name}`"),
            help,
            backend_problem: false,
        });
    }
    match backend {
        None => Ok(same[0].clone()),
        Some(b) => same
            .iter()
            .find(|a| a.backend == b)
            .map(|a| (*a).clone())
            .ok_or_else(|| {
                let backends: Vec<&str> = same.iter().map(|a| a.backend).collect();
                Lookup {
                    message: format!("`{name}` has no backend `{b}`"),
                    help: Some(format!("backends of {name}: {}", backends.join(", "))),
                    backend_problem: true,
                }
            }),
    }
}

fn classifier_entry(name: &str, backend: &str) -> Option<ClassifierEntry> {
    registry::classifiers()
        .into_iter()
        .find(|e| e.name == name && e.backend == backend)
}

fn detector_entry(name: &str, backend: &str) -> Option<DetectorEntry> {
    registry::detectors()
        .into_iter()
        .find(|e| e.name == name && e.backend == backend)
}

fn clusterer_entry(name: &str, backend: &str) -> Option<ClustererEntry> {
    registry::clusterers()
        .into_iter()
        .find(|e| e.name == name && e.backend == backend)
}

/// Build unfitted parameters (this is also where an algorithm checks combinations of
/// values, e.g. `min_samples_split < 2 * min_samples_leaf`).
pub fn build(info: &AlgorithmInfo, params: &ParamMap) -> Result<Built, LearnError> {
    let missing =
        || LearnError::InvalidInput(format!("no algorithm {} ({})", info.name, info.backend));
    Ok(match info.role {
        Role::Classifier => Built::Classifier((classifier_entry(info.name, info.backend)
            .ok_or_else(missing)?
            .build)(params)?),
        Role::Detector => Built::Detector((detector_entry(info.name, info.backend)
            .ok_or_else(missing)?
            .build)(params)?),
        Role::Clusterer => Built::Clusterer((clusterer_entry(info.name, info.backend)
            .ok_or_else(missing)?
            .build)(params)?),
    })
}

/// Check a complete parameter set without fitting.
pub fn check_params(info: &AlgorithmInfo, params: &ParamMap) -> Result<(), LearnError> {
    build(info, params).map(|_| ())
}

/// Decode a saved model's bytes.
pub fn load(role: Role, name: &str, backend: &str, bytes: &[u8]) -> Result<Fitted, LearnError> {
    let unknown = || {
        LearnError::Codec(format!(
            "this build of anomalab has no {role:?} `{name}` with backend `{backend}` to load the model with"
        ))
    };
    Ok(match role {
        Role::Classifier => Fitted::Classifier((classifier_entry(name, backend)
            .ok_or_else(unknown)?
            .load)(bytes)?),
        Role::Detector => Fitted::Detector((detector_entry(name, backend)
            .ok_or_else(unknown)?
            .load)(bytes)?),
        Role::Clusterer => {
            let entry = clusterer_entry(name, backend).ok_or_else(unknown)?;
            let load = entry.load.ok_or_else(|| {
                LearnError::InvalidInput(format!(
                    "{name} cannot assign new points to clusters (it is transductive), so its models cannot be used to predict"
                ))
            })?;
            Fitted::Clusterer(load(bytes)?)
        }
    })
}
