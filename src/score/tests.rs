//! Scoring a batch of flow records equals scoring the same rows read as a table.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use anomalab_flow::{EndReason, FlowRecord};

use super::*;

/// Deterministic flows: `Destination Port` 80 or 22, feature `j` of flow `i` a small
/// number; flows with a long `Flow Duration` (the first value) are attacks.
fn flows(n: usize) -> Vec<FlowRecord> {
    let n_values = anomalab_flow::model_feature_names().len() - 1;
    (0..n)
        .map(|i| {
            let attack = i % 3 == 0;
            let values = (0..n_values)
                .map(|j| match j {
                    0 if attack => 5000.0 + (i * 13 % 400) as f64,
                    0 => 100.0 + (i * 7 % 300) as f64,
                    _ => ((i * 31 + j * 17) % 50) as f64 / 4.0,
                })
                .collect();
            FlowRecord {
                flow_id: format!("f{i}"),
                src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                src_port: 40000 + i as u16,
                dst_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                dst_port: if i % 2 == 0 { 80 } else { 22 },
                protocol: 6,
                start_us: i as i64,
                source: Arc::from("test"),
                label: Arc::from(if attack { "attack" } else { "normal" }),
                end_reason: EndReason::Timeout,
                values,
                int_mask: 0,
            }
        })
        .collect()
}

/// The flows as a CSV: the model columns reversed (order must not matter), then `label`.
fn flows_csv(flows: &[FlowRecord]) -> String {
    let mut names = anomalab_flow::model_feature_names();
    names.reverse();
    let mut s = names.join(",") + ",label\n";
    for f in flows {
        let mut row = f.model_vector();
        row.reverse();
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        s.push_str(&format!("{},{}\n", cells.join(","), f.label));
    }
    s
}

/// Train `algorithm` on `train.csv` in `dir` with `run` and return the model's path.
fn train(dir: &Path, algorithm: &str) -> std::path::PathBuf {
    let spec = format!(
        "name: t\nseed: 3\ndataset: {{source: csv, files: train.csv, label: label}}\nsplit: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n  - scale: {{method: standard}}\nmodels:\n  - algorithm: {algorithm}\noutputs: {{save_best: true, report: false}}\n"
    );
    let spec_path = dir.join("s.yaml");
    std::fs::write(&spec_path, spec).unwrap();
    let exp = crate::spec::load(&spec_path).unwrap();
    let settings = crate::runner::RunSettings {
        data_dir: dir.to_path_buf(),
        project_dir: dir.to_path_buf(),
        jobs: 1,
        strict: false,
        command_line: vec![],
        cache: None,
    };
    let outcome = crate::runner::run(&exp, &settings, &crate::runner::Silent).unwrap();
    outcome.model_path.expect("the best model is saved")
}

#[test]
fn flow_records_score_like_the_same_rows_in_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let batch = flows(90);
    std::fs::write(dir.path().join("train.csv"), flows_csv(&batch)).unwrap();
    let scorer = Scorer::load(&train(dir.path(), "decision_tree")).unwrap();

    let from_flows = scorer.score_flows(&batch, &[]).unwrap();
    let file = scorer.read_table(&dir.path().join("train.csv")).unwrap();
    let from_table = scorer.score_table("train.csv", &file.table, &[]).unwrap();
    assert_eq!(from_flows.predictions, from_table.predictions);
    assert_eq!(from_table.ignored, vec!["label"]);
    assert!(from_flows.ignored.is_empty());

    // The rule is a threshold on one feature: a tree learns it, every flow is right.
    let Predictions::Classes(c) = &from_flows.predictions else {
        panic!("a classifier")
    };
    assert_eq!(c.score_kind, ClassScoreKind::Probability);
    for (i, f) in batch.iter().enumerate() {
        let RowPrediction::Class { class, scores } = from_flows.predictions.row(i) else {
            panic!("a class")
        };
        assert_eq!(class, &*f.label, "flow {i}");
        assert_eq!(scores.len(), 2);
        assert!((scores.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn a_detector_reports_its_stored_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let batch = flows(60);
    std::fs::write(dir.path().join("train.csv"), flows_csv(&batch)).unwrap();
    let scorer = Scorer::load(&train(dir.path(), "isolation_forest")).unwrap();
    let threshold = scorer
        .header()
        .threshold
        .expect("a detector stores its threshold");
    let scored = scorer.score_flows(&batch, &[]).unwrap();
    let Predictions::Anomalies(a) = &scored.predictions else {
        panic!("a detector")
    };
    assert_eq!(a.threshold, threshold);
    assert_eq!(a.scores.len(), 60);
    for i in 0..60 {
        assert_eq!(a.is_anomaly(i), a.scores[i] > threshold);
    }
    let file = scorer.read_table(&dir.path().join("train.csv")).unwrap();
    let table = scorer.score_table("train.csv", &file.table, &[]).unwrap();
    assert_eq!(table.predictions, scored.predictions);
}

#[test]
fn wrong_columns_name_the_input_and_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let batch = flows(60);
    std::fs::write(dir.path().join("train.csv"), flows_csv(&batch)).unwrap();
    let model = train(dir.path(), "decision_tree");
    let scorer = Scorer::load(&model).unwrap();
    let mut table = scorer
        .read_table(&dir.path().join("train.csv"))
        .unwrap()
        .table;
    table.columns[0].name = "Idle Maximum".into();
    let err = scorer
        .score_table("in.csv", &table, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "in.csv: the columns do not match the model {} (78 input columns)",
            model.display()
        )),
        "{err}"
    );
    assert!(err.contains("missing: `Idle Min`"), "{err}");
    assert!(err.contains("unexpected: `Idle Maximum`"), "{err}");
    let still_missing = scorer
        .score_table("in.csv", &table, &["Idle Maximum".into()])
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(still_missing, ScoreError::Columns { .. }));
}
