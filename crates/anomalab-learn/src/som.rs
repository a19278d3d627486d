//! Self-organising map (Kohonen), native, following MiniSom's online training.
//!
//! A `rows x cols` grid of weight vectors. Each iteration takes one training row (the row
//! order is `t mod n` for `t < iterations`, shuffled with the seed, as MiniSom's
//! `train(random_order=True)`), finds its best-matching unit (BMU, smallest Euclidean
//! distance) and moves every unit towards the row by `eta(t) * h(unit, bmu, sigma(t))`,
//! with MiniSom's asymptotic decay `eta(t) = learning_rate / (1 + t / (T/2))` and
//! `sigma(t) = sigma / (1 + t / (T/2))`. Neighbourhood functions as MiniSom: gaussian,
//! mexican_hat, bubble, triangle, on integer grid coordinates.
//!
//! Initialisation: `random` copies randomly drawn training rows (MiniSom's
//! `random_weights_init`); `pca` spans the grid over the two leading principal
//! components, `mean + a * sqrt(l1) v1 + b * sqrt(l2) v2` with `a, b` evenly spaced in
//! [-1, 1] (MiniSom's `pca_weights_init` without the mean, which it expects to be zero).
//!
//! Anomaly score: the quantization error of a row (distance to its BMU). Diagnostics: the
//! U-matrix (mean distance of each unit to its up to 8 grid neighbours, divided by the
//! largest such mean, as MiniSom's `distance_map`), the grid shape and the training
//! quantization error at 10 checkpoints.

use anomalab_results::{ModelDiagnostic, UMatrix};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::matrix::{checked_matrix, mat_serde};
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::DetectorEntry;
use crate::traits::{Detector, DetectorParams, FitContext};

/// Neighbourhood function of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Neighbourhood {
    Gaussian,
    MexicanHat,
    Bubble,
    Triangle,
}

/// Weight initialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SomInit {
    Random,
    Pca,
}

/// Validated SOM hyper-parameters.
#[derive(Debug, Clone)]
pub struct SomParams {
    pub rows: usize,
    pub cols: usize,
    pub sigma: f64,
    pub learning_rate: f64,
    pub neighbourhood: Neighbourhood,
    pub iterations: usize,
    pub init: SomInit,
}

impl Default for SomParams {
    fn default() -> Self {
        SomParams {
            rows: 10,
            cols: 10,
            sigma: 1.0,
            learning_rate: 0.5,
            neighbourhood: Neighbourhood::Gaussian,
            iterations: 10_000,
            init: SomInit::Random,
        }
    }
}

/// Parameter schema of `som`.
pub fn param_specs() -> Vec<ParamSpec> {
    let side = ParamKind::Int { min: 1, max: 1000 };
    vec![
        ParamSpec::new("rows", side.clone(), ParamValue::Int(10), "grid rows"),
        ParamSpec::new("cols", side, ParamValue::Int(10), "grid columns"),
        ParamSpec::new(
            "sigma",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: 1000.0,
            },
            ParamValue::Float(1.0),
            "initial neighbourhood radius (grid units), decays asymptotically",
        ),
        ParamSpec::new(
            "learning_rate",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: 100.0,
            },
            ParamValue::Float(0.5),
            "initial learning rate, decays as lr / (1 + t / (T/2))",
        ),
        ParamSpec::new(
            "neighbourhood",
            ParamKind::Choice(&["gaussian", "mexican_hat", "bubble", "triangle"]),
            ParamValue::Str("gaussian".into()),
            "neighbourhood function (MiniSom's definitions)",
        ),
        ParamSpec::new(
            "iterations",
            ParamKind::Int {
                min: 1,
                max: 100_000_000,
            },
            ParamValue::Int(10_000),
            "training steps (one row each, seeded random order)",
        ),
        ParamSpec::new(
            "init",
            ParamKind::Choice(&["random", "pca"]),
            ParamValue::Str("random".into()),
            "weights from random training rows, or spanned by the two leading principal components",
        ),
    ]
}

