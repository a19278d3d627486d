//! Predictions over HTTP equal the scoring core's (and `anomalab predict`'s CSV) on the
//! same rows, whatever the protocol and the layout of the request.

use serde_json::{Value, json};

use super::client::{get, post_json, request};
use super::{Flow, Server, classifier, config, detector, flows, flows_csv, rule_of};
use anomalab::cmd::predict::predictions_csv;
use anomalab::score::{Predictions, Scorer};
use anomalab::serve::eve::Verdict;

/// What the scoring core says of `rows` read as `predict` reads a CSV file.
fn expected(scorer: &Scorer, rows: &[Flow], with_proto: bool) -> (Predictions, Vec<Verdict>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, flows_csv(rows, with_proto, false)).unwrap();
    let table = scorer.read_table(&path).unwrap().table;
    let scored = scorer.score_table("rows.csv", &table, &[]).unwrap();
    let verdicts = rule_of(scorer).verdicts(&scored.predictions);
    (scored.predictions, verdicts)
}

/// Each record has `predict`'s CSV columns with the same values, and the verdict's alert.
fn assert_like_predict(records: &Value, predictions: &Predictions, verdicts: &[Verdict]) {
    let records = records["predictions"]
        .as_array()
        .expect("a predictions array");
    let csv = predictions_csv(predictions);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(records.len(), verdicts.len());
    for ((record, line), verdict) in records.iter().zip(lines).zip(verdicts) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(record["prediction"], cells[1], "{record}");
        assert_eq!(record["alert"], verdict.alert, "{record}");
        for (name, cell) in header.iter().zip(&cells).skip(2) {
            let want: f64 = cell.parse().unwrap();
            assert_eq!(record[*name].as_f64(), Some(want), "{name} of {record}");
        }
        // `row` and `prediction` of the CSV are `prediction` and `alert` of a record.
        assert_eq!(record.as_object().unwrap().len(), header.len(), "{record}");
    }
}

fn split_body(rows: &[Flow]) -> String {
    let data: Vec<Value> = rows
        .iter()
        .map(|f| json!([f.duration, f.bytes, f.proto, f.label]))
        .collect();
    json!({"dataframe_split": {"columns": ["duration", "bytes", "proto", "label"], "data": data}})
        .to_string()
}

fn records(rows: &[Flow]) -> Vec<Value> {
    rows.iter()
        .map(|f| json!({"proto": f.proto, "bytes": f.bytes, "duration": f.duration}))
        .collect()
}

#[test]
fn every_mlflow_layout_predicts_like_the_scoring_core() {
    let rows: Vec<Flow> = flows(40).into_iter().skip(3).collect();
    let server = Server::start(classifier(), config());
    let (predictions, verdicts) = expected(&server.app.scorer, &rows, true);
    assert!(verdicts.iter().any(|v| v.alert) && verdicts.iter().any(|v| !v.alert));

    let columnar = json!({
        "duration": rows.iter().map(|f| f.duration).collect::<Vec<_>>(),
        "bytes": rows.iter().map(|f| f.bytes).collect::<Vec<_>>(),
        "proto": rows.iter().map(|f| f.proto).collect::<Vec<_>>(),
    });
    let bodies = [
        split_body(&rows),
        json!({"dataframe_records": records(&rows)}).to_string(),
        json!({"instances": records(&rows)}).to_string(),
        json!({"inputs": columnar}).to_string(),
    ];
    for body in &bodies {
        let r = post_json(server.addr, "/invocations", body);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_like_predict(&r.json(), &predictions, &verdicts);
    }
    let csv = flows_csv(&rows, true, true);
    let h = [("Content-Type", "text/csv")];
    let r = request(server.addr, "POST", "/invocations", &h, csv.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_like_predict(&r.json(), &predictions, &verdicts);
}

#[test]
fn a_detector_answers_its_score_and_threshold() {
    let rows = flows(30);
    let server = Server::start(detector(), config());
    let (predictions, verdicts) = expected(&server.app.scorer, &rows, false);
    let body = json!({"dataframe_records": rows.iter()
        .map(|f| json!({"duration": f.duration, "bytes": f.bytes, "label": f.label}))
        .collect::<Vec<_>>()});
    let r = post_json(server.addr, "/invocations", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let json = r.json();
    assert_like_predict(&json, &predictions, &verdicts);
    let threshold = server.app.scorer.header().threshold.unwrap();
    assert_eq!(
        json["predictions"][0]["threshold"].as_f64(),
        Some(threshold)
    );
}

fn tensor(name: &str, datatype: &str, shape: &[usize], data: Value) -> Value {
    json!({"name": name, "datatype": datatype, "shape": shape, "data": data})
}

fn output<'a>(response: &'a Value, name: &str) -> &'a Value {
    let outputs = response["outputs"].as_array().expect("outputs");
    outputs
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no output {name} in {response}"))
}

