//! The Open Inference Protocol v2 (KServe, Seldon MLServer, Triton): health, server and
//! model metadata, and inference with JSON tensors. Errors are `{"error": "..."}`.
//!
//! An inference request may send the model's columns either as one tensor per column
//! (named as the column, shape `[N]` or `[N, 1]`, `BYTES` for text columns) or, for a
//! model without text columns, as one `[N, columns]` numeric tensor in the model's column
//! order (the order `GET /v2/models/{name}` lists). Tensor data is flat or nested,
//! row-major.

use std::fmt;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::{Value, json};

use super::error::{ApiError, HttpError, Shape};
use super::table::{Cell, Frame};
use super::{App, Scored};
use crate::models::Fitted;
use crate::score::Predictions;

pub async fn live() -> StatusCode {
    StatusCode::OK
}

/// The protocol's answer is the status alone: 200 ready, a 4xx not (yet).
pub async fn ready(State(app): State<Arc<App>>) -> StatusCode {
    if app.state.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

pub async fn server_metadata() -> Json<Value> {
    Json(json!({
        "name": "anomalab",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": [],
    }))
}

fn known(app: &App, name: &str) -> Result<(), ApiError> {
    if name == app.state.model.name {
        Ok(())
    } else {
        Err(HttpError::UnknownModel(name.to_string()).shaped(Shape::Plain))
    }
}

/// The model is loaded before the server starts: it is ready whenever it exists.
pub async fn model_ready(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    known(&app, &name).map(|()| StatusCode::OK)
}

pub async fn model_metadata(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    known(&app, &name)?;
    let inputs: Vec<Value> = app
        .scorer
        .header()
        .input_columns
        .iter()
        .map(|c| {
            let datatype = if c.categorical { "BYTES" } else { "FP64" };
            json!({ "name": c.name, "datatype": datatype, "shape": [-1] })
        })
        .collect();
    let outputs: Vec<Value> = outputs_of(&app)
        .iter()
        .map(|o| json!({ "name": o.name, "datatype": o.datatype, "shape": o.shape }))
        .collect();
    let m = &app.state.model;
    Ok(Json(json!({
        "name": m.name,
        "platform": "anomalab",
        "inputs": inputs,
        "outputs": outputs,
        "parameters": {
            "role": m.role,
            "algorithm": m.algorithm,
            "sha256": m.sha256,
            "class_names": app.scorer.header().class_names,
        },
    })))
}

/// One output tensor of the model: name, element type, shape (-1: the number of rows).
struct OutputSpec {
    name: &'static str,
    datatype: &'static str,
    shape: Vec<i64>,
}

/// `predict` (labels), `alert`, `score` (what alerts are ranked by), then per kind the
/// class probabilities (or raw class scores) or the cluster.
fn outputs_of(app: &App) -> Vec<OutputSpec> {
    let o = |name, datatype, shape: &[i64]| OutputSpec {
        name,
        datatype,
        shape: shape.to_vec(),
    };
    let mut out = vec![
        o("predict", "BYTES", &[-1]),
        o("alert", "BOOL", &[-1]),
        o("score", "FP64", &[-1]),
    ];
    let classes = app.scorer.header().class_names.len() as i64;
    match app.scorer.fitted() {
        Fitted::Classifier(m) if m.scores_are_probabilities() => {
            out.push(o("probabilities", "FP64", &[-1, classes]));
        }
        Fitted::Classifier(_) => out.push(o("class_scores", "FP64", &[-1, classes])),
        Fitted::Clusterer(_) => out.push(o("cluster", "INT64", &[-1])),
        Fitted::Detector(_) => {}
    }
    out
}

pub async fn infer(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    known(&app, &name)?;
    let answer = async {
        json_only(&headers)?;
        let body = super::body_bytes(body, app.config.max_body_bytes)?;
        app.blocking(move |app| {
            let req: InferRequest = super::parse_json(&body)?;
            let frame = req.frame(app)?;
            let scored = app.score(frame)?;
            let response = response(app, &req, &scored)?;
            serde_json::to_vec(&response).map_err(|e| HttpError::Internal(e.to_string()))
        })
        .await
    };
    match answer.await {
        Ok(json) => Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response()),
        Err(e) => Err(e.shaped(Shape::Plain)),
    }
}

