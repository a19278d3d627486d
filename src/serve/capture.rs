//! Captures to flows for the detector: the same extractor as `anomalab extract` and
//! `source: pcap`, fed from files or standard input, every ended flow sent to the scoring
//! thread, the extractor's counters published as they move.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Instant;

use anomalab_flow::{ExtractOptions, Extractor, Summary};

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

/// Read every input in turn until the end or `stop`; ended flows go to `tx`.
pub fn run(
    cfg: CaptureConfig,
    tx: SyncSender<Work>,
    metrics: &Metrics,
    stop: Arc<AtomicBool>,
) -> CaptureOutcome {
    let sent_ok = std::cell::Cell::new(true);
    let mut failed = Vec::new();
    let summary = {
        // Each flow goes at once (the scoring thread batches what has queued up), so a
        // flow's alert never waits for later traffic.
        let mut ex = Extractor::with_sink(cfg.extract.clone(), |flow| {
            if sent_ok.get() && tx.send(Work::Flow(flow, Instant::now())).is_err() {
                sent_ok.set(false);
            }
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
            ex.set_pacer(move |ts| pacer.wait(ts));
        }
        for input in &cfg.inputs {
            if stop.load(Ordering::Relaxed) || !sent_ok.get() {
                break;
            }
            if let Err(e) = feed(&mut ex, input, &stop) {
                eprintln!("error: {e}");
                failed.push(input.name());
            }
        }
        let (_, summary) = ex.finish();
        summary
    };
    publish(metrics, &summary, 0);
    CaptureOutcome { summary, failed }
}

fn feed(
    ex: &mut Extractor<'_>,
    input: &CaptureInput,
    stop: &Arc<AtomicBool>,
) -> Result<(), String> {
    let name = input.name();
    let reader = input
        .open(stop.clone())
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
