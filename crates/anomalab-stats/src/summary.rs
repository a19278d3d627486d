//! Mean, sample standard deviation and the 95 % Student t interval of the mean.

use crate::dist::t_ppf;
use crate::{Result, StatsError, check_finite};

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); `None` for one value.
    pub sd: Option<f64>,
    /// mean ± t(0.975, n - 1) · sd / √n; `None` for one value.
    pub ci95: Option<(f64, f64)>,
}

pub fn summary(x: &[f64]) -> Result<Summary> {
    const WHAT: &str = "summary";
    if x.is_empty() {
        return Err(StatsError::TooFew {
            what: WHAT,
            needed: 1,
            unit: "values",
            got: 0,
        });
    }
    check_finite(WHAT, x)?;
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Ok(Summary {
            n,
            mean,
            sd: None,
            ci95: None,
        });
    }
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t_ppf(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
    Ok(Summary {
        n,
        mean,
        sd: Some(sd),
        ci95: Some((mean - half, mean + half)),
    })
}
