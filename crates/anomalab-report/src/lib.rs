//! The results model of a run (`results.json`) and everything rendered from it.
//!
//! The runner (root crate) fills a [`model::RunResults`] and writes it; every exporter here
//! reads only that model, so a report can be re-rendered from `results.json` alone.

pub mod model;
