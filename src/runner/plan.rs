//! Planning: the experiment's trials (models x grid points, in spec order) as plain data.
//!
//! A plan is a pure function of the experiment and serialisable, so trials can be filtered,
//! sent to another machine and matched with earlier results by their key. It owns its
//! data; whoever executes it finds the spec's model by `model_index`.

use anomalab_learn::ParamMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::spec::{Experiment, ModelPlan};

/// Part of every trial key: raise it when the same inputs would give a different result
/// (a metric computed differently, a changed fold seed), so stored results are not reused.
pub const TRIAL_FORMAT_VERSION: u32 = 2;

/// One trial: one grid point of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialPlan {
    /// Position in spec order (models x grid points); results are sorted by it.
    pub id: usize,
    /// The model's name in the spec.
    pub model: String,
    /// Index of the model in `Experiment::models`.
    pub model_index: usize,
    pub algorithm: String,
    pub backend: String,
    /// Index of the grid point in the model's grid.
    pub point: usize,
    /// Complete parameter values (grid point + defaults).
    pub params: ParamMap,
    pub label: String,
    /// Seeds every fold of the trial (derived from the spec seed, the name and the params).
    pub seed: u64,
    /// sha256 (hex) of everything that decides the trial's result, see [`trial_key`].
    pub key: String,
    /// What the key is the hash of (canonical JSON), kept so that a trial that was not
    /// reused can say which part changed.
    pub description: Value,
}

impl TrialPlan {
    /// The spec's model this trial is a grid point of.
    pub fn model_plan<'a>(&self, exp: &'a Experiment) -> &'a ModelPlan {
        &exp.models[self.model_index]
    }
}

/// Every trial of the experiment, in spec order. `data` identifies the data by content
/// ([`data_identity`]).
pub fn plan(exp: &Experiment, data: &Value) -> Vec<TrialPlan> {
    let shared = shared_inputs(exp, data);
    let mut plans = Vec::with_capacity(exp.n_trials());
    for (model_index, model) in exp.models.iter().enumerate() {
        for (point, params) in model.grid.iter().enumerate() {
            let id = plans.len();
            let seed = trial_seed(exp.seed, &model.name, params);
            let description = trial_description(&shared, model, params, seed);
            plans.push(TrialPlan {
                id,
                model: model.name.clone(),
                model_index,
                algorithm: model.algorithm.clone(),
                backend: model.backend.clone(),
                point,
                params: params.clone(),
                label: label(model, id, params),
                seed,
                key: key_of(&description),
                description,
            });
        }
    }
    plans
}

fn label(model: &ModelPlan, id: usize, params: &ParamMap) -> String {
    if model.varied.is_empty() {
        format!("{}#{id}", model.name)
    } else {
        format!("{}#{id} ({})", model.name, params.label(&model.varied))
    }
}

/// The seed of a trial depends on its name and parameters only, never on its position or
/// the thread it runs on.
fn trial_seed(spec_seed: u64, name: &str, params: &ParamMap) -> u64 {
    let params = serde_json::to_string(params).unwrap_or_default();
    anomalab_learn::rng::derive_seed(spec_seed, fnv1a(&format!("{name}|{params}")))
}

/// The data as trial keys see it: the `dataset:` section without its file paths, and the
/// content (sha256) of every file read, with its role. Moving the data keeps the keys;
/// changing a byte changes them. A file read with `checksums: off` has no hash and is
/// named by its file name and size instead.
pub fn data_identity(exp: &Experiment, files: &[crate::data::FileInfo]) -> Value {
    let mut section = json!(exp.dataset.to_fields());
    if let Some(map) = section.as_object_mut() {
        map.remove("files");
        map.remove("checksums");
    }
    let contents: Vec<Value> = files
        .iter()
        .map(|f| match &f.sha256 {
            Some(sha) => json!({"role": f.role, "sha256": sha}),
            None => json!({"role": f.role, "unhashed": display_name(&f.path), "bytes": f.bytes}),
        })
        .collect();
    json!({"section": section, "files": contents})
}

