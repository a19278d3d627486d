//! What the detector shares with the HTTP side: the counters (rendered in Prometheus text
//! format), the ring of recent alerts, and the event stream the dashboard follows.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

/// Upper bounds (seconds) of the scoring-duration histogram's buckets: a batch of a few
/// flows takes tens of microseconds, a full batch of a large forest tens of milliseconds.
pub const SCORING_BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
];

/// Which model is served (for `/metrics`, the API's metadata and alert metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The name clients address it by (`/v2/models/{name}`): the experiment's name.
    pub name: String,
    /// SHA-256 of the model file, hex.
    pub sha256: String,
    /// `classifier`, `detector` or `clusterer`.
    pub role: &'static str,
    pub algorithm: String,
}

/// One event of the live stream (`GET /events`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Alerts as written to the alerts file, one message per scored batch: each
    /// subscriber is woken once per batch, not once per alert.
    Alerts(Arc<AlertBatch>),
    /// The counters, sent periodically.
    Counters(Counters),
}

/// The alerts of one scored batch (with their sequence numbers in the ring), and their
/// server-sent-event frames joined, in each view. The frames are encoded by the first
/// subscriber that sends them and shared by the others: the detector never encodes for
/// the stream, and 20 open pages cost 20 reference counts, not 20 copies.
#[derive(Debug, Default, PartialEq)]
pub struct AlertBatch {
    pub alerts: Vec<(u64, Arc<AlertRecord>)>,
    /// The frames of the whole EVE lines.
    pub full: OnceLock<Arc<[u8]>>,
    /// The frames of the brief view ([`AlertRecord::brief`]).
    pub brief: OnceLock<Arc<[u8]>>,
}

/// A snapshot of the main counters.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counters {
    pub packets_received: u64,
    pub packets_dropped: u64,
    pub flows_active: u64,
    pub flows_scored: u64,
    pub alerts: u64,
    pub alerts_suppressed: u64,
}

