//! `lof` detector: the local outlier factor (Breunig et al. 2000) in novelty mode, as
//! scikit-learn's `LocalOutlierFactor(novelty=True)`.
//!
//! Fit: each training row's `n_neighbors` nearest other training rows (the row itself is
//! left out; when more than `n_neighbors + 1` rows coincide and the row is not among its
//! `n_neighbors + 1` nearest, the first one is dropped instead, as scikit-learn does), its
//! k-distance (distance to the k-th of them) and its local reachability density
//! `lrd(p) = 1 / (mean_o max(d(p, o), k-dist(o)) + 1e-10)`. Scoring a new row: its
//! `n_neighbors` nearest training rows, its lrd the same way, and
//! `LOF = mean_o lrd(o) / lrd(x)`. The anomaly score is the LOF itself (scikit-learn's
//! `score_samples` is `-LOF`; its `contamination="auto"` boundary is LOF = 1.5). Neighbours
//! come from `knn`'s exact euclidean search (ties to the lower training row).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::knn::{Knn, euclidean_index};
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Detector, DetectorEntry, DetectorParams, FitContext};

/// Registry name.
pub const NAME: &str = "lof";

/// Validated hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LofParams {
    pub n_neighbors: usize,
}

/// Parameter schema (scikit-learn's names and defaults; euclidean metric).
pub fn params() -> Vec<ParamSpec> {
    vec![ParamSpec::new(
        "n_neighbors",
        ParamKind::Int {
            min: 1,
            max: 100_000,
        },
        ParamValue::Int(20),
        "neighbours that define the local density (capped at the training rows - 1; default 20)",
    )]
}

impl LofParams {
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let n_neighbors = p.usize("n_neighbors")?;
        if n_neighbors == 0 {
            return Err(LearnError::param("n_neighbors", "must be at least 1"));
        }
        Ok(LofParams { n_neighbors })
    }

    /// Fit on the rows of `x` (concrete type; the trait method boxes it).
    pub fn fit_lof(&self, x: ArrayView2<'_, f64>) -> Result<Lof, LearnError> {
        let xs = crate::matrix::checked_matrix(x, "lof")?;
        let n = x.nrows();
        if n < 2 {
            return Err(LearnError::InvalidInput(
                "lof needs at least two training rows".into(),
            ));
        }
        let k = self.n_neighbors.min(n - 1).max(1);
        let train = xs.into_owned();
        let index = euclidean_index(train.clone(), k + 1);
        let raw = index.kneighbors(train.view());
        let neigh: Vec<Vec<u32>> = raw
            .into_iter()
            .enumerate()
            .map(|(i, mut nb)| {
                let at = nb.iter().position(|&j| j as usize == i).unwrap_or(0);
                nb.remove(at);
                nb
            })
            .collect();
        let dist: Vec<Vec<f64>> = neigh
            .iter()
            .enumerate()
            .map(|(i, nb)| distances(&train, train.row(i), nb))
            .collect();
        let k_distance: Vec<f64> = dist.iter().map(|d| d[k - 1]).collect();
        let lrd = dist
            .iter()
            .zip(&neigh)
            .map(|(d, nb)| reach_density(d, nb, &k_distance))
            .collect();
        Ok(Lof {
            k,
            k_distance,
            lrd,
            index,
            x: train,
        })
    }
}

/// Exact euclidean distances from `q` to the training rows `nb`.
fn distances(x: &Array2<f64>, q: ndarray::ArrayView1<'_, f64>, nb: &[u32]) -> Vec<f64> {
    let q = q.as_slice().expect("standard layout");
    nb.iter()
        .map(|&j| {
            let t = x.row(j as usize);
            crate::matrix::sq_dist(q, t.as_slice().expect("standard layout")).sqrt()
        })
        .collect()
}

/// `1 / (mean reach-dist + 1e-10)`, scikit-learn's `_local_reachability_density`.
fn reach_density(dist: &[f64], nb: &[u32], k_distance: &[f64]) -> f64 {
    let sum: f64 = dist
        .iter()
        .zip(nb)
        .map(|(&d, &j)| d.max(k_distance[j as usize]))
        .sum();
    1.0 / (sum / dist.len() as f64 + 1e-10)
}

impl DetectorParams for LofParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_lof(x)?))
    }
}

/// A fitted LOF: the training rows, their k-distances and densities.
pub struct Lof {
    k: usize,
    k_distance: Vec<f64>,
    lrd: Vec<f64>,
    index: Knn,
    x: Array2<f64>,
}

/// What a saved model holds.
#[derive(Serialize, Deserialize)]
struct LofFile {
    k: usize,
    n_features: usize,
    x: Vec<f64>,
    k_distance: Vec<f64>,
    lrd: Vec<f64>,
}

impl Lof {
    /// The number of neighbours used (scikit-learn's `n_neighbors_`).
    pub fn n_neighbors(&self) -> usize {
        self.k
    }

    /// Local reachability density of each training row (scikit-learn's `_lrd`).
    pub fn training_lrd(&self) -> &[f64] {
        &self.lrd
    }

    /// The local outlier factor of each row of `x` against the training rows
    /// (scikit-learn's `-score_samples`). NaN for input of the wrong width.
    pub fn lof(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        if x.ncols() != self.x.ncols() {
            return vec![f64::NAN; x.nrows()];
        }
        let q = x.as_standard_layout();
        let neigh = self.index.kneighbors(q.view());
        neigh
            .into_iter()
            .enumerate()
            .map(|(i, mut nb)| {
                nb.truncate(self.k);
                let d = distances(&self.x, q.row(i), &nb);
                let lrd_q = reach_density(&d, &nb, &self.k_distance);
                let ratios: f64 = nb.iter().map(|&j| self.lrd[j as usize] / lrd_q).sum();
                ratios / nb.len() as f64
            })
            .collect()
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let f: LofFile = postcard::from_bytes(bytes)?;
        let n = f.lrd.len();
        if f.k_distance.len() != n || f.k == 0 || f.k >= n.max(1) {
            return Err(LearnError::Codec("lof model is inconsistent".into()));
        }
        let x = Array2::from_shape_vec((n, f.n_features), f.x)
            .map_err(|e| LearnError::Codec(format!("lof training matrix: {e}")))?;
        Ok(Lof {
            k: f.k,
            k_distance: f.k_distance,
            lrd: f.lrd,
            index: euclidean_index(x.clone(), f.k + 1),
            x,
        })
    }
}

impl Detector for Lof {
    fn kind(&self) -> &'static str {
        NAME
    }
    fn n_features(&self) -> usize {
        self.x.ncols()
    }
    /// The LOF: about 1 inside a cluster, larger for outliers.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        self.lof(x)
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        let f = LofFile {
            k: self.k,
            n_features: self.x.ncols(),
            x: self.x.iter().copied().collect(),
            k_distance: self.k_distance.clone(),
            lrd: self.lrd.clone(),
        };
        Ok(postcard::to_allocvec(&f)?)
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(LofParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(Lof::from_bytes(bytes)?))
}

/// Registry entry of `lof` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: NAME,
        backend: "native",
        summary: "local outlier factor, novelty mode (scikit-learn LocalOutlierFactor(novelty=True)); exact euclidean neighbours; score = LOF",
        params,
        build,
        load,
    }
}
