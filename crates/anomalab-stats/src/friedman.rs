//! Comparing k treatments (models) over n blocks (datasets): the Friedman test as
//! `scipy.stats.friedmanchisquare`, the Nemenyi post-hoc p-values as scikit-posthocs'
//! `posthoc_nemenyi_friedman`, and the critical difference of Demšar (2006).
//!
//! `data[b][t]` is treatment t's value on block b. Ranks go by value ascending within a
//! block, as scipy does; a caller who wants rank 1 for the best of a higher-is-better
//! metric passes the values negated (the statistics do not change).

use crate::dist::{chi2_sf, studentized_range_ppf, studentized_range_sf};
use crate::rank::{rankdata, tie_sizes};
use crate::{Result, StatsError, check_finite};

/// The Friedman test's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Friedman {
    /// The tie-corrected chi-square statistic.
    pub statistic: f64,
    /// P(chi-square with k - 1 degrees of freedom > statistic).
    pub p_value: f64,
    /// Each treatment's mean rank over the blocks.
    pub mean_ranks: Vec<f64>,
    pub n_blocks: usize,
}

/// Pairwise Nemenyi p-values (symmetric, 1 on the diagonal) and the mean ranks.
#[derive(Debug, Clone, PartialEq)]
pub struct Nemenyi {
    pub p_values: Vec<Vec<f64>>,
    pub mean_ranks: Vec<f64>,
    pub n_blocks: usize,
}

fn block_ranks(what: &'static str, data: &[Vec<f64>], min_k: usize) -> Result<Vec<Vec<f64>>> {
    if data.len() < 2 {
        return Err(StatsError::TooFew {
            what,
            needed: 2,
            unit: "blocks",
            got: data.len(),
        });
    }
    let k = data[0].len();
    if k < min_k {
        return Err(StatsError::TooFew {
            what,
            needed: min_k,
            unit: "treatments",
            got: k,
        });
    }
    for (b, row) in data.iter().enumerate() {
        if row.len() != k {
            return Err(StatsError::RaggedBlocks {
                what,
                block: b,
                got: row.len(),
                expected: k,
            });
        }
        check_finite(what, row)?;
    }
    Ok(data.iter().map(|row| rankdata(row)).collect())
}

fn mean_ranks(ranks: &[Vec<f64>]) -> Vec<f64> {
    let k = ranks[0].len();
    let n = ranks.len() as f64;
    (0..k)
        .map(|t| ranks.iter().map(|r| r[t]).sum::<f64>() / n)
        .collect()
}

/// The Friedman test: at least 3 treatments (as scipy) and 2 blocks.
pub fn friedman(data: &[Vec<f64>]) -> Result<Friedman> {
    const WHAT: &str = "Friedman test";
    let ranks = block_ranks(WHAT, data, 3)?;
    let (n, k) = (ranks.len() as f64, ranks[0].len() as f64);
    let ties: f64 = data
        .iter()
        .flat_map(|row| tie_sizes(row))
        .map(|t| {
            let t = t as f64;
            t * (t * t - 1.0)
        })
        .sum();
    let c = 1.0 - ties / (k * (k * k - 1.0) * n);
    if c <= 0.0 {
        return Err(StatsError::AllTied { what: WHAT });
    }
    let sums: f64 = (0..ranks[0].len())
        .map(|t| ranks.iter().map(|r| r[t]).sum::<f64>().powi(2))
        .sum();
    let statistic = (12.0 / (k * n * (k + 1.0)) * sums - 3.0 * n * (k + 1.0)) / c;
    Ok(Friedman {
        statistic,
        p_value: chi2_sf(statistic, k - 1.0),
        mean_ranks: mean_ranks(&ranks),
        n_blocks: ranks.len(),
    })
}

/// Nemenyi's post-hoc test after Friedman: for treatments i and j,
/// q = |R_i - R_j| / sqrt(k(k+1)/(6n)) and p = P(studentized range(k, ∞) > q·√2).
pub fn nemenyi(data: &[Vec<f64>]) -> Result<Nemenyi> {
    let ranks = block_ranks("Nemenyi test", data, 2)?;
    let (n, k) = (ranks.len(), ranks[0].len());
    let mean = mean_ranks(&ranks);
    let scale = (k as f64 * (k as f64 + 1.0) / (6.0 * n as f64)).sqrt();
    let mut p_values = vec![vec![1.0; k]; k];
    for i in 0..k {
        for j in i + 1..k {
            let q = (mean[i] - mean[j]).abs() / scale;
            let p = studentized_range_sf(q * std::f64::consts::SQRT_2, k);
            p_values[i][j] = p;
            p_values[j][i] = p;
        }
    }
    Ok(Nemenyi {
        p_values,
        mean_ranks: mean,
        n_blocks: n,
    })
}

/// Demšar's critical difference for `k` treatments over `n_blocks` blocks:
/// q_alpha · sqrt(k(k+1)/(6N)), q_alpha = studentized range (k, ∞) quantile 1-alpha / √2.
pub fn critical_difference(k: usize, n_blocks: usize, alpha: f64) -> Result<f64> {
    const WHAT: &str = "critical difference";
    if k < 2 {
        return Err(StatsError::TooFew {
            what: WHAT,
            needed: 2,
            unit: "treatments",
            got: k,
        });
    }
    if n_blocks < 2 {
        return Err(StatsError::TooFew {
            what: WHAT,
            needed: 2,
            unit: "blocks",
            got: n_blocks,
        });
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::BadParameter {
            what: WHAT,
            name: "alpha",
            expected: "in (0, 1)",
            got: alpha,
        });
    }
    let q_alpha = studentized_range_ppf(1.0 - alpha, k) / std::f64::consts::SQRT_2;
    let kf = k as f64;
    Ok(q_alpha * (kf * (kf + 1.0) / (6.0 * n_blocks as f64)).sqrt())
}
