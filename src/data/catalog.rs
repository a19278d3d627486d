//! The dataset catalog: one descriptor per known public dataset (`datasets/*.yaml` at the
//! repository root, embedded in the binary so it works from any directory).
//!
//! A descriptor says where the dataset comes from and how to obtain it, how to cite it,
//! how its files are laid out (header or not, label columns, columns to drop, categorical
//! columns), which targets it offers (`binary`, `category`, ...), and, per file, the
//! accepted file names, the sha256 of the uncompressed content, and the row and class
//! counts. Counts that were recomputed from a real copy carry a `verified` note; the others
//! are published values and are reported as unverified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::DataError;

/// The embedded descriptor files, by file name.
const SOURCES: [(&str, &str); 4] = [
    ("nsl_kdd.yaml", include_str!("../../datasets/nsl_kdd.yaml")),
    ("kdd99.yaml", include_str!("../../datasets/kdd99.yaml")),
    (
        "unsw_nb15.yaml",
        include_str!("../../datasets/unsw_nb15.yaml"),
    ),
    (
        "cic_ids2017.yaml",
        include_str!("../../datasets/cic_ids2017.yaml"),
    ),
];

/// One dataset of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// Catalog name used in specs (`nsl_kdd`).
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// Official page of the dataset.
    pub homepage: String,
    /// How to obtain the files and where to put them.
    pub obtain: String,
    /// How to cite the dataset.
    pub citation: String,
    /// What is known about the licence.
    pub licence: String,
    /// Subdirectories of the data directory searched for the files, in order (`.` = the
    /// data directory itself).
    pub dirs: Vec<String>,
    /// How the files are laid out.
    pub format: FileFormat,
    /// Known column layouts (only for datasets published in several layouts).
    #[serde(default)]
    pub layouts: Vec<Layout>,
    /// The targets this dataset offers, by name.
    pub targets: BTreeMap<String, TargetDef>,
    /// File ids used when a spec names no files.
    pub default_files: DefaultFiles,
    /// Every known file.
    pub files: Vec<CatalogFile>,
}

/// File layout shared by every file of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFormat {
    /// Whether the first line is a header.
    pub header: bool,
    /// Column names for files without a header.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Columns holding labels: never features.
    pub label_columns: Vec<String>,
    /// Text every label ends with, stripped on load (KDD Cup 99 writes `normal.`).
    #[serde(default)]
    pub label_suffix: Option<String>,
    /// Other columns that are not features (identifiers, difficulty levels). Names that a
    /// file does not have are ignored.
    pub drop: Vec<String>,
    /// Columns read as categories; every other feature column must be numeric.
    pub categorical: Vec<String>,
    /// Whether header names are trimmed of surrounding spaces on load.
    pub trim_column_names: bool,
}

impl FileFormat {
    /// A label without the suffix every label of the dataset is written with.
    pub fn strip_label<'a>(&self, label: &'a str) -> &'a str {
        match &self.label_suffix {
            Some(sfx) => label.strip_suffix(sfx.as_str()).unwrap_or(label),
            None => label,
        }
    }
}

/// A named column layout (e.g. CIC-IDS2017's 85- and 79-column files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub columns: usize,
    pub note: String,
}

/// How a target's classes are made from a label column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetDef {
    /// Two classes `["normal", "attack"]`: values listed in `normal` are normal, every other
    /// value is an attack.
    Binary {
        column: String,
        normal: Vec<String>,
        /// Column kept as the per-row raw label (default: `column`).
        #[serde(default)]
        raw_column: Option<String>,
    },
    /// Fixed classes; every label value must be in `map`.
    Mapped {
        column: String,
        classes: Vec<String>,
        map: BTreeMap<String, String>,
    },
    /// One class per distinct value: the values in `first` (when present) first, then the
    /// others in alphabetical order.
    Multiclass { column: String, first: Vec<String> },
}

impl TargetDef {
    /// The label column this target reads.
    pub fn column(&self) -> &str {
        match self {
            TargetDef::Binary { column, .. }
            | TargetDef::Mapped { column, .. }
            | TargetDef::Multiclass { column, .. } => column,
        }
    }
}

/// File ids used when a spec names no files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultFiles {
    pub train: Vec<String>,
    pub test: Vec<String>,
}

/// What a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    Train,
    Test,
    /// Not part of the distribution (e.g. a head of a file kept as a fixture).
    Sample,
}

