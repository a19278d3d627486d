//! The scoring thread: takes ended flows (and Zeek records) as they come, scores whatever
//! has queued up as one batch, and writes the verdicts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anomalab_flow::FlowRecord;

use crate::data::Table;
use crate::score::{ScoreError, Scorer};

use super::eve::FlowFacts;
use super::sink::{AlertSink, SinkError};
use super::state::{Features, ServeState, json_number};
use super::verdict::AlertRule;

/// Most flows scored as one batch: large enough to amortise the model's per-call cost,
/// small enough that the first flow of a burst is not held back long.
pub const MAX_BATCH: usize = 1024;

/// How often the counters go to the event stream, and how long the thread waits for work
/// before it looks at the reopen flag again.
const TICK: Duration = Duration::from_millis(500);

/// Work for the scoring thread.
pub enum Work {
    /// Flows that ended, and when each was handed over.
    Flows(Vec<FlowRecord>, Vec<Instant>),
    /// Records of a log already laid out as the model's columns, with their EVE facts.
    Records(RecordBatch, Instant),
}

/// Log records as a table with the model's input columns, one [`FlowFacts`] per row.
pub struct RecordBatch {
    pub source: String,
    pub table: Table,
    pub facts: Vec<FlowFacts>,
}

/// Totals of the scoring thread, for the summary.
#[derive(Debug, Default)]
pub struct DetectTotals {
    pub scored: u64,
    /// Seconds from a flow's hand-over to its verdict being written (flows that ended while
    /// traffic flowed, not those flushed at the end), sorted.
    pub latencies: Vec<f64>,
    /// Latency samples offered (kept or not).
    samples: u64,
}

/// The scoring thread's error.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Latency samples kept (the first ones, then every k-th): enough for p99.
const LATENCY_SAMPLES: usize = 1 << 20;

/// Score until every sender is gone.
pub fn run(
    rx: Receiver<Work>,
    scorer: &Scorer,
    rule: &AlertRule,
    sink: &mut AlertSink,
    state: &ServeState,
    reopen: &AtomicBool,
) -> Result<DetectTotals, DetectError> {
    let mut d = Detector {
        scorer,
        rule,
        sink,
        state,
        totals: DetectTotals::default(),
    };
    let mut last_tick = Instant::now();
    let mut flows = Pending::default();
    loop {
        match rx.recv_timeout(TICK) {
            Ok(first) => {
                let mut next = Some(first);
                while let Some(work) = next.take() {
                    match work {
                        Work::Flows(f, t) => {
                            flows.flows.extend(f);
                            flows.handed.extend(t);
                        }
                        Work::Records(b, t) => d.score_records(b, t)?,
                    }
                    if flows.flows.len() < MAX_BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                d.score_flows(&mut flows)?;
                d.sink.flush()?;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if reopen.swap(false, Ordering::AcqRel) {
            d.sink.reopen()?;
        }
        if last_tick.elapsed() >= TICK {
            state.publish_counters();
            last_tick = Instant::now();
        }
    }
    d.sink.close()?;
    state.publish_counters();
    let mut totals = d.totals;
    totals.latencies.sort_by(f64::total_cmp);
    Ok(totals)
}

/// Flows waiting to be scored, and when each was handed over.
#[derive(Default)]
struct Pending {
    flows: Vec<FlowRecord>,
    handed: Vec<Instant>,
}

/// What the scoring thread works with.
struct Detector<'a> {
    scorer: &'a Scorer,
    rule: &'a AlertRule,
    sink: &'a mut AlertSink,
    state: &'a ServeState,
    totals: DetectTotals,
}

impl Detector<'_> {
    fn score_flows(&mut self, p: &mut Pending) -> Result<(), DetectError> {
        if p.flows.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let scored = self.scorer.score_flows(&p.flows, &[])?;
        let facts = p.flows.iter().map(super::eve::flow_facts);
        let flows = &p.flows;
        let features = |i: usize| flow_features(&flows[i]);
        self.write(started, &scored.predictions, facts, &features)?;
        // Flows flushed at the end of input or at shutdown all end at once; the latency
        // that matters is that of flows ending while traffic flows.
        let done = Instant::now();
        for (flow, t) in p.flows.iter().zip(&p.handed) {
            if flow.end_reason != anomalab_flow::EndReason::EndOfInput {
                record_latency(&mut self.totals, done.duration_since(*t).as_secs_f64());
            }
        }
        p.flows.clear();
        p.handed.clear();
        Ok(())
    }

    fn score_records(&mut self, batch: RecordBatch, handed: Instant) -> Result<(), DetectError> {
        let started = Instant::now();
        let scored = self.scorer.score_table(&batch.source, &batch.table, &[])?;
        let table = &batch.table;
        let features = |i: usize| row_features(table, i);
        self.write(
            started,
            &scored.predictions,
            batch.facts.iter().cloned(),
            &features,
        )?;
        let latency = handed.elapsed().as_secs_f64();
        for _ in 0..batch.facts.len() {
            record_latency(&mut self.totals, latency);
        }
        Ok(())
    }

    /// Count the batch scored since `started` and write a verdict per row.
    fn write(
        &mut self,
        started: Instant,
        predictions: &crate::score::Predictions,
        facts: impl Iterator<Item = FlowFacts>,
        features: &dyn Fn(usize) -> Features,
    ) -> Result<(), DetectError> {
        let metrics = &self.state.metrics;
        metrics.observe_scoring(started.elapsed().as_secs_f64());
        let verdicts = self.rule.verdicts(predictions);
        for (i, (f, v)) in facts.zip(&verdicts).enumerate() {
            self.sink.put(&f, v, || features(i))?;
        }
        let n = verdicts.len() as u64;
        self.totals.scored += n;
        metrics.flows_scored.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }
}

/// A flow's model input values (names as the model knows them, shared by every flow).
fn flow_features(flow: &FlowRecord) -> Features {
    static NAMES: std::sync::OnceLock<Arc<[String]>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| anomalab_flow::model_feature_names().into());
    Features::Numbers {
        names: names.clone(),
        values: flow.model_vector().into(),
    }
}

/// Row `i` of a log batch (the model's columns) as a JSON object.
fn row_features(table: &Table, i: usize) -> Features {
    let map: serde_json::Map<String, serde_json::Value> = table
        .columns
        .iter()
        .map(|c| {
            let v = match &c.data {
                crate::data::ColumnData::Numeric(x) => json_number(x[i]),
                crate::data::ColumnData::Categorical { codes, levels } => levels
                    .get(codes[i] as usize)
                    .map_or(serde_json::Value::Null, |l| l.clone().into()),
            };
            (c.name.clone(), v)
        })
        .collect();
    Features::Json(serde_json::Value::Object(map).to_string())
}

fn record_latency(totals: &mut DetectTotals, seconds: f64) {
    // Past the cap, a new sample overwrites an old one: bounded memory, recent samples
    // still represented.
    totals.samples += 1;
    let n = totals.latencies.len();
    if n < LATENCY_SAMPLES {
        totals.latencies.push(seconds);
    } else {
        let at = (totals.samples as usize).wrapping_mul(2_654_435_761) % n;
        totals.latencies[at] = seconds;
    }
}
