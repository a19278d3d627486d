//! Captures to flows for the detector: the same extractor as `anomalab extract` and
//! `source: pcap`, fed from files, standard input or an interface, ended flows sent to the
//! scoring thread in batches, the extractor's counters published as they move.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Instant;

use anomalab_flow::{ExtractOptions, Extractor, FlowRecord, Summary};

use super::detect::Work;
use super::input::{CaptureInput, Pacer};
use super::state::Metrics;

/// Packet records between two publications of the extractor's counters.
const PUBLISH_EVERY: u64 = 256;

/// How the capture inputs are read.
pub struct CaptureConfig {
    pub inputs: Vec<CaptureInput>,
    pub extract: ExtractOptions,
    /// Replay files at this multiple of their capture pace.
    pub replay_speed: Option<f64>,
}

/// What reading the captures did: the extractor's summary and the inputs that failed.
pub struct CaptureOutcome {
    pub summary: Summary,
    pub failed: Vec<String>,
}

/// Flows held before they go to the scoring thread: one channel message and one wake-up
/// per batch instead of per flow, which on one core is a third of the time per packet.
const SEND_BATCH: usize = 256;

/// Ended flows on their way to the scoring thread: sent when a batch is full, and at once
/// whenever the input is about to wait (a silent pipe, the pacer's sleep), so a flow's
/// verdict never waits for later traffic.
pub struct Outbox {
    tx: SyncSender<Work>,
    flows: Vec<FlowRecord>,
    handed: Vec<Instant>,
    /// False once the scoring thread has gone (reading stops).
    open: bool,
}

impl Outbox {
    fn new(tx: SyncSender<Work>) -> Self {
        Outbox {
            tx,
            flows: Vec::with_capacity(SEND_BATCH),
            handed: Vec::with_capacity(SEND_BATCH),
            open: true,
        }
    }

    fn push(&mut self, flow: FlowRecord) {
        self.flows.push(flow);
        self.handed.push(Instant::now());
        if self.flows.len() >= SEND_BATCH {
            self.flush();
        }
    }

    /// Send what is held.
    pub fn flush(&mut self) {
        if self.flows.is_empty() || !self.open {
            return;
        }
        let flows = std::mem::replace(&mut self.flows, Vec::with_capacity(SEND_BATCH));
        let handed = std::mem::replace(&mut self.handed, Vec::with_capacity(SEND_BATCH));
        if self.tx.send(Work::Flows(flows, handed)).is_err() {
            self.open = false;
        }
    }
}

/// The outbox shared by the extractor's sink, the pacer and the reader (one thread).
type SharedOutbox = Rc<RefCell<Outbox>>;

/// Read every input in turn until the end or `stop`; ended flows go to `tx`.
pub fn run(
    cfg: CaptureConfig,
    tx: SyncSender<Work>,
    metrics: &Metrics,
    stop: Arc<AtomicBool>,
) -> CaptureOutcome {
    let outbox: SharedOutbox = Rc::new(RefCell::new(Outbox::new(tx)));
    let mut failed = Vec::new();
    let summary = {
        let sink = outbox.clone();
        let mut ex = Extractor::with_sink(cfg.extract.clone(), move |flow| {
            sink.borrow_mut().push(flow)
        });
        // A live stream with garbage in it carries on at the next plausible record.
        ex.set_resync(true);
        // A flow without FIN (a scan probe, UDP, ICMP) gets its verdict once the traffic's
        // clock passes its timeout, not at the next packet of its own that may never come.
        ex.set_expire_timed_out(true);
        ex.set_progress_every(PUBLISH_EVERY);
        ex.set_progress(|p| publish(metrics, p.summary, p.active_flows));
        if let Some(speed) = cfg.replay_speed {
            let mut pacer = Pacer::new(speed, stop.clone());
            let held = outbox.clone();
            ex.set_pacer(move |ts| pacer.wait(ts, || held.borrow_mut().flush()));
        }
        for input in &cfg.inputs {
            if stop.load(Ordering::Relaxed) || !outbox.borrow().open {
                break;
            }
            if let Err(e) = feed(&mut ex, input, &stop, &outbox) {
                eprintln!("error: {e}");
                failed.push(input.name());
            }
        }
        let (_, summary) = ex.finish();
        summary
    };
    outbox.borrow_mut().flush();
    publish(metrics, &summary, 0);
    CaptureOutcome { summary, failed }
}

fn feed(
    ex: &mut Extractor<'_>,
    input: &CaptureInput,
    stop: &Arc<AtomicBool>,
    outbox: &SharedOutbox,
) -> Result<(), String> {
    let name = input.name();
    let held = outbox.clone();
    let reader = input
        .open(stop.clone(), Box::new(move || held.borrow_mut().flush()))
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, reader);
    ex.feed_capture(reader, &name).map_err(|e| e.to_string())
}

fn publish(m: &Metrics, s: &Summary, active: u64) {
    m.packets_received.store(s.packets_read, Ordering::Relaxed);
    m.flows_active.store(active, Ordering::Relaxed);
    m.set_dropped(
        s.skipped
            .iter()
            .map(|(r, n)| (snake(&format!("{r:?}")), *n)),
    );
    m.set_expired([
        ("fin", s.flows_closed),
        ("timeout", s.flows_timed_out),
        ("end_of_input", s.flows_flushed),
        ("evicted", s.flows_evicted),
    ]);
}

/// `TruncatedRecord` -> `truncated_record` (Prometheus label values).
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_reasons_become_snake_case_label_values() {
        assert_eq!(snake("TruncatedRecord"), "truncated_record");
        assert_eq!(snake("NonIp"), "non_ip");
    }
}
