//! Preprocessing, fitted on training rows only.
//!
//! Leakage is impossible by construction: a [`FittedPipeline`] can only be made by
//! [`Pipeline::fit`] from a training [`Dataset`], and test or prediction data can only go
//! through [`FittedPipeline::transform`], which never looks at labels and never changes a
//! fitted statistic. The fitted pipeline is plain serialisable data and is saved with the
//! model, so `predict` applies exactly the same transformation.
//!
//! Steps on named columns (`drop_columns`, `clean`, `encode`) come first; after them every
//! column must be numeric, and the matrix steps (`scale`, `pca`) follow. `balance`
//! resamples training rows only.

pub mod pca;
pub mod spec;

use std::collections::{BTreeMap, HashMap, HashSet};

use anomalab_learn::Rng;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::table::{ColumnData, MISSING};
use crate::data::{Dataset, Table};
pub use spec::*;

#[derive(Debug, Error, PartialEq)]
pub enum PreprocessError {
    #[error("drop_columns: no column named `{name}`{hint}")]
    UnknownColumn { name: String, hint: String },
    #[error(
        "column `{column}` is categorical (e.g. value `{example}`) but the model needs numbers: add an `encode` step to `preprocessing` (e.g. `- encode: {{method: onehot}}`)"
    )]
    CategoricalNotEncoded { column: String, example: String },
    #[error(
        "column `{column}` has {count} non-finite value(s) ({kind}, first in data row {row}): add a `clean` step (e.g. `- clean: {{non_finite: median}}`) or drop the column"
    )]
    NonFinite {
        column: String,
        count: usize,
        kind: String,
        row: usize,
    },
    #[error(
        "column `{column}`: category `{value}` (data row {row}) was not seen in training, and `encode.unseen` is `error`"
    )]
    UnseenCategory {
        column: String,
        value: String,
        row: usize,
    },
    #[error("the input has no column `{0}`, which the model was trained with")]
    MissingColumn(String),
    #[error("column `{column}` is {found} here but was {expected} in training")]
    ColumnKind {
        column: String,
        found: &'static str,
        expected: &'static str,
    },
    #[error("step {index} (`{step}`) must come before the matrix steps (scale, pca): {reason}")]
    Order {
        index: usize,
        step: &'static str,
        reason: &'static str,
    },
    #[error("no training rows are left after `{0}`")]
    NoRowsLeft(&'static str),
}

/// An unfitted pipeline: the steps of the spec.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    pub steps: Vec<StepSpec>,
}

/// A fitted step: only statistics from the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FittedStep {
    DropColumns(Vec<String>),
    /// Replacement value for non-finite cells of each numeric column.
    Impute(BTreeMap<String, f64>),
    /// Levels of each categorical column, in output order.
    Encode {
        method: EncodeMethod,
        unseen: Unseen,
        levels: BTreeMap<String, Vec<String>>,
        /// Columns whose rarest levels were folded into `__other__`.
        other: BTreeMap<String, bool>,
    },
    /// `(x - center) / scale` per output column.
    Scale {
        center: Vec<f64>,
        scale: Vec<f64>,
    },
    Pca(pca::Pca),
}

/// What a column of the input must look like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub categorical: bool,
}

/// A pipeline fitted on training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    pub input: Vec<InputColumn>,
    pub steps: Vec<FittedStep>,
    /// Names of the model's feature columns (after encoding and PCA).
    pub output_names: Vec<String>,
}

/// Counters from transforming data (reported as warnings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransformStats {
    pub unseen_categories: BTreeMap<String, usize>,
    pub imputed_cells: usize,
}

/// The training data after fitting: features, labels and what was done to the rows.
pub struct FittedTrain {
    pub pipeline: FittedPipeline,
    pub x: Array2<f64>,
    pub y: Vec<u32>,
    pub raw_labels: Vec<String>,
    pub notes: Vec<String>,
}

const OTHER: &str = "__other__";

impl Pipeline {
    pub fn new(steps: Vec<StepSpec>) -> Self {
        Pipeline { steps }
    }

