//! Applying a fitted `encode` step: categorical columns become ordinal codes or one-hot
//! columns over the training levels.

use std::collections::{BTreeMap, HashMap};

use super::{EncodeMethod, OTHER, PreprocessError, TransformStats, Unseen};
use crate::data::table::{ColumnData, MISSING};
use crate::data::{Column, Table};

/// Encode every categorical column of `table` that has training `levels`; other columns
/// pass through in place.
pub(super) fn apply(
    table: &mut Table,
    method: EncodeMethod,
    unseen: Unseen,
    levels: &BTreeMap<String, Vec<String>>,
    other: &BTreeMap<String, bool>,
    stats: &mut TransformStats,
) -> Result<(), PreprocessError> {
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
        let lookup = Lookup::new(&col.name, lv, train_levels, folded, unseen);
        match method {
            EncodeMethod::Ordinal => out.push(ordinal(&lookup, codes, stats)?),
            EncodeMethod::Onehot => out.extend(onehot(&lookup, codes, stats)?),
        }
    }
    table.columns = out;
    Ok(())
}

/// This table's level codes of one column mapped to the training levels' positions.
struct Lookup<'a> {
    column: &'a str,
    /// This table's levels.
    levels: &'a [String],
    train_levels: &'a [String],
    /// Training position of each of this table's levels.
    map: Vec<Option<usize>>,
    /// Training position of the missing level (`""`), if training had missing cells.
    missing_pos: Option<usize>,
    /// Unknown levels go to the `__other__` level instead of being unseen.
    folded: bool,
    unseen: Unseen,
}

impl<'a> Lookup<'a> {
    fn new(
        column: &'a str,
        levels: &'a [String],
        train_levels: &'a [String],
        folded: bool,
        unseen: Unseen,
    ) -> Self {
        let pos: HashMap<&str, usize> = train_levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        Lookup {
            column,
            levels,
            train_levels,
            map: levels
                .iter()
                .map(|l| pos.get(l.as_str()).copied())
                .collect(),
            missing_pos: pos.get("").copied(),
            folded,
            unseen,
        }
    }

    /// Training position of code `c` at data row `row` (0-based); `None` when it is
    /// unknown, which is counted (or an error with `unseen: error`) unless folded.
    fn position(
        &self,
        row: usize,
        c: u32,
        stats: &mut TransformStats,
    ) -> Result<Option<usize>, PreprocessError> {
        let p = if c == MISSING {
            self.missing_pos
        } else {
            self.map[c as usize]
        };
        if p.is_none() && !self.folded {
            let value = if c == MISSING {
                String::new()
            } else {
                self.levels[c as usize].clone()
            };
            if self.unseen == Unseen::Error {
                return Err(PreprocessError::UnseenCategory {
                    column: self.column.to_string(),
                    value,
                    row: row + 1,
                });
            }
            *stats
                .unseen_categories
                .entry(self.column.to_string())
                .or_default() += 1;
        }
        Ok(p)
    }
}

/// One column of training positions; unknown levels are `-1`, or one past the last
/// position when folded.
fn ordinal(
    lookup: &Lookup,
    codes: &[u32],
    stats: &mut TransformStats,
) -> Result<Column, PreprocessError> {
    let mut v = Vec::with_capacity(codes.len());
    for (row, &c) in codes.iter().enumerate() {
        v.push(match lookup.position(row, c, stats)? {
            Some(p) => p as f64,
            None if lookup.folded => lookup.train_levels.len() as f64,
            None => -1.0,
        });
    }
    Ok(Column {
        name: lookup.column.to_string(),
        data: ColumnData::Numeric(v),
    })
}

/// One 0/1 column per training level (`name=level`), plus `name=__other__` when folded;
/// an unknown level sets no column (or the `__other__` one).
fn onehot(
    lookup: &Lookup,
    codes: &[u32],
    stats: &mut TransformStats,
) -> Result<Vec<Column>, PreprocessError> {
    let width = lookup.train_levels.len() + usize::from(lookup.folded);
    let mut cols = vec![vec![0.0; codes.len()]; width];
    for (row, &c) in codes.iter().enumerate() {
        match lookup.position(row, c, stats)? {
            Some(p) => cols[p][row] = 1.0,
            None if lookup.folded => cols[width - 1][row] = 1.0,
            None => {}
        }
    }
    let name = lookup.column;
    let mut names: Vec<String> = lookup
        .train_levels
        .iter()
        .map(|l| format!("{name}={}", if l.is_empty() { "<missing>" } else { l }))
        .collect();
    if lookup.folded {
        names.push(format!("{name}={OTHER}"));
    }
    Ok(names
        .into_iter()
        .zip(cols)
        .map(|(name, v)| Column {
            name,
            data: ColumnData::Numeric(v),
        })
        .collect())
}
