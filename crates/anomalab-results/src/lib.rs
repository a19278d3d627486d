//! The results model of anomalab: everything a run produces, as written to
//! `reports/<experiment>/results.json`, and the few rules every reader of it shares.
//!
//! * [`model`]: the run, its manifest, dataset summary, split, trials, folds and the
//!   per-fold [`Diagnostics`] the report plots.
//! * [`params`]: the hyper-parameter values stored with each trial.
//! * [`metrics`]: the one table of metric names, directions and docs.
//! * [`diagnostics`]: what a fitted model can report ([`ModelDiagnostic`]) and how it is
//!   stored.
//! * [`read`]: the one reader of `results.json` (with the format-version check).
//! * [`rank`]: the one best-trial ordering.
//!
//! This crate depends on nothing of anomalab: the learners, the runner and the reports all
//! depend on it.

pub mod diagnostics;
pub mod metrics;
pub mod model;
pub mod params;
pub mod rank;
pub mod read;

pub use diagnostics::ModelDiagnostic;
pub use metrics::{MetricInfo, Roles};
pub use model::*;
pub use params::{ParamError, ParamMap, ParamValue};
pub use read::{ResultsError, load_results, parse_results};
