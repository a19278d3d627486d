//! Data sources: where the rows of a `dataset:` section come from, and which options each
//! source takes. Each source is one options type in its own file implementing
//! [`DataSource`] (what differs by source: targets, option checks, locating and reading
//! files, non-feature columns, official test files) and [`SourceOptions`] (taking its
//! options from the parsed section). The loader does what every source shares: class
//! mapping, `drop`, categorical typing, `max_rows` and the splits.
//!
//! Adding a source: write `source/<name>.rs` (e.g. `SflowSource` in `sflow.rs`,
//! implementing both traits), declare `mod sflow;` below and register it with one line in
//! `sources!`:
//!
//! ```text
//!     Sflow("sflow") => sflow::SflowSource,
//! ```

mod catalog;
mod checks;
mod csv;
mod files;
mod netflow;
mod pcap;
mod synthetic;
mod zeek;

use std::fmt;
use std::ops::Deref;

use anomalab_flow::ExtractOptions;
use polars::prelude::{NamedFrom, StringChunked};
use serde::{Deserialize, Serialize};

use super::catalog::CatalogFile;
use super::csv_chunks::Keep;
use super::loaded::{LoadContext, LoadedData};
use super::options::{CaptureLabels, Checksums, ColumnsSpec, FilesSpec, Target};
use super::reader::{RawColumn, RawFile};
use super::{DataError, Problem};

pub use self::catalog::CatalogSource;
pub use self::csv::{TableOptions, TableSource};
pub(crate) use self::files::missing_label;
pub use self::netflow::NetflowSource;
pub use self::pcap::{PcapSource, pcap_feature_names};
pub use self::synthetic::SyntheticSource;
pub use self::zeek::{ZEEK_NON_FEATURES, ZeekSource};

/// What differs from one source to another.
pub trait DataSource: fmt::Debug + Sync {
    /// The spelling of the source in specs (`source: csv`).
    fn name(&self) -> &'static str;

    /// The targets the source offers (the first is the default, `binary`).
    fn targets(&self) -> &'static [Target];

    /// Problems with the source's own options, each with its `dataset.` field path.
    fn problems(&self, target: Target, max_rows: Option<usize>) -> Vec<Problem>;

    /// Whether the spec (or the catalog default) names official test files.
    fn has_test_files(&self) -> bool;

    /// Why `split.kind: official` cannot be used when there is no test file.
    fn no_test_files(&self) -> String {
        "`official` needs a test file: give `files: {train: ..., test: ...}`, or use `kind: holdout` or `kind: kfold`".into()
    }

    /// Columns of the files that are never features (labels, identifiers), sorted: saved
    /// with a model so that `predict` ignores them in new files.
    fn non_feature_columns(&self) -> Vec<String>;

    /// Locate and read the files (or generate the data) of a load.
    fn read(&self, req: &ReadRequest) -> Result<Input, DataError>;
}

/// Building a source's options from the parsed `dataset:` section, and back.
pub trait SourceOptions: DataSource + Sized {
    /// The option names the source takes (besides `source`, `target`, `max_rows` and
    /// `checksums`, which every source takes).
    const FIELDS: &'static [&'static str];

    /// Take the source's options out of `f` (whatever is left does not apply to it).
    fn take(name: &'static str, f: &mut Fields) -> Self;

    /// Write the options back (for the resolved spec).
    fn put(&self, f: &mut Fields);
}

/// Every option of the `dataset:` section, each `None` when absent: the form in which the
/// section is parsed (unknown keys are errors here) before its `source` takes the options
/// that apply to it. Also the form saved with a model ([`crate::persist::ModelHeader`]), so
/// that `predict` reads new files the way the training files were read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fields {
    pub source: Option<Source>,
    pub target: Option<Target>,
    pub files: Option<FilesSpec>,
    pub label: Option<String>,
    pub normal_labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnsSpec>,
    pub trim_column_names: Option<bool>,
    pub drop: Option<Vec<String>>,
    pub categorical: Option<Vec<String>>,
    pub rows: Option<usize>,
    pub max_rows: Option<usize>,
    pub checksums: Option<Checksums>,
    pub labels: Option<CaptureLabels>,
    pub extract: Option<ExtractOptions>,
}

/// The options every source takes.
pub const COMMON_FIELDS: &[&str] = &["source", "target", "max_rows", "checksums"];

impl Fields {
    /// The first option still present, in field order.
    fn first_present(&self) -> Option<&'static str> {
        [
            ("files", self.files.is_some()),
            ("label", self.label.is_some()),
            ("normal_labels", self.normal_labels.is_some()),
            ("header", self.header.is_some()),
            ("columns", self.columns.is_some()),
            ("trim_column_names", self.trim_column_names.is_some()),
            ("drop", self.drop.is_some()),
            ("categorical", self.categorical.is_some()),
            ("rows", self.rows.is_some()),
            ("labels", self.labels.is_some()),
            ("extract", self.extract.is_some()),
        ]
        .into_iter()
        .find_map(|(name, present)| present.then_some(name))
    }
}

