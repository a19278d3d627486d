//! The one reader of `results.json`: the format version is checked before the fields, and
//! every error names the file (and, for bad JSON, the line and column).

use std::path::{Path, PathBuf};

use crate::model::{RESULTS_FORMAT_VERSION, RunResults};

/// Why a `results.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not valid JSON, or not the results model.
    #[error("invalid results file {path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Written by a newer tool.
    #[error(
        "results file {path} has format version {found}, this tool reads up to {supported}: \
         re-render it with a newer anomalab"
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// Read and parse a `results.json`.
pub fn load_results(path: &Path) -> Result<RunResults, ResultsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_results(&text, path)
}

/// Parse the text of a `results.json` (`path` is only used in error messages).
pub fn parse_results(text: &str, path: &Path) -> Result<RunResults, ResultsError> {
    // The version first, so a newer file gets a clear message rather than a field error;
    // the probe reads that one field and skips the rest without building it.
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: Option<u64>,
    }
    if let Ok(Version {
        format_version: Some(found),
    }) = serde_json::from_str::<Version>(text)
        && found > u64::from(RESULTS_FORMAT_VERSION)
    {
        return Err(ResultsError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: u32::try_from(found).unwrap_or(u32::MAX),
            supported: RESULTS_FORMAT_VERSION,
        });
    }
    serde_json::from_str(text).map_err(|e| ResultsError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_version_is_refused_before_its_fields_are_read() {
        let text = r#"{"format_version": 99, "something": "new"}"#;
        let e = parse_results(text, Path::new("r/results.json")).unwrap_err();
        assert!(
            matches!(
                e,
                ResultsError::UnsupportedVersion {
                    found: 99,
                    supported: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("r/results.json"), "{e}");
    }

    #[test]
    fn a_parse_error_names_file_line_and_column() {
        let text = "{\n  \"format_version\": 1,\n  \"experiment\": 3\n}";
        let e = parse_results(text, Path::new("x.json")).unwrap_err();
        match &e {
            ResultsError::Parse { line, column, .. } => assert_eq!((*line, *column), (3, 17)),
            other => panic!("{other}"),
        }
        assert!(
            e.to_string().starts_with("invalid results file x.json:3:"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let e = load_results(Path::new("/nonexistent/results.json")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/results.json"), "{e}");
    }
}