/// Tensors come as JSON; the binary-data extension is not spoken.
fn json_only(headers: &HeaderMap) -> Result<(), HttpError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = v.to_str().unwrap_or("");
    let mime = text.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(HttpError::UnsupportedMediaType(format!(
            "Content-Type must be application/json, not `{text}` (binary tensor data is not \
             supported)"
        )))
    }
}

#[derive(Deserialize)]
struct InferRequest {
    id: Option<String>,
    #[serde(rename = "parameters")]
    _parameters: Option<IgnoredAny>,
    inputs: Vec<Tensor>,
    outputs: Option<Vec<RequestedOutput>>,
}

#[derive(Deserialize)]
struct Tensor {
    name: String,
    shape: Vec<u64>,
    datatype: String,
    #[serde(rename = "parameters")]
    _parameters: Option<IgnoredAny>,
    data: Flat,
}

#[derive(Deserialize)]
struct RequestedOutput {
    name: String,
    #[serde(rename = "parameters")]
    _parameters: Option<IgnoredAny>,
}

impl InferRequest {
    /// The columns of the request, by convention: one tensor per column, or one
    /// `[N, columns]` tensor for the model's columns in order.
    fn frame(&self, app: &App) -> Result<Frame, HttpError> {
        let columns = &app.scorer.header().input_columns;
        let is_column = |n: &str| columns.iter().any(|c| c.name == n);
        match self.inputs.as_slice() {
            [] => Err(HttpError::Empty("no input tensors were sent".into())),
            [t] if t.shape.len() == 2 && !is_column(&t.name) => t.matrix(app),
            tensors => {
                let mut out = Vec::with_capacity(tensors.len());
                for t in tensors {
                    let text = columns
                        .iter()
                        .find(|c| c.name == t.name)
                        .map(|c| c.categorical);
                    out.push((t.name.clone(), t.column(text)?));
                }
                Frame::from_columns(out)
            }
        }
    }
}

/// A tensor's element type, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    Bool,
    Int { unsigned: bool },
    Float,
    Bytes,
}

fn dtype(s: &str) -> Result<Dtype, HttpError> {
    Ok(match s {
        "BOOL" => Dtype::Bool,
        "UINT8" | "UINT16" | "UINT32" | "UINT64" => Dtype::Int { unsigned: true },
        "INT8" | "INT16" | "INT32" | "INT64" => Dtype::Int { unsigned: false },
        "FP16" | "FP32" | "FP64" => Dtype::Float,
        "BYTES" => Dtype::Bytes,
        _ => {
            return Err(HttpError::Datatype(format!(
                "unknown datatype `{s}`: one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, \
                 INT16, INT32, INT64, FP16, FP32, FP64, BYTES"
            )));
        }
    })
}

impl Tensor {
    /// Check the elements against the declared datatype and the shape; null stands for
    /// a missing value in any type.
    fn checked(&self) -> Result<(Dtype, &[Cell]), HttpError> {
        let dt = dtype(&self.datatype)?;
        let cells = self.data.0.as_slice();
        // Checked: a shape is the client's, and its product may not fit.
        let elements = self.shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        if elements != Some(cells.len() as u64) {
            return Err(HttpError::Shape(format!(
                "input `{}` has shape {:?} but {} values",
                self.name,
                self.shape,
                cells.len()
            )));
        }
        for (i, c) in cells.iter().enumerate() {
            let fits = match (dt, c) {
                (_, Cell::Null) | (Dtype::Float, Cell::Num(_)) | (Dtype::Bool, Cell::Bool(_)) => {
                    true
                }
                (Dtype::Bytes, Cell::Text(_)) => true,
                (Dtype::Int { unsigned }, Cell::Num(x)) => {
                    x.fract() == 0.0 && (!unsigned || *x >= 0.0)
                }
                _ => false,
            };
            if !fits {
                let what = match c {
                    Cell::Num(x) => format!("{x}"),
                    other => other.kind().to_string(),
                };
                return Err(HttpError::Datatype(format!(
                    "input `{}` is {} but element {i} (from 0, row-major) is {what}",
                    self.name, self.datatype
                )));
            }
        }
        Ok((dt, cells))
    }

