//! Clustering: k-means, Gaussian mixtures and DBSCAN, plus the model-selection diagnostics
//! the report shows for them (elbow curve with silhouette per k, BIC/AIC per component
//! count, k-distance curve with its knee) and the kneedle knee finder they share.
//!
//! All three are native implementations (see each module for why and for the exact
//! semantics they follow); everything is deterministic for a seed whatever the thread
//! count: parallel work is split into fixed row chunks whose partial results are reduced in
//! chunk order.

pub mod dbscan;
pub mod gmm;
pub mod kmeans;

pub use dbscan::{DbscanParams, k_distance_curve};
pub use gmm::{GaussianMixture, GmmParams};
pub use kmeans::{ElbowSweep, KMeans, KMeansParams, cluster_profile, elbow_sweep};

pub use crate::matrix::{checked_matrix, mat_serde, sq_dist};

/// Rows per parallel chunk in the clustering code.
pub(crate) const CHUNK: usize = 1024;

/// Shape of a curve for [`kneedle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveShape {
    /// Convex and decreasing: an elbow curve (inertia vs k) or a descending k-distance
    /// curve.
    ConvexDecreasing,
    /// Concave and increasing (e.g. explained variance vs components).
    ConcaveIncreasing,
}

/// Kneedle (Satopää et al. 2011, as the `kneed` package with `S = 1`, offline): both axes
/// are normalised to [0, 1], the curve is turned so that its knee is a maximum (convex
/// decreasing: `y' = 1 - y`), and the knee is the point where the difference curve
/// `y' - x` is largest (the first such point on ties). Returns the index into `x`/`y`, or
/// `None` for fewer than 3 points, a flat curve or non-finite values. `x` must be
/// increasing.
pub fn kneedle(x: &[f64], y: &[f64], shape: CurveShape) -> Option<usize> {
    let n = x.len();
    if n < 3 || y.len() != n || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let norm = |v: &[f64]| -> Option<Vec<f64>> {
        let mn = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let mx = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if mx > mn {
            Some(v.iter().map(|a| (a - mn) / (mx - mn)).collect())
        } else {
            None
        }
    };
    let xn = norm(x)?;
    let yn = norm(y)?;
    let mut best = None;
    let mut best_v = f64::NEG_INFINITY;
    for i in 0..n {
        let yt = match shape {
            CurveShape::ConvexDecreasing => 1.0 - yn[i],
            CurveShape::ConcaveIncreasing => yn[i],
        };
        let diff = yt - xn[i];
        if diff > best_v {
            best_v = diff;
            best = Some(i);
        }
    }
    // A straight line has no knee.
    if best_v <= 1e-12 { None } else { best }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kneedle_on_hand_made_curve() {
        // x = 1..=6, y = 100, 40, 20, 15, 12, 10.
        // xn = 0, .2, .4, .6, .8, 1; yn = (y - 10) / 90 = 1, .3333, .1111, .0556, .0222, 0
        // 1 - yn = 0, .6667, .8889, .9444, .9778, 1
        // diff = 0, .4667, .4889, .3444, .1778, 0  -> max at index 2 (x = 3).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [100.0, 40.0, 20.0, 15.0, 12.0, 10.0];
        assert_eq!(kneedle(&x, &y, CurveShape::ConvexDecreasing), Some(2));
        // A straight line has no knee; a flat one neither.
        assert_eq!(
            kneedle(
                &x,
                &[6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
                CurveShape::ConvexDecreasing
            ),
            None
        );
        assert_eq!(kneedle(&x, &[1.0; 6], CurveShape::ConvexDecreasing), None);
        // Concave increasing: y = 0, 60, 80, 85, 88, 90 -> yn = 0, .6667, .8889, .9444,
        // .9778, 1; diff = yn - xn = 0, .4667, .4889, ... -> index 2.
        let y2 = [0.0, 60.0, 80.0, 85.0, 88.0, 90.0];
        assert_eq!(kneedle(&x, &y2, CurveShape::ConcaveIncreasing), Some(2));
    }
}
