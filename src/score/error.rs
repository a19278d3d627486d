//! Errors of scoring with a saved model; each names the model file or the input.

use thiserror::Error;

use super::plan::ColumnMismatch;

#[derive(Debug, Error)]
pub enum ScoreError {
    /// The model file could not be read or decoded (the message names the file).
    #[error(transparent)]
    Load(#[from] crate::persist::PersistError),
    #[error("{model}: this clusterer model has no cluster-to-class mapping")]
    NoClusterMapping { model: String },
    /// The input could not be read (the message names the file).
    #[error(transparent)]
    Read(#[from] crate::data::DataError),
    #[error(
        "{input}: the columns do not match the model {model} ({} input columns){mismatch}",
        mismatch.expected
    )]
    Columns {
        input: String,
        model: String,
        mismatch: ColumnMismatch,
    },
    #[error(
        "{input}: a packet capture gives the flow features of `anomalab extract`, but the model {model} \
         needs {} column(s) that are not flow features: {}",
        missing.len(),
        super::plan::quote_names_short(missing)
    )]
    NotFlowFeatures {
        input: String,
        model: String,
        missing: Vec<String>,
    },
    #[error(
        "{input}: the model {model} cannot read it as its training source: {why}\n  \
         = help: read the input as CSV or Parquet with a header (--input-format table)"
    )]
    NoSourceReader {
        input: String,
        model: String,
        why: String,
    },
    // The cause is part of the message (not a `source`) so a printed chain says it once.
    #[error("preprocessing {input}: {error}")]
    Preprocess {
        input: String,
        error: crate::preprocess::PreprocessError,
    },
}
