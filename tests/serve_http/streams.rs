//! `/metrics`, `/alerts` and `/events`, and a shutdown with an event stream open.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::client::{EventStream, get, post_json};
use super::{Server, classifier, config};

const ONE_ROW: &str = r#"{"dataframe_split": {"columns": ["duration", "bytes", "proto"], "data": [[1, 2, "tcp"], [9000, 1, "udp"]]}}"#;

/// `name{labels} value` (or `name value`): the sample line of the text format.
fn is_sample(line: &str) -> bool {
    let Some((series, value)) = line.rsplit_once(' ') else {
        return false;
    };
    let name_end = series.find('{').unwrap_or(series.len());
    let name = &series[..name_end];
    let labels = &series[name_end..];
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    let labels_ok = labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}'));
    name_ok && labels_ok && value.parse::<f64>().is_ok()
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_parse_and_count_requests() {
    let server = Server::start(classifier(), config());
    for _ in 0..3 {
        assert_eq!(post_json(server.addr, "/invocations", ONE_ROW).status, 200);
    }
    assert_eq!(post_json(server.addr, "/invocations", "{").status, 400);
    let r = get(server.addr, "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    for line in r.body.lines() {
        assert!(line.starts_with('#') || is_sample(line), "{line:?}");
    }
    let t = &r.body;
    let ok = r#"anomalab_http_requests_total{handler="/invocations",code="200"}"#;
    assert_eq!(sample(t, ok), Some(3.0), "{t}");
    let bad = r#"anomalab_http_requests_total{handler="/invocations",code="400"}"#;
    assert_eq!(sample(t, bad), Some(1.0));
    assert_eq!(sample(t, "anomalab_http_rows_scored_total"), Some(6.0));
    let count = r#"anomalab_http_request_duration_seconds_count{handler="/invocations"}"#;
    assert_eq!(sample(t, count), Some(4.0));
    // The detector's own series are there too.
    assert_eq!(sample(t, "anomalab_packets_received_total"), Some(0.0));
    assert!(t.contains("anomalab_build_info{"));
}

fn alert_json(n: u32) -> String {
    json!({"event_type": "alert", "flow_id": n, "alert": {"signature": "anomalab attack"}})
        .to_string()
}

#[test]
fn alerts_and_events_deliver_published_alerts() {
    let server = Server::start(classifier(), config());
    let state = server.app.state.clone();
    let mut events = EventStream::open(server.addr, &[]);
    let wait = Duration::from_secs(10);
    let counters = events
        .next_where(wait, |e| e.event == "counters")
        .expect("counters");
    let c: serde_json::Value = serde_json::from_str(&counters.data).unwrap();
    assert_eq!(c["packets_received"], 0);

    state.publish_alert(Arc::from(alert_json(1)));
    let alert = events
        .next_where(wait, |e| e.event == "alert")
        .expect("an alert event");
    assert_eq!(alert.id.as_deref(), Some("1"));
    assert_eq!(alert.data, alert_json(1));

    state.publish_alert(Arc::from(alert_json(2)));
    state.publish_alert(Arc::from(alert_json(3)));
    let all = get(server.addr, "/alerts?since=0").json();
    assert_eq!(all["last"], 3);
    assert_eq!(all["alerts"][0]["seq"], 1);
    assert_eq!(all["alerts"][2]["alert"]["flow_id"], 3);
    let page = get(server.addr, "/alerts?since=1&limit=1").json();
    assert_eq!(page["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(page["alerts"][0]["seq"], 2);
    let none = get(server.addr, "/alerts?since=3").json();
    assert_eq!(none, json!({"alerts": [], "last": 3}));

    // A reconnecting client gets what it missed, then the live alerts, each once.
    let mut again = EventStream::open(server.addr, &[("Last-Event-ID", "1")]);
    let ids: Vec<String> = (0..2)
        .map(|_| {
            again
                .next_where(wait, |e| e.event == "alert")
                .unwrap()
                .id
                .unwrap()
        })
        .collect();
    assert_eq!(ids, ["2", "3"]);
    state.publish_alert(Arc::from(alert_json(4)));
    let live = again.next_where(wait, |e| e.event == "alert").unwrap();
    assert_eq!(live.id.as_deref(), Some("4"));

    // Shutdown ends the open streams, so the drain finishes.
    let started = std::time::Instant::now();
    server.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(events.closed_within(Duration::from_secs(5)));
}

#[test]
fn a_client_that_does_not_read_is_dropped_and_never_slows_publishing() {
    let server = Server::start(classifier(), config());
    let state = server.app.state.clone();
    // Opened, then never read while the alerts go out.
    let mut slow = EventStream::open(server.addr, &[]);
    std::thread::sleep(Duration::from_millis(200));
    let big = "x".repeat(4000);
    let started = std::time::Instant::now();
    for n in 0..5000 {
        let line = json!({"event_type": "alert", "flow_id": n, "pad": big}).to_string();
        state.publish_alert(Arc::from(line));
    }
    // 20 MB of alerts that the client never took: publishing did not wait for it.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Reading now: the stream says what was missed, then ends (the client is dropped and,
    // as a browser would, reconnects with Last-Event-ID to get the ring's alerts).
    let lagged = slow.next_where(Duration::from_secs(20), |e| e.event == "lagged");
    assert!(lagged.is_some(), "a `lagged` event");
    assert!(
        slow.closed_within(Duration::from_secs(20)),
        "the stream ended"
    );
    assert_eq!(get(server.addr, "/v2/health/live").status, 200);
}
