//! The HTTP side's own counters, kept apart from the detector's (`ServeState::metrics`):
//! requests by route and status, their durations, and the rows scored over HTTP.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::serve::state::escape_label;

/// Upper bounds (seconds) of the request-duration histogram: a one-row request answers in
/// well under a millisecond, a large batch of a large model in seconds.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
pub struct HttpMetrics {
    /// (route pattern, status code) -> requests answered. Routes are patterns
    /// (`/v2/models/{name}/infer`), never raw paths, so the label set stays bounded.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    rows: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain counters stay worth reading after a panic elsewhere.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HttpMetrics {
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        *lock(&self.requests)
            .entry((route.to_string(), status))
            .or_insert(0) += 1;
        let mut durations = lock(&self.durations);
        let h = durations.entry(route.to_string()).or_default();
        for (c, &b) in h.counts.iter_mut().zip(&DURATION_BUCKETS) {
            if seconds <= b {
                *c += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn count_rows(&self, rows: usize) {
        self.rows.fetch_add(rows as u64, Ordering::Relaxed);
    }

    pub fn rows_scored(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition (format 0.0.4) of these counters.
    pub fn render(&self) -> String {
        let mut o = String::new();
        help(
            &mut o,
            "http_requests_total",
            "counter",
            "HTTP requests answered.",
        );
        for ((route, code), n) in lock(&self.requests).iter() {
            let route = escape_label(route);
            let _ = writeln!(
                o,
                "anomalab_http_requests_total{{handler=\"{route}\",code=\"{code}\"}} {n}"
            );
        }
        let name = "http_request_duration_seconds";
        help(&mut o, name, "histogram", "Time to answer an HTTP request.");
        for (route, h) in lock(&self.durations).iter() {
            let route = escape_label(route);
            for (c, b) in h.counts.iter().zip(&DURATION_BUCKETS) {
                let _ = writeln!(
                    o,
                    "anomalab_{name}_bucket{{handler=\"{route}\",le=\"{b}\"}} {c}"
                );
            }
            let (count, sum) = (h.count, h.sum);
            let _ = writeln!(
                o,
                "anomalab_{name}_bucket{{handler=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(o, "anomalab_{name}_sum{{handler=\"{route}\"}} {sum}");
            let _ = writeln!(o, "anomalab_{name}_count{{handler=\"{route}\"}} {count}");
        }
        let rows = self.rows_scored();
        help(
            &mut o,
            "http_rows_scored_total",
            "counter",
            "Rows scored over HTTP.",
        );
        let _ = writeln!(o, "anomalab_http_rows_scored_total {rows}");
        o
    }
}

fn help(o: &mut String, name: &str, kind: &str, text: &str) {
    let _ = writeln!(o, "# HELP anomalab_{name} {text}");
    let _ = writeln!(o, "# TYPE anomalab_{name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_cumulative_buckets_by_route() {
        let m = HttpMetrics::default();
        m.observe("/invocations", 200, 0.000_3);
        m.observe("/invocations", 400, 3.0);
        m.count_rows(7);
        let text = m.render();
        for line in [
            "anomalab_http_requests_total{handler=\"/invocations\",code=\"200\"} 1",
            "anomalab_http_requests_total{handler=\"/invocations\",code=\"400\"} 1",
            "anomalab_http_request_duration_seconds_bucket{handler=\"/invocations\",le=\"0.00025\"} 0",
            "anomalab_http_request_duration_seconds_bucket{handler=\"/invocations\",le=\"0.0005\"} 1",
            "anomalab_http_request_duration_seconds_bucket{handler=\"/invocations\",le=\"10\"} 2",
            "anomalab_http_request_duration_seconds_bucket{handler=\"/invocations\",le=\"+Inf\"} 2",
            "anomalab_http_request_duration_seconds_count{handler=\"/invocations\"} 2",
            "anomalab_http_rows_scored_total 7",
        ] {
            assert!(text.contains(&format!("{line}\n")), "{line} in\n{text}");
        }
    }
}