/// One known file of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Short id (`KDDTrain+`).
    pub id: String,
    pub role: FileRole,
    /// Accepted file names (plain and `.gz`).
    pub names: Vec<String>,
    /// sha256 of the uncompressed content, when known.
    pub sha256: Option<String>,
    /// Data rows (header not counted), when known.
    pub rows: Option<usize>,
    /// Columns in the file (label and dropped columns included), when known.
    #[serde(default)]
    pub columns: Option<usize>,
    /// Layout name (see [`CatalogEntry::layouts`]).
    #[serde(default)]
    pub layout: Option<String>,
    /// Class counts per target name.
    #[serde(default)]
    pub class_counts: BTreeMap<String, BTreeMap<String, usize>>,
    /// What was recomputed from a real copy; `None` = published values, unverified here.
    pub verified: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl CatalogEntry {
    /// The file with this id.
    pub fn file(&self, id: &str) -> Option<&CatalogFile> {
        self.files.iter().find(|f| f.id == id)
    }

    /// The catalog file a user-given file name refers to (by base name, `.gz` or not).
    pub fn file_by_name(&self, name: &str) -> Option<&CatalogFile> {
        let base = Path::new(name)
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or(name);
        self.files
            .iter()
            .find(|f| f.names.iter().any(|n| n == base))
    }

    /// Every path where a file called `name` is looked for, in order.
    pub fn candidate_paths(&self, data_dir: &Path, name: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for d in &self.dirs {
            let p = if d == "." {
                data_dir.join(name)
            } else {
                data_dir.join(d).join(name)
            };
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The first existing path of a catalog file, or every path that was tried.
    pub fn locate(&self, data_dir: &Path, file: &CatalogFile) -> Result<PathBuf, Vec<PathBuf>> {
        let mut tried = Vec::new();
        for name in &file.names {
            for p in self.candidate_paths(data_dir, name) {
                if p.is_file() {
                    return Ok(p);
                }
                tried.push(p);
            }
        }
        Err(tried)
    }

    /// The sentence appended to a missing-file error.
    pub fn obtain_hint(&self) -> String {
        format!("how to obtain {}: {}", self.title, self.obtain)
    }
}

/// A column-count error with what the file looks like: a header-less catalog dataset of
/// that many columns, other than `given` (the source the file was given to), and the
/// `source:` that reads it.
pub(crate) fn with_layout_hint(e: DataError, given: Option<&CatalogEntry>) -> DataError {
    let DataError::ColumnCount {
        path,
        line,
        expected,
        found,
        first,
        hint: _,
    } = e
    else {
        return e;
    };
    let mut hint = String::new();
    if let Some(g) = given {
        hint.push_str(&format!("; a {} file has {expected} columns", g.name));
    }
    hint.push_str(&layout_hint(found, given));
    DataError::ColumnCount {
        path,
        line,
        expected,
        found,
        first,
        hint,
    }
}

/// "; N columns without a header is the layout of ...: use that source" for the
/// header-less catalog datasets of `columns` columns other than `given` (empty if none).
pub(crate) fn layout_hint(columns: usize, given: Option<&CatalogEntry>) -> String {
    let like: Vec<String> = catalog()
        .map(|c| c.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !c.format.header && c.format.columns.len() == columns)
        .filter(|c| given.is_none_or(|g| g.name != c.name))
        .map(|c| format!("{} (`source: {}`)", c.title, c.name))
        .collect();
    if like.is_empty() {
        return String::new();
    }
    format!(
        "; {columns} columns without a header is the layout of {}: use that source",
        like.join(" or ")
    )
}

/// Every catalog descriptor, parsed once.
pub fn catalog() -> Result<&'static [CatalogEntry], DataError> {
    static CATALOG: OnceLock<Result<Vec<CatalogEntry>, DataError>> = OnceLock::new();
    match CATALOG.get_or_init(parse_all) {
        Ok(v) => Ok(v),
        Err(DataError::Catalog { file, message }) => Err(DataError::Catalog {
            file: file.clone(),
            message: message.clone(),
        }),
        Err(e) => Err(DataError::Catalog {
            file: String::new(),
            message: e.to_string(),
        }),
    }
}

/// The catalog entry called `name`.
pub fn entry(name: &str) -> Result<&'static CatalogEntry, DataError> {
    catalog()?
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| DataError::Catalog {
            file: format!("{name}.yaml"),
            message: format!("no catalog entry `{name}`"),
        })
}

fn parse_all() -> Result<Vec<CatalogEntry>, DataError> {
    SOURCES
        .iter()
        .map(|(file, text)| {
            parse_entry(text).map_err(|message| DataError::Catalog {
                file: (*file).to_string(),
                message,
            })
        })
        .collect()
}

/// Parse one descriptor (YAML text).
pub fn parse_entry(text: &str) -> Result<CatalogEntry, String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    let doc = docs.into_iter().next().ok_or("empty document")?;
    let value = yaml_to_json(doc)?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// Convert a parsed YAML document to a JSON value so that serde can type it.
