//! `anomalab datasets verify`: check every catalog file found in a data directory against
//! the catalog (sha256 of the uncompressed content, rows, columns, class counts) and list
//! the missing ones with how to obtain them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::DataError;
use super::catalog::{self, CatalogEntry, CatalogFile, FileRole, TargetDef};
use super::reader::{self, CsvOptions, RawFile};

/// The outcome for one catalog file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    /// Everything the catalog records matches.
    Ok,
    /// The content is another catalog file of the same dataset (e.g. UNSW-NB15's swapped
    /// training/testing names). A warning, a failure in strict mode.
    Swapped,
    /// Something differs (details say what).
    Mismatch,
    /// The file could not be read or parsed.
    Error,
    /// Not found in the data directory. A failure in strict mode only.
    Missing,
}

impl VerifyStatus {
    fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Ok => "ok",
            VerifyStatus::Swapped => "swapped",
            VerifyStatus::Mismatch => "mismatch",
            VerifyStatus::Error => "error",
            VerifyStatus::Missing => "missing",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyRow {
    pub dataset: String,
    /// Catalog file id.
    pub file: String,
    /// Path found, if any.
    pub path: Option<String>,
    pub status: VerifyStatus,
    /// What matched, what differed, or where it was looked for.
    pub details: Vec<String>,
    /// Whether this row counts as a failure (depends on strict mode).
    pub failed: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    pub data_dir: String,
    pub strict: bool,
    pub rows: Vec<VerifyRow>,
    /// `how to obtain` text of each dataset with a missing file.
    pub obtain: BTreeMap<String, String>,
}

impl VerifyReport {
    /// Number of failed rows (mismatch, error; in strict mode also swapped and missing
    /// distribution files).
    pub fn failures(&self) -> usize {
        self.rows.iter().filter(|r| r.failed).count()
    }

    /// True when nothing failed.
    pub fn is_ok(&self) -> bool {
        self.failures() == 0
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "dataset catalog check of `{}`{}",
            self.data_dir,
            if self.strict { " (strict)" } else { "" }
        )?;
        let w_ds = self
            .rows
            .iter()
            .map(|r| r.dataset.len())
            .max()
            .unwrap_or(7)
            .max(7);
        let w_file = self
            .rows
            .iter()
            .map(|r| r.file.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            f,
            "{:<w_ds$}  {:<w_file$}  {:<8}  details",
            "dataset", "file", "status"
        )?;
        writeln!(
            f,
            "{}  {}  {}  {}",
            "-".repeat(w_ds),
            "-".repeat(w_file),
            "-".repeat(8),
            "-".repeat(7)
        )?;
        self.write_rows(f, w_ds, w_file)?;
        let count = |s: VerifyStatus| self.rows.iter().filter(|r| r.status == s).count();
        writeln!(
            f,
            "{} ok, {} swapped, {} mismatch, {} error, {} missing; {} failure(s)",
            count(VerifyStatus::Ok),
            count(VerifyStatus::Swapped),
            count(VerifyStatus::Mismatch),
            count(VerifyStatus::Error),
            count(VerifyStatus::Missing),
            self.failures()
        )?;
        for (ds, how) in &self.obtain {
            writeln!(f, "missing {ds} files: {how}")?;
        }
        Ok(())
    }
}

impl VerifyReport {
    /// One line per file (its first detail), then one line per further detail.
    fn write_rows(&self, f: &mut fmt::Formatter<'_>, w_ds: usize, w_file: usize) -> fmt::Result {
        for r in &self.rows {
            let mut details = r.details.clone();
            if let Some(p) = &r.path {
                details.insert(0, p.clone());
            }
            let first = details.first().cloned().unwrap_or_default();
            writeln!(
                f,
                "{:<w_ds$}  {:<w_file$}  {:<8}  {}",
                r.dataset,
                r.file,
                r.status.as_str(),
                first
            )?;
            for d in details.iter().skip(1) {
                writeln!(f, "{:<w_ds$}  {:<w_file$}  {:<8}    {}", "", "", "", d)?;
            }
        }
        Ok(())
    }
}

/// Check every catalog file in `data_dir`.
pub fn verify_catalog(data_dir: &Path, strict: bool) -> Result<VerifyReport, DataError> {
    let mut report = VerifyReport {
        data_dir: data_dir.display().to_string(),
        strict,
        rows: Vec::new(),
        obtain: BTreeMap::new(),
    };
    for entry in catalog::catalog()? {
        for file in &entry.files {
            let row = match entry.locate(data_dir, file) {
                Err(tried) => {
                    let dirs: Vec<String> = entry
                        .dirs
                        .iter()
                        .map(|d| {
                            if d == "." {
                                data_dir.display().to_string()
                            } else {
                                data_dir.join(d).display().to_string()
                            }
                        })
                        .collect();
                    report
                        .obtain
                        .insert(entry.name.clone(), entry.obtain.clone());
                    let _ = tried;
                    VerifyRow {
                        dataset: entry.name.clone(),
                        file: file.id.clone(),
                        path: None,
                        status: VerifyStatus::Missing,
                        details: vec![format!(
                            "not found as {} in {}",
                            file.names.join(" or "),
                            dirs.join(", ")
                        )],
                        failed: strict && file.role != FileRole::Sample,
                    }
                }
                Ok(path) => check_file(entry, file, &path, strict),
            };
            report.rows.push(row);
        }
    }
    Ok(report)
}

