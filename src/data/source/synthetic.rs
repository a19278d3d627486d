//! `source: synthetic`: seeded flow-like data made by [`crate::data::synthetic`]; no files.

use super::super::options::{DEFAULT_SYNTHETIC_ROWS, Target};
use super::super::{DataError, LoadedData, Problem, synthetic};
use super::{DataSource, Fields, Input, ReadRequest, SourceOptions};

/// Generated data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyntheticSource {
    /// Number of rows to generate, at least 100. Default: 20000.
    pub rows: Option<usize>,
}

impl SourceOptions for SyntheticSource {
    const FIELDS: &'static [&'static str] = &["rows"];

    fn take(_name: &'static str, f: &mut Fields) -> Self {
        SyntheticSource {
            rows: f.rows.take(),
        }
    }

    fn put(&self, f: &mut Fields) {
        f.rows = self.rows;
    }
}

impl DataSource for SyntheticSource {
    fn name(&self) -> &'static str {
        "synthetic"
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Binary, Target::Attack]
    }

    fn problems(&self, _target: Target, max_rows: Option<usize>) -> Vec<Problem> {
        let mut p = Vec::new();
        let rows = self.rows.unwrap_or(DEFAULT_SYNTHETIC_ROWS);
        if rows < 100 {
            p.push(Problem::new(
                "dataset.rows",
                format!("{rows} rows is too few; generate at least 100"),
            ));
        }
        if let Some(max) = max_rows
            && max > rows
        {
            p.push(Problem::new(
                "dataset.max_rows",
                format!("{max} is more than `rows` ({rows})"),
            ));
        }
        p
    }

    fn has_test_files(&self) -> bool {
        false
    }

    fn no_test_files(&self) -> String {
        "synthetic data has no official test file; use `kind: holdout` or `kind: kfold`".into()
    }

    fn non_feature_columns(&self) -> Vec<String> {
        vec![]
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let rows = self.rows.unwrap_or(DEFAULT_SYNTHETIC_ROWS);
        let seed = req.ctx.seed;
        Ok(Input::Generated(LoadedData {
            description: synthetic::describe(rows, seed),
            train: synthetic::generate(rows, req.target == Target::Attack, seed),
            test: None,
            files: vec![],
            warnings: vec![],
            synthetic: true,
            source: self.name().into(),
            target: req.target.as_str().into(),
        }))
    }
}
