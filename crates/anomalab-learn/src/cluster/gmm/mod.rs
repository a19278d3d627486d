//! Gaussian mixture model (native EM, scikit-learn `GaussianMixture` semantics) and its
//! BIC/AIC sweep over component counts.
//!
//! Native rather than a linfa-clustering wrapper: the anomaly score needs the per-row
//! log-likelihood and the BIC needs the total, which linfa's `GaussianMixtureModel` does
//! not expose, and a native fit keeps the portable seeded RNG (one fewer dependency tree
//! on a 2-core build machine). Semantics: initial responsibilities from k-means labels
//! (`init_params="kmeans"`), `reg_covar` added to the covariance diagonal, convergence
//! when the mean log-likelihood changes by less than `tol`, best of `n_init` runs by
//! mean log-likelihood. Covariance `full` or `diag`. The E-step uses the Cholesky factor of
//! each precision matrix, computed per 1024-row chunk in parallel and reduced in chunk
//! order. On training rows with one-hot column blocks both steps take the shortcuts of
//! [`onehot`]; other rows (scoring) take the dense path, always correct.

use anomalab_results::{InformationCriteria, ModelDiagnostic};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::onehot::{Factor, OneHotRows};
use super::kmeans::KMeansParams;
use super::{CHUNK, checked_matrix};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::derive_seed;
use crate::traits::ClustererEntry;
use crate::traits::{Clusterer, ClustererParams, Clustering, Detector, FitContext};

mod onehot;

const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// Side of the blocks of [`lower_blocks`]: large enough for the matrix kernel to run at
/// speed, small enough that the skipped upper blocks matter.
const BLOCK: usize = 32;

/// Rows per partial sum of the M-step's scatter matrices (a fixed count: the reduction
/// order must not follow the thread count).
const GROUP: usize = 16 * CHUNK;

/// Covariance structure of each component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CovarianceType {
    Full,
    Diag,
}

/// Validated GMM hyper-parameters.
#[derive(Debug, Clone)]
pub struct GmmParams {
    /// `None` = the component count with the lowest BIC in `k_min..=k_max`.
    pub n_components: Option<usize>,
    pub k_min: usize,
    pub k_max: usize,
    pub covariance_type: CovarianceType,
    pub max_iter: usize,
    pub tol: f64,
    pub n_init: usize,
    pub reg_covar: f64,
}

impl Default for GmmParams {
    fn default() -> Self {
        GmmParams {
            n_components: Some(1),
            k_min: 1,
            k_max: 8,
            covariance_type: CovarianceType::Full,
            max_iter: 100,
            tol: 1e-3,
            n_init: 1,
            reg_covar: 1e-6,
        }
    }
}

/// Parameter schema of `gmm`.
pub fn param_specs() -> Vec<ParamSpec> {
    let count = ParamKind::Int { min: 1, max: 1000 };
    vec![
        ParamSpec::new(
            "n_components",
            ParamKind::OneOf(vec![count.clone(), ParamKind::Choice(&["auto"])]),
            ParamValue::Int(1),
            "mixture components, or \"auto\" = lowest BIC over k_min..=k_max",
        ),
        ParamSpec::new(
            "k_min",
            count.clone(),
            ParamValue::Int(1),
            "smallest component count of the BIC/AIC sweep (n_components: auto)",
        ),
        ParamSpec::new(
            "k_max",
            count,
            ParamValue::Int(8),
            "largest component count of the BIC/AIC sweep (n_components: auto)",
        ),
        ParamSpec::new(
            "covariance_type",
            ParamKind::Choice(&["full", "diag"]),
            ParamValue::Str("full".into()),
            "covariance of each component",
        ),
        ParamSpec::new(
            "max_iter",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(100),
            "maximum EM iterations per run",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::FloatOpenMin { min: 0.0, max: 1e6 },
            ParamValue::Float(1e-3),
            "convergence threshold on the change of the mean log-likelihood",
        ),
        ParamSpec::new(
            "n_init",
            ParamKind::Int { min: 1, max: 1000 },
            ParamValue::Int(1),
            "EM runs from different k-means seeds; the highest likelihood wins",
        ),
        ParamSpec::new(
            "reg_covar",
            ParamKind::Float { min: 0.0, max: 1e6 },
            ParamValue::Float(1e-6),
            "added to the covariance diagonal for numerical stability",
        ),
    ]
}

