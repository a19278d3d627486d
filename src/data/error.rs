//! The typed errors of the data stage. Each message is shown to the user as it is, so it
//! names the file (and line, column, value where there is one), says what was expected and,
//! where it can, what to do about it.

use std::path::PathBuf;

use thiserror::Error;

/// A problem found in a spec section: the dotted field path (`dataset.files`,
/// `split.test_size`) and a message. The spec parser maps the path to a line and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Dotted path of the field the problem is about, e.g. `split.folds`.
    pub path: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl Problem {
    /// A problem about the field at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Errors of loading, verifying and splitting data.
#[derive(Debug, Error)]
pub enum DataError {
    /// A dataset file was not found in any of the places it was looked for.
    #[error(
        "{what} not found; looked for {}; {hint}",
        looked.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
    )]
    MissingFile {
        /// What was looked for, e.g. "nsl_kdd file `KDDTrain+.txt`".
        what: String,
        /// Every path that was tried.
        looked: Vec<PathBuf>,
        /// Where the data directory comes from and how to obtain the file.
        hint: String,
    },

    /// The sha256 of a file's (uncompressed) content differs from the catalog (strict mode).
    #[error(
        "{}: sha256 mismatch: expected {expected} (catalog entry {entry}), found {found}; \
         the file is not the published {entry} (use non-strict mode to load it anyway)",
        path.display()
    )]
    Sha256Mismatch {
        path: PathBuf,
        entry: String,
        expected: String,
        found: String,
    },

    /// The declared label column is not in the file.
    #[error("{}: label column `{label}` not found{hint}", path.display())]
    MissingLabelColumn {
        path: PathBuf,
        label: String,
        /// Suggestions (a near match, or the trimmed-name rule), starting with "; ".
        hint: String,
    },

    /// The labels have a single class where at least two are needed.
    #[error(
        "{context}: the label has only one class (`{class}`, {rows} rows); \
         at least two classes are needed to train and evaluate"
    )]
    OneClass {
        /// Which data: a file list or a named training fold.
        context: String,
        class: String,
        rows: usize,
    },

    /// A header-less file whose records have another number of fields than the column
    /// names given for it.
    #[error(
        "{}:{line}: {found} fields on the first line, but {expected} column names are given \
         for this file (it has no header line); first line: `{first}`{hint}",
        path.display()
    )]
    ColumnCount {
        path: PathBuf,
        /// 1-based line of the first record.
        line: usize,
        expected: usize,
        found: usize,
        /// The first line (shortened when long).
        first: String,
        /// What the file looks like and what to do, starting with "; " (or empty).
        hint: String,
    },

    /// A file without data rows.
    #[error("{}: empty file ({detail})", path.display())]
    EmptyFile { path: PathBuf, detail: String },

    /// A cell of a numeric column that is not a number.
    #[error(
        "{}:{line}: column `{column}`: expected a number, found `{value}`",
        path.display()
    )]
    NotANumber {
        path: PathBuf,
        /// 1-based line number in the (uncompressed) file.
        line: usize,
        column: String,
        value: String,
    },

    /// A gzip file that ends before its stream does.
    #[error(
        "{}: truncated gzip stream (unexpected end of file after {bytes} bytes of \
         uncompressed data); the file is incomplete, download it again",
        path.display()
    )]
    TruncatedGzip { path: PathBuf, bytes: u64 },

    /// A gzip file whose content cannot be decompressed.
    #[error("{}: corrupt gzip stream after {bytes} bytes of uncompressed data: {message}", path.display())]
    CorruptGzip {
        path: PathBuf,
        bytes: u64,
        message: String,
    },

    /// Reading a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CSV or Parquet reader rejected the file.
    #[error("{}: cannot parse {format}: {message}", path.display())]
    Parse {
        path: PathBuf,
        format: &'static str,
        message: String,
    },

    /// Files that should have the same columns do not.
    #[error("{message}")]
    Layout { message: String },

    /// A label value that the target's mapping does not know.
    #[error("{}:{line}: label `{value}` has no entry in the {table} table", path.display())]
    UnknownLabel {
        path: PathBuf,
        line: usize,
        value: String,
        table: String,
    },

    /// The spec sections are inconsistent (every problem found, not just the first).
    #[error("invalid dataset/split spec: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Spec { problems: Vec<Problem> },

    /// A stratified split is impossible with the given class counts.
    #[error("{0}")]
    Split(String),

    /// The embedded catalog could not be read (a build defect, not a user error).
    #[error("dataset catalog `{file}`: {message}")]
    Catalog { file: String, message: String },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
