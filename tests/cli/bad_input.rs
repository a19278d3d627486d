//! Every bad input gets a clear message naming the place and what was expected, a non-zero
//! exit, and leaves earlier output intact.

use super::*;

#[test]
fn unknown_key_is_reported_with_line_and_suggestion() {
    let p = Project::new();
    p.write("s.yaml", "name: t\ndataset: {source: synthetic}\nmodels: [{algorithm: dummy}]\nselecton: {metric: accuracy}\n");
    let out = p.run(&["validate", "s.yaml"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("--> s.yaml:4:1"), "{err}");
    assert!(err.contains("unknown field `selecton`"), "{err}");
    assert!(err.contains("did you mean `selection`?"), "{err}");
}

#[test]
fn wrong_type_names_the_field_path() {
    let p = Project::new();
    p.write(
        "s.yaml",
        "name: t\nseed: -3\ndataset: {source: synthetic}\nmodels: [{algorithm: dummy}]\n",
    );
    let out = p.run(&["validate", "s.yaml"]);
    out.expect(2);
    assert!(out.stderr().contains("--> s.yaml:2:7"), "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("seed: expected a non-negative integer, found `-3`"),
        "{}",
        out.stderr()
    );
}

#[test]
fn unknown_model_and_parameter_get_suggestions() {
    let p = Project::new();
    p.write(
        "s.yaml",
        "name: t\ndataset: {source: synthetic}\nmodels:\n  - algorithm: random_forrest\n  - algorithm: knn\n    params: {n_neighbour: 3}\n",
    );
    let out = p.run(&["validate", "s.yaml"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("(2 problems)"), "{err}");
    assert!(
        err.contains("models[0].algorithm: unknown algorithm `random_forrest`"),
        "{err}"
    );
    assert!(err.contains("did you mean `random_forest`?"), "{err}");
    assert!(
        err.contains("models[1].params.n_neighbour: unknown parameter `n_neighbour` for knn"),
        "{err}"
    );
    assert!(err.contains("did you mean `n_neighbors`?"), "{err}");
}

#[test]
fn grid_value_out_of_range_points_at_the_value() {
    let p = Project::new();
    p.write(
        "s.yaml",
        "name: t\ndataset: {source: synthetic}\nmodels:\n  - algorithm: knn\n    params:\n      n_neighbors: [3, 0, 5]\n",
    );
    let out = p.run(&["validate", "s.yaml"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("--> s.yaml:6:24"), "{err}");
    assert!(
        err.contains("models[0].params.n_neighbors[1]: 0 is out of range"),
        "{err}"
    );
}

#[test]
fn missing_dataset_file_says_where_it_looked() {
    let p = Project::new();
    p.write("s.yaml", &csv_spec("t", "nope.csv", ""));
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("nope.csv"), "{err}");
    assert!(!p.path("reports/t/results.json").exists());
}

#[test]
fn missing_label_column_mentions_the_leading_space_spelling() {
    let p = Project::new();
    p.write(
        "d.csv",
        "Flow ID, Flow Duration, Label\na,1,BENIGN\nb,2,DDoS\n",
    );
    p.write(
        "s.yaml",
        "name: t\ndataset: {source: csv, files: d.csv, label: Label}\nsplit: {kind: holdout}\nmodels: [{algorithm: dummy}]\n",
    );
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("\" Label\""), "{err}");
    assert!(err.contains("matches after trimming spaces"), "{err}");
}

#[test]
fn a_single_class_is_refused() {
    let p = Project::new();
    p.write("d.csv", "a,label\n1,normal\n2,normal\n3,normal\n4,normal\n");
    p.write("s.yaml", "name: t\ndataset: {source: csv, files: d.csv, label: label}\nsplit: {kind: holdout}\nmodels: [{algorithm: dummy}]\n");
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    assert!(out.stderr().contains("normal"), "{}", out.stderr());
    assert!(
        out.stderr().contains("one class") || out.stderr().contains("only"),
        "{}",
        out.stderr()
    );
}

#[test]
fn empty_file_is_refused_by_name() {
    let p = Project::new();
    p.write("d.csv", "");
    p.write("s.yaml", &csv_spec("t", "d.csv", ""));
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    assert!(out.stderr().contains("d.csv"), "{}", out.stderr());
    assert!(out.stderr().contains("empty"), "{}", out.stderr());
}

#[test]
fn non_numeric_value_in_a_catalog_numeric_column_names_file_line_and_column() {
    let Some(_) = shared_data() else { return };
    let p = Project::new();
    // An NSL-KDD-shaped file (no header, 43 columns) with a word in `src_bytes` (column 5) on line 3.
    let good = "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal,21\n";
    let bad = good.replace(",181,", ",lots,");
    let attack = good.replace("normal", "neptune");
    p.write("nsl-kdd/train.txt", &format!("{good}{attack}{bad}{good}"));
    p.write("nsl-kdd/test.txt", &format!("{good}{attack}"));
    p.write(
        "s.yaml",
        "name: t\ndataset: {source: nsl_kdd, files: {train: nsl-kdd/train.txt, test: nsl-kdd/test.txt}}\nmodels: [{algorithm: dummy}]\n",
    );
    let out = p.run(&["run", "s.yaml", "--quiet", "--data-dir", "."]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("train.txt"), "{err}");
    assert!(err.contains(":3"), "{err}");
    assert!(err.contains("src_bytes"), "{err}");
    assert!(err.contains("lots"), "{err}");
}

#[test]
fn infinity_cells_need_a_clean_step_and_then_work() {
    let p = Project::new();
    let csv = flows_csv(60);
    // Put Infinity in the `rate` column of data row 4 and NaN in row 9.
    let mut rows: Vec<String> = csv.lines().map(str::to_string).collect();
    let set_rate = |row: &mut String, v: &str| {
        let mut f: Vec<&str> = row.split(',').collect();
        f[3] = v;
        *row = f.join(",");
    };
    set_rate(&mut rows[4], "Infinity");
    set_rate(&mut rows[9], "NaN");
    p.write("d.csv", &(rows.join("\n") + "\n"));
    p.write("s.yaml", &csv_spec("t", "d.csv", ""));
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("column `rate` has"), "{err}");
    assert!(err.contains("add a `clean` step"), "{err}");
    let fixed = csv_spec("t", "d.csv", "").replace(
        "preprocessing:\n",
        "preprocessing:\n  - clean: {non_finite: median}\n",
    );
    p.write("s.yaml", &fixed);
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
}

