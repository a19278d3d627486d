//! `source: netflow`: NetFlow/IPFIX flow records, from nfdump's CSV export
//! (`nfdump -r FILE -o csv`) or from a collector's capture of NetFlow v5, v9 and IPFIX
//! export packets (pcap, pcapng, gzip of either); each file's format is recognised by its
//! first bytes. Records become rows with
//! [`NetflowRecord::push_model_row`](anomalab_flow::NetflowRecord::push_model_row) (the
//! [`anomalab_flow::NETFLOW_FEATURES`]: duration, protocol, ports, TCP flags, ToS,
//! counts and rates; addresses are never features), labelled by the spec's
//! [`CaptureLabels`](super::super::options::CaptureLabels) as flows from captures are, in
//! the column [`LABEL_COLUMN`].

use std::path::Path;

use anomalab_flow::netflow::{ExportSummary, read_export_capture, read_nfdump_csv};
use anomalab_flow::{FlowError, LabelSpec, NetflowRecord, netflow_feature_names};

use super::super::options::{CaptureLabels, FilesSpec, Target};
use super::super::reader::{RawColumn, RawFile, file_name, read_bytes, sha256_hex, thousands};
use super::super::{DataError, Problem};
use super::{
    DataSource, Fields, FileSet, Input, LABEL_COLUMN, ReadRequest, SourceOptions, checks, files,
    label_column, sorted,
};

/// NetFlow/IPFIX files and how their records are labelled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetflowSource {
    /// nfdump CSV exports or captures of export packets. Required.
    pub files: Option<FilesSpec>,
    /// With `target: binary`: the labels that are normal traffic (default `["normal",
    /// "benign", "0"]`, compared ignoring case).
    pub normal_labels: Option<Vec<String>>,
    /// Features that are not used.
    pub drop: Vec<String>,
    /// How records are labelled. Default: every record `BENIGN`.
    pub labels: Option<CaptureLabels>,
}

impl SourceOptions for NetflowSource {
    const FIELDS: &'static [&'static str] = &["files", "normal_labels", "drop", "labels"];

    fn take(_name: &'static str, f: &mut Fields) -> Self {
        NetflowSource {
            files: f.files.take(),
            normal_labels: f.normal_labels.take(),
            drop: f.drop.take().unwrap_or_default(),
            labels: f.labels.take(),
        }
    }

    fn put(&self, f: &mut Fields) {
        f.files = self.files.clone();
        f.normal_labels = self.normal_labels.clone();
        f.drop = Some(self.drop.clone());
        f.labels = self.labels.clone();
    }
}

impl DataSource for NetflowSource {
    fn name(&self) -> &'static str {
        "netflow"
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Binary, Target::Multiclass]
    }

    fn problems(&self, target: Target, _max_rows: Option<usize>) -> Vec<Problem> {
        checks::labelled_flows(
            self.name(),
            self.files.as_ref(),
            self.labels.as_ref(),
            self.normal_labels.as_ref(),
            target,
        )
    }

    fn has_test_files(&self) -> bool {
        FilesSpec::has_test(self.files.as_ref())
    }

    fn non_feature_columns(&self) -> Vec<String> {
        sorted(self.drop.clone())
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let plan = files::text_plan(
            LABEL_COLUMN.to_string(),
            vec![],
            &self.drop,
            &[],
            req.target,
            self.normal_labels.as_ref(),
        );
        let labels = self.labels.clone().unwrap_or_default();
        let mut warnings = Vec::new();
        let mut notes = Vec::new();
        let lists = files::locate(self.files.as_ref(), None, req, &mut warnings);
        let reads = files::read_all(&lists, &plan, None, req, |path, name| {
            let (raw, note) = read_netflow(path, &labels.for_file(name), req.hash())?;
            notes.extend(note);
            Ok(raw)
        })?;
        let title = format!(
            "NetFlow/IPFIX records from {} file(s), {} records",
            reads.len(),
            thousands(reads.iter().map(|r| r.raw.rows).sum())
        );
        Ok(Input::Files(FileSet {
            plan,
            reads,
            warnings,
            notes,
            title,
        }))
    }
}

