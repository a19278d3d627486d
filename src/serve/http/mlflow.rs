//! MLflow's scoring protocol (`mlflow models serve`): `POST /invocations` with a JSON body
//! holding exactly one of `dataframe_split`, `dataframe_records`, `instances` or `inputs`,
//! or a CSV body (`Content-Type: text/csv`, header line first). The answer is
//! `{"predictions": [...]}`, one record per row; errors are
//! `{"error_code": "BAD_REQUEST", "message": "..."}`.

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use super::error::{ApiError, HttpError, Shape};
use super::table::{Cell, Frame, Record};
use super::{App, Scored};
use crate::score::{ClassScoreKind, Predictions};

pub async fn invocations(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let answer = async {
        let media = media_type(headers.get(header::CONTENT_TYPE))?;
        let body = super::body_bytes(body, app.config.max_body_bytes)?;
        app.blocking(move |app| {
            let scored = app.score(frame(media, &body)?)?;
            serde_json::to_vec(&json!({ "predictions": records(&scored) }))
                .map_err(|e| HttpError::Internal(e.to_string()))
        })
        .await
    };
    match answer.await {
        Ok(json) => Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response()),
        Err(e) => Err(e.shaped(Shape::Mlflow)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Json,
    Csv,
}

/// The body's format from its `Content-Type`, refused (415) as MLflow refuses it: another
/// type, a charset other than UTF-8, or a parameter such as MLflow 1's `format=`.
fn media_type(value: Option<&axum::http::HeaderValue>) -> Result<Media, HttpError> {
    // No Content-Type at all: JSON, the protocol's usual body.
    let Some(value) = value else {
        return Ok(Media::Json);
    };
    let text = value.to_str().unwrap_or("");
    let mut parts = text.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    for p in parts.filter(|p| !p.is_empty()) {
        let (key, val) = p.split_once('=').unwrap_or((p, ""));
        let val = val.trim_matches('"');
        if key.trim().eq_ignore_ascii_case("charset") {
            if !val.eq_ignore_ascii_case("utf-8") {
                return Err(HttpError::UnsupportedMediaType(format!(
                    "only UTF-8 bodies are read (Content-Type has charset={val})"
                )));
            }
        } else {
            return Err(HttpError::UnsupportedMediaType(format!(
                "unknown Content-Type parameter `{}`: since MLflow 2.0 the layout of the \
                 data is a key of the JSON body (dataframe_split, dataframe_records, \
                 instances, inputs), not a parameter",
                key.trim()
            )));
        }
    }
    match mime.as_str() {
        "application/json" => Ok(Media::Json),
        "text/csv" => Ok(Media::Csv),
        _ => Err(HttpError::UnsupportedMediaType(format!(
            "Content-Type must be application/json or text/csv, not `{text}` (curl -d sends \
             application/x-www-form-urlencoded unless told otherwise)"
        ))),
    }
}

/// The four JSON layouts MLflow accepts; exactly one must be given (`params` is ignored:
/// the model takes none).
#[derive(Deserialize)]
struct Request {
    dataframe_split: Option<Split>,
    dataframe_records: Option<Vec<Record>>,
    instances: Option<Tf>,
    inputs: Option<Tf>,
    #[serde(rename = "params")]
    _params: Option<IgnoredAny>,
}

/// pandas' `split` orientation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Split {
    columns: Vec<String>,
    data: Vec<Vec<Cell>>,
    #[serde(rename = "index")]
    _index: Option<IgnoredAny>,
}

/// TensorFlow Serving's layouts as MLflow reads them for a table: a list of records, or
/// an object of column name to values.
enum Tf {
    Records(Vec<Record>),
    Columns(Vec<(String, Vec<Cell>)>),
}

impl<'de> Deserialize<'de> for Tf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TfVisitor)
    }
}

struct TfVisitor;

impl<'de> Visitor<'de> for TfVisitor {
    type Value = Tf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a list of records (objects of column name to value) or an object of column \
             name to a list of values",
        )
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tf, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some(r) = seq.next_element::<Record>()? {
            records.push(r);
        }
        Ok(Tf::Records(records))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tf, A::Error> {
        let mut columns = Vec::new();
        while let Some(entry) = map.next_entry::<String, Vec<Cell>>()? {
            columns.push(entry);
        }
        Ok(Tf::Columns(columns))
    }
}

/// The rows of a body, as sent.
fn frame(media: Media, body: &[u8]) -> Result<Frame, HttpError> {
    if media == Media::Csv {
        let text = std::str::from_utf8(body)
            .map_err(|e| HttpError::Csv(format!("the body is not UTF-8: {e}")))?;
        return Frame::from_csv(text);
    }
    let r: Request = super::parse_json(body)?;
    let tf = match (r.instances, r.inputs) {
        (Some(t), None) | (None, Some(t)) => Some(t),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(one_key()),
    };
    match (r.dataframe_split, r.dataframe_records, tf) {
        (Some(s), None, None) => Frame::from_rows(s.columns, s.data),
        (None, Some(records), None) | (None, None, Some(Tf::Records(records))) => {
            Frame::from_records(records)
        }
        (None, None, Some(Tf::Columns(columns))) => Frame::from_columns(columns),
        _ => Err(one_key()),
    }
}