    /// Fit every step on `train` (and only on it) and return the transformed training data.
    pub fn fit(&self, train: &Dataset, seed: u64) -> Result<FittedTrain, PreprocessError> {
        let mut seen_matrix = false;
        for (i, s) in self.steps.iter().enumerate() {
            if matches!(s, StepSpec::Scale(_) | StepSpec::Pca(_)) {
                seen_matrix = true;
            } else if s.is_table_step() && seen_matrix {
                return Err(PreprocessError::Order {
                    index: i,
                    step: s.name(),
                    reason: "it works on named columns",
                });
            }
        }
        let input = train
            .features
            .columns
            .iter()
            .map(|c| InputColumn {
                name: c.name.clone(),
                categorical: matches!(c.data, ColumnData::Categorical { .. }),
            })
            .collect();
        let mut table = train.features.clone();
        let mut y = train.y.clone();
        let mut raw = train.raw_labels.clone();
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        let mut matrix: Option<(Array2<f64>, Vec<String>)> = None;

        for spec in &self.steps {
            match spec {
                StepSpec::DropColumns(names) => {
                    for n in names {
                        if table.position(n).is_none() {
                            let hint = crate::diag::did_you_mean(
                                n,
                                table.columns.iter().map(|c| c.name.as_str()),
                            )
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                            return Err(PreprocessError::UnknownColumn {
                                name: n.clone(),
                                hint,
                            });
                        }
                    }
                    table.columns.retain(|c| !names.contains(&c.name));
                    steps.push(FittedStep::DropColumns(names.clone()));
                }
                StepSpec::Clean(c) => {
                    let keep = if c.non_finite == NonFinite::Drop {
                        let keep: Vec<usize> = (0..table.n_rows())
                            .filter(|&r| {
                                table.columns.iter().all(|col| match &col.data {
                                    ColumnData::Numeric(v) => v[r].is_finite(),
                                    _ => true,
                                })
                            })
                            .collect();
                        if keep.len() < table.n_rows() {
                            notes.push(format!(
                                "clean: dropped {} training row(s) with non-finite values",
                                table.n_rows() - keep.len()
                            ));
                        }
                        Some(keep)
                    } else {
                        None
                    };
                    if let Some(keep) = keep {
                        table = table.take_rows(&keep);
                        y = keep.iter().map(|&i| y[i]).collect();
                        raw = keep.iter().map(|&i| raw[i].clone()).collect();
                    }
                    if c.drop_duplicates {
                        let keep = unique_rows(&table, &y);
                        if keep.len() < table.n_rows() {
                            notes.push(format!(
                                "clean: dropped {} duplicate training row(s)",
                                table.n_rows() - keep.len()
                            ));
                        }
                        table = table.take_rows(&keep);
                        y = keep.iter().map(|&i| y[i]).collect();
                        raw = keep.iter().map(|&i| raw[i].clone()).collect();
                    }
                    if table.n_rows() == 0 {
                        return Err(PreprocessError::NoRowsLeft("clean"));
                    }
                    let mut fill = BTreeMap::new();
                    for col in &table.columns {
                        if let ColumnData::Numeric(v) = &col.data {
                            let finite: Vec<f64> =
                                v.iter().copied().filter(|x| x.is_finite()).collect();
                            let value = match c.non_finite {
                                NonFinite::Zero => 0.0,
                                NonFinite::Mean if !finite.is_empty() => {
                                    finite.iter().sum::<f64>() / finite.len() as f64
                                }
                                _ => median(finite),
                            };
                            fill.insert(col.name.clone(), value);
                        }
                    }
                    let step = FittedStep::Impute(fill);
                    apply_table_step(&step, &mut table, &mut TransformStats::default())?;
                    steps.push(step);
                }
                StepSpec::Encode(e) => {
                    let mut levels = BTreeMap::new();
                    let mut other = BTreeMap::new();
                    for col in &table.columns {
                        if let ColumnData::Categorical { codes, levels: lv } = &col.data {
                            let mut counts = vec![0usize; lv.len()];
                            let mut missing = 0usize;
                            for &c in codes {
                                if c == MISSING {
                                    missing += 1;
                                } else {
                                    counts[c as usize] += 1;
                                }
                            }
                            let mut present: Vec<(String, usize)> = lv
                                .iter()
                                .zip(&counts)
                                .filter(|(_, n)| **n > 0)
                                .map(|(l, n)| (l.clone(), *n))
                                .collect();
                            if missing > 0 {
                                present.push((String::new(), missing));
                            }
                            let folded = match e.max_categories {
                                Some(m) if present.len() > m => {
                                    present.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                                    present.truncate(m);
                                    true
                                }
                                _ => false,
                            };
                            let mut names: Vec<String> =
                                present.into_iter().map(|(l, _)| l).collect();
                            names.sort();
                            levels.insert(col.name.clone(), names);
                            other.insert(col.name.clone(), folded);
                        }
                    }
                    let step = FittedStep::Encode {
                        method: e.method,
                        unseen: e.unseen,
                        levels,
                        other,
                    };
                    apply_table_step(&step, &mut table, &mut TransformStats::default())?;
                    steps.push(step);
                }
                StepSpec::Scale(s) => {
                    ensure_matrix(&mut matrix, &table)?;
                    let (x, _) = matrix.as_mut().expect("ensure_matrix filled it");
                    let (center, scale) = fit_scale(x, s.method);
                    let step = FittedStep::Scale { center, scale };
                    apply_matrix_step(&step, x);
                    steps.push(step);
                }
                StepSpec::Pca(p) => {
                    let (x, _) = ensure_matrix(&mut matrix, &table)?;
                    let fitted = match (p.components, p.variance) {
                        (Some(k), _) => pca::Pca::fit(x.view(), |_| k),
                        (None, v) => {
                            let v = v.unwrap_or(0.95);
                            pca::Pca::fit(x.view(), |r| pca::components_for_variance(r, v))
                        }
                    };
                    let k = fitted.components.len();
                    let out = fitted.transform(x.view());
                    notes.push(format!(
                        "pca: kept {k} component(s), {:.1}% of the variance",
                        fitted.explained_variance_ratio.iter().sum::<f64>() * 100.0
                    ));
                    matrix = Some((out, (1..=k).map(|i| format!("pc{i}")).collect()));
                    steps.push(FittedStep::Pca(fitted));
                }
                StepSpec::Balance(b) => {
                    let n_classes = train.class_names.len();
                    let idx = balance_indices(&y, n_classes, b, seed);
                    notes.push(format!(
                        "balance: {} training rows -> {}",
                        y.len(),
                        idx.len()
                    ));
                    match &mut matrix {
                        Some((x, _)) => *x = x.select(ndarray::Axis(0), &idx),
                        None => table = table.take_rows(&idx),
                    }
                    y = idx.iter().map(|&i| y[i]).collect();
                    raw = idx.iter().map(|&i| raw[i].clone()).collect();
                }
            }
        }
        let (x, names) = match matrix {
            Some(m) => m,
            None => {
                let (x, names) = table_to_matrix(&table)?;
                (x, names)
            }
        };
        check_finite(&x, &names)?;
        Ok(FittedTrain {
            pipeline: FittedPipeline {
                input,
                steps,
                output_names: names,
            },
            x,
            y,
            raw_labels: raw,
            notes,
        })
    }
}

