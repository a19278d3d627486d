//! What operators and the dashboard read: `/metrics` (Prometheus), `/alerts` (the recent
//! alerts in the ring) and `/events` (server-sent events of alerts and counters).

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio::time::{Interval, MissedTickBehavior};

use super::App;
use super::error::{ApiError, HttpError, Shape};
use crate::serve::state::{AlertEvent, Counters, Event, alert_frame};

/// The exposition format Prometheus scrapes.
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut text = app.state.metrics.render(&app.state.model);
    text.push_str(&app.http.render());
    ([(header::CONTENT_TYPE, PROMETHEUS)], text).into_response()
}

/// `GET /alerts?since=N&limit=M`: alerts with a sequence number above `since`, oldest
/// first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    #[serde(default)]
    since: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

pub async fn alerts(
    State(app): State<Arc<App>>,
    query: Result<Query<AlertsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| HttpError::Query(e.body_text()).shaped(Shape::Plain))?;
    let (items, last) = app.state.alerts.since(q.since, q.limit);
    let alerts: Vec<Value> = items
        .iter()
        .map(|(seq, line)| json!({ "seq": seq, "alert": eve_object(line) }))
        .collect();
    Ok(Json(json!({ "alerts": alerts, "last": last })))
}

/// An alert line as a JSON value (the ring holds serialised EVE objects; a line that is
/// somehow not JSON is passed on as a string rather than failing the whole answer).
fn eve_object(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string()))
}

/// `GET /events`: `alert` events (id = sequence number, data = the EVE object) as they
/// are written, `counters` every `events_interval`, and `lagged` when this client fell
/// so far behind that alerts were skipped, after which the stream ends (the detector never
/// waits for a client; `/alerts?since=` has what was missed). A reconnecting
/// client's `Last-Event-ID` replays the alerts it missed from the ring first.
pub async fn events(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let permit = app.streams.clone().try_acquire_owned().map_err(|_| {
        HttpError::TooManyStreams {
            limit: super::MAX_EVENT_STREAMS,
        }
        .shaped(Shape::Plain)
    })?;
    // Subscribe before reading the ring, so that no alert falls between the two.
    let live = app.state.subscribe();
    let last_seen: Option<u64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let mut backlog = Vec::new();
    let mut sent = 0;
    if let Some(since) = last_seen {
        let (items, _) = app.state.alerts.since(since, usize::MAX);
        // Alerts older than the ring's oldest are gone: say how many.
        if let Some(&(first, _)) = items.first()
            && first > since.saturating_add(1)
        {
            backlog.push(lagged_event(first - since - 1));
        }
        sent = items.last().map_or(since, |(seq, _)| *seq);
        backlog.extend(items.into_iter().map(|(seq, json)| alert_event(seq, &json)));
    }
    let mut ticks = tokio::time::interval(app.config.events_interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stream = Subscriber {
        app: app.clone(),
        live,
        ticks,
        stopping: app.stopping.subscribe(),
        sent,
        dropped: false,
        _permit: permit,
    };
    let stream =
        futures_util::stream::iter(backlog.into_iter().map(Ok)).chain(stream.into_stream());
    // Frames written as they are: an alert's is encoded once by the detector and shared
    // by every subscriber (20 open dashboards cost 20 reference counts, not 20 copies).
    // The counters every `events_interval` keep the connection alive.
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A shared frame as the bytes of a response body, without a copy.
struct Frame(Arc<str>);

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

fn alert_event(seq: u64, json: &str) -> Bytes {
    Bytes::from(alert_frame(seq, json))
}

fn lagged_event(skipped: u64) -> Bytes {
    let data = json!({ "skipped": skipped }).to_string();
    Bytes::from(format!("event: lagged\ndata: {data}\n\n"))
}

fn counters_event(c: &Counters) -> Bytes {
    let data = serde_json::to_string(c).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: counters\ndata: {data}\n\n"))
}

/// One client's view of the event stream.
struct Subscriber {
    app: Arc<App>,
    live: broadcast::Receiver<Event>,
    ticks: Interval,
    stopping: watch::Receiver<bool>,
    /// Highest alert sequence number already sent (replayed ones are not sent twice).
    sent: u64,
    /// Fell behind the broadcast: the stream ends after the `lagged` event.
    dropped: bool,
    _permit: OwnedSemaphorePermit,
}

impl Subscriber {
    /// The next event, or `None` once the server shuts down.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if *self.stopping.borrow() || self.dropped {
                return None;
            }
            tokio::select! {
                _ = self.stopping.changed() => return None,
                _ = self.ticks.tick() => {
                    return Some(counters_event(&self.app.state.metrics.counters()));
                }
                received = self.live.recv() => match received {
                    Ok(Event::Alerts(batch)) => {
                        if let Some(frames) = self.unsent(&batch) {
                            return Some(frames);
                        }
                    }
                    Ok(Event::Counters(c)) => return Some(counters_event(&c)),
                    // The detector never waits for a slow client: this one is told what it
                    // missed and dropped; its EventSource reconnects with Last-Event-ID
                    // and gets the missed alerts from the ring.
                    Err(RecvError::Lagged(n)) => {
                        self.dropped = true;
                        return Some(lagged_event(n));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    /// The frames of `batch` not sent yet (a reconnect's replay may have sent some), as
    /// one write; `None` when there are none.
    fn unsent(&mut self, batch: &[AlertEvent]) -> Option<Bytes> {
        let new: Vec<&AlertEvent> = batch.iter().filter(|a| a.seq > self.sent).collect();
        self.sent = new.last().map_or(self.sent, |a| a.seq);
        match new.as_slice() {
            [] => None,
            [one] => Some(Bytes::from_owner(Frame(one.frame.clone()))),
            many => {
                let mut out = String::with_capacity(many.iter().map(|a| a.frame.len()).sum());
                for a in many {
                    out.push_str(&a.frame);
                }
                Some(Bytes::from(out))
            }
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
        futures_util::stream::unfold(
            self,
            |mut s| async move { s.next().await.map(|e| (Ok(e), s)) },
        )
    }
}