#[test]
fn unseen_category_is_an_error_when_the_spec_says_so() {
    let p = Project::new();
    // The unseen category is in the official test file only.
    let train = flows_csv(90);
    p.write("train.csv", &train);
    p.write(
        "test.csv",
        "proto,bytes,packets,rate,label\ngre,100,2,50.0,attack\ntcp,600,6,100.0,normal\n",
    );
    let spec = "name: t\ndataset:\n  source: csv\n  files: {train: train.csv, test: test.csv}\n  label: label\nsplit: {kind: official}\npreprocessing:\n  - encode: {method: onehot, unseen: error}\nmodels: [{algorithm: dummy}]\n";
    p.write("s.yaml", spec);
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    assert!(
        out.stderr()
            .contains("column `proto`: category `gre` (data row 1) was not seen in training"),
        "{}",
        out.stderr()
    );
}

#[test]
fn truncated_gzip_is_reported_by_file() {
    use std::io::Write;
    let p = Project::new();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(flows_csv(500).as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    p.write_bytes("d.csv.gz", &gz[..gz.len() / 2]);
    p.write("s.yaml", &csv_spec("t", "d.csv.gz", ""));
    let out = p.run(&["run", "s.yaml", "--quiet"]);
    out.expect(2);
    assert!(out.stderr().contains("d.csv.gz"), "{}", out.stderr());
    assert!(out.stderr().contains("truncated"), "{}", out.stderr());
}

#[test]
fn a_failed_run_keeps_the_previous_results() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(120));
    p.write("s.yaml", &csv_spec("t", "d.csv", ""));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let before = p.read("reports/t/results.json");
    std::fs::remove_file(p.path("d.csv")).unwrap();
    p.run(&["run", "s.yaml", "--quiet"]).expect(2);
    assert_eq!(p.read("reports/t/results.json"), before);
    assert!(p.path("models/t/best.model").exists());
}

#[test]
fn predict_refuses_missing_and_extra_columns_by_name() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(120));
    p.write("s.yaml", &csv_spec("t", "d.csv", ""));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    p.write("in.csv", "proto,bytes,flags,label\ntcp,10,3,normal\n");
    let out = p.run(&[
        "predict",
        "--model",
        "models/t/best.model",
        "--input",
        "in.csv",
    ]);
    out.expect(2);
    let err = out.stderr();
    assert!(err.contains("missing: `packets`, `rate`"), "{err}");
    assert!(err.contains("unexpected: `flags`"), "{err}");
    // With the right columns (the label column is ignored) every row is scored.
    p.write(
        "in.csv",
        "rate,proto,bytes,packets,label\n10.0,tcp,40,1,attack\n90.0,udp,900,10,normal\n",
    );
    let out = p.run(&[
        "predict",
        "--model",
        "models/t/best.model",
        "--input",
        "in.csv",
    ]);
    out.expect(0);
    let lines: Vec<&str> = out
        .0
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("row,prediction,"), "{lines:?}");
}

/// A reader that stops early (`anomalab datasets list | head -1`) is not an error: every
/// command prints through one writer that treats a closed pipe as done.
#[test]
fn a_closed_stdout_is_not_an_error() {
    for args in [&["datasets", "list"][..], &["models"][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anomalab"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start anomalab");
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().expect("wait for anomalab");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
