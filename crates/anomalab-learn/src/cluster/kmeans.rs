//! k-means (native Lloyd or Elkan iterations with greedy k-means++ initialisation,
//! scikit-learn semantics), the elbow sweep over a range of k and per-cluster profiling.
//!
//! Native rather than linfa-clustering, whose k-means is slower than scikit-learn's
//! (`docs/benchmarks.md`, design measurements), while the elbow sweep must be at least as
//! fast. Semantics follow
//! scikit-learn's `KMeans`: k-means++ with `2 + floor(ln k)` local trials (candidates drawn
//! proportionally to the squared distance to the nearest chosen centre, the one that lowers
//! the potential most kept), tolerance `tol * mean(var(X, axis=0))` on the total squared
//! centre shift, strict convergence when labels stop changing, a last assignment step when
//! stopped by the tolerance or `max_iter`, empty clusters moved to the points farthest from
//! their centres, best of `n_init` runs by inertia.
//!
//! How it is made fast without changing the result:
//!
//! * Distances are computed directly (`sum (x - c)^2`, not `|x|^2 - 2 x.c + |c|^2`) by the
//!   kernels of [`super::distance`], which have one fixed summation order and run with AVX2
//!   when the CPU has it (same bits either way).
//! * k-means++ evaluates all local trials of a step in one pass over the data and skips a
//!   row for a candidate when the triangle inequality proves the candidate cannot be closer
//!   than the row's current nearest centre (`|cand - c|^2 > 4 |x - c|^2`). The distances
//!   it keeps are exactly the first assignment step, which is therefore not recomputed.
//! * `algorithm = "elkan"` (the default) keeps Elkan's (2003) upper and lower bounds and
//!   computes a distance only when the bounds cannot rule a centre out; the bounds are
//!   tested with a relative safety margin of 1e-9, so a centre is skipped only when it is
//!   certainly farther, and ties go to the lowest centre index as in the Lloyd argmin.
//! * Both algorithms keep the cluster sums up to date from the label changes of each step
//!   (the rows that moved are subtracted from their old cluster and added to the new one)
//!   instead of re-summing every row. With the same start, Elkan and Lloyd therefore return
//!   the same labels, centres and inertia bit for bit (a unit test checks it); they differ
//!   from a full re-summation only by rounding.
//! * Work is split into fixed 1024-row chunks run in parallel; per-chunk partial sums are
//!   reduced in chunk order, so every result is identical for any thread count.

use anomalab_results::{Elbow, ModelDiagnostic};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CHUNK, CurveShape, checked_matrix, kneedle};
use crate::LearnError;
use crate::distance::{Kernel, dispatch, sqd};
use crate::eval::SilhouetteSample;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::ClustererEntry;
use crate::traits::{Clusterer, ClustererParams, Clustering, Detector, FitContext};

/// How the first centres are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansInit {
    /// Greedy k-means++ (scikit-learn's default).
    KMeansPlusPlus,
    /// `k` distinct random rows.
    Random,
}

/// Which iteration runs after the initialisation (same result, different speed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansAlgorithm {
    /// Plain Lloyd: every distance of every row in every iteration.
    Lloyd,
    /// Elkan's triangle-inequality bounds: distances only where the bounds cannot decide.
    Elkan,
}

/// Validated k-means hyper-parameters.
#[derive(Debug, Clone)]
pub struct KMeansParams {
    /// `None` = choose k by the elbow sweep over `k_min..=k_max`.
    pub n_clusters: Option<usize>,
    pub k_min: usize,
    pub k_max: usize,
    pub n_init: usize,
    pub max_iter: usize,
    pub tol: f64,
    pub init: KMeansInit,
    pub algorithm: KMeansAlgorithm,
    /// Rows of the seeded sample the elbow sweep computes silhouettes on.
    pub silhouette_sample: usize,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: Some(8),
            k_min: 2,
            k_max: 12,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            init: KMeansInit::KMeansPlusPlus,
            algorithm: KMeansAlgorithm::Elkan,
            silhouette_sample: 2000,
        }
    }
}

/// Parameter schema of `kmeans`.
pub fn param_specs() -> Vec<ParamSpec> {
    let count = ParamKind::Int {
        min: 1,
        max: 100_000,
    };
    vec![
        ParamSpec::new(
            "n_clusters",
            ParamKind::OneOf(vec![count.clone(), ParamKind::Choice(&["auto"])]),
            ParamValue::Int(8),
            "number of clusters, or \"auto\" = knee of the elbow sweep over k_min..=k_max",
        ),
        ParamSpec::new(
            "k_min",
            count.clone(),
            ParamValue::Int(2),
            "smallest k of the elbow sweep (n_clusters: auto)",
        ),
        ParamSpec::new(
            "k_max",
            count.clone(),
            ParamValue::Int(12),
            "largest k of the elbow sweep (n_clusters: auto)",
        ),
        ParamSpec::new(
            "n_init",
            ParamKind::Int { min: 1, max: 1000 },
            ParamValue::Int(1),
            "runs with different seeds; the lowest inertia wins",
        ),
        ParamSpec::new(
            "max_iter",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(300),
            "maximum iterations per run",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::Float { min: 0.0, max: 1.0 },
            ParamValue::Float(1e-4),
            "convergence tolerance on the centre shift, relative to the mean feature variance",
        ),
        ParamSpec::new(
            "init",
            ParamKind::Choice(&["k-means++", "random"]),
            ParamValue::Str("k-means++".into()),
            "centre initialisation",
        ),
        ParamSpec::new(
            "algorithm",
            ParamKind::Choice(&["elkan", "lloyd"]),
            ParamValue::Str("elkan".into()),
            "iteration: elkan (triangle-inequality bounds) or lloyd; same result, elkan is faster",
        ),
        ParamSpec::new(
            "silhouette_sample",
            ParamKind::Int {
                min: 10,
                max: 100_000,
            },
            ParamValue::Int(2000),
            "rows (seeded sample) used for the silhouette of each k in the elbow sweep",
        ),
    ]
}