/// Class counts of a file for one catalog target.
pub(crate) fn target_counts(
    raw: &RawFile,
    entry: &CatalogEntry,
    def: &TargetDef,
) -> Result<BTreeMap<String, usize>, String> {
    let col = def.column();
    let j = raw
        .names
        .iter()
        .position(|n| n.trim() == col.trim())
        .ok_or_else(|| format!("no label column `{col}`"))?;
    let mut m = BTreeMap::new();
    for row in 0..raw.rows {
        let text = raw.cell_text(j, row).unwrap_or_default();
        let l = entry.format.strip_label(&text).to_string();
        let k = match def {
            TargetDef::Binary { normal, .. } => {
                if normal.contains(&l) {
                    "normal".to_string()
                } else {
                    "attack".to_string()
                }
            }
            TargetDef::Mapped { map, .. } => match map.get(&l) {
                Some(c) => c.clone(),
                None => {
                    return Err(format!(
                        "label `{l}` (line {}) is not in the {} category table",
                        raw.line_of(row),
                        entry.name
                    ));
                }
            },
            TargetDef::Multiclass { .. } => l,
        };
        *m.entry(k).or_insert(0) += 1;
    }
    Ok(m)
}

fn fmt_counts(m: &BTreeMap<String, usize>) -> String {
    let mut v: Vec<(&String, &usize)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_file(entry: &CatalogEntry, file: &CatalogFile, path: &Path, strict: bool) -> VerifyRow {
    let mut row = VerifyRow {
        dataset: entry.name.clone(),
        file: file.id.clone(),
        path: Some(path.display().to_string()),
        status: VerifyStatus::Ok,
        details: Vec::new(),
        failed: false,
    };
    let raw = match reader::read_csv(
        path,
        &CsvOptions {
            header: entry.format.header,
            names: (!entry.format.header).then_some(entry.format.columns.as_slice()),
            trim_names: entry.format.trim_column_names,
            hash: true,
            keep: None,
        },
    ) {
        Ok(r) => r,
        Err(e) => {
            row.status = VerifyStatus::Error;
            row.details.push(e.to_string());
            row.failed = true;
            return row;
        }
    };
    let sha = raw.sha256.clone().unwrap_or_default();
    // counts for every target
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (name, def) in &entry.targets {
        match target_counts(&raw, entry, def) {
            Ok(c) => {
                counts.insert(name.clone(), c);
            }
            Err(e) => row.details.push(format!("target {name}: {e}")),
        }
    }
    if let Some(detail) = swapped(entry, file, &raw, &sha, &counts) {
        row.status = VerifyStatus::Swapped;
        row.details.push(detail);
        row.failed = strict;
        return row;
    }
    let (checked, problems) = compare(entry, file, &raw, &sha, &counts, &mut row.details);
    if !checked.is_empty() {
        row.details
            .insert(0, format!("matches: {}", checked.join(", ")));
    }
    if file.verified.is_none() && problems.is_empty() {
        row.details
            .push("the catalog values are published figures, not verified by anomalab".into());
    }
    if !problems.is_empty() {
        row.status = VerifyStatus::Mismatch;
        row.failed = true;
        row.details.extend(problems);
    }
    row
}

/// When the content is another catalog file's (and not this one's): what it is.
fn swapped(
    entry: &CatalogEntry,
    file: &CatalogFile,
    raw: &RawFile,
    sha: &str,
    counts: &BTreeMap<String, BTreeMap<String, usize>>,
) -> Option<String> {
    let matches = |f: &CatalogFile| -> bool {
        if let Some(s) = &f.sha256 {
            return *s == sha;
        }
        f.rows == Some(raw.rows)
            && !f.class_counts.is_empty()
            && f.class_counts.iter().all(|(t, c)| counts.get(t) == Some(c))
    };
    if matches(file) {
        return None;
    }
    let other = entry.files.iter().find(|f| f.id != file.id && matches(f))?;
    Some(format!(
        "the content is the catalog's `{}` ({} rows{}): this copy's file name is swapped",
        other.id,
        raw.rows,
        if other.sha256.as_deref() == Some(sha) {
            ", sha256 matches"
        } else {
            ", class counts match"
        }
    ))
}

/// The catalog values of a file that the content matches, and those it does not; values
/// the catalog does not record go to `notes`.
fn compare(
    entry: &CatalogEntry,
    file: &CatalogFile,
    raw: &RawFile,
    sha: &str,
    counts: &BTreeMap<String, BTreeMap<String, usize>>,
    notes: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    match &file.sha256 {
        Some(s) if *s == sha => checked.push("sha256".to_string()),
        Some(s) => problems.push(format!("sha256 expected {s}, found {sha}")),
        None => notes.push(format!("sha256 {sha} (not recorded in the catalog)")),
    }
    match file.rows {
        Some(n) if n == raw.rows => checked.push(format!("{n} rows")),
        Some(n) => problems.push(format!("rows expected {n}, found {}", raw.rows)),
        None => notes.push(format!("{} rows (not recorded)", raw.rows)),
    }
    let n_cols = raw.names.len();
    match (file.columns, entry.layouts.is_empty()) {
        (Some(c), _) if c == n_cols => checked.push(format!("{c} columns")),
        (Some(c), _) => problems.push(format!("columns expected {c}, found {n_cols}")),
        (None, false) => match entry.layouts.iter().find(|l| l.columns == n_cols) {
            Some(l) => checked.push(format!("{n_cols} columns ({} layout)", l.name)),
            None => problems.push(format!("{n_cols} columns: not a known layout")),
        },
        (None, true) => {}
    }
    for (t, expected) in &file.class_counts {
        match counts.get(t) {
            Some(found) if found == expected => checked.push(format!("{t} counts")),
            Some(found) => problems.push(format!(
                "{t} counts expected [{}], found [{}]",
                fmt_counts(expected),
                fmt_counts(found)
            )),
            None => {}
        }
    }
    (checked, problems)
}
