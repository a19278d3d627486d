//! A Zeek `conn.log` (TSV or JSON lines) read as it grows, across rotation: each batch of
//! new complete lines is parsed by the same reader as `source: zeek` (the file's own
//! header lines in front), laid out as the model's input columns, and sent for scoring.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use anomalab_flow::zeek::{ZeekColumn, ZeekLog, read_conn_log};

use crate::data::table::MISSING;
use crate::data::{Column, ColumnData, Table};
use crate::preprocess::InputColumn;

use super::detect::{RecordBatch, Work};
use super::eve::FlowFacts;
use super::state::Metrics;

/// How often a followed log is checked for new lines and rotation.
pub const POLL: Duration = Duration::from_millis(200);

/// Most records parsed and sent as one batch.
const BATCH_LINES: usize = 4096;

/// Which log is read and how.
pub struct ZeekConfig {
    pub path: PathBuf,
    /// Keep reading as the log grows and is rotated, until stopped.
    pub follow: bool,
    /// The model's input columns (every one must be a field of the log).
    pub columns: Vec<InputColumn>,
}

/// The follower's error.
#[derive(Debug, thiserror::Error)]
pub enum ZeekError {
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: io::Error },
    #[error("{0}")]
    Parse(String),
    #[error(
        "{path}: the model needs field(s) {missing} that the log does not have (fields: {fields})"
    )]
    Columns {
        path: String,
        missing: String,
        fields: String,
    },
}

/// The open log: where reading stands and the header lines that precede its records.
struct Open {
    file: File,
    inode: u64,
    pos: u64,
    header: Vec<u8>,
    /// Bytes after the last complete line.
    partial: Vec<u8>,
}

/// Read the log (and with `follow`, what is appended and what replaces it on rotation)
/// until its end or `stop`; records go to `tx`. Returns the records read.
pub fn run(
    cfg: &ZeekConfig,
    tx: &SyncSender<Work>,
    metrics: &Metrics,
    stop: &Arc<AtomicBool>,
) -> Result<u64, ZeekError> {
    let name = cfg.path.display().to_string();
    let io_err = |error| ZeekError::Io {
        path: name.clone(),
        error,
    };
    let mut open = open_log(&cfg.path).map_err(io_err)?;
    let mut total = 0;
    loop {
        let lines = read_new_lines(&mut open).map_err(io_err)?;
        for chunk in lines.chunks(BATCH_LINES) {
            let Some(batch) = parse_batch(cfg, &name, &open.header, chunk)? else {
                continue;
            };
            total += batch.facts.len() as u64;
            let n = batch.facts.len() as u64;
            metrics.zeek_records.fetch_add(n, Ordering::Relaxed);
            if tx.send(Work::Records(batch, Instant::now())).is_err() {
                return Ok(total);
            }
        }
        if !cfg.follow || stop.load(Ordering::Relaxed) {
            return Ok(total);
        }
        if rotated(&cfg.path, &open) {
            // The old file was read to its end above; the new one starts from its header.
            if let Ok(new) = open_log(&cfg.path) {
                open = new;
                continue;
            }
        }
        std::thread::sleep(POLL);
    }
}

fn open_log(path: &std::path::Path) -> io::Result<Open> {
    let file = File::open(path)?;
    let inode = file.metadata()?.ino();
    Ok(Open {
        file,
        inode,
        pos: 0,
        header: Vec::new(),
        partial: Vec::new(),
    })
}

/// Whether the path now names another file, or the file was truncated (copytruncate).
fn rotated(path: &std::path::Path, open: &Open) -> bool {
    match std::fs::metadata(path) {
        Ok(m) => m.ino() != open.inode || m.len() < open.pos,
        Err(_) => false,
    }
}

/// The complete record lines appended since the last call; header lines (`#...` before
/// the first record) are kept in `open.header`, later `#` lines (`#close`) dropped.
fn read_new_lines(open: &mut Open) -> io::Result<Vec<Vec<u8>>> {
    let len = open.file.metadata()?.len();
    if len < open.pos {
        open.file.seek(SeekFrom::Start(0))?;
        open.pos = 0;
        open.header.clear();
        open.partial.clear();
    }
    let mut buf = std::mem::take(&mut open.partial);
    let n = (&open.file).take(len - open.pos).read_to_end(&mut buf)?;
    open.pos += n as u64;
    let mut lines = Vec::new();
    let mut start = 0;
    while let Some(k) = buf[start..].iter().position(|&b| b == b'\n') {
        let line = &buf[start..start + k + 1];
        start += k + 1;
        if line.first() == Some(&b'#') {
            if lines.is_empty() && !line.starts_with(b"#close") {
                open.header.extend_from_slice(line);
            }
        } else if !line.trim_ascii().is_empty() {
            lines.push(line.to_vec());
        }
    }
    open.partial = buf[start..].to_vec();
    Ok(lines)
}

