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
