//! The saved-model format: one file that holds everything `predict` and `serve` need.
//!
//! ```text
//! "ANOMALAB" (8 bytes) | format version (u32 LE) | header length (u32 LE) | header (JSON)
//! | pipeline length (u64 LE) | fitted preprocessing (postcard) | model length (u64 LE)
//! | model bytes (postcard, the algorithm's own) | sha256 of everything before (32 bytes)
//! ```
//!
//! Loading only decodes data: no code is executed from a model file, ever. The header is
//! also written beside the model as readable `best.json`.

use std::collections::BTreeMap;
use std::path::Path;

use anomalab_learn::ParamMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::models::{self, Fitted, Role};
use crate::preprocess::FittedPipeline;

const MAGIC: &[u8; 8] = b"ANOMALAB";
/// Bumped when the layout or the header's meaning changes; older tools refuse newer files.
pub const MODEL_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Error)]
pub enum PersistError {
    #[error("{path}: not an anomalab model file (it does not start with the ANOMALAB signature)")]
    NotAModel { path: String },
    #[error(
        "{path}: model format version {found} is newer than this tool supports ({supported}); upgrade anomalab"
    )]
    TooNew {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("{path}: the model file is damaged ({what})")]
    Damaged { path: String, what: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Model {
        path: String,
        #[source]
        source: anomalab_learn::LearnError,
    },
}

/// Everything about a saved model except its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    pub tool_version: String,
    pub experiment: String,
    pub trial_id: usize,
    pub trial_label: String,
    pub role: Role,
    pub algorithm: String,
    pub backend: String,
    pub params: ParamMap,
    /// Class names in index order (for detectors: `normal`, `attack`).
    pub class_names: Vec<String>,
    /// Columns of the training files that are not features (labels, identifiers); an
    /// input to `predict` may carry them and they are ignored.
    pub non_feature_columns: Vec<String>,
    /// Columns the input must have (names and whether they are text).
    pub input_columns: Vec<crate::preprocess::InputColumn>,
    /// The model's features after preprocessing.
    pub feature_names: Vec<String>,
    pub spec_hash: String,
    /// (path, sha256) of the training data files.
    pub dataset_files: Vec<(String, Option<String>)>,
    /// The training spec's `dataset:` section, so that `predict` reads a new file the way
    /// the training files were read (the same source, reader options and non-features;
    /// its `files` are only a record). Absent in models saved before it was recorded:
    /// `predict` then reads CSV or Parquet files with a header.
    #[serde(default)]
    pub dataset: Option<crate::data::source::Fields>,
    /// Metrics of the trial (mean over folds).
    pub metrics: BTreeMap<String, f64>,
    pub selection_metric: String,
    /// Detectors: anomaly when score > threshold.
    pub threshold: Option<f64>,
    /// Clusterers: class predicted for each cluster (majority label of its training rows).
    pub cluster_classes: Option<Vec<u32>>,
}

/// A model loaded from disk, ready to score.
pub struct SavedModel {
    pub header: ModelHeader,
    pub pipeline: FittedPipeline,
    pub model: Fitted,
}

/// Encode a model file.
pub fn encode(
    header: &ModelHeader,
    pipeline: &FittedPipeline,
    model: &Fitted,
) -> Result<Vec<u8>, anomalab_learn::LearnError> {
    let header_json =
        serde_json::to_vec(header).map_err(|e| anomalab_learn::LearnError::Codec(e.to_string()))?;
    let pipe = postcard::to_allocvec(pipeline)?;
    let body = model.save()?;
    let mut out = Vec::with_capacity(64 + header_json.len() + pipe.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_json);
    out.extend_from_slice(&(pipe.len() as u64).to_le_bytes());
    out.extend_from_slice(&pipe);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Read and decode a model file.
pub fn load(path: &Path) -> Result<SavedModel, PersistError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| PersistError::Io {
        path: p.clone(),
        source,
    })?;
    decode(&bytes, &p)
}

pub fn decode(bytes: &[u8], p: &str) -> Result<SavedModel, PersistError> {
    let damaged = |what: &str| PersistError::Damaged {
        path: p.to_string(),
        what: what.to_string(),
    };
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(PersistError::NotAModel {
            path: p.to_string(),
        });
    }
    if bytes.len() < 16 + 32 {
        return Err(damaged("truncated"));
    }
    let (content, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != digest {
        return Err(damaged("checksum mismatch: truncated or modified"));
    }
    let version = u32::from_le_bytes(content[8..12].try_into().expect("4 bytes"));
    if version > MODEL_FORMAT_VERSION {
        return Err(PersistError::TooNew {
            path: p.to_string(),
            found: version,
            supported: MODEL_FORMAT_VERSION,
        });
    }
    let mut at = 12usize;
    let mut take = |len: usize| -> Result<&[u8], PersistError> {
        let end = at
            .checked_add(len)
            .filter(|&e| e <= content.len())
            .ok_or_else(|| damaged("a length field points past the end"))?;
        let s = &content[at..end];
        at = end;
        Ok(s)
    };
    let hlen = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    let header: ModelHeader =
        serde_json::from_slice(take(hlen)?).map_err(|e| damaged(&format!("header: {e}")))?;
    let plen = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize;
    let pipeline: FittedPipeline =
        postcard::from_bytes(take(plen)?).map_err(|e| damaged(&format!("preprocessing: {e}")))?;
    let mlen = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize;
    let body = take(mlen)?;
    let model =
        models::load(header.role, &header.algorithm, &header.backend, body).map_err(|source| {
            PersistError::Model {
                path: p.to_string(),
                source,
            }
        })?;
    Ok(SavedModel {
        header,
        pipeline,
        model,
    })
}