impl KMeansParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let n_clusters = match p.get("n_clusters")? {
            ParamValue::Str(s) if s == "auto" => None,
            _ => Some(p.usize("n_clusters")?),
        };
        let init = match p.str("init")? {
            "k-means++" => KMeansInit::KMeansPlusPlus,
            "random" => KMeansInit::Random,
            other => return Err(LearnError::param("init", format!("unknown init `{other}`"))),
        };
        let algorithm = match p.str("algorithm")? {
            "elkan" => KMeansAlgorithm::Elkan,
            "lloyd" => KMeansAlgorithm::Lloyd,
            other => {
                return Err(LearnError::param(
                    "algorithm",
                    format!("unknown algorithm `{other}`"),
                ));
            }
        };
        let out = KMeansParams {
            n_clusters,
            k_min: p.usize("k_min")?,
            k_max: p.usize("k_max")?,
            n_init: p.usize("n_init")?.max(1),
            max_iter: p.usize("max_iter")?.max(1),
            tol: p.f64("tol")?,
            init,
            algorithm,
            silhouette_sample: p.usize("silhouette_sample")?,
        };
        if out.n_clusters == Some(0) {
            return Err(LearnError::param("n_clusters", "must be at least 1"));
        }
        if out.k_min > out.k_max {
            return Err(LearnError::param("k_min", "must not exceed k_max"));
        }
        Ok(out)
    }

    /// Fit k-means with `k` clusters: the best of `n_init` runs (run `r` seeded with
    /// `derive_seed(seed, r)`).
    pub fn fit_k(
        &self,
        x: ArrayView2<'_, f64>,
        k: usize,
        seed: u64,
    ) -> Result<(KMeans, Vec<usize>), LearnError> {
        let xs = checked_matrix(x, "k-means")?;
        let (n, d) = xs.dim();
        if k == 0 || k > n {
            return Err(LearnError::InvalidInput(format!(
                "k-means with {k} clusters needs at least {k} rows, found {n}"
            )));
        }
        let data = Data {
            x: xs.as_slice().expect("standard layout"),
            n,
            d,
        };
        let tol = self.tol * mean_variance(&data);
        let mut best: Option<(KMeans, Vec<usize>)> = None;
        for run in 0..self.n_init {
            let mut rng = Rng::new(derive_seed(seed, run as u64));
            let start = match self.init {
                KMeansInit::KMeansPlusPlus => kmeans_plusplus(&data, k, &mut rng),
                KMeansInit::Random => {
                    let mut centres = Vec::with_capacity(k * d);
                    for r in rng.sample_indices(n, k) {
                        centres.extend_from_slice(data.row(r));
                    }
                    Start {
                        centres,
                        assignment: None,
                    }
                }
            };
            let fit = run_kmeans(&data, start, self.algorithm, self.max_iter, tol);
            if best.as_ref().is_none_or(|(b, _)| fit.0.inertia < b.inertia) {
                best = Some(fit);
            }
        }
        Ok(best.expect("n_init >= 1"))
    }

    /// One run from the given initial centres (one per row), as scikit-learn's
    /// `KMeans(init=centres, n_init=1)`: `init`, `n_init` and the seed play no part.
    pub fn fit_from(
        &self,
        x: ArrayView2<'_, f64>,
        centres: ArrayView2<'_, f64>,
    ) -> Result<(KMeans, Vec<usize>), LearnError> {
        let xs = checked_matrix(x, "k-means")?;
        let (n, d) = xs.dim();
        let c = checked_matrix(centres, "k-means initial centres")?;
        let k = c.nrows();
        if c.ncols() != d || k > n {
            return Err(LearnError::InvalidInput(format!(
                "{k} initial centres of {} features for {n} rows of {d} features",
                c.ncols()
            )));
        }
        let data = Data {
            x: xs.as_slice().expect("standard layout"),
            n,
            d,
        };
        let tol = self.tol * mean_variance(&data);
        let start = Start {
            centres: c.as_slice().expect("standard layout").to_vec(),
            assignment: None,
        };
        Ok(run_kmeans(&data, start, self.algorithm, self.max_iter, tol))
    }
}

/// A row-major data matrix.
struct Data<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
}

impl Data<'_> {
    fn row(&self, r: usize) -> &[f64] {
        &self.x[r * self.d..(r + 1) * self.d]
    }

    /// The rows in parallel chunks of `CHUNK` rows.
    fn chunks(&self) -> rayon::slice::Chunks<'_, f64> {
        self.x.par_chunks(CHUNK * self.d)
    }
}

/// Mean of the per-feature variances (numpy's `np.var(X, axis=0).mean()`), in one pass:
/// per feature, sums of `x - s` and `(x - s)^2` with the first row as the shift `s`
/// (`var = (S2 - S1^2 / n) / n`), chunk sums reduced in chunk order.
fn mean_variance(data: &Data<'_>) -> f64 {
    let (n, d) = (data.n, data.d);
    let shift = data.row(0);
    let parts: Vec<Vec<f64>> = data
        .chunks()
        .map(|ch| {
            let mut acc = vec![0.0; 2 * d];
            let (s1, s2) = acc.split_at_mut(d);
            for r in ch.chunks_exact(d) {
                for ((a, b), (v, s)) in s1.iter_mut().zip(s2.iter_mut()).zip(r.iter().zip(shift)) {
                    let t = v - s;
                    *a += t;
                    *b += t * t;
                }
            }
            acc
        })
        .collect();
    let mut tot = vec![0.0; 2 * d];
    for p in &parts {
        for (a, v) in tot.iter_mut().zip(p) {
            *a += v;
        }
    }
    let nf = n as f64;
    let (s1, s2) = tot.split_at(d);
    s1.iter()
        .zip(s2)
        .map(|(a, b)| ((b - a * a / nf) / nf).max(0.0))
        .sum::<f64>()
        / d as f64
}

/// Initial centres (`k x d`, row-major) and, when the initialisation computed it exactly,
/// the first assignment step they induce: labels and squared distances to the assigned
/// centre (argmin with the lowest index on ties, distances from [`sqd`]).
struct Start {
    centres: Vec<f64>,
    assignment: Option<(Vec<usize>, Vec<f64>)>,
}

/// Relative safety margin of every triangle-inequality test: a centre (or candidate) is
/// skipped only when the bound beats the distance by this much more than rounding could
/// account for (the distances themselves are accurate to about `d * 1e-16`).
const MARGIN: f64 = 1e-9;

dispatch! {
    fn pp_first = pp_first_impl(rows: &[f64], d: usize, c0: &[f64], closest: &mut [f64]) -> f64
}

/// Squared distance of every row to the first centre; returns the chunk's sum.
#[inline(always)]
fn pp_first_impl<K: Kernel>(rows: &[f64], d: usize, c0: &[f64], closest: &mut [f64]) -> f64 {
    let mut pot = 0.0;
    for (x, c) in rows.chunks_exact(d).zip(closest.iter_mut()) {
        *c = K::sqd(x, c0);
        pot += *c;
    }
    pot
}

dispatch! {
    fn pp_trials = pp_trials_impl(
        rows: &[f64],
        d: usize,
        trials: &Trials<'_>,
        labels: &[usize],
        closest: &[f64],
        out: &mut [f64],
        pots: &mut [f64],
    )
}

/// The candidates of one k-means++ step.
struct Trials<'a> {
    /// Candidate rows (`T x d`).
    cands: &'a [f64],
    /// `cc[t * n_centres + j] = |cand_t - c_j|^2` for the centres chosen so far.
    cc: &'a [f64],
    n_centres: usize,
}

