//! Every malformed request gets a 4xx in its protocol's error shape, with a message that
//! names the problem; none takes the server down.

use super::client::{get, request};
use super::{Server, classifier, config, flows, flows_csv};

const JSON: &str = "application/json";

/// (method, path, content type, body, status, text the message must contain)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    String,
    u16,
    &'static str,
);

fn split(columns: &str, data: &str) -> String {
    format!(r#"{{"dataframe_split": {{"columns": {columns}, "data": {data}}}}}"#)
}

fn mlflow_cases() -> Vec<Case> {
    let cols = r#"["duration", "bytes", "proto"]"#;
    let p = "/invocations";
    vec![
        ("POST", p, JSON, split(cols, "[[1, 2 \"tcp\"]]"), 400, "bad JSON: expected `,` or `]` at line 1 column"),
        ("POST", p, JSON, String::new(), 400, "bad JSON: EOF while parsing"),
        ("POST", p, JSON, split(r#"["duration", "proto"]"#, r#"[[1, "tcp"]]"#), 400, "missing column(s) `bytes`"),
        ("POST", p, JSON, split(r#"["duration", "bytes", "proto", "colour"]"#, r#"[[1, 2, "tcp", "red"]]"#), 400, "unexpected column(s) `colour`"),
        ("POST", p, JSON, split(cols, r#"[[1, 2, "tcp"], [1, 2]]"#), 400, "row 2 has 2 values, expected 3"),
        ("POST", p, JSON, split(cols, r#"[["fast", 2, "tcp"]]"#), 400, "column `duration`, row 1: \"fast\" is not a number"),
        ("POST", p, JSON, split(cols, r#"[[1, 2, true]]"#), 400, "column `proto`, row 1: a boolean"),
        ("POST", p, JSON, split(r#"["duration", "bytes", "proto", "bytes"]"#, r#"[[1, 2, "tcp", 3]]"#), 400, "column `bytes` is given twice"),
        ("POST", p, JSON, split(cols, "[]"), 400, "no rows to score"),
        ("POST", p, JSON, split(cols, r#"[[[1], 2, "tcp"]]"#), 400, "expected a number, a string, a boolean or null"),
        ("POST", p, JSON, "{}".into(), 400, "exactly one of the keys"),
        ("POST", p, JSON, "[1, 2]".into(), 400, "the body must be a JSON object"),
        ("POST", p, JSON, r#"{"dataframe_split": {"columns": ["duration"]}}"#.into(), 400, "missing field `data`"),
        ("POST", p, JSON, r#"{"dataframe_records": [{"duration": 1, "bytes": 2, "proto": "tcp"}, {"duration": 1}]}"#.into(), 400, "column `bytes`, row 2: missing"),
        ("POST", p, JSON, r#"{"instances": [[1, 2, "tcp"]]}"#.into(), 400, "expected an object of column name to value"),
        ("POST", p, JSON, r#"{"inputs": {"duration": [1, 2], "bytes": [1], "proto": ["a", "b"]}}"#.into(), 400, "has 1 values but"),
        ("POST", p, "text/csv", "duration,bytes,proto\n1,2\n".into(), 400, "line 2 has 2 values, expected 3"),
        ("POST", p, "text/csv", "duration,bytes,proto\n1,2,\"tcp\n".into(), 400, "a quoted field is not closed"),
        ("POST", p, "text/csv", "duration,bytes,proto\n1,x,tcp\n".into(), 400, "column `bytes`, line 2"),
        ("POST", p, "text/csv", "".into(), 400, "no rows to score"),
        ("POST", p, "text/csv", "duration,bytes,proto\n".into(), 400, "0 rows"),
        ("POST", p, "text/plain", split(cols, "[[1, 2, \"tcp\"]]"), 415, "application/json or text/csv"),
        ("POST", p, "application/json; format=pandas-split", split(cols, "[[1, 2, \"tcp\"]]"), 415, "`format`"),
        ("GET", p, JSON, String::new(), 405, "GET is not allowed on /invocations"),
    ]
}

fn tensor(name: &str, datatype: &str, shape: &str, data: &str) -> String {
    format!(r#"{{"name": "{name}", "datatype": "{datatype}", "shape": {shape}, "data": {data}}}"#)
}

fn infer(tensors: &[String]) -> String {
    format!(r#"{{"inputs": [{}]}}"#, tensors.join(", "))
}

fn oip_cases() -> Vec<Case> {
    let p = "/v2/models/best/infer";
    let d = tensor("duration", "FP64", "[1]", "[1]");
    let b = tensor("bytes", "FP64", "[1]", "[2]");
    let t = tensor("proto", "BYTES", "[1]", r#"["tcp"]"#);
    vec![
        (
            "POST",
            "/v2/models/nope/infer",
            JSON,
            infer(&[d.clone(), b.clone(), t.clone()]),
            404,
            "no model `nope` here",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[
                tensor("duration", "FP64", "[1]", r#"["x"]"#),
                b.clone(),
                t.clone(),
            ]),
            400,
            "input `duration` is FP64 but element 0 (from 0, row-major) is a string",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[
                tensor("duration", "FLOAT", "[1]", "[1]"),
                b.clone(),
                t.clone(),
            ]),
            400,
            "unknown datatype `FLOAT`",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[
                tensor("duration", "FP64", "[2]", "[1]"),
                b.clone(),
                t.clone(),
            ]),
            400,
            "has shape [2] but 1 values",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[d.clone(), b.clone()]),
            400,
            "missing column(s) `proto`",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[
                tensor("duration", "FP64", "[18446744073709551615]", "[1]"),
                b.clone(),
                t.clone(),
            ]),
            400,
            "has shape [18446744073709551615] but 1 values",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[d.clone(), b.clone(), tensor("proto", "FP64", "[1]", "[6]")]),
            400,
            "`proto` is a text column of the model",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[tensor("x", "FP64", "[1, 3]", "[[1, 2, 3]]")]),
            400,
            "the model has text columns (`proto`)",
        ),
        (
            "POST",
            p,
            JSON,
            infer(&[
                d.clone(),
                tensor("bytes", "FP64", "[2]", "[1, 2]"),
                t.clone(),
            ]),
            400,
            "has 2 values but",
        ),
        ("POST", p, JSON, infer(&[]), 400, "no input tensors"),
        (
            "POST",
            p,
            JSON,
            format!(r#"{{"inputs": [{d}, {b}, {t}], "outputs": [{{"name": "nope"}}]}}"#),
            400,
            "unknown output `nope`",
        ),
        (
            "POST",
            p,
            JSON,
            "{\"inputs\": [".into(),
            400,
            "bad JSON: EOF while parsing",
        ),
        (
            "POST",
            p,
            JSON,
            r#"{"inputs": [{"name": "a"}]}"#.into(),
            400,
            "missing field `shape`",
        ),
        (
            "POST",
            p,
            "application/octet-stream",
            infer(&[d, b, t]),
            415,
            "binary tensor data is not supported",
        ),
    ]
}

fn other_cases() -> Vec<Case> {
    vec![
        (
            "GET",
            "/alerts?since=abc",
            "",
            String::new(),
            400,
            "bad query",
        ),
        (
            "GET",
            "/alerts?sinc=1",
            "",
            String::new(),
            400,
            "unknown field `sinc`",
        ),
        (
            "GET",
            "/alerts?limit=-1",
            "",
            String::new(),
            400,
            "bad query",
        ),
        (
            "GET",
            "/nope",
            "",
            String::new(),
            404,
            "no endpoint GET /nope",
        ),
        (
            "POST",
            "/metrics",
            JSON,
            "{}".into(),
            405,
            "POST is not allowed on /metrics",
        ),
        (
            "GET",
            "/v2/models/nope",
            "",
            String::new(),
            404,
            "no model `nope` here",
        ),
    ]
}

fn check(server: &Server, case: &Case) {
    let (method, path, ctype, body, status, text) = case;
    let headers: Vec<(&str, &str)> = if ctype.is_empty() {
        vec![]
    } else {
        vec![("Content-Type", ctype)]
    };
    let r = request(server.addr, method, path, &headers, body.as_bytes());
    assert_eq!(r.status, *status, "{method} {path} {body}: {}", r.body);
    let json = r.json();
    let message = if *path == "/invocations" {
        assert_eq!(
            json["error_code"],
            if *status == 404 {
                "ENDPOINT_NOT_FOUND"
            } else {
                "BAD_REQUEST"
            }
        );
        json["message"].as_str().unwrap().to_string()
    } else {
        json["error"].as_str().unwrap().to_string()
    };
    assert!(
        message.contains(text),
        "{method} {path} {body}: {message:?} lacks {text:?}"
    );
}

#[test]
fn every_malformed_request_is_refused_by_name() {
    let server = Server::start(classifier(), config());
    for case in mlflow_cases()
        .iter()
        .chain(&oip_cases())
        .chain(&other_cases())
    {
        check(&server, case);
    }
    assert_eq!(get(server.addr, "/v2/health/live").status, 200);
}

/// Bodies cut anywhere and bytes flipped: each is a 4xx answer, never a 5xx or a
/// dropped connection.
#[test]
fn damaged_bodies_are_all_4xx() {
    let server = Server::start(classifier(), config());
    let csv = flows_csv(&flows(4), true, false);
    let good_json = split(
        r#"["duration", "bytes", "proto"]"#,
        r#"[[1.5, 2, "tcp"], [3e2, 0.25, "udp"]]"#,
    );
    let good_infer = infer(&[
        tensor("duration", "FP64", "[2, 1]", "[[1], [2]]"),
        tensor("bytes", "FP64", "[2]", "[1, 2]"),
        tensor("proto", "BYTES", "[2]", r#"["tcp", "udp"]"#),
    ]);
    let targets = [
        ("/invocations", JSON, good_json),
        ("/invocations", "text/csv", csv),
        ("/v2/models/best/infer", JSON, good_infer),
    ];
    let mut sent = 0;
    for (path, ctype, good) in &targets {
        let h = [("Content-Type", *ctype)];
        let ok = request(server.addr, "POST", path, &h, good.as_bytes());
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
        let bytes = good.as_bytes();
        let mut bodies: Vec<Vec<u8>> = (1..bytes.len())
            .step_by(3)
            .map(|n| bytes[..n].to_vec())
            .collect();
        for (i, flip) in [b'"', b'[', b']', b'{', b',', 0xff, b'-', b'e']
            .iter()
            .enumerate()
        {
            for at in (i * 7 % bytes.len()..bytes.len()).step_by(11) {
                let mut b = bytes.to_vec();
                b[at] = *flip;
                bodies.push(b);
            }
        }
        for body in bodies {
            let r = request(server.addr, "POST", path, &h, &body);
            let text = String::from_utf8_lossy(&body);
            assert!(
                r.status == 200 || (400..500).contains(&r.status),
                "{path} {text}: {} {}",
                r.status,
                r.body
            );
            sent += 1;
        }
    }
    assert!(sent > 100);
    assert_eq!(get(server.addr, "/v2/health/live").status, 200);
}