/// Parse `lines` under `header` and lay them out for the model.
fn parse_batch(
    cfg: &ZeekConfig,
    name: &str,
    header: &[u8],
    lines: &[Vec<u8>],
) -> Result<Option<RecordBatch>, ZeekError> {
    if lines.is_empty() {
        return Ok(None);
    }
    let mut text = header.to_vec();
    for l in lines {
        text.extend_from_slice(l);
    }
    let log = read_conn_log(&text[..], name).map_err(|e| ZeekError::Parse(e.to_string()))?;
    let table = model_table(&log, &cfg.columns, name)?;
    let facts = (0..log.rows).map(|r| facts(&log, r)).collect();
    Ok(Some(RecordBatch {
        source: name.to_string(),
        table,
        facts,
    }))
}

/// The model's input columns out of a parsed log: numbers as numbers, text as categories
/// (numbers of a categorical column as the loader writes them).
fn model_table(log: &ZeekLog, cols: &[InputColumn], name: &str) -> Result<Table, ZeekError> {
    let missing: Vec<String> = cols
        .iter()
        .filter(|c| log.column(&c.name).is_none())
        .map(|c| format!("`{}`", c.name))
        .collect();
    if !missing.is_empty() {
        return Err(ZeekError::Columns {
            path: name.to_string(),
            missing: missing.join(", "),
            fields: log.names.join(", "),
        });
    }
    let columns = cols
        .iter()
        .map(|c| {
            let data = match (log.column(&c.name).expect("checked"), c.categorical) {
                (ZeekColumn::Numeric(v), false) => {
                    ColumnData::Numeric(v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
                }
                (ZeekColumn::Numeric(v), true) => {
                    categories(v.iter().map(|x| x.map(crate::data::format_number)))
                }
                (ZeekColumn::Text(v), true) => categories(v.iter().cloned()),
                (ZeekColumn::Text(v), false) => ColumnData::Numeric(
                    v.iter()
                        .map(|x| {
                            x.as_deref()
                                .and_then(|s| s.trim().parse().ok())
                                .unwrap_or(f64::NAN)
                        })
                        .collect(),
                ),
            };
            Column {
                name: c.name.clone(),
                data,
            }
        })
        .collect();
    Ok(Table { columns })
}

fn categories(values: impl Iterator<Item = Option<String>>) -> ColumnData {
    let mut levels: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let codes = values
        .map(|v| match v.as_deref().map(str::trim) {
            None | Some("") => MISSING,
            Some(t) => *index.entry(t.to_string()).or_insert_with(|| {
                levels.push(t.to_string());
                levels.len() as u32 - 1
            }),
        })
        .collect();
    ColumnData::Categorical { codes, levels }
}

/// EVE's view of one connection record.
fn facts(log: &ZeekLog, row: usize) -> FlowFacts {
    let num = |name: &str| match log.column(name) {
        Some(ZeekColumn::Numeric(v)) => v[row],
        Some(ZeekColumn::Text(v)) => v[row].as_deref().and_then(|s| s.parse().ok()),
        None => None,
    };
    let text = |name: &str| match log.column(name) {
        Some(ZeekColumn::Text(v)) => v[row].clone(),
        Some(ZeekColumn::Numeric(v)) => v[row].map(|x| x.to_string()),
        None => None,
    };
    let ip = |name: &str| {
        text(name)
            .and_then(|s| s.parse::<IpAddr>().ok())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    };
    let start_us = (num("ts").unwrap_or(0.0) * 1e6).round() as i64;
    let duration_us = (num("duration").unwrap_or(0.0) * 1e6).round() as i64;
    let count = |name: &str| num(name).unwrap_or(0.0).max(0.0) as u64;
    FlowFacts {
        src_ip: ip("id.orig_h"),
        src_port: count("id.orig_p") as u16,
        dest_ip: ip("id.resp_h"),
        dest_port: count("id.resp_p") as u16,
        proto: text("proto")
            .and_then(|p| anomalab_flow::protocol_number(&p))
            .unwrap_or(0),
        start_us,
        end_us: start_us + duration_us,
        pkts_toserver: count("orig_pkts"),
        pkts_toclient: count("resp_pkts"),
        bytes_toserver: count("orig_ip_bytes"),
        bytes_toclient: count("resp_ip_bytes"),
        reason: "logged",
        key: text("uid").unwrap_or_default(),
        community_id: text("community_id"),
    }
}
