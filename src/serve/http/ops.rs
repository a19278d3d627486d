//! What operators and the dashboard read: `/metrics` (Prometheus), `/alerts` (the recent
//! alerts in the ring) and `/events` (server-sent events of alerts and counters).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::Write as _;
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
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio::time::{Duration, Instant, Interval, MissedTickBehavior};

use super::App;
use super::error::{ApiError, HttpError, Shape};
use crate::serve::eve;
use crate::serve::state::{AlertBatch, AlertRecord, Counters, Event};

/// The exposition format Prometheus scrapes.
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut text = app.state.metrics.render(&app.state.model);
    text.push_str(&app.http.render());
    ([(header::CONTENT_TYPE, PROMETHEUS)], text).into_response()
}

/// Which view of an alert a client reads: the whole EVE object, or the brief one the
/// dashboard's table needs (`?view=brief`).
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum View {
    #[default]
    Full,
    Brief,
}

impl View {
    fn line(self, alert: &AlertRecord) -> String {
        match self {
            View::Full => alert.json.to_string(),
            View::Brief => eve::brief_line(alert),
        }
    }

    /// `alert`'s server-sent event appended to `out`: `event: alert`, its sequence number as
    /// the id (a reconnecting client sends it back as `Last-Event-ID`), the view as data
    /// (one line: compact JSON has no newline).
    fn write_frame(self, out: &mut Vec<u8>, seq: u64, alert: &AlertRecord) {
        write!(out, "event: alert\nid: {seq}\ndata: ").expect("writing to memory");
        match self {
            View::Full => out.extend_from_slice(alert.json.as_bytes()),
            View::Brief => eve::write_brief(out, alert),
        }
        out.extend_from_slice(b"\n\n");
    }

    /// The frames of `alerts` in this view, one after the other.
    fn frames_of<'a>(self, alerts: impl Iterator<Item = &'a (u64, Arc<AlertRecord>)>) -> Vec<u8> {
        let mut out = Vec::new();
        for (seq, alert) in alerts {
            self.write_frame(&mut out, *seq, alert);
        }
        out
    }

    /// The frames of `batch` in this view, joined, encoded by the first subscriber that
    /// needs them.
    fn frames(self, batch: &AlertBatch) -> &Arc<[u8]> {
        let cell = match self {
            View::Full => &batch.full,
            View::Brief => &batch.brief,
        };
        cell.get_or_init(|| Arc::from(self.frames_of(batch.alerts.iter())))
    }
}

/// `GET /alerts?since=N&limit=M&view=full|brief`: alerts with a sequence number above
/// `since`, oldest first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    #[serde(default)]
    since: u64,
    #[serde(default)]
    view: View,
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
        .map(|(seq, a)| json!({ "seq": seq, "alert": eve_object(&q.view.line(a)) }))
        .collect();
    Ok(Json(json!({ "alerts": alerts, "last": last })))
}

/// An alert line as a JSON value (the ring holds serialised EVE objects; a line that is
/// somehow not JSON is passed on as a string rather than failing the whole answer).
fn eve_object(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string()))
}

/// `GET /events?view=full|brief`: `alert` events (id = sequence number, data = the EVE
/// object, or its brief view) as they are written, `counters` every `events_interval`, and `lagged` when this client fell
/// so far behind that alerts were skipped, after which the stream ends (the detector never
/// waits for a client; `/alerts?since=` has what was missed). A reconnecting
/// client's `Last-Event-ID` replays the alerts it missed from the ring first.
pub async fn events(
    State(app): State<Arc<App>>,
    query: Result<Query<EventsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(EventsQuery { view }) =
        query.map_err(|e| HttpError::Query(e.body_text()).shaped(Shape::Plain))?;
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
        if !items.is_empty() {
            backlog.push(Bytes::from(view.frames_of(items.iter())));
        }
    }
    let mut ticks = tokio::time::interval(app.config.events_interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stream = Subscriber {
        app: app.clone(),
        live,
        ticks,
        stopping: app.stopping.subscribe(),
        sent,
        view,
        pending: VecDeque::new(),
        next_write: Instant::now(),
        dropped: false,
        _permit: permit,
    };
    let stream =
        futures_util::stream::iter(backlog.into_iter().map(Ok)).chain(stream.into_stream());
    // An alert's frame is encoded once, by the first subscriber that sends it, and shared
    // by the others (20 open dashboards cost 20 reference counts, not 20 encodings).
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(default)]
    view: View,
}

