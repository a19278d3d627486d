//! `anomalab serve`: a saved model scoring live traffic (captures, a followed Zeek log),
//! writing Suricata-EVE-shaped alerts, and answering scoring requests over HTTP.
//!
//! ```text
//! capture thread   files / stdin -> StoppableReader -> Extractor -> Work::Flows ┐
//! zeek thread      conn.log (followed) -> RecordBatch -> Work::Records ─────────┤ bounded
//! scoring thread   <- batches of what queued up -> Scorer -> AlertRule -> AlertSink
//!                     (EVE file, ring, event stream, counters in ServeState)
//! main thread      signals (INT/TERM: stop; HUP: reopen the alerts file), HTTP (tokio)
//! ```
//!
//! Stopping closes the inputs (as if they had ended), so the extractor flushes every open
//! flow, the scoring thread scores them and drains, and the summary is printed.

pub mod blocklist;
pub mod capture;
pub mod detect;
pub mod eve;
pub mod feedback;
pub mod http;
pub mod input;
#[cfg(all(feature = "live", target_os = "linux"))]
pub mod live;
pub mod poll;
pub mod sink;
pub mod state;
pub mod verdict;
pub mod zeek;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anomalab_flow::Summary;
use sha2::{Digest, Sha256};

use crate::models::Fitted;
use crate::score::{ScoreError, Scorer};

pub use detect::{DetectTotals, RecordBatch, Work};
use input::CaptureInput;
use sink::{AlertSink, AlertsTarget};
use state::{ModelInfo, ServeState};
use verdict::AlertRule;

/// Flows queued for the scoring thread before the readers wait (back-pressure).
const QUEUE: usize = 1 << 16;

/// Everything `anomalab serve` was asked to do.
pub struct ServeOptions {
    pub model: PathBuf,
    /// Files, standard input and live interfaces, read in turn.
    pub captures: Vec<CaptureInput>,
    pub zeek_log: Option<PathBuf>,
    pub follow: bool,
    pub alerts: AlertsTarget,
    pub flows: bool,
    pub max_active_flows: Option<usize>,
    pub replay_speed: Option<f64>,
    /// Suppression window, seconds of flow time (0: off).
    pub suppress_secs: f64,
    /// The class that is not an alert, when the model's classes have no `normal`/`benign`.
    pub normal_class: Option<String>,
    pub ring: usize,
    /// Sources of severe alerts listed for a firewall (`--blocklist`).
    pub blocklist: Option<blocklist::BlocklistConfig>,
}

/// What a serve run did.
pub struct ServeSummary {
    pub capture: Option<Summary>,
    pub zeek_records: u64,
    pub totals: DetectTotals,
    pub alerts: std::collections::BTreeMap<String, u64>,
    pub suppressed: std::collections::BTreeMap<String, u64>,
    /// Inputs that could not be read.
    pub failed: Vec<String>,
}

