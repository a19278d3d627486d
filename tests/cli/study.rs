//! A run sharded by hand: plan, run-trial per index, collect.

use super::*;

pub(super) fn study_spec(p: &Project) {
    p.write("d.csv", &flows_csv(500));
    let extra = "  - algorithm: knn\n    params: {n_neighbors: [1, 3, 5]}\n  - algorithm: random_forest\n    params: {n_estimators: [10, 20], max_depth: [4]}\n";
    let spec = csv_spec("study", "d.csv", extra)
        .replace("{kind: holdout, test_size: 0.3}", "{kind: kfold, folds: 3}");
    p.write("s.yaml", &spec);
}

pub(super) fn local_study() -> Project {
    let p = Project::new();
    study_spec(&p);
    p.run(&[
        "run",
        "s.yaml",
        "-q",
        "--no-cache",
        "--project-dir",
        "local",
    ])
    .expect(0);
    p
}

/// The project's results and best model, against a local run's.
pub(super) fn assert_same_as_local(p: &Project) {
    let local = deterministic_part(&p.read("local/reports/study/results.json"));
    let collected = deterministic_part(&p.read("reports/study/results.json"));
    assert_eq!(
        serde_json::to_string_pretty(&collected).unwrap(),
        serde_json::to_string_pretty(&local).unwrap()
    );
    assert_eq!(
        std::fs::read(p.path("models/study/best.model")).unwrap(),
        std::fs::read(p.path("local/models/study/best.model")).unwrap()
    );
}