impl GmmParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let n_components = match p.get("n_components")? {
            ParamValue::Str(s) if s == "auto" => None,
            _ => Some(p.usize("n_components")?.max(1)),
        };
        let covariance_type = match p.str("covariance_type")? {
            "full" => CovarianceType::Full,
            "diag" => CovarianceType::Diag,
            o => {
                return Err(LearnError::param(
                    "covariance_type",
                    format!("unknown `{o}`"),
                ));
            }
        };
        let out = GmmParams {
            n_components,
            k_min: p.usize("k_min")?.max(1),
            k_max: p.usize("k_max")?.max(1),
            covariance_type,
            max_iter: p.usize("max_iter")?.max(1),
            tol: p.f64("tol")?,
            n_init: p.usize("n_init")?.max(1),
            reg_covar: p.f64("reg_covar")?,
        };
        if out.k_min > out.k_max {
            return Err(LearnError::param("k_min", "must not exceed k_max"));
        }
        Ok(out)
    }

    /// Per component `j`, the responsibility-weighted scatter `sum_i r_ij (x_i - mu_j)
    /// (x_i - mu_j)^T`: its lower blocks only for `full` (all that [`cholesky`] reads),
    /// its diagonal for `diag`. Rows are taken in fixed groups of
    /// [`GROUP`] summed in group order, in parallel over the groups, so the sums do not
    /// depend on the thread count; inside a group, [`CHUNK`]-row buffers keep the
    /// products in cache instead of materialising `n x d` differences per component.
    fn scatter(
        &self,
        x: ArrayView2<'_, f64>,
        resp: &Array2<f64>,
        means: &Array2<f64>,
    ) -> Vec<Array2<f64>> {
        let (n, d) = x.dim();
        let k = means.nrows();
        let starts: Vec<usize> = (0..n).step_by(GROUP).collect();
        let parts: Vec<Vec<Array2<f64>>> = starts
            .par_iter()
            .map(|&g0| {
                let mut acc = vec![Array2::<f64>::zeros((d, d)); k];
                let mut diff = Array2::<f64>::zeros((CHUNK, d));
                let mut weighted = Array2::<f64>::zeros((CHUNK, d));
                for c0 in (g0..(g0 + GROUP).min(n)).step_by(CHUNK) {
                    let rows = c0..(c0 + CHUNK).min(n);
                    let m = rows.len();
                    let xc = x.slice(s![rows.clone(), ..]);
                    for (j, acc) in acc.iter_mut().enumerate() {
                        let mut dc = diff.slice_mut(s![..m, ..]);
                        dc.assign(&xc);
                        dc -= &means.row(j);
                        let mut wc = weighted.slice_mut(s![..m, ..]);
                        wc.assign(&dc);
                        wc *= &resp.slice(s![rows.clone(), j..j + 1]);
                        add_scatter(acc, wc.view(), dc.view(), self.covariance_type);
                    }
                }
                acc
            })
            .collect();
        let mut total = vec![Array2::<f64>::zeros((d, d)); k];
        for part in parts {
            for (t, p) in total.iter_mut().zip(part) {
                *t += &p;
            }
        }
        total
    }

    /// Fit a mixture of `k` components (best of `n_init` EM runs); also returns the hard
    /// labels (most responsible component) of the training rows.
    pub fn fit_k(
        &self,
        x: ArrayView2<'_, f64>,
        k: usize,
        seed: u64,
    ) -> Result<(GaussianMixture, Vec<usize>), LearnError> {
        self.fit_k_with(x, k, seed, true)
    }

    /// [`Self::fit_k`], with the one-hot shortcuts when `one_hot` and `x` has blocks.
    fn fit_k_with(
        &self,
        x: ArrayView2<'_, f64>,
        k: usize,
        seed: u64,
        one_hot: bool,
    ) -> Result<(GaussianMixture, Vec<usize>), LearnError> {
        let xs = checked_matrix(x, "GMM")?;
        let n = xs.nrows();
        if k > n {
            return Err(LearnError::InvalidInput(format!(
                "a mixture of {k} components needs at least {k} rows, found {n}"
            )));
        }
        let rows = if one_hot {
            OneHotRows::new(xs.view())
        } else {
            None
        };
        let mut best: Option<(GaussianMixture, Vec<usize>)> = None;
        for run in 0..self.n_init {
            let km = KMeansParams {
                n_clusters: Some(k),
                n_init: 1,
                ..Default::default()
            };
            let (_, labels) = km.fit_k(xs.view(), k, derive_seed(seed, run as u64))?;
            let mut resp = Array2::zeros((n, k));
            for (i, &l) in labels.iter().enumerate() {
                resp[[i, l]] = 1.0;
            }
            let fit = self.em(xs.view(), rows.as_ref(), resp)?;
            if best
                .as_ref()
                .is_none_or(|b| fit.0.mean_log_likelihood > b.0.mean_log_likelihood)
            {
                best = Some(fit);
            }
        }
        Ok(best.expect("n_init >= 1"))
    }

    /// One EM run from the responsibilities `resp`: the model and the training labels.
    fn em(
        &self,
        x: ArrayView2<'_, f64>,
        rows: Option<&OneHotRows<'_>>,
        mut resp: Array2<f64>,
    ) -> Result<(GaussianMixture, Vec<usize>), LearnError> {
        let e_step = |model: &GaussianMixture, factors: &[Factor]| {
            normalised(match rows {
                Some(r) => r.weighted_log_prob(model, factors),
                None => model.weighted_log_prob(x),
            })
        };
        let (mut model, mut factors) = self.m_step(x, &resp, rows)?;
        let mut prev = f64::NEG_INFINITY;
        // The E-step of the converged parameters, which the final one would repeat.
        let mut converged_resp = None;
        for it in 0..self.max_iter {
            let (lpr, ll) = e_step(&model, &factors);
            model.n_iter = it + 1;
            model.mean_log_likelihood = ll;
            if (ll - prev).abs() < self.tol {
                model.converged = true;
                converged_resp = Some((lpr, ll));
                break;
            }
            prev = ll;
            resp = lpr.mapv(f64::exp);
            let (n_iter, conv) = (model.n_iter, model.converged);
            (model, factors) = self.m_step(x, &resp, rows)?;
            model.n_iter = n_iter;
            model.converged = conv;
        }
        // Final likelihood and labels under the final parameters.
        let (lpr, ll) = converged_resp.unwrap_or_else(|| e_step(&model, &factors));
        model.mean_log_likelihood = ll;
        Ok((model, argmax_rows(&lpr)))
    }

    /// The M-step: weights, means and precision factors from the responsibilities; with
    /// one-hot `rows`, also the factors in their working order.
    fn m_step(
        &self,
        x: ArrayView2<'_, f64>,
        resp: &Array2<f64>,
        rows: Option<&OneHotRows<'_>>,
    ) -> Result<(GaussianMixture, Vec<Factor>), LearnError> {
        let n = x.nrows();
        let k = resp.ncols();
        let nk: Array1<f64> = resp.sum_axis(Axis(0)) + 10.0 * f64::EPSILON;
        let means = resp.t().dot(&x) / nk.view().insert_axis(Axis(1));
        let mut factors = Vec::new();
        let scatter = match rows {
            None => self.scatter(x, resp, &means),
            Some(r) => {
                let working = r.scatter(resp, &means, self.covariance_type);
                let original = working.iter().map(|w| r.to_original(w)).collect();
                for (j, w) in working.into_iter().enumerate() {
                    let (q, log_det) = self.precision_factor(w, nk[j], j)?;
                    factors.push(Factor { q, log_det });
                }
                original
            }
        };
        let mut prec_chol = Vec::with_capacity(k);
        let mut log_det = Vec::with_capacity(k);
        for (j, sc) in scatter.into_iter().enumerate() {
            let (p, ld) = self.precision_factor(sc, nk[j], j)?;
            prec_chol.push(p);
            log_det.push(ld);
        }
        let weights: Vec<f64> = nk.iter().map(|v| v / n as f64).collect();
        let model = GaussianMixture {
            covariance_type: self.covariance_type,
            weights,
            means,
            prec_chol,
            log_det,
            mean_log_likelihood: f64::NEG_INFINITY,
            n_iter: 0,
            converged: false,
        };
        Ok((model, factors))
    }

    /// The precision Cholesky factor and its log-determinant of component `j` from its
    /// scatter and weight `nk`.
    fn precision_factor(
        &self,
        mut cov: Array2<f64>,
        nk: f64,
        j: usize,
    ) -> Result<(Array2<f64>, f64), LearnError> {
        cov /= nk;
        for i in 0..cov.nrows() {
            cov[[i, i]] += self.reg_covar;
        }
        let l = cholesky(&cov).ok_or_else(|| {
            LearnError::Fit(format!(
                "GMM component {j}: covariance is not positive definite; raise reg_covar"
            ))
        })?;
        Ok(lower_inverse(&l))
    }
}

