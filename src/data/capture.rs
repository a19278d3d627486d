//! Datasets made from network observations rather than feature tables: packet captures
//! (`source: pcap`, flows extracted by `anomalab-flow` with the `cic2017` feature set) and
//! Zeek `conn.log` files (`source: zeek`). Each file is turned into the loader's
//! [`RawFile`] (typed columns plus a label column) so that the ordinary loader applies the
//! target, the class list, `drop`, categorical encoding and the splits exactly as for CSV.
//!
//! Labels come from the spec's [`CaptureLabels`](super::spec::CaptureLabels): per-file
//! constants or rules on addresses, ports, protocol and time, evaluated on each flow (pcap)
//! or connection (zeek) and stored in the synthetic column [`LABEL_COLUMN`]. A Zeek log
//! that carries its own label column (e.g. IoT-23's `label`) uses `dataset.label` instead.

use std::net::IpAddr;
use std::path::Path;

use anomalab_flow::zeek::{ZeekColumn, read_conn_log};
use anomalab_flow::{ExtractOptions, Extractor, FlowKey, LabelSpec, Summary};
use polars::prelude::{NamedFrom, StringChunked};

use super::DataError;
use super::reader::{RawColumn, RawFile, read_bytes, sha256_hex};

/// Name of the label column made from `labels` rules (not a valid Zeek field name, so it
/// cannot clash with a column of the log).
pub(crate) const LABEL_COLUMN: &str = "(labels)";

/// Zeek `conn.log` fields that are never features by default: identifiers of the
/// connection, the hosts and the time (they would let a model learn who attacked when,
/// not what an attack looks like), the originator's ephemeral port, and cluster/log
/// bookkeeping. The responder port (`id.resp_p`) stays: it says which service was used.
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
];

/// The 78 feature names of flows from captures ([`anomalab_flow::model_feature_names`]).
pub fn pcap_feature_names() -> Vec<String> {
    anomalab_flow::model_feature_names()
}

fn label_column(labels: Vec<&str>) -> RawColumn {
    RawColumn::Text(StringChunked::new(LABEL_COLUMN.into(), labels))
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
        return Err(DataError::EmptyFile {
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
        });
    }
    let names = pcap_feature_names();
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(flows.len()); names.len()];
    let mut row = Vec::with_capacity(names.len());
    for f in &flows {
        row.clear();
        f.push_model_row(&mut row);
        debug_assert_eq!(row.len(), names.len());
        for (c, v) in cols.iter_mut().zip(&row) {
            c.push(*v);
        }
    }
    let mut columns: Vec<RawColumn> = cols
        .into_iter()
        .map(|c| RawColumn::Num(std::sync::Arc::new(c)))
        .collect();
    columns.push(label_column(flows.iter().map(|f| &*f.label).collect()));
    let mut all_names = names;
    all_names.push(LABEL_COLUMN.to_string());
    let raw = RawFile::from_columns(
        path,
        on_disk,
        bytes.len() as u64,
        sha256,
        all_names,
        columns,
        flows.len(),
        1,
    );
    Ok((raw, summary))
}

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
    log: &anomalab_flow::zeek::ZeekLog,
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
    let bad = |row: usize, field: &str, why: String| DataError::Parse {
        path: path.to_path_buf(),
        format: "Zeek log",
        message: format!("line {}: field `{field}`: {why}", first_line + row),
    };
    let (ts, oh, op, rh, rp, proto) = (
        col("ts")?,
        col("id.orig_h")?,
        col("id.orig_p")?,
        col("id.resp_h")?,
        col("id.resp_p")?,
        col("proto")?,
    );
    let num = |c: &ZeekColumn, row: usize, field: &str| -> Result<f64, DataError> {
        match c {
            ZeekColumn::Numeric(v) => v[row].ok_or_else(|| bad(row, field, "unset".into())),
            ZeekColumn::Text(v) => v[row]
                .as_deref()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| bad(row, field, "expected a number".into())),
        }
    };
    let text = |c: &ZeekColumn, row: usize| -> Option<String> {
        match c {
            ZeekColumn::Text(v) => v[row].clone(),
            ZeekColumn::Numeric(v) => v[row].map(|x| x.to_string()),
        }
    };
    let addr = |c: &ZeekColumn, row: usize, field: &str| -> Result<IpAddr, DataError> {
        let t = text(c, row).unwrap_or_default();
        t.trim()
            .parse()
            .map_err(|_| bad(row, field, format!("expected an IP address, found `{t}`")))
    };
    let port = |c: &ZeekColumn, row: usize, field: &str| -> Result<u16, DataError> {
        let x = num(c, row, field)?;
        if (0.0..=65535.0).contains(&x) && x.fract() == 0.0 {
            Ok(x as u16)
        } else {
            Err(bad(
                row,
                field,
                format!("expected a port 0..=65535, found {x}"),
            ))
        }
    };
    let mut out = Vec::with_capacity(log.rows);
    for row in 0..log.rows {
        let p = text(proto, row).unwrap_or_default();
        let key = FlowKey {
            src_ip: addr(oh, row, "id.orig_h")?,
            src_port: port(op, row, "id.orig_p")?,
            dst_ip: addr(rh, row, "id.resp_h")?,
            dst_port: port(rp, row, "id.resp_p")?,
            protocol: anomalab_flow::protocol_number(&p)
                .ok_or_else(|| bad(row, "proto", format!("unknown protocol `{p}`")))?,
            start_s: num(ts, row, "ts")?,
        };
        out.push(spec.label_for_key(&key));
    }
    Ok(out)
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

    #[test]
    fn zeek_header_lines() {
        assert_eq!(
            header_lines(b"#separator \\x09\n#fields\tts\n1.0\n#close\n"),
            2
        );
        assert_eq!(header_lines(b"{\"ts\":1}\n"), 0);
    }
}
