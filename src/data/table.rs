//! The in-memory table every loader produces and every preprocessing step consumes.
//!
//! Loaders read files with polars and convert to this small column store once; the rest
//! of the pipeline never sees polars. Numeric columns are `f64` (missing = NaN, and
//! `Infinity` cells stay infinite until a cleaning step deals with them); text columns are
//! dictionary-encoded categories.

use serde::{Deserialize, Serialize};

/// Code used for a missing categorical cell.
pub const MISSING: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnData {
    Numeric(Vec<f64>),
    /// `codes[i]` indexes `levels`, or is [`MISSING`].
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keep the rows at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> ColumnData {
        match self {
            ColumnData::Numeric(v) => ColumnData::Numeric(idx.iter().map(|&i| v[i]).collect()),
            ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                codes: idx.iter().map(|&i| codes[i]).collect(),
                levels: levels.clone(),
            },
        }
    }

    /// The cells, moved out; the column is left with no rows (its levels stay).
    pub fn take_all(&mut self) -> ColumnData {
        match self {
            ColumnData::Numeric(v) => ColumnData::Numeric(std::mem::take(v)),
            ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                codes: std::mem::take(codes),
                levels: levels.clone(),
            },
        }
    }

    /// The cell as text (for categorical columns) or `None` for numeric ones.
    pub fn text(&self, row: usize) -> Option<&str> {
        match self {
            ColumnData::Numeric(_) => None,
            ColumnData::Categorical { codes, levels } => {
                let c = codes[row];
                (c != MISSING).then(|| levels[c as usize].as_str())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<Column>,
}

impl Table {
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Keep the rows at `idx`, in that order.
    pub fn take_rows(&self, idx: &[usize]) -> Table {
        Table {
            columns: self
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    data: c.data.take(idx),
                })
                .collect(),
        }
    }
}

/// A labelled dataset: features, the class of each row, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub features: Table,
    /// Class index of each row into `class_names`.
    pub y: Vec<u32>,
    /// Class names in index order. For binary targets: `["normal", "attack"]`, so the
    /// positive (anomalous) class is index 1.
    pub class_names: Vec<String>,
    /// The original label text of each row before any mapping (e.g. `neptune` when the
    /// target is binary), kept for reports and for unsupervised "normal rows only" modes.
    pub raw_labels: Vec<String>,
}

impl Dataset {
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.class_names.len()];
        for &y in &self.y {
            c[y as usize] += 1;
        }
        c
    }

    pub fn take_rows(&self, idx: &[usize]) -> Dataset {
        Dataset {
            features: self.features.take_rows(idx),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            class_names: self.class_names.clone(),
            raw_labels: idx.iter().map(|&i| self.raw_labels[i].clone()).collect(),
        }
    }
}
