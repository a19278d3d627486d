//! The live dashboard at `/` and the endpoints only it uses: the overview figures, the
//! model card, one alert with its flow's values, and analyst feedback.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::error::{ApiError, HttpError, Shape};
use crate::serve::feedback::{Feedback, FeedbackError, Verdict, check_label};

/// The page: one file with its styles and script, no request beyond this origin.
const PAGE: &str = include_str!("dashboard.html");

/// Largest feedback body accepted (a sequence number, a verdict and a short label).
pub const MAX_FEEDBACK_BYTES: usize = 4096;

type Answer = Result<Response, ApiError>;

fn plain(e: HttpError) -> ApiError {
    e.shaped(Shape::Plain)
}

/// `GET /`: the dashboard.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page's own inline script and style only; every fetch to this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
            ),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /api/overview`: what is happening now.
pub async fn overview(State(app): State<Arc<App>>) -> Json<Value> {
    let c = app.state.metrics.counters();
    let evicted = app.state.metrics.expired_count("evicted");
    let loss = if c.packets_received == 0 {
        0.0
    } else {
        100.0 * c.packets_dropped as f64 / c.packets_received as f64
    };
    let o = app.state.overview();
    let tops = |list: &[(String, u64)]| -> Vec<Value> {
        list.iter()
            .map(|(k, n)| json!({"key": k, "count": n}))
            .collect()
    };
    let minutes: Vec<Value> = o
        .per_minute
        .iter()
        .map(|(m, n)| json!({"minute": m, "count": n}))
        .collect();
    Json(json!({
        "uptime_s": app.state.uptime_s(),
        "model": app.state.model.name,
        "counters": {
            "packets_received": c.packets_received,
            "packets_dropped": c.packets_dropped,
            "flows_active": c.flows_active,
            "flows_scored": c.flows_scored,
            "flows_evicted": evicted,
            "alerts": c.alerts,
            "alerts_suppressed": c.alerts_suppressed,
            "capture_loss_pct": loss,
        },
        "rates": {"packets_per_s": o.packets_per_s, "flows_per_s": o.flows_per_s},
        "alerts_per_minute": minutes,
        "top_sources": tops(&o.top_sources),
        "top_destinations": tops(&o.top_destinations),
        "top_ports": tops(&o.top_ports),
    }))
}

/// `GET /api/model`: the model card.
pub async fn model(State(app): State<Arc<App>>) -> Json<Value> {
    let h = app.scorer.header();
    let m = &app.state.model;
    Json(json!({
        "name": m.name,
        "experiment": h.experiment,
        "role": m.role,
        "algorithm": h.algorithm,
        "backend": h.backend,
        "params": h.params,
        "metrics": h.metrics,
        "selection_metric": h.selection_metric,
        "class_names": h.class_names,
        "input_columns": h.input_columns,
        "threshold": h.threshold,
        "sha256": m.sha256,
        "trial": h.trial_label,
        "tool_version": h.tool_version,
        "trained_with": h.dataset,
    }))
}

/// `GET /api/alerts/{seq}`: one alert and every value the model saw for its flow.
pub async fn alert(State(app): State<Arc<App>>, Path(seq): Path<String>) -> Answer {
    let seq: u64 = seq
        .parse()
        .map_err(|_| plain(HttpError::Query(format!("`{seq}` is not an alert number"))))?;
    let a = app.state.alerts.get(seq).ok_or_else(|| {
        plain(HttpError::Missing(format!(
            "alert {seq} is not in the ring of recent alerts (it holds the last ones only)"
        )))
    })?;
    let eve: Value = serde_json::from_str(&a.json).unwrap_or(Value::Null);
    let features = Value::Object(a.features.to_json());
    Ok(Json(json!({"seq": seq, "alert": eve, "features": features})).into_response())
}

/// What the page posts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackRequest {
    seq: u64,
    verdict: Verdict,
    #[serde(default)]
    label: Option<String>,
}

/// `POST /api/feedback`: an analyst's verdict on an alert, appended to the feedback file.
pub async fn add_feedback(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let body = super::body_bytes(body, MAX_FEEDBACK_BYTES).map_err(plain)?;
    if body.len() > MAX_FEEDBACK_BYTES {
        return Err(plain(HttpError::TooLarge {
            limit: MAX_FEEDBACK_BYTES,
        }));
    }
    let req: FeedbackRequest = super::parse_json(&body).map_err(plain)?;
    let record = feedback_record(&app, req).map_err(plain)?;
    let stored = app
        .feedback
        .add(record)
        .map_err(|e| plain(feedback_error(e)))?;
    let mut v = serde_json::to_value(&stored).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("features");
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

fn feedback_record(app: &App, req: FeedbackRequest) -> Result<Feedback, HttpError> {
    if !app.feedback.is_on() {
        return Err(feedback_error(FeedbackError::Off));
    }
    let label = req
        .label
        .filter(|l| !l.trim().is_empty())
        .map(|l| check_label(&l))
        .transpose()
        .map_err(feedback_error)?;
    let a = app.state.alerts.get(req.seq).ok_or_else(|| {
        HttpError::Missing(format!(
            "alert {} is not in the ring of recent alerts",
            req.seq
        ))
    })?;
    let eve: Value = serde_json::from_str(&a.json).unwrap_or(Value::Null);
    let features = a.features.to_json();
    Ok(Feedback {
        seq: req.seq,
        verdict: req.verdict,
        label,
        time: crate::serve::eve::timestamp(now_us()),
        alert_label: a.label.clone(),
        src_ip: a.src.to_string(),
        dest_ip: a.dest.to_string(),
        flow_id: eve["flow_id"].as_u64().unwrap_or(0),
        features,
    })
}

fn feedback_error(e: FeedbackError) -> HttpError {
    match e {
        FeedbackError::Off => HttpError::Missing(e.to_string()),
        FeedbackError::Invalid(m) => HttpError::Shape(m),
        FeedbackError::Io { .. } => HttpError::Internal(e.to_string()),
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// `GET /api/feedback`: every piece of feedback (without the flows' values).
pub async fn list_feedback(State(app): State<Arc<App>>) -> Json<Value> {
    let items: Vec<Value> = app
        .feedback
        .all()
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.remove("features");
            }
            v
        })
        .collect();
    Json(json!({"enabled": app.feedback.is_on(), "feedback": items}))
}

/// `GET /api/feedback.csv`: the feedback as training rows (the model's input columns and
/// `label`), for a spec with `source: csv`.
pub async fn feedback_csv(State(app): State<Arc<App>>) -> Response {
    let h = app.scorer.header();
    let columns: Vec<String> = h.input_columns.iter().map(|c| c.name.clone()).collect();
    let normal = app
        .rule
        .normal
        .and_then(|i| h.class_names.get(i as usize))
        .map_or("normal", String::as_str);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"anomalab-feedback.csv\"",
            ),
        ],
        app.feedback.csv(&columns, normal),
    )
        .into_response()
}