impl SomParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let neighbourhood = match p.str("neighbourhood")? {
            "gaussian" => Neighbourhood::Gaussian,
            "mexican_hat" => Neighbourhood::MexicanHat,
            "bubble" => Neighbourhood::Bubble,
            "triangle" => Neighbourhood::Triangle,
            o => return Err(LearnError::param("neighbourhood", format!("unknown `{o}`"))),
        };
        let init = match p.str("init")? {
            "random" => SomInit::Random,
            "pca" => SomInit::Pca,
            o => return Err(LearnError::param("init", format!("unknown `{o}`"))),
        };
        Ok(SomParams {
            rows: p.usize("rows")?.max(1),
            cols: p.usize("cols")?.max(1),
            sigma: p.f64("sigma")?,
            learning_rate: p.f64("learning_rate")?,
            neighbourhood,
            iterations: p.usize("iterations")?.max(1),
            init,
        })
    }

    /// Train a map on the rows of `x`.
    pub fn fit_som(&self, x: ArrayView2<'_, f64>, ctx: &FitContext) -> Result<Som, LearnError> {
        let xs = checked_matrix(x, "SOM")?;
        let (n, d) = xs.dim();
        let data = xs.as_slice().expect("standard layout");
        let units = self.rows * self.cols;
        let mut rng = Rng::new(derive_seed(ctx.seed, 0));
        let mut w = Array2::<f64>::zeros((units, d));
        match self.init {
            SomInit::Random => {
                for u in 0..units {
                    let r = rng.below(n);
                    w.row_mut(u)
                        .as_slice_mut()
                        .expect("owned")
                        .copy_from_slice(&data[r * d..(r + 1) * d]);
                }
            }
            SomInit::Pca => {
                let (mean, comps) = crate::linalg::principal_components(xs.view(), 2)?;
                let lin = |i: usize, m: usize| {
                    if m <= 1 {
                        0.0
                    } else {
                        -1.0 + 2.0 * i as f64 / (m - 1) as f64
                    }
                };
                for i in 0..self.rows {
                    for j in 0..self.cols {
                        let (a, b) = (lin(i, self.rows), lin(j, self.cols));
                        let mut row = w.row_mut(i * self.cols + j);
                        for k in 0..d {
                            let mut v = mean[k];
                            if let Some((l, c)) = comps.first() {
                                v += a * l.max(0.0).sqrt() * c[k];
                            }
                            if let Some((l, c)) = comps.get(1) {
                                v += b * l.max(0.0).sqrt() * c[k];
                            }
                            row[k] = v;
                        }
                    }
                }
            }
        }
        let t_max = self.iterations;
        let mut order: Vec<usize> = (0..t_max).map(|t| t % n).collect();
        rng.shuffle(&mut order);
        // Quantization error checkpoints on a seeded sample of up to 1000 rows.
        let mut qrng = Rng::new(derive_seed(ctx.seed, 1));
        let probe = qrng.sample_indices(n, n.min(1000));
        let checkpoints: Vec<usize> = (0..=10).map(|c| c * t_max / 10).collect();
        let mut curve = Vec::new();
        let half = t_max as f64 / 2.0;
        let mut h = vec![0.0; units];
        for (t, &r) in order.iter().enumerate() {
            if checkpoints.contains(&t) {
                curve.push((t, mean_qe(&w, data, d, &probe)));
            }
            let x = &data[r * d..(r + 1) * d];
            let bmu = best_unit(&w, x);
            let decay = 1.0 + t as f64 / half;
            let eta = self.learning_rate / decay;
            let sig = self.sigma / decay;
            self.neighbourhood_into(bmu, sig, &mut h);
            for (u, &g) in h.iter().enumerate() {
                let g = g * eta;
                if g == 0.0 {
                    continue;
                }
                let mut wr = w.row_mut(u);
                for (wk, xk) in wr.iter_mut().zip(x) {
                    *wk += g * (xk - *wk);
                }
            }
        }
        curve.push((t_max, mean_qe(&w, data, d, &probe)));
        Ok(Som {
            rows: self.rows,
            cols: self.cols,
            weights: w,
            qe_curve: curve,
        })
    }

    /// Neighbourhood weights of every unit around `bmu` for radius `sig`.
    fn neighbourhood_into(&self, bmu: usize, sig: f64, h: &mut [f64]) {
        let (c0, c1) = ((bmu / self.cols) as f64, (bmu % self.cols) as f64);
        let d = 2.0 * sig * sig;
        for i in 0..self.rows {
            for j in 0..self.cols {
                let (dx, dy) = (i as f64 - c0, j as f64 - c1);
                h[i * self.cols + j] = match self.neighbourhood {
                    Neighbourhood::Gaussian => (-dx * dx / d).exp() * (-dy * dy / d).exp(),
                    Neighbourhood::MexicanHat => {
                        let p = dx * dx + dy * dy;
                        (-p / d).exp() * (1.0 - 2.0 / d * p)
                    }
                    Neighbourhood::Bubble => {
                        if dx.abs() < sig && dy.abs() < sig {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Neighbourhood::Triangle => {
                        (sig - dx.abs()).max(0.0) * (sig - dy.abs()).max(0.0)
                    }
                };
            }
        }
    }
}

fn best_unit(w: &Array2<f64>, x: &[f64]) -> usize {
    let mut best = 0;
    let mut bv = f64::INFINITY;
    for (u, row) in w.rows().into_iter().enumerate() {
        let v = crate::cluster::sq_dist(row.as_slice().expect("owned"), x);
        if v < bv {
            bv = v;
            best = u;
        }
    }
    best
}

fn mean_qe(w: &Array2<f64>, data: &[f64], d: usize, rows: &[usize]) -> f64 {
    let s: f64 = rows
        .iter()
        .map(|&r| {
            let x = &data[r * d..(r + 1) * d];
            crate::cluster::sq_dist(w.row(best_unit(w, x)).as_slice().expect("owned"), x).sqrt()
        })
        .sum();
    s / rows.len().max(1) as f64
}

impl DetectorParams for SomParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_som(x, ctx)?))
    }
}

