//! Prepared folds stored in the trial cache folder, keyed by what decides them (the data's
//! contents, the split, the preprocessing, the spec seed), so that the workers of a study
//! do not each parse and preprocess the same files: the first one stores them, the others
//! read a binary file.

use std::path::{Path, PathBuf};

use anomalab_learn::DataCache;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::plan::key_of;
use super::prepare::PreparedFold;
use crate::fsutil::write_atomic;
use crate::preprocess::FittedPipeline;

/// Raised when the stored layout changes.
const FOLDS_FORMAT: u32 = 2;

/// Folds and class names as a worker reads them.
pub(crate) struct StoredFolds {
    pub class_names: Vec<String>,
    pub folds: Vec<PreparedFold>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    class_names: Vec<String>,
    folds: Vec<Fold>,
}

#[derive(Serialize, Deserialize)]
struct Fold {
    name: String,
    repeat: usize,
    index: usize,
    pipeline: FittedPipeline,
    x_train: Matrix,
    y_train: Vec<u32>,
    x_test: Matrix,
    y_test: Vec<u32>,
    train_class_counts: Vec<usize>,
}

#[derive(Serialize, Deserialize)]
struct Matrix {
    rows: usize,
    cols: usize,
    values: Vec<f64>,
}

impl Matrix {
    fn of(a: &Array2<f64>) -> Matrix {
        Matrix {
            rows: a.nrows(),
            cols: a.ncols(),
            values: a.iter().copied().collect(),
        }
    }

    fn array(self) -> Option<Array2<f64>> {
        Array2::from_shape_vec((self.rows, self.cols), self.values).ok()
    }
}

/// The key of the folds every trial of a plan shares: a trial's description without what
/// is the trial's own.
pub(crate) fn key(description: &Value) -> String {
    let mut shared = description.clone();
    if let Some(map) = shared.as_object_mut() {
        for own in [
            "algorithm",
            "backend",
            "params",
            "training",
            "threshold",
            "seed",
        ] {
            map.remove(own);
        }
    }
    key_of(&json!({"folds": FOLDS_FORMAT, "of": shared}))
}

fn path(cache_dir: &Path, key: &str) -> PathBuf {
    cache_dir.join("folds").join(format!("{key}.bin"))
}

/// The stored folds under `key`, if any are there and read.
pub(crate) fn load(cache_dir: &Path, key: &str) -> Option<StoredFolds> {
    let bytes = std::fs::read(path(cache_dir, key)).ok()?;
    let stored: Stored = postcard::from_bytes(&bytes).ok()?;
    if stored.format != FOLDS_FORMAT {
        return None;
    }
    let folds = stored
        .folds
        .into_iter()
        .map(|f| {
            Some(PreparedFold {
                name: f.name,
                repeat: f.repeat,
                index: f.index,
                pipeline: f.pipeline,
                x_train: f.x_train.array()?,
                y_train: f.y_train,
                x_test: f.x_test.array()?,
                y_test: f.y_test,
                cache: DataCache::new(),
                train_class_counts: f.train_class_counts,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(StoredFolds {
        class_names: stored.class_names,
        folds,
    })
}

/// Store `folds` under `key` (atomically: concurrent workers may store the same folds).
pub(crate) fn store(
    cache_dir: &Path,
    key: &str,
    class_names: &[String],
    folds: &[PreparedFold],
) -> std::io::Result<()> {
    let stored = Stored {
        format: FOLDS_FORMAT,
        class_names: class_names.to_vec(),
        folds: folds
            .iter()
            .map(|f| Fold {
                name: f.name.clone(),
                repeat: f.repeat,
                index: f.index,
                pipeline: f.pipeline.clone(),
                x_train: Matrix::of(&f.x_train),
                y_train: f.y_train.clone(),
                x_test: Matrix::of(&f.x_test),
                y_test: f.y_test.clone(),
                train_class_counts: f.train_class_counts.clone(),
            })
            .collect(),
    };
    let bytes = postcard::to_allocvec(&stored).map_err(std::io::Error::other)?;
    write_atomic(&path(cache_dir, key), &bytes)
}
