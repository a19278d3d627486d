//! `knn`: exact brute-force k-nearest-neighbour classifier (scikit-learn's
//! `KNeighborsClassifier(algorithm="brute")`).
//!
//! Exact, with no approximate index: every query is compared with every training row. The
//! speed comes from the inner loop. For euclidean distance, squared distances are computed
//! block by block as `|q|^2 + |t|^2 - 2 q.t` with one f32 matrix product per (query chunk,
//! training block) pair (twice the throughput of f64). Each value carries a proven bound on
//! its error, so a query keeps as candidates every row whose lower bound is not above the
//! k-th smallest upper bound, and ranks those by their exact f64 squared distance: the
//! result is exact. Lanes of rows are tested branch-free first; most are far. Query chunks
//! of a fixed size run in parallel with rayon and are collected in order, so results do not
//! depend on the thread count. The distances of the `k` chosen neighbours are recomputed
//! directly, so `weights="distance"` and exact matches (distance 0) are not affected by the
//! rounding of the dot-product form.
//!
//! Ties between equally distant training rows go to the lower row index. Probabilities are
//! scikit-learn's `predict_proba`: vote fractions (uniform) or normalised `1/d` weights
//! (distance; a query that coincides with training rows takes only those rows, weight 1).

use ndarray::{Array2, ArrayView2, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod blocks;

use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name.
pub const NAME: &str = "knn";

/// Query rows per parallel task.
const QUERY_CHUNK: usize = 256;
/// Training rows per matrix-product block.
const TRAIN_BLOCK: usize = 1024;
/// Candidate rows tested together before any is looked at alone.
const LANE: usize = 16;

/// How neighbours vote.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Weights {
    /// Every neighbour counts 1.
    Uniform,
    /// A neighbour counts `1 / distance`.
    Distance,
}

/// Distance between rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Metric {
    /// L2 (Minkowski p = 2).
    Euclidean,
    /// L1 (Minkowski p = 1).
    Manhattan,
    /// `(sum |a - b|^p)^(1/p)` for another `p >= 1`.
    Minkowski(f64),
}

/// Validated hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct KnnParams {
    pub n_neighbors: usize,
    pub weights: Weights,
    pub metric: Metric,
}

/// Parameter schema (names and defaults as scikit-learn's `KNeighborsClassifier`).
pub fn params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "n_neighbors",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(5),
            "number of neighbours that vote (default 5)",
        ),
        ParamSpec::new(
            "weights",
            ParamKind::Choice(&["uniform", "distance"]),
            ParamValue::Str("uniform".into()),
            "\"uniform\": one vote each; \"distance\": votes weighted by 1/distance (default uniform)",
        ),
        ParamSpec::new(
            "metric",
            ParamKind::Choice(&["minkowski", "euclidean", "manhattan"]),
            ParamValue::Str("minkowski".into()),
            "distance; \"minkowski\" uses `p` (default minkowski, which with p=2 is euclidean)",
        ),
        ParamSpec::new(
            "p",
            ParamKind::Float { min: 1.0, max: 1e6 },
            ParamValue::Float(2.0),
            "power of the minkowski metric: 1 = manhattan, 2 = euclidean (default 2)",
        ),
    ]
}

/// Build from a resolved parameter map.
pub fn build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(KnnParams::from_params(p)?))
}

impl KnnParams {
    /// Read and check the parameters.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let n_neighbors = p.usize("n_neighbors")?;
        if n_neighbors == 0 {
            return Err(LearnError::param("n_neighbors", "must be at least 1"));
        }
        let weights = match p.str("weights")? {
            "uniform" => Weights::Uniform,
            "distance" => Weights::Distance,
            w => return Err(LearnError::param("weights", format!("unknown value `{w}`"))),
        };
        let pw = p.f64("p")?;
        if !(pw >= 1.0 && pw.is_finite()) {
            return Err(LearnError::param("p", "must be a number >= 1"));
        }
        let metric = match p.str("metric")? {
            "euclidean" => Metric::Euclidean,
            "manhattan" => Metric::Manhattan,
            "minkowski" if pw == 2.0 => Metric::Euclidean,
            "minkowski" if pw == 1.0 => Metric::Manhattan,
            "minkowski" => Metric::Minkowski(pw),
            m => return Err(LearnError::param("metric", format!("unknown value `{m}`"))),
        };
        Ok(KnnParams {
            n_neighbors,
            weights,
            metric,
        })
    }
}

