//! The result of loading data: the training part, the optional official test part, the
//! files that were read (for the run manifest), warnings, and where data is looked for.

use std::path::PathBuf;

use serde::Serialize;

use super::table::Dataset;

/// Environment variable holding the data directory (the CLI's `--data-dir` wins).
pub const DATA_DIR_ENV: &str = "ANOMALAB_DATA_DIR";

/// Where and how to load.
#[derive(Debug, Clone)]
pub struct LoadContext {
    /// Data directory (`--data-dir`, else `ANOMALAB_DATA_DIR`, else `./data`).
    pub data_dir: PathBuf,
    /// Folder of the spec file: relative paths are also tried against it.
    pub base_dir: Option<PathBuf>,
    /// The spec seed (subsampling, synthetic data).
    pub seed: u64,
    /// Treat a sha256 mismatch as an error (also `checksums: strict` in the spec).
    pub strict: bool,
}

impl LoadContext {
    /// A context for `data_dir` with seed 0, no base dir and non-strict checking.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        LoadContext {
            data_dir: data_dir.into(),
            base_dir: None,
            seed: 0,
            strict: false,
        }
    }
}

/// The data directory when the CLI was given none: `ANOMALAB_DATA_DIR`, else `./data`.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os(DATA_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// One file that was read, for the run manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    /// `train` or `test`.
    pub role: String,
    /// Path as opened.
    pub path: String,
    /// Catalog file id, when the file is a known catalog file.
    pub catalog_id: Option<String>,
    /// sha256 of the uncompressed content (`None` with `checksums: off`).
    pub sha256: Option<String>,
    /// Whether the sha256 equals the catalog's (`None`: no catalog value to compare).
    pub sha256_matches: Option<bool>,
    /// Size on disk.
    pub bytes: u64,
    /// Size of the uncompressed content.
    pub uncompressed_bytes: u64,
    /// Data rows.
    pub rows: usize,
    /// Columns in the file (labels and dropped columns included).
    pub columns: usize,
}

/// Everything a load produced.
#[derive(Debug, Clone)]
pub struct LoadedData {
    /// Training data (after `max_rows`).
    pub train: Dataset,
    /// Official test data (split kind `official` only).
    pub test: Option<Dataset>,
    /// Every file read, in order.
    pub files: Vec<FileInfo>,
    /// Things the user should know (checksum mismatches, swapped names, ...).
    pub warnings: Vec<String>,
    /// True for generated data.
    pub synthetic: bool,
    /// One sentence: what this data is.
    pub description: String,
    /// `dataset.source` as written in the spec.
    pub source: String,
    /// `dataset.target` as written in the spec.
    pub target: String,
}

/// The serialisable summary of a load, for the run manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataManifest {
    pub source: String,
    pub target: String,
    pub description: String,
    pub synthetic: bool,
    pub class_names: Vec<String>,
    pub train_rows: usize,
    pub train_class_counts: Vec<usize>,
    pub test_rows: Option<usize>,
    pub test_class_counts: Option<Vec<usize>>,
    pub features: Vec<String>,
    pub files: Vec<FileInfo>,
    pub warnings: Vec<String>,
}

impl LoadedData {
    /// The serialisable summary (no data).
    pub fn manifest(&self) -> DataManifest {
        DataManifest {
            source: self.source.clone(),
            target: self.target.clone(),
            description: self.description.clone(),
            synthetic: self.synthetic,
            class_names: self.train.class_names.clone(),
            train_rows: self.train.n_rows(),
            train_class_counts: self.train.class_counts(),
            test_rows: self.test.as_ref().map(|t| t.n_rows()),
            test_class_counts: self.test.as_ref().map(|t| t.class_counts()),
            features: self.train.features.names(),
            files: self.files.clone(),
            warnings: self.warnings.clone(),
        }
    }
}