/// Index of the largest value of each row (the first on ties).
fn argmax_rows(a: &Array2<f64>) -> Vec<usize> {
    a.rows()
        .into_iter()
        .map(|r| {
            let mut b = 0;
            for j in 1..r.len() {
                if r[j] > r[b] {
                    b = j;
                }
            }
            b
        })
        .collect()
}

/// Log responsibilities and the mean log-likelihood from weighted log densities.
fn normalised(mut w: Array2<f64>) -> (Array2<f64>, f64) {
    let mut total = 0.0;
    for mut r in w.rows_mut() {
        let lse = logsumexp(r.as_slice().expect("row-major"));
        total += lse;
        r.mapv_inplace(|v| v - lse);
    }
    let n = w.nrows().max(1) as f64;
    (w, total / n)
}

/// Add `w^T dc` (`w` = the rows of `dc` times their responsibilities) to a scatter: its
/// lower blocks for `full`, its diagonal for `diag`.
fn add_scatter(
    acc: &mut Array2<f64>,
    w: ArrayView2<'_, f64>,
    dc: ArrayView2<'_, f64>,
    cov: CovarianceType,
) {
    match cov {
        CovarianceType::Full => {
            for (bi, bj) in lower_blocks(dc.ncols()) {
                let mut a = acc.slice_mut(s![bi.clone(), bj.clone()]);
                general_mat_mul(
                    1.0,
                    &w.slice(s![.., bi]).t(),
                    &dc.slice(s![.., bj]),
                    1.0,
                    &mut a,
                );
            }
        }
        CovarianceType::Diag => {
            for i in 0..dc.ncols() {
                acc[[i, i]] += w.column(i).dot(&dc.column(i));
            }
        }
    }
}

