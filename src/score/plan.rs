//! Which input column feeds which model column.
//!
//! An input must have exactly the columns the model was trained with (any order). Missing
//! columns and unexpected extra columns are both refused, naming each one, because a
//! silently ignored or misnamed column is how wrong predictions reach production. The
//! model's non-feature columns (the training label, identifiers) are ignored; other
//! extras only when the caller names them.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::data::Table;

/// How the columns of one input map onto a model's input columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlan {
    /// For each model input column, in the model's order: its index in the input.
    pub positions: Vec<usize>,
    /// Input columns that are present but not used (in input order).
    pub ignored: Vec<String>,
}

/// The input's columns differ from the model's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMismatch {
    /// How many input columns the model has.
    pub expected: usize,
    /// Model columns the input lacks (in the model's order).
    pub missing: Vec<String>,
    /// Input columns the model does not know and nobody asked to ignore (in input order).
    pub extra: Vec<String>,
}

impl ColumnPlan {
    /// Match `input` column names against `model` column names. `skip` lists the columns
    /// that may be present and are ignored (the model's non-feature columns plus the
    /// caller's `--ignore` list).
    pub fn new(model: &[&str], input: &[&str], skip: &[&str]) -> Result<Self, ColumnMismatch> {
        // By name, not by scanning: a flow model has 78 columns, matched per request.
        let mut at: HashMap<&str, usize> = HashMap::with_capacity(input.len());
        for (i, c) in input.iter().enumerate() {
            // The first of a repeated name.
            at.entry(*c).or_insert(i);
        }
        let known: HashSet<&str> = model.iter().copied().collect();
        let missing: Vec<String> = model
            .iter()
            .filter(|m| !at.contains_key(*m))
            .map(|m| m.to_string())
            .collect();
        let (mut ignored, mut extra) = (Vec::new(), Vec::new());
        for name in input.iter().filter(|c| !known.contains(*c)) {
            if skip.contains(name) {
                ignored.push(name.to_string());
            } else {
                extra.push(name.to_string());
            }
        }
        if !missing.is_empty() || !extra.is_empty() {
            return Err(ColumnMismatch {
                expected: model.len(),
                missing,
                extra,
            });
        }
        let positions = model.iter().map(|m| at[*m]).collect();
        Ok(ColumnPlan { positions, ignored })
    }

    /// The model's columns of `table`, in the model's order (the table must have the
    /// column names this plan was made from).
    pub fn select(&self, table: &Table) -> Table {
        Table {
            columns: self
                .positions
                .iter()
                .map(|&i| table.columns[i].clone())
                .collect(),
        }
    }
}

/// `` `a`, `b` `` (names in backticks, the way errors quote columns).
pub fn quote_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`quote_names`] of the first five names, then how many more there are.
pub fn quote_names_short(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut out = quote_names(&names[..names.len().min(SHOWN)]);
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

impl fmt::Display for ColumnMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            write!(f, "\n  missing: {}", quote_names(&self.missing))?;
        }
        if !self.extra.is_empty() {
            write!(f, "\n  unexpected: {}", quote_names(&self.extra))?;
            write!(
                f,
                "\n  = help: pass --ignore COLUMN for each extra column that should be ignored"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, ColumnData};

    const MODEL: [&str; 3] = ["a", "b", "c"];

    /// A numeric table from rows (column names in `names`' order).
    fn numeric_table(names: &[String], rows: &[Vec<f64>]) -> Table {
        let columns = names
            .iter()
            .enumerate()
            .map(|(j, name)| Column {
                name: name.clone(),
                data: crate::data::ColumnData::Numeric(rows.iter().map(|r| r[j]).collect()),
            })
            .collect();
        Table { columns }
    }

    #[test]
    fn reordered_columns_map_to_the_model_order() {
        let plan = ColumnPlan::new(&MODEL, &["c", "a", "b"], &[]).unwrap();
        assert_eq!(plan.positions, vec![1, 2, 0]);
        assert!(plan.ignored.is_empty());
        let t = numeric_table(
            &["c".into(), "a".into(), "b".into()],
            &[vec![30.0, 10.0, 20.0]],
        );
        let selected = plan.select(&t);
        assert_eq!(selected.names(), vec!["a", "b", "c"]);
        let values: Vec<&ColumnData> = selected.columns.iter().map(|c| &c.data).collect();
        assert_eq!(
            values,
            [10.0, 20.0, 30.0]
                .map(|x| ColumnData::Numeric(vec![x]))
                .iter()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn missing_and_extra_columns_are_named() {
        let e = ColumnPlan::new(&MODEL, &["x", "b", "y"], &[]).unwrap_err();
        assert_eq!(e.expected, 3);
        assert_eq!(e.missing, vec!["a", "c"]);
        assert_eq!(e.extra, vec!["x", "y"]);
        assert_eq!(
            e.to_string(),
            "\n  missing: `a`, `c`\n  unexpected: `x`, `y`\n  = help: pass --ignore COLUMN for each extra column that should be ignored"
        );
    }

    #[test]
    fn skipped_columns_are_ignored_not_extra() {
        let plan =
            ColumnPlan::new(&MODEL, &["label", "a", "b", "c", "id"], &["id", "label"]).unwrap();
        assert_eq!(plan.positions, vec![1, 2, 3]);
        assert_eq!(plan.ignored, vec!["label", "id"]);
        let e = ColumnPlan::new(&MODEL, &["a", "b", "c", "id"], &["label"]).unwrap_err();
        assert!(e.missing.is_empty());
        assert_eq!(e.extra, vec!["id"]);
    }
}
