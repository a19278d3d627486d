//! Repeats: spec errors name the field; a repeated run keeps every repeat, repeat 0 equal
//! to the run without repeats, and its report compares the trials over the repeats.

use super::*;

fn validate_err(p: &Project, spec: &str) -> String {
    p.write("s.yaml", spec);
    let out = p.run(&["validate", "s.yaml"]);
    out.expect(2);
    out.stderr()
}

const HEAD: &str = "name: t\ndataset: {source: synthetic}\nmodels: [{algorithm: dummy}]\n";

#[test]
fn bad_repeats_are_reported_by_field_and_line() {
    let p = Project::new();
    let err = validate_err(&p, &format!("{HEAD}repeats: 0\n"));
    assert!(err.contains("--> s.yaml:4"), "{err}");
    assert!(err.contains("`repeats` must be between 1 and 100"), "{err}");
    let err = validate_err(&p, &format!("{HEAD}repeats: many\n"));
    assert!(err.contains("repeats: expected"), "{err}");
    let err = validate_err(&p, &format!("{HEAD}split: {{kind: holdout, repeats: 3}}\n"));
    assert!(err.contains("split.repeats"), "{err}");
    assert!(err.contains("applies to `kind: kfold` only"), "{err}");
    let err = validate_err(
        &p,
        &format!("{HEAD}repeats: 2\nsplit: {{kind: kfold, folds: 3, repeats: 3}}\n"),
    );
    assert!(err.contains("repeats are given twice"), "{err}");
}

fn selection_values(results: &serde_json::Value, trial: usize) -> Vec<(u64, f64)> {
    results["trials"][trial]["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repeat"].as_u64().unwrap_or(0),
                f["metrics"]["f1_macro"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_repeated_holdout_keeps_every_repeat_and_repeat_zero_is_the_single_run() {
    let p = Project::new();
    // The synthetic flows are noisy enough for the repeats to differ.
    let single = "name: one\nseed: 3\ndataset: {source: synthetic, rows: 1500}\n\
        split: {kind: holdout, test_size: 0.3}\n\
        preprocessing:\n  - clean: {non_finite: median}\n  - encode: {method: onehot}\n  - scale: {method: standard}\n\
        models:\n  - algorithm: dummy\n  - algorithm: logistic_regression\n  - algorithm: random_forest\n    params: {n_estimators: 10}\n";
    p.write("one.yaml", single);
    p.write(
        "rep.yaml",
        &format!("{}repeats: 4\n", single.replace("name: one", "name: rep")),
    );
    p.run(&["run", "one.yaml", "--quiet"]).expect(0);
    p.run(&["run", "rep.yaml", "--quiet"]).expect(0);
    let one: serde_json::Value = serde_json::from_str(&p.read("reports/one/results.json")).unwrap();
    let rep: serde_json::Value = serde_json::from_str(&p.read("reports/rep/results.json")).unwrap();
    assert_eq!(rep["split"]["repeats"], 4);
    assert!(
        one["split"].get("repeats").is_none(),
        "a single run keeps its old form"
    );
    for trial in 0..3 {
        let r = selection_values(&rep, trial);
        assert_eq!(
            r.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            r[0].1,
            selection_values(&one, trial)[0].1,
            "repeat 0 is the single run"
        );
    }
    // The random forest's repeats differ (new split and seed each time).
    let rf = selection_values(&rep, 2);
    assert!(rf.iter().any(|(_, v)| *v != rf[0].1), "{rf:?}");
    let md = p.read("reports/rep/report.md");
    assert!(md.contains("over 4 repeats"), "{md}");
    assert!(md.contains("paired t-test over the repeats"), "{md}");
    assert!(md.contains("## Pairwise comparisons"), "{md}");
    assert!(
        !p.read("reports/one/report.md")
            .contains("Pairwise comparisons")
    );
}

#[test]
fn repeated_kfold_runs_every_fold_of_every_repeat() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(400));
    let spec = csv_spec("k", "d.csv", "  - algorithm: logistic_regression\n").replace(
        "{kind: holdout, test_size: 0.3}",
        "{kind: kfold, folds: 3, repeats: 2}",
    );
    p.write("s.yaml", &spec);
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let r: serde_json::Value = serde_json::from_str(&p.read("reports/k/results.json")).unwrap();
    let names: Vec<&str> = r["split"]["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "r0/fold-1",
            "r0/fold-2",
            "r0/fold-3",
            "r1/fold-1",
            "r1/fold-2",
            "r1/fold-3"
        ]
    );
    let md = p.read("reports/k/report.md");
    assert!(md.contains("corrected resampled t-test"), "{md}");
}
