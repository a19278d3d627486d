//! The `dataset:` and `split:` sections of an experiment spec, as serde types.
//!
//! The spec parser deserialises each top-level section with serde (unknown fields are
//! errors, so a typo is reported at its line) and then calls [`validate`] for the rules
//! that involve several fields; it returns every problem found, each with the dotted path
//! of the field it is about, so that all of them can be shown with line numbers at once.
//!
//! ```yaml
//! dataset:
//!   source: nsl_kdd          # or unsw_nb15 | cic_ids2017 | csv | parquet | pcap | zeek | synthetic
//!   target: binary
//! split:
//!   kind: official           # official | holdout | kfold
//! ```

use std::collections::BTreeMap;
use std::fmt;

use anomalab_flow::{ExtractOptions, LabelRule, LabelSpec};

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::Problem;
use super::catalog;

/// Where the data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// NSL-KDD from the catalog (default files KDDTrain+ / KDDTest+).
    NslKdd,
    /// UNSW-NB15 partitioned sets from the catalog (default files training-set /
    /// testing-set).
    UnswNb15,
    /// CIC-IDS2017 CICFlowMeter CSVs from the catalog (default files: the eight day files;
    /// no official test file).
    CicIds2017,
    /// Any CSV file(s) (plain or `.gz`) with a header and a declared label column.
    Csv,
    /// Any Parquet file(s) with a declared label column.
    Parquet,
    /// Packet captures (pcap, pcapng, gzip of either): flows extracted with the `cic2017`
    /// feature set (the 78 MachineLearningCVE features), labelled by `labels`.
    Pcap,
    /// Zeek `conn.log` files (TSV with `#fields`/`#types`, or JSON lines; plain or gzip),
    /// labelled by a label column (`label`) or by `labels` rules.
    Zeek,
    /// Generated flow-like data (see `data::synthetic`); no files.
    Synthetic,
}

impl Source {
    /// The catalog name for catalog sources.
    pub fn catalog_name(self) -> Option<&'static str> {
        match self {
            Source::NslKdd => Some("nsl_kdd"),
            Source::UnswNb15 => Some("unsw_nb15"),
            Source::CicIds2017 => Some("cic_ids2017"),
            _ => None,
        }
    }

    /// The spelling used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::NslKdd => "nsl_kdd",
            Source::UnswNb15 => "unsw_nb15",
            Source::CicIds2017 => "cic_ids2017",
            Source::Csv => "csv",
            Source::Parquet => "parquet",
            Source::Pcap => "pcap",
            Source::Zeek => "zeek",
            Source::Synthetic => "synthetic",
        }
    }
}

/// What to predict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Two classes `normal` (index 0) and `attack` (index 1). Every source.
    #[default]
    Binary,
    /// nsl_kdd: the five categories normal, dos, probe, r2l, u2r (full table in
    /// `datasets/nsl_kdd.yaml`, including the attack names only found in the test files).
    Category,
    /// nsl_kdd and synthetic: one class per attack name (`normal` first).
    Attack,
    /// unsw_nb15: one class per `attack_cat` value (`Normal` first).
    AttackCat,
    /// cic_ids2017: one class per ` Label` value (`BENIGN` first).
    Label,
    /// csv/parquet/pcap/zeek: one class per label value (normal labels first, then
    /// alphabetical).
    Multiclass,
}

impl Target {
    /// The spelling used in specs (and the catalog's target names).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Binary => "binary",
            Target::Category => "category",
            Target::Attack => "attack",
            Target::AttackCat => "attack_cat",
            Target::Label => "label",
            Target::Multiclass => "multiclass",
        }
    }

    /// The targets a source offers.
    pub fn allowed_for(source: Source) -> &'static [Target] {
        match source {
            Source::NslKdd => &[Target::Binary, Target::Category, Target::Attack],
            Source::UnswNb15 => &[Target::Binary, Target::AttackCat],
            Source::CicIds2017 => &[Target::Binary, Target::Label],
            Source::Csv | Source::Parquet | Source::Pcap | Source::Zeek => {
                &[Target::Binary, Target::Multiclass]
            }
            Source::Synthetic => &[Target::Binary, Target::Attack],
        }
    }
}

/// What to do when a file's sha256 differs from the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksums {
    /// Load the file and record a warning (default).
    #[default]
    Warn,
    /// Refuse to load a file whose sha256 differs (the CLI's `--strict` does the same).
    Strict,
    /// Do not hash files at all (the manifest then has no sha256).
    Off,
}