/// Why serve could not start or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot read model {path}: {error}")]
    ModelIo { path: String, error: std::io::Error },
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    Sink(#[from] sink::SinkError),
    #[error(transparent)]
    Detect(#[from] detect::DetectError),
    #[error(transparent)]
    Zeek(#[from] zeek::ZeekError),
    #[error("{0}")]
    Model(String),
    #[error("cannot read {input}: {error}")]
    Input {
        input: String,
        error: std::io::Error,
    },
}

/// A model ready to serve: the scorer, what identifies it, and its alert rule.
pub struct Served {
    pub scorer: Arc<Scorer>,
    pub info: ModelInfo,
    pub rule: AlertRule,
}

/// Load and check the model: hash the file, decode it, decide which class is normal.
pub fn load_model(path: &std::path::Path, normal: Option<&str>) -> Result<Served, ServeError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| ServeError::ModelIo {
        path: name.clone(),
        error,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let saved = crate::persist::decode(&bytes, &name).map_err(ScoreError::from)?;
    let scorer = Scorer::new(saved, &name)?;
    let h = scorer.header();
    let role = match scorer.fitted() {
        Fitted::Classifier(_) => "classifier",
        Fitted::Detector(_) => "detector",
        Fitted::Clusterer(_) => "clusterer",
    };
    let normal_index = match normal {
        Some(n) => Some(h.class_names.iter().position(|c| c == n).ok_or_else(|| {
            ServeError::Model(format!(
                "--normal-class `{n}` is not a class of {name} (classes: {})",
                h.class_names.join(", ")
            ))
        })? as u32),
        None => crate::eval::normal_class(&h.class_names),
    };
    if normal_index.is_none() && role != "detector" {
        return Err(ServeError::Model(format!(
            "{name}: none of the model's classes ({}) is `normal` or `benign`, so no \
             prediction can be told from an alert\n  = help: pass --normal-class NAME",
            h.class_names.join(", ")
        )));
    }
    // Clients address the model by its experiment's name (`/v2/models/pcap_flows`).
    let info = ModelInfo {
        name: if h.experiment.is_empty() {
            path.file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned())
        } else {
            h.experiment.clone()
        },
        sha256,
        role,
        algorithm: h.algorithm.clone(),
    };
    let rule = AlertRule {
        normal: normal_index,
        classes: h.class_names.len() as u32,
    };
    Ok(Served {
        scorer: Arc::new(scorer),
        info,
        rule,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Flags the signal thread sets.
#[derive(Clone, Default)]
pub struct Flags {
    pub stop: Arc<AtomicBool>,
    pub reopen: Arc<AtomicBool>,
}

/// Run the detector over the inputs until they end or `flags.stop` is set.
pub fn detect(
    opts: &ServeOptions,
    served: &Served,
    state: &Arc<ServeState>,
    flags: &Flags,
) -> Result<ServeSummary, ServeError> {
    check_inputs(opts, served)?;
    let mut sink = AlertSink::open(
        opts.alerts.clone(),
        opts.flows,
        (opts.suppress_secs * 1e6) as i64,
        state.clone(),
    )?;
    if let Some(cfg) = &opts.blocklist {
        sink.set_blocklist(blocklist::Blocklist::new(cfg.clone()));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
    state.set_ready(true);
    std::thread::scope(|s| {
        let capture = (!opts.captures.is_empty()).then(|| {
            let tx = tx.clone();
            let cfg = capture_config(opts, served);
            s.spawn(move || capture::run(cfg, tx, &state.metrics, flags.stop.clone()))
        });
        let zeek = opts.zeek_log.as_ref().map(|path| {
            let tx = tx.clone();
            let cfg = zeek::ZeekConfig {
                path: path.clone(),
                follow: opts.follow,
                columns: served.scorer.header().input_columns.clone(),
            };
            s.spawn(move || zeek::run(&cfg, &tx, &state.metrics, &flags.stop))
        });
        drop(tx);
        let totals = detect::run(
            rx,
            &served.scorer,
            &served.rule,
            &mut sink,
            state,
            &flags.reopen,
        );
        // The scoring thread stopping early (a write error) must stop the readers too.
        flags.stop.store(true, Ordering::Relaxed);
        let capture = capture.map(|h| h.join().expect("capture thread"));
        let zeek = zeek.map(|h| h.join().expect("zeek thread")).transpose()?;
        let totals = totals?;
        let mut failed = Vec::new();
        let capture = capture.map(|c| {
            failed.extend(c.failed);
            c.summary
        });
        Ok(ServeSummary {
            capture,
            zeek_records: zeek.unwrap_or(0),
            totals,
            alerts: state.metrics.alerts_by_label(),
            suppressed: state.metrics.suppressed_by_label(),
            failed,
        })
    })
}

/// Refuse at start what cannot work: a capture for a model whose columns are not flow
/// features, an input file that cannot be opened.
fn check_inputs(opts: &ServeOptions, served: &Served) -> Result<(), ServeError> {
    if !opts.captures.is_empty() {
        let names = anomalab_flow::model_feature_names();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        served.scorer.plan("captured flows", &refs, &[])?;
    }
    for c in &opts.captures {
        if let CaptureInput::File(p) = c {
            std::fs::File::open(p).map_err(|error| ServeError::Input {
                input: p.display().to_string(),
                error,
            })?;
        }
    }
    if let Some(p) = &opts.zeek_log {
        std::fs::File::open(p).map_err(|error| ServeError::Input {
            input: p.display().to_string(),
            error,
        })?;
    }
    Ok(())
}

fn capture_config(opts: &ServeOptions, served: &Served) -> capture::CaptureConfig {
    let mut extract = served.scorer.extract_options().unwrap_or_default();
    if let Some(n) = opts.max_active_flows {
        extract.max_active_flows = n;
    }
    capture::CaptureConfig {
        inputs: opts.captures.clone(),
        extract,
        replay_speed: opts.replay_speed,
    }
}

/// Wait for SIGINT/SIGTERM (stop) and SIGHUP (reopen) on a thread of its own; calls
/// `on_stop` once when a stop signal arrives.
pub fn watch_signals(
    flags: &Flags,
    on_stop: impl Fn() + Send + 'static,
) -> std::io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    let handle = signals.handle();
    let flags = flags.clone();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if sig == SIGHUP {
                flags.reopen.store(true, Ordering::Release);
            } else {
                flags.stop.store(true, Ordering::Release);
                on_stop();
            }
        }
    });
    Ok(handle)
}

/// Seconds between two counter events on the HTTP event stream.
pub const EVENTS_INTERVAL: Duration = Duration::from_secs(1);
