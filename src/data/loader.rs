//! Loading a `dataset:` section into [`LoadedData`]: the source locates and reads its
//! files (see [`super::source`]); then, the same for every source, labels are mapped to
//! the target's classes, the feature columns (all but the source's non-features and
//! `drop`) are typed and converted to one [`Table`] per part (train, official test), and
//! `max_rows` subsamples the training rows.
//!
//! Column types are decided once over all files of a load (train and test together), so
//! both parts have the same columns with the same types, and categorical columns share one
//! list of levels (in order of first appearance, training files first).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::csv_chunks::Keep;
pub(crate) use super::csv_chunks::parse_number;
use super::loaded::{FileInfo, LoadContext, LoadedData};
use super::reader::{self, CsvOptions, RawColumn, RawFile, file_name, format_number, thousands};
use super::source::{ClassRule, FileSet, Input, Mode, Plan, Read, ReadRequest, missing_label};
use super::spec::{DatasetSpec, SplitKind, SplitSpec, validate};
use super::table::{Column, ColumnData, Dataset, MISSING, Table};
use super::{DataError, split};

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
    let keep = |name: &str| {
        if Some(name) == opts.label.as_deref() || opts.categorical.iter().any(|c| c == name) {
            Keep::Text
        } else {
            Keep::NumbersIfAll
        }
    };
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
                keep: Some(&keep),
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
    let columns = raw
        .names
        .par_iter()
        .enumerate()
        .filter(|(_, n)| Some(*n) != opts.label.as_ref())
        .map(|(j, n)| {
            let mode = if opts.categorical.contains(n) {
                Mode::Categorical
            } else {
                Mode::Infer
            };
            let column = raw.columns[j].clone();
            let mut parts = [Part {
                raw: &raw,
                j: Some(j),
                column,
            }];
            build_column(n, &mut parts, 1, mode).map(|(c, _)| Column {
                name: n.clone(),
                data: c,
            })
        })
        .collect::<Vec<_>>()
        // In column order, so that a bad file always names its first bad column.
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FileTable {
        table: Table { columns },
        labels,
        info: file_info(&raw, "train", None),
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
    let req = ReadRequest {
        target: spec.target,
        checksums: spec.checksums,
        split: kind.as_str(),
        load_test: kind == SplitKind::Official,
        labels: true,
        ctx,
    };
    let mut data = match spec.source.read(&req)? {
        Input::Generated(data) => data,
        Input::Files(set) => assemble(spec, set)?,
    };
    if let Some(max) = spec.max_rows {
        subsample(&mut data, max, ctx.seed);
    }
    Ok(data)
}

/// Keep a seeded, stratified sample of `max` training rows (when there are more).
fn subsample(data: &mut LoadedData, max: usize, seed: u64) {
    let n_before = data.train.n_rows();
    if max >= n_before {
        return;
    }
    let idx = split::stratified_subsample(
        &data.train.y,
        data.train.class_names.len(),
        max,
        anomalab_learn::rng::derive_seed(seed, SUBSAMPLE_STREAM),
    );
    data.train = data.train.take_rows(&idx);
    data.description.push_str(&format!(
        "; training rows subsampled to {max} of {n_before} (stratified, seeded)"
    ));
}

/// The train and test datasets of the files a source read.
fn assemble(spec: &DatasetSpec, set: FileSet) -> Result<LoadedData, DataError> {
    let FileSet {
        plan,
        mut reads,
        mut warnings,
        notes,
        title,
    } = set;
    let (class_names, class_of) = classes(&plan.rule, &reads)?;
    let first = &reads[0].raw;
    warnings.extend(missing_named_columns(&plan, first));
    check_layouts(&plan, &reads)?;
    let feature_names = all_feature_names(&plan, &reads);
    warnings.extend(absent_features(&feature_names, &reads));
    let (train_cols, test_cols) =
        build_features(&mut reads, &feature_names, &|name| plan.mode_of(name))?;
    let part = |role: &str, columns: Vec<Column>| {
        make_part(&reads, role, columns, &class_names, &class_of)
    };
    let train = part("train", train_cols);
    let test = reads
        .iter()
        .any(|r| r.role == "test")
        .then(|| part("test", test_cols));
    check_two_classes(&plan, &reads, &train, test.as_ref())?;
    warnings.extend(notes);
    let mut description = format!(
        "{title}, target `{}` ({} classes); train: {}",
        spec.target.as_str(),
        class_names.len(),
        describe_part(&reads, "train")
    );
    if test.is_some() {
        description.push_str(&format!(
            "; official test: {}",
            describe_part(&reads, "test")
        ));
    }
    Ok(LoadedData {
        train,
        test,
        files: reads
            .iter()
            .map(|r| file_info(&r.raw, r.role, r.cfile))
            .collect(),
        warnings,
        synthetic: false,
        description,
        source: spec.source.as_str().into(),
        target: spec.target.as_str().into(),
    })
}

