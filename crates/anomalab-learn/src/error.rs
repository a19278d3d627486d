//! Typed errors of the learning core. Messages are shown to users as they are, so each one
//! says what was wrong and, where it can, what was expected.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LearnError {
    /// A hyper-parameter value is out of range or of the wrong kind.
    #[error("parameter `{name}`: {message}")]
    InvalidParam { name: String, message: String },
    /// The training or scoring data cannot be used (empty, wrong width, one class, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Fitting failed for a reason inside the algorithm (no convergence, singular matrix, ...).
    #[error("fit failed: {0}")]
    Fit(String),
    /// A saved model could not be encoded or decoded.
    #[error("model encoding: {0}")]
    Codec(String),
}

impl LearnError {
    pub fn param(name: &str, message: impl Into<String>) -> Self {
        LearnError::InvalidParam {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

impl From<anomalab_results::ParamError> for LearnError {
    fn from(e: anomalab_results::ParamError) -> Self {
        LearnError::InvalidParam {
            name: e.name,
            message: e.message,
        }
    }
}

impl From<postcard::Error> for LearnError {
    fn from(e: postcard::Error) -> Self {
        LearnError::Codec(e.to_string())
    }
}
