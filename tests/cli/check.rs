//! The CI gate.

use super::*;

fn run_small(p: &Project) {
    p.write("d.csv", &flows_csv(150));
    let extra = "  - algorithm: random_forest\n    params: {n_estimators: 10}\n";
    p.write("s.yaml", &csv_spec("g", "d.csv", extra));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
}

#[test]
fn written_baseline_passes_and_a_raised_bar_fails_with_markdown_and_junit() {
    let p = Project::new();
    run_small(&p);
    p.run(&[
        "check",
        "reports/g/results.json",
        "--baseline",
        "base.yaml",
        "--write-baseline",
    ])
    .expect(0);
    let base = p.read("base.yaml");
    assert!(base.contains("experiment: g"), "{base}");
    let out = p.run(&[
        "check",
        "reports/g/results.json",
        "-b",
        "base.yaml",
        "--junit",
        "j.xml",
    ]);
    out.expect(0);
    assert!(out.stdout().contains("— passed"), "{}", out.stdout());
    assert!(p.read("j.xml").contains("failures=\"0\""));

    let best: serde_json::Value = serde_json::from_str(&p.read("reports/g/results.json")).unwrap();
    let v = best["best"]["value"].as_f64().unwrap();
    p.write(
        "hard.yaml",
        &format!("experiment: g\nrules:\n  - model: best\n    metric: f1_macro\n    baseline: {}\n    max_drop: 0.001\n", v + 0.05),
    );
    let out = p.run(&[
        "check",
        "reports/g/results.json",
        "-b",
        "hard.yaml",
        "--junit",
        "j.xml",
        "--markdown",
        "c.md",
    ]);
    out.expect(1);
    assert!(out.stdout().contains("1 regression(s)"), "{}", out.stdout());
    assert!(p.read("j.xml").contains("<failure message="));
    assert!(p.read("c.md").contains("❌"));
}

#[test]
fn check_that_cannot_run_exits_2() {
    let p = Project::new();
    run_small(&p);
    p.write(
        "b.yaml",
        "experiment: other\nrules:\n  - metric: f1_macro\n    minimum: 0.5\n",
    );
    let out = p.run(&["check", "reports/g/results.json", "-b", "b.yaml"]);
    out.expect(2);
    assert!(
        out.stderr().contains("baseline is for experiment `other`"),
        "{}",
        out.stderr()
    );
    p.write("b.yaml", "experiment: g\nrules:\n  - metric: f1_macro\n");
    let out = p.run(&["check", "reports/g/results.json", "-b", "b.yaml"]);
    out.expect(2);
    assert!(
        out.stderr().contains("give either `minimum`"),
        "{}",
        out.stderr()
    );
    let out = p.run(&["check", "missing.json", "-b", "b.yaml"]);
    out.expect(2);
    assert!(out.stderr().contains("missing.json"), "{}", out.stderr());
}

fn repeated_spec(seed: u64, forest: &str) -> String {
    format!(
        "name: noisy\nseed: {seed}\nrepeats: 5\ndataset: {{source: synthetic, rows: 1500}}\n\
         split: {{kind: holdout, test_size: 0.3}}\n\
         preprocessing:\n  - clean: {{non_finite: median}}\n  - encode: {{method: onehot}}\n  - scale: {{method: standard}}\n\
         models:\n  - algorithm: logistic_regression\n  - algorithm: random_forest\n    params: {forest}\n"
    )
}

/// A baseline written from a run with 5 repeats keeps each repeat's value; the same models
/// re-seeded pass, a crippled forest is a regression, and the summary names the seeds.
#[test]
fn a_repeated_baseline_finds_a_real_regression_and_passes_a_reseeded_run() {
    let p = Project::new();
    let check = |spec: &str, base: &str| {
        p.write("s.yaml", spec);
        p.run(&["run", "s.yaml", "--quiet", "--fresh"]).expect(0);
        p.run(&[
            "check",
            "reports/noisy/results.json",
            "-b",
            base,
            "--junit",
            "j.xml",
        ])
    };
    p.write("s.yaml", &repeated_spec(1, "{n_estimators: 20}"));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    p.run(&[
        "check",
        "reports/noisy/results.json",
        "-b",
        "base.yaml",
        "--write-baseline",
    ])
    .expect(0);
    let base = p.read("base.yaml");
    assert!(base.contains("not_worse: paired"), "{base}");
    assert_eq!(base.matches("    repeats: [").count(), 3, "{base}");
    // The same baseline, judged on the mean with the tolerance from its spread instead.
    p.write("spread.yaml", &base.replace("    not_worse: paired\n", ""));

    let out = check(&repeated_spec(2, "{n_estimators: 20}"), "base.yaml");
    out.expect(0);
    assert!(
        out.stdout().contains("mean over 5 repeats"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains("not significantly worse"),
        "{}",
        out.stdout()
    );
    assert!(p.read("j.xml").contains("name=\"seeds\" value=\"5\""));
    check(&repeated_spec(2, "{n_estimators: 20}"), "spread.yaml").expect(0);

    let worse = repeated_spec(1, "{n_estimators: 1, max_depth: 1}");
    let out = check(&worse, "base.yaml");
    out.expect(1);
    let md = out.stdout();
    assert!(md.contains("significantly worse"), "{md}");
    assert!(md.contains("❌ | random_forest"), "{md}");
    assert!(md.contains("✅ | logistic_regression"), "{md}");
    check(&worse, "spread.yaml").expect(1);
}

#[test]
fn repeat_rules_that_cannot_work_are_refused_by_rule() {
    let p = Project::new();
    run_small(&p);
    for (rule, says) in [
        (
            "    not_worse: paired\n    baseline: 0.9\n    max_drop: 0.01\n",
            "`not_worse` needs `repeats`",
        ),
        ("    repeats: [0.9]\n", "a spread needs at least 2"),
        (
            "    repeats: [0.9, 0.8]\n    minimum: 0.5\n",
            "give one form",
        ),
    ] {
        p.write(
            "b.yaml",
            &format!("experiment: g\nrules:\n  - model: best\n    metric: f1_macro\n{rule}"),
        );
        let out = p.run(&["check", "reports/g/results.json", "-b", "b.yaml"]);
        out.expect(2);
        assert!(out.stderr().contains("rules[0]"), "{}", out.stderr());
        assert!(out.stderr().contains(says), "{}", out.stderr());
    }
}
