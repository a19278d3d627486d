//! `source: zeek`: Zeek `conn.log` files (TSV with `#fields`/`#types`, or JSON lines;
//! plain or gzip). Rows are connections, labelled by a label column of the log
//! (`dataset.label`, e.g. IoT-23's `label`) or by `labels` rules on each connection's
//! endpoints, protocol and start time (in the column [`LABEL_COLUMN`]).

use std::net::IpAddr;
use std::path::Path;

use anomalab_flow::zeek::{ZeekColumn, ZeekLog, read_conn_log};
use anomalab_flow::{FlowKey, LabelSpec};
use polars::prelude::{NamedFrom, StringChunked};

use super::super::options::{CaptureLabels, FilesSpec, Target};
use super::super::reader::{RawColumn, RawFile, read_bytes, sha256_hex, thousands};
use super::super::{DataError, Problem};
use super::{
    DataSource, Fields, FileSet, Input, LABEL_COLUMN, ReadRequest, SourceOptions, checks, files,
    label_column, sorted,
};

/// Zeek conn.log files and how their connections are labelled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZeekSource {
    /// Log files. Required.
    pub files: Option<FilesSpec>,
    /// A label column of the log, instead of `labels`.
    pub label: Option<String>,
    /// With `target: binary`: the labels that are normal traffic (default `["normal",
    /// "benign", "0"]`, compared ignoring case).
    pub normal_labels: Option<Vec<String>>,
    /// Fields that are not features, besides [`ZEEK_NON_FEATURES`].
    pub drop: Vec<String>,
    /// Fields read as categories even when every value is a number.
    pub categorical: Vec<String>,
    /// Labelling rules, when the log has no label column. Default: every connection
    /// `BENIGN`.
    pub labels: Option<CaptureLabels>,
}

impl SourceOptions for ZeekSource {
    const FIELDS: &'static [&'static str] = &[
        "files",
        "label",
        "normal_labels",
        "drop",
        "categorical",
        "labels",
    ];

    fn take(_name: &'static str, f: &mut Fields) -> Self {
        ZeekSource {
            files: f.files.take(),
            label: f.label.take(),
            normal_labels: f.normal_labels.take(),
            drop: f.drop.take().unwrap_or_default(),
            categorical: f.categorical.take().unwrap_or_default(),
            labels: f.labels.take(),
        }
    }

    fn put(&self, f: &mut Fields) {
        f.files = self.files.clone();
        f.label = self.label.clone();
        f.normal_labels = self.normal_labels.clone();
        f.drop = Some(self.drop.clone());
        f.categorical = Some(self.categorical.clone());
        f.labels = self.labels.clone();
    }
}

impl DataSource for ZeekSource {
    fn name(&self) -> &'static str {
        "zeek"
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Binary, Target::Multiclass]
    }

    fn problems(&self, target: Target, _max_rows: Option<usize>) -> Vec<Problem> {
        let mut p = checks::required_files(self.name(), self.files.as_ref());
        if let Some(labels) = &self.labels {
            if self.label.is_some() {
                p.push(Problem::new(
                    "dataset.labels",
                    "give either `label` (a label column of the log) or `labels` (rules), not both",
                ));
            }
            p.extend(checks::capture_labels(labels, self.files.as_ref()));
        }
        p.extend(checks::normal_labels(self.normal_labels.as_ref(), target));
        p
    }

    fn has_test_files(&self) -> bool {
        FilesSpec::has_test(self.files.as_ref())
    }

    fn non_feature_columns(&self) -> Vec<String> {
        sorted(self.label.iter().chain(&self.drop).cloned().collect())
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let label = self
            .label
            .clone()
            .unwrap_or_else(|| LABEL_COLUMN.to_string());
        let mut plan = files::text_plan(
            label,
            ZEEK_NON_FEATURES.iter().map(|s| s.to_string()).collect(),
            &self.drop,
            &self.categorical,
            req.target,
            self.normal_labels.as_ref(),
        );
        plan.fill_absent = true;
        let labels = self.labels.clone().unwrap_or_default();
        let mut warnings = Vec::new();
        let lists = files::locate(self.files.as_ref(), None, req, &mut warnings);
        let reads = files::read_all(&lists, &plan, None, req, |path, name| {
            let rules = self.label.is_none().then(|| labels.for_file(name));
            read_zeek(path, rules.as_ref(), req.hash())
        })?;
        let title = format!(
            "Zeek conn.log file(s), {} connections",
            thousands(reads.iter().map(|r| r.raw.rows).sum())
        );
        Ok(Input::Files(FileSet {
            plan,
            reads,
            warnings,
            notes: vec![],
            title,
        }))
    }
}