/// One k-means++ step for a chunk: for every row and candidate `t`, the new closest
/// squared distance `min(closest, |x - cand_t|^2)` into `out[i * T + t]` and its chunk sum
/// into `pots[t]`. When `|cand_t - c_j|^2` for the row's nearest centre `c_j` exceeds
/// `4 * closest` (with the margin), the candidate is farther than `c_j` by the triangle
/// inequality, and the distance is not computed.
#[inline(always)]
fn pp_trials_impl<K: Kernel>(
    rows: &[f64],
    d: usize,
    trials: &Trials<'_>,
    labels: &[usize],
    closest: &[f64],
    out: &mut [f64],
    pots: &mut [f64],
) {
    let t_count = pots.len();
    let (cands, cc, n_centres) = (trials.cands, trials.cc, trials.n_centres);
    pots.fill(0.0);
    for (i, x) in rows.chunks_exact(d).enumerate() {
        let cl = closest[i];
        let lim = 4.0 * cl * (1.0 + MARGIN);
        let a = labels[i];
        for t in 0..t_count {
            let v = if cc[t * n_centres + a] > lim {
                cl
            } else {
                K::sqd(x, &cands[t * d..(t + 1) * d]).min(cl)
            };
            out[i * t_count + t] = v;
            pots[t] += v;
        }
    }
}

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: the first centre uniformly at
/// random, then for each further centre `2 + floor(ln k)` candidates drawn with probability
/// proportional to the squared distance to the nearest chosen centre (cumulative sums
/// searched as `np.searchsorted`), keeping the candidate that gives the smallest potential
/// (sum of squared distances to the nearest centre; first on ties).
fn kmeans_plusplus(data: &Data<'_>, k: usize, rng: &mut Rng) -> Start {
    let (n, d) = (data.n, data.d);
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut centres = Vec::with_capacity(k * d);
    centres.extend_from_slice(data.row(rng.below(n)));
    let mut closest = vec![0.0; n];
    let mut labels = vec![0usize; n];
    let parts: Vec<f64> = data
        .chunks()
        .zip(closest.par_chunks_mut(CHUNK))
        .map(|(ch, cl)| pp_first(ch, d, &centres[..d], cl))
        .collect();
    let mut pot: f64 = parts.iter().sum();
    let mut cum = vec![0.0; n];
    let mut out = vec![0.0; n * n_trials];
    let mut cands = vec![0.0; n_trials * d];
    let mut cand_rows = vec![0usize; n_trials];
    let mut cc = vec![0.0; n_trials * k];
    for c in 1..k {
        let mut acc = 0.0;
        for (s, v) in cum.iter_mut().zip(&closest) {
            acc += v;
            *s = acc;
        }
        for t in 0..n_trials {
            let target = rng.next_f64() * pot;
            let r = cum.partition_point(|&v| v < target).min(n - 1);
            cand_rows[t] = r;
            cands[t * d..(t + 1) * d].copy_from_slice(data.row(r));
            for j in 0..c {
                cc[t * c + j] = sqd(data.row(r), &centres[j * d..(j + 1) * d]);
            }
        }
        let chunk_pots: Vec<Vec<f64>> = data
            .chunks()
            .zip(labels.par_chunks(CHUNK))
            .zip(closest.par_chunks(CHUNK))
            .zip(out.par_chunks_mut(CHUNK * n_trials))
            .map(|(((ch, lab), cl), o)| {
                let mut p = vec![0.0; n_trials];
                let trials = Trials {
                    cands: &cands,
                    cc: &cc[..n_trials * c],
                    n_centres: c,
                };
                pp_trials(ch, d, &trials, lab, cl, o, &mut p);
                p
            })
            .collect();
        let mut pots = vec![0.0; n_trials];
        for p in &chunk_pots {
            for (a, b) in pots.iter_mut().zip(p) {
                *a += b;
            }
        }
        let mut best = 0;
        for t in 1..n_trials {
            if pots[t] < pots[best] {
                best = t;
            }
        }
        pot = pots[best];
        labels
            .par_chunks_mut(CHUNK)
            .zip(closest.par_chunks_mut(CHUNK))
            .zip(out.par_chunks(CHUNK * n_trials))
            .for_each(|((lab, cl), o)| {
                for i in 0..lab.len() {
                    let v = o[i * n_trials + best];
                    if v < cl[i] {
                        lab[i] = c;
                    }
                    cl[i] = v;
                }
            });
        centres.extend_from_slice(data.row(cand_rows[best]));
    }
    Start {
        centres,
        assignment: Some((labels, closest)),
    }
}

/// A label change in a chunk: row (within the chunk), old label, new label.
type Change = (u32, u32, u32);

/// Change of the cluster sums and counts of one chunk.
struct Delta {
    sums: Vec<f64>,
    counts: Vec<i64>,
}

/// Per-cluster sums and counts of one chunk, rows added in order.
fn chunk_sums(rows: &[f64], d: usize, k: usize, labels: &[usize]) -> Delta {
    let mut out = Delta {
        sums: vec![0.0; k * d],
        counts: vec![0; k],
    };
    for (x, &l) in rows.chunks_exact(d).zip(labels) {
        out.counts[l] += 1;
        for (s, v) in out.sums[l * d..(l + 1) * d].iter_mut().zip(x) {
            *s += v;
        }
    }
    out
}

/// Sums and counts change of one chunk from its label changes (in row order: the row
/// leaves its old cluster, joins the new one).
fn chunk_delta(rows: &[f64], d: usize, k: usize, changes: &[Change]) -> Delta {
    let mut out = Delta {
        sums: vec![0.0; k * d],
        counts: vec![0; k],
    };
    for &(i, from, to) in changes {
        let x = &rows[i as usize * d..(i as usize + 1) * d];
        let (from, to) = (from as usize, to as usize);
        out.counts[from] -= 1;
        out.counts[to] += 1;
        for (s, v) in out.sums[from * d..(from + 1) * d].iter_mut().zip(x) {
            *s -= v;
        }
        for (s, v) in out.sums[to * d..(to + 1) * d].iter_mut().zip(x) {
            *s += v;
        }
    }
    out
}

/// Index of the smallest of `dist` (the lowest index on ties).
#[inline(always)]
fn nearest(dist: &[f64]) -> usize {
    let mut best = 0;
    for (j, &v) in dist.iter().enumerate().skip(1) {
        if v < dist[best] {
            best = j;
        }
    }
    best
}

dispatch! {
    fn lloyd_chunk = lloyd_chunk_impl(
        rows: &[f64],
        d: usize,
        centres: &[f64],
        labels: &mut [usize],
        dist: &mut [f64],
        changes: Option<&mut Vec<Change>>,
    )
}

/// Lloyd assignment of one chunk: nearest centre (lowest index on ties) and its squared
/// distance; label changes are appended to `changes` if given.
#[inline(always)]
fn lloyd_chunk_impl<K: Kernel>(
    rows: &[f64],
    d: usize,
    centres: &[f64],
    labels: &mut [usize],
    dist: &mut [f64],
    mut changes: Option<&mut Vec<Change>>,
) {
    let k = centres.len() / d;
    let mut buf = vec![0.0; k];
    for (i, x) in rows.chunks_exact(d).enumerate() {
        K::sqd_all(x, centres, d, &mut buf);
        let best = nearest(&buf);
        let bv = buf[best];
        if labels[i] != best {
            if let Some(c) = changes.as_deref_mut() {
                c.push((i as u32, labels[i] as u32, best as u32));
            }
            labels[i] = best;
        }
        dist[i] = bv;
    }
}

dispatch! {
    fn elkan_full_chunk = elkan_full_chunk_impl(
        rows: &[f64],
        d: usize,
        centres: &[f64],
        labels: &mut [usize],
        upper: &mut [f64],
        lower: &mut [f64],
    )
}

/// First Elkan assignment without a known start: every distance, exact bounds.
#[inline(always)]
fn elkan_full_chunk_impl<K: Kernel>(
    rows: &[f64],
    d: usize,
    centres: &[f64],
    labels: &mut [usize],
    upper: &mut [f64],
    lower: &mut [f64],
) {
    let k = centres.len() / d;
    let mut buf = vec![0.0; k];
    for (i, x) in rows.chunks_exact(d).enumerate() {
        K::sqd_all(x, centres, d, &mut buf);
        let best = nearest(&buf);
        labels[i] = best;
        upper[i] = buf[best].sqrt();
        for (l, v) in lower[i * k..(i + 1) * k].iter_mut().zip(&buf) {
            *l = v.sqrt();
        }
    }
}