/// Counters of the detector, updated by the reading and scoring threads.
#[derive(Debug, Default)]
pub struct Metrics {
    pub packets_received: AtomicU64,
    pub flows_active: AtomicU64,
    pub flows_scored: AtomicU64,
    pub zeek_records: AtomicU64,
    /// Dropped packets or records by reason (snake_case label values).
    pub dropped: Mutex<BTreeMap<String, u64>>,
    /// Flows taken out of the table by reason (`fin`, `timeout`, `end_of_input`, `evicted`).
    pub expired: Mutex<BTreeMap<&'static str, u64>>,
    pub alerts: Mutex<BTreeMap<String, u64>>,
    pub suppressed: Mutex<BTreeMap<String, u64>>,
    scoring: Mutex<Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; SCORING_BUCKETS.len()],
    count: u64,
    sum: f64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking holder leaves plain counters, still worth reading.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    /// Record the scoring time of one batch.
    pub fn observe_scoring(&self, seconds: f64) {
        let mut h = lock(&self.scoring);
        for (c, &b) in h.counts.iter_mut().zip(&SCORING_BUCKETS) {
            if seconds <= b {
                *c += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Replace the dropped-packet counters (the extractor keeps the totals).
    pub fn set_dropped(&self, by_reason: impl IntoIterator<Item = (String, u64)>) {
        let mut d = lock(&self.dropped);
        for (k, v) in by_reason {
            d.insert(k, v);
        }
    }

    pub fn set_expired(&self, by_reason: [(&'static str, u64); 4]) {
        lock(&self.expired).extend(by_reason);
    }

    pub fn count_alert(&self, label: &str) {
        *lock(&self.alerts).entry(label.to_string()).or_insert(0) += 1;
    }

    pub fn count_suppressed(&self, label: &str) {
        *lock(&self.suppressed).entry(label.to_string()).or_insert(0) += 1;
    }

    /// Flows taken out of the table for `reason` (`fin`, `timeout`, `end_of_input`,
    /// `evicted`).
    pub fn expired_count(&self, reason: &str) -> u64 {
        lock(&self.expired).get(reason).copied().unwrap_or(0)
    }

    /// Alerts by label (a copy).
    pub fn alerts_by_label(&self) -> BTreeMap<String, u64> {
        lock(&self.alerts).clone()
    }

    /// Suppressed alerts by label (a copy).
    pub fn suppressed_by_label(&self) -> BTreeMap<String, u64> {
        lock(&self.suppressed).clone()
    }

    pub fn counters(&self) -> Counters {
        Counters {
            packets_received: self.packets_received.load(Ordering::Relaxed),
            packets_dropped: lock(&self.dropped).values().sum(),
            flows_active: self.flows_active.load(Ordering::Relaxed),
            flows_scored: self.flows_scored.load(Ordering::Relaxed),
            alerts: lock(&self.alerts).values().sum(),
            alerts_suppressed: lock(&self.suppressed).values().sum(),
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every counter.
    pub fn render(&self, model: &ModelInfo) -> String {
        let mut out = String::new();
        let o = &mut out;
        let packets = self.packets_received.load(Ordering::Relaxed);
        metric(
            o,
            "packets_received_total",
            "counter",
            "Packet records read.",
        );
        let _ = writeln!(o, "anomalab_packets_received_total {packets}");
        metric(
            o,
            "packets_dropped_total",
            "counter",
            "Packet records skipped, by reason.",
        );
        labelled(o, "packets_dropped_total", "reason", &lock(&self.dropped));
        metric(o, "flows_active", "gauge", "Flows held in the flow table.");
        let active = self.flows_active.load(Ordering::Relaxed);
        let _ = writeln!(o, "anomalab_flows_active {active}");
        metric(
            o,
            "flows_expired_total",
            "counter",
            "Flows taken out of the table, by reason.",
        );
        let expired: BTreeMap<String, u64> = lock(&self.expired)
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        labelled(o, "flows_expired_total", "reason", &expired);
        metric(
            o,
            "flows_scored_total",
            "counter",
            "Flows and log records scored.",
        );
        let scored = self.flows_scored.load(Ordering::Relaxed);
        let _ = writeln!(o, "anomalab_flows_scored_total {scored}");
        metric(o, "zeek_records_total", "counter", "Zeek log records read.");
        let zeek = self.zeek_records.load(Ordering::Relaxed);
        let _ = writeln!(o, "anomalab_zeek_records_total {zeek}");
        metric(o, "alerts_total", "counter", "Alerts written, by label.");
        labelled(o, "alerts_total", "label", &lock(&self.alerts));
        metric(
            o,
            "alerts_suppressed_total",
            "counter",
            "Alerts suppressed, by label.",
        );
        labelled(
            o,
            "alerts_suppressed_total",
            "label",
            &lock(&self.suppressed),
        );
        self.render_histogram(o);
        metric(o, "build_info", "gauge", "Version and served model.");
        let _ = writeln!(
            o,
            "anomalab_build_info{{version=\"{}\",model=\"{}\",model_sha256=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            escape_label(&model.name),
            model.sha256
        );
        out
    }

    fn render_histogram(&self, o: &mut String) {
        let name = "scoring_duration_seconds";
        metric(o, name, "histogram", "Time to score one batch of flows.");
        let h = lock(&self.scoring);
        for (c, b) in h.counts.iter().zip(&SCORING_BUCKETS) {
            let _ = writeln!(o, "anomalab_{name}_bucket{{le=\"{b}\"}} {c}");
        }
        let _ = writeln!(o, "anomalab_{name}_bucket{{le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(o, "anomalab_{name}_sum {}", h.sum);
        let _ = writeln!(o, "anomalab_{name}_count {}", h.count);
    }
}

fn metric(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP anomalab_{name} {help}");
    let _ = writeln!(o, "# TYPE anomalab_{name} {kind}");
}

fn labelled(o: &mut String, name: &str, label: &str, values: &BTreeMap<String, u64>) {
    for (k, v) in values {
        let _ = writeln!(o, "anomalab_{name}{{{label}=\"{}\"}} {v}", escape_label(k));
    }
}

/// A label value as the exposition format quotes it (backslash, quote, newline).
pub fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The last alerts written, each with a sequence number (from 1), for `GET /alerts`.
#[derive(Debug)]
pub struct AlertRing {
    inner: Mutex<Ring>,
}

#[derive(Debug)]
struct Ring {
    cap: usize,
    next: u64,
    items: VecDeque<(u64, Arc<AlertRecord>)>,
}

/// A written alert as the dashboard needs it: the EVE line, the model input values of its
/// flow (a JSON object), and what the overview counts.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub json: Arc<str>,
    /// Every value the model saw for the flow.
    pub features: Features,
    pub src: IpAddr,
    pub dest: IpAddr,
    pub dest_port: u16,
    pub label: String,
    /// The rest of what the dashboard's alert table shows, kept typed so that nothing is
    /// encoded unless a page asks; `None` for a record made from an EVE line alone.
    pub brief: Option<Brief>,
}

/// The typed facts of an alert's brief view that [`AlertRecord`] does not hold already.
#[derive(Debug, Clone, PartialEq)]
pub struct Brief {
    /// The flow's last packet, µs since the epoch.
    pub end_us: i64,
    pub src_port: u16,
    /// IP protocol number.
    pub proto: u8,
    pub severity: u8,
    pub score: f64,
}

/// A flow's model input values, kept as they came (turned into JSON only when the
/// dashboard asks for one alert: most alerts are never opened).
#[derive(Debug, Clone, PartialEq)]
pub enum Features {
    None,
    /// Numbers under names shared by every flow of the source.
    Numbers {
        names: Arc<[String]>,
        values: Box<[f64]>,
    },
    /// A JSON object already built (log records, whose columns vary).
    Json(String),
}

impl Features {
    /// `{"Flow Duration": 123.0, ...}`.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        match self {
            Features::None => serde_json::Map::new(),
            Features::Numbers { names, values } => names
                .iter()
                .zip(values.iter())
                .map(|(n, &x)| (n.clone(), json_number(x)))
                .collect(),
            Features::Json(text) => match serde_json::from_str(text) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            },
        }
    }
}

/// A number as JSON. JSON has no NaN or infinity, so those become their names as strings,
/// as a CSV cell of `predict` reads them back.
pub fn json_number(x: f64) -> serde_json::Value {
    match serde_json::Number::from_f64(x) {
        Some(n) => n.into(),
        None if x.is_nan() => "NaN".into(),
        None if x > 0.0 => "Infinity".into(),
        None => "-Infinity".into(),
    }
}

impl AlertRecord {
    /// A record from an EVE line alone (no feature values), e.g. for tests.
    pub fn from_eve(json: Arc<str>) -> Self {
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let ip = |k: &str| {
            v[k].as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        };
        AlertRecord {
            src: ip("src_ip"),
            dest: ip("dest_ip"),
            dest_port: v["dest_port"].as_u64().unwrap_or(0) as u16,
            label: v["anomalab"]["prediction"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            features: Features::None,
            brief: None,
            json,
        }
    }
}

impl AlertRing {
    pub fn new(cap: usize) -> Self {
        AlertRing {
            inner: Mutex::new(Ring {
                cap: cap.max(1),
                next: 1,
                items: VecDeque::new(),
            }),
        }
    }

    /// Keep `alert`, dropping the oldest beyond the capacity; returns its sequence number.
    pub fn push(&self, alert: Arc<AlertRecord>) -> u64 {
        let mut r = lock(&self.inner);
        let seq = r.next;
        r.next += 1;
        if r.items.len() == r.cap {
            r.items.pop_front();
        }
        r.items.push_back((seq, alert));
        seq
    }

    /// The alert numbered `seq`, while it is in the ring.
    pub fn get(&self, seq: u64) -> Option<Arc<AlertRecord>> {
        let r = lock(&self.inner);
        let first = r.items.front()?.0;
        let i = seq.checked_sub(first)? as usize;
        r.items.get(i).map(|(_, a)| a.clone())
    }

    /// Alerts with a sequence number above `since` (oldest first, at most `limit`), and
    /// the last sequence number handed out.
    pub fn since(&self, since: u64, limit: usize) -> (Vec<(u64, Arc<AlertRecord>)>, u64) {
        let r = lock(&self.inner);
        let items = r
            .items
            .iter()
            .filter(|(s, _)| *s > since)
            .take(limit)
            .map(|(s, a)| (*s, a.clone()))
            .collect();
        (items, r.next - 1)
    }
}

/// Messages the event stream holds for its slowest subscriber before dropping it. A
/// paced (brief) subscriber takes a tenth of a second's batches at once. Batches hold up
/// to 256 flows; at the bench's 1.5 M packets/s (about 140,000 flows/s) that is some 550
/// full batches a second, so 4,096 messages are several seconds of them.
const EVENT_QUEUE: usize = 4096;

/// Everything the detector and the HTTP server share.
#[derive(Debug)]
pub struct ServeState {
    pub model: ModelInfo,
    pub metrics: Metrics,
    pub alerts: AlertRing,
    events: broadcast::Sender<Event>,
    ready: AtomicBool,
    stats: Mutex<AlertStats>,
    overview: Mutex<Arc<Overview>>,
    started: Instant,
    /// Alerts published and not yet sent to the event stream.
    outbox: Mutex<Vec<(u64, Arc<AlertRecord>)>>,
}

impl ServeState {
    pub fn new(model: ModelInfo, ring: usize) -> Self {
        ServeState {
            model,
            metrics: Metrics::default(),
            alerts: AlertRing::new(ring),
            events: broadcast::channel(EVENT_QUEUE).0,
            ready: AtomicBool::new(false),
            stats: Mutex::new(AlertStats::new()),
            overview: Mutex::new(Arc::new(AlertStats::new().overview())),
            started: Instant::now(),
            outbox: Mutex::new(Vec::new()),
        }
    }

    /// Keep an alert (an EVE line alone) in the ring, count it and send it to the event
    /// stream's subscribers at once.
    pub fn publish_alert(&self, json: Arc<str>) {
        self.publish(AlertRecord::from_eve(json));
        self.send_alerts();
    }

    /// Keep an alert in the ring and count it for the overview; it goes to the event
    /// stream's subscribers with the next [`ServeState::send_alerts`].
    pub fn publish(&self, alert: AlertRecord) {
        lock(&self.stats).count(&alert);
        let alert = Arc::new(alert);
        let seq = self.alerts.push(alert.clone());
        if self.events.receiver_count() > 0 {
            lock(&self.outbox).push((seq, alert));
        }
    }

    /// Send the alerts published since the last call as one message.
    pub fn send_alerts(&self) {
        let alerts = std::mem::take(&mut *lock(&self.outbox));
        if !alerts.is_empty() {
            let batch = AlertBatch {
                alerts,
                ..AlertBatch::default()
            };
            // No subscriber is not an error: nobody is watching.
            let _ = self.events.send(Event::Alerts(Arc::new(batch)));
        }
    }

    /// Send the current counters to the event stream's subscribers, keep a sample for the
    /// packet and flow rates, and refresh the overview (the detector calls this twice a
    /// second, so a dashboard's request never holds the lock the detector counts under).
    pub fn publish_counters(&self) {
        let c = self.metrics.counters();
        let overview = {
            let mut stats = lock(&self.stats);
            stats.sample(c.packets_received, c.flows_scored);
            Arc::new(stats.overview())
        };
        *lock(&self.overview) = overview;
        let _ = self.events.send(Event::Counters(c));
    }

    /// Seconds since serve started.
    pub fn uptime_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The overview as of the last [`ServeState::publish_counters`].
    pub fn overview(&self) -> Arc<Overview> {
        lock(&self.overview).clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Whether the model is loaded and inputs are open (`/v2/health/ready`).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

/// Minutes of alert counts the overview keeps.
pub const MINUTES: usize = 60;

/// Distinct keys a top list counts (beyond it new keys are not counted: bounded memory
/// under a spoofed flood).
const TOP_KEYS: usize = 100_000;

/// The dashboard's overview at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub uptime_s: f64,
    /// (unix seconds at the minute's start, alerts), the last [`MINUTES`], oldest first.
    pub per_minute: Vec<(i64, u64)>,
    pub top_sources: Vec<(String, u64)>,
    pub top_destinations: Vec<(String, u64)>,
    pub top_ports: Vec<(String, u64)>,
    pub packets_per_s: f64,
    pub flows_per_s: f64,
}

/// Entries of each top list.
pub const TOP: usize = 10;

/// What the dashboard's overview shows, counted as alerts are written.
#[derive(Debug)]
pub struct AlertStats {
    started: Instant,
    /// (unix minute, alerts) for the last [`MINUTES`] minutes with alerts, oldest first.
    minutes: VecDeque<(i64, u64)>,
    pub sources: HashMap<IpAddr, u64>,
    pub destinations: HashMap<IpAddr, u64>,
    pub ports: HashMap<u16, u64>,
    /// (when, packets received, flows scored), about every half second, last 10 s.
    samples: VecDeque<(Instant, u64, u64)>,
}

impl AlertStats {
    fn new() -> Self {
        AlertStats {
            started: Instant::now(),
            minutes: VecDeque::new(),
            sources: HashMap::new(),
            destinations: HashMap::new(),
            ports: HashMap::new(),
            samples: VecDeque::new(),
        }
    }

    fn count(&mut self, a: &AlertRecord) {
        let minute = unix_now() / 60;
        match self.minutes.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => self.minutes.push_back((minute, 1)),
        }
        while self
            .minutes
            .front()
            .is_some_and(|(m, _)| *m <= minute - MINUTES as i64)
        {
            self.minutes.pop_front();
        }
        bump(&mut self.sources, a.src);
        bump(&mut self.destinations, a.dest);
        bump(&mut self.ports, a.dest_port);
    }

    fn sample(&mut self, packets: u64, flows: u64) {
        let now = Instant::now();
        self.samples.push_back((now, packets, flows));
        while self
            .samples
            .front()
            .is_some_and(|(t, ..)| now.duration_since(*t).as_secs_f64() > 10.0)
        {
            self.samples.pop_front();
        }
    }

    /// The figures the overview shows now.
    pub fn overview(&self) -> Overview {
        let (packets_per_s, flows_per_s) = self.rates();
        Overview {
            uptime_s: self.uptime_s(),
            per_minute: self.per_minute(),
            top_sources: top(&self.sources, TOP),
            top_destinations: top(&self.destinations, TOP),
            top_ports: top(&self.ports, TOP),
            packets_per_s,
            flows_per_s,
        }
    }

    pub fn uptime_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Alerts in each of the last [`MINUTES`] minutes, oldest first, as (unix seconds at
    /// the minute's start, count), empty minutes included.
    pub fn per_minute(&self) -> Vec<(i64, u64)> {
        let now = unix_now() / 60;
        (0..MINUTES as i64)
            .rev()
            .map(|back| {
                let m = now - back;
                let n = self
                    .minutes
                    .iter()
                    .find(|(k, _)| *k == m)
                    .map_or(0, |x| x.1);
                (m * 60, n)
            })
            .collect()
    }

    /// Packets and flows per second over the samples kept (0 without two samples).
    pub fn rates(&self) -> (f64, f64) {
        match (self.samples.front(), self.samples.back()) {
            (Some(a), Some(b)) if b.0 > a.0 => {
                let dt = b.0.duration_since(a.0).as_secs_f64();
                ((b.1 - a.1) as f64 / dt, (b.2 - a.2) as f64 / dt)
            }
            _ => (0.0, 0.0),
        }
    }
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u64>, key: K) {
    if map.len() < TOP_KEYS || map.contains_key(&key) {
        *map.entry(key).or_insert(0) += 1;
    }
}

/// The `n` largest counts, largest first (ties by key), in time linear in the map.
pub fn top<K: Ord + ToString>(map: &HashMap<K, u64>, n: usize) -> Vec<(String, u64)> {
    let order = |a: &(&K, &u64), b: &(&K, &u64)| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0));
    let mut v: Vec<(&K, &u64)> = map.iter().collect();
    if v.len() > n {
        v.select_nth_unstable_by(n, order);
        v.truncate(n);
    }
    v.sort_by(order);
    v.into_iter().map(|(k, c)| (k.to_string(), *c)).collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelInfo {
        ModelInfo {
            name: "best".into(),
            sha256: "ab".repeat(32),
            role: "classifier",
            algorithm: "random_forest".into(),
        }
    }

    #[test]
    fn ring_keeps_the_last_alerts_with_sequence_numbers() {
        let ring = AlertRing::new(2);
        for s in ["a", "b", "c"] {
            ring.push(Arc::new(AlertRecord::from_eve(s.into())));
        }
        let (items, last) = ring.since(0, 10);
        assert_eq!(last, 3);
        let seqs: Vec<u64> = items.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![2, 3]);
        assert_eq!(&*items[1].1.json, "c");
        assert!(ring.since(3, 10).0.is_empty());
        assert_eq!(&*ring.get(3).unwrap().json, "c");
        assert!(ring.get(1).is_none(), "dropped from the ring");
        assert!(ring.get(4).is_none());
    }

    #[test]
    fn the_overview_counts_alerts_by_minute_and_talker() {
        let st = ServeState::new(model(), 10);
        let line = |src: &str, port: u16| -> Arc<str> {
            Arc::from(format!(
                r#"{{"src_ip":"{src}","dest_ip":"10.0.0.9","dest_port":{port},"anomalab":{{"prediction":"attack"}}}}"#
            ))
        };
        for (src, port) in [("10.0.0.1", 22), ("10.0.0.2", 22), ("10.0.0.1", 80)] {
            st.publish_alert(line(src, port));
        }
        st.publish_counters();
        let o = st.overview();
        assert_eq!(
            o.top_sources,
            vec![("10.0.0.1".into(), 2), ("10.0.0.2".into(), 1)]
        );
        assert_eq!(o.top_ports[0], ("22".into(), 2));
        let minutes = &o.per_minute;
        assert_eq!(minutes.len(), MINUTES);
        assert_eq!(minutes.iter().map(|m| m.1).sum::<u64>(), 3);
        assert_eq!(minutes[MINUTES - 1].1, 3, "all in the current minute");
        let mut many = HashMap::new();
        for (k, n) in [("a", 5), ("b", 9), ("c", 5), ("d", 1)] {
            many.insert(k.to_string(), n);
        }
        let want: Vec<(String, u64)> = vec![("b".into(), 9), ("a".into(), 5), ("c".into(), 5)];
        assert_eq!(top(&many, 3), want, "largest first, ties by key");
    }

    #[test]
    fn exposition_has_help_type_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe_scoring(0.000_07);
        m.observe_scoring(0.2);
        m.count_alert("DoS \"x\"");
        let text = m.render(&model());
        assert!(text.contains("# TYPE anomalab_scoring_duration_seconds histogram\n"));
        assert!(text.contains("anomalab_scoring_duration_seconds_bucket{le=\"0.00005\"} 0\n"));
        assert!(text.contains("anomalab_scoring_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("anomalab_scoring_duration_seconds_bucket{le=\"0.5\"} 2\n"));
        assert!(text.contains("anomalab_scoring_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("anomalab_scoring_duration_seconds_count 2\n"));
        assert!(text.contains("anomalab_alerts_total{label=\"DoS \\\"x\\\"\"} 1\n"));
        assert!(text.contains("model_sha256=\"abab"));
    }
}
