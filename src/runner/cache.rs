//! Finished trials stored by key: one JSON file per trial under the cache folder, written
//! atomically, so that a run interrupted at any point (even `kill -9`) keeps every trial it
//! finished, and a run of the same trials elsewhere (a cluster's array task) hands them to
//! the run that collects them.
//!
//! Only trials that succeeded are stored: a failure may be passing (memory, a killed
//! worker), so it is tried again. The cache holds results, not models: the best model is
//! refitted by `finalize`.

use std::path::{Path, PathBuf};

use anomalab_results::{TrialResult, TrialStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::RunError;
use super::plan::TrialPlan;
use crate::fsutil::write_atomic;

/// Default cache folder, under the project folder.
pub const DEFAULT_CACHE_DIR: &str = ".anomalab/cache";

/// How a run uses the trial cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Take stored trials, run and store the others.
    Cached,
    /// Run every trial (and store it).
    Fresh,
    /// Take stored trials, and stop before anything is written when one has no stored
    /// file (collecting a sharded study). A stored file that does not read is run again.
    Only,
}

/// One stored trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheEntry {
    pub key: String,
    /// What the key is the hash of (see [`TrialPlan::description`]).
    pub description: Value,
    /// When it was stored (RFC 3339).
    pub stored_at: String,
    pub trial: TrialResult,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct TrialCache {
    dir: PathBuf,
}

impl TrialCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TrialCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the trial with `key` is stored (two-character fan-out, as git's objects, so
    /// that a thousand-trial study does not put a thousand files in one folder).
    pub fn path(&self, key: &str) -> PathBuf {
        let fan = key.get(..2).unwrap_or("__");
        self.dir
            .join("trials")
            .join(fan)
            .join(format!("{key}.json"))
    }

    /// Ids of the `plans` with no stored file (the file is not read).
    pub fn missing(&self, plans: &[TrialPlan]) -> Vec<usize> {
        plans
            .iter()
            .filter(|p| !self.path(&p.key).is_file())
            .map(|p| p.id)
            .collect()
    }

    /// The stored result of `plan`'s trial, under this plan's id and names (they are not
    /// part of the key: a renamed model reuses its trials).
    pub fn get(&self, plan: &TrialPlan) -> Option<TrialResult> {
        let entry = self.read(&self.path(&plan.key)).ok()?;
        if entry.key != plan.key {
            return None;
        }
        let mut trial = entry.trial;
        trial.id = plan.id;
        trial.model = plan.model.clone();
        trial.label = plan.label.clone();
        Some(trial)
    }

    /// Store a finished trial; a failed one is not stored.
    pub fn put(&self, plan: &TrialPlan, trial: &TrialResult) -> Result<(), RunError> {
        if trial.status != TrialStatus::Ok {
            return Ok(());
        }
        let entry = CacheEntry {
            key: plan.key.clone(),
            description: plan.description.clone(),
            stored_at: super::clock::now_rfc3339(),
            trial: trial.clone(),
        };
        let path = self.path(&plan.key);
        let bytes = serde_json::to_vec(&entry).expect("a cache entry is plain data");
        write_atomic(&path, &bytes).map_err(|e| RunError::io(&path, e))
    }

    pub fn read(&self, path: &Path) -> Result<CacheEntry, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every stored file (sorted by path), whether or not it reads.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(fans) = std::fs::read_dir(self.dir.join("trials")) else {
            return out;
        };
        for fan in fans.flatten() {
            let Ok(files) = std::fs::read_dir(fan.path()) else {
                continue;
            };
            out.extend(
                files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::plan::{data_identity, plan};

    fn plans() -> Vec<TrialPlan> {
        let text = "name: t\nseed: 7\ndataset: {source: synthetic, rows: 300}\n\
                    split: {kind: holdout, test_size: 0.3}\n\
                    models:\n  - algorithm: knn\n    params: {n_neighbors: [3, 5]}\n";
        let exp = crate::spec::parse(Path::new("s.yaml"), text).unwrap();
        plan(&exp, &data_identity(&exp, &[]))
    }

    fn trial(plan: &TrialPlan, status: TrialStatus) -> TrialResult {
        TrialResult {
            id: plan.id,
            model: plan.model.clone(),
            algorithm: plan.algorithm.clone(),
            backend: plan.backend.clone(),
            role: anomalab_results::Role::Classifier,
            params: plan.params.clone(),
            varied: vec![],
            label: plan.label.clone(),
            status,
            error: None,
            folds: vec![],
            mean: [("f1_macro".to_string(), 0.5)].into(),
            std: Default::default(),
            timing: Default::default(),
        }
    }

    #[test]
    fn a_stored_trial_comes_back_under_the_current_names_and_failures_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TrialCache::new(dir.path());
        let p = plans();
        assert!(cache.get(&p[0]).is_none());
        cache.put(&p[0], &trial(&p[0], TrialStatus::Ok)).unwrap();
        cache
            .put(&p[1], &trial(&p[1], TrialStatus::Failed))
            .unwrap();
        assert!(cache.get(&p[1]).is_none(), "a failure is tried again");
        let mut renamed = p[0].clone();
        renamed.model = "neighbours".into();
        renamed.label = "neighbours#0".into();
        renamed.id = 4;
        let back = cache.get(&renamed).unwrap();
        assert_eq!((back.id, back.model.as_str()), (4, "neighbours"));
        assert_eq!(back.mean["f1_macro"], 0.5);
        assert_eq!(cache.files(), vec![cache.path(&p[0].key)]);
        // A file that is not an entry (a crash cannot leave one: writes are atomic) is
        // treated as absent, not as an error.
        std::fs::write(cache.path(&p[0].key), b"{").unwrap();
        assert!(cache.get(&p[0]).is_none());
    }
}
