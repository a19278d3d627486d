//! Analyst feedback on alerts: each verdict (true or false positive, optionally with a
//! label) appended as one JSON line to `--feedback FILE`, kept in memory for the page, and
//! exported as a CSV with the model's input columns and a `label` column, so that a spec
//! (`source: csv`) trains on the analyst's verdicts.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Longest label an analyst may give (characters).
pub const MAX_LABEL: usize = 64;

/// The analyst's verdict on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    TruePositive,
    FalsePositive,
}

/// One stored piece of feedback (a line of the feedback file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The alert's sequence number in this run.
    pub seq: u64,
    pub verdict: Verdict,
    /// The analyst's label; `None` keeps the alert's (true positive) or the normal class
    /// (false positive).
    pub label: Option<String>,
    /// When it was given, RFC 3339 (UTC).
    pub time: String,
    /// The model's label on the alert.
    pub alert_label: String,
    pub src_ip: String,
    pub dest_ip: String,
    pub flow_id: u64,
    /// The flow's model input values.
    pub features: serde_json::Map<String, serde_json::Value>,
}

/// Why feedback was refused or could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("feedback is off: start serve with --feedback FILE")]
    Off,
    #[error("{0}")]
    Invalid(String),
    #[error("cannot write feedback to {path}: {error}")]
    Io { path: String, error: std::io::Error },
}

/// The feedback file and what it holds.
#[derive(Debug)]
pub struct FeedbackStore {
    path: Option<PathBuf>,
    records: Mutex<Vec<Feedback>>,
}

impl FeedbackStore {
    /// Open `path` (created when missing); the lines already there are read, so the page
    /// shows earlier feedback too. `None`: feedback is off.
    pub fn open(path: Option<&Path>) -> Result<Self, FeedbackError> {
        let mut records = Vec::new();
        if let Some(p) = path
            && p.exists()
        {
            let io = |error| FeedbackError::Io {
                path: p.display().to_string(),
                error,
            };
            let file = std::fs::File::open(p).map_err(io)?;
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(io)?;
                if line.trim().is_empty() {
                    continue;
                }
                let r: Feedback = serde_json::from_str(&line).map_err(|e| {
                    FeedbackError::Invalid(format!("{}:{}: {e}", p.display(), i + 1))
                })?;
                records.push(r);
            }
        }
        Ok(FeedbackStore {
            path: path.map(Path::to_path_buf),
            records: Mutex::new(records),
        })
    }

    pub fn is_on(&self) -> bool {
        self.path.is_some()
    }

    /// Append `r` to the file (flushed) and keep it.
    pub fn add(&self, r: Feedback) -> Result<Feedback, FeedbackError> {
        let path = self.path.as_ref().ok_or(FeedbackError::Off)?;
        let io = |error| FeedbackError::Io {
            path: path.display().to_string(),
            error,
        };
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let line = serde_json::to_string(&r).expect("feedback is plain data");
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        writeln!(f, "{line}").and_then(|()| f.flush()).map_err(io)?;
        records.push(r.clone());
        Ok(r)
    }

    pub fn all(&self) -> Vec<Feedback> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The feedback as training rows: `columns` (the model's input columns) and `label`;
    /// a false positive is labelled `normal` (or the analyst's label).
    pub fn csv(&self, columns: &[String], normal: &str) -> String {
        let mut out = String::new();
        let header: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
        out.push_str(&header.join(","));
        out.push_str(",label\n");
        for r in self.all() {
            let label = match (&r.label, r.verdict) {
                (Some(l), _) => l.clone(),
                (None, Verdict::TruePositive) => r.alert_label.clone(),
                (None, Verdict::FalsePositive) => normal.to_string(),
            };
            let cells: Vec<String> = columns
                .iter()
                .map(|c| match r.features.get(c) {
                    Some(serde_json::Value::String(s)) => csv_field(s),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(v) => v.to_string(),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push(',');
            out.push_str(&csv_field(&label));
            out.push('\n');
        }
        out
    }
}

/// Check an analyst's label: short, printable, no separators that would break a CSV cell
/// or a log line.
pub fn check_label(label: &str) -> Result<String, FeedbackError> {
    let l = label.trim();
    if l.is_empty() || l.chars().count() > MAX_LABEL {
        return Err(FeedbackError::Invalid(format!(
            "`label` must have 1 to {MAX_LABEL} characters"
        )));
    }
    if l.chars().any(|c| c.is_control() || c == ',' || c == '"') {
        return Err(FeedbackError::Invalid(
            "`label` may not contain control characters, commas or quotes".into(),
        ));
    }
    Ok(l.to_string())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, verdict: Verdict, label: Option<&str>) -> Feedback {
        let mut features = serde_json::Map::new();
        features.insert("Flow Duration".into(), 12.5.into());
        features.insert("proto".into(), "tcp".into());
        Feedback {
            seq,
            verdict,
            label: label.map(String::from),
            time: "2026-12-06T10:00:00Z".into(),
            alert_label: "SYN scan".into(),
            src_ip: "10.0.0.1".into(),
            dest_ip: "10.0.0.2".into(),
            flow_id: 7,
            features,
        }
    }

    #[test]
    fn feedback_is_appended_reread_and_exported_as_training_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fb.jsonl");
        let store = FeedbackStore::open(Some(&path)).unwrap();
        store.add(record(1, Verdict::TruePositive, None)).unwrap();
        store.add(record(2, Verdict::FalsePositive, None)).unwrap();
        store
            .add(record(3, Verdict::TruePositive, Some("port scan")))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
        let again = FeedbackStore::open(Some(&path)).unwrap();
        assert_eq!(again.all(), store.all());
        let cols = ["Flow Duration".to_string(), "proto".to_string()];
        assert_eq!(
            again.csv(&cols, "BENIGN"),
            "Flow Duration,proto,label\n12.5,tcp,SYN scan\n12.5,tcp,BENIGN\n12.5,tcp,port scan\n"
        );
    }

    #[test]
    fn labels_are_checked_and_feedback_can_be_off() {
        assert!(check_label("a,b").is_err());
        assert!(check_label(&"x".repeat(65)).is_err());
        assert!(check_label("bad\nline").is_err());
        assert_eq!(check_label(" DoS ").unwrap(), "DoS");
        let off = FeedbackStore::open(None).unwrap();
        assert!(matches!(
            off.add(record(1, Verdict::TruePositive, None)),
            Err(FeedbackError::Off)
        ));
    }
}
