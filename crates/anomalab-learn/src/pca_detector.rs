//! PCA reconstruction detector (`pca_detector`): principal components of the training
//! rows; the anomaly score of a row is its squared reconstruction error
//! `|x - mu|^2 - |V^T (x - mu)|^2` (distance to the kept principal subspace).
//!
//! The eigen-decomposition of the covariance matrix (`n - 1` denominator as scikit-learn's
//! PCA) is [`crate::linalg::symmetric_eigen`], shared with the root crate's PCA step.
//! `n_components` is a count, or a fraction in (0, 1): the fewest components whose
//! cumulative explained-variance ratio exceeds it (scikit-learn's rule). This detector is
//! separate from the root crate's PCA preprocessing step.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::linalg::mean_and_eigen;
use crate::matrix::{checked_matrix, mat_serde};
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::DetectorEntry;
use crate::traits::{Detector, DetectorParams, FitContext};

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Components {
    Count(usize),
    /// Explained-variance fraction in (0, 1).
    Variance(f64),
}

/// Validated PCA-detector hyper-parameters.
#[derive(Debug, Clone)]
pub struct PcaDetectorParams {
    pub n_components: Components,
}

/// Parameter schema of `pca_detector`.
pub fn param_specs() -> Vec<ParamSpec> {
    vec![ParamSpec::new(
        "n_components",
        ParamKind::OneOf(vec![
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: 0.999_999,
            },
        ]),
        ParamValue::Float(0.95),
        "components kept: a count, or the explained-variance fraction to reach",
    )]
}

impl PcaDetectorParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let n_components = match p.get("n_components")? {
            ParamValue::Int(i) if *i >= 1 => Components::Count(*i as usize),
            ParamValue::Float(f) if *f > 0.0 && *f < 1.0 => Components::Variance(*f),
            v => {
                return Err(LearnError::param(
                    "n_components",
                    format!("expected a count or a fraction in (0, 1), found `{v}`"),
                ));
            }
        };
        Ok(PcaDetectorParams { n_components })
    }

    /// Fit on the rows of `x`.
    pub fn fit_pca(&self, x: ArrayView2<'_, f64>) -> Result<PcaDetector, LearnError> {
        let xs = checked_matrix(x, "PCA detector")?;
        if xs.nrows() < 2 {
            return Err(LearnError::InvalidInput(
                "PCA detector needs at least two rows".into(),
            ));
        }
        let (mean, vals, vecs) = mean_and_eigen(xs.view());
        let d = vals.len();
        let total: f64 = vals.iter().map(|v| v.max(0.0)).sum();
        let k = match self.n_components {
            Components::Count(c) => c.min(d),
            Components::Variance(f) => {
                let mut acc = 0.0;
                let mut k = d;
                for (i, v) in vals.iter().enumerate() {
                    acc += v.max(0.0);
                    if total > 0.0 && acc / total > f {
                        k = i + 1;
                        break;
                    }
                }
                k
            }
        };
        let ratio: Vec<f64> = vals
            .iter()
            .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
            .collect();
        Ok(PcaDetector {
            mean: mean.to_vec(),
            components: vecs.slice(ndarray::s![.., ..k]).to_owned(),
            explained_variance_ratio: ratio,
        })
    }
}

impl DetectorParams for PcaDetectorParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_pca(x)?))
    }
}

/// A fitted PCA reconstruction detector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PcaDetector {
    pub mean: Vec<f64>,
    /// `d x k`: the kept unit principal directions as columns.
    #[serde(with = "mat_serde")]
    pub components: Array2<f64>,
    /// Explained-variance ratio of every component (kept or not), descending.
    pub explained_variance_ratio: Vec<f64>,
}

impl PcaDetector {
    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: PcaDetector = postcard::from_bytes(bytes)?;
        if m.components.nrows() != m.mean.len() {
            return Err(LearnError::Codec(
                "PCA detector: inconsistent shapes".into(),
            ));
        }
        Ok(m)
    }
}

impl Detector for PcaDetector {
    fn kind(&self) -> &'static str {
        "pca_detector"
    }
    fn n_features(&self) -> usize {
        self.mean.len()
    }
    /// Squared reconstruction error.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let d = self.mean.len();
        if x.ncols() != d {
            return vec![f64::NAN; x.nrows()];
        }
        let mean = ndarray::ArrayView1::from(&self.mean[..]);
        let starts: Vec<usize> = (0..x.nrows()).step_by(1024).collect();
        starts
            .par_iter()
            .flat_map_iter(|&s0| {
                let xc = x.slice(ndarray::s![s0..(s0 + 1024).min(x.nrows()), ..]);
                let c = &xc - &mean.insert_axis(Axis(0));
                let z = c.dot(&self.components);
                c.rows()
                    .into_iter()
                    .zip(z.rows())
                    .map(|(r, zr)| (r.dot(&r) - zr.dot(&zr)).max(0.0))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(PcaDetectorParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(PcaDetector::from_bytes(bytes)?))
}

/// Registry entry of `pca_detector` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: "pca_detector",
        backend: "native",
        summary: "PCA reconstruction error (squared distance to the principal subspace)",
        params: param_specs,
        build,
        load,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstruction_error_of_points_off_a_line() {
        // Training rows on the line y = x: one component explains everything.
        let x = ndarray::array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]];
        let p = PcaDetectorParams {
            n_components: Components::Count(1),
        };
        let m = p.fit_pca(x.view()).unwrap();
        // The point (2.5, 0.5) centred on the mean (1.5, 1.5) is (1, -1), orthogonal to
        // the direction (1, 1), so its squared error is 1 + 1 = 2; (5, 5) is on the line.
        let s = m.score(ndarray::array![[2.5, 0.5], [5.0, 5.0]].view());
        assert!((s[0] - 2.0).abs() < 1e-12, "{s:?}");
        assert!(s[1].abs() < 1e-12);
        assert!((m.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
    }
}
