//! `source: nsl_kdd | kdd99 | unsw_nb15 | cic_ids2017`: the datasets of the catalog
//! (`datasets/*.yaml`, see [`crate::data::catalog`]). The catalog says the files' layout,
//! label columns, targets and default files; each file read is checked against it (which
//! published file it is, sha256, rows, layout).

use std::collections::BTreeMap;

use super::super::catalog::{self, CatalogEntry, CatalogFile, FileFormat, TargetDef};
use super::super::options::{FilesSpec, Target};
use super::super::reader::{self, CsvOptions, RawFile, file_name, thousands};
use super::super::{DataError, Problem};
use super::{
    ClassRule, DataSource, Fields, FileSet, Input, Mode, Plan, Read, ReadRequest, SourceOptions,
    checks, files, sorted,
};

/// A catalog dataset and the options that apply to it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogSource {
    /// The catalog name (`nsl_kdd`, ...).
    name: &'static str,
    /// Data files, resolved against the data directory and its catalog subfolders, then
    /// the spec file's folder. Default: the catalog's default files (nsl_kdd `{train:
    /// KDDTrain+.txt, test: KDDTest+.txt}`, unsw_nb15 `{train: UNSW_NB15_training-set.csv,
    /// test: UNSW_NB15_testing-set.csv}`, cic_ids2017 the eight day files as training data).
    pub files: Option<FilesSpec>,
    /// Trim spaces around header names. Default: the catalog's setting (`true` for
    /// cic_ids2017).
    pub trim_column_names: Option<bool>,
    /// Columns that are not features, besides the catalog's own non-feature columns.
    pub drop: Vec<String>,
}

impl SourceOptions for CatalogSource {
    const FIELDS: &'static [&'static str] = &["files", "trim_column_names", "drop"];

    fn take(name: &'static str, f: &mut Fields) -> Self {
        CatalogSource {
            name,
            files: f.files.take(),
            trim_column_names: f.trim_column_names.take(),
            drop: f.drop.take().unwrap_or_default(),
        }
    }

    fn put(&self, f: &mut Fields) {
        f.files = self.files.clone();
        f.trim_column_names = self.trim_column_names;
        f.drop = Some(self.drop.clone());
    }
}

impl DataSource for CatalogSource {
    fn name(&self) -> &'static str {
        self.name
    }

    fn targets(&self) -> &'static [Target] {
        match self.name {
            "nsl_kdd" | "kdd99" => &[Target::Binary, Target::Category, Target::Attack],
            "unsw_nb15" => &[Target::Binary, Target::AttackCat],
            _ => &[Target::Binary, Target::Label],
        }
    }

    fn problems(&self, _target: Target, _max_rows: Option<usize>) -> Vec<Problem> {
        self.files
            .as_ref()
            .map(checks::file_paths)
            .unwrap_or_default()
    }

    fn has_test_files(&self) -> bool {
        match &self.files {
            Some(f) => !f.test.is_empty(),
            None => catalog::entry(self.name)
                .map(|e| !e.default_files.test.is_empty())
                .unwrap_or(false),
        }
    }

    fn no_test_files(&self) -> String {
        format!(
            "source `{}` has no official test file; use `kind: holdout` or `kind: kfold`, or give `files: {{train: ..., test: ...}}`",
            self.name
        )
    }

    fn non_feature_columns(&self) -> Vec<String> {
        let mut out = self.drop.clone();
        if let Ok(entry) = catalog::entry(self.name) {
            out.extend(entry.format.label_columns.iter().cloned());
            out.extend(entry.format.drop.iter().cloned());
        }
        sorted(out)
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let entry = catalog::entry(self.name)?;
        let plan = self.plan(entry, req.target)?;
        let format = &entry.format;
        let keep = |name: &str| plan.keep(name);
        let opts = CsvOptions {
            header: format.header,
            names: (!format.header).then_some(format.columns.as_slice()),
            trim_names: self.trim_column_names.unwrap_or(format.trim_column_names),
            hash: req.hash(),
            keep: Some(&keep),
        };
        let mut warnings = Vec::new();
        let lists = files::locate(self.files.as_ref(), Some(entry), req, &mut warnings);
        let mut reads = files::read_all(&lists, &plan, Some(entry), req, |path, _| {
            reader::read_csv(path, &opts).map_err(|e| catalog::with_layout_hint(e, Some(entry)))
        })?;
        if format.label_suffix.is_some() {
            strip_suffix(&mut reads, format);
        }
        let strict = req.ctx.strict || req.checksums == super::Checksums::Strict;
        for r in &reads {
            warnings.extend(check_file(entry, r, &plan, req.target.as_str(), strict)?);
        }
        Ok(Input::Files(FileSet {
            plan,
            reads,
            warnings,
            notes: vec![],
            title: entry.title.clone(),
        }))
    }
}

/// Labels without the suffix every label of the dataset is written with.
fn strip_suffix(reads: &mut [Read], format: &FileFormat) {
    for r in reads.iter_mut() {
        let raw = r.raw_labels.iter_mut().flatten();
        for l in r.labels.iter_mut().chain(raw) {
            let n = format.strip_label(l).len();
            l.truncate(n);
        }
    }
}