impl FittedPipeline {
    /// Transform new data exactly as the training data was (no statistic is refitted).
    /// Columns are matched by name; extra columns are ignored here (the `predict` command
    /// checks them before) and a missing one is an error.
    pub fn transform(
        &self,
        features: &Table,
    ) -> Result<(Array2<f64>, TransformStats), PreprocessError> {
        let mut table = Table::default();
        for col in &self.input {
            let c = features
                .column(&col.name)
                .ok_or_else(|| PreprocessError::MissingColumn(col.name.clone()))?;
            let is_cat = matches!(c.data, ColumnData::Categorical { .. });
            let data = match (col.categorical, is_cat, &c.data) {
                (a, b, _) if a == b => c.data.clone(),
                // A numeric-looking column in a small file that was categorical in training.
                (true, false, ColumnData::Numeric(v)) => numeric_as_categorical(v),
                _ => {
                    return Err(PreprocessError::ColumnKind {
                        column: col.name.clone(),
                        found: if is_cat { "text" } else { "numeric" },
                        expected: if col.categorical { "text" } else { "numeric" },
                    });
                }
            };
            table.columns.push(crate::data::Column {
                name: col.name.clone(),
                data,
            });
        }
        let mut stats = TransformStats::default();
        let mut matrix: Option<Array2<f64>> = None;
        for step in &self.steps {
            match step {
                FittedStep::DropColumns(_) | FittedStep::Impute(_) | FittedStep::Encode { .. } => {
                    apply_table_step(step, &mut table, &mut stats)?;
                }
                FittedStep::Scale { .. } => {
                    if matrix.is_none() {
                        matrix = Some(table_to_matrix(&table)?.0);
                    }
                    apply_matrix_step(step, matrix.as_mut().expect("set above"));
                }
                FittedStep::Pca(p) => {
                    let x = match matrix.take() {
                        Some(x) => x,
                        None => table_to_matrix(&table)?.0,
                    };
                    matrix = Some(p.transform(x.view()));
                }
            }
        }
        let x = match matrix {
            Some(x) => x,
            None => table_to_matrix(&table)?.0,
        };
        check_finite(&x, &self.output_names)?;
        Ok((x, stats))
    }
}

fn numeric_as_categorical(v: &[f64]) -> ColumnData {
    let mut levels: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let codes = v
        .iter()
        .map(|x| {
            if x.is_nan() {
                return MISSING;
            }
            let s = format!("{x}");
            *index.entry(s.clone()).or_insert_with(|| {
                levels.push(s);
                (levels.len() - 1) as u32
            })
        })
        .collect();
    ColumnData::Categorical { codes, levels }
}