    /// The values of one column; `text` says whether the model reads it as text (None:
    /// not a model column, reported with the other unexpected columns).
    fn column(&self, text: Option<bool>) -> Result<Vec<Cell>, HttpError> {
        if !matches!(self.shape.as_slice(), [_] | [_, 1]) {
            return Err(HttpError::Shape(format!(
                "input `{}` has shape {:?}: a column is [N] or [N, 1]",
                self.name, self.shape
            )));
        }
        let (dt, cells) = self.checked()?;
        match (text, dt) {
            (Some(true), Dtype::Bytes)
            | (Some(false), Dtype::Bool | Dtype::Int { .. } | Dtype::Float)
            | (None, _) => {}
            (Some(true), _) => {
                return Err(HttpError::Datatype(format!(
                    "input `{}` is a text column of the model: its datatype is BYTES, not {}",
                    self.name, self.datatype
                )));
            }
            (Some(false), _) => {
                return Err(HttpError::Datatype(format!(
                    "input `{}` is a numeric column of the model: its datatype is FP64 (or \
                     another number type), not BYTES",
                    self.name
                )));
            }
        }
        Ok(cells.to_vec())
    }

    /// A `[N, columns]` tensor of the model's columns in order.
    fn matrix(&self, app: &App) -> Result<Frame, HttpError> {
        let columns = &app.scorer.header().input_columns;
        let text: Vec<&str> = columns
            .iter()
            .filter(|c| c.categorical)
            .map(|c| c.name.as_str())
            .collect();
        if !text.is_empty() {
            return Err(HttpError::Shape(format!(
                "input `{}` is a [N, columns] tensor, but the model has text columns ({}): \
                 send one tensor per column, named as the column",
                self.name,
                text.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let width = self.shape[1] as usize;
        if width != columns.len() {
            return Err(HttpError::Shape(format!(
                "input `{}` has shape {:?}: the model has {} input columns, so [N, {}] (or \
                 one tensor per column)",
                self.name,
                self.shape,
                columns.len(),
                columns.len()
            )));
        }
        let (dt, cells) = self.checked()?;
        if dt == Dtype::Bytes {
            return Err(HttpError::Datatype(format!(
                "input `{}`: a [N, columns] tensor holds numbers, not BYTES",
                self.name
            )));
        }
        let names = columns.iter().map(|c| c.name.clone()).collect();
        let rows = cells.chunks(width.max(1)).map(<[Cell]>::to_vec).collect();
        Frame::from_rows(names, rows)
    }
}

/// Tensor data, flat or nested, flattened in row-major order.
struct Flat(Vec<Cell>);

impl<'de> Deserialize<'de> for Flat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut cells = Vec::new();
        d.deserialize_seq(Flatten(&mut cells))?;
        Ok(Flat(cells))
    }
}

/// Appends every element of a (nested) array to the vector.
struct Flatten<'a>(&'a mut Vec<Cell>);

impl<'de> DeserializeSeed<'de> for Flatten<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Flatten<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array (possibly nested) of numbers, strings, booleans or null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Flatten(&mut *self.0))?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.push(Cell::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.push(Cell::Num(v as f64));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.push(Cell::Num(v as f64));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.push(Cell::Num(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.push(Cell::Text(v.to_string()));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push(Cell::Null);
        Ok(())
    }
}

/// The inference response: the requested outputs (all by default) in the order asked.
fn response(app: &App, req: &InferRequest, s: &Scored) -> Result<Value, HttpError> {
    let specs = outputs_of(app);
    let wanted: Vec<&str> = match &req.outputs {
        Some(list) => list.iter().map(|o| o.name.as_str()).collect(),
        None => specs.iter().map(|o| o.name).collect(),
    };
    let mut outputs = Vec::with_capacity(wanted.len());
    for name in wanted {
        let Some(spec) = specs.iter().find(|o| o.name == name) else {
            let names: Vec<&str> = specs.iter().map(|o| o.name).collect();
            return Err(HttpError::Shape(format!(
                "unknown output `{name}`: this model has {}",
                names.join(", ")
            )));
        };
        outputs.push(output(spec, s));
    }
    let mut r = json!({ "model_name": app.state.model.name, "outputs": outputs });
    if let Some(id) = &req.id {
        r["id"] = id.clone().into();
    }
    if let Predictions::Anomalies(a) = &s.predictions
        && a.threshold.is_finite()
    {
        r["parameters"] = json!({ "threshold": a.threshold });
    }
    Ok(r)
}

fn output(spec: &OutputSpec, s: &Scored) -> Value {
    let n = s.verdicts.len();
    let (shape, data): (Vec<usize>, Value) = match (spec.name, &s.predictions) {
        ("predict", _) => (
            vec![n],
            s.verdicts.iter().map(|v| v.label.as_str()).collect(),
        ),
        ("alert", _) => (vec![n], s.verdicts.iter().map(|v| v.alert).collect()),
        ("score", _) => (vec![n], s.verdicts.iter().map(|v| v.score).collect()),
        ("cluster", Predictions::Clusters(c)) => (vec![n], c.clusters.iter().copied().collect()),
        (_, Predictions::Classes(c)) => {
            let (rows, cols) = c.scores.dim();
            (vec![rows, cols], c.scores.iter().copied().collect())
        }
        _ => (vec![0], Value::Array(Vec::new())),
    };
    json!({ "name": spec.name, "datatype": spec.datatype, "shape": shape, "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(json: &str) -> Tensor {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn nested_and_flat_data_read_alike() {
        let flat = tensor(r#"{"name":"x","shape":[2,2],"datatype":"FP64","data":[1,2,3,4]}"#);
        let nested =
            tensor(r#"{"name":"x","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4.5]]}"#);
        assert_eq!(flat.data.0.len(), 4);
        assert_eq!(nested.data.0[3], Cell::Num(4.5));
        assert!(nested.checked().is_ok());
    }

    #[test]
    fn datatypes_and_shapes_are_checked() {
        let err =
            |json: &str, text: Option<bool>| tensor(json).column(text).unwrap_err().to_string();
        let e = err(
            r#"{"name":"a","shape":[2],"datatype":"FP64","data":[1,"x"]}"#,
            Some(false),
        );
        assert_eq!(
            e,
            "input `a` is FP64 but element 1 (from 0, row-major) is a string"
        );
        let e = err(
            r#"{"name":"a","shape":[2],"datatype":"INT32","data":[1,1.5]}"#,
            Some(false),
        );
        assert_eq!(
            e,
            "input `a` is INT32 but element 1 (from 0, row-major) is 1.5"
        );
        let e = err(
            r#"{"name":"a","shape":[3],"datatype":"FP64","data":[1,2]}"#,
            Some(false),
        );
        assert_eq!(e, "input `a` has shape [3] but 2 values");
        let huge = r#"{"name":"a","shape":[18446744073709551615,3],"datatype":"FP64","data":[1]}"#;
        let e = tensor(huge).checked().unwrap_err().to_string();
        assert!(e.ends_with("but 1 values"), "{e}");
        let e = err(
            r#"{"name":"a","shape":[1,2],"datatype":"FP64","data":[1,2]}"#,
            Some(false),
        );
        assert!(e.contains("a column is [N] or [N, 1]"), "{e}");
        let e = err(
            r#"{"name":"a","shape":[1],"datatype":"FLOAT","data":[1]}"#,
            Some(false),
        );
        assert!(e.starts_with("unknown datatype `FLOAT`"), "{e}");
        let e = err(
            r#"{"name":"p","shape":[1],"datatype":"FP64","data":[6]}"#,
            Some(true),
        );
        assert!(
            e.contains("text column of the model: its datatype is BYTES"),
            "{e}"
        );
        let e = err(
            r#"{"name":"a","shape":[1],"datatype":"BYTES","data":["1"]}"#,
            Some(false),
        );
        assert!(e.contains("numeric column of the model"), "{e}");
        let ok = tensor(r#"{"name":"a","shape":[2,1],"datatype":"UINT8","data":[[1],[null]]}"#);
        assert_eq!(
            ok.column(Some(false)).unwrap(),
            vec![Cell::Num(1.0), Cell::Null]
        );
    }
}