/// A trained self-organising map.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Som {
    pub rows: usize,
    pub cols: usize,
    /// Unit `(i, j)` is row `i * cols + j`.
    #[serde(with = "mat_serde")]
    pub weights: Array2<f64>,
    /// `(iteration, mean quantization error on a seeded probe sample)`.
    pub qe_curve: Vec<(usize, f64)>,
}

impl Som {
    /// Best-matching unit `(grid row, grid col)` of each row.
    pub fn winners(&self, x: ArrayView2<'_, f64>) -> Vec<(usize, usize)> {
        let xs = x.as_standard_layout();
        if x.ncols() != self.weights.ncols() {
            return vec![(0, 0); x.nrows()];
        }
        xs.rows()
            .into_iter()
            .map(|r| {
                let u = best_unit(&self.weights, r.as_slice().expect("standard layout"));
                (u / self.cols, u % self.cols)
            })
            .collect()
    }

    /// U-matrix: mean distance of each unit to its grid neighbours (8-neighbourhood),
    /// divided by the largest value; `rows x cols`, row-major.
    pub fn u_matrix(&self) -> Vec<Vec<f64>> {
        let mut um = vec![vec![0.0; self.cols]; self.rows];
        let mut mx: f64 = 0.0;
        for (i, um_row) in um.iter_mut().enumerate() {
            for (j, cell) in um_row.iter_mut().enumerate() {
                let me = self.weights.row(i * self.cols + j);
                let (mut s, mut c) = (0.0, 0usize);
                for di in -1i64..=1 {
                    for dj in -1i64..=1 {
                        let (a, b) = (i as i64 + di, j as i64 + dj);
                        if (di, dj) == (0, 0)
                            || a < 0
                            || b < 0
                            || a >= self.rows as i64
                            || b >= self.cols as i64
                        {
                            continue;
                        }
                        let o = self.weights.row(a as usize * self.cols + b as usize);
                        s += crate::cluster::sq_dist(
                            me.as_slice().expect("owned"),
                            o.as_slice().expect("owned"),
                        )
                        .sqrt();
                        c += 1;
                    }
                }
                *cell = if c > 0 { s / c as f64 } else { 0.0 };
                mx = mx.max(*cell);
            }
        }
        if mx > 0.0 {
            for r in &mut um {
                r.iter_mut().for_each(|v| *v /= mx);
            }
        }
        um
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: Som = postcard::from_bytes(bytes)?;
        if m.rows * m.cols != m.weights.nrows() || m.weights.nrows() == 0 {
            return Err(LearnError::Codec("SOM: grid and weights disagree".into()));
        }
        Ok(m)
    }
}

