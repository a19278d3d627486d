//! Datasets: the catalog of known datasets (descriptors, not data), loaders that turn
//! files into a [`Table`], verification against the catalog, and train/test splits.
//!
//! * [`spec`]: the `dataset:` and `split:` spec sections and their cross-field checks.
//! * [`source`]: one [`source::DataSource`] per `source:` (catalog datasets, csv, parquet,
//!   pcap, zeek, netflow, synthetic): its options, checks, files and non-feature columns.
//! * [`catalog`]: NSL-KDD, KDD Cup 1999, UNSW-NB15 and CIC-IDS2017 descriptors (`datasets/*.yaml`).
//! * [`loader`]: [`load`] a spec into [`LoadedData`] ([`loaded`]: train, optional official
//!   test, the files read with their sha256, warnings).
//! * [`unlabeled`]: [`read_unlabeled`] a file to score the way a source reads its training
//!   files (no labels, no classes).
//! * [`verify`]: [`verify_catalog`] for `anomalab datasets verify`.
//! * [`split`]: official / hold-out / k-fold splits as index lists.
//! * [`synthetic`]: seeded flow-like data for `source: synthetic`.

pub mod catalog;
mod csv_chunks;
pub mod error;
pub mod loaded;
pub mod loader;
mod options;
mod reader;
pub mod source;
pub mod spec;
pub mod split;
pub mod synthetic;
pub mod table;
pub mod unlabeled;
pub mod verify;

pub use error::{DataError, Problem};
pub use loaded::{DATA_DIR_ENV, DataManifest, FileInfo, LoadContext, LoadedData, default_data_dir};
pub use loader::{FileTable, ReadOptions, load, read_file};
pub use reader::dedupe_names;
pub(crate) use reader::format_number;
pub use spec::{DatasetSpec, SplitKind, SplitSpec};
pub use split::{Fold, SplitPair, TestSource, make_splits};
pub use table::{Column, ColumnData, Dataset, Table};
pub use unlabeled::{ColumnTypes, UnlabeledFile, read_unlabeled};
pub use verify::{VerifyReport, VerifyRow, VerifyStatus, verify_catalog};