/// Whether the (decompressed) bytes start like a pcap or pcapng file.
fn is_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(
            [0xa1, 0xb2, 0xc3, 0xd4]
                | [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

/// Read one file's records with their labels, and a note on what was skipped or does not
/// add up.
pub(crate) fn read_netflow(
    path: &Path,
    labels: &LabelSpec,
    hash: bool,
) -> Result<(RawFile, Option<String>), DataError> {
    let (bytes, on_disk) = read_bytes(path)?;
    let sha256 = hash.then(|| sha256_hex(&bytes));
    let name = path.display().to_string();
    let parse = |format: &'static str, e: FlowError| DataError::Parse {
        path: path.to_path_buf(),
        format,
        message: located(e),
    };
    let (records, note) = if is_capture(&bytes) {
        let (records, s) = read_export_capture(&bytes[..], &name)
            .map_err(|e| parse("NetFlow/IPFIX export capture", e))?;
        (records, export_note(path, &s))
    } else {
        let csv = read_nfdump_csv(&bytes, &name).map_err(|e| parse("nfdump CSV", e))?;
        let note = csv_note(path, &csv.records, csv.summary);
        (csv.records, note)
    };
    if records.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
            detail: "no flow records".into(),
        });
    }
    let mut names = netflow_feature_names();
    let mut columns = record_columns(&records, names.len());
    let rows: Vec<&str> = records
        .iter()
        .map(|r| labels.label_for_key(&r.key()))
        .collect();
    columns.push(label_column(rows));
    names.push(LABEL_COLUMN.to_string());
    let raw = RawFile::from_columns(
        path,
        on_disk,
        bytes.len() as u64,
        sha256,
        names,
        columns,
        records.len(),
        1,
    );
    Ok((raw, note))
}

/// A flow-crate error's message with its place (the file is named by the caller).
fn located(e: FlowError) -> String {
    match e {
        FlowError::NfdumpCsv { line, message, .. } => format!("line {line}: {message}"),
        FlowError::NetflowExport {
            packet, message, ..
        } => format!("capture record #{packet}: {message}"),
        e => e.to_string(),
    }
}

/// The `n` model features of every record, one column each.
fn record_columns(records: &[NetflowRecord], n: usize) -> Vec<RawColumn> {
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(records.len()); n];
    let mut row = Vec::with_capacity(n);
    for r in records {
        row.clear();
        r.push_model_row(&mut row);
        for (c, v) in cols.iter_mut().zip(&row) {
            c.push(*v);
        }
    }
    cols.into_iter()
        .map(|c| RawColumn::Num(std::sync::Arc::new(c)))
        .collect()
}

/// A warning for an export capture with packets or records that were not used.
fn export_note(path: &Path, s: &ExportSummary) -> Option<String> {
    let parts: Vec<String> = [
        (s.not_export, "packets skipped (not NetFlow/IPFIX over UDP)"),
        (
            s.fragmented_or_cut,
            "fragmented or cut export datagrams skipped",
        ),
        (
            s.sets_without_template,
            "data sets skipped (before their template)",
        ),
        (
            s.records_without_addresses,
            "records without addresses skipped",
        ),
        (
            s.approximate_times,
            "records timed at their export (uptime times without systemInitTimeMilliseconds)",
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{} {what}", thousands(n as usize)))
    .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{} ({} capture records, {} flow records): {}",
            file_name(path),
            thousands(s.packets_read as usize),
            thousands(s.records as usize),
            parts.join(", ")
        )
    })
}

/// A warning when an nfdump CSV's records do not add up to its `Summary` footer.
fn csv_note(
    path: &Path,
    records: &[NetflowRecord],
    summary: Option<(u64, u64, u64)>,
) -> Option<String> {
    let (flows, bytes, packets) = summary?;
    let got = (
        records.len() as u64,
        records.iter().map(|r| r.bytes + r.out_bytes).sum::<u64>(),
        records
            .iter()
            .map(|r| r.packets + r.out_packets)
            .sum::<u64>(),
    );
    (got != (flows, bytes, packets)).then(|| {
        format!(
            "{}: the records add up to {} flows, {} bytes, {} packets, the file's summary says \
             {flows}, {bytes}, {packets} (a cut or edited export?)",
            file_name(path),
            got.0,
            got.1,
            got.2
        )
    })
}