/// Centre geometry Elkan's tests need: half distances between centres and, per centre,
/// the smallest of them.
struct CentreGaps {
    half: Vec<f64>,
    nearest_half: Vec<f64>,
}

fn centre_gaps(centres: &[f64], k: usize, d: usize) -> CentreGaps {
    let mut half = vec![0.0; k * k];
    for a in 0..k {
        for b in (a + 1)..k {
            let h = 0.5 * sqd(&centres[a * d..(a + 1) * d], &centres[b * d..(b + 1) * d]).sqrt();
            half[a * k + b] = h;
            half[b * k + a] = h;
        }
    }
    let nearest_half = (0..k)
        .map(|a| {
            (0..k)
                .filter(|&b| b != a)
                .map(|b| half[a * k + b])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    CentreGaps { half, nearest_half }
}

dispatch! {
    fn elkan_chunk = elkan_chunk_impl(
        rows: &[f64],
        d: usize,
        geo: &Geometry<'_>,
        labels: &mut [usize],
        upper: &mut [f64],
        lower: &mut [f64],
        changes: &mut Vec<Change>,
    )
}

/// What an Elkan step needs to know about the centres.
struct Geometry<'a> {
    centres: &'a [f64],
    gaps: &'a CentreGaps,
    /// How far each centre moved in the last update.
    shift: &'a [f64],
}

/// One Elkan assignment step for a chunk (Elkan 2003, as scikit-learn's
/// `elkan_iter_chunked_dense`). The bounds are first moved by the last centre shifts
/// (`upper += shift[label]`, `lower[j] = max(lower[j] - shift[j], 0)`); a row is skipped
/// when its upper bound is below half the distance from its centre to the nearest other
/// centre; otherwise centre `j` is examined only if neither `lower[j]` nor half the
/// distance between the two centres exceeds the upper bound (the bound is tightened to the
/// exact distance first). Label changes are appended to `changes`.
#[inline(always)]
fn elkan_chunk_impl<K: Kernel>(
    rows: &[f64],
    d: usize,
    geo: &Geometry<'_>,
    labels: &mut [usize],
    upper: &mut [f64],
    lower: &mut [f64],
    changes: &mut Vec<Change>,
) {
    let (centres, shift) = (geo.centres, geo.shift);
    let (half, nearest_half) = (&geo.gaps.half, &geo.gaps.nearest_half);
    let k = centres.len() / d;
    let keep = 1.0 - MARGIN;
    for (i, x) in rows.chunks_exact(d).enumerate() {
        let a0 = labels[i];
        let lo = &mut lower[i * k..(i + 1) * k];
        for (l, s) in lo.iter_mut().zip(shift) {
            *l = (*l - s).max(0.0);
        }
        let mut a = a0;
        let mut u = upper[i] + shift[a0];
        if nearest_half[a] * keep > u {
            upper[i] = u;
            continue;
        }
        let mut tight = false;
        let mut da2 = 0.0;
        for j in 0..k {
            if j == a {
                continue;
            }
            let bound = lo[j].max(half[a * k + j]);
            if bound * keep > u {
                continue;
            }
            if !tight {
                da2 = K::sqd(x, &centres[a * d..(a + 1) * d]);
                u = da2.sqrt();
                lo[a] = u;
                tight = true;
                if bound * keep > u {
                    continue;
                }
            }
            let dj2 = K::sqd(x, &centres[j * d..(j + 1) * d]);
            let dj = dj2.sqrt();
            lo[j] = dj;
            if dj2 < da2 || (dj2 == da2 && j < a) {
                a = j;
                da2 = dj2;
                u = dj;
            }
        }
        if a != a0 {
            changes.push((i as u32, a0 as u32, a as u32));
            labels[i] = a;
        }
        upper[i] = u;
    }
}

dispatch! {
    fn assigned_sq_chunk = assigned_sq_chunk_impl(
        rows: &[f64],
        d: usize,
        centres: &[f64],
        labels: &[usize],
        out: &mut [f64],
    )
}

/// Squared distance of every row to its assigned centre.
#[inline(always)]
fn assigned_sq_chunk_impl<K: Kernel>(
    rows: &[f64],
    d: usize,
    centres: &[f64],
    labels: &[usize],
    out: &mut [f64],
) {
    for ((x, &l), o) in rows.chunks_exact(d).zip(labels).zip(out.iter_mut()) {
        *o = K::sqd(x, &centres[l * d..(l + 1) * d]);
    }
}

/// Sum of `v` in chunk order (chunk sums left to right, then the chunks in order): the
/// inertia of a Lloyd and an Elkan run is summed the same way.
fn chunked_sum(v: &[f64]) -> f64 {
    let parts: Vec<f64> = v.par_chunks(CHUNK).map(|c| c.iter().sum::<f64>()).collect();
    parts.iter().sum()
}

/// Per-row state of a run.
struct RunState {
    k: usize,
    labels: Vec<usize>,
    /// Lloyd: squared distance to the assigned centre (exact after every step).
    dist: Vec<f64>,
    /// Elkan: upper bound of the distance to the assigned centre.
    upper: Vec<f64>,
    /// Elkan: lower bounds of the distances to every centre (`n x k`).
    lower: Vec<f64>,
    /// Cluster sums (`k x d`) and counts of the current labels, kept up to date from the
    /// label changes of each step.
    sums: Vec<f64>,
    counts: Vec<usize>,
}

/// Lloyd or Elkan iterations from `start`, scikit-learn's `_kmeans_single_lloyd` /
/// `_kmeans_single_elkan` loop: assign, strict convergence if no label changed (from the
/// second step on), update centres, stop when the total squared shift is `<= tol`;
/// without strict convergence a last assignment with the final centres. The inertia is
/// computed exactly from the final labels and centres.
fn run_kmeans(
    data: &Data<'_>,
    start: Start,
    algorithm: KMeansAlgorithm,
    max_iter: usize,
    tol: f64,
) -> (KMeans, Vec<usize>) {
    let (n, d) = (data.n, data.d);
    let mut centres = start.centres;
    let k = centres.len() / d;
    let elkan = algorithm == KMeansAlgorithm::Elkan;
    let mut st = RunState {
        k,
        labels: vec![0; n],
        dist: vec![0.0; n],
        upper: Vec::new(),
        lower: Vec::new(),
        sums: vec![0.0; k * d],
        counts: vec![0; k],
    };
    let mut gaps = centre_gaps(&centres, k, d);
    let mut shift = vec![0.0; k];
    if elkan {
        st.upper = vec![0.0; n];
        st.lower = vec![0.0; n * k];
    }
    // Step 0: the assignment of the initial centres.
    match start.assignment {
        Some((labels, dist)) => {
            st.labels = labels;
            st.dist = dist;
            if elkan {
                // Exact upper bounds; lower bounds from the triangle inequality
                // |x - c_j| >= |c_a - c_j| - |x - c_a|.
                let half = &gaps.half;
                st.upper
                    .par_chunks_mut(CHUNK)
                    .zip(st.lower.par_chunks_mut(CHUNK * k))
                    .zip(st.labels.par_chunks(CHUNK))
                    .zip(st.dist.par_chunks(CHUNK))
                    .for_each(|(((up, lo), lab), dst)| {
                        for i in 0..lab.len() {
                            let a = lab[i];
                            let u = dst[i].sqrt();
                            up[i] = u;
                            for j in 0..k {
                                lo[i * k + j] = if j == a {
                                    u
                                } else {
                                    (2.0 * half[a * k + j] - u).max(0.0)
                                };
                            }
                        }
                    });
            }
        }
        None => {
            if elkan {
                data.chunks()
                    .zip(st.labels.par_chunks_mut(CHUNK))
                    .zip(st.upper.par_chunks_mut(CHUNK))
                    .zip(st.lower.par_chunks_mut(CHUNK * k))
                    .for_each(|(((ch, lab), up), lo)| {
                        elkan_full_chunk(ch, d, &centres, lab, up, lo)
                    });
            } else {
                lloyd_step(data, &centres, &mut st, false);
            }
        }
    }
    // Cluster sums of the first assignment: chunk sums added in chunk order.
    let parts: Vec<Delta> = data
        .chunks()
        .zip(st.labels.par_chunks(CHUNK))
        .map(|(ch, lab)| chunk_sums(ch, d, k, lab))
        .collect();
    apply_deltas(&mut st, &parts, d);

    let mut n_iter = 0;
    let mut strict = false;
    for it in 0..max_iter {
        n_iter = it + 1;
        if it > 0 {
            let changed = if elkan {
                elkan_step(data, &centres, &gaps, &shift, &mut st, true)
            } else {
                lloyd_step(data, &centres, &mut st, true)
            };
            if changed == 0 {
                strict = true;
                break;
            }
        }
        let new = update_centres(data, &centres, &mut st, elkan);
        let mut total = 0.0;
        for (j, s) in shift.iter_mut().enumerate() {
            let s2 = sqd(&new[j * d..(j + 1) * d], &centres[j * d..(j + 1) * d]);
            total += s2;
            *s = s2.sqrt();
        }
        centres = new;
        if elkan {
            gaps = centre_gaps(&centres, k, d);
        }
        if total <= tol {
            break;
        }
    }
    if !strict {
        if elkan {
            elkan_step(data, &centres, &gaps, &shift, &mut st, false);
        } else {
            lloyd_step(data, &centres, &mut st, false);
        }
    }
    if elkan {
        exact_assigned_sq(data, &centres, &mut st);
    }
    let inertia = chunked_sum(&st.dist);
    (
        KMeans {
            centres: Array2::from_shape_vec((k, d), centres).expect("k x d"),
            inertia,
            n_iter,
        },
        st.labels,
    )
}

/// Add the chunk deltas (in chunk order) to the cluster sums and counts. A cluster left
/// empty gets a sum of exactly zero (no rounding residue carried to its next members).
fn apply_deltas(st: &mut RunState, parts: &[Delta], d: usize) {
    let k = st.k;
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0i64; k];
    for p in parts {
        for (a, b) in sums.iter_mut().zip(&p.sums) {
            *a += b;
        }
        for (a, b) in counts.iter_mut().zip(&p.counts) {
            *a += b;
        }
    }
    for j in 0..k {
        let c = st.counts[j] as i64 + counts[j];
        debug_assert!(c >= 0);
        st.counts[j] = c as usize;
        let row = &mut st.sums[j * d..(j + 1) * d];
        if c == 0 {
            row.fill(0.0);
        } else {
            for (a, b) in row.iter_mut().zip(&sums[j * d..(j + 1) * d]) {
                *a += b;
            }
        }
    }
}