fn ensure_matrix<'a>(
    matrix: &'a mut Option<(Array2<f64>, Vec<String>)>,
    table: &Table,
) -> Result<(&'a Array2<f64>, &'a Vec<String>), PreprocessError> {
    if matrix.is_none() {
        *matrix = Some(table_to_matrix(table)?);
    }
    let (x, n) = matrix.as_ref().expect("filled above");
    Ok((x, n))
}

fn apply_table_step(
    step: &FittedStep,
    table: &mut Table,
    stats: &mut TransformStats,
) -> Result<(), PreprocessError> {
    match step {
        FittedStep::DropColumns(names) => table.columns.retain(|c| !names.contains(&c.name)),
        FittedStep::Impute(fill) => {
            for col in &mut table.columns {
                if let (ColumnData::Numeric(v), Some(&f)) = (&mut col.data, fill.get(&col.name)) {
                    for x in v.iter_mut() {
                        if !x.is_finite() {
                            *x = f;
                            stats.imputed_cells += 1;
                        }
                    }
                }
            }
        }
        FittedStep::Encode {
            method,
            unseen,
            levels,
            other,
        } => {
            let mut out = Vec::with_capacity(table.columns.len());
            for col in std::mem::take(&mut table.columns) {
                let (codes, lv) = match &col.data {
                    ColumnData::Categorical { codes, levels } => (codes, levels),
                    ColumnData::Numeric(_) => {
                        out.push(col);
                        continue;
                    }
                };
                let Some(train_levels) = levels.get(&col.name) else {
                    out.push(col);
                    continue;
                };
                let folded = other.get(&col.name).copied().unwrap_or(false);
                let pos: HashMap<&str, usize> = train_levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.as_str(), i))
                    .collect();
                // Map this table's codes to training positions once.
                let map: Vec<Option<usize>> =
                    lv.iter().map(|l| pos.get(l.as_str()).copied()).collect();
                let missing_pos = pos.get("").copied();
                let lookup = |row: usize,
                              c: u32,
                              stats: &mut TransformStats|
                 -> Result<Option<usize>, PreprocessError> {
                    let p = if c == MISSING {
                        missing_pos
                    } else {
                        map[c as usize]
                    };
                    if p.is_none() && !folded {
                        let value = if c == MISSING {
                            String::new()
                        } else {
                            lv[c as usize].clone()
                        };
                        if *unseen == Unseen::Error {
                            return Err(PreprocessError::UnseenCategory {
                                column: col.name.clone(),
                                value,
                                row: row + 1,
                            });
                        }
                        *stats.unseen_categories.entry(col.name.clone()).or_default() += 1;
                    }
                    Ok(p)
                };
                match method {
                    EncodeMethod::Ordinal => {
                        let mut v = Vec::with_capacity(codes.len());
                        for (row, &c) in codes.iter().enumerate() {
                            let p = lookup(row, c, stats)?;
                            v.push(match p {
                                Some(p) => p as f64,
                                None if folded => train_levels.len() as f64,
                                None => -1.0,
                            });
                        }
                        out.push(crate::data::Column {
                            name: col.name.clone(),
                            data: ColumnData::Numeric(v),
                        });
                    }
                    EncodeMethod::Onehot => {
                        let width = train_levels.len() + usize::from(folded);
                        let mut cols = vec![vec![0.0; codes.len()]; width];
                        for (row, &c) in codes.iter().enumerate() {
                            match lookup(row, c, stats)? {
                                Some(p) => cols[p][row] = 1.0,
                                None if folded => cols[width - 1][row] = 1.0,
                                None => {}
                            }
                        }
                        let mut names: Vec<String> = train_levels
                            .iter()
                            .map(|l| {
                                format!(
                                    "{}={}",
                                    col.name,
                                    if l.is_empty() { "<missing>" } else { l }
                                )
                            })
                            .collect();
                        if folded {
                            names.push(format!("{}={OTHER}", col.name));
                        }
                        for (name, v) in names.into_iter().zip(cols) {
                            out.push(crate::data::Column {
                                name,
                                data: ColumnData::Numeric(v),
                            });
                        }
                    }
                }
            }
            table.columns = out;
        }
        FittedStep::Scale { .. } | FittedStep::Pca(_) => {
            unreachable!("matrix steps are applied to matrices")
        }
    }
    Ok(())
}

