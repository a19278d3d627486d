//! Order statistics shared by the detectors' thresholds and the root crate's
//! preprocessing (robust scaling, median imputation).

/// The `q` quantile (`q` in `[0, 1]`, clamped) of `sorted`, which must be in increasing
/// order and free of NaN, by linear interpolation between the two nearest ranks: numpy's
/// default `numpy.quantile(v, q)` (method `"linear"`).
///
/// **Empty input gives NaN.** A quantile of nothing is undefined (numpy raises); NaN
/// carries that to the caller, where a non-finite check or a comparison exposes it,
/// instead of a plausible number such as 0 that would silently become a threshold or a
/// fill value. Callers with a meaningful fallback test for emptiness themselves.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_linear_interpolation() {
        // numpy 2.4.6: np.quantile([1, 2, 3, 4], 0.9) = 3.7;
        // np.quantile([1, 2, 3, 7, 10], [0, 0.25, 0.5, 0.8, 1]) = [1, 2, 3, 7.6000000000000005, 10]
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 0.9) - 3.7).abs() < 1e-12);
        let v = [1.0, 2.0, 3.0, 7.0, 10.0];
        let got: Vec<f64> = [0.0, 0.25, 0.5, 0.8, 1.0]
            .iter()
            .map(|&q| quantile(&v, q))
            .collect();
        assert_eq!(got, vec![1.0, 2.0, 3.0, 7.6000000000000005, 10.0]);
    }

    #[test]
    fn edge_cases() {
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(quantile(&[4.0], 0.3), 4.0);
        assert_eq!(quantile(&[1.0, 3.0], -1.0), 1.0);
        assert_eq!(quantile(&[1.0, 3.0], 2.0), 3.0);
    }
}