/// Deltas of the chunks that have label changes (chunk order) and the number of changes.
fn deltas_of(data: &Data<'_>, k: usize, changes: Vec<Vec<Change>>) -> (Vec<Delta>, usize) {
    let n_changed = changes.iter().map(Vec::len).sum();
    let parts = data
        .chunks()
        .zip(changes.into_par_iter())
        .filter(|(_, c)| !c.is_empty())
        .map(|(ch, c)| chunk_delta(ch, data.d, k, &c))
        .collect();
    (parts, n_changed)
}

/// Lloyd assignment of every row; if `sums`, the cluster sums follow the label changes.
/// Returns the number of labels changed.
fn lloyd_step(data: &Data<'_>, centres: &[f64], st: &mut RunState, sums: bool) -> usize {
    let d = data.d;
    let changes: Vec<Vec<Change>> = data
        .chunks()
        .zip(st.labels.par_chunks_mut(CHUNK))
        .zip(st.dist.par_chunks_mut(CHUNK))
        .map(|((ch, lab), dst)| {
            let mut c = Vec::new();
            lloyd_chunk(ch, d, centres, lab, dst, Some(&mut c));
            c
        })
        .collect();
    finish_step(data, st, changes, sums)
}

fn finish_step(data: &Data<'_>, st: &mut RunState, changes: Vec<Vec<Change>>, sums: bool) -> usize {
    if !sums {
        return changes.iter().map(Vec::len).sum();
    }
    let (parts, n_changed) = deltas_of(data, st.k, changes);
    apply_deltas(st, &parts, data.d);
    n_changed
}

/// Elkan assignment of every row; if `sums`, the cluster sums follow the label changes.
/// Returns the number of labels changed.
fn elkan_step(
    data: &Data<'_>,
    centres: &[f64],
    gaps: &CentreGaps,
    shift: &[f64],
    st: &mut RunState,
    sums: bool,
) -> usize {
    let (d, k) = (data.d, st.k);
    let changes: Vec<Vec<Change>> = data
        .chunks()
        .zip(st.labels.par_chunks_mut(CHUNK))
        .zip(st.upper.par_chunks_mut(CHUNK))
        .zip(st.lower.par_chunks_mut(CHUNK * k))
        .map(|(((ch, lab), up), lo)| {
            let mut c = Vec::new();
            let geo = Geometry {
                centres,
                gaps,
                shift,
            };
            elkan_chunk(ch, d, &geo, lab, up, lo, &mut c);
            c
        })
        .collect();
    finish_step(data, st, changes, sums)
}

/// Exact squared distance of every row to its assigned centre into `st.dist`.
fn exact_assigned_sq(data: &Data<'_>, centres: &[f64], st: &mut RunState) {
    let d = data.d;
    data.chunks()
        .zip(st.labels.par_chunks(CHUNK))
        .zip(st.dist.par_chunks_mut(CHUNK))
        .for_each(|((ch, lab), dst)| assigned_sq_chunk(ch, d, centres, lab, dst));
}

/// New centres from the cluster sums, as scikit-learn: empty
/// clusters first take the rows farthest from their current centres (taken out of their
/// own cluster's sum; nothing moves if every row sits on its centre), then every centre is
/// its sum times `1 / count`; a cluster still empty copies the centre of the largest one.
fn update_centres(data: &Data<'_>, old: &[f64], st: &mut RunState, elkan: bool) -> Vec<f64> {
    let (n, d, k) = (data.n, data.d, st.k);
    let mut sums = st.sums.clone();
    let mut counts = st.counts.clone();
    let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0).collect();
    if !empty.is_empty() {
        if elkan {
            exact_assigned_sq(data, old, st);
        }
        let dist = &st.dist;
        if dist.iter().any(|&v| v > 0.0) {
            let mut order: Vec<usize> = (0..n).collect();
            let by_far = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
            let m = empty.len().min(n);
            if m < n {
                order.select_nth_unstable_by(m, by_far);
            }
            order.truncate(m);
            order.sort_by(by_far);
            for (&e, &r) in empty.iter().zip(&order) {
                let from = st.labels[r];
                let x = data.row(r);
                for (s, v) in sums[from * d..(from + 1) * d].iter_mut().zip(x) {
                    *s -= v;
                }
                counts[from] -= 1;
                sums[e * d..(e + 1) * d].copy_from_slice(x);
                counts[e] = 1;
            }
        }
    }
    let largest = (0..k).fold(0, |b, j| if counts[j] > counts[b] { j } else { b });
    let mut centres = vec![0.0; k * d];
    for j in 0..k {
        if counts[j] > 0 {
            let inv = 1.0 / counts[j] as f64;
            for (c, s) in centres[j * d..(j + 1) * d]
                .iter_mut()
                .zip(&sums[j * d..(j + 1) * d])
            {
                *c = s * inv;
            }
        }
    }
    for j in 0..k {
        if counts[j] == 0 && counts[largest] > 0 {
            let (src, dst) = (largest * d, j * d);
            centres.copy_within(src..src + d, dst);
        } else if counts[j] == 0 {
            centres[j * d..(j + 1) * d].copy_from_slice(&old[j * d..(j + 1) * d]);
        }
    }
    centres
}