impl ClassifierParams for KnnParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        train.validate()?;
        if self.n_neighbors > train.x.nrows() {
            return Err(LearnError::param(
                "n_neighbors",
                format!(
                    "{} neighbours requested but the training set has only {} rows",
                    self.n_neighbors,
                    train.x.nrows()
                ),
            ));
        }
        if train.x.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::InvalidInput(
                "knn needs finite feature values (found NaN or infinity)".into(),
            ));
        }
        let params = KnnSaved {
            n_neighbors: self.n_neighbors,
            weights: self.weights,
            metric: self.metric,
        };
        let x = train.x.as_standard_layout().into_owned();
        Ok(Box::new(Knn::new(
            params,
            train.n_classes,
            x,
            train.y.to_vec(),
        )))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct KnnSaved {
    n_neighbors: usize,
    weights: Weights,
    metric: Metric,
}

/// A fitted k-NN model: the training set itself.
#[derive(Debug, Clone)]
pub struct Knn {
    params: KnnSaved,
    n_classes: usize,
    x: Array2<f64>,
    y: Vec<u32>,
    /// Squared L2 norm of each training row.
    norms: Vec<f64>,
    /// The training rows in f32, for the plain candidate search, made when first needed
    /// (with one-hot blocks most searches never need it).
    x32: std::sync::OnceLock<Array2<f32>>,
    /// L2 norm of each training row (for the bound on the f32 error).
    lens: Vec<f64>,
    /// One-hot blocks of the training matrix, when it has some (euclidean only).
    blocks: Option<blocks::Blocks>,
}

/// What a saved model holds (plain vectors, so the file format does not depend on
/// ndarray's serde support).
#[derive(Serialize, Deserialize)]
struct KnnFile {
    params: KnnSaved,
    n_classes: usize,
    n_features: usize,
    x: Vec<f64>,
    y: Vec<u32>,
}

/// Load a model saved by [`Classifier::save`].
pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let f: KnnFile = postcard::from_bytes(bytes)?;
    let x = Array2::from_shape_vec((f.y.len(), f.n_features), f.x)
        .map_err(|e| LearnError::Codec(format!("knn training matrix: {e}")))?;
    Ok(Box::new(Knn::new(f.params, f.n_classes, x, f.y)))
}

/// The `k` best `(distance-like key, row)` pairs seen so far, sorted ascending.
struct TopK {
    k: usize,
    items: Vec<(f64, u32)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    #[inline]
    fn worst(&self) -> f64 {
        if self.items.len() < self.k {
            f64::INFINITY
        } else {
            self.items[self.k - 1].0
        }
    }

    /// Rows are offered in increasing index order, so a strict `<` keeps the lower index
    /// among equal keys.
    #[inline]
    fn offer(&mut self, d: f64, i: u32) {
        if self.items.len() == self.k && d >= self.worst() {
            return;
        }
        let pos = self.items.partition_point(|&(e, _)| e <= d);
        self.items.insert(pos, (d, i));
        self.items.truncate(self.k);
    }
}

/// A query's candidates under f32 distances: the `k` smallest upper bounds of the exact
/// squared distance seen so far, and every row whose lower bound is not above the k-th of
/// them (only those can be among the exact `k` nearest).
struct Candidates {
    upper: TopK,
    rows: Vec<(f64, u32)>,
}