/// Zeek `conn.log` fields that are never features by default: identifiers of the
/// connection, the hosts and the time (they would let a model learn who attacked when,
/// not what an attack looks like), the originator's ephemeral port, and cluster/log
/// bookkeeping, and `ip_proto` (recent versions' number of `proto`, which stays). The
/// responder port (`id.resp_p`) stays: it says which service was used. These fields need
/// not be in every log of a dataset.
pub const ZEEK_NON_FEATURES: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "_node_name",
    "_path",
    "_write_ts",
    "tunnel_parents",
    "orig_l2_addr",
    "resp_l2_addr",
    "community_id",
    "vlan",
    "inner_vlan",
    "ip_proto",
];

/// Lines before the first record of a Zeek TSV log (the `#` header lines); 0 for JSON.
fn header_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .take_while(|l| l.first() == Some(&b'#'))
        .count()
}

/// Read a Zeek `conn.log` (TSV or JSON lines, plain or gzip). With `labels` (rules), a
/// label column is added from each connection's endpoints, protocol and start time.
pub(crate) fn read_zeek(
    path: &Path,
    labels: Option<&LabelSpec>,
    hash: bool,
) -> Result<RawFile, DataError> {
    let (bytes, on_disk) = read_bytes(path)?;
    let sha256 = hash.then(|| sha256_hex(&bytes));
    let name = path.display().to_string();
    let log = read_conn_log(&bytes[..], &name).map_err(|e| DataError::Parse {
        path: path.to_path_buf(),
        format: "Zeek log",
        message: e.to_string(),
    })?;
    if log.rows == 0 {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
            detail: "no connection records".into(),
        });
    }
    let first_line = header_lines(&bytes) + 1;
    let mut names = log.names.clone();
    let mut columns: Vec<RawColumn> = log
        .columns
        .iter()
        .zip(&log.names)
        .map(|(c, n)| match c {
            ZeekColumn::Numeric(v) => RawColumn::Num(std::sync::Arc::new(
                v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            )),
            ZeekColumn::Text(v) => RawColumn::Text(StringChunked::new(
                n.as_str().into(),
                v.iter().map(|x| x.as_deref()).collect::<Vec<_>>(),
            )),
        })
        .collect();
    if let Some(spec) = labels {
        let rows = zeek_labels(path, &log, spec, first_line)?;
        names.push(LABEL_COLUMN.to_string());
        columns.push(label_column(rows));
    }
    Ok(RawFile::from_columns(
        path,
        on_disk,
        bytes.len() as u64,
        sha256,
        names,
        columns,
        log.rows,
        first_line,
    ))
}

/// The label of every connection of a log under `spec`.
fn zeek_labels<'s>(
    path: &Path,
    log: &ZeekLog,
    spec: &'s LabelSpec,
    first_line: usize,
) -> Result<Vec<&'s str>, DataError> {
    if !spec.rules.iter().any(|r| r.needs_key()) {
        let l = spec
            .rules
            .first()
            .map_or(spec.default.as_str(), |r| r.label.as_str());
        return Ok(vec![l; log.rows]);
    }
    let conn = Connections::new(path, log, first_line)?;
    (0..log.rows)
        .map(|row| Ok(spec.label_for_key(&conn.key(row)?)))
        .collect()
}

