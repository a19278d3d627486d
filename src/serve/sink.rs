//! Where verdicts go: the alerts file (EVE lines, appended; reopened on SIGHUP for log
//! rotation), the suppression window that keeps a scan from writing ten thousand
//! identical alerts, and the shared state (ring, event stream, counters).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::blocklist::Blocklist;

use super::eve::{self, FlowFacts, Verdict};
use super::state::{AlertRecord, Brief, Features, ServeState};

/// Where EVE lines are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertsTarget {
    /// Appended to a file (created if missing).
    File(PathBuf),
    /// Standard output (`--alerts -`).
    Stdout,
}

enum Writer {
    File(BufWriter<File>),
    Stdout(io::Stdout),
}

/// Per (source, destination, class): when the last alert was written (flow end, µs) and
/// how many were suppressed since.
type Window = HashMap<(IpAddr, IpAddr, u32), (i64, u64)>;

/// Writes verdicts out; one per scoring thread.
pub struct AlertSink {
    target: AlertsTarget,
    writer: Writer,
    /// Also write an `event_type: "flow"` line for every flow.
    flows: bool,
    /// Suppression window in flow time, µs (0: never suppress).
    window_us: i64,
    window: Window,
    /// Latest flow end seen (µs), for pruning the window.
    now_us: i64,
    state: Arc<ServeState>,
    blocklist: Option<Blocklist>,
}

/// The sink's error: writing or reopening the alerts file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write alerts to {target}: {error}")]
pub struct SinkError {
    pub target: String,
    #[source]
    pub error: io::Error,
}

impl AlertSink {
    pub fn open(
        target: AlertsTarget,
        flows: bool,
        window_us: i64,
        state: Arc<ServeState>,
    ) -> Result<Self, SinkError> {
        let writer = open_writer(&target)?;
        Ok(AlertSink {
            target,
            writer,
            flows,
            window_us,
            window: HashMap::new(),
            now_us: i64::MIN,
            state,
            blocklist: None,
        })
    }

    /// Also list the sources of severe alerts in `blocklist`.
    pub fn set_blocklist(&mut self, blocklist: Blocklist) {
        self.blocklist = Some(blocklist);
    }

    /// Write one scored flow (its flow line with `--flows`, its alert unless suppressed).
    /// `features` gives the flow's model input values, asked for only when an alert is
    /// written (the dashboard shows them).
    pub fn put(
        &mut self,
        facts: &FlowFacts,
        v: &Verdict,
        features: impl FnOnce() -> Features,
    ) -> Result<(), SinkError> {
        self.now_us = self.now_us.max(facts.end_us);
        if self.flows {
            let line = eve::flow_line(facts, v);
            self.write_line(&line)?;
        }
        if !v.alert {
            return Ok(());
        }
        if let Some(b) = &mut self.blocklist {
            b.note(facts.src_ip, v.severity, SystemTime::now());
        }
        let Some(suppressed) = self.pass(facts, v) else {
            self.state.metrics.count_suppressed(&v.label);
            return Ok(());
        };
        let line = eve::alert_line(facts, v, &self.state.model, suppressed);
        self.write_line(&line)?;
        self.state.metrics.count_alert(&v.label);
        self.state.publish(AlertRecord {
            json: Arc::from(line),
            features: features(),
            src: facts.src_ip,
            dest: facts.dest_ip,
            dest_port: facts.dest_port,
            label: v.label.clone(),
            brief: Some(Brief {
                end_us: facts.end_us,
                src_port: facts.src_port,
                proto: facts.proto,
                severity: v.severity,
                score: v.score,
            }),
        });
        Ok(())
    }

    /// `Some(suppressed since the last alert)` when this alert is written, `None` when it
    /// falls in the window of an earlier one.
    fn pass(&mut self, f: &FlowFacts, v: &Verdict) -> Option<u64> {
        if self.window_us <= 0 {
            return Some(0);
        }
        let key = (f.src_ip, f.dest_ip, v.class);
        match self.window.get_mut(&key) {
            Some((last, n)) if f.end_us - *last < self.window_us => {
                *n += 1;
                None
            }
            Some(entry) => {
                let suppressed = entry.1;
                *entry = (f.end_us, 0);
                Some(suppressed)
            }
            None => {
                self.window.insert(key, (f.end_us, 0));
                Some(0)
            }
        }
    }