/// `file (rows)` of every file of a part, joined with ` + `.
fn describe_part(reads: &[Read], role: &str) -> String {
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
}

/// What the manifest records of a file read.
pub(super) fn file_info(
    raw: &RawFile,
    role: &str,
    cfile: Option<&super::catalog::CatalogFile>,
) -> FileInfo {
    FileInfo {
        role: role.to_string(),
        path: raw.path.display().to_string(),
        catalog_id: cfile.map(|c| c.id.clone()),
        sha256: raw.sha256.clone(),
        sha256_matches: match (cfile.and_then(|c| c.sha256.as_ref()), &raw.sha256) {
            (Some(e), Some(f)) => Some(e == f),
            _ => None,
        },
        bytes: raw.bytes_on_disk,
        uncompressed_bytes: raw.bytes,
        rows: raw.rows,
        columns: raw.names.len(),
    }
}

/// Warnings for columns named by options (`dataset.drop`, ...) that the first file lacks.
fn missing_named_columns(plan: &Plan, first: &RawFile) -> Vec<String> {
    let mut warnings = Vec::new();
    for (option, names) in &plan.named_columns {
        for d in names {
            if first.position(d).is_none() {
                warnings.push(format!(
                    "{option}: no column `{d}` in {}",
                    file_name(&first.path)
                ));
            }
        }
    }
    warnings
}

/// Every file must have the same feature columns as the first (columns that are never
/// features may differ); with `plan.fill_absent`, a file may lack some.
fn check_layouts(plan: &Plan, reads: &[Read]) -> Result<(), DataError> {
    let first = &reads[0].raw;
    let features =
        |raw: &RawFile| -> HashSet<String> { feature_names(plan, raw).into_iter().collect() };
    let a = features(first);
    for r in &reads[1..] {
        let b = features(&r.raw);
        if a != b && !plan.fill_absent {
            let missing: Vec<&String> = a.difference(&b).take(5).collect();
            let extra: Vec<&String> = b.difference(&a).take(5).collect();
            return Err(DataError::Layout {
                message: format!(
                    "{} and {} have different feature columns ({} vs {}): missing in the second {:?}, extra {:?}; files loaded together must share one layout",
                    file_name(&first.path),
                    file_name(&r.raw.path),
                    a.len(),
                    b.len(),
                    missing,
                    extra
                ),
            });
        }
    }
    Ok(())
}

/// The feature columns of every file, in the order of first appearance (the first file's
/// order when all have the same).
fn all_feature_names(plan: &Plan, reads: &[Read]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for r in reads {
        for n in feature_names(plan, &r.raw) {
            if seen.insert(n.clone()) {
                out.push(n);
            }
        }
    }
    out
}

/// One warning per feature column that some files lack: their rows have missing values
/// there.
fn absent_features(feature_names: &[String], reads: &[Read]) -> Vec<String> {
    let mut warnings = Vec::new();
    for name in feature_names {
        let lacking: Vec<&Read> = reads
            .iter()
            .filter(|r| r.raw.position(name).is_none())
            .collect();
        if lacking.is_empty() {
            continue;
        }
        let rows: usize = lacking.iter().map(|r| r.raw.rows).sum();
        warnings.push(format!(
            "feature `{name}` is not in {} ({} rows): missing values there, filled by the preprocessing's missing-value policy",
            lacking
                .iter()
                .map(|r| file_name(&r.raw.path))
                .collect::<Vec<_>>()
                .join(", "),
            thousands(rows)
        ));
    }
    warnings
}

