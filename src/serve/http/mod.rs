//! The HTTP API of `anomalab serve` (axum on tokio): MLflow's scoring protocol, the Open
//! Inference Protocol v2, Prometheus metrics, recent alerts and a server-sent event stream.
//! docs/serve-api.md describes every endpoint for clients.
//!
//! For the caller (the `serve` command):
//!
//! ```text
//! let config = HttpConfig { addr, token, ..HttpConfig::default() };
//! config.check()?;                                   // non-loopback without a token: refused
//! let app = Arc::new(App::new(scorer, state, rule, config));
//! let listener = tokio::net::TcpListener::bind(addr).await?;
//! http::serve(listener, app, shutdown_future).await?; // returns once drained
//! ```
//!
//! Files: `mlflow.rs` (`POST /invocations`), `oip.rs` (`/v2/...`), `ops.rs` (`/metrics`,
//! `/alerts`, `/events`), `table.rs` (what a client sent -> the model's [`Table`]),
//! `guard.rs` (token, limits, panics, request counters), `metrics.rs` (the HTTP counters),
//! `error.rs` (every failure and its status code).
//!
//! Where the time goes: parsing a body, typing it against the model and scoring run on
//! tokio's blocking pool ([`App::blocking`]), at most one job per core at a time, so the
//! reactor only moves bytes and the detector's threads keep their cores.

mod dashboard;
mod error;
mod guard;
mod metrics;
mod mlflow;
mod oip;
mod ops;
mod table;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use thiserror::Error;
use tokio::sync::{Semaphore, watch};

pub use error::{ApiError, HttpError, Shape};
pub use metrics::HttpMetrics;
pub use table::{Cell, Frame, ModelColumns};

use super::eve::Verdict;
use super::feedback::FeedbackStore;
use super::state::ServeState;
use super::verdict::AlertRule;
use crate::data::Table;
use crate::score::{Predictions, Scorer};

/// How the server listens and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub addr: SocketAddr,
    /// Bearer token every endpoint but `/v2/health/live` requires (when set).
    pub token: Option<String>,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Longest a request may take, body upload included (503 beyond).
    pub request_timeout: Duration,
    /// Scoring requests admitted at once (503 beyond); also bounds the memory held by
    /// request bodies to `max_concurrency * max_body_bytes`.
    pub max_concurrency: usize,
    /// How often `/events` sends the counters.
    pub events_interval: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrency: 64,
            events_interval: Duration::from_secs(2),
        }
    }
}

/// A configuration that must not be served.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "--http {0}: not a loopback address, and without a token anyone who can reach it \
         could use the API\n  = help: pass --token-file FILE (clients then send \
         `Authorization: Bearer <token>`), or listen on 127.0.0.1"
    )]
    NoToken(SocketAddr),
    #[error("the token is empty (an empty --token-file?)")]
    EmptyToken,
    #[error("the HTTP limit {0} must be above zero")]
    ZeroLimit(&'static str),
}

impl HttpConfig {
    pub fn check(&self) -> Result<(), ConfigError> {
        match &self.token {
            None if !self.addr.ip().is_loopback() => return Err(ConfigError::NoToken(self.addr)),
            Some(t) if t.trim().is_empty() => return Err(ConfigError::EmptyToken),
            _ => {}
        }
        let zero = [
            ("max_body_bytes", self.max_body_bytes == 0),
            ("max_concurrency", self.max_concurrency == 0),
            ("request_timeout", self.request_timeout.is_zero()),
            ("events_interval", self.events_interval.is_zero()),
        ];
        match zero.iter().find(|(_, z)| *z) {
            Some((name, _)) => Err(ConfigError::ZeroLimit(name)),
            None => Ok(()),
        }
    }
}

/// Everything the handlers share.
pub struct App {
    pub scorer: Arc<Scorer>,
    pub state: Arc<ServeState>,
    pub rule: AlertRule,
    pub config: HttpConfig,
    pub http: HttpMetrics,
    /// Analyst feedback (off unless [`App::with_feedback`] gives a store with a file).
    pub feedback: Arc<FeedbackStore>,
    columns: ModelColumns,
    /// Admission: scoring requests in progress (`max_concurrency`).
    admission: Semaphore,
    /// Scoring jobs running on the blocking pool (one per core): the rest wait in order.
    cpu: Arc<Semaphore>,
    /// Open `/events` streams.
    streams: Arc<Semaphore>,
    /// Set when the server shuts down, so that event streams end and the drain finishes.
    stopping: watch::Sender<bool>,
}

/// Most `/events` streams open at once (each holds a connection and a subscription).
pub const MAX_EVENT_STREAMS: usize = 64;

impl App {
    pub fn new(
        scorer: Arc<Scorer>,
        state: Arc<ServeState>,
        rule: AlertRule,
        config: HttpConfig,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        App {
            columns: ModelColumns::of(&scorer),
            admission: Semaphore::new(config.max_concurrency),
            cpu: Arc::new(Semaphore::new(cores.min(config.max_concurrency).max(1))),
            streams: Arc::new(Semaphore::new(MAX_EVENT_STREAMS)),
            stopping: watch::channel(false).0,
            http: HttpMetrics::default(),
            feedback: Arc::new(FeedbackStore::open(None).expect("no file to read")),
            scorer,
            state,
            rule,
            config,
        }
    }

    /// Keep analyst feedback in `store` (`--feedback FILE`).
    pub fn with_feedback(mut self, store: FeedbackStore) -> Self {
        self.feedback = Arc::new(store);
        self
    }