/// The OIP outputs equal the verdicts and the class scores of the scoring core.
fn assert_outputs(response: &Value, predictions: &Predictions, verdicts: &[Verdict]) {
    let n = verdicts.len();
    let labels: Vec<&str> = verdicts.iter().map(|v| v.label.as_str()).collect();
    assert_eq!(output(response, "predict")["data"], json!(labels));
    assert_eq!(output(response, "predict")["shape"], json!([n]));
    let alerts: Vec<bool> = verdicts.iter().map(|v| v.alert).collect();
    assert_eq!(output(response, "alert")["data"], json!(alerts));
    assert_eq!(output(response, "alert")["datatype"], "BOOL");
    let scores: Vec<f64> = verdicts.iter().map(|v| v.score).collect();
    assert_eq!(output(response, "score")["data"], json!(scores));
    if let Predictions::Classes(c) = predictions {
        let p = output(response, "probabilities");
        assert_eq!(p["shape"], json!([n, c.class_names.len()]));
        let flat: Vec<f64> = c.scores.iter().copied().collect();
        assert_eq!(p["data"], json!(flat));
    }
}

#[test]
fn oip_infer_takes_a_tensor_per_column_or_one_matrix() {
    let rows = flows(25);
    let server = Server::start(detector(), config());
    let (predictions, verdicts) = expected(&server.app.scorer, &rows, false);
    let n = rows.len();
    let durations: Vec<f64> = rows.iter().map(|f| f.duration).collect();
    let bytes: Vec<f64> = rows.iter().map(|f| f.bytes).collect();
    let per_column = json!({"id": "req-7", "inputs": [
        tensor("bytes", "FP32", &[n], json!(bytes)),
        tensor("duration", "FP64", &[n, 1], json!(durations.iter().map(|d| [d]).collect::<Vec<_>>())),
    ]});
    // The model's column order, as its metadata lists it.
    let meta = get(server.addr, "/v2/models/best").json();
    let order: Vec<&str> = meta["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let matrix: Vec<Vec<f64>> = rows
        .iter()
        .map(|f| {
            order
                .iter()
                .map(|c| if *c == "bytes" { f.bytes } else { f.duration })
                .collect()
        })
        .collect();
    let nested = json!({"inputs": [tensor("input-0", "FP64", &[n, 2], json!(matrix))]});
    let flat: Vec<f64> = matrix.concat();
    let flat = json!({"inputs": [tensor("input-0", "FP64", &[n, 2], json!(flat))],
                      "outputs": [{"name": "score"}, {"name": "predict"}, {"name": "alert"}]});
    for body in [&per_column, &nested, &flat] {
        let r = post_json(server.addr, "/v2/models/best/infer", &body.to_string());
        assert_eq!(r.status, 200, "{}", r.body);
        let json = r.json();
        assert_outputs(&json, &predictions, &verdicts);
        assert_eq!(json["model_name"], "best");
        let threshold = server.app.scorer.header().threshold.unwrap();
        assert_eq!(json["parameters"]["threshold"].as_f64(), Some(threshold));
    }
    let r = post_json(
        server.addr,
        "/v2/models/best/infer",
        &per_column.to_string(),
    )
    .json();
    assert_eq!(r["id"], "req-7");
    let asked = post_json(server.addr, "/v2/models/best/infer", &flat.to_string()).json();
    let names: Vec<&str> = asked["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["score", "predict", "alert"]);
}

#[test]
fn oip_text_columns_are_bytes_tensors() {
    let rows = flows(20);
    let server = Server::start(classifier(), config());
    let (predictions, verdicts) = expected(&server.app.scorer, &rows, true);
    let n = rows.len();
    let body = json!({"inputs": [
        tensor("duration", "INT64", &[n], json!(rows.iter().map(|f| f.duration as i64).collect::<Vec<_>>())),
        tensor("bytes", "FP64", &[n], json!(rows.iter().map(|f| f.bytes).collect::<Vec<_>>())),
        tensor("proto", "BYTES", &[n], json!(rows.iter().map(|f| f.proto).collect::<Vec<_>>())),
        tensor("label", "BYTES", &[n], json!(rows.iter().map(|f| f.label).collect::<Vec<_>>())),
    ]});
    let r = post_json(server.addr, "/v2/models/best/infer", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_outputs(&r.json(), &predictions, &verdicts);
}

#[test]
fn oip_metadata_and_health() {
    let server = Server::start(classifier(), config());
    let live = get(server.addr, "/v2/health/live");
    assert_eq!((live.status, live.body.as_str()), (200, ""));
    assert_eq!(get(server.addr, "/v2/health/ready").status, 200);
    server.app.state.set_ready(false);
    assert_eq!(get(server.addr, "/v2/health/ready").status, 400);
    assert_eq!(get(server.addr, "/v2/models/best/ready").status, 200);
    let meta = get(server.addr, "/v2").json();
    assert_eq!(meta["name"], "anomalab");
    assert!(meta["extensions"].is_array());

    let m = get(server.addr, "/v2/models/best").json();
    assert_eq!(m["name"], "best");
    let inputs: Vec<(String, String)> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().into(),
                i["datatype"].as_str().unwrap().into(),
            )
        })
        .collect();
    let columns: Vec<(String, String)> = server
        .app
        .scorer
        .header()
        .input_columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                if c.categorical { "BYTES" } else { "FP64" }.into(),
            )
        })
        .collect();
    assert_eq!(inputs, columns);
    assert!(inputs.contains(&("proto".into(), "BYTES".into())));
    let outputs: Vec<&str> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(outputs, ["predict", "alert", "score", "probabilities"]);
    assert_eq!(m["parameters"]["role"], "classifier");
    let missing = get(server.addr, "/v2/models/other");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "no model `other` here");
    assert_eq!(get(server.addr, "/v2/models/other/ready").status, 404);
}