impl Detector for Som {
    fn kind(&self) -> &'static str {
        "som"
    }
    fn n_features(&self) -> usize {
        self.weights.ncols()
    }
    /// Quantization error: distance of each row to its best-matching unit.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let d = self.weights.ncols();
        if x.ncols() != d {
            return vec![f64::NAN; x.nrows()];
        }
        let xs = x.as_standard_layout();
        let data = xs.as_slice().expect("standard layout");
        data.par_chunks(512 * d.max(1))
            .flat_map_iter(|ch| {
                ch.chunks_exact(d)
                    .map(|r| {
                        let u = best_unit(&self.weights, r);
                        crate::cluster::sq_dist(self.weights.row(u).as_slice().expect("owned"), r)
                            .sqrt()
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
    fn diagnostics(&self) -> Vec<ModelDiagnostic> {
        vec![ModelDiagnostic::UMatrix(UMatrix {
            rows: self.rows,
            cols: self.cols,
            values: self.u_matrix().into_iter().flatten().collect(),
        })]
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(SomParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(Som::from_bytes(bytes)?))
}

/// Registry entry of `som` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: "som",
        backend: "native",
        summary: "self-organising map (MiniSom-like), score = quantization error; U-matrix",
        params: param_specs,
        build,
        load,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(seed: u64) -> (Array2<f64>, Vec<usize>) {
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let mut rng = Rng::new(seed);
        let mut x = Array2::zeros((300, 2));
        let mut y = Vec::new();
        for i in 0..300 {
            let c = i % 3;
            x[[i, 0]] = centres[c][0] + 0.5 * rng.normal();
            x[[i, 1]] = centres[c][1] + 0.5 * rng.normal();
            y.push(c);
        }
        (x, y)
    }

    #[test]
    fn blobs_map_to_their_own_units_and_error_falls() {
        let (x, y) = blobs(1);
        for init in [SomInit::Random, SomInit::Pca] {
            let p = SomParams {
                rows: 6,
                cols: 6,
                sigma: 1.5,
                iterations: 3000,
                init,
                ..Default::default()
            };
            let m = p.fit_som(x.view(), &FitContext::default()).unwrap();
            let w = m.winners(x.view());
            let mut units: Vec<std::collections::BTreeSet<(usize, usize)>> =
                vec![Default::default(); 3];
            for (u, &c) in w.iter().zip(&y) {
                units[c].insert(*u);
            }
            for a in 0..3 {
                for b in a + 1..3 {
                    assert!(
                        units[a].is_disjoint(&units[b]),
                        "{init:?}: blobs {a},{b} share units"
                    );
                }
            }
            let first = m.qe_curve.first().unwrap().1;
            let last = m.qe_curve.last().unwrap().1;
            // The blobs have standard deviation 0.5 per axis, so a converged map's mean
            // distance to the BMU is well under the ~7-10 between blob centres.
            assert!(last < first, "{init:?}: {first} -> {last}");
            assert!(last < 1.0, "{init:?}: final quantization error {last}");
            // A far outlier scores far above the training rows (units may sit between
            // blobs, but none beyond the data's hull, so (20, 20) is >= 10 away).
            let s = m.score(ndarray::array![[20.0, 20.0], [0.0, 0.0]].view());
            assert!(s[0] > 10.0 && s[1] < 1.0, "{s:?}");
            let um = m.u_matrix();
            assert_eq!(um.len(), 6);
            assert!(um.iter().flatten().cloned().fold(0.0, f64::max) == 1.0);
        }
    }

    #[test]
    fn neighbourhoods_match_minisom_definitions() {
        // 3x3 grid, bmu at the centre (1, 1), sigma 1.
        let mut p = SomParams {
            rows: 3,
            cols: 3,
            ..Default::default()
        };
        let mut h = vec![0.0; 9];
        // gaussian: exp(-1/2) at edge neighbours, exp(-1) at corners.
        p.neighbourhood_into(4, 1.0, &mut h);
        assert!((h[1] - (-0.5f64).exp()).abs() < 1e-12 && (h[0] - (-1f64).exp()).abs() < 1e-12);
        // bubble: |dx| < 1 and |dy| < 1 only at the centre.
        p.neighbourhood = Neighbourhood::Bubble;
        p.neighbourhood_into(4, 1.0, &mut h);
        assert_eq!(h, vec![0., 0., 0., 0., 1., 0., 0., 0., 0.]);
        // triangle with sigma 2: (2 - |dx|)(2 - |dy|): centre 4, edge 2, corner 1.
        p.neighbourhood = Neighbourhood::Triangle;
        p.neighbourhood_into(4, 2.0, &mut h);
        assert_eq!(h, vec![1., 2., 1., 2., 4., 2., 1., 2., 1.]);
        // mexican hat: exp(-p/2)(1 - p) with p = dx^2 + dy^2: 1 at centre, 0 at edges.
        p.neighbourhood = Neighbourhood::MexicanHat;
        p.neighbourhood_into(4, 1.0, &mut h);
        assert!((h[4] - 1.0).abs() < 1e-12 && h[1].abs() < 1e-12);
        assert!((h[0] + (-1f64).exp()).abs() < 1e-12);
    }
}