fn display_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// What every trial of the experiment shares in its key: the data, how it is split and
/// preprocessed, and the spec seed (it also seeds splits and preprocessing).
fn shared_inputs(exp: &Experiment, data: &Value) -> Value {
    let mut shared = json!({
        "format": TRIAL_FORMAT_VERSION,
        "spec_seed": exp.seed,
        "dataset": data,
        "split": exp.split,
        "preprocessing": exp.preprocessing,
    });
    // A trial holds the folds of every repeat; one run once keeps the key it always had.
    if exp.repeats > 1 {
        shared["repeats"] = json!(exp.repeats);
    }
    shared
}

/// What decides a trial's result. Names, labels, paths, thread counts and times are left
/// out: they do not change the result.
fn trial_description(shared: &Value, model: &ModelPlan, params: &ParamMap, seed: u64) -> Value {
    let mut desc = shared.clone();
    desc["algorithm"] = json!(model.algorithm);
    desc["backend"] = json!(model.backend);
    desc["params"] = json!(params);
    desc["training"] = json!(model.training);
    desc["threshold"] = json!(model.threshold);
    desc["seed"] = json!(seed);
    desc
}

/// sha256 (hex) of the canonical JSON of a trial's description.
pub fn key_of(description: &Value) -> String {
    let mut text = String::new();
    canonical_json(description, &mut text);
    crate::spec::hex(&Sha256::digest(text.as_bytes()))
}

/// The top-level parts (and one level below) where two descriptions differ, e.g.
/// `dataset.files`, `params`, `seed`.
pub fn changed_parts(old: &Value, new: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (old.as_object(), new.as_object()) else {
        return vec!["(not comparable)".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(Value::Object(x)), Some(Value::Object(y))) => {
                let inner = changed_parts(&Value::Object(x.clone()), &Value::Object(y.clone()));
                out.extend(inner.into_iter().map(|i| format!("{k}.{i}")));
            }
            _ => out.push(k.clone()),
        }
    }
    out
}

