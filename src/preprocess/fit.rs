//! Fitting a [`Pipeline`](super::Pipeline) step by step on the training rows: each step
//! computes its statistics from the data the earlier steps left, records a
//! [`FittedStep`] and applies it, so the next step sees what `transform` will produce.

use std::collections::BTreeMap;

use ndarray::Array2;

use super::{
    BalanceSpec, CleanSpec, EncodeSpec, FittedPipeline, FittedStep, FittedTrain, InputColumn,
    NonFinite, PcaSpec, PreprocessError, ScaleSpec, TransformStats, apply_matrix_step,
    apply_table_step, balance_indices, check_finite, ensure_matrix, fit_scale, median, pca,
    table_to_matrix, unique_rows,
};
use crate::data::table::{ColumnData, MISSING};
use crate::data::{Dataset, Table};

/// The training data as the steps fitted so far left it.
pub(super) struct FitState {
    table: Table,
    y: Vec<u32>,
    raw: Vec<String>,
    steps: Vec<FittedStep>,
    notes: Vec<String>,
    /// The numeric matrix and its column names, from the first matrix step on.
    matrix: Option<(Array2<f64>, Vec<String>)>,
}

impl FitState {
    pub(super) fn new(train: Dataset) -> Self {
        FitState {
            table: train.features,
            y: train.y,
            raw: train.raw_labels,
            steps: Vec::new(),
            notes: Vec::new(),
            matrix: None,
        }
    }

    /// Keep the table rows `keep` (in that order) with their labels.
    fn keep_rows(&mut self, keep: &[usize]) {
        self.table = self.table.take_rows(keep);
        self.y = keep.iter().map(|&i| self.y[i]).collect();
        self.raw = keep.iter().map(|&i| self.raw[i].clone()).collect();
    }