/// Column blocks `(rows, cols)` on and below the diagonal of a `d x d` matrix cut into
/// blocks of [`BLOCK`]: the products with triangular or symmetric matrices skip the rest
/// (10 of 16 blocks at d = 122).
fn lower_blocks(d: usize) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let cuts: Vec<usize> = (0..d).step_by(BLOCK).collect();
    let block = |s: usize| s..(s + BLOCK).min(d);
    let mut out = Vec::new();
    for (i, &bi) in cuts.iter().enumerate() {
        for &bj in &cuts[..=i] {
            out.push((block(bi), block(bj)));
        }
    }
    out
}

/// Lower Cholesky factor of a symmetric positive definite matrix (reads the lower
/// triangle only).
fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[[i, i]] = s.sqrt();
            } else {
                l[[i, j]] = s / l[[j, j]];
            }
        }
    }
    Some(l)
}

/// `(L^-1, log det L^-1)` for lower-triangular `L`: the precision Cholesky factor `P` with
/// `Sigma^-1 = P^T P` and its log-determinant `-sum ln L_ii`.
fn lower_inverse(l: &Array2<f64>) -> (Array2<f64>, f64) {
    let d = l.nrows();
    let mut inv = Array2::<f64>::zeros((d, d));
    for i in 0..d {
        inv[[i, i]] = 1.0 / l[[i, i]];
        for j in 0..i {
            let mut s = 0.0;
            for k in j..i {
                s += l[[i, k]] * inv[[k, j]];
            }
            inv[[i, j]] = -s / l[[i, i]];
        }
    }
    let ld = -(0..d).map(|i| l[[i, i]].ln()).sum::<f64>();
    (inv, ld)
}

/// A fitted Gaussian mixture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GaussianMixture {
    pub covariance_type: CovarianceType,
    pub weights: Vec<f64>,
    #[serde(with = "super::mat_serde")]
    pub means: Array2<f64>,
    /// Per component, the lower-triangular `P` with precision `P^T P`.
    #[serde(with = "mats")]
    pub prec_chol: Vec<Array2<f64>>,
    /// `ln det P` per component.
    pub log_det: Vec<f64>,
    /// Mean log-likelihood of the training rows.
    pub mean_log_likelihood: f64,
    pub n_iter: usize,
    pub converged: bool,
}