    /// Run `job` on the blocking pool once a core is free. The job keeps its slot until it
    /// ends, also when the client gave up (a timeout cannot stop a running computation), so
    /// the number of cores busy with requests stays bounded.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        job: impl FnOnce(&App) -> Result<T, HttpError> + Send + 'static,
    ) -> Result<T, HttpError> {
        let slot = self.cpu.clone().acquire_owned().await;
        let slot = slot.map_err(|e| HttpError::Internal(e.to_string()))?;
        let app = Arc::clone(self);
        let done = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            job(&app)
        })
        .await;
        done.map_err(|e| match e.try_into_panic() {
            Ok(panic) => HttpError::Internal(guard::panic_message(&*panic)),
            Err(e) => HttpError::Internal(e.to_string()),
        })?
    }

    /// Type `frame` against the model's columns and score it (on a blocking thread).
    fn score(&self, frame: Frame) -> Result<Scored, HttpError> {
        let table: Table = frame.into_table(&self.columns)?;
        let scored = self
            .scorer
            .score_table("the request", &table, &[])
            .map_err(|e| HttpError::Model(e.to_string()))?;
        self.http.count_rows(scored.predictions.len());
        let verdicts = self.rule.verdicts(&scored.predictions);
        Ok(Scored {
            predictions: scored.predictions,
            verdicts,
        })
    }
}

/// The request body, or why it could not be read (413 past the limit).
fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, HttpError> {
    use axum::extract::rejection::FailedToBufferBody;
    match body {
        Ok(b) => Ok(b),
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            Err(HttpError::TooLarge { limit })
        }
        Err(e) => Err(HttpError::BodyRead(e.body_text())),
    }
}

/// Parse a JSON body: a syntax error is bad JSON, a value of the wrong shape is named as
/// such; both say where (line and column).
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    // serde reads a struct from an array too (fields by position): refuse that up front.
    if body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b != b'{')
    {
        return Err(HttpError::Shape(
            "the body must be a JSON object ({...})".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            HttpError::Shape(format!("the body does not have the expected shape: {e}"))
        }
        _ => HttpError::Json(e.to_string()),
    })
}

/// One request's predictions and their verdicts (label, alert, score).
struct Scored {
    predictions: Predictions,
    verdicts: Vec<Verdict>,
}

/// Every endpoint, with the limits, the token check, panic containment and the request
/// counters around them.
pub fn router(app: Arc<App>) -> Router {
    let scoring = Router::new()
        .route("/invocations", post(mlflow::invocations))
        .route("/v2/models/{name}/infer", post(oip::infer))
        .route_layer(from_fn_with_state(app.clone(), guard::admit));
    let quick = Router::new()
        .route("/v2", get(oip::server_metadata))
        .route("/v2/health/live", get(oip::live))
        .route("/v2/health/ready", get(oip::ready))
        .route("/v2/models/{name}", get(oip::model_metadata))
        .route("/v2/models/{name}/ready", get(oip::model_ready))
        .route("/metrics", get(ops::metrics))
        .route("/alerts", get(ops::alerts))
        .route("/", get(dashboard::page))
        .route("/api/overview", get(dashboard::overview))
        .route("/api/model", get(dashboard::model))
        .route("/api/alerts/{seq}", get(dashboard::alert))
        .route(
            "/api/feedback",
            get(dashboard::list_feedback).post(dashboard::add_feedback),
        )
        .route("/api/feedback.csv", get(dashboard::feedback_csv));
    // The event stream lives as long as its client: no request timeout around it.
    let bounded = scoring
        .merge(quick)
        .layer(from_fn_with_state(app.clone(), guard::deadline));
    bounded
        .route("/events", get(ops::events))
        .fallback(guard::not_found)
        .method_not_allowed_fallback(guard::method_not_allowed)
        .layer(DefaultBodyLimit::max(app.config.max_body_bytes))
        .layer(from_fn_with_state(app.clone(), guard::authorize))
        .layer(axum::middleware::from_fn(guard::catch_panic))
        .layer(from_fn_with_state(app.clone(), guard::record))
        .with_state(app)
}

/// Serve `app` on `listener` until `shutdown` completes, then stop accepting, end the
/// event streams and wait for the requests in progress.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    let stopping = app.stopping.clone();
    let signal = async move {
        shutdown.await;
        stopping.send_replace(true);
    };
    // Small responses on kept-alive connections: without TCP_NODELAY, Nagle's algorithm
    // and delayed ACKs add up to 40 ms to a request.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(app))
        .with_graceful_shutdown(signal)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_address_needs_a_token() {
        let public = HttpConfig {
            addr: "0.0.0.0:8080".parse().unwrap(),
            ..HttpConfig::default()
        };
        let e = public.check().unwrap_err();
        assert_eq!(e, ConfigError::NoToken(public.addr));
        assert!(e.to_string().contains("--token-file"));
        let with_token = HttpConfig {
            token: Some("s3cret".into()),
            ..public.clone()
        };
        assert_eq!(with_token.check(), Ok(()));
        let v6_loopback = HttpConfig {
            addr: "[::1]:8080".parse().unwrap(),
            ..HttpConfig::default()
        };
        assert_eq!(v6_loopback.check(), Ok(()));
        let blank = HttpConfig {
            token: Some(" \n".into()),
            ..with_token
        };
        assert_eq!(blank.check(), Err(ConfigError::EmptyToken));
        let zero = HttpConfig {
            max_concurrency: 0,
            ..HttpConfig::default()
        };
        assert_eq!(zero.check(), Err(ConfigError::ZeroLimit("max_concurrency")));
    }
}
