//! Principal component analysis by eigen-decomposition of the covariance matrix
//! ([`anomalab_learn::linalg::symmetric_eigen`], the solver the PCA detector uses too).

use anomalab_learn::linalg::mean_and_eigen;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted projection: `(x - mean) . components^T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    pub mean: Vec<f64>,
    /// `k` rows of length `d`, unit norm, by decreasing variance.
    pub components: Vec<Vec<f64>>,
    pub explained_variance: Vec<f64>,
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fit on `x` and keep `k` components (`k` from `choose` given the variance ratios).
    pub fn fit(x: ArrayView2<f64>, choose: impl Fn(&[f64]) -> usize) -> Pca {
        // Decreasing eigenvalues; ties keep the order of their columns.
        let (mean, values, vectors) = mean_and_eigen(x);
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let ratios: Vec<f64> = values
            .iter()
            .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
            .collect();
        let k = choose(&ratios).clamp(1, values.len().max(1));
        let mut components = Vec::with_capacity(k);
        for i in 0..k {
            let mut v: Vec<f64> = vectors.column(i).to_vec();
            // Sign convention: the largest-magnitude entry is positive (deterministic output).
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |m, a| if a.abs() > m.abs() { a } else { m });
            if big < 0.0 {
                v.iter_mut().for_each(|a| *a = -*a);
            }
            components.push(v);
        }
        Pca {
            mean: mean.to_vec(),
            explained_variance: values[..k].iter().map(|v| v.max(0.0)).collect(),
            explained_variance_ratio: ratios[..k].to_vec(),
            components,
        }
    }

    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let k = self.components.len();
        let d = self.mean.len();
        let mut out = Array2::zeros((x.nrows(), k));
        for (r, row) in x.rows().into_iter().enumerate() {
            for (c, comp) in self.components.iter().enumerate() {
                let mut s = 0.0;
                for j in 0..d {
                    s += (row[j] - self.mean[j]) * comp[j];
                }
                out[[r, c]] = s;
            }
        }
        out
    }
}

/// Number of components to keep `variance` of the total (scikit-learn's rule for a float
/// `n_components`: the first k whose cumulative ratio exceeds it).
pub fn components_for_variance(ratios: &[f64], variance: f64) -> usize {
    let mut cum = 0.0;
    for (i, r) in ratios.iter().enumerate() {
        cum += r;
        if cum > variance || (variance >= 1.0 && i + 1 == ratios.len()) {
            return i + 1;
        }
    }
    ratios.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pca_matches_scikit_learn() {
        // Reference: sklearn.decomposition.PCA(n_components=2).fit(X) with
        // X = [[2.5,2.4],[0.5,0.7],[2.2,2.9],[1.9,2.2],[3.1,3.0],[2.3,2.7],[2,1.6],[1,1.1],[1.5,1.6],[1.1,0.9]]
        // explained_variance_ = [1.28402771, 0.0490834], explained_variance_ratio_ = [0.96318131, 0.03681869]
        // components_[0] = [0.6778734, 0.73517866]; PCA(n_components=0.95).n_components_ == 1
        // (scikit-learn 1.9.1, checked by running the call above).
        let x = array![
            [2.5, 2.4],
            [0.5, 0.7],
            [2.2, 2.9],
            [1.9, 2.2],
            [3.1, 3.0],
            [2.3, 2.7],
            [2.0, 1.6],
            [1.0, 1.1],
            [1.5, 1.6],
            [1.1, 0.9]
        ];
        let pca = Pca::fit(x.view(), |r| components_for_variance(r, 0.99));
        assert_eq!(pca.components.len(), 2);
        assert!((pca.explained_variance[0] - 1.28402771).abs() < 1e-7);
        assert!((pca.explained_variance[1] - 0.0490834).abs() < 1e-7);
        assert!((pca.explained_variance_ratio[0] - 0.96318131).abs() < 1e-7);
        assert!((pca.components[0][0] - 0.6778734).abs() < 1e-6);
        assert!((pca.components[0][1] - 0.73517866).abs() < 1e-6);
        // 0.95 of the variance needs one component
        let one = Pca::fit(x.view(), |r| components_for_variance(r, 0.95));
        assert_eq!(one.components.len(), 1);
    }
}