fn one_key() -> HttpError {
    HttpError::Shape(
        "the body must be a JSON object with exactly one of the keys dataframe_split, \
         dataframe_records, instances, inputs"
            .into(),
    )
}

/// One record per row: `prediction` and `alert`, then the columns `anomalab predict`
/// prints for the model's kind (`p_<class>` or `score_<class>` per class; `anomaly_score`
/// and `threshold`; `cluster` and `anomaly_score`), so the API and the CLI agree.
fn records(s: &Scored) -> Vec<Value> {
    let mut out = Vec::with_capacity(s.verdicts.len());
    for (i, v) in s.verdicts.iter().enumerate() {
        let mut r = Map::new();
        r.insert("prediction".into(), v.label.clone().into());
        r.insert("alert".into(), v.alert.into());
        match &s.predictions {
            Predictions::Classes(c) => {
                let prefix = match c.score_kind {
                    ClassScoreKind::Probability => "p",
                    ClassScoreKind::Score => "score",
                };
                for (name, p) in c.class_names.iter().zip(c.scores.row(i)) {
                    r.insert(format!("{prefix}_{name}"), (*p).into());
                }
            }
            Predictions::Anomalies(a) => {
                r.insert("anomaly_score".into(), a.scores[i].into());
                r.insert("threshold".into(), a.threshold.into());
            }
            Predictions::Clusters(c) => {
                r.insert("cluster".into(), c.clusters[i].into());
                r.insert("anomaly_score".into(), c.scores[i].into());
            }
        }
        out.push(Value::Object(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn media(v: &str) -> Result<Media, HttpError> {
        media_type(Some(&HeaderValue::from_str(v).unwrap()))
    }

    #[test]
    fn content_types_as_mlflow_reads_them() {
        assert_eq!(media("application/json").unwrap(), Media::Json);
        assert_eq!(
            media("Application/JSON; charset=UTF-8").unwrap(),
            Media::Json
        );
        assert_eq!(media("text/csv").unwrap(), Media::Csv);
        assert_eq!(media_type(None).unwrap(), Media::Json);
        let e = media("application/json; format=pandas-split").unwrap_err();
        assert!(e.to_string().contains("`format`"), "{e}");
        assert!(media("text/csv; charset=latin-1").is_err());
        let e = media("application/x-www-form-urlencoded").unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn every_layout_gives_the_same_frame() {
        let split = r#"{"dataframe_split": {"index": [7, 8], "columns": ["a", "b"], "data": [[1, "x"], [2.5, null]]}}"#;
        let records = r#"{"dataframe_records": [{"a": 1, "b": "x"}, {"b": null, "a": 2.5}]}"#;
        let instances = r#"{"instances": [{"a": 1, "b": "x"}, {"a": 2.5, "b": null}]}"#;
        let inputs = r#"{"inputs": {"a": [1, 2.5], "b": ["x", null]}, "params": {"k": 1}}"#;
        let csv = "a,b\n1,x\n2.5,\n";
        let want = frame(Media::Json, split.as_bytes()).unwrap();
        assert_eq!(want.columns[1], vec![Cell::Text("x".into()), Cell::Null]);
        for body in [records, instances, inputs] {
            assert_eq!(frame(Media::Json, body.as_bytes()).unwrap(), want, "{body}");
        }
        let from_csv = frame(Media::Csv, csv.as_bytes()).unwrap();
        assert_eq!(from_csv.names, want.names);
        assert_eq!(
            from_csv.columns[0],
            vec![Cell::Text("1".into()), Cell::Text("2.5".into())]
        );
    }

    #[test]
    fn malformed_bodies_are_named() {
        let err = |body: &str| frame(Media::Json, body.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"dataframe_split": {"columns": ["a"], "data": [[1,]]}}"#),
            "bad JSON: trailing comma at line 1 column 52"
        );
        assert!(err("{}").contains("exactly one of the keys"));
        assert!(err(r#"{"inputs": {"a": [1]}, "instances": []}"#).contains("exactly one"));
        let e = err(r#"{"dataframe_split": {"columns": ["a"], "dat": [[1]]}}"#);
        assert!(e.contains("unknown field `dat`"), "{e}");
        let e = err(r#"{"instances": [[1, 2]]}"#);
        assert!(
            e.contains("expected an object of column name to value"),
            "{e}"
        );
        assert_eq!(err("[1, 2]"), "the body must be a JSON object ({...})");
        let e = err(r#"{"dataframe_split": {"columns": ["a"], "data": [[[1]]]}}"#);
        assert!(
            e.contains("expected a number, a string, a boolean or null"),
            "{e}"
        );
    }
}
