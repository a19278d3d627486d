//! What can stop a run (a failing trial does not: it is recorded and the run goes on).

use thiserror::Error;

use crate::data::DataError;
use crate::preprocess::PreprocessError;

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("preprocessing ({fold}): {source}")]
    Preprocess {
        fold: String,
        #[source]
        source: PreprocessError,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up {0} worker threads: {1}")]
    Threads(usize, String),
    #[error("saving the best model: {0}")]
    Save(String),
    /// A plan file that does not fit the spec or data it is run with.
    #[error("{0}")]
    Plan(String),
    /// Collecting a study whose trials are not all stored: their plan indexes.
    #[error("{} trial(s) have no stored result", .0.len())]
    Missing(Vec<usize>),
}

impl RunError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        RunError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