/// Compact JSON with object keys sorted at every level (whatever order serde_json keeps).
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// FNV-1a, for stable per-trial seeds.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn spec(c: &str) -> String {
        format!(
            "name: t\nseed: 7\ndataset: {{source: synthetic, rows: 300}}\n\
             split: {{kind: holdout, test_size: 0.3}}\n\
             models:\n  - algorithm: logistic_regression\n    params: {{C: [0.1, {c}]}}\n  \
             - algorithm: knn\n    params: {{n_neighbors: 5}}\n"
        )
    }

    fn experiment(path: &str, text: &str) -> Experiment {
        crate::spec::parse(Path::new(path), text).expect("valid spec")
    }

    fn planned(exp: &Experiment) -> Vec<TrialPlan> {
        plan(exp, &data_identity(exp, &[]))
    }

    fn keys(plans: &[TrialPlan]) -> Vec<&str> {
        plans.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn repeats_change_the_keys_and_one_repeat_keeps_them() {
        let base = experiment("a/s.yaml", &spec("1.0"));
        let once = experiment("a/s.yaml", &format!("{}repeats: 1\n", spec("1.0")));
        let thrice = experiment("a/s.yaml", &format!("{}repeats: 3\n", spec("1.0")));
        assert_eq!(keys(&planned(&base)), keys(&planned(&once)));
        let (a, b) = (planned(&base), planned(&thrice));
        assert!(a.iter().zip(&b).all(|(x, y)| x.key != y.key));
        assert_eq!(
            changed_parts(&a[0].description, &b[0].description),
            vec!["repeats"]
        );
    }

    #[test]
    fn plan_is_pure_and_stable() {
        let exp = experiment("a/s.yaml", &spec("1.0"));
        let (a, b) = (planned(&exp), planned(&exp));
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        assert_eq!(a, planned(&experiment("a/s.yaml", &spec("1.0"))));
        let mut unique = keys(&a);
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 3, "every trial has its own key");
        assert!(a.iter().all(|p| p.key.len() == 64));
    }

    #[test]
    fn plan_round_trips_through_json() {
        let plans = planned(&experiment("s.yaml", &spec("1.0")));
        let text = serde_json::to_string(&plans).unwrap();
        let back: Vec<TrialPlan> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plans);
    }

    #[test]
    fn a_changed_param_changes_only_that_trials_key() {
        let before = planned(&experiment("s.yaml", &spec("1.0")));
        let after = planned(&experiment("s.yaml", &spec("2.0")));
        assert_eq!(before[0].key, after[0].key);
        assert_ne!(before[1].key, after[1].key);
        assert_eq!(before[2].key, after[2].key);
    }

    #[test]
    fn the_key_does_not_depend_on_the_spec_path_or_text_layout() {
        let here = planned(&experiment("a/s.yaml", &spec("1.0")));
        let text = format!("# a comment\n{}", spec("1.0"));
        let there = planned(&experiment("/elsewhere/b/other.yaml", &text));
        assert_eq!(keys(&here), keys(&there));
    }

    #[test]
    fn the_key_follows_the_data_and_the_spec_seed() {
        let base = planned(&experiment("s.yaml", &spec("1.0")));
        let rows = spec("1.0").replace("rows: 300", "rows: 400");
        let seed = spec("1.0").replace("seed: 7", "seed: 8");
        for other in [rows, seed] {
            let changed = planned(&experiment("s.yaml", &other));
            assert!(base.iter().zip(&changed).all(|(a, b)| a.key != b.key));
        }
    }

    #[test]
    fn the_key_follows_file_contents_not_paths() {
        let exp = experiment("s.yaml", &spec("1.0"));
        let file = |path: &str, sha: &str| crate::data::FileInfo {
            role: "train".into(),
            path: path.into(),
            catalog_id: None,
            sha256: Some(sha.into()),
            sha256_matches: None,
            bytes: 10,
            uncompressed_bytes: 10,
            rows: 1,
            columns: 1,
        };
        let here = plan(&exp, &data_identity(&exp, &[file("/a/x.csv", "aa")]));
        let moved = plan(&exp, &data_identity(&exp, &[file("/b/y.csv", "aa")]));
        let edited = plan(&exp, &data_identity(&exp, &[file("/a/x.csv", "ab")]));
        assert_eq!(keys(&here), keys(&moved));
        assert!(here.iter().zip(&edited).all(|(a, b)| a.key != b.key));
        assert_eq!(
            changed_parts(&here[0].description, &edited[0].description),
            ["dataset.files"]
        );
        let other_c = planned(&experiment("s.yaml", &spec("2.0")));
        let base = planned(&exp);
        assert_eq!(
            changed_parts(&base[1].description, &other_c[1].description),
            ["params.C", "seed"]
        );
    }

    #[test]
    fn trial_seeds_and_labels_are_as_before() {
        let exp = experiment("s.yaml", &spec("1.0"));
        let plans = planned(&exp);
        // Pinned: a change to trial seeding changes every result (bump TRIAL_FORMAT_VERSION).
        assert_eq!(plans[1].seed, 17_908_787_288_440_864_821);
        // Pinned too: a key that changes by accident invalidates every cached trial. The
        // value is Python's `hashlib.sha256(json.dumps(desc, sort_keys=True,
        // separators=(",", ":")).encode()).hexdigest()` of this trial's description.
        assert_eq!(
            plans[1].key,
            "377b2eeaf6871263289d9d50745321e0a46a9228608c37a04f668581c0b69d5e"
        );
        assert_eq!(plans[1].label, "logistic_regression#1 (C=1)");
        assert_eq!(plans[2].label, "knn#2");
        assert_eq!((plans[2].model_index, plans[2].point), (1, 0));
    }
}
