//! Every way a request can fail, mapped to its status code in one place ([`HttpError::status`])
//! and rendered in the error shape of the protocol that was spoken ([`Shape`]).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

use crate::score::plan::quote_names;

/// Why a request was refused or failed. Messages name the problem (the column, the row,
/// the line and column of bad JSON) so a client can fix it without reading our source.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("bad JSON: {0}")]
    Json(String),
    /// The body parsed but does not have the protocol's shape (wrong keys, wrong nesting).
    #[error("{0}")]
    Shape(String),
    #[error("no rows to score: {0}")]
    Empty(String),
    #[error("{}", columns_message(.missing, .extra))]
    Columns {
        missing: Vec<String>,
        extra: Vec<String>,
    },
    #[error("column `{0}` is given twice")]
    Duplicate(String),
    #[error("{row} has {got} values, expected {expected} (one per column)")]
    Width {
        row: String,
        got: usize,
        expected: usize,
    },
    #[error("column `{column}`, {row}: {problem}")]
    Cell {
        column: String,
        row: String,
        problem: String,
    },
    #[error("{0}")]
    Datatype(String),
    #[error("bad CSV: {0}")]
    Csv(String),
    /// The model refused the values (preprocessing found what it cannot transform).
    #[error("{0}")]
    Model(String),
    #[error("bad query: {0}")]
    Query(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("cannot read the request body: {0}")]
    BodyRead(String),
    #[error("no model `{0}` here")]
    UnknownModel(String),
    #[error("no endpoint {method} {path}")]
    NotFound { method: String, path: String },
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("a bearer token is required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("the server is busy ({limit} scoring requests in progress); retry shortly")]
    Busy { limit: usize },
    #[error("too many event streams open ({limit}); close one and retry")]
    TooManyStreams { limit: usize },
    #[error("the request took longer than the limit of {}", secs(.0))]
    Timeout(Duration),
    /// Something the request names is not here (an alert that left the ring, feedback
    /// when it is off).
    #[error("{0}")]
    Missing(String),
    #[error("internal error (a bug, please report it): {0}")]
    Internal(String),
}

fn columns_message(missing: &[String], extra: &[String]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing column(s) {}", quote_names(missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("unexpected column(s) {}", quote_names(extra)));
    }
    format!("the columns do not match the model's: {}", parts.join("; "))
}

fn secs(d: &Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        use HttpError::*;
        match self {
            Json(_)
            | Shape(_)
            | Empty(_)
            | Columns { .. }
            | Duplicate(_)
            | Width { .. }
            | Cell { .. }
            | Datatype(_)
            | Csv(_)
            | Model(_)
            | Query(_)
            | BodyRead(_) => StatusCode::BAD_REQUEST,
            UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UnknownModel(_) | NotFound { .. } | Missing(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Unauthorized => StatusCode::UNAUTHORIZED,
            // A server-side limit, not the client's fault: 503 tells a load balancer or a
            // client library to retry (408 would claim the client was too slow to send).
            Busy { .. } | TooManyStreams { .. } | Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn shaped(self, shape: Shape) -> ApiError {
        ApiError { shape, error: self }
    }
}

/// The error body a protocol's clients parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// MLflow's scoring server: `{"error_code": "BAD_REQUEST", "message": "..."}`.
    Mlflow,
    /// The Open Inference Protocol's `{"error": "..."}`, also used by the other endpoints.
    Plain,
}

impl Shape {
    /// The shape of an error produced before a handler ran (auth, limits, panics).
    pub fn for_path(path: &str) -> Shape {
        if path == "/invocations" {
            Shape::Mlflow
        } else {
            Shape::Plain
        }
    }
}

/// An error ready to be sent.
#[derive(Debug)]
pub struct ApiError {
    pub shape: Shape,
    pub error: HttpError,
}

/// MLflow's name (from its `databricks_pb2` error codes) for a status code.
fn mlflow_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::NOT_FOUND => "ENDPOINT_NOT_FOUND",
        StatusCode::PAYLOAD_TOO_LARGE => "REQUEST_LIMIT_EXCEEDED",
        StatusCode::SERVICE_UNAVAILABLE => "TEMPORARILY_UNAVAILABLE",
        StatusCode::INTERNAL_SERVER_ERROR => "INTERNAL_ERROR",
        _ => "BAD_REQUEST",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let message = self.error.to_string();
        let body = match self.shape {
            Shape::Mlflow => serde_json::json!({
                "error_code": mlflow_code(status),
                "message": message,
            }),
            Shape::Plain => serde_json::json!({ "error": message }),
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match self.error {
            HttpError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            HttpError::Busy { .. } | HttpError::TooManyStreams { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_mismatch_names_every_column() {
        let e = HttpError::Columns {
            missing: vec!["a".into()],
            extra: vec!["x".into(), "y".into()],
        };
        assert_eq!(
            e.to_string(),
            "the columns do not match the model's: missing column(s) `a`; unexpected column(s) `x`, `y`"
        );
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn mlflow_shape_carries_an_error_code() {
        let r = HttpError::TooLarge { limit: 10 }
            .shaped(Shape::Mlflow)
            .into_response();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let r = HttpError::Unauthorized.shaped(Shape::Plain).into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