#[test]
fn trials_run_by_index_and_collected_equal_a_local_run() {
    let p = local_study();
    let out = p.run(&["plan", "s.yaml", "-o", "plan.json"]);
    out.expect(0);
    assert!(out.stdout().contains("(6 trials)"), "{}", out.stdout());
    let plan: serde_json::Value = serde_json::from_str(&p.read("plan.json")).unwrap();
    let trials = plan["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 6);
    assert!(
        trials
            .iter()
            .enumerate()
            .all(|(i, t)| t["id"] == i && t["key"].as_str().unwrap().len() == 64)
    );

    // Tasks 0 and 2 with two trials each (trials 0-1 and 4-5); trials 2-3 missing.
    for task in ["0", "2"] {
        p.run(&[
            "run-trial",
            "plan.json",
            "--index",
            task,
            "--chunk",
            "2",
            "-q",
        ])
        .expect(0);
    }
    let missing = p.run(&["collect", "plan.json", "--chunk", "2"]);
    missing.expect(1);
    assert!(
        missing
            .stderr()
            .contains("2 of 6 trials have no stored result"),
        "{}",
        missing.stderr()
    );
    assert!(
        missing.stderr().contains("--array=1"),
        "{}",
        missing.stderr()
    );

    // The first worker stored the prepared folds: the next one does not read the data.
    let folds = std::fs::read_dir(p.path(".anomalab/cache/folds"))
        .unwrap()
        .count();
    assert_eq!(folds, 1, "one set of folds for the whole plan");
    std::fs::rename(p.path("d.csv"), p.path("d.csv.away")).unwrap();
    // The index from the engine's variable, as an array task gets it.
    let task = std::process::Command::new(env!("CARGO_BIN_EXE_anomalab"))
        .args(["run-trial", "plan.json", "--chunk", "2", "-q"])
        .current_dir(p.path(""))
        .env("SLURM_ARRAY_TASK_ID", "1")
        .status()
        .unwrap();
    assert!(task.success());
    std::fs::rename(p.path("d.csv.away"), p.path("d.csv")).unwrap();
    p.run(&["collect", "plan.json", "-q"]).expect(0);
    assert_same_as_local(&p);
    // The data changed after the plan: the stored trials are not this data's, collect
    // says they are missing and leaves the complete results.json as it was.
    let before = p.read("reports/study/results.json");
    p.write("d.csv", &flows_csv(480));
    let changed = p.run(&["collect", "plan.json"]);
    changed.expect(1);
    assert!(
        changed
            .stderr()
            .contains("6 of 6 trials have no stored result"),
        "{}",
        changed.stderr()
    );
    assert_eq!(p.read("reports/study/results.json"), before);
}

#[test]
fn a_worker_refuses_a_plan_whose_data_changed() {
    let p = Project::new();
    study_spec(&p);
    p.run(&["plan", "s.yaml", "-o", "plan.json"]).expect(0);
    p.write("d.csv", &flows_csv(480));
    let out = p.run(&["run-trial", "plan.json", "--index", "0"]);
    out.expect(2);
    assert!(
        out.stderr()
            .contains("dataset.files changed since the plan was written"),
        "{}",
        out.stderr()
    );
    let past = p.run(&["run-trial", "plan.json", "--index", "6"]);
    past.expect(2);
    assert!(
        past.stderr().contains("past the plan's 6 trials"),
        "{}",
        past.stderr()
    );
    let none = p.run(&["run-trial", "plan.json"]);
    none.expect(2);
    assert!(
        none.stderr().contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        none.stderr()
    );
    p.write("bad.json", "{\"format\": 1}");
    let bad = p.run(&["collect", "bad.json"]);
    bad.expect(2);
    assert!(
        bad.stderr().contains("bad.json: not an anomalab plan file"),
        "{}",
        bad.stderr()
    );
}

#[test]
fn cache_explain_names_what_changed_and_gc_keeps_what_specs_reference() {
    let p = Project::new();
    study_spec(&p);
    p.run(&["run", "s.yaml", "-q"]).expect(0);
    let ls = p.run(&["cache", "ls"]);
    ls.expect(0);
    assert!(ls.stdout().contains("6 stored trial(s)"), "{}", ls.stdout());
    let spec = p.read("s.yaml").replace("[1, 3, 5]", "[1, 3, 7]");
    p.write("t.yaml", &spec);
    let explain = p.run(&["cache", "explain", "t.yaml"]);
    explain.expect(0);
    let text = explain.stdout();
    assert!(text.contains("5 of 6 trial(s) stored"), "{text}");
    assert!(
        text.contains("knn#3 (n_neighbors=7): not stored: the closest stored trial"),
        "{text}"
    );
    assert!(
        text.contains("differs in params.n_neighbors, seed"),
        "{text}"
    );
    let dry = p.run(&["cache", "gc", "t.yaml", "--dry-run"]);
    assert!(dry.stdout().contains("1 to remove"), "{}", dry.stdout());
    p.run(&["cache", "gc", "t.yaml"]).expect(0);
    assert!(
        p.run(&["cache", "ls"])
            .stdout()
            .contains("5 stored trial(s)")
    );
}

#[test]
fn submit_writes_an_array_job_within_the_array_limit_and_an_indexed_job() {
    let p = Project::new();
    study_spec(&p);
    let out = p.run(&[
        "submit",
        "slurm",
        "s.yaml",
        "--dry-run",
        "--max-array-size",
        "4",
        "--cpus",
        "2",
        "--partition",
        "debug",
        "--time",
        "0:10:00",
        "--array-parallelism",
        "3",
    ]);
    out.expect(0);
    assert!(
        out.stdout().contains("3 tasks of 2 trial(s)"),
        "{}",
        out.stdout()
    );
    let dir = ".anomalab/studies/study";
    let array = p.read(&format!("{dir}/array.sbatch"));
    for line in [
        "#SBATCH --array=0-2%3",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --partition=debug",
        "#SBATCH --time=0:10:00",
        "run-trial",
        "--chunk 2",
    ] {
        assert!(array.contains(line), "{line} in\n{array}");
    }
    let collect = p.read(&format!("{dir}/collect.sbatch"));
    assert!(
        collect.contains(" collect ") && collect.contains("--chunk 2"),
        "{collect}"
    );
    let plan: serde_json::Value =
        serde_json::from_str(&p.read(&format!("{dir}/plan.json"))).unwrap();
    assert_eq!(plan["trials"].as_array().unwrap().len(), 6);

    let out = p.run(&[
        "submit",
        "k8s",
        "s.yaml",
        "--image",
        "anomalab:1",
        "--pvc",
        "study-pvc",
        "--chunk",
        "4",
        "--cpus",
        "2",
    ]);
    out.expect(0);
    let docs = yaml_rust2::YamlLoader::load_from_str(&p.read(&format!("{dir}/k8s.yaml"))).unwrap();
    assert_eq!(docs.len(), 2);
    let job = &docs[0];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(job["spec"]["completions"].as_i64(), Some(2));
    assert!(job["spec"]["backoffLimitPerIndex"].as_i64().is_some());
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    let command: Vec<&str> = pod["containers"][0]["command"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(&command[..2], ["anomalab", "run-trial"]);
    assert!(
        command[2].ends_with("plan.json") && command.contains(&"4"),
        "{command:?}"
    );
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as_str(),
        Some("study-pvc")
    );
    assert_eq!(
        docs[1]["spec"]["template"]["spec"]["containers"][0]["command"][1].as_str(),
        Some("collect")
    );
}
