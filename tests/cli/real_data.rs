//! Acceptance runs on the real public datasets (NSL-KDD, UNSW-NB15).

use super::*;

fn results(p: &Project, name: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(&format!("reports/{name}/results.json"))).unwrap()
}

fn trial<'a>(r: &'a serde_json::Value, algorithm: &str) -> Vec<&'a serde_json::Value> {
    r["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["algorithm"] == algorithm)
        .collect()
}

#[test]
fn nsl_kdd_binary_runs_every_family_and_the_forest_matches_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let spec = repo().join("experiments/nsl_kdd_binary.yaml");
    p.run(&[
        "run",
        spec.to_str().unwrap(),
        "--quiet",
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .expect(0);
    let r = results(&p, "nsl_kdd_binary");
    // Published sizes (Tavallaee et al. 2009): 125,973 training and 22,544 test records.
    assert_eq!(r["split"]["folds"][0]["train_rows"], 125_973);
    assert_eq!(r["split"]["folds"][0]["test_rows"], 22_544);
    for family in [
        "dummy",
        "logistic_regression",
        "gaussian_nb",
        "knn",
        "decision_tree",
        "random_forest",
        "extra_trees",
        "gradient_boosting",
        "linear_svm",
        "mlp",
    ] {
        let ts = trial(&r, family);
        assert!(!ts.is_empty(), "no {family} trial");
        assert!(
            ts.iter().all(|t| t["status"] == "ok"),
            "{family} failed: {ts:?}"
        );
    }
    // scikit-learn RandomForestClassifier(100) under the same preprocessing, five seeds:
    // tests/reference/nsl_kdd_rf.json (scripts/ref_nsl_kdd.py).
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/reference/nsl_kdd_rf.json")).unwrap(),
    )
    .unwrap();
    let sk = reference["accuracy_mean"].as_f64().unwrap();
    let ours = trial(&r, "random_forest")[0]["mean"]["accuracy"]
        .as_f64()
        .unwrap();
    assert!(
        (ours - sk).abs() <= 0.02,
        "random forest accuracy {ours:.4} vs scikit-learn {sk:.4}"
    );
    // Every real model beats the prior baseline on F1 macro.
    let dummy = trial(&r, "dummy")[0]["mean"]["f1_macro"].as_f64().unwrap();
    let best = r["best"]["value"].as_f64().unwrap();
    assert!(best > dummy + 0.3, "best {best} vs dummy {dummy}");
}

#[test]
fn unsw_nb15_multiclass_reports_per_class_f1_for_all_ten_classes() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let spec = repo().join("experiments/unsw_nb15_multiclass.yaml");
    p.run(&[
        "run",
        spec.to_str().unwrap(),
        "--quiet",
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .expect(0);
    let r = results(&p, "unsw_nb15_multiclass");
    // 82,332 rows, stratified 70/30 -> 57,632 / 24,700 (scikit-learn train_test_split rounds
    // the test size up: ceil(0.3 * 82332) = 24,700).
    let fold = &r["split"]["folds"][0];
    assert_eq!(
        fold["train_rows"].as_u64().unwrap() + fold["test_rows"].as_u64().unwrap(),
        82_332
    );
    assert_eq!(fold["test_rows"], 24_700);
    let classes = r["dataset"]["class_names"].as_array().unwrap();
    assert_eq!(classes.len(), 10);
    let forest = trial(&r, "random_forest")[0];
    let per_class = forest["folds"][0]["per_class"].as_array().unwrap();
    assert_eq!(per_class.len(), 10);
    let supports: u64 = per_class
        .iter()
        .map(|c| c["support"].as_u64().unwrap())
        .sum();
    assert_eq!(supports, 24_700);
    // Worms has 44 rows in the partition: 13 of them in a stratified 30% test part.
    let worms = per_class.iter().find(|c| c["class"] == "Worms").unwrap();
    assert_eq!(worms["support"], 13);
}