impl Candidates {
    fn new(k: usize) -> Self {
        Candidates {
            upper: TopK::new(k),
            rows: Vec::with_capacity(4 * k + 16),
        }
    }

    #[inline]
    fn offer(&mut self, lower: f64, upper: f64, row: u32) {
        self.upper.offer(upper, row);
        self.rows.push((lower, row));
        if self.rows.len() > 4 * self.upper.k + 64 {
            let cut = self.upper.worst();
            self.rows.retain(|&(lo, _)| lo <= cut);
        }
    }
}

/// The error constants `(c32, c64)` of squared distances `|q|^2 + |t|^2 - 2 q.t` with
/// the dot product in f32 over `d` columns: the error is at most
/// `(c32 + 2 c64) |q| |t| + c64 (|q|^2 + |t|^2)`. `|fl32(q.t) - q.t| <= (d + 3) u |q||t|`
/// for f32 rounding of the inputs and any summation order (u = 2^-24); doubled for
/// `-2 q.t`, with a margin. The f64 terms (norms, the sum) add at most `(d + 8) 2^-52` of
/// their magnitudes.
pub(crate) fn f32_error_constants(d: usize) -> (f64, f64) {
    let d = d as f64;
    let c32 = 2.0 * 1.03 * (d + 3.0) * f64::from(f32::EPSILON) / 2.0;
    let c64 = (d + 8.0) * f64::EPSILON;
    (c32, c64)
}

/// One query against a block of training rows: the f32 products and what bounds their
/// error (see [`Knn::euclidean_chunk`]).
pub(crate) struct Products<'a> {
    pub dots: &'a [f32],
    pub norms: &'a [f64],
    pub lens: &'a [f64],
    /// The query's squared norm, plus any exact part of the distance (one-hot blocks).
    pub base: f64,
    /// Error per unit of a row's norm.
    pub cq: f64,
    /// Relative error of the f64 terms.
    pub c64: f64,
}

impl Products<'_> {
    /// Lower and upper bounds of the exact squared distance to the block's row `j`.
    #[inline]
    pub(crate) fn bounds(&self, j: usize) -> (f64, f64) {
        let approx = self.base + self.norms[j] - 2.0 * f64::from(self.dots[j]);
        let err = self.cq * self.lens[j] + self.c64 * (self.base + self.norms[j]);
        (approx - err, approx + err)
    }

    /// Offer `cand` every row that may be among its nearest; `index` maps a position in
    /// the block to the training row index. Most rows are far: the lower bounds of a lane
    /// of rows are computed branch-free (vectorised), and the rows are looked at alone
    /// only when one of the lane may be near.
    fn offer_to(&self, cand: &mut Candidates, index: impl Fn(usize) -> u32) {
        let mut cut = cand.upper.worst();
        let n = self.dots.len();
        for lane in (0..n).step_by(LANE) {
            let end = (lane + LANE).min(n);
            if end - lane == LANE && !self.lane_near(lane, cut) {
                continue;
            }
            for j in lane..end {
                let (lo, hi) = self.bounds(j);
                if lo <= cut {
                    cand.offer(lo, hi, index(j));
                    cut = cand.upper.worst();
                }
            }
        }
    }

    /// Whether a row of the full lane at `lane` has a lower bound at most `cut`. The
    /// same arithmetic as [`Products::bounds`], in a form the compiler vectorises.
    fn lane_near(&self, lane: usize, cut: f64) -> bool {
        let (r, nm, ln) = (
            &self.dots[lane..lane + LANE],
            &self.norms[lane..lane + LANE],
            &self.lens[lane..lane + LANE],
        );
        let mut near = false;
        for i in 0..LANE {
            let lo = (self.base + nm[i] - 2.0 * f64::from(r[i]))
                - (self.cq * ln[i] + self.c64 * (self.base + nm[i]));
            near |= lo <= cut;
        }
        near
    }
}

