//! Checks of options that several sources share (`files`, `normal_labels`, `labels`).

use super::super::Problem;
use super::super::options::{CaptureLabels, FilesSpec, Target};

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