/// The columns of `first` that are features under `plan` (all but its non-features).
pub(super) fn feature_names(plan: &Plan, first: &RawFile) -> Vec<String> {
    first
        .names
        .iter()
        .filter(|n| !plan.non_features.iter().any(|x| plan.same_name(x, n)))
        .cloned()
        .collect()
}

/// The feature columns of the training part and of the test part (empty when none), each
/// typed by `mode_of(name)`. The files' columns are taken out of `reads`, so each column's
/// cells as read are freed once that column is built.
pub(super) fn build_features(
    reads: &mut [Read],
    feature_names: &[String],
    mode_of: &(dyn Fn(&str) -> Mode + Sync),
) -> Result<(Vec<Column>, Vec<Column>), DataError> {
    let n_train_files = reads.iter().filter(|r| r.role == "train").count();
    let mut taken: Vec<Vec<(Option<usize>, RawColumn)>> = feature_names
        .iter()
        .map(|name| {
            reads
                .iter()
                .map(|r| match r.raw.position(name) {
                    Some(j) => (Some(j), r.raw.columns[j].clone()),
                    // a column the file lacks (`Plan::fill_absent`): missing in every row
                    None => (None, RawColumn::Num(Arc::new(vec![f64::NAN; r.raw.rows]))),
                })
                .collect()
        })
        .collect();
    for r in reads.iter_mut() {
        r.raw.columns.clear();
    }
    let built: Vec<(ColumnData, Option<ColumnData>)> = feature_names
        .par_iter()
        .zip(taken.par_iter_mut())
        .map(|(name, cols)| {
            let mut parts: Vec<Part> = reads
                .iter()
                .zip(cols.drain(..))
                .map(|(r, (j, column))| Part {
                    raw: &r.raw,
                    j,
                    column,
                })
                .collect();
            build_column(name, &mut parts, n_train_files, mode_of(name))
        })
        .collect::<Vec<_>>()
        // In column order, so that a bad file always names its first bad column.
        .into_iter()
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
    Ok((train_cols, test_cols))
}

/// The dataset of one part (`train` or `test`): its features, classes and raw labels.
fn make_part(
    reads: &[Read],
    role: &str,
    columns: Vec<Column>,
    class_names: &[String],
    class_of: &HashMap<String, u32>,
) -> Dataset {
    let mut y = Vec::new();
    let mut raw_labels = Vec::new();
    for r in reads.iter().filter(|r| r.role == role) {
        y.extend(r.labels.iter().map(|l| class_of[l.as_str()]));
        raw_labels.extend(r.raw_labels.clone().unwrap_or_else(|| r.labels.clone()));
    }
    Dataset {
        features: Table { columns },
        y,
        class_names: class_names.to_vec(),
        raw_labels,
    }
}

/// One class in all the data: nothing can be trained or evaluated.
fn check_two_classes(
    plan: &Plan,
    reads: &[Read],
    train: &Dataset,
    test: Option<&Dataset>,
) -> Result<(), DataError> {
    let mut counts = train.class_counts();
    if let Some(t) = test {
        for (c, n) in counts.iter_mut().zip(t.class_counts()) {
            *c += n;
        }
    }
    let present: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    if present.len() >= 2 {
        return Ok(());
    }
    let c = present.first().copied().unwrap_or(0);
    let mut context = format!(
        "{} (label column `{}`; values seen: {})",
        reads
            .iter()
            .map(|r| file_name(&r.raw.path))
            .collect::<Vec<_>>()
            .join(", "),
        plan.label,
        labels_seen(reads)
    );
    if let ClassRule::Binary {
        normal,
        ignore_case,
    } = &plan.rule
    {
        let list = normal
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        context.push_str(&format!("; target binary treats {list} as normal"));
        context.push_str(if *ignore_case {
            " (set `normal_labels` to change that)"
        } else {
            " (the catalog's `binary` target)"
        });
        context.push_str(&near_normal(reads, normal));
    }
    Err(DataError::OneClass {
        context,
        class: train.class_names.get(c).cloned().unwrap_or_default(),
        rows: counts.get(c).copied().unwrap_or(0),
    })
}