impl Knn {
    fn new(params: KnnSaved, n_classes: usize, x: Array2<f64>, y: Vec<u32>) -> Knn {
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let lens = norms.iter().map(|n| n.sqrt()).collect();
        let x32 = std::sync::OnceLock::new();
        let blocks = match params.metric {
            Metric::Euclidean => blocks::Blocks::detect(x.view()),
            _ => None,
        };
        Knn {
            params,
            n_classes,
            x,
            y,
            norms,
            x32,
            lens,
            blocks,
        }
    }

    fn exact_distance(&self, q: &[f64], row: usize) -> f64 {
        let t = self.x.row(row);
        let t = t.as_slice().unwrap_or(&[]);
        match self.params.metric {
            Metric::Euclidean => q
                .iter()
                .zip(t)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt(),
            Metric::Manhattan => q.iter().zip(t).map(|(a, b)| (a - b).abs()).sum(),
            Metric::Minkowski(p) => q
                .iter()
                .zip(t)
                .map(|(a, b)| (a - b).abs().powf(p))
                .sum::<f64>()
                .powf(1.0 / p),
        }
    }

    /// Neighbours (row indices, nearest first) of each row of a query chunk.
    fn neighbours_chunk(&self, q: ArrayView2<'_, f64>) -> Vec<Vec<u32>> {
        let k = self.params.n_neighbors;
        let mut tops: Vec<TopK> = (0..q.nrows()).map(|_| TopK::new(k)).collect();
        match self.params.metric {
            Metric::Euclidean => return self.euclidean_chunk(q),
            Metric::Manhattan | Metric::Minkowski(_) => {
                let p = match self.params.metric {
                    Metric::Minkowski(p) => p,
                    _ => 1.0,
                };
                for (qi, top) in tops.iter_mut().enumerate() {
                    let qr = q.row(qi);
                    for (j, t) in self.x.rows().into_iter().enumerate() {
                        let worst = top.worst();
                        let mut acc = 0.0;
                        for (a, b) in qr.iter().zip(t.iter()) {
                            let diff = (a - b).abs();
                            acc += if p == 1.0 { diff } else { diff.powf(p) };
                        }
                        if acc < worst {
                            top.offer(acc, j as u32);
                        }
                    }
                }
            }
        }
        tops.into_iter()
            .map(|t| t.items.into_iter().map(|(_, i)| i).collect())
            .collect()
    }

    /// Euclidean neighbours of a query chunk. Candidates come from f32 matrix products
    /// (twice the speed of f64), each with a proven bound on its error; the survivors are
    /// ranked by their exact f64 squared distance, ties to the lower row index. So the
    /// result is the exact one, as if every distance were computed in f64.
    fn euclidean_chunk(&self, q: ArrayView2<'_, f64>) -> Vec<Vec<u32>> {
        let k = self.params.n_neighbors;
        let n = self.x.nrows();
        let (c32, c64) = f32_error_constants(self.x.ncols());
        let q32 = q.mapv(|v| v as f32);
        let qn: Vec<f64> = q.rows().into_iter().map(|r| r.dot(&r)).collect();
        let mut cands: Vec<Candidates> = (0..q.nrows()).map(|_| Candidates::new(k)).collect();
        let mut start = 0;
        while start < n {
            let end = (start + TRAIN_BLOCK).min(n);
            let x32 = self.x32.get_or_init(|| self.x.mapv(|v| v as f32));
            let dots = q32.dot(&x32.slice(s![start..end, ..]).t());
            let norms = &self.norms[start..end];
            let lens = &self.lens[start..end];
            for (qi, cand) in cands.iter_mut().enumerate() {
                let row = dots.row(qi);
                let row = row.as_slice().expect("a fresh product is contiguous");
                let base = qn[qi];
                // |approx| <= base + |t|^2 + 2 |q||t|, so the error is linear in |t|.
                let cq = (c32 + 2.0 * c64) * base.sqrt();
                let block = Products {
                    dots: row,
                    norms,
                    lens,
                    base,
                    cq,
                    c64,
                };
                block.offer_to(cand, |j| (start + j) as u32);
            }
            start = end;
        }
        cands
            .into_iter()
            .enumerate()
            .map(|(qi, c)| self.exact_best(q.row(qi), c))
            .collect()
    }

