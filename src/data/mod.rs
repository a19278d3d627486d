//! Datasets: the catalog of known datasets (descriptors, not data), loaders that turn
//! files into a [`Table`], verification against the catalog, and train/test splits.

pub mod table;

pub use table::{Column, ColumnData, Dataset, Table};