/// A fitted k-means model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeans {
    /// One centre per row.
    #[serde(with = "super::mat_serde")]
    pub centres: Array2<f64>,
    /// Sum of squared distances of the training rows to their centres.
    pub inertia: f64,
    /// Lloyd iterations of the winning run.
    pub n_iter: usize,
}

impl KMeans {
    /// Nearest centre (lowest index on ties) and its Euclidean distance for each row.
    pub fn nearest(&self, x: ArrayView2<'_, f64>) -> Vec<(usize, f64)> {
        let n = x.nrows();
        let d = self.centres.ncols();
        if x.ncols() != d {
            return vec![(0, f64::NAN); n];
        }
        let xs = x.as_standard_layout();
        let data = xs.as_slice().expect("standard layout");
        let centres = self.centres.as_slice().expect("owned, standard layout");
        let mut labels = vec![0usize; n];
        let mut dist = vec![0.0; n];
        data.par_chunks(CHUNK * d)
            .zip(labels.par_chunks_mut(CHUNK))
            .zip(dist.par_chunks_mut(CHUNK))
            .for_each(|((ch, lab), dst)| lloyd_chunk(ch, d, centres, lab, dst, None));
        labels
            .into_iter()
            .zip(dist)
            .map(|(l, v)| (l, v.sqrt()))
            .collect()
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: KMeans = postcard::from_bytes(bytes)?;
        if m.centres.nrows() == 0 {
            return Err(LearnError::Codec("k-means model without centres".into()));
        }
        Ok(m)
    }
}

impl Detector for KMeans {
    fn kind(&self) -> &'static str {
        "kmeans"
    }
    fn n_features(&self) -> usize {
        self.centres.ncols()
    }
    /// Euclidean distance to the nearest centre.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        self.nearest(x).into_iter().map(|p| p.1).collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

impl Clusterer for KMeans {
    fn assign(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        self.nearest(x).into_iter().map(|p| p.0).collect()
    }
}

/// A fitted k-means model with the labels of its training rows.
pub type KMeansFit = (KMeans, Vec<usize>);

/// Result of an elbow sweep (serialisable for the report).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ElbowSweep {
    pub k: Vec<usize>,
    pub inertia: Vec<f64>,
    /// Mean silhouette on a seeded sample of `silhouette_rows` rows (`None` if undefined).
    pub silhouette: Vec<Option<f64>>,
    pub silhouette_rows: usize,
    /// k at the kneedle knee of inertia vs k (`None` if the curve has no knee).
    pub chosen_k: Option<usize>,
    /// How `chosen_k` was found.
    pub method: String,
}

impl ElbowSweep {
    /// The report's elbow plot; only a sweep whose curve has a knee has one.
    pub fn diagnostic(self) -> Option<ModelDiagnostic> {
        Some(ModelDiagnostic::Elbow(Elbow {
            chosen_k: self.chosen_k?,
            k: self.k,
            inertia: self.inertia,
            silhouette: self.silhouette,
        }))
    }
}

/// Fit k-means for every k in `ks` (increasing) and return inertia, silhouette on a seeded
/// sample, and the knee of the inertia curve (kneedle, convex decreasing). Run `r` for k
/// uses seed `derive_seed(seed, k)`.
pub fn elbow_sweep(
    x: ArrayView2<'_, f64>,
    ks: &[usize],
    params: &KMeansParams,
    seed: u64,
) -> Result<(ElbowSweep, Vec<KMeansFit>), LearnError> {
    if ks.is_empty() || ks.windows(2).any(|w| w[0] >= w[1]) {
        return Err(LearnError::InvalidInput(
            "elbow sweep needs a strictly increasing list of k".into(),
        ));
    }
    let xs = checked_matrix(x, "k-means")?;
    let n = xs.nrows();
    let sample_seed = derive_seed(seed, u64::MAX);
    let mut fits = Vec::with_capacity(ks.len());
    let mut out = ElbowSweep {
        k: ks.to_vec(),
        inertia: Vec::new(),
        silhouette: Vec::new(),
        silhouette_rows: params.silhouette_sample.min(n),
        chosen_k: None,
        method: "kneedle (max of normalised 1 - inertia minus normalised k)".into(),
    };
    let sample = SilhouetteSample::new(xs.view(), params.silhouette_sample, sample_seed);
    for &k in ks {
        let (m, labels) = params.fit_k(xs.view(), k, derive_seed(seed, k as u64))?;
        out.inertia.push(m.inertia);
        // Undefined (None) with fewer than 2 clusters in the sample, as scikit-learn.
        out.silhouette.push(sample.score(&labels).ok());
        fits.push((m, labels));
    }
    let kx: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    out.chosen_k = kneedle(&kx, &out.inertia, CurveShape::ConvexDecreasing).map(|i| ks[i]);
    Ok((out, fits))
}

/// Per-cluster profile: size and, when the caller passes true labels (`class` index per
/// row and the class names), the class composition of each cluster. `None` labels (noise)
/// are profiled as cluster `"noise"`.
pub fn cluster_profile(
    labels: &[Option<usize>],
    n_clusters: usize,
    classes: Option<(&[u32], &[String])>,
) -> serde_json::Value {
    let mut sizes = vec![0usize; n_clusters + 1];
    let nc = classes.map(|c| c.1.len()).unwrap_or(0);
    let mut comp = vec![vec![0usize; nc]; n_clusters + 1];
    for (i, l) in labels.iter().enumerate() {
        let c = l.unwrap_or(n_clusters).min(n_clusters);
        sizes[c] += 1;
        if let Some((y, _)) = classes
            && let Some(&yc) = y.get(i)
            && (yc as usize) < nc
        {
            comp[c][yc as usize] += 1;
        }
    }
    let mut rows = Vec::new();
    for c in 0..=n_clusters {
        if c == n_clusters && sizes[c] == 0 {
            continue;
        }
        let mut o = serde_json::json!({
            "cluster": if c == n_clusters { serde_json::json!("noise") } else { serde_json::json!(c) },
            "size": sizes[c],
        });
        if let Some((_, names)) = classes {
            let m: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(&comp[c])
                .filter(|(_, n)| **n > 0)
                .map(|(name, n)| (name.clone(), serde_json::json!(n)))
                .collect();
            o["composition"] = serde_json::Value::Object(m);
        }
        rows.push(o);
    }
    serde_json::Value::Array(rows)
}

