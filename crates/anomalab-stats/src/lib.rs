//! Statistics for comparing models, each equal to the reference implementation it names
//! (scipy, scikit-posthocs) on the committed cases of `scripts/ref_stats.py`.
//!
//! * [`rank`]: average ranks with ties ([`rankdata`], as `scipy.stats.rankdata`).
//! * [`friedman`]: the Friedman test over blocks (datasets) and treatments (models),
//!   the Nemenyi post-hoc p-values and Demšar's critical difference.
//! * [`wilcoxon`]: the Wilcoxon signed-rank test as `scipy.stats.wilcoxon` decides its
//!   method, with the matched-pairs rank-biserial effect size.
//! * [`ttest`]: the paired t-test and the corrected resampled t-test (Nadeau & Bengio).
//! * [`holm`]: Holm's step-down adjustment of p-values.
//! * [`summary`]: mean, standard deviation and the 95 % t interval.
//! * [`dist`]: the distributions behind them (normal, chi-square, Student t, studentized
//!   range), from the regularised incomplete gamma and beta functions.
//!
//! Pure Rust, no dependency but `thiserror`: the report and the runner both use it.

pub mod dist;
pub mod friedman;
pub mod holm;
pub mod rank;
pub mod summary;
pub mod ttest;
pub mod wilcoxon;

pub use friedman::{Friedman, Nemenyi, critical_difference, friedman, nemenyi};
pub use holm::holm;
pub use rank::rankdata;
pub use summary::{Summary, summary};
pub use ttest::{TTest, corrected_resampled_t, paired_t};
pub use wilcoxon::{Wilcoxon, WilcoxonMethod, wilcoxon};

/// Input a statistic is not defined for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("{what} needs at least {needed} {unit}, got {got}")]
    TooFew {
        what: &'static str,
        needed: usize,
        unit: &'static str,
        got: usize,
    },
    #[error("{what}: the two samples have different lengths ({left} and {right})")]
    LengthMismatch {
        what: &'static str,
        left: usize,
        right: usize,
    },
    #[error("{what}: block {block} has {got} values, the first block has {expected}")]
    RaggedBlocks {
        what: &'static str,
        block: usize,
        got: usize,
        expected: usize,
    },
    #[error("{what}: every difference is zero, so there is nothing to test")]
    AllZero { what: &'static str },
    #[error("{what}: the differences have zero variance, so the statistic is undefined")]
    ZeroVariance { what: &'static str },
    #[error("{what}: every block ties all its values, so the statistic is undefined")]
    AllTied { what: &'static str },
    #[error("{what}: a value is not finite (NaN or infinite)")]
    NotFinite { what: &'static str },
    #[error("{what}: {name} must be {expected}, got {got}")]
    BadParameter {
        what: &'static str,
        name: &'static str,
        expected: &'static str,
        got: f64,
    },
}

pub type Result<T> = std::result::Result<T, StatsError>;

pub(crate) fn check_finite(what: &'static str, x: &[f64]) -> Result<()> {
    if x.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(StatsError::NotFinite { what })
    }
}

pub(crate) fn check_paired(what: &'static str, x: &[f64], y: &[f64]) -> Result<()> {
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            what,
            left: x.len(),
            right: y.len(),
        });
    }
    check_finite(what, x)?;
    check_finite(what, y)
}
