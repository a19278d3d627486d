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

mod encode;
mod fit;
mod pages;
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
        self.fit_owned(train.clone(), seed)
    }

    /// [`Pipeline::fit`] on a table the caller no longer needs: the steps work on it in
    /// place instead of on a copy (a fold's training table is as large as the data).
    pub fn fit_owned(&self, train: Dataset, seed: u64) -> Result<FittedTrain, PreprocessError> {
        self.check_order()?;
        let input = train
            .features
            .columns
            .iter()
            .map(|c| InputColumn {
                name: c.name.clone(),
                categorical: matches!(c.data, ColumnData::Categorical { .. }),
            })
            .collect();
        let n_classes = train.class_names.len();
        let mut state = fit::FitState::new(train);
        for spec in &self.steps {
            match spec {
                StepSpec::DropColumns(names) => state.drop_columns(names)?,
                StepSpec::Clean(c) => state.clean(c)?,
                StepSpec::Encode(e) => state.encode(e)?,
                StepSpec::Scale(s) => state.scale(s)?,
                StepSpec::Pca(p) => state.pca(p)?,
                StepSpec::Balance(b) => state.balance(b, n_classes, seed),
            }
        }
        state.finish(input)
    }

    /// Table steps work on named columns, which the matrix steps (scale, pca) do not keep.
    fn check_order(&self) -> Result<(), PreprocessError> {
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
        Ok(())
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
        let mut picked = Table::default();
        for (i, col) in self.input.iter().enumerate() {
            let c = &features.columns[input_position(features, i, &col.name)?];
            picked.columns.push(c.clone());
        }
        self.transform_owned(picked)
    }

    /// [`transform`](Self::transform) on a table that is taken: its columns are moved
    /// and freed as the steps go, not copied.
    pub fn transform_owned(
        &self,
        mut features: Table,
    ) -> Result<(Array2<f64>, TransformStats), PreprocessError> {
        let mut table = Table::default();
        for (i, col) in self.input.iter().enumerate() {
            let pos = input_position(&features, i, &col.name)?;
            let c = &mut features.columns[pos];
            let is_cat = matches!(c.data, ColumnData::Categorical { .. });
            let data = match (col.categorical, is_cat, &c.data) {
                (a, b, _) if a == b => c.data.take_all(),
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
        drop(features);
        let mut stats = TransformStats::default();
        let mut matrix: Option<Array2<f64>> = None;
        for step in &self.steps {
            match step {
                FittedStep::DropColumns(_) | FittedStep::Impute(_) | FittedStep::Encode { .. } => {
                    apply_table_step(step, &mut table, &mut stats)?;
                }
                FittedStep::Scale { .. } => {
                    if matrix.is_none() {
                        matrix = Some(table_to_matrix(&mut table)?.0);
                    }
                    apply_matrix_step(step, matrix.as_mut().expect("set above"));
                }
                FittedStep::Pca(p) => {
                    let x = match matrix.take() {
                        Some(x) => x,
                        None => table_to_matrix(&mut table)?.0,
                    };
                    matrix = Some(p.transform(x.view()));
                }
            }
        }
        let x = match matrix {
            Some(x) => x,
            None => table_to_matrix(&mut table)?.0,
        };
        check_finite(&x, &self.output_names)?;
        Ok((x, stats))
    }
}

/// Where input column `i` (called `name`) is in `features`: at `i` when the caller passed
/// the model's order (no name search), else found by name.
fn input_position(features: &Table, i: usize, name: &str) -> Result<usize, PreprocessError> {
    match features.columns.get(i) {
        Some(c) if c.name == name => Ok(i),
        _ => features
            .position(name)
            .ok_or_else(|| PreprocessError::MissingColumn(name.to_string())),
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
    table: &mut Table,
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
        FittedStep::Impute(fill) => impute(table, fill, stats),
        FittedStep::Encode {
            method,
            unseen,
            levels,
            other,
        } => encode::apply(table, *method, *unseen, levels, other, stats)?,
        FittedStep::Scale { .. } | FittedStep::Pca(_) => {
            unreachable!("matrix steps are applied to matrices")
        }
    }
    Ok(())
}

/// Replace the non-finite cells of each numeric column by its fitted value.
fn impute(table: &mut Table, fill: &BTreeMap<String, f64>, stats: &mut TransformStats) {
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
                let iqr = quantile_or_zero(&v, 0.75) - quantile_or_zero(&v, 0.25);
                (quantile_or_zero(&v, 0.5), iqr)
            }
        };
        // Constant columns are left centred, not divided by zero (scikit-learn does the same).
        center.push(c);
        scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
    }
    (center, scale)
}

use anomalab_learn::stats::quantile;

/// [`quantile`] (numpy's linear interpolation), but 0 for a column with no (finite) value: imputing or centring such a
/// column at zero keeps the pipeline usable instead of filling it with NaN.
fn quantile_or_zero(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        0.0
    } else {
        quantile(sorted, q)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile_or_zero(&v, 0.5)
}

/// Rows of the matrix filled before the table's copied cells are given back.
const MATRIX_BLOCK_ROWS: usize = 1 << 15;

/// The table's numeric columns as a matrix. Each column is taken (left empty) once
/// copied, so that its memory goes back while the matrix fills: the table is spent.
fn table_to_matrix(table: &mut Table) -> Result<(Array2<f64>, Vec<String>), PreprocessError> {
    let n = table.n_rows();
    let d = table.n_cols();
    let names = table.names();
    if let Some(col) = table
        .columns
        .iter()
        .find(|c| matches!(c.data, ColumnData::Categorical { .. }))
    {
        return Err(not_encoded(col));
    }
    let mut columns: Vec<Vec<f64>> = table
        .columns
        .iter_mut()
        .filter_map(|c| match c.data.take_all() {
            ColumnData::Numeric(v) => Some(v),
            ColumnData::Categorical { .. } => None,
        })
        .collect();
    // A block of rows at a time, each column's copied rows given back at once: the
    // matrix's pages are written row by row, so the columns shrink as it grows.
    let mut x = Array2::zeros((n, d));
    for r0 in (0..n).step_by(MATRIX_BLOCK_ROWS) {
        let r1 = (r0 + MATRIX_BLOCK_ROWS).min(n);
        for (j, v) in columns.iter_mut().enumerate() {
            for i in r0..r1 {
                x[[i, j]] = v[i];
            }
            pages::release(&mut v[..r1]);
        }
    }
    Ok((x, names))
}

/// The error for a categorical column that reached the matrix without an `encode` step.
fn not_encoded(col: &crate::data::Column) -> PreprocessError {
    let example = match &col.data {
        ColumnData::Categorical { codes, levels } => codes
            .iter()
            .find(|&&c| c != MISSING)
            .map(|&c| levels[c as usize].clone())
            .unwrap_or_default(),
        ColumnData::Numeric(_) => String::new(),
    };
    PreprocessError::CategoricalNotEncoded {
        column: col.name.clone(),
        example,
    }
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