/// The distinct label values of the files with their counts, most frequent first (the
/// first 12).
fn labels_seen(reads: &[Read]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for l in reads.iter().flat_map(|r| &r.labels) {
        *counts.entry(l.as_str()).or_insert(0) += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<String> = v
        .iter()
        .take(12)
        .map(|(l, n)| format!("`{l}` {}", thousands(*n)))
        .collect();
    if v.len() > 12 {
        out.push(format!("and {} more", v.len() - 12));
    }
    out.join(", ")
}

/// A note when a label seen is a normal label with something around it (`normal.`).
fn near_normal(reads: &[Read], normal: &[String]) -> String {
    let seen: HashSet<&str> = reads
        .iter()
        .flat_map(|r| r.labels.iter().map(String::as_str))
        .collect();
    let mut near: Vec<&str> = seen
        .into_iter()
        .filter(|l| {
            let core = l.trim_matches(|c: char| !c.is_alphanumeric());
            core != *l && normal.iter().any(|n| n.trim().eq_ignore_ascii_case(core))
        })
        .collect();
    near.sort_unstable();
    match near.first() {
        Some(l) => format!(
            "; `{l}` is a normal label with other characters around it: list it in `normal_labels`"
        ),
        None => String::new(),
    }
}

/// The class names and the class index of every label text of the files.
fn classes(
    rule: &ClassRule,
    reads: &[Read],
) -> Result<(Vec<String>, HashMap<String, u32>), DataError> {
    let distinct: Vec<&str> = {
        let mut seen = HashSet::new();
        reads
            .iter()
            .flat_map(|r| r.labels.iter().map(String::as_str))
            .filter(|l| seen.insert(*l))
            .collect()
    };
    let eq = |a: &str, b: &str, ic: bool| {
        if ic {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match rule {
        ClassRule::Binary {
            normal,
            ignore_case,
        } => {
            let class_of = distinct
                .iter()
                .map(|l| {
                    let attack = !normal.iter().any(|n| eq(n.trim(), l, *ignore_case));
                    (l.to_string(), u32::from(attack))
                })
                .collect();
            Ok((vec!["normal".into(), "attack".into()], class_of))
        }
        ClassRule::Mapped {
            classes,
            map,
            table,
        } => mapped_classes(classes, map, table, &distinct, reads),
        ClassRule::Multiclass { first, ignore_case } => {
            let names = multiclass_names(first, &distinct, |a, b| eq(a, b, *ignore_case));
            let class_of = names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as u32))
                .collect();
            Ok((names, class_of))
        }
    }
}

/// One class per label: the labels matching `first` in that order, then the others sorted.
fn multiclass_names(
    first: &[String],
    distinct: &[&str],
    eq: impl Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in first {
        if let Some(l) = distinct.iter().find(|l| eq(f, l))
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
    names
}

/// Classes by a catalog table; a label the table lacks is an error at its first row.
fn mapped_classes(
    classes: &[String],
    map: &std::collections::BTreeMap<String, String>,
    table: &str,
    distinct: &[&str],
    reads: &[Read],
) -> Result<(Vec<String>, HashMap<String, u32>), DataError> {
    let mut class_of = HashMap::new();
    for &l in distinct {
        let Some(cat) = map.get(l) else {
            let (r, row) = reads
                .iter()
                .find_map(|r| r.labels.iter().position(|x| x == l).map(|i| (r, i)))
                .expect("label comes from a file");
            return Err(DataError::UnknownLabel {
                path: r.raw.path.clone(),
                line: r.raw.line_of(row),
                value: l.to_string(),
                table: table.to_string(),
            });
        };
        let c = classes.iter().position(|x| x == cat).unwrap_or(0) as u32;
        class_of.insert(l.to_string(), c);
    }
    Ok((classes.to_vec(), class_of))
}

/// One file's cells of a column: the file, the column's position in it (`None` when the
/// file lacks it), and the cells.
struct Part<'a> {
    raw: &'a RawFile,
    j: Option<usize>,
    column: RawColumn,
}

/// Build one feature column over every file: the training part (the first `n_train`
/// files) and the test part (the others, if any).
fn build_column(
    name: &str,
    parts: &mut [Part],
    n_train: usize,
    mode: Mode,
) -> Result<(ColumnData, Option<ColumnData>), DataError> {
    let has_test = parts.len() > n_train;
    if mode != Mode::Categorical
        && let Some(mut nums) = numeric_parts(name, parts, mode)?
    {
        let test = concat(nums.split_off(n_train.min(nums.len())));
        return Ok((
            ColumnData::Numeric(concat(nums)),
            has_test.then_some(ColumnData::Numeric(test)),
        ));
    }
    let (levels, codes) = categorical_parts(parts)?;
    let mut it = codes.into_iter();
    let train: Vec<u32> = it.by_ref().take(n_train).flatten().collect();
    let test: Vec<u32> = it.flatten().collect();
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

/// The parts one after the other (a single part is moved, not copied).
fn concat(mut parts: Vec<Vec<f64>>) -> Vec<f64> {
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    parts.into_iter().flatten().collect()
}

/// The numbers of a column in every file, or `None` when a cell is not a number and the
/// column may be categorical (`Mode::Infer`); with `Mode::Numeric` that cell is an error.
/// The parts already numeric are taken (left empty) only when every part is numeric.
fn numeric_parts(
    name: &str,
    parts: &mut [Part],
    mode: Mode,
) -> Result<Option<Vec<Vec<f64>>>, DataError> {
    let mut parsed: Vec<Option<Vec<f64>>> = Vec::with_capacity(parts.len());
    for p in parts.iter() {
        let RawColumn::Text(s) = &p.column else {
            parsed.push(None);
            continue;
        };
        let mut v = Vec::with_capacity(s.len());
        for (row, cell) in s.iter().enumerate() {
            let x = match cell {
                None => f64::NAN,
                Some(t) => match parse_number(t) {
                    Some(x) => x,
                    None if mode == Mode::Numeric => {
                        return Err(DataError::NotANumber {
                            path: p.raw.path.clone(),
                            line: p.raw.line_of(row),
                            column: name.to_string(),
                            value: t.to_string(),
                        });
                    }
                    None => return Ok(None),
                },
            };
            v.push(x);
        }
        parsed.push(Some(v));
    }
    let nums = parts
        .iter_mut()
        .zip(parsed)
        .map(|(p, v)| match (v, &mut p.column) {
            (Some(v), _) => v,
            (None, RawColumn::Num(a)) => {
                Arc::try_unwrap(std::mem::take(a)).unwrap_or_else(|a| a.as_ref().clone())
            }
            (None, RawColumn::Text(_)) => unreachable!("text parts are parsed above"),
        })
        .collect();
    Ok(Some(nums))
}

/// The codes of a column in every file over one level list (in order of first appearance).
/// A CSV column that the reader kept as numbers is read again for its text.
fn categorical_parts(parts: &[Part]) -> Result<(Vec<String>, Vec<Vec<u32>>), DataError> {
    let mut levels: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut codes: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
    for p in parts {
        let mut c = Vec::with_capacity(p.raw.rows);
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
        let reread = match (&p.column, p.j) {
            (RawColumn::Num(_), Some(j)) => p.raw.text_column(j)?,
            _ => None,
        };
        match (&p.column, &reread) {
            (_, Some(s)) | (RawColumn::Text(s), None) => {
                c.extend(s.iter().map(|cell| cell.map_or(MISSING, &mut code_of)))
            }
            (RawColumn::Num(v), None) => c.extend(v.iter().map(|&x| {
                if x.is_nan() {
                    MISSING
                } else {
                    code_of(&format_number(x))
                }
            })),
        }
        codes.push(c);
    }
    Ok((levels, codes))
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
}
