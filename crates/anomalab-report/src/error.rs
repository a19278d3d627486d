//! The report layer's error type. Every variant names the file or figure involved, so the
//! CLI can print it as is; nothing here panics on user data.

use std::path::PathBuf;

/// Everything that can go wrong while loading `results.json` or rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`, `renaming`, ...).
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// `results.json` could not be read, is not the results model, or is too new.
    #[error(transparent)]
    Results(#[from] anomalab_results::ResultsError),
    /// A template failed to render (a strict-mode undefined variable is a bug in this crate).
    #[error("template {template}: {message}")]
    Template { template: String, message: String },
    /// A plot could not be drawn.
    #[error("plot {figure}: {message}")]
    Plot { figure: String, message: String },
}

impl ReportError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReportError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn plot(figure: &str, err: impl std::fmt::Display) -> Self {
        ReportError::Plot {
            figure: figure.to_string(),
            message: err.to_string(),
        }
    }
}

impl From<minijinja::Error> for ReportError {
    fn from(e: minijinja::Error) -> Self {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        ReportError::Template {
            template: e.name().unwrap_or("?").to_string(),
            message,
        }
    }
}