    /// The `k` nearest among a query's candidates by exact squared distance.
    fn exact_best(&self, q: ndarray::ArrayView1<'_, f64>, c: Candidates) -> Vec<u32> {
        let cut = c.upper.worst();
        let q = q.as_slice().expect("standard layout");
        let mut exact: Vec<(f64, u32)> = c
            .rows
            .into_iter()
            .filter(|&(lo, _)| lo <= cut)
            .map(|(_, j)| {
                let t = self.x.row(j as usize);
                let t = t.as_slice().expect("standard layout");
                let d2: f64 = q.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum();
                (d2, j)
            })
            .collect();
        exact.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        exact.truncate(self.params.n_neighbors);
        exact.into_iter().map(|(_, j)| j).collect()
    }

    /// The `k` nearest training rows of every query row, nearest first (ties: lower row
    /// index first). Parallel over fixed-size query chunks; deterministic.
    pub fn kneighbors(&self, q: ArrayView2<'_, f64>) -> Vec<Vec<u32>> {
        let q = q.as_standard_layout();
        if let Some(b) = &self.blocks {
            let exact = |row: ndarray::ArrayView1<'_, f64>, c: Candidates| self.exact_best(row, c);
            if let Some(found) = b.neighbours(q.view(), self.params.n_neighbors, &exact) {
                return found;
            }
        }
        let chunks: Vec<Vec<Vec<u32>>> = q
            .axis_chunks_iter(Axis(0), QUERY_CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|c| self.neighbours_chunk(c))
            .collect();
        chunks.into_iter().flatten().collect()
    }
}

/// An exact euclidean neighbour index over the rows of `x` answering `k` neighbours per
/// query (nearest first, ties to the lower row), for learners that need the same search
/// as `knn` (the local outlier factor).
pub(crate) fn euclidean_index(x: Array2<f64>, k: usize) -> Knn {
    let params = KnnSaved {
        n_neighbors: k,
        weights: Weights::Uniform,
        metric: Metric::Euclidean,
    };
    let n = x.nrows();
    Knn::new(params, 1, x, vec![0; n])
}

