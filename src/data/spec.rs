//! The `dataset:` and `split:` sections of an experiment spec, as serde types.
//!
//! The spec parser deserialises each top-level section with serde (unknown fields are
//! errors, so a typo is reported at its line; so is an option of another source, e.g.
//! `rows` on a csv dataset) and then calls [`validate`] for the rules that involve several
//! fields; it returns every problem found, each with the dotted path of the field it is
//! about, so that all of them can be shown with line numbers at once.
//!
//! ```yaml
//! dataset:
//!   source: nsl_kdd          # or kdd99 | unsw_nb15 | cic_ids2017 | csv | parquet | pcap | zeek | synthetic
//!   target: binary
//! split:
//!   kind: official           # official | holdout | kfold
//! ```

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Problem;
pub use super::options::{
    CaptureLabels, Checksums, ColumnEntry, ColumnsSpec, DEFAULT_NORMAL_LABELS,
    DEFAULT_SYNTHETIC_ROWS, FileLabels, FilesSpec, Target,
};
use super::source::Fields;
pub use super::source::{DataSource, Source, SourceSpec};

/// The `dataset:` section: the source with its own options, and the options every source
/// takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    /// Where the data comes from (`source:`), with the options of that source. Required.
    pub source: SourceSpec,
    /// What to predict. Default: `binary` (classes `normal`, `attack`). Other values depend
    /// on the source: nsl_kdd and kdd99 `category` | `attack`; unsw_nb15 `attack_cat`; cic_ids2017
    /// `label`; csv/parquet/pcap/zeek `multiclass`; synthetic `attack`.
    pub target: Target,
    /// Keep at most this many training rows: a seeded subsample stratified by class (same
    /// proportions, largest-remainder rounding), in file order. Applied to the training
    /// data only, before splitting. Default: none (all rows).
    pub max_rows: Option<usize>,
    /// sha256 checking of catalog files: `warn` (default) records a warning on mismatch,
    /// `strict` refuses the file, `off` skips hashing.
    pub checksums: Checksums,
}

impl DatasetSpec {
    /// A spec for a source with every other field at its default.
    pub fn new(source: Source) -> Self {
        DatasetSpec {
            source: SourceSpec::new(source),
            target: Target::Binary,
            max_rows: None,
            checksums: Checksums::Warn,
        }
    }

    /// Whether the spec (or the catalog default) has an official test file.
    pub fn has_test_files(&self) -> bool {
        self.source.has_test_files()
    }

    /// The section as its parsed form: every option of the source and the common options
    /// set, the others absent (parsing it back gives this spec).
    pub fn to_fields(&self) -> Fields {
        let mut f = Fields {
            source: Some(self.source.kind()),
            target: Some(self.target),
            max_rows: self.max_rows,
            checksums: Some(self.checksums),
            ..Fields::default()
        };
        self.source.put(&mut f);
        f
    }
}

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let kind = f
            .source
            .take()
            .ok_or_else(|| D::Error::missing_field("source"))?;
        let spec = DatasetSpec {
            target: f.target.take().unwrap_or_default(),
            max_rows: f.max_rows.take(),
            checksums: f.checksums.take().unwrap_or_default(),
            source: SourceSpec::from_fields(kind, &mut f).map_err(D::Error::custom)?,
        };
        Ok(spec)
    }
}

/// The section as serialised (in the resolved spec): every option of every source, with
/// the ones that do not apply to this source absent (`null`) or empty.
#[derive(Serialize)]
struct Resolved {
    source: Source,
    target: Target,
    files: Option<FilesSpec>,
    label: Option<String>,
    normal_labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<ColumnsSpec>,
    trim_column_names: Option<bool>,
    drop: Vec<String>,
    categorical: Vec<String>,
    rows: Option<usize>,
    max_rows: Option<usize>,
    checksums: Checksums,
    labels: Option<CaptureLabels>,
    extract: Option<anomalab_flow::ExtractOptions>,
}

impl Serialize for DatasetSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.to_fields();
        Resolved {
            source: self.source.kind(),
            target: self.target,
            files: f.files,
            label: f.label,
            normal_labels: f.normal_labels,
            header: f.header,
            columns: f.columns,
            trim_column_names: f.trim_column_names,
            drop: f.drop.unwrap_or_default(),
            categorical: f.categorical.unwrap_or_default(),
            rows: f.rows,
            max_rows: self.max_rows,
            checksums: self.checksums,
            labels: f.labels,
            extract: f.extract,
        }
        .serialize(s)
    }
}

