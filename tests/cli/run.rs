//! End-to-end runs.

use super::*;

#[test]
fn quickstart_runs_offline_and_writes_results_summary_and_model() {
    let p = Project::new();
    let spec = repo().join("experiments/quickstart.yaml");
    let out = p.run(&[
        "run",
        spec.to_str().unwrap(),
        "--project-dir",
        ".",
        "--jobs",
        "2",
    ]);
    out.expect(0);
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/quickstart/results.json")).unwrap();
    assert_eq!(results["status"], "complete");
    assert_eq!(results["dataset"]["synthetic"], true);
    let trials = results["trials"].as_array().unwrap();
    assert!(trials.len() >= 8, "{}", trials.len());
    assert!(
        trials.iter().all(|t| t["status"] == "ok"),
        "a trial failed: {trials:?}"
    );
    // Every supervised model beats the prior baseline on the synthetic data.
    let dummy = trials.iter().find(|t| t["algorithm"] == "dummy").unwrap()["mean"]["f1_macro"]
        .as_f64()
        .unwrap();
    let best = results["best"]["value"].as_f64().unwrap();
    assert!(best > dummy + 0.3, "best {best} vs dummy {dummy}");
    let summary = p.read("reports/quickstart/summary.md");
    assert!(summary.to_lowercase().contains("synthetic"), "{summary}");
    assert!(p.path("models/quickstart/best.model").exists());
    let best_json: serde_json::Value =
        serde_json::from_str(&p.read("models/quickstart/best.json")).unwrap();
    assert_eq!(best_json["experiment"], "quickstart");
    assert_eq!(best_json["spec_hash"], results["manifest"]["spec_hash"]);
}

#[test]
fn one_and_two_threads_give_identical_results_apart_from_timings() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(600));
    let extra = "  - algorithm: random_forest\n    params: {n_estimators: [5, 20], max_depth: [3, null]}\n  - algorithm: knn\n    params: {n_neighbors: [1, 5]}\n";
    let spec = csv_spec("det", "d.csv", extra)
        .replace("{kind: holdout, test_size: 0.3}", "{kind: kfold, folds: 3}");
    p.write("s.yaml", &spec);
    p.run(&["run", "s.yaml", "--quiet", "--jobs", "1"])
        .expect(0);
    let one = deterministic_part(&p.read("reports/det/results.json"));
    let model_one = std::fs::read(p.path("models/det/best.model")).unwrap();
    p.run(&["run", "s.yaml", "--quiet", "--jobs", "2", "--fresh"])
        .expect(0);
    let two = deterministic_part(&p.read("reports/det/results.json"));
    assert_eq!(
        serde_json::to_string_pretty(&one).unwrap(),
        serde_json::to_string_pretty(&two).unwrap()
    );
    assert_eq!(one["trials"].as_array().unwrap().len(), 1 + 4 + 2);
    assert_eq!(one["split"]["folds"].as_array().unwrap().len(), 3);
    let model_two = std::fs::read(p.path("models/det/best.model")).unwrap();
    // The saved model carries no clock or machine fact, so it is byte-identical too.
    assert!(
        model_one == model_two,
        "best.model differs between --jobs 1 and --jobs 2"
    );
}

#[test]
fn a_failing_trial_is_recorded_and_the_run_goes_on() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(300));
    // smartcore's svc refuses training sets larger than max_train_rows: that trial fails,
    // the others run.
    let extra = "  - algorithm: svc\n    backend: smartcore\n    params: {max_train_rows: 10}\n";
    p.write("s.yaml", &csv_spec("f", "d.csv", extra));
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(1);
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/f/results.json")).unwrap();
    let trials = results["trials"].as_array().unwrap();
    assert_eq!(trials[0]["status"], "ok");
    assert_eq!(trials[1]["status"], "failed");
    assert!(
        trials[1]["error"]
            .as_str()
            .unwrap()
            .contains("max_train_rows"),
        "{}",
        trials[1]["error"]
    );
    assert!(p.path("models/f/best.model").exists());
}

#[test]
fn a_run_of_transductive_clusterers_only_saves_no_model_and_exits_zero() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(300));
    let dbscan = "  - algorithm: dbscan\n    params: {eps: 1.0, min_samples: 5}\n";
    p.write(
        "s.yaml",
        &csv_spec("t", "d.csv", "").replace("  - algorithm: dummy\n", dbscan),
    );
    let out = p.run(&["run", "s.yaml"]);
    out.expect(0);
    assert!(
        out.stdout().contains("no model saved") && !out.stdout().contains("no trial succeeded"),
        "{}",
        out.stdout()
    );
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/t/results.json")).unwrap();
    assert_eq!(results["trials"][0]["status"], "ok");
    assert!(!p.path("models/t/best.model").exists());
}

#[test]
fn predict_reproduces_the_test_predictions_of_the_run() {
    let p = Project::new();
    p.write("train.csv", &flows_csv(200));
    let test = flows_csv(30);
    p.write("test.csv", &test);
    let spec = "name: pr\ndataset: {source: csv, files: {train: train.csv, test: test.csv}, label: label}\nsplit: {kind: official}\npreprocessing:\n  - encode: {method: onehot}\n  - scale: {method: standard}\nmodels:\n  - algorithm: random_forest\n    params: {n_estimators: 10}\n";
    p.write("s.yaml", spec);
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let out = p.run(&[
        "predict",
        "-m",
        "models/pr/best.model",
        "-i",
        "test.csv",
        "-o",
        "pred.csv",
    ]);
    out.expect(0);
    let pred = p.read("pred.csv");
    let predicted: Vec<String> = pred
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    let truth: Vec<String> = test
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect();
    let correct = predicted.iter().zip(&truth).filter(|(a, b)| a == b).count();
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/pr/results.json")).unwrap();
    let acc = results["trials"][0]["mean"]["accuracy"].as_f64().unwrap();
    assert!(
        (correct as f64 / truth.len() as f64 - acc).abs() < 1e-12,
        "{correct}/{} vs {acc}",
        truth.len()
    );
}

