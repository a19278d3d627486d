//! Loading a `dataset:` section into [`LoadedData`]: resolving file names against the data
//! directory, reading and checking every file, mapping labels to the target's classes, and
//! converting the feature columns to one [`Table`] per part (train, official test).
//!
//! Column types are decided once over all files of a load (train and test together), so
//! both parts have the same columns with the same types, and categorical columns share one
//! list of levels (in order of first appearance, training files first).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::catalog::{self, CatalogEntry, CatalogFile, FileFormat, TargetDef};
use super::loaded::{DATA_DIR_ENV, FileInfo, LoadContext, LoadedData};
use super::reader::{self, CsvOptions, RawColumn, RawFile, format_number};
use super::spec::{
    Checksums, DEFAULT_NORMAL_LABELS, DEFAULT_SYNTHETIC_ROWS, DatasetSpec, Source, SplitKind,
    SplitSpec, Target, validate,
};
use super::table::{Column, ColumnData, Dataset, MISSING, Table};
use super::{DataError, capture, split, synthetic};

/// Stream of the spec seed used for the `max_rows` subsample.
const SUBSAMPLE_STREAM: u64 = 0x5AB5_A3B1;

/// Options of [`read_file`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// CSV: whether the first line is a header (`true` unless `names` is given).
    pub no_header: bool,
    /// CSV without header: the column names.
    pub names: Option<Vec<String>>,
    /// Trim spaces around header names.
    pub trim_column_names: bool,
    /// Label column: returned as text and left out of the table.
    pub label: Option<String>,
    /// Columns read as categories; the others are numeric when every non-empty cell is a
    /// number, else categorical.
    pub categorical: Vec<String>,
}

/// One file read into a [`Table`] (no targets, no class checks).
#[derive(Debug, Clone)]
pub struct FileTable {
    pub table: Table,
    /// Label text of every row, when a label column was asked for.
    pub labels: Option<Vec<String>>,
    pub info: FileInfo,
}

/// Read one CSV (plain or `.gz`) or Parquet (`.parquet`, `.pq`) file into a [`Table`].
pub fn read_file(path: &Path, opts: &ReadOptions) -> Result<FileTable, DataError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let raw = if ext == "parquet" || ext == "pq" {
        reader::read_parquet(path, opts.trim_column_names, true)?
    } else {
        reader::read_csv(
            path,
            &CsvOptions {
                header: !opts.no_header && opts.names.is_none(),
                names: opts.names.as_deref(),
                trim_names: opts.trim_column_names,
                hash: true,
            },
        )?
    };
    let labels = match &opts.label {
        Some(l) => {
            let j = raw.position(l).ok_or_else(|| missing_label(&raw, l))?;
            Some(
                (0..raw.rows)
                    .map(|r| raw.cell_text(j, r).unwrap_or_default())
                    .collect(),
            )
        }
        None => None,
    };
    let names: Vec<String> = raw
        .names
        .iter()
        .filter(|n| Some(*n) != opts.label.as_ref())
        .cloned()
        .collect();
    let columns = names
        .par_iter()
        .map(|n| {
            let mode = if opts.categorical.contains(n) {
                Mode::Categorical
            } else {
                Mode::Infer
            };
            let j = raw.position(n).unwrap_or(0);
            build_column(n, &[(&raw, j)], 1, mode).map(|(c, _)| Column {
                name: n.clone(),
                data: c,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = FileInfo {
        role: "train".into(),
        path: raw.path.display().to_string(),
        catalog_id: None,
        sha256: raw.sha256.clone(),
        sha256_matches: None,
        bytes: raw.bytes_on_disk,
        uncompressed_bytes: raw.bytes,
        rows: raw.rows,
        columns: raw.names.len(),
    };
    Ok(FileTable {
        table: Table { columns },
        labels,
        info,
    })
}

/// Load the data of a spec. Validates the two sections first (all problems at once), then
/// reads the training files and, for `split.kind: official`, the test files.
pub fn load(
    spec: &DatasetSpec,
    split: &SplitSpec,
    ctx: &LoadContext,
) -> Result<LoadedData, DataError> {
    let problems = validate(spec, split);
    if !problems.is_empty() {
        return Err(DataError::Spec { problems });
    }
    let kind = split.kind_for(spec);
    let mut data = match spec.source {
        Source::Synthetic => {
            let rows = spec.rows.unwrap_or(DEFAULT_SYNTHETIC_ROWS);
            let train = synthetic::generate(rows, spec.target == Target::Attack, ctx.seed);
            LoadedData {
                description: synthetic::describe(rows, ctx.seed),
                train,
                test: None,
                files: vec![],
                warnings: vec![],
                synthetic: true,
                source: spec.source.as_str().into(),
                target: spec.target.as_str().into(),
            }
        }
        _ => load_files(spec, kind, ctx)?,
    };
    if let Some(max) = spec.max_rows
        && max < data.train.n_rows()
    {
        let n_before = data.train.n_rows();
        let idx = split::stratified_subsample(
            &data.train.y,
            data.train.class_names.len(),
            max,
            anomalab_learn::rng::derive_seed(ctx.seed, SUBSAMPLE_STREAM),
        );
        data.train = data.train.take_rows(&idx);
        data.description.push_str(&format!(
            "; training rows subsampled to {max} of {n_before} (stratified, seeded)"
        ));
    }
    Ok(data)
}

/// How a feature column is typed.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Categorical,
    /// Must be numeric: a non-numeric cell is an error.
    Numeric,
    /// Numeric when every non-empty cell parses as a number, else categorical.
    Infer,
}

/// The label mapping of a load.
enum ClassRule {
    Binary {
        normal: Vec<String>,
        ignore_case: bool,
    },
    Mapped {
        classes: Vec<String>,
        map: BTreeMap<String, String>,
        table: String,
    },
    Multiclass {
        first: Vec<String>,
        ignore_case: bool,
    },
}

/// The resolved description of how to read the files of a load.
struct Plan<'a> {
    entry: Option<&'static CatalogEntry>,
    header: bool,
    names: Option<&'a [String]>,
    trim_names: bool,
    /// Label column and optional raw-label column.
    label: String,
    raw_label: Option<String>,
    /// Names never used as features (labels, identifiers).
    non_features: Vec<String>,
    categorical: Vec<String>,
    /// Catalog names are matched after trimming.
    match_trimmed: bool,
    default_mode: Mode,
    rule: ClassRule,
    format: Format,
}

/// How the files of a load are read.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Parquet,
    /// Packet captures: flows extracted, labelled by rules.
    Pcap,
    /// Zeek conn.log: labelled by a column or by rules.
    Zeek,
}