/// The fields of a log that make a connection's [`FlowKey`].
struct Connections<'a> {
    path: &'a Path,
    first_line: usize,
    ts: &'a ZeekColumn,
    orig_h: &'a ZeekColumn,
    orig_p: &'a ZeekColumn,
    resp_h: &'a ZeekColumn,
    resp_p: &'a ZeekColumn,
    proto: &'a ZeekColumn,
}

impl<'a> Connections<'a> {
    fn new(path: &'a Path, log: &'a ZeekLog, first_line: usize) -> Result<Self, DataError> {
        let col = |name: &str| {
            log.column(name).ok_or_else(|| DataError::Parse {
                path: path.to_path_buf(),
                format: "Zeek log",
                message: format!(
                    "labelling rules need the field `{name}`, which this log does not have (fields: {})",
                    log.names.join(", ")
                ),
            })
        };
        Ok(Connections {
            path,
            first_line,
            ts: col("ts")?,
            orig_h: col("id.orig_h")?,
            orig_p: col("id.orig_p")?,
            resp_h: col("id.resp_h")?,
            resp_p: col("id.resp_p")?,
            proto: col("proto")?,
        })
    }

    /// The key of the connection in `row`.
    fn key(&self, row: usize) -> Result<FlowKey, DataError> {
        let p = text(self.proto, row).unwrap_or_default();
        Ok(FlowKey {
            src_ip: self.addr(self.orig_h, row, "id.orig_h")?,
            src_port: self.port(self.orig_p, row, "id.orig_p")?,
            dst_ip: self.addr(self.resp_h, row, "id.resp_h")?,
            dst_port: self.port(self.resp_p, row, "id.resp_p")?,
            protocol: anomalab_flow::protocol_number(&p)
                .ok_or_else(|| self.bad(row, "proto", format!("unknown protocol `{p}`")))?,
            start_s: self.num(self.ts, row, "ts")?,
        })
    }

    fn bad(&self, row: usize, field: &str, why: String) -> DataError {
        DataError::Parse {
            path: self.path.to_path_buf(),
            format: "Zeek log",
            message: format!("line {}: field `{field}`: {why}", self.first_line + row),
        }
    }

    fn num(&self, c: &ZeekColumn, row: usize, field: &str) -> Result<f64, DataError> {
        match c {
            ZeekColumn::Numeric(v) => v[row].ok_or_else(|| self.bad(row, field, "unset".into())),
            ZeekColumn::Text(v) => v[row]
                .as_deref()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| self.bad(row, field, "expected a number".into())),
        }
    }

    fn addr(&self, c: &ZeekColumn, row: usize, field: &str) -> Result<IpAddr, DataError> {
        let t = text(c, row).unwrap_or_default();
        t.trim()
            .parse()
            .map_err(|_| self.bad(row, field, format!("expected an IP address, found `{t}`")))
    }

    fn port(&self, c: &ZeekColumn, row: usize, field: &str) -> Result<u16, DataError> {
        let x = self.num(c, row, field)?;
        if (0.0..=65535.0).contains(&x) && x.fract() == 0.0 {
            Ok(x as u16)
        } else {
            Err(self.bad(row, field, format!("expected a port 0..=65535, found {x}")))
        }
    }
}

/// The text of a cell (numbers written as Rust writes them).
fn text(c: &ZeekColumn, row: usize) -> Option<String> {
    match c {
        ZeekColumn::Text(v) => v[row].clone(),
        ZeekColumn::Numeric(v) => v[row].map(|x| x.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeek_header_lines() {
        assert_eq!(
            header_lines(b"#separator \\x09\n#fields\tts\n1.0\n#close\n"),
            2
        );
        assert_eq!(header_lines(b"{\"ts\":1}\n"), 0);
    }
}
