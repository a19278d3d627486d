//! The Wilcoxon signed-rank test, two-sided, with scipy's defaults (`zero_method="wilcox"`,
//! `correction=False`, `method="auto"`), deciding the method as scipy 1.17 does:
//!
//! * more than 50 pairs (zeros included): the normal approximation, tie-corrected;
//! * otherwise, no ties and no zeros: the exact null distribution of R+;
//! * otherwise, at most 13 pairs: the permutation test, which with 2^n <= 8192 sign
//!   patterns enumerates them all and so is exact for the tied ranks;
//! * otherwise: the normal approximation.
//!
//! The effect size is the matched-pairs rank-biserial correlation (Kerby 2014),
//! (R+ - R-) / (R+ + R-) over the nonzero differences: +1 when every difference is
//! positive.

use crate::dist::normal_sf;
use crate::rank::{rankdata, tie_sizes};
use crate::{Result, StatsError, check_paired};

/// How the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WilcoxonMethod {
    Exact,
    Permutation,
    Normal,
}

impl WilcoxonMethod {
    pub fn name(self) -> &'static str {
        match self {
            WilcoxonMethod::Exact => "exact",
            WilcoxonMethod::Permutation => "permutation (all sign patterns)",
            WilcoxonMethod::Normal => "normal approximation",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Wilcoxon {
    /// min(R+, R-), as scipy reports for a two-sided test.
    pub statistic: f64,
    pub p_value: f64,
    pub method: WilcoxonMethod,
    /// Pairs with a nonzero difference (the ones ranked).
    pub n_nonzero: usize,
    /// Matched-pairs rank-biserial correlation of x - y, in [-1, 1].
    pub rank_biserial: f64,
}

/// The two-sided test of x - y centred on zero.
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Result<Wilcoxon> {
    const WHAT: &str = "Wilcoxon signed-rank test";
    check_paired(WHAT, x, y)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let nonzero: Vec<f64> = d.iter().copied().filter(|v| *v != 0.0).collect();
    if nonzero.is_empty() {
        return Err(StatsError::AllZero { what: WHAT });
    }
    let abs: Vec<f64> = nonzero.iter().map(|v| v.abs()).collect();
    let ranks = rankdata(&abs);
    // An empty f64 sum is -0.0; adding 0.0 keeps "no positive difference" a plain 0.
    let r_plus: f64 = 0.0
        + nonzero
            .iter()
            .zip(&ranks)
            .filter(|(v, _)| **v > 0.0)
            .map(|(_, r)| r)
            .sum::<f64>();
    let total: f64 = ranks.iter().sum();
    let r_minus = total - r_plus;
    let ties = tie_sizes(&abs);
    let has_ties = ties.iter().any(|&t| t > 1);
    let has_zeros = nonzero.len() < d.len();
    let method = if d.len() > 50 {
        WilcoxonMethod::Normal
    } else if !has_ties && !has_zeros {
        WilcoxonMethod::Exact
    } else if d.len() <= 13 {
        WilcoxonMethod::Permutation
    } else {
        WilcoxonMethod::Normal
    };
    let p_value = match method {
        WilcoxonMethod::Exact => exact_p(nonzero.len(), r_plus),
        WilcoxonMethod::Permutation => permutation_p(&ranks, r_plus),
        WilcoxonMethod::Normal => normal_p(nonzero.len(), &ties, r_plus),
    };
    Ok(Wilcoxon {
        statistic: r_plus.min(r_minus),
        p_value,
        method,
        n_nonzero: nonzero.len(),
        rank_biserial: (r_plus - r_minus) / total,
    })
}

/// Two-sided p from the exact null distribution of R+ over n untied ranks 1..n:
/// 2 · min(P(R+ >= floor(r)), P(R+ <= ceil(r))), at most 1.
fn exact_p(n: usize, r_plus: f64) -> f64 {
    let max = n * (n + 1) / 2;
    // counts[s] = number of subsets of {1..n} with sum s.
    let mut counts = vec![0u64; max + 1];
    counts[0] = 1;
    for rank in 1..=n {
        for s in (rank..=max).rev() {
            counts[s] += counts[s - rank];
        }
    }
    let all = 2f64.powi(n as i32);
    let lower = r_plus.ceil() as usize;
    let upper = r_plus.floor() as usize;
    let cdf = counts[..=lower.min(max)].iter().sum::<u64>() as f64 / all;
    let sf = counts[upper.min(max + 1)..].iter().sum::<u64>() as f64 / all;
    (2.0 * cdf.min(sf)).min(1.0)
}

/// Two-sided p of the permutation test over every sign pattern of the ranked
/// differences; ranks are multiples of 1/2, so doubled they compare exactly.
fn permutation_p(ranks: &[f64], r_plus: f64) -> f64 {
    let doubled: Vec<u64> = ranks.iter().map(|r| (2.0 * r).round() as u64).collect();
    let observed = (2.0 * r_plus).round() as u64;
    let n = doubled.len();
    let (mut less, mut greater) = (0u64, 0u64);
    for pattern in 0u64..(1 << n) {
        let sum: u64 = (0..n)
            .filter(|i| pattern >> i & 1 == 1)
            .map(|i| doubled[i])
            .sum();
        less += u64::from(sum <= observed);
        greater += u64::from(sum >= observed);
    }
    let all = (1u64 << n) as f64;
    (2.0 * (less as f64 / all).min(greater as f64 / all)).min(1.0)
}

/// Two-sided p of the normal approximation with the tie correction, no continuity
/// correction (scipy's default).
fn normal_p(n: usize, ties: &[usize], r_plus: f64) -> f64 {
    let n = n as f64;
    let mean = n * (n + 1.0) * 0.25;
    let tie_term: f64 = ties
        .iter()
        .map(|&t| {
            let t = t as f64;
            t * t * t - t
        })
        .sum();
    let se = ((n * (n + 1.0) * (2.0 * n + 1.0) - tie_term / 2.0) / 24.0).sqrt();
    let z = (r_plus - mean) / se;
    (2.0 * normal_sf(z.abs())).min(1.0)
}