    pub(super) fn drop_columns(&mut self, names: &[String]) -> Result<(), PreprocessError> {
        let table = &self.table;
        if let Some(n) = names.iter().find(|n| table.position(n).is_none()) {
            let hint = crate::diag::did_you_mean(n, table.columns.iter().map(|c| c.name.as_str()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(PreprocessError::UnknownColumn {
                name: n.clone(),
                hint,
            });
        }
        self.table.columns.retain(|c| !names.contains(&c.name));
        self.steps.push(FittedStep::DropColumns(names.to_vec()));
        Ok(())
    }

    pub(super) fn clean(&mut self, c: &CleanSpec) -> Result<(), PreprocessError> {
        if c.non_finite == NonFinite::Drop {
            self.drop_non_finite_rows();
        }
        if c.drop_duplicates {
            self.drop_duplicate_rows();
        }
        if self.table.n_rows() == 0 {
            return Err(PreprocessError::NoRowsLeft("clean"));
        }
        let step = FittedStep::Impute(fit_impute(&self.table, c.non_finite));
        apply_table_step(&step, &mut self.table, &mut TransformStats::default())?;
        self.steps.push(step);
        Ok(())
    }

    /// Drop the rows with a non-finite value in any numeric column.
    fn drop_non_finite_rows(&mut self) {
        let table = &self.table;
        let keep: Vec<usize> = (0..table.n_rows())
            .filter(|&r| {
                table.columns.iter().all(|col| match &col.data {
                    ColumnData::Numeric(v) => v[r].is_finite(),
                    _ => true,
                })
            })
            .collect();
        if keep.len() < table.n_rows() {
            self.notes.push(format!(
                "clean: dropped {} training row(s) with non-finite values",
                table.n_rows() - keep.len()
            ));
        }
        self.keep_rows(&keep);
    }

    /// Keep the first of each group of identical (features, label) rows.
    fn drop_duplicate_rows(&mut self) {
        let keep = unique_rows(&self.table, &self.y);
        if keep.len() < self.table.n_rows() {
            self.notes.push(format!(
                "clean: dropped {} duplicate training row(s)",
                self.table.n_rows() - keep.len()
            ));
        }
        self.keep_rows(&keep);
    }

    pub(super) fn encode(&mut self, e: &EncodeSpec) -> Result<(), PreprocessError> {
        let mut levels = BTreeMap::new();
        let mut other = BTreeMap::new();
        for col in &self.table.columns {
            if let ColumnData::Categorical { codes, levels: lv } = &col.data {
                let (names, folded) = fit_levels(codes, lv, e.max_categories);
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
        apply_table_step(&step, &mut self.table, &mut TransformStats::default())?;
        self.steps.push(step);
        Ok(())
    }

    pub(super) fn scale(&mut self, s: &ScaleSpec) -> Result<(), PreprocessError> {
        ensure_matrix(&mut self.matrix, &mut self.table)?;
        let (x, _) = self.matrix.as_mut().expect("ensure_matrix filled it");
        let (center, scale) = fit_scale(x, s.method);
        let step = FittedStep::Scale { center, scale };
        apply_matrix_step(&step, x);
        self.steps.push(step);
        Ok(())
    }

    pub(super) fn pca(&mut self, p: &PcaSpec) -> Result<(), PreprocessError> {
        let (x, _) = ensure_matrix(&mut self.matrix, &mut self.table)?;
        let fitted = match (p.components, p.variance) {
            (Some(k), _) => pca::Pca::fit(x.view(), |_| k),
            (None, v) => {
                let v = v.unwrap_or(0.95);
                pca::Pca::fit(x.view(), |r| pca::components_for_variance(r, v))
            }
        };
        let k = fitted.components.len();
        let out = fitted.transform(x.view());
        self.notes.push(format!(
            "pca: kept {k} component(s), {:.1}% of the variance",
            fitted.explained_variance_ratio.iter().sum::<f64>() * 100.0
        ));
        self.matrix = Some((out, (1..=k).map(|i| format!("pc{i}")).collect()));
        self.steps.push(FittedStep::Pca(fitted));
        Ok(())
    }

    pub(super) fn balance(&mut self, b: &BalanceSpec, n_classes: usize, seed: u64) {
        let idx = balance_indices(&self.y, n_classes, b, seed);
        self.notes.push(format!(
            "balance: {} training rows -> {}",
            self.y.len(),
            idx.len()
        ));
        match &mut self.matrix {
            Some((x, _)) => *x = x.select(ndarray::Axis(0), &idx),
            None => self.table = self.table.take_rows(&idx),
        }
        self.y = idx.iter().map(|&i| self.y[i]).collect();
        self.raw = idx.iter().map(|&i| self.raw[i].clone()).collect();
    }

    /// The model's matrix (checked finite) and the fitted pipeline.
    pub(super) fn finish(
        mut self,
        input: Vec<InputColumn>,
    ) -> Result<FittedTrain, PreprocessError> {
        let (x, names) = match self.matrix {
            Some(m) => m,
            None => table_to_matrix(&mut self.table)?,
        };
        check_finite(&x, &names)?;
        Ok(FittedTrain {
            pipeline: FittedPipeline {
                input,
                steps: self.steps,
                output_names: names,
            },
            x,
            y: self.y,
            raw_labels: self.raw,
            notes: self.notes,
        })
    }
}

/// The replacement of non-finite cells for every numeric column of `table`.
fn fit_impute(table: &Table, non_finite: NonFinite) -> BTreeMap<String, f64> {
    let mut fill = BTreeMap::new();
    for col in &table.columns {
        if let ColumnData::Numeric(v) = &col.data {
            let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            let value = match non_finite {
                NonFinite::Zero => 0.0,
                NonFinite::Mean if !finite.is_empty() => {
                    finite.iter().sum::<f64>() / finite.len() as f64
                }
                _ => median(finite),
            };
            fill.insert(col.name.clone(), value);
        }
    }
    fill
}

/// The training levels of a categorical column, sorted (`""` stands for a missing cell),
/// and whether levels beyond the `max_categories` most frequent were folded into one.
fn fit_levels(codes: &[u32], lv: &[String], max_categories: Option<usize>) -> (Vec<String>, bool) {
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
    let folded = match max_categories {
        Some(m) if present.len() > m => {
            present.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            present.truncate(m);
            true
        }
        _ => false,
    };
    let mut names: Vec<String> = present.into_iter().map(|(l, _)| l).collect();
    names.sort();
    (names, folded)
}