/// The data files of a spec: one path, a list of paths (all training data), or
/// `{train: ..., test: ...}` where each side is a path or a list of paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesSpec {
    /// Training files (concatenated in order).
    pub train: Vec<String>,
    /// Official test files (concatenated), empty when none.
    pub test: Vec<String>,
}

impl<'de> Deserialize<'de> for FilesSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FilesSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a file path, a list of file paths, or a mapping {train: ..., test: ...}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FilesSpec, E> {
                Ok(FilesSpec {
                    train: vec![v.to_string()],
                    test: vec![],
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FilesSpec, A::Error> {
                let mut train = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    train.push(s);
                }
                Ok(FilesSpec {
                    train,
                    test: vec![],
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FilesSpec, A::Error> {
                let mut train = None;
                let mut test = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "train" if train.is_none() => {
                            train = Some(map.next_value::<OneOrMany>()?.0)
                        }
                        "test" if test.is_none() => test = Some(map.next_value::<OneOrMany>()?.0),
                        "train" | "test" => return Err(de::Error::duplicate_field("train/test")),
                        other => return Err(de::Error::unknown_field(other, &["train", "test"])),
                    }
                }
                Ok(FilesSpec {
                    train: train.ok_or_else(|| de::Error::missing_field("train"))?,
                    test: test.unwrap_or_default(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A path or a list of paths.
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file path or a list of file paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V)
    }
}

fn benign() -> String {
    "BENIGN".to_string()
}

/// `dataset.labels` for pcap and zeek sources: a default label and rules for every file,
/// and per-file overrides (a constant label, or `{default, rules}` of its own).
///
/// ```yaml
/// labels:
///   default: BENIGN
///   rules: [{label: SIP scan, host: 172.25.105.43}]
///   files:
///     pcap/ppa-ftp-crack.pcap: FTP brute force
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureLabels {
    /// Label of flows no rule matches. Default: `BENIGN`.
    #[serde(default = "benign")]
    pub default: String,
    /// Rules tried in order (first match wins): `label` plus any of `src`, `dst`, `host`
    /// (address or CIDR), `src_port`, `dst_port`, `port`, `protocol` (number or name),
    /// `after`, `before` (Unix seconds of the flow start).
    #[serde(default)]
    pub rules: Vec<LabelRule>,
    /// Per-file labels, keyed by the file name as written in `files` (or its last path
    /// component); these files do not use `default`/`rules`.
    #[serde(default)]
    pub files: BTreeMap<String, FileLabels>,
}

impl Default for CaptureLabels {
    fn default() -> Self {
        CaptureLabels {
            default: benign(),
            rules: vec![],
            files: BTreeMap::new(),
        }
    }
}

impl CaptureLabels {
    /// The key of `files` that applies to the file written `name`, if any.
    fn file_key(&self, name: &str) -> Option<&str> {
        if let Some((k, _)) = self.files.get_key_value(name) {
            return Some(k);
        }
        let base = std::path::Path::new(name).file_name()?.to_str()?;
        self.files.get_key_value(base).map(|(k, _)| k.as_str())
    }

    /// The labelling of the file written `name` in `files`.
    pub fn for_file(&self, name: &str) -> LabelSpec {
        match self.file_key(name).and_then(|k| self.files.get(k)) {
            Some(FileLabels::Constant(l)) => LabelSpec::constant(l),
            Some(FileLabels::Rules(s)) => s.clone(),
            None => LabelSpec {
                default: self.default.clone(),
                rules: self.rules.clone(),
            },
        }
    }
}

/// The labels of one file: a constant, or its own `{default, rules}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FileLabels {
    Constant(String),
    Rules(LabelSpec),
}

impl<'de> Deserialize<'de> for FileLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FileLabels;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a label, or a mapping {default: ..., rules: [...]}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileLabels, E> {
                Ok(FileLabels::Constant(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FileLabels, A::Error> {
                LabelSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(FileLabels::Rules)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `dataset:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Where the data comes from: `nsl_kdd`, `unsw_nb15`, `cic_ids2017` (catalog),
    /// `csv`, `parquet`, `pcap`, `zeek` or `synthetic`. Required, no default.
    pub source: Source,
    /// What to predict. Default: `binary` (classes `normal`, `attack`). Other values depend
    /// on the source: nsl_kdd `category` | `attack`; unsw_nb15 `attack_cat`; cic_ids2017
    /// `label`; csv/parquet `multiclass`; synthetic `attack`.
    #[serde(default)]
    pub target: Target,
    /// Data files, resolved against the data directory (`--data-dir` /
    /// `ANOMALAB_DATA_DIR`, then the catalog's subfolders for catalog sources), then against
    /// the spec file's folder. Default for catalog sources: the catalog's default files
    /// (nsl_kdd `{train: KDDTrain+.txt, test: KDDTest+.txt}`, unsw_nb15 `{train:
    /// UNSW_NB15_training-set.csv, test: UNSW_NB15_testing-set.csv}`, cic_ids2017 the eight
    /// day files as training data). Required for csv and parquet. Not allowed for synthetic.
    #[serde(default)]
    pub files: Option<FilesSpec>,
    /// csv/parquet: name of the label column, exactly as in the header (CIC-IDS2017 writes
    /// `" Label"` with a leading space; see `trim_column_names`). Required for csv/parquet.
    /// zeek: a label column of the log (e.g. IoT-23's `label`), instead of `labels`. Not
    /// allowed for catalog sources (the catalog defines it), pcap and synthetic.
    #[serde(default)]
    pub label: Option<String>,
    /// csv/parquet/pcap/zeek with `target: binary`: the label values that are normal traffic,
    /// compared case-insensitively after trimming spaces; every other value is an attack.
    /// Default: `["normal", "benign", "0"]`.
    #[serde(default)]
    pub normal_labels: Option<Vec<String>>,
    /// Trim spaces around header names before matching `label`, `drop` and `categorical`
    /// (and in the feature names). Default: `false` for csv/parquet; catalog sources use the
    /// catalog's setting (`true` for cic_ids2017).
    #[serde(default)]
    pub trim_column_names: Option<bool>,
    /// Columns that are not features (identifiers, timestamps, other label columns).
    /// Default: `[]` (catalog sources always drop the catalog's non-feature columns too).
    #[serde(default)]
    pub drop: Vec<String>,
    /// csv/parquet: columns read as categories even when every cell is a number (e.g. port
    /// numbers). Default: `[]`; otherwise a column is numeric when every non-empty cell
    /// parses as a number (`Infinity`, `-Infinity`, `inf`, `NaN` included).
    #[serde(default)]
    pub categorical: Vec<String>,
    /// synthetic only: number of rows to generate. Default: 20000.
    #[serde(default)]
    pub rows: Option<usize>,
    /// Keep at most this many training rows: a seeded subsample stratified by class (same
    /// proportions, largest-remainder rounding), in file order. Applied to the training
    /// data only, before splitting. Default: none (all rows).
    #[serde(default)]
    pub max_rows: Option<usize>,
    /// sha256 checking of catalog files: `warn` (default) records a warning on mismatch,
    /// `strict` refuses the file, `off` skips hashing.
    #[serde(default)]
    pub checksums: Checksums,
    /// pcap and zeek: how flows are labelled (see [`CaptureLabels`]). Default: every flow
    /// `BENIGN`. Not allowed with a zeek `label` column, nor for other sources.
    #[serde(default)]
    pub labels: Option<CaptureLabels>,
    /// pcap: flow extraction options (`count_l2_padding`, default true; `include_ipv6`,
    /// default false; `max_active_flows`; `flow_timeout_us`; `activity_timeout_us`;
    /// `flush_per_capture`), as for `anomalab extract`.
    #[serde(default)]
    pub extract: Option<ExtractOptions>,
}

impl DatasetSpec {
    /// A spec for a source with every other field at its default.
    pub fn new(source: Source) -> Self {
        DatasetSpec {
            source,
            target: Target::Binary,
            files: None,
            label: None,
            normal_labels: None,
            trim_column_names: None,
            drop: vec![],
            categorical: vec![],
            rows: None,
            max_rows: None,
            checksums: Checksums::Warn,
            labels: None,
            extract: None,
        }
    }

    /// Whether the spec (or the catalog default) has an official test file.
    pub fn has_test_files(&self) -> bool {
        if let Some(f) = &self.files {
            return !f.test.is_empty();
        }
        match self.source.catalog_name() {
            Some(name) => catalog::entry(name)
                .map(|e| !e.default_files.test.is_empty())
                .unwrap_or(false),
            None => false,
        }
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
}

/// Default `split.test_size`.
pub const DEFAULT_TEST_SIZE: f64 = 0.3;
/// Default `split.folds`.
pub const DEFAULT_FOLDS: usize = 5;
/// Default `dataset.rows` for synthetic data.
pub const DEFAULT_SYNTHETIC_ROWS: usize = 20_000;
/// Default `dataset.normal_labels` for csv/parquet binary targets.
pub const DEFAULT_NORMAL_LABELS: [&str; 3] = ["normal", "benign", "0"];

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
    let src = dataset.source;
    let allowed = Target::allowed_for(src);
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
    let is_catalog = src.catalog_name().is_some();
    let is_file = matches!(src, Source::Csv | Source::Parquet);
    let is_flow = matches!(src, Source::Pcap | Source::Zeek);
    match (&dataset.files, src) {
        (None, Source::Csv | Source::Parquet | Source::Pcap | Source::Zeek) => {
            p.push(Problem::new(
                "dataset.files",
                format!(
                    "source `{}` needs `files` (a path, a list of paths, or {{train: ..., test: ...}})",
                    src.as_str()
                ),
            ))
        }
        (Some(_), Source::Synthetic) => p.push(Problem::new(
            "dataset.files",
            "source `synthetic` generates its data and reads no files; remove `files`",
        )),
        (Some(f), _) => {
            if f.train.is_empty() {
                p.push(Problem::new("dataset.files", "no training file given"));
            }
            for (i, name) in f.train.iter().chain(&f.test).enumerate() {
                if name.trim().is_empty() {
                    p.push(Problem::new(
                        "dataset.files",
                        format!("file {} is an empty path", i + 1),
                    ));
                }
            }
        }
        _ => {}
    }
    if is_file && dataset.label.is_none() {
        p.push(Problem::new(
            "dataset.label",
            format!(
                "source `{}` needs `label`: the name of the label column",
                src.as_str()
            ),
        ));
    }
    let why = if is_catalog {
        "is defined by the catalog for this source"
    } else if src == Source::Pcap {
        "comes from `labels` for packet captures"
    } else {
        "does not apply to synthetic data"
    };
    if !is_file && src != Source::Zeek && dataset.label.is_some() {
        p.push(Problem::new(
            "dataset.label",
            format!("the label column {why}; remove `label`"),
        ));
    }
    if !is_file && !is_flow && dataset.normal_labels.is_some() {
        p.push(Problem::new(
            "dataset.normal_labels",
            format!("the normal labels {why}; remove `normal_labels`"),
        ));
    }
    if !is_file && src != Source::Zeek && !dataset.categorical.is_empty() {
        let why = if src == Source::Pcap {
            "are all numeric for packet captures"
        } else {
            why
        };
        p.push(Problem::new(
            "dataset.categorical",
            format!("the categorical columns {why}; remove `categorical`"),
        ));
    }
    if let Some(labels) = &dataset.labels {
        if !is_flow {
            p.push(Problem::new(
                "dataset.labels",
                format!(
                    "`labels` (labelling rules) applies to sources pcap and zeek only (source is `{}`)",
                    src.as_str()
                ),
            ));
        } else if dataset.label.is_some() {
            p.push(Problem::new(
                "dataset.labels",
                "give either `label` (a label column of the log) or `labels` (rules), not both",
            ));
        }
        if let Some(f) = &dataset.files {
            let listed: Vec<&String> = f.train.iter().chain(&f.test).collect();
            for key in labels.files.keys() {
                let hit = listed.iter().any(|n| {
                    n.as_str() == key
                        || std::path::Path::new(n.as_str())
                            .file_name()
                            .is_some_and(|b| b == key.as_str())
                });
                if !hit {
                    let names: Vec<&str> = listed.iter().map(|s| s.as_str()).collect();
                    let hint = crate::diag::did_you_mean(key, names.iter().copied())
                        .map(|d| format!("; did you mean `{d}`?"))
                        .unwrap_or_default();
                    p.push(Problem::new(
                        "dataset.labels.files",
                        format!("`{key}` is not one of the files in `files`{hint}"),
                    ));
                }
            }
        }
        for (i, r) in labels.rules.iter().enumerate() {
            if r.label.trim().is_empty() {
                p.push(Problem::new(
                    format!("dataset.labels.rules[{i}].label"),
                    "a rule needs a non-empty label",
                ));
            }
        }
    }
    if dataset.extract.is_some() && src != Source::Pcap {
        p.push(Problem::new(
            "dataset.extract",
            format!(
                "flow extraction options apply to `source: pcap` only (source is `{}`)",
                src.as_str()
            ),
        ));
    }
    if is_flow && dataset.trim_column_names.is_some() {
        p.push(Problem::new(
            "dataset.trim_column_names",
            format!("does not apply to source `{}`", src.as_str()),
        ));
    }
    if (is_file || is_flow) && dataset.normal_labels.is_some() && dataset.target != Target::Binary {
        p.push(Problem::new(
            "dataset.normal_labels",
            "`normal_labels` applies to `target: binary` only (with `multiclass` the normal labels are listed first only when they use the default names)",
        ));
    }
    if let Some(n) = &dataset.normal_labels
        && n.is_empty()
    {
        p.push(Problem::new(
            "dataset.normal_labels",
            "list at least one normal label value",
        ));
    }
    if src == Source::Synthetic {
        if !dataset.drop.is_empty() {
            p.push(Problem::new(
                "dataset.drop",
                "does not apply to synthetic data",
            ));
        }
        if dataset.trim_column_names.is_some() {
            p.push(Problem::new(
                "dataset.trim_column_names",
                "does not apply to synthetic data",
            ));
        }
        if let Some(r) = dataset.rows
            && r < 100
        {
            p.push(Problem::new(
                "dataset.rows",
                format!("{r} rows is too few; generate at least 100"),
            ));
        }
    } else if dataset.rows.is_some() {
        p.push(Problem::new(
            "dataset.rows",
            "`rows` applies to `source: synthetic` only (use `max_rows` to subsample a file)",
        ));
    }
    if let Some(0) = dataset.max_rows {
        p.push(Problem::new("dataset.max_rows", "must be at least 1"));
    }

    let kind = split.kind_for(dataset);
    if kind == SplitKind::Official && !dataset.has_test_files() {
        let msg = match src {
            Source::Synthetic => "synthetic data has no official test file; use `kind: holdout` or `kind: kfold`".to_string(),
            Source::Csv | Source::Parquet | Source::Pcap | Source::Zeek => "`official` needs a test file: give `files: {train: ..., test: ...}`, or use `kind: holdout` or `kind: kfold`".to_string(),
            _ => format!(
                "source `{}` has no official test file; use `kind: holdout` or `kind: kfold`, or give `files: {{train: ..., test: ...}}`",
                src.as_str()
            ),
        };
        p.push(Problem::new("split.kind", msg));
    }
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
            p.push(Problem::new(
                "split.test_size",
                format!(
                    "`test_size` applies to `kind: holdout` only (kind is `{}`)",
                    kind.as_str()
                ),
            ));
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
            p.push(Problem::new(
                "split.folds",
                format!(
                    "`folds` applies to `kind: kfold` only (kind is `{}`)",
                    kind.as_str()
                ),
            ));
        }
    }
    if split.stratify.is_some() && kind == SplitKind::Official {
        p.push(Problem::new(
            "split.stratify",
            "`stratify` applies to holdout and kfold only",
        ));
    }
    if let (Some(max), Some(rows)) = (dataset.max_rows, dataset.rows)
        && max > rows
    {
        p.push(Problem::new(
            "dataset.max_rows",
            format!("{max} is more than `rows` ({rows})"),
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

    #[test]
    fn files_forms() {
        let one = ds(serde_json::json!({"source": "csv", "label": "y", "files": "a.csv"})).unwrap();
        assert_eq!(one.files.unwrap().train, ["a.csv"]);
        let list =
            ds(serde_json::json!({"source": "csv", "label": "y", "files": ["a.csv", "b.csv"]}))
                .unwrap();
        assert_eq!(list.files.unwrap().train, ["a.csv", "b.csv"]);
        let roles = ds(serde_json::json!({"source": "csv", "label": "y",
            "files": {"train": ["a.csv", "b.csv"], "test": "c.csv"}}))
        .unwrap();
        let f = roles.files.unwrap();
        assert_eq!((f.train.len(), f.test), (2, vec!["c.csv".to_string()]));
        let bad = ds(serde_json::json!({"source": "csv", "files": {"train": "a", "tset": "b"}}))
            .unwrap_err();
        assert!(bad.contains("unknown field `tset`"), "{bad}");
        let typo = ds(serde_json::json!({"source": "csv", "lable": "y"})).unwrap_err();
        assert!(typo.contains("unknown field `lable`"), "{typo}");
        let src = ds(serde_json::json!({"source": "kdd"})).unwrap_err();
        assert!(src.contains("unknown variant `kdd`"), "{src}");
    }

    #[test]
    fn all_problems_are_reported_with_paths() {
        let d = ds(
            serde_json::json!({"source": "synthetic", "target": "category",
            "label": "x", "rows": 10}),
        )
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
                "dataset.label",
                "dataset.rows",
                "split.kind",
                "split.test_size",
                "split.test_size",
                "split.folds",
                "split.folds",
            ],
            "{p:#?}"
        );
        assert!(p[3].message.contains("no official test file"));
        assert!(p[4].message.contains("outside (0, 1)"));
        assert!(p[6].message.contains("at least 2 folds"));
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
