//! Checks of options that several sources share (`files`, `normal_labels`, `labels`).

use super::super::Problem;
use super::super::options::{CaptureLabels, ColumnEntry, ColumnsSpec, FilesSpec, Target};

/// `files` of a source that needs files: present, with a training file and no empty path.
pub(super) fn required_files(source: &str, files: Option<&FilesSpec>) -> Vec<Problem> {
    match files {
        None => vec![Problem::new(
            "dataset.files",
            format!(
                "source `{source}` needs `files` (a path, a list of paths, or {{train: ..., test: ...}})"
            ),
        )],
        Some(f) => file_paths(f),
    }
}

/// A training file and no empty path.
pub(super) fn file_paths(f: &FilesSpec) -> Vec<Problem> {
    let mut p = Vec::new();
    if f.train.is_empty() {
        p.push(Problem::new("dataset.files", "no training file given"));
    }
    for (i, name) in f.train.iter().chain(&f.test).enumerate() {
        if name.trim().is_empty() {
            p.push(Problem::new(
                "dataset.files",
                format!("file {} is an empty path", i + 1),
            ));
        }
    }
    p
}

/// `normal_labels`: only with `target: binary`, and not empty.
pub(super) fn normal_labels(normal: Option<&Vec<String>>, target: Target) -> Vec<Problem> {
    let mut p = Vec::new();
    let Some(n) = normal else {
        return p;
    };
    if target != Target::Binary {
        p.push(Problem::new(
            "dataset.normal_labels",
            "`normal_labels` applies to `target: binary` only (with `multiclass` the normal labels are listed first only when they use the default names)",
        ));
    }
    if n.is_empty() {
        p.push(Problem::new(
            "dataset.normal_labels",
            "list at least one normal label value",
        ));
    }
    p
}

/// The checks of a source of flow records labelled by rules (pcap, netflow): its files,
/// its `labels` and its `normal_labels`.
pub(super) fn labelled_flows(
    source: &str,
    files: Option<&FilesSpec>,
    labels: Option<&CaptureLabels>,
    normal: Option<&Vec<String>>,
    target: Target,
) -> Vec<Problem> {
    let mut p = required_files(source, files);
    if let Some(labels) = labels {
        p.extend(capture_labels(labels, files));
    }
    p.extend(normal_labels(normal, target));
    p
}

/// `labels` of pcap and zeek: every per-file key names a file of `files`, every rule has
/// a label.
pub(super) fn capture_labels(labels: &CaptureLabels, files: Option<&FilesSpec>) -> Vec<Problem> {
    let mut p = Vec::new();
    if let Some(f) = files {
        let listed: Vec<&str> = f.train.iter().chain(&f.test).map(String::as_str).collect();
        for key in labels.files.keys() {
            if !listed.iter().any(|n| names_file(n, key)) {
                let hint = crate::diag::did_you_mean(key, listed.iter().copied())
                    .map(|d| format!("; did you mean `{d}`?"))
                    .unwrap_or_default();
                p.push(Problem::new(
                    "dataset.labels.files",
                    format!("`{key}` is not one of the files in `files`{hint}"),
                ));
            }
        }
    }
    for (i, r) in labels.rules.iter().enumerate() {
        if r.label.trim().is_empty() {
            p.push(Problem::new(
                format!("dataset.labels.rules[{i}].label"),
                "a rule needs a non-empty label",
            ));
        }
    }
    p
}

/// Whether `key` of `labels.files` refers to the file written `name`.
fn names_file(name: &str, key: &str) -> bool {
    name == key
        || std::path::Path::new(name)
            .file_name()
            .is_some_and(|b| b == key)
}

/// `header` and `columns` of a table source: csv only; a header-less file needs its
/// column names, and a file with a header names its own columns.
pub(super) fn header_columns(
    source: &str,
    header: Option<bool>,
    columns: Option<&ColumnsSpec>,
) -> Vec<Problem> {
    let mut p = Vec::new();
    if source != "csv" {
        for (field, given) in [("header", header.is_some()), ("columns", columns.is_some())] {
            if given {
                p.push(Problem::new(
                    format!("dataset.{field}"),
                    format!(
                        "`{field}` applies to source `csv` only (a {source} file names its columns)"
                    ),
                ));
            }
        }
        return p;
    }
    match (header, columns) {
        (Some(false), None) => p.push(Problem::new(
            "dataset.header",
            "a file without a header needs its column names: give `columns: [name, ...]` or `columns: FILE` (one name a line, or `name,type` lines as in NSL-KDD's field_names.csv)",
        )),
        (Some(true), Some(_)) => p.push(Problem::new(
            "dataset.columns",
            "`columns` names the columns of a file without a header; with `header: true` the names come from the file's first line (use `header: false`)",
        )),
        _ => {}
    }
    if let Some(c) = columns {
        if c.0.is_empty() {
            p.push(Problem::new(
                "dataset.columns",
                "the list of columns is empty",
            ));
        }
        for e in &c.0 {
            if let ColumnEntry::Name(n) | ColumnEntry::File { file: n } = e
                && n.trim().is_empty()
            {
                p.push(Problem::new(
                    "dataset.columns",
                    "a column name or file is empty",
                ));
            }
        }
    }
    p
}