/// How the data is split into training and test parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// Train on the training file(s), test on the official test file(s). Needs a test
    /// file (catalog default or `files.test`).
    Official,
    /// One seeded hold-out split of the training data (`test_size` of the rows go to the
    /// test part; stratified by class unless `stratify: false`). Official test files are
    /// not loaded.
    Holdout,
    /// Seeded k-fold cross-validation of the training data (`folds` folds, stratified by
    /// class unless `stratify: false`, shuffled with the seed). Official test files are
    /// not loaded.
    Kfold,
}

impl SplitKind {
    /// The spelling used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            SplitKind::Official => "official",
            SplitKind::Holdout => "holdout",
            SplitKind::Kfold => "kfold",
        }
    }
}

/// The `split:` section. Every field is optional; an absent section means all defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// `official`, `holdout` or `kfold`. Default: `official` when the dataset has an
    /// official test file (nsl_kdd, unsw_nb15, or `files.test` given), else `holdout`.
    #[serde(default)]
    pub kind: Option<SplitKind>,
    /// holdout only: fraction of the rows in the test part, in (0, 1). Default: 0.3.
    #[serde(default)]
    pub test_size: Option<f64>,
    /// kfold only: number of folds, at least 2. Default: 5.
    #[serde(default)]
    pub folds: Option<usize>,
    /// holdout/kfold: keep the class proportions in every part. Default: true.
    #[serde(default)]
    pub stratify: Option<bool>,
    /// kfold only: repeated k-fold, the folds drawn anew (and every model re-seeded) this
    /// many times; the same as the top-level `repeats:`. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<usize>,
}

/// Default `split.test_size`.
pub const DEFAULT_TEST_SIZE: f64 = 0.3;
/// Default `split.folds`.
pub const DEFAULT_FOLDS: usize = 5;

impl SplitSpec {
    /// The split kind after applying the default for this dataset.
    pub fn kind_for(&self, dataset: &DatasetSpec) -> SplitKind {
        self.kind.unwrap_or(if dataset.has_test_files() {
            SplitKind::Official
        } else {
            SplitKind::Holdout
        })
    }

    /// `test_size` with its default.
    pub fn test_size(&self) -> f64 {
        self.test_size.unwrap_or(DEFAULT_TEST_SIZE)
    }

    /// `folds` with its default.
    pub fn folds(&self) -> usize {
        self.folds.unwrap_or(DEFAULT_FOLDS)
    }

    /// `stratify` with its default.
    pub fn stratify(&self) -> bool {
        self.stratify.unwrap_or(true)
    }
}