pub(crate) fn yaml_to_json(y: yaml_rust2::Yaml) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(s) => {
            let f: f64 = s.parse().map_err(|_| format!("bad number `{s}`"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("non-finite number `{s}`"))?
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Array(a) => Value::Array(a.into_iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = serde_json::Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                m.insert(key, yaml_to_json(v)?);
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err("unsupported YAML node".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_is_consistent() {
        let cat = catalog().unwrap();
        let names: Vec<&str> = cat.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["nsl_kdd", "kdd99", "unsw_nb15", "cic_ids2017"]);
        for e in cat {
            // default files exist, targets read a label column, counts sum to rows
            for id in e.default_files.train.iter().chain(&e.default_files.test) {
                assert!(e.file(id).is_some(), "{}: default file {id}", e.name);
            }
            for (tn, t) in &e.targets {
                assert!(
                    e.format.label_columns.iter().any(|c| c == t.column()),
                    "{}: target {tn}",
                    e.name
                );
            }
            for f in &e.files {
                for (t, counts) in &f.class_counts {
                    assert!(e.targets.contains_key(t), "{}: {t}", f.id);
                    if let Some(rows) = f.rows {
                        assert_eq!(counts.values().sum::<usize>(), rows, "{} {t}", f.id);
                    }
                }
                if let Some(s) = &f.sha256 {
                    assert_eq!(s.len(), 64);
                }
            }
        }
    }

    #[test]
    fn nsl_kdd_descriptor_has_41_features_and_full_category_table() {
        let e = entry("nsl_kdd").unwrap();
        assert_eq!(e.format.columns.len(), 43);
        let features = e
            .format
            .columns
            .iter()
            .filter(|c| !e.format.label_columns.contains(c) && !e.format.drop.contains(c))
            .count();
        assert_eq!(features, 41);
        let TargetDef::Mapped { classes, map, .. } = &e.targets["category"] else {
            panic!("category target is not mapped")
        };
        assert_eq!(classes, &["normal", "dos", "probe", "r2l", "u2r"]);
        // 22 training attack names + 17 names only in the test files + normal
        assert_eq!(map.len(), 40);
        for test_only in [
            "apache2",
            "mailbomb",
            "processtable",
            "udpstorm",
            "mscan",
            "saint",
            "httptunnel",
            "ps",
            "sqlattack",
            "xterm",
            "named",
            "sendmail",
            "snmpgetattack",
            "snmpguess",
            "worm",
            "xlock",
            "xsnoop",
        ] {
            assert!(map.contains_key(test_only), "{test_only}");
        }
        assert_eq!(map["httptunnel"], "u2r");
        assert_eq!(map["worm"], "r2l");
    }

    /// KDD Cup 99 is NSL-KDD's layout without the difficulty column, its labels written with
    /// a dot, and the same category table; the sha256 values are the issue's.
    #[test]
    fn kdd99_descriptor_is_nsl_kdd_without_difficulty_and_with_the_same_categories() {
        let (k, n) = (entry("kdd99").unwrap(), entry("nsl_kdd").unwrap());
        assert_eq!(k.format.columns.len(), 42);
        assert_eq!(k.format.columns[..], n.format.columns[..42]);
        assert_eq!(k.format.label_suffix.as_deref(), Some("."));
        assert_eq!(k.format.strip_label("smurf."), "smurf");
        assert_eq!(k.targets["category"], n.targets["category"]);
        let sha = |id: &str| k.file(id).unwrap().sha256.clone();
        assert_eq!(
            sha("kddcup.data_10_percent").as_deref(),
            Some("f8c8267ebcd9c0ed1fd7d6277fe5bfff8732e9b7db8e61b873542b2a534b6f9a")
        );
        assert_eq!(
            sha("corrected").as_deref(),
            Some("547dfb9c0f0dc1d9944219ec79e851191faebaeb8acbfa1cd171c418397052a4")
        );
        assert_eq!(sha("kddcup.data"), None);
        assert_eq!(k.file("kddcup.data").unwrap().rows, Some(4_898_431));
    }

    #[test]
    fn file_lookup_by_name_and_candidates() {
        let e = entry("unsw_nb15").unwrap();
        assert_eq!(
            e.file_by_name("sub/UNSW_NB15_training-set.csv.gz")
                .map(|f| f.id.as_str()),
            Some("training-set")
        );
        let c = e.candidate_paths(Path::new("D"), "x.csv");
        assert_eq!(
            c.first().unwrap(),
            &Path::new("D").join("unsw-nb15").join("x.csv")
        );
        assert_eq!(c.last().unwrap(), &Path::new("D").join("x.csv"));
    }
}