fn plan_for(spec: &DatasetSpec) -> Result<Plan<'_>, DataError> {
    if let Some(name) = spec.source.catalog_name() {
        let entry = catalog::entry(name)?;
        let f: &'static FileFormat = &entry.format;
        let tdef = entry
            .targets
            .get(spec.target.as_str())
            .ok_or_else(|| DataError::Catalog {
                file: format!("{name}.yaml"),
                message: format!("no target `{}`", spec.target.as_str()),
            })?;
        let (label, raw_label, rule) = match tdef {
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
                        spec.target.as_str()
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
        };
        let mut non_features: Vec<String> =
            f.label_columns.iter().chain(&f.drop).cloned().collect();
        non_features.extend(spec.drop.iter().cloned());
        Ok(Plan {
            entry: Some(entry),
            header: f.header,
            names: (!f.header).then_some(f.columns.as_slice()),
            trim_names: spec.trim_column_names.unwrap_or(f.trim_column_names),
            label,
            raw_label,
            non_features,
            categorical: f.categorical.clone(),
            match_trimmed: true,
            default_mode: Mode::Numeric,
            rule,
            format: Format::Csv,
        })
    } else {
        let format = match spec.source {
            Source::Parquet => Format::Parquet,
            Source::Pcap => Format::Pcap,
            Source::Zeek => Format::Zeek,
            _ => Format::Csv,
        };
        let label = match format {
            Format::Pcap => capture::LABEL_COLUMN.to_string(),
            Format::Zeek => spec
                .label
                .clone()
                .unwrap_or_else(|| capture::LABEL_COLUMN.to_string()),
            _ => spec.label.clone().unwrap_or_default(),
        };
        let normal: Vec<String> = spec.normal_labels.clone().unwrap_or_else(|| {
            DEFAULT_NORMAL_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        let rule = match spec.target {
            Target::Multiclass => ClassRule::Multiclass {
                first: normal,
                ignore_case: true,
            },
            _ => ClassRule::Binary {
                normal,
                ignore_case: true,
            },
        };
        let mut non_features = vec![label.clone()];
        non_features.extend(spec.drop.iter().cloned());
        if format == Format::Zeek {
            non_features.extend(capture::ZEEK_NON_FEATURES.iter().map(|s| s.to_string()));
        }
        Ok(Plan {
            entry: None,
            header: true,
            names: None,
            trim_names: spec.trim_column_names.unwrap_or(false),
            label,
            raw_label: None,
            non_features,
            categorical: spec.categorical.clone(),
            match_trimmed: false,
            default_mode: Mode::Infer,
            rule,
            format,
        })
    }
}

/// Find a column: exactly, or (for catalog names) after trimming both sides.
fn find_col(file: &RawFile, name: &str, trimmed: bool) -> Option<usize> {
    file.position(name).or_else(|| {
        trimmed
            .then(|| file.names.iter().position(|n| n.trim() == name.trim()))
            .flatten()
    })
}

/// The file names of one role, with the catalog file each refers to.
fn file_list(
    spec: &DatasetSpec,
    entry: Option<&'static CatalogEntry>,
    test: bool,
) -> Vec<(String, Option<&'static CatalogFile>)> {
    match (&spec.files, entry) {
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

/// Resolve a file name to an existing path, or a missing-file error saying where it looked.
fn resolve(
    name: &str,
    entry: Option<&CatalogEntry>,
    cfile: Option<&CatalogFile>,
    ctx: &LoadContext,
) -> Result<PathBuf, DataError> {
    let mut tried: Vec<PathBuf> = Vec::new();
    fn push(p: PathBuf, tried: &mut Vec<PathBuf>) -> Option<PathBuf> {
        if p.is_file() {
            return Some(p);
        }
        if !tried.contains(&p) {
            tried.push(p);
        }
        None
    }
    let given = Path::new(name);
    if given.is_absolute() {
        if let Some(p) = push(given.to_path_buf(), &mut tried) {
            return Ok(p);
        }
    } else {
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
        for n in &names {
            let candidates = match entry {
                Some(e) => e.candidate_paths(&ctx.data_dir, n),
                None => vec![ctx.data_dir.join(n)],
            };
            for p in candidates {
                if let Some(p) = push(p, &mut tried) {
                    return Ok(p);
                }
            }
            if let Some(b) = &ctx.base_dir
                && let Some(p) = push(b.join(n), &mut tried)
            {
                return Ok(p);
            }
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

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |s| s.to_string_lossy().to_string(),
    )
}

/// A file read for a load, with its catalog entry and label texts.
struct Read {
    raw: RawFile,
    role: &'static str,
    cfile: Option<&'static CatalogFile>,
    labels: Vec<String>,
    raw_labels: Option<Vec<String>>,
}

fn load_files(
    spec: &DatasetSpec,
    kind: SplitKind,
    ctx: &LoadContext,
) -> Result<LoadedData, DataError> {
    let plan = plan_for(spec)?;
    let mut warnings = Vec::new();
    let strict = ctx.strict || spec.checksums == Checksums::Strict;
    let hash = spec.checksums != Checksums::Off;

    let train_list = file_list(spec, plan.entry, false);
    let mut test_list = file_list(spec, plan.entry, true);
    if kind != SplitKind::Official && !test_list.is_empty() {
        if spec.files.is_some() {
            warnings.push(format!(
                "split kind `{}` splits the training data; the test file(s) {} are not loaded",
                kind.as_str(),
                test_list
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        test_list.clear();
    }

    // Read every file.
    let mut reads: Vec<Read> = Vec::new();
    let mut capture_notes: Vec<Option<String>> = Vec::new();
    let mut packets = 0u64;
    for (role, list) in [("train", &train_list), ("test", &test_list)] {
        for (name, cfile) in list.iter() {
            let path = resolve(name, plan.entry, *cfile, ctx)?;
            let file_labels = || spec.labels.clone().unwrap_or_default().for_file(name);
            let raw = match plan.format {
                Format::Parquet => reader::read_parquet(&path, plan.trim_names, hash)?,
                Format::Csv => reader::read_csv(
                    &path,
                    &CsvOptions {
                        header: plan.header,
                        names: plan.names,
                        trim_names: plan.trim_names,
                        hash,
                    },
                )?,
                Format::Pcap => {
                    let opts = spec.extract.clone().unwrap_or_default();
                    let (raw, summary) = capture::read_pcap(&path, &file_labels(), &opts, hash)?;
                    capture_notes.push(capture_note(&path, &summary, &opts));
                    packets += summary.packets_read;
                    raw
                }
                Format::Zeek => {
                    let rules = (spec.label.is_none()).then(file_labels);
                    capture::read_zeek(&path, rules.as_ref(), hash)?
                }
            };
            let (labels, raw_labels) = read_labels(&raw, &plan)?;
            reads.push(Read {
                raw,
                role,
                cfile: *cfile,
                labels,
                raw_labels,
            });
        }
    }

    // Checks against the catalog: identity, checksum, rows, layout.
    let target_name = spec.target.as_str();
    if let Some(entry) = plan.entry {
        for r in &reads {
            let counts = binary_or_target_counts(r, &plan);
            let identified = identify(entry, &r.raw, target_name, &counts);
            let fname = file_name(&r.raw.path);
            match (r.cfile, identified) {
                (Some(c), Some(other)) if other.id != c.id => {
                    warnings.push(format!(
                        "{fname}: {} rows with the class counts{} of the published `{}` file of {} (not `{}`, which its name says): \
                         the training/testing file names are swapped in this copy; it is used as the {} file as the spec says",
                        thousands(r.raw.rows),
                        if r.raw.sha256.is_some() && other.sha256 == r.raw.sha256 { " and sha256" } else { "" },
                        other.id,
                        entry.name,
                        c.id,
                        r.role
                    ));
                }
                (Some(c), _) => {
                    if let (Some(exp), Some(found)) = (&c.sha256, &r.raw.sha256)
                        && exp != found
                    {
                        if strict {
                            return Err(DataError::Sha256Mismatch {
                                path: r.raw.path.clone(),
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
                        && rows != r.raw.rows
                    {
                        warnings.push(format!(
                            "{fname}: {} rows, the catalog's {} has {}",
                            thousands(r.raw.rows),
                            c.id,
                            thousands(rows)
                        ));
                    }
                }
                (None, Some(other)) => warnings.push(format!(
                    "{fname}: the content is the catalog's `{}` file of {}",
                    other.id, entry.name
                )),
                (None, None) => {}
            }
            if !entry.layouts.is_empty()
                && !entry.layouts.iter().any(|l| l.columns == r.raw.names.len())
            {
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
        }
    }

    // Classes over every file, then y per part.
    let all_labels: Vec<&str> = reads
        .iter()
        .flat_map(|r| r.labels.iter().map(|s| s.as_str()))
        .collect();
    let (class_names, class_of) = classes(&plan.rule, &all_labels, &reads)?;

    // Features.
    let first = &reads[0].raw;
    let is_non_feature = |n: &str| {
        plan.non_features.iter().any(|x| {
            if plan.match_trimmed {
                x.trim() == n.trim()
            } else {
                x == n
            }
        })
    };
    let feature_names: Vec<String> = first
        .names
        .iter()
        .filter(|n| !is_non_feature(n))
        .cloned()
        .collect();
    if plan.entry.is_none() {
        for d in &spec.drop {
            if first.position(d).is_none() {
                warnings.push(format!(
                    "dataset.drop: no column `{d}` in {}",
                    file_name(&first.path)
                ));
            }
        }
        for d in &spec.categorical {
            if first.position(d).is_none() {
                warnings.push(format!(
                    "dataset.categorical: no column `{d}` in {}",
                    file_name(&first.path)
                ));
            }
        }
    }
    // Every file must have the same columns.
    for r in &reads[1..] {
        let a: HashSet<&String> = first.names.iter().collect();
        let b: HashSet<&String> = r.raw.names.iter().collect();
        if a != b {
            let missing: Vec<&&String> = a.difference(&b).take(5).collect();
            let extra: Vec<&&String> = b.difference(&a).take(5).collect();
            return Err(DataError::Layout {
                message: format!(
                    "{} and {} have different columns ({} vs {}): missing in the second {:?}, extra {:?}; files loaded together must share one layout",
                    file_name(&first.path),
                    file_name(&r.raw.path),
                    first.names.len(),
                    r.raw.names.len(),
                    missing,
                    extra
                ),
            });
        }
    }
    let n_train_files = reads.iter().filter(|r| r.role == "train").count();
    let built: Vec<(ColumnData, Option<ColumnData>)> = feature_names
        .par_iter()
        .map(|name| {
            let mode = if plan.categorical.iter().any(|c| {
                if plan.match_trimmed {
                    c.trim() == name.trim()
                } else {
                    c == name
                }
            }) {
                Mode::Categorical
            } else {
                plan.default_mode
            };
            let parts: Vec<(&RawFile, usize)> = reads
                .iter()
                .map(|r| (&r.raw, r.raw.position(name).unwrap_or(0)))
                .collect();
            build_column(name, &parts, n_train_files, mode)
        })
        .collect::<Result<_, _>>()?;
    let mut train_cols = Vec::with_capacity(built.len());
    let mut test_cols = Vec::with_capacity(built.len());
    for (name, (tr, te)) in feature_names.iter().zip(built) {
        train_cols.push(Column {
            name: name.clone(),
            data: tr,
        });
        if let Some(te) = te {
            test_cols.push(Column {
                name: name.clone(),
                data: te,
            });
        }
    }

    let make = |role: &str, columns: Vec<Column>| -> Dataset {
        let mut y = Vec::new();
        let mut raw_labels = Vec::new();
        for r in reads.iter().filter(|r| r.role == role) {
            y.extend(r.labels.iter().map(|l| class_of[l.as_str()]));
            raw_labels.extend(r.raw_labels.clone().unwrap_or_else(|| r.labels.clone()));
        }
        Dataset {
            features: Table { columns },
            y,
            class_names: class_names.clone(),
            raw_labels,
        }
    };
    let train = make("train", train_cols);
    let test = (reads.len() > n_train_files).then(|| make("test", test_cols));

    // One class in all the data: nothing can be trained or evaluated.
    let mut counts = train.class_counts();
    if let Some(t) = &test {
        for (c, n) in counts.iter_mut().zip(t.class_counts()) {
            *c += n;
        }
    }
    let present: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    if present.len() < 2 {
        let c = present.first().copied().unwrap_or(0);
        let mut context = format!(
            "{} (label column `{}`)",
            reads
                .iter()
                .map(|r| file_name(&r.raw.path))
                .collect::<Vec<_>>()
                .join(", "),
            plan.label
        );
        if let ClassRule::Binary {
            normal,
            ignore_case: true,
        } = &plan.rule
        {
            context.push_str(&format!(
                "; target binary treats {} as normal (set `normal_labels` to change that)",
                normal
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        return Err(DataError::OneClass {
            context,
            class: class_names.get(c).cloned().unwrap_or_default(),
            rows: counts.get(c).copied().unwrap_or(0),
        });
    }

    let files: Vec<FileInfo> = reads
        .iter()
        .map(|r| FileInfo {
            role: r.role.to_string(),
            path: r.raw.path.display().to_string(),
            catalog_id: r.cfile.map(|c| c.id.clone()),
            sha256: r.raw.sha256.clone(),
            sha256_matches: match (r.cfile.and_then(|c| c.sha256.as_ref()), &r.raw.sha256) {
                (Some(e), Some(f)) => Some(e == f),
                _ => None,
            },
            bytes: r.raw.bytes_on_disk,
            uncompressed_bytes: r.raw.bytes,
            rows: r.raw.rows,
            columns: r.raw.names.len(),
        })
        .collect();
    warnings.extend(capture_notes.into_iter().flatten());
    let title = match plan.format {
        _ if plan.entry.is_some() => plan.entry.map(|e| e.title.clone()).unwrap_or_default(),
        Format::Pcap => format!(
            "flows ({} features) extracted from {} packet capture(s), {} packets",
            match spec.extract.clone().unwrap_or_default().feature_set {
                anomalab_flow::FeatureSetKind::Cic2017 => "cic2017",
            },
            reads.len(),
            thousands(packets as usize)
        ),
        Format::Zeek => format!(
            "Zeek conn.log file(s), {} connections",
            thousands(reads.iter().map(|r| r.raw.rows).sum())
        ),
        _ => format!("{} file(s)", spec.source.as_str()),
    };
    let describe_part = |role: &str| -> String {
        reads
            .iter()
            .filter(|r| r.role == role)
            .map(|r| {
                format!(
                    "{} ({} rows)",
                    file_name(&r.raw.path),
                    thousands(r.raw.rows)
                )
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut description = format!(
        "{title}, target `{target_name}` ({} classes); train: {}",
        class_names.len(),
        describe_part("train")
    );
    if test.is_some() {
        description.push_str(&format!("; official test: {}", describe_part("test")));
    }
    Ok(LoadedData {
        train,
        test,
        files,
        warnings,
        synthetic: false,
        description,
        source: spec.source.as_str().into(),
        target: target_name.into(),
    })
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

/// The label (and raw label) text of every row of a file.
fn read_labels(
    raw: &RawFile,
    plan: &Plan,
) -> Result<(Vec<String>, Option<Vec<String>>), DataError> {
    let idx = match find_col(raw, &plan.label, plan.match_trimmed) {
        Some(i) => i,
        None => return Err(missing_label(raw, &plan.label)),
    };
    let empty_label = |row: usize| DataError::UnknownLabel {
        path: raw.path.clone(),
        line: raw.line_of(row),
        value: String::new(),
        table: format!(
            "label column `{}` (the cell is empty; every row needs a label)",
            plan.label
        ),
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

fn missing_label(raw: &RawFile, label: &str) -> DataError {
    let mut hint = String::new();
    if let Some(n) = raw
        .original_names
        .iter()
        .find(|n| n.trim() == label.trim() && n.as_str() != label)
    {
        hint = format!(
            "; column `{n}` matches after trimming spaces: write `label: \"{n}\"` (quoted, with the spaces) \
             or set `trim_column_names: true`"
        );
    } else if let Some(n) = raw
        .names
        .iter()
        .find(|n| n.trim() == label.trim() && n.as_str() != label)
    {
        // trimmed names are in use and the label has spaces
        hint = format!(
            "; with `trim_column_names: true` the column is called `{n}`: write `label: \"{n}\"`"
        );
    } else {
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
    }
    DataError::MissingLabelColumn {
        path: raw.path.clone(),
        label: label.to_string(),
        hint,
    }
}

/// The class names and the class index of every label text.
fn classes(
    rule: &ClassRule,
    labels: &[&str],
    reads: &[Read],
) -> Result<(Vec<String>, HashMap<String, u32>), DataError> {
    let distinct: Vec<&str> = {
        let mut seen = HashSet::new();
        labels.iter().copied().filter(|l| seen.insert(*l)).collect()
    };
    let eq = |a: &str, b: &str, ic: bool| {
        if ic {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut class_of = HashMap::new();
    match rule {
        ClassRule::Binary {
            normal,
            ignore_case,
        } => {
            for l in distinct {
                let c = u32::from(!normal.iter().any(|n| eq(n.trim(), l, *ignore_case)));
                class_of.insert(l.to_string(), c);
            }
            Ok((vec!["normal".into(), "attack".into()], class_of))
        }
        ClassRule::Mapped {
            classes,
            map,
            table,
        } => {
            for l in distinct {
                let Some(cat) = map.get(l) else {
                    // point at the first occurrence
                    let (r, row) = reads
                        .iter()
                        .find_map(|r| r.labels.iter().position(|x| x == l).map(|i| (r, i)))
                        .expect("label comes from a file");
                    return Err(DataError::UnknownLabel {
                        path: r.raw.path.clone(),
                        line: r.raw.line_of(row),
                        value: l.to_string(),
                        table: table.clone(),
                    });
                };
                let c = classes.iter().position(|x| x == cat).unwrap_or(0) as u32;
                class_of.insert(l.to_string(), c);
            }
            Ok((classes.clone(), class_of))
        }
        ClassRule::Multiclass { first, ignore_case } => {
            let mut names: Vec<String> = Vec::new();
            for f in first {
                if let Some(l) = distinct.iter().find(|l| eq(f, l, *ignore_case))
                    && !names.iter().any(|n| n == l)
                {
                    names.push(l.to_string());
                }
            }
            let mut rest: Vec<&str> = distinct
                .iter()
                .copied()
                .filter(|l| !names.iter().any(|n| n == l))
                .collect();
            rest.sort_unstable();
            names.extend(rest.into_iter().map(String::from));
            for (i, n) in names.iter().enumerate() {
                class_of.insert(n.clone(), i as u32);
            }
            Ok((names, class_of))
        }
    }
}

/// Counts of the file's labels under the catalog target `binary` (for identification).
fn binary_or_target_counts(r: &Read, plan: &Plan) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    match &plan.rule {
        ClassRule::Binary { normal, .. } => {
            for l in &r.labels {
                let k = if normal.iter().any(|n| n == l) {
                    "normal"
                } else {
                    "attack"
                };
                *m.entry(k.to_string()).or_insert(0) += 1;
            }
        }
        ClassRule::Mapped { map, .. } => {
            for l in &r.labels {
                let k = map.get(l).cloned().unwrap_or_else(|| l.clone());
                *m.entry(k).or_insert(0) += 1;
            }
        }
        ClassRule::Multiclass { .. } => {
            for l in &r.labels {
                *m.entry(l.clone()).or_insert(0) += 1;
            }
        }
    }
    m
}

/// The catalog file whose content this is: same sha256, or same rows and class counts.
pub(crate) fn identify<'e>(
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

/// Parse a numeric cell: surrounding spaces ignored; `inf`, `Infinity`, `-Infinity`, `NaN`
/// (any case) accepted; an empty cell is missing (NaN).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// Build one feature column over every file: the training part (the first `n_train`
/// files) and the test part (the others, if any).
fn build_column(
    name: &str,
    parts: &[(&RawFile, usize)],
    n_train: usize,
    mode: Mode,
) -> Result<(ColumnData, Option<ColumnData>), DataError> {
    if mode != Mode::Categorical {
        let mut nums: Vec<Vec<f64>> = Vec::with_capacity(parts.len());
        let mut failed = false;
        'files: for (raw, j) in parts {
            let v = match &raw.columns[*j] {
                RawColumn::Num(v) => v.as_ref().clone(),
                RawColumn::Text(s) => {
                    let mut v = Vec::with_capacity(s.len());
                    for (row, cell) in s.iter().enumerate() {
                        let x = match cell {
                            None => f64::NAN,
                            Some(t) => match parse_number(t) {
                                Some(x) => x,
                                None if mode == Mode::Numeric => {
                                    return Err(DataError::NotANumber {
                                        path: raw.path.clone(),
                                        line: raw.line_of(row),
                                        column: name.to_string(),
                                        value: t.to_string(),
                                    });
                                }
                                None => {
                                    failed = true;
                                    break 'files;
                                }
                            },
                        };
                        v.push(x);
                    }
                    v
                }
            };
            nums.push(v);
        }
        if !failed {
            let mut it = nums.into_iter();
            let train: Vec<f64> = it.by_ref().take(n_train).flatten().collect();
            let test: Vec<f64> = it.flatten().collect();
            let has_test = parts.len() > n_train;
            return Ok((
                ColumnData::Numeric(train),
                has_test.then_some(ColumnData::Numeric(test)),
            ));
        }
    }
    // Categorical: one level list over every file.
    let mut levels: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut codes: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
    for (raw, j) in parts {
        let mut c = Vec::with_capacity(raw.rows);
        let mut code_of = |t: &str| -> u32 {
            let t = t.trim();
            if t.is_empty() {
                return MISSING;
            }
            if let Some(&k) = index.get(t) {
                return k;
            }
            let k = levels.len() as u32;
            levels.push(t.to_string());
            index.insert(t.to_string(), k);
            k
        };
        match &raw.columns[*j] {
            RawColumn::Text(s) => {
                for cell in s.iter() {
                    c.push(cell.map_or(MISSING, &mut code_of));
                }
            }
            RawColumn::Num(v) => {
                for &x in v.iter() {
                    c.push(if x.is_nan() {
                        MISSING
                    } else {
                        code_of(&format_number(x))
                    });
                }
            }
        }
        codes.push(c);
    }
    let mut it = codes.into_iter();
    let train: Vec<u32> = it.by_ref().take(n_train).flatten().collect();
    let test: Vec<u32> = it.flatten().collect();
    let has_test = parts.len() > n_train;
    Ok((
        ColumnData::Categorical {
            codes: train,
            levels: levels.clone(),
        },
        has_test.then_some(ColumnData::Categorical {
            codes: test,
            levels,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_like_the_csv_files_write_them() {
        assert_eq!(parse_number(" 1.5 "), Some(1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_number("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_number("inf"), Some(f64::INFINITY));
        assert!(parse_number("NaN").unwrap().is_nan());
        assert!(parse_number("").unwrap().is_nan());
        assert_eq!(parse_number("tcp"), None);
        assert_eq!(parse_number("1,5"), None);
    }

    #[test]
    fn thousands_separator() {
        assert_eq!(thousands(82332), "82,332");
        assert_eq!(thousands(125973), "125,973");
        assert_eq!(thousands(999), "999");
    }
}