mod mats {
    use ndarray::Array2;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(m: &[Array2<f64>], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<(usize, usize, Vec<f64>)> = m
            .iter()
            .map(|a| (a.nrows(), a.ncols(), a.iter().copied().collect()))
            .collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Array2<f64>>, D::Error> {
        let v: Vec<(usize, usize, Vec<f64>)> = Deserialize::deserialize(d)?;
        v.into_iter()
            .map(|(r, c, data)| Array2::from_shape_vec((r, c), data).map_err(D::Error::custom))
            .collect()
    }
}

impl GaussianMixture {
    /// Weighted log densities `ln w_j + ln N(x | mu_j, Sigma_j)`, one row per sample.
    fn weighted_log_prob(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let (n, d) = x.dim();
        let k = self.weights.len();
        let xs = x.as_standard_layout();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<Array2<f64>> = starts
            .par_iter()
            .map(|&s0| {
                let xc = xs.slice(ndarray::s![s0..(s0 + CHUNK).min(n), ..]);
                let mut o = Array2::zeros((xc.nrows(), k));
                let mut y = Array2::<f64>::zeros((xc.nrows(), d));
                for j in 0..k {
                    let p = &self.prec_chol[j];
                    // y = (x - mu) P^T, with P lower triangular: only its lower blocks.
                    let shift = self.means.row(j).dot(&p.t());
                    y.fill(0.0);
                    for (bi, bj) in lower_blocks(d) {
                        let pb = p.slice(s![bi.clone(), bj.clone()]);
                        let mut yb = y.slice_mut(s![.., bi]);
                        general_mat_mul(1.0, &xc.slice(s![.., bj]), &pb.t(), 1.0, &mut yb);
                    }
                    y -= &shift;
                    for (i, yr) in y.rows().into_iter().enumerate() {
                        let m: f64 = yr.iter().map(|v| v * v).sum();
                        o[[i, j]] =
                            self.weights[j].ln() + self.log_det[j] - 0.5 * (d as f64 * LN_2PI + m);
                    }
                }
                o
            })
            .collect();
        let mut out = Array2::zeros((n, k));
        for (&s0, p) in starts.iter().zip(&parts) {
            out.slice_mut(ndarray::s![s0..s0 + p.nrows(), ..]).assign(p);
        }
        out
    }

    /// Log-likelihood of each row.
    pub fn log_likelihood(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        if x.ncols() != self.means.ncols() {
            return vec![f64::NAN; x.nrows()];
        }
        self.weighted_log_prob(x)
            .rows()
            .into_iter()
            .map(|r| logsumexp(r.as_slice().expect("row-major")))
            .collect()
    }

    /// Number of free parameters (scikit-learn's `_n_parameters`).
    pub fn n_parameters(&self) -> usize {
        let (k, d) = self.means.dim();
        let cov = match self.covariance_type {
            CovarianceType::Full => k * d * (d + 1) / 2,
            CovarianceType::Diag => k * d,
        };
        cov + k * d + k - 1
    }

    /// Bayesian information criterion on `n` training rows: `-2 ln L + p ln n`.
    pub fn bic(&self, n: usize) -> f64 {
        -2.0 * self.mean_log_likelihood * n as f64 + self.n_parameters() as f64 * (n as f64).ln()
    }

    /// Akaike information criterion: `-2 ln L + 2 p`.
    pub fn aic(&self, n: usize) -> f64 {
        -2.0 * self.mean_log_likelihood * n as f64 + 2.0 * self.n_parameters() as f64
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: GaussianMixture = postcard::from_bytes(bytes)?;
        let (k, d) = m.means.dim();
        if k == 0
            || m.weights.len() != k
            || m.log_det.len() != k
            || m.prec_chol.iter().any(|p| p.dim() != (d, d))
            || m.prec_chol.len() != k
        {
            return Err(LearnError::Codec("GMM: inconsistent shapes".into()));
        }
        Ok(m)
    }
}

fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|a| (a - m).exp()).sum::<f64>().ln()
}

impl Detector for GaussianMixture {
    fn kind(&self) -> &'static str {
        "gmm"
    }
    fn n_features(&self) -> usize {
        self.means.ncols()
    }
    /// Negative log-likelihood of each row.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        self.log_likelihood(x).into_iter().map(|v| -v).collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

impl Clusterer for GaussianMixture {
    fn assign(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        if x.ncols() != self.means.ncols() {
            return vec![0; x.nrows()];
        }
        argmax_rows(&self.weighted_log_prob(x))
    }
}

/// BIC and AIC for each component count in `ks` (serialisable sweep for the report).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BicSweep {
    pub k: Vec<usize>,
    pub bic: Vec<f64>,
    pub aic: Vec<f64>,
    /// k with the lowest BIC.
    pub chosen_k: usize,
}

