//! The one error type of the commands, and the one place that turns a command's result
//! into a message and an exit code (see [`crate::exit`]).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::exit;

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything worked (`check`: every rule passed).
    Ok,
    /// The command ran and found a problem: failed trials, a regression, a dataset
    /// mismatch.
    Findings,
}

/// Why a command could not do its job (always exit code 2).
#[derive(Debug, Error)]
pub enum CliError {
    #[error("{0}")]
    Spec(#[from] crate::diag::SpecError),
    /// Several invalid specs (`validate`), each a full report.
    #[error("{}", specs_text(.0))]
    Specs(Vec<crate::diag::SpecError>),
    #[error(transparent)]
    Run(#[from] crate::runner::RunError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Check(#[from] crate::check::CheckError),
    #[error(transparent)]
    Benchmark(#[from] crate::benchmark::BenchmarkError),
    /// A baseline that does not fit the results (from `check::check`).
    #[error("{0}")]
    Baseline(String),
    #[error(transparent)]
    Score(#[from] crate::score::ScoreError),
    #[error("{message}{}", help.as_ref().map(|h| format!("\n  = help: {h}")).unwrap_or_default())]
    UnknownAlgorithm {
        message: String,
        help: Option<String>,
    },
    /// Arguments clap cannot check (e.g. `--jobs 0`).
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {error}")]
    Report {
        what: String,
        error: anomalab_report::ReportError,
    },
    #[error("writing {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    Stdout(std::io::Error),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    /// `extract` keeps `anyhow` for its stream of capture, flow and file errors.
    #[error("{0:#}")]
    Extract(anyhow::Error),
}

/// Spec reports one after the other, each after the first with its own `error: `.
fn specs_text(specs: &[crate::diag::SpecError]) -> String {
    let texts: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
    texts.join("error: ")
}

impl CliError {
    /// A failed write of `path`.
    pub fn write(path: &Path, error: std::io::Error) -> Self {
        CliError::Write {
            path: path.to_path_buf(),
            error,
        }
    }

    /// The message with the causes the message does not already include.
    pub fn message(&self) -> String {
        let mut msg = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = c.to_string();
            if !msg.contains(&text) {
                msg = format!("{}: {text}", msg.trim_end());
            }
            cause = c.source();
        }
        msg
    }
}

/// The exit code of a command's result, printing the error (if any) to standard error.
pub fn exit_code(result: Result<Status, CliError>) -> i32 {
    match result {
        Ok(Status::Ok) => exit::OK,
        Ok(Status::Findings) => exit::FINDINGS,
        Err(e) => {
            let msg = e.message();
            if msg.ends_with('\n') {
                eprint!("error: {msg}");
            } else {
                eprintln!("error: {msg}");
            }
            exit::ERROR
        }
    }
}
