//! `/metrics`, `/alerts` and `/events`, and a shutdown with an event stream open.

use std::sync::Arc;
use std::time::Duration;

use anomalab::serve::state::AlertRecord;
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

/// An alert line with every key of the brief view and more.
fn eve_alert(n: u32) -> String {
    json!({
        "timestamp": format!("2017-07-03T15:06:{:02}.000001+0000", n % 60),
        "flow_id": n, "event_type": "alert",
        "src_ip": "10.0.0.1", "src_port": 40000 + n, "dest_ip": "10.0.0.9", "dest_port": 443,
        "proto": "TCP", "community_id": "1:x",
        "alert": {"action": "allowed", "signature_id": 9000001, "signature": "anomalab DoS", "severity": 1},
        "flow": {"pkts_toserver": 3, "start": "2017-07-03T15:06:00.000000+0000"},
        "anomalab": {"prediction": "DoS", "score": 0.75, "flow_key": "k"},
    })
    .to_string()
}

/// A server and its brief event stream, once the stream is live.
fn brief_stream() -> (Server, Arc<anomalab::serve::state::ServeState>, EventStream) {
    let server = Server::start(classifier(), config());
    let state = server.app.state.clone();
    let mut brief = EventStream::open_at(server.addr, "/events?view=brief", &[]);
    brief
        .next_where(Duration::from_secs(10), |e| e.event == "counters")
        .expect("counters");
    (server, state, brief)
}

#[test]
fn the_brief_view_streams_the_table_keys_of_each_alert_once_in_order() {
    let (server, state, mut brief) = brief_stream();
    let wait = Duration::from_secs(10);
    // Published one batch each, faster than the brief view's pace: they arrive together.
    for n in 1..=50 {
        state.publish_alert(Arc::from(eve_alert(n)));
    }
    let want = |n: u32| {
        let whole: serde_json::Value = serde_json::from_str(&eve_alert(n)).unwrap();
        json!({
            "timestamp": whole["timestamp"], "src_ip": "10.0.0.1", "src_port": whole["src_port"],
            "dest_ip": "10.0.0.9", "dest_port": 443, "proto": "TCP",
            "alert": {"signature": "anomalab DoS", "severity": 1},
            "anomalab": {"prediction": "DoS", "score": 0.75},
        })
    };
    for n in 1..=50u32 {
        let e = brief
            .next_where(wait, |e| e.event == "alert")
            .expect("an alert");
        assert_eq!(e.id, Some(n.to_string()), "in order, each once");
        let got: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(got, want(n));
    }
    let page = get(server.addr, "/alerts?since=49&view=brief").json();
    assert_eq!(page["alerts"][0]["alert"], want(50));
    let full = get(server.addr, "/alerts?since=49").json();
    assert_eq!(full["alerts"][0]["alert"]["flow"]["pkts_toserver"], 3);
    let bad = get(server.addr, "/alerts?view=short");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("view"), "{}", bad.body);
    assert_eq!(get(server.addr, "/events?view=short").status, 400);
    // A reconnect replays what it missed in the same view.
    let mut again = EventStream::open_at(
        server.addr,
        "/events?view=brief",
        &[("Last-Event-ID", "48")],
    );
    let e = again.next_where(wait, |e| e.event == "alert").unwrap();
    assert_eq!(e.id.as_deref(), Some("49"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&e.data).unwrap(),
        want(49)
    );
}

#[test]
fn a_flood_reaches_the_brief_view_as_its_newest_alerts_and_names_the_rest() {
    let (server, state, mut brief) = brief_stream();
    let wait = Duration::from_secs(10);
    // Three batches of 300 alerts, faster than the pace: more than the 500 a page keeps.
    for b in 0..3u32 {
        for n in 1..=300 {
            state.publish(AlertRecord::from_eve(Arc::from(eve_alert(b * 300 + n))));
        }
        state.send_alerts();
    }
    let mut seen = vec![0u32; 901];
    let mut skipped = 0;
    while seen[1..].contains(&0) {
        let e = brief
            .next_where(wait, |e| e.event == "alert" || e.event == "skipped")
            .unwrap_or_else(|| {
                panic!(
                    "missing: {:?}",
                    (1..=900).filter(|&i| seen[i] == 0).collect::<Vec<_>>()
                )
            });
        if e.event == "alert" {
            seen[e.id.unwrap().parse::<usize>().unwrap()] += 1;
            continue;
        }
        skipped += 1;
        let r: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        let (from, to) = (
            r["from"].as_u64().unwrap() as usize,
            r["to"].as_u64().unwrap() as usize,
        );
        assert!((from - 1) % 300 == 0 && to % 300 == 0, "whole batches: {r}");
        for s in &mut seen[from..=to] {
            *s += 1;
        }
    }
    assert!(skipped >= 1, "a `skipped` event");
    assert!(
        seen[1..].iter().all(|&n| n == 1),
        "each alert sent or skipped once"
    );
    assert_eq!(get(server.addr, "/alerts?since=899").json()["last"], 900);
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
    for n in 0..12_000 {
        let line = json!({"event_type": "alert", "flow_id": n, "pad": big}).to_string();
        state.publish_alert(Arc::from(line));
    }
    // 48 MB of alerts (three times the event queue of 4,096 messages) that the client never took: publishing did not wait for it.
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
