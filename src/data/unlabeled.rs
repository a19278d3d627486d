//! Reading a file to score the way a source reads its training files: the same reader with
//! the same options (a catalog's header-less layout, a CSV's `trim_column_names`, a
//! capture's extraction options), the same non-feature columns left out, and the model's
//! columns typed as they were in training.
//!
//! Nothing about labels: a file to score may lack the label column, or hold labels that no
//! class mapping knows, so no label is read, no class is mapped, and neither `max_rows` nor
//! a split applies.

use std::path::{Path, PathBuf};

use super::loaded::{FileInfo, LoadContext};
use super::loader::{build_features, feature_names, file_info};
use super::options::{Checksums, FilesSpec, Target};
use super::source::{Fields, Input, Mode, ReadRequest, Source, SourceSpec};
use super::table::Table;
use super::{DataError, Problem};

/// How the columns a model reads are typed, whatever a new file holds: as in training, so
/// a text cell in a numeric column is an error at its line rather than a column that
/// silently turns categorical.
#[derive(Debug, Clone, Default)]
pub struct ColumnTypes {
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
}

/// A file read for scoring.
#[derive(Debug, Clone)]
pub struct UnlabeledFile {
    /// The feature columns (the source's non-feature columns are left out).
    pub table: Table,
    pub info: FileInfo,
    /// What the source noticed (packets skipped, a layout the catalog does not know, ...).
    pub notes: Vec<String>,
}

/// Read `path` as the source of `dataset` (the saved form of a `dataset:` section) reads
/// its training files; the section's own `files` are replaced by `path`.
pub fn read_unlabeled(
    dataset: &Fields,
    path: &Path,
    types: &ColumnTypes,
) -> Result<UnlabeledFile, DataError> {
    // Checked here so that a missing input is reported as such, not as a dataset file
    // looked for in the data directory.
    std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    let (source, target) = source_for(dataset, path)?;
    // The path is absolute, so it is not looked for elsewhere; a csv's file of column
    // names (`columns: FILE`) is looked for in the data directory (ANOMALAB_DATA_DIR), then
    // the current folder.
    let mut ctx = LoadContext::new(super::default_data_dir());
    ctx.base_dir = Some(PathBuf::from("."));
    let req = ReadRequest {
        target,
        checksums: Checksums::Off,
        split: "official",
        load_test: false,
        labels: false,
        ctx: &ctx,
    };
    let mut set = match source.read(&req)? {
        Input::Files(set) => set,
        Input::Generated(_) => return Err(no_files(source.kind())),
    };
    let first = &set.reads[0];
    let names = feature_names(&set.plan, &first.raw);
    let mode_of = |name: &str| {
        if types.categorical.iter().any(|c| c == name) {
            Mode::Categorical
        } else if types.numeric.iter().any(|c| c == name) {
            Mode::Numeric
        } else {
            set.plan.mode_of(name)
        }
    };
    let info = file_info(&first.raw, first.role, first.cfile);
    let (columns, _) = build_features(&mut set.reads, &names, &mode_of)?;
    let mut notes = set.warnings;
    notes.extend(set.notes);
    Ok(UnlabeledFile {
        table: Table { columns },
        info,
        notes,
    })
}

/// The source of `dataset` with `path` as its one training file, and the target (which
/// decides the catalog's label columns).
fn source_for(dataset: &Fields, path: &Path) -> Result<(SourceSpec, Target), DataError> {
    let invalid = |message: String| DataError::Spec {
        problems: vec![Problem::new("dataset", message)],
    };
    let mut f = dataset.clone();
    let kind = f
        .source
        .take()
        .ok_or_else(|| invalid("no `source`".into()))?;
    if kind == Source::Synthetic {
        return Err(no_files(kind));
    }
    let target = f.target.take().unwrap_or_default();
    // A file to score is read whole, and not hashed (it is no catalog file to check).
    (f.max_rows, f.checksums) = (None, None);
    let abs = std::path::absolute(path).map_err(|e| DataError::io(path, e))?;
    let name = abs.to_str().ok_or_else(|| {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path is not UTF-8");
        DataError::io(path, e)
    })?;
    f.files = Some(FilesSpec {
        train: vec![name.to_string()],
        test: vec![],
    });
    let source = SourceSpec::from_fields(kind, &mut f).map_err(invalid)?;
    Ok((source, target))
}

/// The error for a source that reads no files (generated data).
fn no_files(kind: Source) -> DataError {
    DataError::Spec {
        problems: vec![Problem::new(
            "dataset.source",
            format!(
                "source `{}` generates its data and reads no file",
                kind.as_str()
            ),
        )],
    }
}
