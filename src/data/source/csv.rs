//! `source: csv` and `source: parquet`: feature tables in files (CSV plain or `.gz` with a
//! header, or Parquet) with a declared label column.

use super::super::loaded::LoadContext;
use super::super::options::{ColumnEntry, ColumnsSpec, FilesSpec, Target};
use super::super::reader::{self, CsvOptions};
use super::super::{DataError, Problem};
use super::{
    DataSource, Fields, FileSet, Input, Plan, ReadRequest, SourceOptions, checks, files, sorted,
};

/// The options of a feature table in files (csv, parquet).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableOptions {
    /// Data files, resolved against the data directory, then the spec file's folder.
    /// Required.
    pub files: Option<FilesSpec>,
    /// Name of the label column, exactly as in the header (CIC-IDS2017 writes `" Label"`
    /// with a leading space; see `trim_column_names`). Required.
    pub label: Option<String>,
    /// With `target: binary`: the label values that are normal traffic, compared
    /// case-insensitively after trimming spaces; every other value is an attack. Default:
    /// `["normal", "benign", "0"]`.
    pub normal_labels: Option<Vec<String>>,
    /// csv only: whether the first line is a header. Default: `true`, or `false` when
    /// `columns` is given.
    pub header: Option<bool>,
    /// csv only: the column names of a header-less file (inline, or a file of names; see
    /// [`ColumnsSpec`]). Required with `header: false`.
    pub columns: Option<ColumnsSpec>,
    /// Trim spaces around header names before matching `label`, `drop` and `categorical`
    /// (and in the feature names). Default: `false`.
    pub trim_column_names: Option<bool>,
    /// Columns that are not features (identifiers, timestamps, other label columns).
    pub drop: Vec<String>,
    /// Columns read as categories even when every cell is a number (e.g. port numbers);
    /// otherwise a column is numeric when every non-empty cell parses as a number
    /// (`Infinity`, `-Infinity`, `inf`, `NaN` included).
    pub categorical: Vec<String>,
}

/// The option names of [`TableOptions`].
pub(super) const TABLE_FIELDS: &[&str] = &[
    "files",
    "label",
    "normal_labels",
    "header",
    "columns",
    "trim_column_names",
    "drop",
    "categorical",
];

impl TableOptions {
    pub(super) fn take(f: &mut Fields) -> Self {
        TableOptions {
            files: f.files.take(),
            label: f.label.take(),
            normal_labels: f.normal_labels.take(),
            header: f.header.take(),
            columns: f.columns.take(),
            trim_column_names: f.trim_column_names.take(),
            drop: f.drop.take().unwrap_or_default(),
            categorical: f.categorical.take().unwrap_or_default(),
        }
    }

    pub(super) fn put(&self, f: &mut Fields) {
        f.files = self.files.clone();
        f.label = self.label.clone();
        f.normal_labels = self.normal_labels.clone();
        f.header = self.header;
        f.columns = self.columns.clone();
        f.trim_column_names = self.trim_column_names;
        f.drop = Some(self.drop.clone());
        f.categorical = Some(self.categorical.clone());
    }

    pub(super) fn problems(&self, source: &str, target: Target) -> Vec<Problem> {
        let mut p = checks::required_files(source, self.files.as_ref());
        if self.label.is_none() {
            p.push(Problem::new(
                "dataset.label",
                format!("source `{source}` needs `label`: the name of the label column"),
            ));
        }
        p.extend(checks::normal_labels(self.normal_labels.as_ref(), target));
        p.extend(checks::header_columns(
            source,
            self.header,
            self.columns.as_ref(),
        ));
        p
    }

    /// Whether the files start with a header line.
    pub(super) fn has_header(&self) -> bool {
        self.header.unwrap_or(self.columns.is_none())
    }

    pub(super) fn has_test_files(&self) -> bool {
        FilesSpec::has_test(self.files.as_ref())
    }

    pub(super) fn non_feature_columns(&self) -> Vec<String> {
        sorted(self.label.iter().chain(&self.drop).cloned().collect())
    }

    pub(super) fn trim_names(&self) -> bool {
        self.trim_column_names.unwrap_or(false)
    }