impl CatalogSource {
    /// How the catalog's files become labels and features for `target`.
    fn plan(&self, entry: &'static CatalogEntry, target: Target) -> Result<Plan, DataError> {
        let name = self.name;
        let tdef = entry
            .targets
            .get(target.as_str())
            .ok_or_else(|| DataError::Catalog {
                file: format!("{name}.yaml"),
                message: format!("no target `{}`", target.as_str()),
            })?;
        let (label, raw_label, rule) = target_rule(entry, tdef, target);
        let f = &entry.format;
        let mut non_features: Vec<String> =
            f.label_columns.iter().chain(&f.drop).cloned().collect();
        non_features.extend(self.drop.iter().cloned());
        Ok(Plan {
            label,
            raw_label,
            non_features,
            categorical: f.categorical.clone(),
            match_trimmed: true,
            default_mode: Mode::Numeric,
            rule,
            named_columns: vec![],
            fill_absent: false,
        })
    }
}

/// The label column, raw-label column and class rule of a catalog target.
fn target_rule(
    entry: &CatalogEntry,
    tdef: &TargetDef,
    target: Target,
) -> (String, Option<String>, ClassRule) {
    let name = &entry.name;
    match tdef {
        TargetDef::Binary {
            column,
            normal,
            raw_column,
        } => (
            column.clone(),
            raw_column.clone(),
            ClassRule::Binary {
                normal: normal.clone(),
                ignore_case: false,
            },
        ),
        TargetDef::Mapped {
            column,
            classes,
            map,
        } => (
            column.clone(),
            None,
            ClassRule::Mapped {
                classes: classes.clone(),
                map: map.clone(),
                table: format!(
                    "{} `{}` (datasets/{name}.yaml)",
                    entry.title,
                    target.as_str()
                ),
            },
        ),
        TargetDef::Multiclass { column, first } => (
            column.clone(),
            None,
            ClassRule::Multiclass {
                first: first.clone(),
                ignore_case: false,
            },
        ),
    }
}

/// Warnings for a file that is not what the catalog says (another published file, a
/// sha256 or row count that differs, an unknown layout); a sha256 mismatch is an error in
/// strict mode.
fn check_file(
    entry: &CatalogEntry,
    r: &Read,
    plan: &Plan,
    target: &str,
    strict: bool,
) -> Result<Vec<String>, DataError> {
    let mut warnings = Vec::new();
    let counts = binary_or_target_counts(r, plan);
    let identified = identify(entry, &r.raw, target, &counts);
    let fname = file_name(&r.raw.path);
    match (r.cfile, identified) {
        (Some(c), Some(other)) if other.id != c.id => warnings.push(format!(
            "{fname}: {} rows with the class counts{} of the published `{}` file of {} (not `{}`, which its name says): \
             the training/testing file names are swapped in this copy; it is used as the {} file as the spec says",
            thousands(r.raw.rows),
            if r.raw.sha256.is_some() && other.sha256 == r.raw.sha256 { " and sha256" } else { "" },
            other.id,
            entry.name,
            c.id,
            r.role
        )),
        (Some(c), _) => warnings.extend(check_named_file(c, &r.raw, &fname, strict)?),
        (None, Some(other)) => warnings.push(format!(
            "{fname}: the content is the catalog's `{}` file of {}",
            other.id, entry.name
        )),
        (None, None) => {}
    }
    if !entry.layouts.is_empty() && !entry.layouts.iter().any(|l| l.columns == r.raw.names.len()) {
        warnings.push(format!(
            "{fname}: {} columns, not a known {} layout ({})",
            r.raw.names.len(),
            entry.name,
            entry
                .layouts
                .iter()
                .map(|l| format!("{} {} columns", l.name, l.columns))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(warnings)
}

/// sha256 and row count of a file against the catalog file its name refers to.
fn check_named_file(
    c: &CatalogFile,
    raw: &RawFile,
    fname: &str,
    strict: bool,
) -> Result<Vec<String>, DataError> {
    let mut warnings = Vec::new();
    if let (Some(exp), Some(found)) = (&c.sha256, &raw.sha256)
        && exp != found
    {
        if strict {
            return Err(DataError::Sha256Mismatch {
                path: raw.path.clone(),
                entry: c.id.clone(),
                expected: exp.clone(),
                found: found.clone(),
            });
        }
        warnings.push(format!(
            "{fname}: sha256 mismatch: expected {exp} (catalog entry {}), found {found}; loaded anyway (strict mode refuses it)",
            c.id
        ));
    }
    if let Some(rows) = c.rows
        && rows != raw.rows
    {
        warnings.push(format!(
            "{fname}: {} rows, the catalog's {} has {}",
            thousands(raw.rows),
            c.id,
            thousands(rows)
        ));
    }
    Ok(warnings)
}

/// Counts of the file's labels under the catalog target `binary` (for identification).
fn binary_or_target_counts(r: &Read, plan: &Plan) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for l in &r.labels {
        let k = match &plan.rule {
            ClassRule::Binary { normal, .. } => {
                if normal.iter().any(|n| n == l) {
                    "normal".to_string()
                } else {
                    "attack".to_string()
                }
            }
            ClassRule::Mapped { map, .. } => map.get(l).cloned().unwrap_or_else(|| l.clone()),
            ClassRule::Multiclass { .. } => l.clone(),
        };
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// The catalog file whose content this is: same sha256, or same rows and class counts.
fn identify<'e>(
    entry: &'e CatalogEntry,
    raw: &RawFile,
    target: &str,
    counts: &BTreeMap<String, usize>,
) -> Option<&'e CatalogFile> {
    if let Some(s) = &raw.sha256
        && let Some(f) = entry.files.iter().find(|f| f.sha256.as_ref() == Some(s))
    {
        return Some(f);
    }
    entry.files.iter().find(|f| {
        f.rows == Some(raw.rows) && f.class_counts.get(target).is_some_and(|c| c == counts)
    })
}