fn apply_matrix_step(step: &FittedStep, x: &mut Array2<f64>) {
    if let FittedStep::Scale { center, scale } = step {
        for mut row in x.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (*v - center[j]) / scale[j];
            }
        }
    }
}

fn fit_scale(x: &Array2<f64>, method: ScaleMethod) -> (Vec<f64>, Vec<f64>) {
    let mut center = Vec::with_capacity(x.ncols());
    let mut scale = Vec::with_capacity(x.ncols());
    for col in x.columns() {
        let n = col.len().max(1) as f64;
        let (c, s) = match method {
            ScaleMethod::Standard => {
                let mean = col.sum() / n;
                let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                (mean, var.sqrt())
            }
            ScaleMethod::Minmax => {
                let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo, hi - lo)
            }
            ScaleMethod::Robust => {
                let mut v = col.to_vec();
                v.sort_by(f64::total_cmp);
                (quantile(&v, 0.5), quantile(&v, 0.75) - quantile(&v, 0.25))
            }
        };
        // Constant columns are left centred, not divided by zero (scikit-learn does the same).
        center.push(c);
        scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
    }
    (center, scale)
}

/// Linear-interpolated quantile of sorted values (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(&v, 0.5)
}

fn table_to_matrix(table: &Table) -> Result<(Array2<f64>, Vec<String>), PreprocessError> {
    let n = table.n_rows();
    let d = table.n_cols();
    let mut x = Array2::zeros((n, d));
    for (j, col) in table.columns.iter().enumerate() {
        match &col.data {
            ColumnData::Numeric(v) => {
                for (i, &val) in v.iter().enumerate() {
                    x[[i, j]] = val;
                }
            }
            ColumnData::Categorical { codes, levels } => {
                let example = codes
                    .iter()
                    .find(|&&c| c != MISSING)
                    .map(|&c| levels[c as usize].clone())
                    .unwrap_or_default();
                return Err(PreprocessError::CategoricalNotEncoded {
                    column: col.name.clone(),
                    example,
                });
            }
        }
    }
    Ok((x, table.names()))
}

fn check_finite(x: &Array2<f64>, names: &[String]) -> Result<(), PreprocessError> {
    for (j, col) in x.columns().into_iter().enumerate() {
        let mut count = 0;
        let mut first = None;
        let mut kind = "";
        for (i, v) in col.iter().enumerate() {
            if !v.is_finite() {
                count += 1;
                if first.is_none() {
                    first = Some(i);
                    kind = if v.is_nan() { "NaN" } else { "Infinity" };
                }
            }
        }
        if let Some(row) = first {
            return Err(PreprocessError::NonFinite {
                column: names.get(j).cloned().unwrap_or_default(),
                count,
                kind: kind.to_string(),
                row: row + 1,
            });
        }
    }
    Ok(())
}

/// First occurrence of each distinct (features, label) row, in order.
fn unique_rows(table: &Table, y: &[u32]) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut keep = Vec::new();
    for r in 0..table.n_rows() {
        let mut key: Vec<u64> = Vec::with_capacity(table.n_cols() + 1);
        for col in &table.columns {
            key.push(match &col.data {
                ColumnData::Numeric(v) => {
                    let x = v[r];
                    // -0.0 and 0.0 are the same value; all NaNs are alike.
                    if x == 0.0 {
                        0
                    } else if x.is_nan() {
                        u64::MAX
                    } else {
                        x.to_bits()
                    }
                }
                ColumnData::Categorical { codes, .. } => codes[r] as u64,
            });
        }
        key.push(y[r] as u64);
        if seen.insert(key) {
            keep.push(r);
        }
    }
    keep
}

fn balance_indices(y: &[u32], n_classes: usize, spec: &BalanceSpec, seed: u64) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c as usize].push(i);
    }
    let mut rng = Rng::new(anomalab_learn::rng::derive_seed(seed, 0xBA1A));
    let present: Vec<usize> = by_class.iter().map(Vec::len).filter(|&n| n > 0).collect();
    let smallest = present.iter().copied().min().unwrap_or(0);
    let largest = present.iter().copied().max().unwrap_or(0);
    let mut out = Vec::new();
    for rows in &by_class {
        if rows.is_empty() {
            continue;
        }
        match spec.method {
            BalanceMethod::Undersample => {
                let cap = ((smallest as f64) * spec.ratio).round() as usize;
                let mut pick = rng.sample_indices(rows.len(), cap.min(rows.len()));
                pick.sort_unstable();
                out.extend(pick.into_iter().map(|i| rows[i]));
            }
            BalanceMethod::Oversample => {
                out.extend(rows.iter().copied());
                for _ in rows.len()..largest {
                    out.push(rows[rng.below(rows.len())]);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests;