    /// Read the files with `read_one(path, plan, names)`, `names` being the column names
    /// of header-less files.
    pub(super) fn read(
        &self,
        req: &ReadRequest,
        title: String,
        mut read_one: impl FnMut(
            &std::path::Path,
            &Plan,
            Option<&[String]>,
        ) -> Result<reader::RawFile, DataError>,
    ) -> Result<Input, DataError> {
        let label = self.label.clone().unwrap_or_default();
        let names = match (&self.columns, self.has_header()) {
            (Some(c), false) => Some(column_names(c, req.ctx)?),
            _ => None,
        };
        let mut categorical = self.categorical.clone();
        if let Some(n) = &names {
            categorical.extend(n.symbolic.iter().cloned());
        }
        let plan = files::text_plan(
            label,
            vec![],
            &self.drop,
            &categorical,
            req.target,
            self.normal_labels.as_ref(),
        );
        let names = names.map(|n| n.names);
        let mut warnings = Vec::new();
        let lists = files::locate(self.files.as_ref(), None, req, &mut warnings);
        let reads = files::read_all(&lists, &plan, None, req, |path, _| {
            read_one(path, &plan, names.as_deref())
        })?;
        Ok(Input::Files(FileSet {
            plan,
            reads,
            warnings,
            notes: vec![],
            title,
        }))
    }
}

/// The column names of a header-less file, and those a file of names types `symbolic`.
struct ColumnNames {
    names: Vec<String>,
    symbolic: Vec<String>,
}

/// The names of `columns`, files of names read in place.
fn column_names(columns: &ColumnsSpec, ctx: &LoadContext) -> Result<ColumnNames, DataError> {
    let mut out = ColumnNames {
        names: vec![],
        symbolic: vec![],
    };
    for e in &columns.0 {
        match e {
            ColumnEntry::Name(n) => out.names.push(n.clone()),
            ColumnEntry::File { file } => {
                let path = files::resolve(file, None, None, ctx)?;
                read_names_file(&path, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// One name a line, or `name,type` (NSL-KDD's field_names.csv); blank lines and `#`
/// comments skipped; lines may end in LF, CRLF or CR alone.
fn read_names_file(path: &std::path::Path, out: &mut ColumnNames) -> Result<(), DataError> {
    let (bytes, _) = reader::read_bytes(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let before = out.names.len();
    for line in text.split(['\n', '\r']) {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(2, ',');
        let name = parts.next().unwrap_or_default().trim().trim_matches('"');
        let kind = parts.next().map(|t| t.trim().trim_matches('"'));
        out.names.push(name.to_string());
        if kind.is_some_and(|k| k.eq_ignore_ascii_case("symbolic")) {
            out.symbolic.push(name.to_string());
        }
    }
    if out.names.len() == before {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
            detail: "no column names (expected one name a line, or `name,type` lines)".into(),
        });
    }
    Ok(())
}

/// Feature tables in files with a declared label column: `csv` (plain or `.gz`, with a
/// header) or `parquet`. The two differ only in the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSource {
    /// `csv` or `parquet`.
    name: &'static str,
    pub options: TableOptions,
}

impl SourceOptions for TableSource {
    const FIELDS: &'static [&'static str] = TABLE_FIELDS;

    fn take(name: &'static str, f: &mut Fields) -> Self {
        TableSource {
            name,
            options: TableOptions::take(f),
        }
    }

    fn put(&self, f: &mut Fields) {
        self.options.put(f)
    }
}

impl DataSource for TableSource {
    fn name(&self) -> &'static str {
        self.name
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Binary, Target::Multiclass]
    }

    fn problems(&self, target: Target, _max_rows: Option<usize>) -> Vec<Problem> {
        self.options.problems(self.name, target)
    }

    fn has_test_files(&self) -> bool {
        self.options.has_test_files()
    }

    fn non_feature_columns(&self) -> Vec<String> {
        self.options.non_feature_columns()
    }

    fn read(&self, req: &ReadRequest) -> Result<Input, DataError> {
        let (trim, hash) = (self.options.trim_names(), req.hash());
        let title = format!("{} file(s)", self.name);
        if self.name == "parquet" {
            return self.options.read(req, title, |path, _, _| {
                reader::read_parquet(path, trim, hash)
            });
        }
        self.options.read(req, title, |path, plan, names| {
            let keep = |name: &str| plan.keep(name);
            let opts = CsvOptions {
                header: names.is_none(),
                names,
                trim_names: trim,
                hash,
                keep: Some(&keep),
            };
            reader::read_csv(path, &opts)
                .map_err(|e| super::super::catalog::with_layout_hint(e, None))
        })
    }
}
