//! `anomalab benchmark`: the same models on several datasets, each dataset's results kept
//! apart, and the comparison across datasets; bad benchmark files name the field.

use super::*;

fn spec(name: &str, seed: u64, rows: usize) -> String {
    format!(
        "name: {name}\nseed: {seed}\nrepeats: 2\ndataset: {{source: synthetic, rows: {rows}}}\n\
         split: {{kind: holdout, test_size: 0.3}}\n\
         preprocessing:\n  - clean: {{non_finite: median}}\n  - encode: {{method: onehot}}\n  - scale: {{method: standard}}\n\
         models:\n  - algorithm: dummy\n  - algorithm: gaussian_nb\n  - algorithm: logistic_regression\n  - algorithm: decision_tree\n    params: {{max_depth: 6}}\n\
         selection: {{metric: f1_macro}}\n"
    )
}

#[test]
fn a_benchmark_keeps_each_dataset_apart_and_compares_across_them() {
    let p = Project::new();
    for (i, rows) in [600, 800, 1000].iter().enumerate() {
        p.write(
            &format!("specs/d{i}.yaml"),
            &spec(&format!("d{i}"), i as u64 + 1, *rows),
        );
    }
    p.write(
        "bench.yaml",
        "benchmark: b\ndescription: three synthetic datasets\nexperiments: [specs/d0.yaml, specs/d1.yaml, specs/d2.yaml]\n",
    );
    p.run(&["benchmark", "bench.yaml", "--quiet"]).expect(0);
    for i in 0..3 {
        let r: serde_json::Value =
            serde_json::from_str(&p.read(&format!("reports/d{i}/results.json"))).unwrap();
        assert_eq!(r["split"]["repeats"], 2);
    }
    let s: serde_json::Value = serde_json::from_str(&p.read("reports/b/benchmark.json")).unwrap();
    let models: Vec<&str> = s["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        [
            "dummy",
            "gaussian_nb",
            "logistic_regression",
            "decision_tree"
        ]
    );
    // ranks: 1 = best per dataset; each row of ranks is a permutation of 1..4 (no ties
    // here) and the mean ranks are their column means
    let ranks = s["ranks"].as_array().unwrap();
    assert_eq!(ranks.len(), 3);
    for (m, mean) in s["mean_ranks"].as_array().unwrap().iter().enumerate() {
        let col: f64 = ranks.iter().map(|r| r[m].as_f64().unwrap()).sum::<f64>() / 3.0;
        assert!((col - mean.as_f64().unwrap()).abs() < 1e-12);
    }
    assert_eq!(
        s["mean_ranks"][0], 4.0,
        "the prior baseline is last everywhere"
    );
    assert_eq!(s["friedman"]["df"], 3);
    let cd = s["nemenyi"]["critical_difference"].as_f64().unwrap();
    // Demšar's table: q_0.05 for k = 4 is 2.569; CD = 2.569 * sqrt(4*5 / (6*3))
    assert!((cd - 2.569 * (20.0f64 / 18.0).sqrt()).abs() < 1e-3, "{cd}");
    assert_eq!(s["wilcoxon"].as_array().unwrap().len(), 6);
    let md = p.read("reports/b/benchmark.md");
    assert!(
        md.contains("Friedman test over 3 datasets and 4 models"),
        "{md}"
    );
    assert!(md.contains("## Nemenyi post-hoc p-values"), "{md}");
    assert!(
        md.contains("## Pairwise Wilcoxon signed-rank tests"),
        "{md}"
    );
    assert!(
        p.read("reports/b/benchmark.html")
            .contains("<h2>Values and ranks</h2>")
    );
}

#[test]
fn bad_benchmark_files_name_the_field() {
    let p = Project::new();
    p.write("a.yaml", &spec("a", 1, 300));
    p.write(
        "b.yaml",
        &spec("b", 2, 300).replace("metric: f1_macro", "metric: accuracy"),
    );
    for (text, says) in [
        (
            "benchmark: x\nexperiments: [a.yaml]\n",
            "experiments: 1 spec(s)",
        ),
        (
            "benchmark: x\nexperiment: [a.yaml, a.yaml]\n",
            "unknown field `experiment`",
        ),
        (
            "benchmark: x\nexperiments: [a.yaml, a.yaml]\n",
            "is used twice",
        ),
        (
            "benchmark: x\nexperiments: [a.yaml, b.yaml]\n",
            "give `metric:`",
        ),
        (
            "benchmark: x\nexperiments: [a.yaml, b.yaml]\nmetric: f2\n",
            "unknown metric `f2`",
        ),
        (
            "benchmark: x y\nexperiments: [a.yaml, b.yaml]\n",
            "cannot be used as a folder name",
        ),
    ] {
        p.write("bench.yaml", text);
        let out = p.run(&["benchmark", "bench.yaml", "--quiet"]);
        out.expect(2);
        assert!(out.stderr().contains("bench.yaml"), "{}", out.stderr());
        assert!(out.stderr().contains(says), "{text}: {}", out.stderr());
    }
}