impl Classifier for Knn {
    fn kind(&self) -> &'static str {
        NAME
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// Vote fractions (scikit-learn's `predict_proba`). A query of the wrong width gets a
    /// row of NaN (the runner checks widths before scoring).
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let nq = x.nrows();
        let mut out = Array2::zeros((nq, self.n_classes));
        if x.ncols() != self.x.ncols() {
            out.fill(f64::NAN);
            return out;
        }
        let q = x.as_standard_layout();
        let neigh = self.kneighbors(q.view());
        for (i, nb) in neigh.iter().enumerate() {
            let mut row = out.row_mut(i);
            match self.params.weights {
                Weights::Uniform => {
                    for &j in nb {
                        row[self.y[j as usize] as usize] += 1.0;
                    }
                }
                Weights::Distance => {
                    let qr = q.row(i);
                    let qs = qr.as_slice().unwrap_or(&[]);
                    let d: Vec<f64> = nb
                        .iter()
                        .map(|&j| self.exact_distance(qs, j as usize))
                        .collect();
                    let exact = d.contains(&0.0);
                    for (&j, &dj) in nb.iter().zip(&d) {
                        let w = if exact {
                            if dj == 0.0 { 1.0 } else { 0.0 }
                        } else {
                            1.0 / dj
                        };
                        row[self.y[j as usize] as usize] += w;
                    }
                }
            }
            let total: f64 = row.sum();
            if total > 0.0 {
                row.mapv_inplace(|v| v / total);
            }
        }
        out
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        let f = KnnFile {
            params: self.params,
            n_classes: self.n_classes,
            n_features: self.x.ncols(),
            x: self.x.iter().copied().collect(),
            y: self.y.clone(),
        };
        Ok(postcard::to_allocvec(&f)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::DataCache;
    use ndarray::array;

    fn fit(
        x: &Array2<f64>,
        y: &[u32],
        k: usize,
        weights: &str,
        metric: &str,
    ) -> Box<dyn Classifier> {
        let mut given = std::collections::BTreeMap::new();
        given.insert("n_neighbors".into(), ParamValue::Int(k as i64));
        given.insert("weights".into(), ParamValue::Str(weights.into()));
        given.insert("metric".into(), ParamValue::Str(metric.into()));
        let p = crate::params::resolve(&params(), &given).unwrap();
        let cache = DataCache::new();
        let names = vec!["a".to_string(), "b".to_string()];
        let train = TrainSet {
            x: x.view(),
            y,
            n_classes: 2,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        build(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .unwrap()
    }

    #[test]
    fn hand_computed_votes() {
        // 1-D: class 0 at 0, 1, 2; class 1 at 10, 11. Query 4: nearest 3 are 2 (d=2),
        // 1 (d=3), 0 (d=4) -> all class 0. Query 8: 10 (2), 11 (3), 2 (6) -> 2/3 class 1.
        let x = array![[0.0], [1.0], [2.0], [10.0], [11.0]];
        let y = [0, 0, 0, 1, 1];
        let m = fit(&x, &y, 3, "uniform", "euclidean");
        let s = m.scores(array![[4.0], [8.0]].view());
        assert_eq!(s, array![[1.0, 0.0], [1.0 / 3.0, 2.0 / 3.0]]);
        // Distance weights for query 8: class 1: 1/2 + 1/3 = 5/6, class 0: 1/6 -> 5/6 / 1.
        let m = fit(&x, &y, 3, "distance", "manhattan");
        let s = m.scores(array![[8.0], [10.0]].view());
        assert!((s[[0, 1]] - 5.0 / 6.0).abs() < 1e-12);
        // An exact match takes all the weight.
        assert_eq!(s.row(1).to_vec(), vec![0.0, 1.0]);
    }

    #[test]
    fn save_load_round_trip() {
        let x = array![[0.0, 1.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]];
        let y = [0, 0, 1, 1];
        let m = fit(&x, &y, 3, "distance", "minkowski");
        let bytes = m.save().unwrap();
        let back = load(&bytes).unwrap();
        assert_eq!(back.kind(), NAME);
        let q = array![[0.5, 0.5], [5.5, 4.0], [3.0, 3.0]];
        assert_eq!(m.scores(q.view()), back.scores(q.view()));
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        let mut t = TopK::new(2);
        for (i, d) in [3.0, 1.0, 1.0, 1.0].iter().enumerate() {
            t.offer(*d, i as u32);
        }
        assert_eq!(t.items, vec![(1.0, 1), (1.0, 2)]);
    }

    #[test]
    fn same_result_with_one_or_two_threads_and_many_blocks() {
        // More rows than one training block and one query chunk, with exact duplicates.
        let mut r = crate::rng::Rng::new(3);
        let n = TRAIN_BLOCK + 300;
        let mut x = Array2::zeros((n, 4));
        for v in x.iter_mut() {
            *v = (r.next_f64() * 8.0).floor();
        }
        let y: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let m = fit(&x, &y, 7, "distance", "euclidean");
        let q = x.slice(s![..QUERY_CHUNK + 50, ..]).to_owned();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| m.scores(q.view()))
        };
        assert_eq!(run(1), run(2));
        // Brute-force check of the neighbour sets by a plain sort (ties: lower index).
        assert_brute_force(&x, &y, &q, 7);
    }

    /// The neighbours of every row of `q` equal a plain sort of exact f64 squared
    /// distances (ties: lower index).
    fn assert_brute_force(x: &Array2<f64>, y: &[u32], q: &Array2<f64>, k: usize) {
        let n = x.nrows();
        let params = KnnSaved {
            n_neighbors: k,
            weights: Weights::Uniform,
            metric: Metric::Euclidean,
        };
        let knn = Knn::new(params, 2, x.clone(), y.to_vec());
        let got = knn.kneighbors(q.view());
        for (i, nb) in got.iter().enumerate() {
            let mut all: Vec<(f64, usize)> = (0..n)
                .map(|j| {
                    let d: f64 = q
                        .row(i)
                        .iter()
                        .zip(x.row(j).iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (d, j)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<u32> = all[..k].iter().map(|p| p.1 as u32).collect();
            assert_eq!(nb, &want, "query {i}");
        }
    }

    /// Rows as one-hot encoding then scaling leave them: 3 numeric columns, then blocks of
    /// 3 and 4 categories (each column's own `lo`/`hi`), category frequencies uneven.
    fn one_hot_rows(n: usize, seed: u64) -> Array2<f64> {
        let mut r = crate::rng::Rng::new(seed);
        let lo = [-0.4, -0.7, -1.1, -0.2, -0.5, -0.3, -0.9];
        let hi = [2.1, 1.3, 0.8, 3.0, 1.9, 2.6, 1.1];
        let mut x = Array2::zeros((n, 10));
        for mut row in x.rows_mut() {
            for c in 0..3 {
                row[c] = (r.next_f64() * 6.0).floor() * 0.5;
            }
            let a = [0, 0, 1, 2][(r.next_f64() * 4.0) as usize];
            let b = [0, 1, 1, 2, 3][(r.next_f64() * 5.0) as usize];
            for j in 0..7 {
                let hot = if j < 3 { j == a } else { j - 3 == b };
                row[3 + j] = if hot { hi[j] } else { lo[j] };
            }
        }
        x
    }

    #[test]
    fn one_hot_blocks_give_the_exact_neighbours() {
        let x = one_hot_rows(1500, 5);
        let y: Vec<u32> = (0..x.nrows()).map(|i| (i % 3 == 0) as u32).collect();
        let params = KnnSaved {
            n_neighbors: 7,
            weights: Weights::Uniform,
            metric: Metric::Euclidean,
        };
        assert!(
            Knn::new(params, 2, x.clone(), y.clone()).blocks.is_some(),
            "blocks found"
        );
        let mut q = one_hot_rows(300, 6);
        // A category unseen in training (every column of the block at `lo`).
        q[[7, 3]] = -0.4;
        q[[7, 4]] = -0.7;
        q[[7, 5]] = -1.1;
        assert_brute_force(&x, &y, &q, 7);
        // A query that does not fit the blocks: the plain search answers.
        q[[9, 4]] = 0.5;
        assert_brute_force(&x, &y, &q, 7);
    }

    #[test]
    fn distances_f32_cannot_tell_apart_are_ranked_exactly() {
        // Rows near 1,000 that differ by 1e-9 to 1e-4: in f32 (7 digits) many are equal,
        // and the dot-product form loses 6 more digits; the exact ranking must still hold.
        let mut r = crate::rng::Rng::new(11);
        let (n, d) = (900, 6);
        let centre: Vec<f64> = (0..d).map(|_| 1000.0 + r.next_f64()).collect();
        let mut x = Array2::zeros((n, d));
        for (i, mut row) in x.rows_mut().into_iter().enumerate() {
            let scale = [1e-9, 1e-6, 1e-4][i % 3];
            for (v, c) in row.iter_mut().zip(&centre) {
                *v = c + scale * (r.next_f64() - 0.5);
            }
        }
        // Exact duplicates too.
        for i in (0..n).step_by(50) {
            let row = x.row(i).to_owned();
            x.row_mut(i + 1).assign(&row);
        }
        let y: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let q = x.slice(s![..60, ..]).to_owned();
        assert_brute_force(&x, &y, &q, 9);
    }
}