/// A shared frame as the bytes of a response body, without a copy.
struct Frame(Arc<[u8]>);

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn lagged_event(skipped: u64) -> Bytes {
    let data = json!({ "skipped": skipped }).to_string();
    Bytes::from(format!("event: lagged\ndata: {data}\n\n"))
}

fn counters_event(c: &Counters) -> Bytes {
    let data = serde_json::to_string(c).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: counters\ndata: {data}\n\n"))
}

/// The brief view is written at most this often: it feeds a page that redraws four
/// times a second, and under a flood one write per interval instead of one per scored
/// batch keeps the server's work per page small (the detector never waits either way).
const BRIEF_PACE: Duration = Duration::from_millis(100);

/// At most this many alerts go to a brief-view client per write, the newest: the page
/// keeps 500 rows. Under a flood a page is never sent what it cannot show, so the
/// server's work for it is bounded whatever the alert rate.
const BRIEF_MAX: usize = 500;

/// How many of `batches` (oldest first) fall outside the newest `max` alerts; the newest
/// batch is always kept.
fn batches_beyond(batches: &[Arc<AlertBatch>], max: usize) -> usize {
    let mut kept = 0;
    for (i, b) in batches.iter().enumerate().rev() {
        kept += b.alerts.len();
        if kept > max {
            return i + usize::from(i + 1 != batches.len());
        }
    }
    0
}

/// Alerts `from..=to` were not sent to this client (they are in `/alerts`).
fn skipped_event(from: u64, to: u64) -> Bytes {
    let data = json!({ "from": from, "to": to }).to_string();
    Bytes::from(format!("event: skipped\ndata: {data}\n\n"))
}

/// One client's view of the event stream.
struct Subscriber {
    app: Arc<App>,
    live: broadcast::Receiver<Event>,
    ticks: Interval,
    stopping: watch::Receiver<bool>,
    /// Highest alert sequence number already sent (replayed ones are not sent twice).
    sent: u64,
    view: View,
    /// Events to send before waiting again (a drain of the channel gives several).
    pending: VecDeque<Bytes>,
    /// No alert write before this instant (the brief view's pace).
    next_write: Instant,
    /// Fell behind the broadcast: the stream ends after the `lagged` event.
    dropped: bool,
    _permit: OwnedSemaphorePermit,
}

