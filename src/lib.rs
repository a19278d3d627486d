//! anomalab: reproducible machine-learning network anomaly detection.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! spec (YAML) -> data (catalog, loaders, splits) -> preprocess (fitted on train only)
//!             -> models (registry of learners; anomalab-learn) -> eval (metrics)
//!             -> runner (trials in parallel, results.json) -> report (Markdown, HTML)
//! ```
//!
//! `flow` (packet captures to flow features, crate `anomalab-flow`) feeds `data`; `serve`
//! scores live traffic and HTTP requests with a saved model through `score`.

pub mod benchmark;
pub mod check;
pub mod cmd;
pub mod data;
pub mod diag;
pub mod eval;
pub mod exit;
pub mod fsutil;
pub mod models;
pub mod persist;
pub mod preprocess;
pub mod report;
pub mod runner;
pub mod score;
pub mod serve;
pub mod spec;
