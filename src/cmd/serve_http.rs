//! Starting the HTTP API of `anomalab serve` on a tokio runtime of its own.

use std::sync::Arc;

use super::args::ServeArgs;
use super::error::CliError;
use crate::serve::Served;
use crate::serve::state::ServeState;

/// The running HTTP server.
pub struct HttpHandle {
    thread: std::thread::JoinHandle<()>,
    shutdown: Arc<tokio::sync::Notify>,
}

impl HttpHandle {
    /// A function that asks the server to shut down (from the signal thread).
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let n = self.shutdown.clone();
        move || n.notify_one()
    }

    /// Wait until the server has shut down.
    pub fn wait(self) {
        let _ = self.thread.join();
    }
}

pub fn start(
    args: &ServeArgs,
    _served: &Served,
    _state: &Arc<ServeState>,
) -> Result<Option<HttpHandle>, CliError> {
    match args.http {
        None => Ok(None),
        Some(_) => Err(CliError::Usage("--http is being integrated".into())),
    }
}