    /// Flush what was written (after each batch, so that an alert is on disk within the
    /// batch's latency) and forget windows that have closed.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        let (now, w) = (self.now_us, self.window_us);
        if self.window.len() > 4096 {
            self.window.retain(|_, (last, n)| now - *last < w || *n > 0);
        }
        let r = match &mut self.writer {
            Writer::File(f) => f.flush(),
            Writer::Stdout(s) => s.flush(),
        };
        r.map_err(|error| self.error(error))?;
        // The batch's alerts reach the dashboards once they are on disk, in one message.
        self.state.send_alerts();
        self.write_blocklist(false)
    }

    /// Flush, and write the blocklist even if it was written less than a second ago.
    pub fn close(&mut self) -> Result<(), SinkError> {
        self.flush()?;
        self.write_blocklist(true)
    }

    fn write_blocklist(&mut self, force: bool) -> Result<(), SinkError> {
        let Some(b) = &mut self.blocklist else {
            return Ok(());
        };
        b.write(SystemTime::now(), force)
            .map_err(|error| SinkError {
                target: "the blocklist".into(),
                error,
            })
    }

    /// Reopen the alerts file (after `logrotate` moved it away).
    pub fn reopen(&mut self) -> Result<(), SinkError> {
        self.flush()?;
        self.writer = open_writer(&self.target)?;
        Ok(())
    }

    fn write_line(&mut self, line: &str) -> Result<(), SinkError> {
        let r = match &mut self.writer {
            Writer::File(f) => writeln!(f, "{line}"),
            Writer::Stdout(s) => writeln!(s, "{line}"),
        };
        r.map_err(|error| self.error(error))
    }

    fn error(&self, error: io::Error) -> SinkError {
        SinkError {
            target: target_name(&self.target),
            error,
        }
    }
}

fn target_name(t: &AlertsTarget) -> String {
    match t {
        AlertsTarget::File(p) => p.display().to_string(),
        AlertsTarget::Stdout => "standard output".into(),
    }
}

fn open_writer(target: &AlertsTarget) -> Result<Writer, SinkError> {
    match target {
        AlertsTarget::File(p) => OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map(|f| Writer::File(BufWriter::with_capacity(1 << 16, f)))
            .map_err(|error| SinkError {
                target: target_name(target),
                error,
            }),
        AlertsTarget::Stdout => Ok(Writer::Stdout(io::stdout())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::state::ModelInfo;

    fn state() -> Arc<ServeState> {
        let model = ModelInfo {
            name: "m".into(),
            sha256: "0".repeat(64),
            role: "detector",
            algorithm: "iforest".into(),
        };
        Arc::new(ServeState::new(model, 100))
    }

    fn facts(end_s: i64, dst: &str) -> FlowFacts {
        FlowFacts {
            src_ip: "10.0.0.1".parse().unwrap(),
            src_port: 40000,
            dest_ip: dst.parse().unwrap(),
            dest_port: 22,
            proto: 6,
            start_us: end_s * 1_000_000 - 10,
            end_us: end_s * 1_000_000,
            pkts_toserver: 2,
            pkts_toclient: 1,
            bytes_toserver: 0,
            bytes_toclient: 0,
            reason: "fin",
            key: "k".into(),
            community_id: None,
        }
    }

    fn attack() -> Verdict {
        Verdict {
            label: "attack".into(),
            class: 1,
            alert: true,
            score: 2.0,
            threshold: Some(1.0),
            severity: 1,
        }
    }

    #[test]
    fn a_scan_is_suppressed_within_the_window_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        let st = state();
        let mut sink = AlertSink::open(
            AlertsTarget::File(path.clone()),
            false,
            60_000_000,
            st.clone(),
        )
        .unwrap();
        // 100 alerts to one host within 10 s, one to another host, then one 61 s later.
        for i in 0..100 {
            sink.put(&facts(1000 + i / 10, "10.0.0.2"), &attack(), || {
                Features::None
            })
            .unwrap();
        }
        sink.put(&facts(1005, "10.0.0.3"), &attack(), || Features::None)
            .unwrap();
        sink.put(&facts(1061, "10.0.0.2"), &attack(), || Features::None)
            .unwrap();
        sink.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["anomalab"]["suppressed_before"], 99);
        assert_eq!(st.metrics.suppressed_by_label()["attack"], 99);
        assert_eq!(st.metrics.alerts_by_label()["attack"], 3);
        assert_eq!(st.alerts.since(0, 10).0.len(), 3);
    }

    #[test]
    fn reopen_follows_a_rotated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        let mut sink = AlertSink::open(AlertsTarget::File(path.clone()), true, 0, state()).unwrap();
        sink.put(&facts(1, "10.0.0.2"), &attack(), || Features::None)
            .unwrap();
        sink.flush().unwrap();
        std::fs::rename(&path, dir.path().join("alerts.json.1")).unwrap();
        sink.reopen().unwrap();
        sink.put(&facts(2, "10.0.0.2"), &attack(), || Features::None)
            .unwrap();
        sink.flush().unwrap();
        let old = std::fs::read_to_string(dir.path().join("alerts.json.1")).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        // A flow line and an alert line each.
        assert_eq!((old.lines().count(), new.lines().count()), (2, 2));
        assert!(new.contains("\"event_type\":\"flow\""));
    }
}