impl ClustererParams for KMeansParams {
    fn fit(&self, x: ArrayView2<'_, f64>, ctx: &FitContext) -> Result<Clustering, LearnError> {
        let (model, labels, elbow) = match self.n_clusters {
            Some(k) => {
                let (m, l) = self.fit_k(x, k, ctx.seed)?;
                (m, l, None)
            }
            None => {
                let n = x.nrows();
                let kmax = self.k_max.min(n);
                let ks: Vec<usize> = (self.k_min.min(kmax)..=kmax).collect();
                let (sweep, mut fits) = elbow_sweep(x, &ks, self, ctx.seed)?;
                // Without a knee, take the k with the best silhouette, else the smallest k.
                let chosen = sweep.chosen_k.unwrap_or_else(|| {
                    ks.iter()
                        .zip(&sweep.silhouette)
                        .filter_map(|(&k, s)| s.map(|s| (k, s)))
                        .fold(None, |b: Option<(usize, f64)>, (k, s)| match b {
                            Some((_, bs)) if bs >= s => b,
                            _ => Some((k, s)),
                        })
                        .map(|b| b.0)
                        .unwrap_or(ks[0])
                });
                let i = ks
                    .iter()
                    .position(|&k| k == chosen)
                    .expect("chosen from ks");
                let (m, l) = fits.swap_remove(i);
                (m, l, Some(sweep))
            }
        };
        let k = model.centres.nrows();
        let opt: Vec<Option<usize>> = labels.iter().map(|&l| Some(l)).collect();
        let diagnostics = elbow.and_then(|e| e.diagnostic()).into_iter().collect();
        Ok(Clustering {
            labels: opt,
            n_clusters: k,
            model: Some(Box::new(model)),
            diagnostics,
        })
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn ClustererParams>, LearnError> {
    Ok(Box::new(KMeansParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Clusterer>, LearnError> {
    Ok(Box::new(KMeans::from_bytes(bytes)?))
}

/// Registry entry of `kmeans` (native).
pub fn clusterer_entry() -> ClustererEntry {
    ClustererEntry {
        name: "kmeans",
        backend: "native",
        summary: "k-means (Elkan or Lloyd, k-means++), score = distance to nearest centre; n_clusters: auto = elbow knee",
        params: param_specs,
        build,
        load: Some(load),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn params(algorithm: KMeansAlgorithm) -> KMeansParams {
        KMeansParams {
            algorithm,
            ..Default::default()
        }
    }

    const BOTH: [KMeansAlgorithm; 2] = [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Elkan];

    #[test]
    fn two_obvious_clusters_and_assignments() {
        // Rows 0..3 near (0, 0), rows 3..6 near (10, 10): centres are the means.
        let x = array![
            [0.0, 0.0],
            [1.0, 0.0],
            [0.0, 1.0],
            [10.0, 10.0],
            [11.0, 10.0],
            [10.0, 11.0]
        ];
        let p = KMeansParams {
            n_clusters: Some(2),
            n_init: 3,
            ..Default::default()
        };
        let (m, labels) = p.fit_k(x.view(), 2, 1).unwrap();
        assert_eq!(labels[0], labels[1]);
        assert_eq!(labels[0], labels[2]);
        assert_ne!(labels[0], labels[3]);
        // Inertia by hand: each group has centre (1/3, 1/3) offset; squared distances
        // (1/9 + 1/9) + (4/9 + 1/9) + (1/9 + 4/9) = 12/9 per group -> 24/9 total.
        assert!((m.inertia - 24.0 / 9.0).abs() < 1e-12, "{}", m.inertia);
        let a = m.assign(array![[0.2, 0.2], [9.0, 9.0]].view());
        assert_eq!(a[0], labels[0]);
        assert_eq!(a[1], labels[3]);
        let back = KMeans::from_bytes(&m.save().unwrap()).unwrap();
        assert_eq!(back.centres, m.centres);
    }

    #[test]
    fn lloyd_iterations_by_hand() {
        // Points 0, 2, 4, 11 from centres 0 and 2 (values checked with scikit-learn 1.9.1,
        // KMeans(n_clusters=2, init=[[0], [2]], n_init=1), both algorithms):
        // step 0: {0} {2, 4, 11}   -> centres 0, 17/3
        // step 1: {0, 2} {4, 11}   -> centres 1, 7.5
        // step 2: {0, 2, 4} {11}   -> centres 2, 11  (4: |4 - 1| = 3 < |4 - 7.5| = 3.5)
        // step 3: same labels      -> strict convergence, n_iter = 4
        // inertia = 2^2 + 0 + 2^2 + 0 = 8.
        let x = array![[0.0], [2.0], [4.0], [11.0]];
        for alg in BOTH {
            let (m, labels) = params(alg)
                .fit_from(x.view(), array![[0.0], [2.0]].view())
                .unwrap();
            assert_eq!(labels, vec![0, 0, 0, 1], "{alg:?}");
            assert_eq!(m.centres, array![[2.0], [11.0]], "{alg:?}");
            assert_eq!(m.inertia, 8.0, "{alg:?}");
            assert_eq!(m.n_iter, 4, "{alg:?}");
        }
    }

    #[test]
    fn empty_cluster_takes_the_farthest_point() {
        // Points 0, 1, 2, 10, 11, 12 from centres 0, 100, 11 (scikit-learn 1.9.1 gives the
        // same): step 0 leaves centre 100 empty; the point farthest from its centre is 2
        // (squared distance 4 to centre 0), so centre 1 moves to 2 and centre 0 to the mean
        // of the rest of its cluster, 0.5; centre 2 becomes 11. Step 1 moves 2 to cluster 1;
        // the centres do not move (shift 0 <= tol), so the run stops after 2 iterations with
        // inertia 0.25 + 0.25 + 0 + 1 + 0 + 1 = 2.5.
        let x = array![[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]];
        for alg in BOTH {
            let (m, labels) = params(alg)
                .fit_from(x.view(), array![[0.0], [100.0], [11.0]].view())
                .unwrap();
            assert_eq!(labels, vec![0, 0, 1, 2, 2, 2], "{alg:?}");
            assert_eq!(m.centres, array![[0.5], [2.0], [11.0]], "{alg:?}");
            assert_eq!(m.inertia, 2.5, "{alg:?}");
            assert_eq!(m.n_iter, 2, "{alg:?}");
        }
    }

    /// `per` rows around each of `centres` (normal noise of standard deviation `sd`),
    /// blob by blob.
    fn blobs(centres: &[Vec<f64>], per: usize, sd: f64, seed: u64) -> Array2<f64> {
        let d = centres[0].len();
        let mut r = Rng::new(seed);
        let mut v = Vec::new();
        for c in centres {
            for _ in 0..per {
                v.extend(c.iter().map(|m| m + sd * r.normal()));
            }
        }
        Array2::from_shape_vec((centres.len() * per, d), v).unwrap()
    }

    #[test]
    fn separated_blobs_give_the_blob_means() {
        // Four blobs 20 apart with noise 0.5: the optimal 4-clustering is the blobs, its
        // centres are the blob means and its inertia the within-blob sum of squares, all
        // computed here directly from the generated rows.
        let truth = vec![
            vec![0.0, 0.0, 0.0, 0.0, 0.0],
            vec![20.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 20.0, 0.0, 20.0, 0.0],
            vec![0.0, 0.0, -20.0, 0.0, 20.0],
        ];
        let per = 300;
        let x = blobs(&truth, per, 0.5, 11);
        for alg in BOTH {
            for seed in 0..5 {
                let (m, labels) = params(alg).fit_k(x.view(), 4, seed).unwrap();
                let mut want_inertia = 0.0;
                for (b, t) in truth.iter().enumerate() {
                    let rows = x.slice(ndarray::s![b * per..(b + 1) * per, ..]);
                    let c = labels[b * per];
                    assert!(labels[b * per..(b + 1) * per].iter().all(|&l| l == c));
                    let mean = rows.mean_axis(ndarray::Axis(0)).unwrap();
                    for (got, want) in m.centres.row(c).iter().zip(&mean) {
                        assert!((got - want).abs() < 1e-12, "{alg:?} {got} vs {want}");
                    }
                    for (got, want) in m.centres.row(c).iter().zip(t) {
                        assert!((got - want).abs() < 0.15, "{alg:?} {got} vs {want}");
                    }
                    want_inertia += rows
                        .rows()
                        .into_iter()
                        .map(|r| (&r - &mean).mapv(|v| v * v).sum())
                        .sum::<f64>();
                }
                let mut used: Vec<usize> = (0..4).map(|b| labels[b * per]).collect();
                used.sort_unstable();
                assert_eq!(used, vec![0, 1, 2, 3], "one cluster per blob");
                let rel = (m.inertia - want_inertia).abs() / want_inertia;
                assert!(rel < 1e-12, "{alg:?} {} vs {want_inertia}", m.inertia);
            }
        }
    }

    fn same_fit(a: &(KMeans, Vec<usize>), b: &(KMeans, Vec<usize>), what: &str) {
        assert_eq!(a.1, b.1, "{what}: labels");
        assert_eq!(a.0.n_iter, b.0.n_iter, "{what}: n_iter");
        assert_eq!(
            a.0.inertia.to_bits(),
            b.0.inertia.to_bits(),
            "{what}: inertia"
        );
        let bits = |m: &KMeans| m.centres.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.0), bits(&b.0), "{what}: centres");
    }

    /// Five overlapping blobs in 6 dimensions (many iterations, many label changes).
    fn overlapping() -> Array2<f64> {
        let truth: Vec<Vec<f64>> = (0..5)
            .map(|b| (0..6).map(|j| ((b * 7 + j * 3) % 5) as f64 * 1.5).collect())
            .collect();
        blobs(&truth, 400, 1.2, 5)
    }

    #[test]
    fn elkan_equals_lloyd_bit_for_bit() {
        let x = overlapping();
        let mut max_iter_seen = 0;
        for init in [KMeansInit::KMeansPlusPlus, KMeansInit::Random] {
            for k in [2, 5, 9] {
                for seed in 0..3 {
                    let fit = |algorithm| {
                        KMeansParams {
                            init,
                            algorithm,
                            ..Default::default()
                        }
                        .fit_k(x.view(), k, seed)
                        .unwrap()
                    };
                    let lloyd = fit(KMeansAlgorithm::Lloyd);
                    let elkan = fit(KMeansAlgorithm::Elkan);
                    same_fit(&lloyd, &elkan, &format!("{init:?} k={k} seed={seed}"));
                    max_iter_seen = max_iter_seen.max(lloyd.0.n_iter);
                }
            }
        }
        assert!(
            max_iter_seen >= 10,
            "runs too short to test much: {max_iter_seen}"
        );
        // From given centres (no k-means++ assignment to reuse).
        let start = x.slice(ndarray::s![0..7, ..]).to_owned();
        let a = params(KMeansAlgorithm::Lloyd)
            .fit_from(x.view(), start.view())
            .unwrap();
        let b = params(KMeansAlgorithm::Elkan)
            .fit_from(x.view(), start.view())
            .unwrap();
        same_fit(&a, &b, "fit_from");
    }

    #[test]
    fn same_result_for_any_thread_count() {
        let x = overlapping();
        let run = |threads: usize, algorithm| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| params(algorithm).fit_k(x.view(), 6, 3).unwrap())
        };
        for alg in BOTH {
            same_fit(
                &run(1, alg),
                &run(3, alg),
                &format!("{alg:?} 1 vs 3 threads"),
            );
        }
    }

    /// k-means++ without the triangle-inequality pruning, same random draws and sums.
    fn plusplus_unpruned(data: &Data<'_>, k: usize, rng: &mut Rng) -> Vec<f64> {
        let (n, d) = (data.n, data.d);
        let chunk_sum = |v: &[f64]| -> f64 {
            let parts: Vec<f64> = v.chunks(CHUNK).map(|c| c.iter().sum()).collect();
            parts.iter().sum()
        };
        let n_trials = 2 + (k as f64).ln().floor() as usize;
        let mut centres = data.row(rng.below(n)).to_vec();
        let mut closest: Vec<f64> = (0..n).map(|i| sqd(data.row(i), &centres[..d])).collect();
        let mut pot = chunk_sum(&closest);
        for _ in 1..k {
            let mut cum = Vec::with_capacity(n);
            let mut acc = 0.0;
            for v in &closest {
                acc += v;
                cum.push(acc);
            }
            let mut best: Option<(f64, usize, Vec<f64>)> = None;
            let cands: Vec<usize> = (0..n_trials)
                .map(|_| {
                    let t = rng.next_f64() * pot;
                    cum.partition_point(|&v| v < t).min(n - 1)
                })
                .collect();
            for r in cands {
                let new: Vec<f64> = (0..n)
                    .map(|i| sqd(data.row(i), data.row(r)).min(closest[i]))
                    .collect();
                let p = chunk_sum(&new);
                if best.as_ref().is_none_or(|b| p < b.0) {
                    best = Some((p, r, new));
                }
            }
            let (p, r, new) = best.unwrap();
            pot = p;
            closest = new;
            centres.extend_from_slice(data.row(r));
        }
        centres
    }

    #[test]
    fn plusplus_pruning_changes_nothing() {
        // Overlapping blobs plus far outliers and duplicated rows.
        let mut x = overlapping();
        let extra = array![
            [40.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, -35.0, 0.0, 0.0, 9.0, 0.0]
        ];
        x = ndarray::concatenate(ndarray::Axis(0), &[x.view(), extra.view(), extra.view()])
            .unwrap();
        let data = Data {
            x: x.as_slice().unwrap(),
            n: x.nrows(),
            d: x.ncols(),
        };
        for k in [2, 4, 8, 13] {
            for seed in 0..4 {
                let got = kmeans_plusplus(&data, k, &mut Rng::new(seed));
                let want = plusplus_unpruned(&data, k, &mut Rng::new(seed));
                assert_eq!(got.centres, want, "k={k} seed={seed}");
                // The assignment it hands over is the exact first Lloyd step.
                let (labels, dist) = got.assignment.unwrap();
                let mut l2 = vec![usize::MAX; data.n];
                let mut d2 = vec![0.0; data.n];
                lloyd_chunk(data.x, data.d, &got.centres, &mut l2, &mut d2, None);
                assert_eq!(labels, l2, "k={k} seed={seed}");
                assert_eq!(dist, d2, "k={k} seed={seed}");
            }
        }
    }

    #[test]
    fn mean_variance_is_numpy_var_mean() {
        // Columns (1, 2, 3, 4) and (10, 10, 10, 30): variances 1.25 and 75, mean 38.125.
        let x = array![[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 30.0]];
        let data = Data {
            x: x.as_slice().unwrap(),
            n: 4,
            d: 2,
        };
        assert!((mean_variance(&data) - 38.125).abs() < 1e-12);
    }
}
