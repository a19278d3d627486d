//! Locating and reading the files of a load, shared by every file source: resolving names
//! against the data directory (and the catalog's folders), reading each file with the
//! source's reader, and taking the label text of every row.

use std::path::{Path, PathBuf};

use super::super::DataError;
use super::super::catalog::{CatalogEntry, CatalogFile};
use super::super::loaded::{DATA_DIR_ENV, LoadContext};
use super::super::options::FilesSpec;
use super::super::reader::{RawColumn, RawFile};
use super::{ClassRule, Mode, Plan, Read, ReadRequest, Target};

/// File names of one role, with the catalog file each refers to.
pub(super) type FileList = Vec<(String, Option<&'static CatalogFile>)>;

/// The training and test files of a load: the spec's, else the catalog's defaults. Test
/// files are dropped unless the split is `official` (with a warning when the spec named
/// them).
pub(super) fn locate(
    files: Option<&FilesSpec>,
    entry: Option<&'static CatalogEntry>,
    req: &ReadRequest,
    warnings: &mut Vec<String>,
) -> [(&'static str, FileList); 2] {
    let train = file_list(files, entry, false);
    let mut test = file_list(files, entry, true);
    if !req.load_test && !test.is_empty() {
        if files.is_some() {
            warnings.push(format!(
                "split kind `{}` splits the training data; the test file(s) {} are not loaded",
                req.split,
                test.iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        test.clear();
    }
    [("train", train), ("test", test)]
}

fn file_list(
    files: Option<&FilesSpec>,
    entry: Option<&'static CatalogEntry>,
    test: bool,
) -> FileList {
    match (files, entry) {
        (Some(f), _) => {
            let names = if test { &f.test } else { &f.train };
            names
                .iter()
                .map(|n| (n.clone(), entry.and_then(|e| e.file_by_name(n))))
                .collect()
        }
        (None, Some(e)) => {
            let ids = if test {
                &e.default_files.test
            } else {
                &e.default_files.train
            };
            ids.iter()
                .filter_map(|id| e.file(id))
                .map(|f| (f.names[0].clone(), Some(f)))
                .collect()
        }
        (None, None) => vec![],
    }
}

/// Resolve and read every file in order, with `read_one(path, name as written)`, and take
/// each file's labels under `plan` (when the request reads labels).
pub(super) fn read_all(
    lists: &[(&'static str, FileList); 2],
    plan: &Plan,
    entry: Option<&'static CatalogEntry>,
    req: &ReadRequest,
    mut read_one: impl FnMut(&Path, &str) -> Result<RawFile, DataError>,
) -> Result<Vec<Read>, DataError> {
    let mut reads = Vec::new();
    for (role, list) in lists {
        for (name, cfile) in list {
            let path = resolve(name, entry, *cfile, req.ctx)?;
            let raw = read_one(&path, name)?;
            let (labels, raw_labels) = if req.labels {
                read_labels(&raw, plan)?
            } else {
                (Vec::new(), None)
            };
            reads.push(Read {
                raw,
                role,
                cfile: *cfile,
                labels,
                raw_labels,
            });
        }
    }
    Ok(reads)
}

/// The class rule of a source whose labels are free text (csv, parquet, pcap, zeek):
/// `normal_labels` (default `normal`, `benign`, `0`) are normal, compared ignoring case.
fn text_label_rule(target: Target, normal_labels: Option<&Vec<String>>) -> ClassRule {
    let normal: Vec<String> = normal_labels.cloned().unwrap_or_else(|| {
        super::super::options::DEFAULT_NORMAL_LABELS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    match target {
        Target::Multiclass => ClassRule::Multiclass {
            first: normal,
            ignore_case: true,
        },
        _ => ClassRule::Binary {
            normal,
            ignore_case: true,
        },
    }
}

/// The plan of a source whose labels are free text: label column `label`, never
/// features `label`, `extra` and `drop`, numeric columns unless `categorical`.
pub(super) fn text_plan(
    label: String,
    extra: Vec<String>,
    drop: &[String],
    categorical: &[String],
    target: Target,
    normal_labels: Option<&Vec<String>>,
) -> Plan {
    let mut non_features = vec![label.clone()];
    non_features.extend(drop.iter().cloned());
    non_features.extend(extra);
    Plan {
        label,
        raw_label: None,
        non_features,
        categorical: categorical.to_vec(),
        match_trimmed: false,
        default_mode: Mode::Infer,
        rule: text_label_rule(target, normal_labels),
        named_columns: vec![
            ("dataset.drop", drop.to_vec()),
            ("dataset.categorical", categorical.to_vec()),
        ],
        fill_absent: false,
    }
}

/// Every candidate path of a file name, in the order they are tried.
fn candidates(
    name: &str,
    entry: Option<&CatalogEntry>,
    cfile: Option<&CatalogFile>,
    ctx: &LoadContext,
) -> Vec<PathBuf> {
    let given = Path::new(name);
    if given.is_absolute() {
        return vec![given.to_path_buf()];
    }
    // the given name first, then the catalog file's other accepted names
    let mut names = vec![name.to_string()];
    if let Some(f) = cfile {
        let dir = given.parent().filter(|d| !d.as_os_str().is_empty());
        for n in &f.names {
            let alt = dir.map_or_else(|| PathBuf::from(n), |d| d.join(n));
            let alt = alt.to_string_lossy().to_string();
            if !names.contains(&alt) {
                names.push(alt);
            }
        }
    }
    let mut out = Vec::new();
    for n in &names {
        match entry {
            Some(e) => out.extend(e.candidate_paths(&ctx.data_dir, n)),
            None => out.push(ctx.data_dir.join(n)),
        }
        if let Some(b) = &ctx.base_dir {
            out.push(b.join(n));
        }
    }
    out
}

/// Resolve a file name to an existing path, or a missing-file error saying where it looked.
pub(super) fn resolve(
    name: &str,
    entry: Option<&CatalogEntry>,
    cfile: Option<&CatalogFile>,
    ctx: &LoadContext,
) -> Result<PathBuf, DataError> {
    let mut tried: Vec<PathBuf> = Vec::new();
    for p in candidates(name, entry, cfile, ctx) {
        if p.is_file() {
            return Ok(p);
        }
        if !tried.contains(&p) {
            tried.push(p);
        }
    }
    let dir_note = format!(
        "the data directory is `{}` (set it with --data-dir DIR or the {DATA_DIR_ENV} environment variable)",
        ctx.data_dir.display()
    );
    let (what, hint) = match entry {
        Some(e) => (
            format!("{} file `{name}`", e.name),
            format!("{dir_note}; {}", e.obtain_hint()),
        ),
        None => (
            format!("data file `{name}`"),
            format!(
                "{dir_note}; relative paths are tried against the data directory, then the spec file's folder"
            ),
        ),
    };
    Err(DataError::MissingFile {
        what,
        looked: tried,
        hint,
    })
}

/// Find a column: exactly, or (for catalog names) after trimming both sides.
fn find_col(file: &RawFile, name: &str, trimmed: bool) -> Option<usize> {
    file.position(name).or_else(|| {
        trimmed
            .then(|| file.names.iter().position(|n| n.trim() == name.trim()))
            .flatten()
    })
}

/// The label (and raw label) text of every row of a file.
fn read_labels(
    raw: &RawFile,
    plan: &Plan,
) -> Result<(Vec<String>, Option<Vec<String>>), DataError> {
    let idx = find_col(raw, &plan.label, plan.match_trimmed)
        .ok_or_else(|| missing_label(raw, &plan.label))?;
    let labels = label_texts(raw, idx, &plan.label)?;
    let raw_labels = match &plan.raw_label {
        Some(name) => {
            let j =
                find_col(raw, name, plan.match_trimmed).ok_or_else(|| missing_label(raw, name))?;
            Some(
                (0..raw.rows)
                    .map(|row| raw.cell_text(j, row).unwrap_or_default())
                    .collect(),
            )
        }
        None => None,
    };
    Ok((labels, raw_labels))
}

/// The trimmed text of every cell of label column `idx`; an empty cell is an error.
fn label_texts(raw: &RawFile, idx: usize, label: &str) -> Result<Vec<String>, DataError> {
    let empty_label = |row: usize| DataError::UnknownLabel {
        path: raw.path.clone(),
        line: raw.line_of(row),
        value: String::new(),
        table: format!("label column `{label}` (the cell is empty; every row needs a label)"),
    };
    let mut labels = Vec::with_capacity(raw.rows);
    match &raw.columns[idx] {
        RawColumn::Text(s) => {
            for (row, cell) in s.iter().enumerate() {
                match cell.map(str::trim) {
                    Some(t) if !t.is_empty() => labels.push(t.to_string()),
                    _ => return Err(empty_label(row)),
                }
            }
        }
        RawColumn::Num(_) => {
            for row in 0..raw.rows {
                match raw.cell_text(idx, row) {
                    Some(s) if !s.is_empty() => labels.push(s),
                    _ => return Err(empty_label(row)),
                }
            }
        }
    }
    Ok(labels)
}

/// The error for a label column the file lacks, with the nearest column as a hint.
pub(crate) fn missing_label(raw: &RawFile, label: &str) -> DataError {
    let near = |names: &[String]| {
        names
            .iter()
            .find(|n| n.trim() == label.trim() && n.as_str() != label)
            .cloned()
    };
    let hint = if let Some(n) = near(&raw.original_names) {
        format!(
            "; column `{n}` matches after trimming spaces: write `label: \"{n}\"` (quoted, with the spaces) \
             or set `trim_column_names: true`"
        )
    } else if let Some(n) = near(&raw.names) {
        // trimmed names are in use and the label has spaces
        format!(
            "; with `trim_column_names: true` the column is called `{n}`: write `label: \"{n}\"`"
        )
    } else {
        let mut h = similar_columns(raw, label);
        h.push_str(&header_looks_like_data(raw));
        h
    };
    DataError::MissingLabelColumn {
        path: raw.path.clone(),
        label: label.to_string(),
        hint,
    }
}

/// A note when most header names are numbers: the file has no header line.
fn header_looks_like_data(raw: &RawFile) -> String {
    let numbers = raw
        .original_names
        .iter()
        .filter(|n| n.trim().parse::<f64>().is_ok())
        .count();
    if numbers * 2 < raw.original_names.len() {
        return String::new();
    }
    format!(
        "; the first line looks like data, not a header ({numbers} of its {} fields are numbers): \
         for a file without a header give its column names with `columns:`{}",
        raw.original_names.len(),
        super::super::catalog::layout_hint(raw.original_names.len(), None)
    )
}

/// "did you mean" for a near column name, and the first columns of the file.
fn similar_columns(raw: &RawFile, label: &str) -> String {
    let mut hint = String::new();
    let best = raw
        .names
        .iter()
        .map(|n| {
            (
                strsim::jaro_winkler(&n.trim().to_lowercase(), &label.trim().to_lowercase()),
                n,
            )
        })
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, n)) = best {
        hint = format!("; did you mean `{n}`?");
    }
    let shown: Vec<String> = raw.names.iter().take(8).map(|n| format!("`{n}`")).collect();
    hint.push_str(&format!(
        " (the file has {} columns: {}{})",
        raw.names.len(),
        shown.join(", "),
        if raw.names.len() > 8 { ", ..." } else { "" }
    ));
    hint
}
