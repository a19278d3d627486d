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
    // The cause is part of the message (not a `source`) so a printed chain says it once.
    #[error("preprocessing {input}: {error}")]
    Preprocess {
        input: String,
        error: crate::preprocess::PreprocessError,
    },
}
