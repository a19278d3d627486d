//! The option types of the `dataset:` section shared by several sources: the target, the
//! checksum policy, the data files, and the labelling rules of captures and logs.

use std::collections::BTreeMap;
use std::fmt;

use anomalab_flow::{LabelRule, LabelSpec};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// What to predict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Two classes `normal` (index 0) and `attack` (index 1). Every source.
    #[default]
    Binary,
    /// nsl_kdd and kdd99: the five categories normal, dos, probe, r2l, u2r (full table in
    /// `datasets/nsl_kdd.yaml`, including the attack names only found in the test files).
    Category,
    /// nsl_kdd, kdd99 and synthetic: one class per attack name (`normal` first).
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

impl FilesSpec {
    /// Whether `files` (absent = none) names official test files.
    pub fn has_test(files: Option<&FilesSpec>) -> bool {
        files.is_some_and(|f| !f.test.is_empty())
    }
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

/// Default `dataset.rows` for synthetic data.
pub const DEFAULT_SYNTHETIC_ROWS: usize = 20_000;
/// Default `dataset.normal_labels` for csv/parquet binary targets.
pub const DEFAULT_NORMAL_LABELS: [&str; 3] = ["normal", "benign", "0"];

/// `dataset.columns` of a header-less CSV: the column names in file order, each given
/// inline or as a file of names. A file of names has one name a line, or NSL-KDD's
/// `field_names.csv` layout `name,type` (a `symbolic` type makes the column categorical).
///
/// ```yaml
/// columns: [duration, protocol_type, label]                  # inline
/// columns: field_names.csv                                   # a file of names
/// columns: [{file: field_names.csv}, label, difficulty]      # both, in order
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ColumnsSpec(pub Vec<ColumnEntry>);

/// One entry of [`ColumnsSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum ColumnEntry {
    /// A column name.
    Name(String),
    /// The names listed in a file (resolved like the data files).
    File {
        /// Path of the file of names.
        file: String,
    },
}

impl<'de> Deserialize<'de> for ColumnsSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ColumnsSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file of column names, or a list of names and `{file: PATH}` entries")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ColumnsSpec, E> {
                Ok(ColumnsSpec(vec![ColumnEntry::File {
                    file: v.to_string(),
                }]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ColumnsSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<ColumnEntry>()? {
                    out.push(e);
                }
                Ok(ColumnsSpec(out))
            }
        }
        d.deserialize_any(V)
    }
}
