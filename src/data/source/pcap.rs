//! `source: pcap`: packet captures (pcap, pcapng, gzip of either). Flows are extracted
//! by `anomalab-flow` with the `cic2017` feature set and turned into rows with
//! [`FlowRecord::push_model_row`](anomalab_flow::FlowRecord::push_model_row) (the 78
//! MachineLearningCVE features), each labelled by the spec's
//! [`CaptureLabels`](super::super::options::CaptureLabels) (per-file constants or rules on
//! addresses, ports, protocol and time) in the column [`LABEL_COLUMN`]. The loader then
//! applies the target, `drop` and the splits exactly as for CSV.

use std::path::Path;

use anomalab_flow::{ExtractOptions, Extractor, LabelSpec, Summary};

use super::super::options::{CaptureLabels, FilesSpec, Target};
use super::super::reader::{RawColumn, RawFile, file_name, read_bytes, sha256_hex, thousands};
use super::super::{DataError, Problem};
use super::{
    DataSource, Fields, FileSet, Input, LABEL_COLUMN, ReadRequest, SourceOptions, checks, files,
    label_column, sorted,
};

/// Packet captures and how their flows are labelled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PcapSource {
    /// Capture files. Required.
    pub files: Option<FilesSpec>,
    /// With `target: binary`: the labels that are normal traffic (default `["normal",
    /// "benign", "0"]`, compared ignoring case).
    pub normal_labels: Option<Vec<String>>,
    /// Flow features that are not used.
    pub drop: Vec<String>,
    /// How flows are labelled. Default: every flow `BENIGN`.
    pub labels: Option<CaptureLabels>,
    /// Flow extraction options (`count_l2_padding`, default true; `include_ipv6`, default
    /// false; `max_active_flows`; `flow_timeout_us`; `activity_timeout_us`;
    /// `flush_per_capture`), as for `anomalab extract`.
    pub extract: Option<ExtractOptions>,
}

impl SourceOptions for PcapSource {
    const FIELDS: &'static [&'static str] =
        &["files", "normal_labels", "drop", "labels", "extract"];

    fn take(_name: &'static str, f: &mut Fields) -> Self {
        PcapSource {
            files: f.files.take(),
            normal_labels: f.normal_labels.take(),
            drop: f.drop.take().unwrap_or_default(),
            labels: f.labels.take(),
            extract: f.extract.take(),
        }
    }

    fn put(&self, f: &mut Fields) {
        f.files = self.files.clone();
        f.normal_labels = self.normal_labels.clone();
        f.drop = Some(self.drop.clone());
        f.labels = self.labels.clone();
        f.extract = self.extract.clone();
    }
}

impl DataSource for PcapSource {
    fn name(&self) -> &'static str {
        "pcap"
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