/// Check the rules that involve several fields of the two sections. Returns every problem
/// (empty = valid), each with the dotted path of the field it is about.
pub fn validate(dataset: &DatasetSpec, split: &SplitSpec) -> Vec<Problem> {
    let mut p = Vec::new();
    let src = &dataset.source;
    let allowed = src.targets();
    if !allowed.contains(&dataset.target) {
        p.push(Problem::new(
            "dataset.target",
            format!(
                "`{}` is not a target of source `{}`; use one of: {}",
                dataset.target.as_str(),
                src.as_str(),
                allowed
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    p.extend(src.problems(dataset.target, dataset.max_rows));
    if let Some(0) = dataset.max_rows {
        p.push(Problem::new("dataset.max_rows", "must be at least 1"));
    }
    p.extend(split_problems(dataset, split));
    p
}

/// The rules of the `split:` section, some of which depend on the dataset.
fn split_problems(dataset: &DatasetSpec, split: &SplitSpec) -> Vec<Problem> {
    let mut p = Vec::new();
    let kind = split.kind_for(dataset);
    if kind == SplitKind::Official && !dataset.has_test_files() {
        p.push(Problem::new("split.kind", dataset.source.no_test_files()));
    }
    let only_for = |field: &str, wanted: SplitKind| {
        Problem::new(
            format!("split.{field}"),
            format!(
                "`{field}` applies to `kind: {}` only (kind is `{}`)",
                wanted.as_str(),
                kind.as_str()
            ),
        )
    };
    if let Some(t) = split.test_size {
        if !(t > 0.0 && t < 1.0) {
            p.push(Problem::new(
                "split.test_size",
                format!(
                    "{t} is outside (0, 1): give the fraction of rows in the test part, e.g. 0.3"
                ),
            ));
        }
        if kind != SplitKind::Holdout {
            p.push(only_for("test_size", SplitKind::Holdout));
        }
    }
    if let Some(k) = split.folds {
        if k < 2 {
            p.push(Problem::new(
                "split.folds",
                format!("{k} fold(s): k-fold needs at least 2 folds"),
            ));
        }
        if kind != SplitKind::Kfold {
            p.push(only_for("folds", SplitKind::Kfold));
        }
    }
    if split.repeats.is_some() && kind != SplitKind::Kfold {
        p.push(Problem::new(
            "split.repeats",
            format!(
                "`repeats` in `split:` applies to `kind: kfold` only (kind is `{}`); \
                 repeat any split with the top-level `repeats:`",
                kind.as_str()
            ),
        ));
    }
    if split.stratify.is_some() && kind == SplitKind::Official {
        p.push(Problem::new(
            "split.stratify",
            "`stratify` applies to holdout and kfold only",
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(json: serde_json::Value) -> Result<DatasetSpec, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    fn files_of(d: &DatasetSpec) -> &FilesSpec {
        match &d.source {
            SourceSpec::Csv(c) => c.options.files.as_ref().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn catalog_defaults_are_enough() {
        let d = ds(serde_json::json!({"source": "nsl_kdd"})).unwrap();
        assert_eq!(d.target, Target::Binary);
        let s = SplitSpec::default();
        assert_eq!(s.kind_for(&d), SplitKind::Official);
        assert!(validate(&d, &s).is_empty());
        // CIC-IDS2017 has no official test file: the default kind is holdout
        let c = ds(serde_json::json!({"source": "cic_ids2017", "target": "label"})).unwrap();
        assert_eq!(s.kind_for(&c), SplitKind::Holdout);
        assert!(validate(&c, &s).is_empty());
    }

    /// A model saves its section as [`Fields`] JSON; `predict` reads it back.
    #[test]
    fn the_saved_fields_read_back_as_the_same_section() {
        for json in [
            serde_json::json!({"source": "nsl_kdd", "target": "category", "max_rows": 10}),
            serde_json::json!({"source": "csv", "label": " Label", "files": {"train": "a.csv", "test": "b.csv"},
                "trim_column_names": true, "drop": ["id"], "checksums": "off"}),
            serde_json::json!({"source": "pcap", "files": ["a.pcap"], "extract": {"include_ipv6": true},
                "labels": {"default": "x", "files": {"a.pcap": "scan"}}, "drop": ["Flow Duration"]}),
            serde_json::json!({"source": "zeek", "files": "conn.log", "categorical": ["id.resp_p"],
                "labels": {"rules": [{"label": "beacon", "host": "10.0.0.1"}]}}),
            serde_json::json!({"source": "synthetic", "rows": 50}),
            serde_json::json!({"source": "csv", "label": "label", "files": "k.txt", "header": false,
                "columns": [{"file": "field_names.csv"}, "label"]}),
            serde_json::json!({"source": "kdd99", "target": "attack"}),
        ] {
            let spec = ds(json).unwrap();
            let saved = serde_json::to_string(&spec.to_fields()).unwrap();
            assert_eq!(
                ds(serde_json::from_str(&saved).unwrap()).unwrap(),
                spec,
                "{saved}"
            );
        }
    }

    #[test]
    fn files_forms() {
        let one = ds(serde_json::json!({"source": "csv", "label": "y", "files": "a.csv"})).unwrap();
        assert_eq!(files_of(&one).train, ["a.csv"]);
        let list =
            ds(serde_json::json!({"source": "csv", "label": "y", "files": ["a.csv", "b.csv"]}))
                .unwrap();
        assert_eq!(files_of(&list).train, ["a.csv", "b.csv"]);
        let roles = ds(serde_json::json!({"source": "csv", "label": "y",
            "files": {"train": ["a.csv", "b.csv"], "test": "c.csv"}}))
        .unwrap();
        let f = files_of(&roles);
        assert_eq!(
            (f.train.len(), f.test.clone()),
            (2, vec!["c.csv".to_string()])
        );
        let bad = ds(serde_json::json!({"source": "csv", "files": {"train": "a", "tset": "b"}}))
            .unwrap_err();
        assert!(bad.contains("unknown field `tset`"), "{bad}");
        let typo = ds(serde_json::json!({"source": "csv", "lable": "y"})).unwrap_err();
        assert!(typo.contains("unknown field `lable`"), "{typo}");
        let src = ds(serde_json::json!({"source": "kdd"})).unwrap_err();
        assert!(src.contains("unknown variant `kdd`"), "{src}");
        let none = ds(serde_json::json!({"target": "binary"})).unwrap_err();
        assert!(none.contains("missing field `source`"), "{none}");
    }

    #[test]
    fn an_option_of_another_source_is_an_unknown_field() {
        let e = ds(serde_json::json!({"source": "csv", "label": "y", "rows": 10})).unwrap_err();
        assert!(
            e.starts_with("unknown field `rows` for source `csv` (it applies to source synthetic), expected one of `source`"),
            "{e}"
        );
        let e = ds(serde_json::json!({"source": "synthetic", "label": "x"})).unwrap_err();
        assert!(
            e.contains("unknown field `label` for source `synthetic` (it applies to source csv, parquet, zeek)"),
            "{e}"
        );
        let e = ds(serde_json::json!({"source": "nsl_kdd", "extract": {}})).unwrap_err();
        assert!(e.contains("(it applies to source pcap)"), "{e}");
    }

    #[test]
    fn the_resolved_section_lists_every_option() {
        let d = ds(serde_json::json!({"source": "synthetic", "rows": 500})).unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"source": "synthetic", "target": "binary", "files": null,
                "label": null, "normal_labels": null, "trim_column_names": null, "drop": [],
                "categorical": [], "rows": 500, "max_rows": null, "checksums": "warn",
                "labels": null, "extract": null})
        );
        let back: DatasetSpec = serde_json::from_value(serde_json::json!({
            "source": "csv", "label": "y", "files": "a.csv", "drop": ["id"]}))
        .unwrap();
        let v = serde_json::to_value(&back).unwrap();
        assert_eq!(v["drop"], serde_json::json!(["id"]));
        assert_eq!(
            v["files"],
            serde_json::json!({"train": ["a.csv"], "test": []})
        );
    }

    #[test]
    fn synthetic_max_rows_is_checked_against_the_default_rows_too() {
        let s: SplitSpec = serde_json::from_value(serde_json::json!({"kind": "holdout"})).unwrap();
        let over = ds(serde_json::json!({"source": "synthetic", "max_rows": 30000})).unwrap();
        let p = validate(&over, &s);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(p[0].path, "dataset.max_rows");
        assert!(p[0].message.contains("more than `rows` (20000)"), "{p:#?}");
        let within = ds(serde_json::json!({"source": "synthetic", "max_rows": 20000})).unwrap();
        assert!(validate(&within, &s).is_empty());
    }

    #[test]
    fn all_problems_are_reported_with_paths() {
        let d = ds(serde_json::json!({"source": "synthetic", "target": "category", "rows": 10}))
            .unwrap();
        let s: SplitSpec = serde_json::from_value(serde_json::json!({
            "kind": "official", "test_size": 1.5, "folds": 1}))
        .unwrap();
        let p = validate(&d, &s);
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "dataset.target",
                "dataset.rows",
                "split.kind",
                "split.test_size",
                "split.test_size",
                "split.folds",
                "split.folds",
            ],
            "{p:#?}"
        );
        assert!(p[2].message.contains("no official test file"));
        assert!(p[3].message.contains("outside (0, 1)"));
        assert!(p[5].message.contains("at least 2 folds"));
    }

    #[test]
    fn csv_needs_files_and_label_and_official_needs_test() {
        let d = ds(serde_json::json!({"source": "csv"})).unwrap();
        let p = validate(&d, &SplitSpec::default());
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["dataset.files", "dataset.label"]);
        let d = ds(serde_json::json!({"source": "csv", "label": "y", "files": "a.csv"})).unwrap();
        let s: SplitSpec = serde_json::from_value(serde_json::json!({"kind": "official"})).unwrap();
        let p = validate(&d, &s);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].path, "split.kind");
    }
}
