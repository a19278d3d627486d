//! `source: parquet`: Parquet files with a declared label column (the options of
//! `source: csv`).

use super::super::options::Target;
use super::super::reader;
use super::super::{DataError, Problem};
use super::csv::{TABLE_FIELDS, TableOptions};
use super::{DataSource, Fields, Input, ReadRequest, SourceOptions};

/// Parquet files with a label column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParquetSource(pub TableOptions);

impl SourceOptions for ParquetSource {
    const FIELDS: &'static [&'static str] = TABLE_FIELDS;

    fn take(_name: &'static str, f: &mut Fields) -> Self {
        ParquetSource(TableOptions::take(f))
    }

    fn put(&self, f: &mut Fields) {
        self.0.put(f)
    }
}

impl DataSource for ParquetSource {
    fn name(&self) -> &'static str {
        "parquet"
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Binary, Target::Multiclass]
    }

    fn problems(&self, target: Target, _max_rows: Option<usize>) -> Vec<Problem> {
        self.0.problems(self.name(), target)
    }

    fn has_test_files(&self) -> bool {
        self.0.has_test_files()
    }

    fn non_feature_columns(&self) -> Vec<String> {
        self.0.non_feature_columns()
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let (trim, hash) = (self.0.trim_names(), req.hash());
        self.0.read(req, "parquet file(s)".into(), |path, _| {
            reader::read_parquet(path, trim, hash)
        })
    }
}
