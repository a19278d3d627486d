//! Small `RunResults` for the runner's unit tests.

use anomalab_learn::ParamMap;
use anomalab_results::{
    DatasetSummary, HostInfo, Role, RunManifest, RunResults, RunStatus, Selection, SplitSummary,
    TrialResult, TrialStatus, TrialTiming,
};

pub(crate) fn trial(id: usize, f1: Option<f64>, status: TrialStatus) -> TrialResult {
    TrialResult {
        id,
        model: "m".into(),
        algorithm: "logistic_regression".into(),
        backend: "native".into(),
        role: Role::Classifier,
        params: ParamMap::default(),
        varied: Vec::new(),
        label: format!("m#{id}"),
        status,
        error: None,
        folds: Vec::new(),
        mean: f1
            .map(|v| ("f1_macro".to_string(), v))
            .into_iter()
            .collect(),
        std: Default::default(),
        timing: TrialTiming::default(),
    }
}

pub(crate) fn results(trials: Vec<TrialResult>, higher_is_better: bool) -> RunResults {
    RunResults {
        format_version: 1,
        experiment: "t".into(),
        description: None,
        status: RunStatus::Running,
        manifest: RunManifest {
            tool_version: "0".into(),
            git_commit: None,
            spec_path: "t.yaml".into(),
            spec_text: String::new(),
            spec_resolved: serde_json::Value::Null,
            spec_hash: String::new(),
            seed: 0,
            threads: 1,
            host: HostInfo {
                os: "os".into(),
                arch: "arch".into(),
                cpus: 1,
                hostname: None,
                memory_bytes: None,
            },
            started_at: String::new(),
            finished_at: None,
            duration_seconds: None,
            command_line: Vec::new(),
        },
        dataset: DatasetSummary {
            source: "synthetic".into(),
            target: None,
            description: String::new(),
            synthetic: true,
            files: Vec::new(),
            class_names: vec!["normal".into(), "attack".into()],
            class_counts_train: Vec::new(),
            class_counts_test: None,
            class_counts_after_preprocessing: None,
            n_features_raw: 0,
            n_features_model: 0,
            feature_names: Vec::new(),
            preprocessing: Vec::new(),
            warnings: Vec::new(),
        },
        split: SplitSummary {
            kind: "holdout".into(),
            folds: Vec::new(),
            repeats: 1,
        },
        selection: Selection {
            metric: "f1_macro".into(),
            higher_is_better,
        },
        trials,
        best: None,
        projection: None,
    }
}
