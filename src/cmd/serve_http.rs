//! Starting the HTTP API of `anomalab serve` on a tokio runtime of its own thread.

use std::sync::Arc;
use std::time::Duration;

use super::args::ServeArgs;
use super::error::CliError;
use crate::serve::Served;
use crate::serve::feedback::FeedbackStore;
use crate::serve::http::{App, HttpConfig};
use crate::serve::state::ServeState;

/// The running HTTP server.
pub struct HttpHandle {
    thread: std::thread::JoinHandle<Result<(), String>>,
    shutdown: Arc<tokio::sync::Notify>,
}

impl HttpHandle {
    /// A function that asks the server to shut down (called by the signal thread).
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let n = self.shutdown.clone();
        // `notify_one` keeps a permit when nobody waits yet, so an early signal is not lost.
        move || n.notify_one()
    }

    /// Wait until the server has drained and stopped.
    pub fn wait(self) -> Result<(), CliError> {
        match self.thread.join() {
            Ok(r) => r.map_err(CliError::Usage),
            Err(_) => Err(CliError::Usage("the HTTP server thread panicked".into())),
        }
    }
}

/// Bind and start the API when `--http` is given: the address is bound here, so a port in
/// use is an error at start, before any input is read.
pub fn start(
    args: &ServeArgs,
    served: &Served,
    state: &Arc<ServeState>,
) -> Result<Option<HttpHandle>, CliError> {
    let Some(addr) = args.http else {
        return Ok(None);
    };
    let config = HttpConfig {
        addr,
        token: read_token(args)?,
        max_body_bytes: args.max_body,
        request_timeout: Duration::from_secs_f64(args.request_timeout.max(0.0)),
        max_concurrency: args.max_concurrency,
        ..HttpConfig::default()
    };
    config
        .check()
        .map_err(|e| CliError::Usage(format!("--http {addr}: {e}")))?;
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| CliError::Usage(format!("--http {addr}: cannot listen: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    eprintln!(
        "serve: HTTP API on http://{local} (MLflow /invocations, /v2, /metrics, /alerts, /events)"
    );
    let feedback = FeedbackStore::open(args.feedback.as_deref())
        .map_err(|e| CliError::Usage(format!("--feedback: {e}")))?;
    let app = Arc::new(
        App::new(
            served.scorer.clone(),
            state.clone(),
            served.rule.clone(),
            config,
        )
        .with_feedback(feedback),
    );
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let notified = shutdown.clone();
    let thread = std::thread::Builder::new()
        .name("http".into())
        .spawn(move || run(listener, app, notified))
        .map_err(|e| CliError::Usage(format!("cannot start the HTTP thread: {e}")))?;
    Ok(Some(HttpHandle { thread, shutdown }))
}

fn run(
    listener: std::net::TcpListener,
    app: Arc<App>,
    shutdown: Arc<tokio::sync::Notify>,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("http-worker")
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot listen: {e}"))?;
        crate::serve::http::serve(listener, app, async move { shutdown.notified().await })
            .await
            .map_err(|e| format!("HTTP server: {e}"))
    })
}

/// The bearer token of `--token-file` (surrounding whitespace trimmed).
fn read_token(args: &ServeArgs) -> Result<Option<String>, CliError> {
    let Some(path) = &args.token_file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!("--token-file {}: cannot read: {e}", path.display()))
    })?;
    Ok(Some(text.trim().to_string()))
}