impl ClustererParams for GmmParams {
    fn fit(&self, x: ArrayView2<'_, f64>, ctx: &FitContext) -> Result<Clustering, LearnError> {
        let n = x.nrows();
        let (model, labels, sweep) = match self.n_components {
            Some(k) => {
                let (m, l) = self.fit_k(x, k, ctx.seed)?;
                (m, l, None)
            }
            None => {
                let ks: Vec<usize> = (self.k_min..=self.k_max.min(n)).collect();
                if ks.is_empty() {
                    return Err(LearnError::InvalidInput(
                        "GMM sweep: fewer rows than k_min".into(),
                    ));
                }
                let mut fits = Vec::new();
                let mut sw = BicSweep {
                    k: ks.clone(),
                    bic: vec![],
                    aic: vec![],
                    chosen_k: ks[0],
                };
                for &k in &ks {
                    let f = self.fit_k(x, k, derive_seed(ctx.seed, k as u64))?;
                    sw.bic.push(f.0.bic(n));
                    sw.aic.push(f.0.aic(n));
                    fits.push(f);
                }
                let mut bi = 0;
                for i in 1..ks.len() {
                    if sw.bic[i] < sw.bic[bi] {
                        bi = i;
                    }
                }
                sw.chosen_k = ks[bi];
                let (m, l) = fits.swap_remove(bi);
                (m, l, Some(sw))
            }
        };
        let k = model.weights.len();
        let opt: Vec<Option<usize>> = labels.iter().map(|&l| Some(l)).collect();
        let diagnostics = sweep
            .map(|sw| {
                ModelDiagnostic::InformationCriteria(InformationCriteria {
                    n_components: sw.k,
                    bic: sw.bic,
                    aic: sw.aic,
                    chosen: sw.chosen_k,
                })
            })
            .into_iter()
            .collect();
        Ok(Clustering {
            labels: opt,
            n_clusters: k,
            model: Some(Box::new(model)),
            diagnostics,
        })
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn ClustererParams>, LearnError> {
    Ok(Box::new(GmmParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Clusterer>, LearnError> {
    Ok(Box::new(GaussianMixture::from_bytes(bytes)?))
}

/// Registry entry of `gmm` (native EM).
pub fn clusterer_entry() -> ClustererEntry {
    ClustererEntry {
        name: "gmm",
        backend: "native",
        summary: "Gaussian mixture (EM, full/diag), score = -log-likelihood; BIC/AIC sweep",
        params: param_specs,
        build,
        load: Some(load),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_gaussian_closed_form() {
        // One full-covariance component is the sample mean and the biased sample
        // covariance: x = (0,0), (2,0), (0,2), (2,2) -> mean (1,1), cov = I.
        // ln N(mean) = -ln(2 pi) (d = 2, det = 1 + reg), mean log-lik over rows with
        // squared Mahalanobis distance 2 each: -ln(2 pi) - 1.
        let x = ndarray::array![[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]];
        let p = GmmParams {
            reg_covar: 0.0,
            ..Default::default()
        };
        let (m, _) = p.fit_k(x.view(), 1, 0).unwrap();
        assert!((m.means[[0, 0]] - 1.0).abs() < 1e-12);
        let want = -(2.0 * std::f64::consts::PI).ln() - 1.0;
        assert!((m.mean_log_likelihood - want).abs() < 1e-9);
        // p = 2*3/2 + 2 + 0 = 5; BIC = -2 * 4 * ll + 5 ln 4.
        assert_eq!(m.n_parameters(), 5);
        assert!((m.bic(4) - (-8.0 * want + 5.0 * 4f64.ln())).abs() < 1e-9);
        let back = GaussianMixture::from_bytes(&m.save().unwrap()).unwrap();
        assert_eq!(back.score(x.view()), m.score(x.view()));
    }

    #[test]
    fn closed_form_across_row_groups_and_thread_counts() {
        // The four points above repeated 4,500 times: 18,000 rows span two row groups of
        // the M-step and end in a partial chunk; the mean is still (1, 1), the covariance
        // I, and the mean log-likelihood -ln(2 pi) - 1 (analytic, as above). The fitted
        // model must not depend on the number of threads.
        let pts = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]];
        let n = 4 * 4500;
        assert!(n > GROUP && n % CHUNK != 0);
        let x = Array2::from_shape_fn((n, 2), |(i, j)| pts[i % 4][j]);
        let p = GmmParams {
            reg_covar: 0.0,
            ..Default::default()
        };
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| p.fit_k(x.view(), 1, 0).unwrap().0)
        };
        let m = fit(1);
        let want = -(2.0 * std::f64::consts::PI).ln() - 1.0;
        assert!((m.mean_log_likelihood - want).abs() < 1e-9);
        assert!((m.means[[0, 1]] - 1.0).abs() < 1e-12);
        let m2 = fit(2);
        assert_eq!(m2.prec_chol, m.prec_chol);
        assert_eq!(m2.mean_log_likelihood, m.mean_log_likelihood);
    }

    #[test]
    fn blocked_products_match_full_products() {
        // d = 70 spans three blocks; the log-likelihood from the blocked triangular
        // products must equal the one from plain full products (ndarray's dot) of the
        // same fitted parameters.
        let mut rng = crate::rng::Rng::new(3);
        let x = Array2::from_shape_simple_fn((300, 70), || rng.normal());
        let p = GmmParams {
            reg_covar: 1e-3,
            max_iter: 5,
            ..Default::default()
        };
        let (m, _) = p.fit_k(x.view(), 2, 0).unwrap();
        assert!(m.prec_chol[0][[0, 1]] == 0.0 && m.prec_chol[0][[1, 0]] != 0.0);
        let ours = m.log_likelihood(x.view());
        for (i, row) in x.rows().into_iter().enumerate() {
            let lp: Vec<f64> = (0..2)
                .map(|j| {
                    let y = (&row - &m.means.row(j)).dot(&m.prec_chol[j].t());
                    let q = y.dot(&y);
                    m.weights[j].ln() + m.log_det[j] - 0.5 * (70.0 * LN_2PI + q)
                })
                .collect();
            let direct = logsumexp(&lp);
            assert!((ours[i] - direct).abs() < 1e-9 * direct.abs().max(1.0));
        }
    }

    /// 20,000 rows (two M-step row groups, a partial chunk) in three clusters with columns
    /// `num0, A0..A2, num1, num2, B0..B4, num3`: two one-hot blocks between numeric
    /// columns, each column with its own `lo`/`hi` (as standard scaling leaves them). `B4`
    /// is hot in 3 rows only, with a large `hi - lo` (as scaling leaves a rare category).
    /// Cluster 2 has `num1` constant, `A2` and `B1` always: its component has variances of
    /// `reg_covar` only, where the one-hot sums cancel the most.
    fn one_hot_matrix() -> Array2<f64> {
        let n = 20_000;
        let mut rng = crate::rng::Rng::new(11);
        let mut x = Array2::zeros((n, 12));
        let lo = |c: usize| -0.1 * c as f64 - 0.05;
        let hi = |c: usize| lo(c) + 1.0 + 0.25 * c as f64;
        for i in 0..n {
            let cl = i % 3;
            let centre = [0.0, 8.0, -8.0][cl];
            for c in [0, 4, 5, 11] {
                x[[i, c]] = centre + (1.0 + c as f64 * 0.1) * rng.normal();
            }
            let (a, b) = match cl {
                2 => {
                    x[[i, 4]] = -8.0;
                    (2, 1)
                }
                _ => (rng.below(3), rng.below(4)),
            };
            let b = if i % 5000 == 3 && cl != 2 { 4 } else { b };
            for j in 0..3 {
                x[[i, 1 + j]] = if j == a { hi(1 + j) } else { lo(1 + j) };
            }
            for j in 0..5 {
                let h = if j == 4 { 80.0 } else { hi(6 + j) - lo(6 + j) };
                x[[i, 6 + j]] = lo(6 + j) + if j == b { h } else { 0.0 };
            }
        }
        x
    }

    /// `|a - b| <= tol * scale` for every pair of values.
    fn close(a: &[f64], b: &[f64], scale: impl Fn(usize) -> f64, tol: f64) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .enumerate()
                .all(|(i, (x, y))| (x - y).abs() <= tol * scale(i))
    }

    #[test]
    fn one_hot_steps_match_dense_steps() {
        // From the same soft responsibilities, the one-hot M-step gives the dense
        // covariances (to 1e-9 of sqrt(cov_ii cov_jj)) and the one-hot E-step the dense
        // log densities (to 1e-9 relative).
        let x = one_hot_matrix();
        let rows = OneHotRows::new(x.view()).expect("two blocks");
        let mut rng = crate::rng::Rng::new(5);
        let mut resp = Array2::from_shape_fn((x.nrows(), 3), |(i, j)| {
            if j == i % 3 { 8.0 } else { rng.next_f64() }
        });
        for mut r in resp.rows_mut() {
            let t = r.sum();
            r /= t;
        }
        for cov in [CovarianceType::Full, CovarianceType::Diag] {
            let p = GmmParams {
                covariance_type: cov,
                ..Default::default()
            };
            let nk = resp.sum_axis(Axis(0)) + 10.0 * f64::EPSILON;
            let means = resp.t().dot(&x) / nk.view().insert_axis(Axis(1));
            let dense = p.scatter(x.view(), &resp, &means);
            let fast = rows.scatter(&resp, &means, cov);
            for j in 0..3 {
                let c = |s: &Array2<f64>| s / nk[j] + Array2::<f64>::eye(12) * p.reg_covar;
                let (cd, cf) = (c(&dense[j]), c(&rows.to_original(&fast[j])));
                let lower = |m: &Array2<f64>| -> Vec<f64> {
                    (0..12)
                        .flat_map(|a| (0..=a).map(move |b| (a, b)))
                        .map(|(a, b)| m[[a, b]])
                        .collect()
                };
                let pos: Vec<(usize, usize)> =
                    (0..12).flat_map(|a| (0..=a).map(move |b| (a, b))).collect();
                let scale = |t: usize| (cd[[pos[t].0, pos[t].0]] * cd[[pos[t].1, pos[t].1]]).sqrt();
                assert!(
                    close(&lower(&cd), &lower(&cf), scale, 1e-9),
                    "{cov:?} component {j}"
                );
            }
            let (md, _) = p.m_step(x.view(), &resp, None).unwrap();
            let (mf, factors) = p.m_step(x.view(), &resp, Some(&rows)).unwrap();
            assert_eq!(md.means, mf.means);
            let wd = md.weighted_log_prob(x.view());
            let wf = rows.weighted_log_prob(&mf, &factors);
            let (wd, wf) = (wd.as_slice().unwrap(), wf.as_slice().unwrap());
            assert!(close(wd, wf, |i| wd[i].abs().max(1.0), 1e-9), "{cov:?}");
        }
    }

    #[test]
    fn one_hot_fit_matches_dense_fit() {
        // Blocks between numeric columns (copied), and after them (read in place).
        let x = one_hot_matrix();
        fit_matches_dense_fit(x.view());
        let numeric_first = x.select(Axis(1), &[0, 4, 5, 11, 1, 2, 3, 6, 7, 8, 9, 10]);
        fit_matches_dense_fit(numeric_first.as_standard_layout().view());
    }

    /// Whole EM runs: same iterations, labels and log-likelihoods, and the same fitted
    /// parameters to 1e-9; the tiny-variance component has precisions near 1e3.
    fn fit_matches_dense_fit(x: ArrayView2<'_, f64>) {
        assert!(OneHotRows::new(x).is_some());
        let p = GmmParams::default();
        let (md, ld) = p.fit_k_with(x, 3, 7, false).unwrap();
        let (mf, lf) = p.fit_k_with(x, 3, 7, true).unwrap();
        assert_eq!((md.n_iter, md.converged), (mf.n_iter, mf.converged));
        assert_eq!(ld, lf);
        let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1.0);
        assert!(rel(md.mean_log_likelihood, mf.mean_log_likelihood) < 1e-9);
        let big = md
            .prec_chol
            .iter()
            .flatten()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            big > 500.0,
            "a component of variance about reg_covar: {big}"
        );
        for j in 0..3 {
            let (pd, pf) = (&md.prec_chol[j], &mf.prec_chol[j]);
            let row_scale = |t: usize| pd.row(t / 12).iter().fold(1.0f64, |m, v| m.max(v.abs()));
            assert!(close(
                pd.as_slice().unwrap(),
                pf.as_slice().unwrap(),
                row_scale,
                1e-9
            ));
            assert!(rel(md.log_det[j], mf.log_det[j]) < 1e-9);
            assert!(rel(md.weights[j], mf.weights[j]) < 1e-9);
        }
        let mean_scale = |_| 8.0;
        assert!(close(
            md.means.as_slice().unwrap(),
            mf.means.as_slice().unwrap(),
            mean_scale,
            1e-9
        ));
        let (lld, llf) = (md.log_likelihood(x), mf.log_likelihood(x));
        assert!(close(&lld, &llf, |i| lld[i].abs().max(1.0), 1e-9));
    }

    #[test]
    fn one_hot_fit_same_at_any_thread_count() {
        let x = one_hot_matrix();
        let p = GmmParams::default();
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| p.fit_k(x.view(), 3, 7).unwrap())
        };
        let (m1, l1) = fit(1);
        let (m2, l2) = fit(2);
        assert_eq!(l1, l2);
        assert_eq!(m1.prec_chol, m2.prec_chol);
        assert_eq!(m1.means, m2.means);
        assert_eq!(m1.mean_log_likelihood, m2.mean_log_likelihood);
    }

    #[test]
    fn only_one_hot_columns() {
        // No numeric column at all: the one-hot path still matches the dense one.
        let x = one_hot_matrix().select(Axis(1), &[1, 2, 3, 6, 7, 8, 9, 10]);
        let x = x.as_standard_layout();
        assert!(OneHotRows::new(x.view()).is_some());
        let p = GmmParams {
            reg_covar: 1e-3,
            ..Default::default()
        };
        let (md, ld) = p.fit_k_with(x.view(), 2, 1, false).unwrap();
        let (mf, lf) = p.fit_k_with(x.view(), 2, 1, true).unwrap();
        assert_eq!(ld, lf);
        let rel = (md.mean_log_likelihood - mf.mean_log_likelihood).abs();
        assert!(rel < 1e-9 * md.mean_log_likelihood.abs().max(1.0));
    }
}
