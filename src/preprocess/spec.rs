//! The `preprocessing:` section of a spec: an ordered list of steps.

use serde::{Deserialize, Serialize};

/// One preprocessing step, written as a single-key mapping, e.g. `- scale: {method: robust}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    /// Remove these columns (names as in the data).
    DropColumns(Vec<String>),
    /// Deal with non-finite numbers and duplicate rows.
    Clean(CleanSpec),
    /// Turn categorical columns into numbers.
    Encode(EncodeSpec),
    /// Scale numeric features.
    Scale(ScaleSpec),
    /// Project onto principal components.
    Pca(PcaSpec),
    /// Resample the training rows to balance classes (training rows only).
    Balance(BalanceSpec),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanSpec {
    /// What to do with NaN and +-Infinity cells (default `median`).
    #[serde(default)]
    pub non_finite: NonFinite,
    /// Drop duplicate training rows (same features and label; default false).
    #[serde(default)]
    pub drop_duplicates: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonFinite {
    /// Drop training rows that have one; at test and predict time such cells are replaced
    /// by the training median, so every row is still scored.
    Drop,
    /// Replace by the training median of the column (default).
    #[default]
    Median,
    /// Replace by the training mean of the column.
    Mean,
    /// Replace by zero.
    Zero,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeSpec {
    /// `onehot` (default) or `ordinal`.
    #[serde(default)]
    pub method: EncodeMethod,
    /// A category not seen in training: `ignore` (default: all-zero one-hot, -1 ordinal,
    /// counted in the run's warnings) or `error`.
    #[serde(default)]
    pub unseen: Unseen,
    /// Keep at most this many categories per column (most frequent first); the rest share
    /// one `__other__` column. Default: keep all.
    #[serde(default)]
    pub max_categories: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodeMethod {
    #[default]
    Onehot,
    Ordinal,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unseen {
    #[default]
    Ignore,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    /// `standard` (default: zero mean, unit variance), `minmax` ([0, 1]) or `robust`
    /// (median and interquartile range).
    #[serde(default)]
    pub method: ScaleMethod,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleMethod {
    #[default]
    Standard,
    Minmax,
    Robust,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcaSpec {
    /// Keep the fewest components whose explained variance reaches this fraction (default 0.95).
    #[serde(default)]
    pub variance: Option<f64>,
    /// Or keep exactly this many components.
    #[serde(default)]
    pub components: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceSpec {
    /// `undersample` (majority classes down to the size of the smallest class times `ratio`)
    /// or `oversample` (minority classes up to the largest class, with replacement).
    pub method: BalanceMethod,
    /// Undersampling: keep at most `ratio` x the smallest class per class (default 1.0).
    #[serde(default = "one")]
    pub ratio: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceMethod {
    Undersample,
    Oversample,
}

impl StepSpec {
    pub fn name(&self) -> &'static str {
        match self {
            StepSpec::DropColumns(_) => "drop_columns",
            StepSpec::Clean(_) => "clean",
            StepSpec::Encode(_) => "encode",
            StepSpec::Scale(_) => "scale",
            StepSpec::Pca(_) => "pca",
            StepSpec::Balance(_) => "balance",
        }
    }

    /// One line for reports.
    pub fn describe(&self) -> String {
        match self {
            StepSpec::DropColumns(c) => format!("drop columns {}", c.join(", ")),
            StepSpec::Clean(c) => format!(
                "non-finite cells: {:?}{}",
                c.non_finite,
                if c.drop_duplicates {
                    "; drop duplicate rows"
                } else {
                    ""
                }
            )
            .to_lowercase(),
            StepSpec::Encode(e) => {
                format!("{:?} encoding, unseen categories: {:?}", e.method, e.unseen).to_lowercase()
            }
            StepSpec::Scale(s) => format!("{:?} scaling", s.method).to_lowercase(),
            StepSpec::Pca(p) => match (p.components, p.variance) {
                (Some(k), _) => format!("PCA, {k} components"),
                (None, v) => format!(
                    "PCA keeping {:.0}% of the variance",
                    v.unwrap_or(0.95) * 100.0
                ),
            },
            StepSpec::Balance(b) => {
                format!("{:?} classes (training rows only)", b.method).to_lowercase()
            }
        }
    }

    /// Value checks that serde cannot express.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            StepSpec::DropColumns(c) if c.is_empty() => {
                out.push("drop_columns: the list is empty".into())
            }
            StepSpec::Encode(EncodeSpec {
                max_categories: Some(0),
                ..
            }) => out.push("encode.max_categories must be at least 1".into()),
            StepSpec::Pca(p) => match (p.variance, p.components) {
                (Some(_), Some(_)) => {
                    out.push("pca: give `variance` or `components`, not both".into())
                }
                (Some(v), None) if !(v > 0.0 && v <= 1.0) => {
                    out.push(format!("pca.variance must be in (0, 1], found {v}"))
                }
                (None, Some(0)) => out.push("pca.components must be at least 1".into()),
                _ => {}
            },
            StepSpec::Balance(b) if !(b.ratio >= 1.0 && b.ratio.is_finite()) => {
                out.push(format!("balance.ratio must be >= 1, found {}", b.ratio))
            }
            _ => {}
        }
        out
    }

    /// Steps that work on named table columns (before everything is numeric).
    pub fn is_table_step(&self) -> bool {
        matches!(
            self,
            StepSpec::DropColumns(_) | StepSpec::Clean(_) | StepSpec::Encode(_)
        )
    }
}