    /// `drop`, and the identity columns of the flow CSVs `anomalab extract` writes, so a
    /// model trained on captures scores an extract CSV as it is.
    fn non_feature_columns(&self) -> Vec<String> {
        let mut names = self.drop.clone();
        names.extend(anomalab_flow::identity_columns());
        sorted(names)
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
        let opts = self.extract.clone().unwrap_or_default();
        let labels = self.labels.clone().unwrap_or_default();
        let mut warnings = Vec::new();
        let mut notes = Vec::new();
        let mut packets = 0u64;
        let lists = files::locate(self.files.as_ref(), None, req, &mut warnings);
        let reads = files::read_all(&lists, &plan, None, req, |path, name| {
            let (raw, summary) = read_pcap(path, &labels.for_file(name), &opts, req.hash())?;
            notes.extend(capture_note(path, &summary, &opts));
            packets += summary.packets_read;
            Ok(raw)
        })?;
        let title = format!(
            "flows ({} features) extracted from {} packet capture(s), {} packets",
            match opts.feature_set {
                anomalab_flow::FeatureSetKind::Cic2017 => "cic2017",
            },
            reads.len(),
            thousands(packets as usize)
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

/// The 78 feature names of flows from captures ([`anomalab_flow::model_feature_names`]).
pub fn pcap_feature_names() -> Vec<String> {
    anomalab_flow::model_feature_names()
}

/// Extract the flows of one capture (pcap, pcapng, or gzip of either) with their labels.
/// The summary says how many packets were read and skipped.
pub(crate) fn read_pcap(
    path: &Path,
    labels: &LabelSpec,
    opts: &ExtractOptions,
    hash: bool,
) -> Result<(RawFile, Summary), DataError> {
    let (bytes, on_disk) = read_bytes(path)?;
    let sha256 = hash.then(|| sha256_hex(&bytes));
    let name = path.display().to_string();
    let mut ex = Extractor::new(opts.clone());
    ex.feed_capture_labeled(&bytes[..], &name, labels)
        .map_err(|e| DataError::Parse {
            path: path.to_path_buf(),
            format: "packet capture",
            message: e.to_string(),
        })?;
    let (flows, summary) = ex.finish();
    if flows.is_empty() {
        return Err(no_flows(path, &summary, opts));
    }
    let mut names = pcap_feature_names();
    let mut columns = flow_columns(&flows, names.len());
    columns.push(label_column(flows.iter().map(|f| &*f.label).collect()));
    names.push(LABEL_COLUMN.to_string());
    let raw = RawFile::from_columns(
        path,
        on_disk,
        bytes.len() as u64,
        sha256,
        names,
        columns,
        flows.len(),
        1,
    );
    Ok((raw, summary))
}

/// The error for a capture that gave no flow, with what was read.
fn no_flows(path: &Path, summary: &Summary, opts: &ExtractOptions) -> DataError {
    DataError::EmptyFile {
        path: path.to_path_buf(),
        detail: format!(
            "no flows: {} packets read, {} decoded, {} skipped, {} one-packet flows not emitted{}",
            summary.packets_read,
            summary.packets_decoded,
            summary.packets_skipped(),
            summary.flows_too_short,
            if opts.include_ipv6 {
                ""
            } else {
                " (IPv6 is off: set `extract: {include_ipv6: true}` for IPv6 captures)"
            }
        ),
    }
}

/// The `n` model features of every flow, one column each.
fn flow_columns(flows: &[anomalab_flow::FlowRecord], n: usize) -> Vec<RawColumn> {
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(flows.len()); n];
    let mut row = Vec::with_capacity(n);
    for f in flows {
        row.clear();
        f.push_model_row(&mut row);
        debug_assert_eq!(row.len(), n);
        for (c, v) in cols.iter_mut().zip(&row) {
            c.push(*v);
        }
    }
    cols.into_iter()
        .map(|c| RawColumn::Num(std::sync::Arc::new(c)))
        .collect()
}

/// A warning for a capture whose packets were not all used, or whose flow table overflowed.
fn capture_note(
    path: &Path,
    s: &anomalab_flow::Summary,
    opts: &anomalab_flow::ExtractOptions,
) -> Option<String> {
    let mut parts = Vec::new();
    if s.packets_skipped() > 0 {
        let reasons: Vec<String> = s
            .skipped
            .iter()
            .map(|(r, n)| format!("{n} {}", r.name()))
            .collect();
        parts.push(format!(
            "{} of {} packets skipped ({})",
            thousands(s.packets_skipped() as usize),
            thousands(s.packets_read as usize),
            reasons.join(", ")
        ));
    }
    if s.flows_evicted > 0 {
        parts.push(format!(
            "{} flows evicted early (more than {} active flows; raise `extract.max_active_flows`)",
            thousands(s.flows_evicted as usize),
            thousands(opts.max_active_flows)
        ));
    }
    (!parts.is_empty()).then(|| format!("{}: {}", file_name(path), parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_features_are_the_machine_learning_cve_names() {
        let n = pcap_feature_names();
        assert_eq!(n.len(), 78);
        assert_eq!(n[0], "Destination Port");
        assert_eq!(n[1], "Flow Duration");
        assert_eq!(n[77], "Idle Min");
        assert_eq!(
            n.iter()
                .filter(|x| x.starts_with("Fwd Header Length"))
                .count(),
            2
        );
        assert!(n.contains(&"Fwd Header Length.1".to_string()));
    }
}