/// What a load asks of a source.
pub struct ReadRequest<'a> {
    pub target: Target,
    pub checksums: Checksums,
    /// The split kind's name (for messages).
    pub split: &'static str,
    /// Whether official test files are loaded (`split.kind: official`).
    pub load_test: bool,
    /// Whether each row's label is read. Scoring new data reads the features only, so a
    /// file without the label column (or with labels no class mapping knows) can be scored.
    pub labels: bool,
    pub ctx: &'a LoadContext,
}

impl ReadRequest<'_> {
    /// Whether files are hashed.
    pub fn hash(&self) -> bool {
        self.checksums != Checksums::Off
    }
}

/// What a source hands the loader.
pub enum Input {
    /// Files read, for the loader's shared steps.
    Files(FileSet),
    /// Data made by the source itself (synthetic).
    Generated(LoadedData),
}

/// The files of a load with how to turn them into datasets.
pub struct FileSet {
    pub plan: Plan,
    /// Training files first, then test files.
    pub reads: Vec<Read>,
    /// Warnings of the reading (checksums, layouts, files not loaded).
    pub warnings: Vec<String>,
    /// Notes added after the loader's own warnings (packets skipped, ...).
    pub notes: Vec<String>,
    /// The first words of the description (`NSL-KDD`, `csv file(s)`, ...).
    pub title: String,
}

/// A file read for a load, with its catalog file and label texts.
pub struct Read {
    pub(crate) raw: RawFile,
    pub role: &'static str,
    pub cfile: Option<&'static CatalogFile>,
    pub labels: Vec<String>,
    pub raw_labels: Option<Vec<String>>,
}

/// How the columns of a source's files become labels and features.
pub struct Plan {
    /// Label column.
    pub label: String,
    /// Column of the original label text, when the label column is derived.
    pub raw_label: Option<String>,
    /// Names never used as features (labels, identifiers, `drop`).
    pub non_features: Vec<String>,
    pub categorical: Vec<String>,
    /// Catalog names are matched after trimming.
    pub match_trimmed: bool,
    pub default_mode: Mode,
    pub rule: ClassRule,
    /// Options that name columns (`dataset.drop`, ...), warned about when the first file
    /// lacks one.
    pub named_columns: Vec<(&'static str, Vec<String>)>,
    /// Whether a feature column some files lack is missing in their rows (Zeek logs, whose
    /// fields vary with the version and local scripts) rather than an error.
    pub fill_absent: bool,
}

impl Plan {
    /// How the feature column `name` is typed: categorical when the plan lists it, else
    /// the plan's default.
    pub fn mode_of(&self, name: &str) -> Mode {
        if self.categorical.iter().any(|c| self.same_name(c, name)) {
            Mode::Categorical
        } else {
            self.default_mode
        }
    }

    /// How the CSV reader keeps column `name`: numbers when it may be a numeric feature
    /// (converted as each chunk is read, the text not held), else text.
    pub(crate) fn keep(&self, name: &str) -> Keep {
        let label = [Some(&self.label), self.raw_label.as_ref()]
            .into_iter()
            .flatten()
            .any(|l| self.same_name(l, name));
        let feature = !self.non_features.iter().any(|x| self.same_name(x, name));
        if !label && feature && self.mode_of(name) != Mode::Categorical {
            Keep::NumbersIfAll
        } else {
            Keep::Text
        }
    }

    /// Whether two column names are the same under this plan.
    pub fn same_name(&self, a: &str, b: &str) -> bool {
        if self.match_trimmed {
            a.trim() == b.trim()
        } else {
            a == b
        }
    }
}

/// How a feature column is typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Categorical,
    /// Must be numeric: a non-numeric cell is an error.
    Numeric,
    /// Numeric when every non-empty cell parses as a number, else categorical.
    Infer,
}

/// The label mapping of a load.
pub enum ClassRule {
    Binary {
        normal: Vec<String>,
        ignore_case: bool,
    },
    Mapped {
        classes: Vec<String>,
        map: std::collections::BTreeMap<String, String>,
        table: String,
    },
    Multiclass {
        first: Vec<String>,
        ignore_case: bool,
    },
}

/// Name of the label column made from `labels` rules (not a valid Zeek field name, so it
/// cannot clash with a column of the log).
pub(crate) const LABEL_COLUMN: &str = "(labels)";

/// A label column of text cells named [`LABEL_COLUMN`].
fn label_column(labels: Vec<&str>) -> RawColumn {
    RawColumn::Text(StringChunked::new(LABEL_COLUMN.into(), labels))
}

/// Sorted, without duplicates.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