#[test]
fn every_example_spec_validates() {
    let p = Project::new();
    let mut dirs = vec![repo().join("experiments")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
                // benchmark files (experiments/study_nids.yaml) validate their specs
                p.run(&["validate", path.to_str().unwrap()]).expect(0);
            }
        }
    }
}

#[test]
fn models_lists_parameters_with_defaults() {
    let out = Project::new().run(&["models", "random_forest"]);
    out.expect(0);
    let s = out.stdout();
    assert!(s.contains("random_forest [native]"), "{s}");
    assert!(s.contains("n_estimators"), "{s}");
    let out = Project::new().run(&["models", "random_forrest"]);
    out.expect(2);
    assert!(
        out.stderr().contains("did you mean `random_forest`?"),
        "{}",
        out.stderr()
    );
}

#[test]
fn kernel_svms_and_lof_are_listed_run_and_save() {
    let out = Project::new().run(&["models"]);
    out.expect(0);
    let s = out.stdout();
    for m in [
        "svc [native]",
        "svc [smartcore]",
        "one_class_svm [native]",
        "lof [native]",
    ] {
        assert!(s.contains(m), "{m} missing from:\n{s}");
    }
    let p = Project::new();
    p.write("d.csv", &flows_csv(300));
    let extra = "  - algorithm: svc\n    params: {probability: [false, true]}\n  \
                 - algorithm: one_class_svm\n    training: normal_only\n  \
                 - algorithm: lof\n    training: normal_only\n";
    p.write("s.yaml", &csv_spec("kernels", "d.csv", extra));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/kernels/results.json")).unwrap();
    let trials = results["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 5, "dummy, two svc, one_class_svm, lof");
    for t in &trials[1..] {
        let acc = t["folds"][0]["metrics"]["accuracy"].as_f64().unwrap();
        // The classes are separable by bytes per packet: every model finds most of it.
        assert!(acc > 0.8, "{}: accuracy {acc}", t["algorithm"]);
    }
}

#[test]
fn forest_out_of_bag_accuracy_is_recorded_and_estimates_the_test_accuracy() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(600));
    let extra = "  - algorithm: random_forest\n    params: {n_estimators: 50, oob_score: true}\n";
    p.write("s.yaml", &csv_spec("oob", "d.csv", extra));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let results: serde_json::Value =
        serde_json::from_str(&p.read("reports/oob/results.json")).unwrap();
    let forest = &results["trials"][1];
    let fold = &forest["folds"][0];
    let oob = fold["diagnostics"]["oob_score"].as_f64().unwrap();
    let test = fold["metrics"]["accuracy"].as_f64().unwrap();
    // the out-of-bag vote is an estimate of accuracy on unseen rows
    assert!(
        (oob - test).abs() < 0.05,
        "oob {oob} vs test accuracy {test}"
    );
    assert!(
        fold["diagnostics"]["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("out-of-bag accuracy"),
        "{fold}"
    );
    // without oob_score the dummy has none
    assert!(results["trials"][0]["folds"][0]["diagnostics"]["oob_score"].is_null());
}

#[test]
fn ensembles_run_store_their_members_and_predict_from_the_saved_model() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(600));
    let extra = "  - algorithm: stacking\n    params:\n      estimators: [{algorithm: logistic_regression}, {algorithm: gaussian_nb}]\n      cv: 3\n  - algorithm: voting\n    params:\n      voting: soft\n      estimators:\n        - {algorithm: decision_tree, params: {max_depth: 3}}\n        - {algorithm: knn, params: {n_neighbors: 3}}\n  - algorithm: bagging\n    params: {n_estimators: 4, max_features: 0.5, oob_score: true}\n";
    p.write("s.yaml", &csv_spec("ens", "d.csv", extra));
    p.run(&["run", "s.yaml", "--quiet", "--jobs", "1"])
        .expect(0);
    let one = deterministic_part(&p.read("reports/ens/results.json"));
    p.run(&["run", "s.yaml", "--quiet", "--jobs", "2", "--fresh"])
        .expect(0);
    let two = deterministic_part(&p.read("reports/ens/results.json"));
    assert_eq!(one, two, "--jobs 1 and --jobs 2 differ");
    let trials = one["trials"].as_array().unwrap();
    assert!(trials.iter().all(|t| t["status"] == "ok"), "{trials:?}");
    // Members are stored complete: backend and every parameter, defaults included.
    let tree = &trials[2]["params"]["estimators"][0];
    assert_eq!(tree["algorithm"], "decision_tree");
    assert_eq!(tree["backend"], "native");
    assert_eq!(tree["params"]["max_depth"], 3);
    assert_eq!(tree["params"]["min_samples_leaf"], 1);
    let oob = trials[3]["folds"][0]["diagnostics"]["oob_score"].as_f64();
    assert!(oob.is_some_and(|s| s > 0.9), "{:?}", trials[3]["folds"][0]);
    // The best trial is an ensemble; its saved model loads and scores the file.
    assert!(
        one["best"]["trial_id"].as_u64().unwrap() >= 1,
        "{}",
        one["best"]
    );
    let out = p.run(&[
        "predict",
        "--model",
        "models/ens/best.model",
        "--input",
        "d.csv",
    ]);
    out.expect(0);
    assert_eq!(out.stdout().lines().count(), 1 + 600);
}