impl Subscriber {
    /// The next event, or `None` once the server shuts down.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(event) = self.pending.pop_front() {
            return Some(event);
        }
        loop {
            if *self.stopping.borrow() || self.dropped {
                return None;
            }
            tokio::select! {
                _ = self.stopping.changed() => return None,
                _ = self.ticks.tick() => {
                    return Some(counters_event(&self.app.state.metrics.counters()));
                }
                // Paced: not listening until the next write is due, so the detector's
                // batches meanwhile wait in the channel and go out together.
                received = self.live.recv(), if Instant::now() >= self.next_write => {
                    match received {
                        Ok(event) => {
                            let mut events = vec![event];
                            let lagged = self.drain(&mut events);
                            self.queue(events);
                            self.pending.extend(lagged);
                            if let Some(first) = self.pending.pop_front() {
                                return Some(first);
                            }
                        }
                        // The detector never waits for a slow client: this one is told
                        // what it missed and dropped; its EventSource reconnects with
                        // Last-Event-ID and gets the missed alerts from the ring.
                        Err(RecvError::Lagged(n)) => {
                            self.dropped = true;
                            return Some(lagged_event(n));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
                _ = tokio::time::sleep_until(self.next_write), if Instant::now() < self.next_write => {}
            }
        }
    }

    /// Whatever else the channel holds now, without waiting; the `lagged` event if this
    /// client fell behind.
    fn drain(&mut self, events: &mut Vec<Event>) -> Option<Bytes> {
        loop {
            match self.live.try_recv() {
                Ok(event) => events.push(event),
                Err(TryRecvError::Lagged(n)) => {
                    self.dropped = true;
                    return Some(lagged_event(n));
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return None,
            }
        }
    }

    /// Queue what `events` have for this client: the alerts not sent yet (a reconnect's
    /// replay may have sent some), then the newest counters. In the brief view, batches
    /// beyond the newest [`BRIEF_MAX`] alerts are not sent but named in a `skipped` event.
    fn queue(&mut self, events: Vec<Event>) {
        let mut counters = None;
        let mut batches = Vec::new();
        for event in events {
            match event {
                Event::Counters(c) => counters = Some(c),
                Event::Alerts(batch) => batches.push(batch),
            }
        }
        if self.view == View::Brief {
            self.next_write = Instant::now() + BRIEF_PACE;
            let skip = batches_beyond(&batches, BRIEF_MAX);
            let first = batches.first().and_then(|b| b.alerts.first());
            let last = skip.checked_sub(1).and_then(|i| batches[i].alerts.last());
            if let (Some((first, _)), Some((last, _))) = (first, last)
                && *last > self.sent
            {
                let from = (*first).max(self.sent + 1);
                self.pending.push_back(skipped_event(from, *last));
                self.sent = *last;
            }
        }
        for batch in &batches {
            self.take(batch);
        }
        if let Some(c) = counters {
            self.pending.push_back(counters_event(&c));
        }
    }

    fn take(&mut self, batch: &AlertBatch) {
        let Some(&(last, _)) = batch.alerts.last() else {
            return;
        };
        if last <= self.sent {
            return;
        }
        if batch.alerts[0].0 > self.sent {
            let shared = self.view.frames(batch).clone();
            self.pending.push_back(Bytes::from_owner(Frame(shared)));
        } else {
            let sent = self.sent;
            let unsent = batch.alerts.iter().filter(|(s, _)| *s > sent);
            self.pending
                .push_back(Bytes::from(self.view.frames_of(unsent)));
        }
        self.sent = last;
    }

    fn into_stream(self) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
        futures_util::stream::unfold(
            self,
            |mut s| async move { s.next().await.map(|e| (Ok(e), s)) },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(sizes: &[usize]) -> Vec<Arc<AlertBatch>> {
        let record = Arc::new(AlertRecord::from_eve(Arc::from("{}")));
        let mut seq = 0;
        sizes
            .iter()
            .map(|&n| {
                let alerts = (0..n)
                    .map(|_| {
                        seq += 1;
                        (seq, record.clone())
                    })
                    .collect();
                Arc::new(AlertBatch {
                    alerts,
                    ..AlertBatch::default()
                })
            })
            .collect()
    }

    #[test]
    fn a_flood_keeps_the_newest_batches_within_the_cap_and_always_the_newest() {
        assert_eq!(batches_beyond(&batches(&[100, 200, 200]), 500), 0);
        assert_eq!(batches_beyond(&batches(&[1, 100, 200, 200]), 500), 1);
        assert_eq!(batches_beyond(&batches(&[256; 40]), 500), 39);
        assert_eq!(
            batches_beyond(&batches(&[600]), 500),
            0,
            "the newest is kept"
        );
        assert_eq!(batches_beyond(&batches(&[5, 600]), 500), 1);
        assert_eq!(batches_beyond(&[], 500), 0);
    }
}