macro_rules! sources {
    ($($(#[$doc:meta])* $variant:ident($name:literal) => $ty:ty,)*) => {
        /// Where the data comes from (the `source:` of a `dataset:` section).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Source {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Source {
            /// The spelling used in specs.
            pub fn as_str(self) -> &'static str {
                match self { $(Source::$variant => $name,)* }
            }

            /// Every source with the options it takes.
            fn all() -> &'static [(Source, &'static [&'static str])] {
                &[$((Source::$variant, <$ty as SourceOptions>::FIELDS),)*]
            }
        }

        /// A source with its options: `source:` selects the variant.
        #[derive(Debug, Clone, PartialEq)]
        pub enum SourceSpec {
            $($variant($ty),)*
        }

        impl SourceSpec {
            /// Which source this is.
            pub fn kind(&self) -> Source {
                match self { $(SourceSpec::$variant(_) => Source::$variant,)* }
            }

            /// Take the options of source `kind` out of `f`.
            fn take(kind: Source, f: &mut Fields) -> Self {
                match kind {
                    $(Source::$variant => SourceSpec::$variant(<$ty>::take($name, f)),)*
                }
            }

            /// Write the options back into `f`.
            pub fn put(&self, f: &mut Fields) {
                match self { $(SourceSpec::$variant(s) => s.put(f),)* }
            }
        }

        impl Deref for SourceSpec {
            type Target = dyn DataSource;
            fn deref(&self) -> &(dyn DataSource + 'static) {
                match self { $(SourceSpec::$variant(s) => s,)* }
            }
        }
    };
}

sources! {
    /// NSL-KDD from the catalog (default files KDDTrain+ / KDDTest+).
    NslKdd("nsl_kdd") => CatalogSource,
    /// KDD Cup 1999 from the catalog (default files kddcup.data_10_percent / corrected).
    Kdd99("kdd99") => CatalogSource,
    /// UNSW-NB15 partitioned sets from the catalog (default files training-set /
    /// testing-set).
    UnswNb15("unsw_nb15") => CatalogSource,
    /// CIC-IDS2017 CICFlowMeter CSVs from the catalog (default files: the eight day files;
    /// no official test file).
    CicIds2017("cic_ids2017") => CatalogSource,
    /// Any CSV file(s) (plain or `.gz`) with a header and a declared label column.
    Csv("csv") => TableSource,
    /// Any Parquet file(s) with a declared label column.
    Parquet("parquet") => TableSource,
    /// Packet captures (pcap, pcapng, gzip of either): flows extracted with the `cic2017`
    /// feature set (the 78 MachineLearningCVE features), labelled by `labels`.
    Pcap("pcap") => PcapSource,
    /// Zeek `conn.log` files (TSV with `#fields`/`#types`, or JSON lines; plain or gzip),
    /// labelled by a label column (`label`) or by `labels` rules.
    Zeek("zeek") => ZeekSource,
    /// NetFlow/IPFIX records: nfdump CSV exports or captures of v5/v9/IPFIX export
    /// packets, labelled by `labels`.
    Netflow("netflow") => NetflowSource,
    /// Generated flow-like data (see `data::synthetic`); no files.
    Synthetic("synthetic") => SyntheticSource,
}

impl Source {
    /// The catalog name for catalog sources.
    pub fn catalog_name(self) -> Option<&'static str> {
        match self {
            Source::NslKdd | Source::Kdd99 | Source::UnswNb15 | Source::CicIds2017 => {
                Some(self.as_str())
            }
            _ => None,
        }
    }
}

impl SourceSpec {
    /// Source `kind` with every option at its default.
    pub fn new(kind: Source) -> Self {
        SourceSpec::take(kind, &mut Fields::default())
    }

    /// The spelling used in specs.
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Source `kind` with the options of `f`; an option that does not apply to it is an
    /// error naming the field, the sources it applies to and the fields of this one.
    pub fn from_fields(kind: Source, f: &mut Fields) -> Result<Self, String> {
        let spec = SourceSpec::take(kind, f);
        match f.first_present() {
            None => Ok(spec),
            Some(field) => Err(foreign_field(kind, field)),
        }
    }
}

/// The message for option `field` given to source `kind`, which does not take it. It
/// reads as serde's unknown-field message so that the spec checker points at the key and
/// suggests a near name.
fn foreign_field(kind: Source, field: &str) -> String {
    let takers: Vec<&str> = Source::all()
        .iter()
        .filter(|(_, fields)| fields.contains(&field))
        .map(|(s, _)| s.as_str())
        .collect();
    let own = Source::all()
        .iter()
        .find(|(s, _)| *s == kind)
        .map_or(&[][..], |(_, f)| *f);
    let expected: Vec<String> = COMMON_FIELDS
        .iter()
        .chain(own)
        .map(|f| format!("`{f}`"))
        .collect();
    format!(
        "unknown field `{field}` for source `{}` (it applies to source {}), expected one of {}",
        kind.as_str(),
        takers.join(", "),
        expected.join(", ")
    )
}
