//! Paired t-tests on per-split scores of two models evaluated on the same splits.
//!
//! * [`paired_t`]: `scipy.stats.ttest_rel`, two-sided.
//! * [`corrected_resampled_t`]: Nadeau & Bengio (2003): the splits of a repeated k-fold
//!   share training rows, so the variance of the mean difference is not var/J but
//!   var · (1/J + n_test/n_train); the t statistic uses that, with J - 1 degrees of
//!   freedom (Bouckaert & Frank 2004 for repeated k-fold).

use crate::dist::t_sf;
use crate::{Result, StatsError, check_paired};

#[derive(Debug, Clone, PartialEq)]
pub struct TTest {
    pub statistic: f64,
    pub df: f64,
    /// Two-sided.
    pub p_value: f64,
    /// mean(x - y).
    pub mean_difference: f64,
}

fn differences(what: &'static str, x: &[f64], y: &[f64]) -> Result<(f64, f64, usize)> {
    check_paired(what, x, y)?;
    let n = x.len();
    if n < 2 {
        return Err(StatsError::TooFew {
            what,
            needed: 2,
            unit: "pairs",
            got: n,
        });
    }
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    if var == 0.0 {
        return Err(if mean == 0.0 {
            StatsError::AllZero { what }
        } else {
            StatsError::ZeroVariance { what }
        });
    }
    Ok((mean, var, n))
}

fn two_sided(statistic: f64, df: f64, mean_difference: f64) -> TTest {
    TTest {
        statistic,
        df,
        p_value: (2.0 * t_sf(statistic.abs(), df)).min(1.0),
        mean_difference,
    }
}

/// The paired t-test of x against y.
pub fn paired_t(x: &[f64], y: &[f64]) -> Result<TTest> {
    let (mean, var, n) = differences("paired t-test", x, y)?;
    let t = mean / (var / n as f64).sqrt();
    Ok(two_sided(t, (n - 1) as f64, mean))
}

/// The corrected resampled t-test over J paired splits with `n_train` training and
/// `n_test` test rows each (per split; their ratio is what matters).
pub fn corrected_resampled_t(x: &[f64], y: &[f64], n_train: f64, n_test: f64) -> Result<TTest> {
    const WHAT: &str = "corrected resampled t-test";
    if !(n_train > 0.0 && n_train.is_finite()) {
        return Err(StatsError::BadParameter {
            what: WHAT,
            name: "n_train",
            expected: "positive",
            got: n_train,
        });
    }
    if !(n_test > 0.0 && n_test.is_finite()) {
        return Err(StatsError::BadParameter {
            what: WHAT,
            name: "n_test",
            expected: "positive",
            got: n_test,
        });
    }
    let (mean, var, j) = differences(WHAT, x, y)?;
    let t = mean / ((1.0 / j as f64 + n_test / n_train) * var).sqrt();
    Ok(two_sided(t, (j - 1) as f64, mean))
}
