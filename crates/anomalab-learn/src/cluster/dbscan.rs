//! DBSCAN (native), with the k-distance curve and a kneedle choice of `eps`.
//!
//! Native rather than linfa-clustering, which is far slower than scikit-learn
//! (`docs/benchmarks.md`, design measurements). Labels equal scikit-learn's `DBSCAN(eps, min_samples)` (Euclidean): a row is
//! core when at least `min_samples` rows, itself included, lie within distance `<= eps`;
//! clusters are numbered in the order of their lowest-index core row, and a border row
//! reachable from two clusters joins the one numbered first (the order of scikit-learn's
//! `dbscan_inner`). Noise rows get `None` and are the anomalies.
//!
//! Neighbour search (`index`): rows sorted by their projection on the first principal
//! direction and filtered on the next three (a projection on a unit vector never exceeds
//! the distance), searched outward from the query's place. Core flags are counted in
//! parallel, stopping at `min_samples`. Clusters are the connected components of the core
//! rows, found in parallel from f32 matrix products with a proven error bound (exact
//! distances only where the bound cannot decide); a border row then takes the lowest
//! cluster number among its core neighbours, which is what scikit-learn's traversal
//! order gives it.
//! `eps: auto`: the k-distance curve (k = `min_samples`, counting the row itself as
//! scikit-learn's core test does, i.e. the distance to the (k-1)-th other row) of up to
//! 2000 seeded query rows against all rows, sorted descending; `eps` is the value at its
//! kneedle knee (convex decreasing). `max_rows`: when the data has more rows, DBSCAN runs on
//! a seeded sample of that many rows; every other row takes the label of its nearest core
//! row of the sample within `eps`, else noise (the border-point rule), and diagnostics
//! record the sampling.

use anomalab_results::{KDistance, ModelDiagnostic};
use ndarray::{Array2, ArrayView2, s};
use rayon::prelude::*;

mod index;

use index::{ProjIndex, UnionFind};

use super::{CurveShape, checked_matrix, kneedle};
use crate::LearnError;
use crate::knn::Products;
use crate::matrix::sq_norm;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::ClustererEntry;
use crate::traits::{ClustererParams, Clustering, FitContext};

/// Validated DBSCAN hyper-parameters.
#[derive(Debug, Clone)]
pub struct DbscanParams {
    /// Neighbourhood radius; `None` = the knee of the k-distance curve.
    pub eps: Option<f64>,
    pub min_samples: usize,
    /// Run on a seeded sample of at most this many rows (`None` = all rows).
    pub max_rows: Option<usize>,
}

impl Default for DbscanParams {
    fn default() -> Self {
        DbscanParams {
            eps: Some(0.5),
            min_samples: 5,
            max_rows: Some(20_000),
        }
    }
}

/// Parameter schema of `dbscan`.
pub fn param_specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "eps",
            ParamKind::OneOf(vec![
                ParamKind::FloatOpenMin {
                    min: 0.0,
                    max: f64::INFINITY,
                },
                ParamKind::Choice(&["auto"]),
            ]),
            ParamValue::Float(0.5),
            "neighbourhood radius, or \"auto\" = knee of the k-distance curve (k = min_samples)",
        ),
        ParamSpec::new(
            "min_samples",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(5),
            "rows (the row itself included) within eps that make a row a core point",
        ),
        ParamSpec::new(
            "max_rows",
            ParamKind::OneOf(vec![
                ParamKind::Int {
                    min: 10,
                    max: i64::MAX,
                },
                ParamKind::Null,
            ]),
            ParamValue::Int(20_000),
            "cluster a seeded sample of at most this many rows (null = all); others join by nearest core row",
        ),
    ]
}

impl DbscanParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let eps = match p.get("eps")? {
            ParamValue::Str(s) if s == "auto" => None,
            _ => Some(p.f64("eps")?),
        };
        if eps.is_some_and(|e| e <= 0.0 || !e.is_finite()) {
            return Err(LearnError::param("eps", "must be a positive number"));
        }
        Ok(DbscanParams {
            eps,
            min_samples: p.usize("min_samples")?.max(1),
            max_rows: p.opt_usize("max_rows")?,
        })
    }
}

/// Sorted positions per parallel task of the component search.
const POS_CHUNK: usize = 256;
/// Tasks whose union-find links are held at once before they are merged (bounds memory).
const TASK_BATCH: usize = 8;

/// Core flags by sorted position: at least `min_samples` rows, the row itself included,
/// within `eps`. The search walks outward and stops at the count.
fn core_flags(index: &ProjIndex, eps: f64, min_samples: usize) -> Vec<bool> {
    let eps2 = eps * eps;
    (0..index.len())
        .into_par_iter()
        .with_min_len(64)
        .map(|k| {
            let (q, pq) = (index.row_at(k), index.proj_at(k));
            let mut c = 0usize;
            index.outward(pq[0], eps, 0, |m| {
                if index.may_be_within(m, &pq, eps) && index.dist_at(q, m, eps2).is_some() {
                    c += 1;
                    if c >= min_samples {
                        return None;
                    }
                }
                Some(eps)
            });
            c >= min_samples
        })
        .collect()
}

/// Columns of the f32 products per block of the component search.
const COL_BLOCK: usize = 1024;

/// The connected components of the core rows (two core rows within `eps` are joined), as a
/// union-find over sorted positions.
///
/// Each task takes a run of sorted positions and compares its core rows with the core
/// rows after them up to the end of the projection window. Squared distances come from
/// f32 matrix products with `knn`'s proven error bound: a pair is joined at once when its
/// upper bound is below `eps^2`, passed over when its lower bound is above, and only the
/// few in between get the exact distance every other phase uses (the margins absorb that
/// distance's own rounding, so the decisions equal its `<= eps^2`). Tasks run in batches;
/// pairs already joined by an earlier batch or by the task itself are skipped, and so is
/// a whole block whose core rows an earlier batch has put in one component. The
/// components do not depend on how the work is split.
fn core_components(index: &ProjIndex, core: &[bool], eps: f64) -> UnionFind {
    let n = index.len();
    let products = BlockProducts::new(index, eps);
    let mut global = UnionFind::new(n);
    let mut joined: Vec<u32> = (0..n as u32).collect();
    let starts: Vec<usize> = (0..n).step_by(POS_CHUNK).collect();
    for batch in starts.chunks(TASK_BATCH) {
        let links: Vec<Vec<(usize, usize)>> = batch
            .par_iter()
            .map(|&s| products.task(s, core, &joined))
            .collect();
        for (a, b) in links.into_iter().flatten() {
            global.union(a, b);
        }
        joined = (0..n).map(|x| global.find(x) as u32).collect();
    }
    global
}

/// The sorted rows in f32 with their norms, for [`core_components`].
struct BlockProducts<'a> {
    index: &'a ProjIndex,
    x32: Array2<f32>,
    norms: Vec<f64>,
    lens: Vec<f64>,
    c32: f64,
    c64: f64,
    eps: f64,
}

impl<'a> BlockProducts<'a> {
    fn new(index: &'a ProjIndex, eps: f64) -> Self {
        let (n, d) = (index.len(), index.dim());
        let x32 = Array2::from_shape_fn((n, d), |(k, c)| index.row_at(k)[c] as f32);
        let norms: Vec<f64> = (0..n).map(|k| sq_norm(index.row_at(k))).collect();
        let lens = norms.iter().map(|v| v.sqrt()).collect();
        let (c32, c64) = crate::knn::f32_error_constants(d);
        BlockProducts {
            index,
            x32,
            norms,
            lens,
            c32,
            c64,
            eps,
        }
    }

    /// The joins found from the core rows at positions `start..start + POS_CHUNK`, as
    /// (position, root) links; `joined`: each position's root after the earlier batches.
    fn task(&self, start: usize, core: &[bool], joined: &[u32]) -> Vec<(usize, usize)> {
        let n = self.index.len();
        let end = (start + POS_CHUNK).min(n);
        let reach = self.index.window_end(end - 1, self.eps);
        let mut uf = UnionFind::new(n);
        for c0 in (start..reach).step_by(COL_BLOCK) {
            let c1 = (c0 + COL_BLOCK).min(reach);
            if one_component(core, joined, (start..end).chain(c0..c1)) {
                continue;
            }
            let dots = self
                .x32
                .slice(s![start..end, ..])
                .dot(&self.x32.slice(s![c0..c1, ..]).t());
            for k in (start..end).filter(|&k| core[k]) {
                let row = dots.row(k - start);
                let row = row.as_slice().expect("a fresh product is contiguous");
                self.join_row(k, (c0.max(k + 1), c0, c1), row, core, joined, &mut uf);
            }
        }
        uf.links()
    }

    /// Joins the core row at position `k` with the core rows at `from..c1` within `eps`
    /// (`dots`: its f32 products with the rows at `c0..c1`).
    fn join_row(
        &self,
        k: usize,
        (from, c0, c1): (usize, usize, usize),
        dots: &[f32],
        core: &[bool],
        joined: &[u32],
        uf: &mut UnionFind,
    ) {
        let eps2 = self.eps * self.eps;
        let (near, far) = (eps2 * (1.0 - 1e-9), eps2 * (1.0 + 1e-9));
        let products = Products {
            dots,
            norms: &self.norms[c0..c1],
            lens: &self.lens[c0..c1],
            base: self.norms[k],
            cq: (self.c32 + 2.0 * self.c64) * self.lens[k],
            c64: self.c64,
        };
        let q = self.index.row_at(k);
        for m in (from..c1).filter(|&m| core[m] && joined[m] != joined[k]) {
            let (lo, hi) = products.bounds(m - c0);
            if lo > far || uf.find(k) == uf.find(m) {
                continue;
            }
            if hi <= near || self.index.dist_at(q, m, eps2).is_some() {
                uf.union(k, m);
            }
        }
    }
}

/// Whether every core position of `positions` has the same root in `joined`.
fn one_component(core: &[bool], joined: &[u32], positions: impl Iterator<Item = usize>) -> bool {
    let mut roots = positions.filter(|&k| core[k]).map(|k| joined[k]);
    match roots.next() {
        Some(r) => roots.all(|x| x == r),
        None => true,
    }
}

/// Core flags (by row id), cluster labels and the cluster count of DBSCAN on the rows of
/// `index`, as scikit-learn's `dbscan_inner` numbers them: clusters in the order of their
/// lowest core row id, and a border row joins the first-numbered cluster with a core row
/// within `eps` (the cluster whose traversal reaches it first).
fn dbscan_labels(
    index: &ProjIndex,
    eps: f64,
    min_samples: usize,
) -> (Vec<bool>, Vec<Option<usize>>, usize) {
    let n = index.len();
    let core_pos = core_flags(index, eps, min_samples);
    let mut uf = core_components(index, &core_pos, eps);
    let core: Vec<bool> = (0..n).map(|i| core_pos[index.pos[i]]).collect();
    let mut labels: Vec<Option<usize>> = vec![None; n];
    let mut root_label: Vec<Option<usize>> = vec![None; n];
    let mut next = 0usize;
    for i in (0..n).filter(|&i| core[i]) {
        let root = uf.find(index.pos[i]);
        let l = *root_label[root].get_or_insert_with(|| {
            next += 1;
            next - 1
        });
        labels[i] = Some(l);
    }
    let border: Vec<(usize, Option<usize>)> = (0..n)
        .into_par_iter()
        .filter(|&i| !core[i])
        .map(|i| (i, border_label(index, &core_pos, &labels, i, eps)))
        .collect();
    for (i, l) in border {
        labels[i] = l;
    }
    (core, labels, next)
}

/// The lowest cluster label among the core rows within `eps` of the non-core row `i`.
fn border_label(
    index: &ProjIndex,
    core_pos: &[bool],
    labels: &[Option<usize>],
    i: usize,
    eps: f64,
) -> Option<usize> {
    let k = index.pos[i];
    let (q, pq) = (index.row_at(k), index.proj_at(k));
    let mut best: Option<usize> = None;
    index.outward(pq[0], eps, 0, |m| {
        // Every core row has a label; only a lower one than the best so far can matter.
        if let Some(l) = labels[index.order[m]].filter(|_| core_pos[m])
            && best.is_none_or(|b| l < b)
            && index.may_be_within(m, &pq, eps)
            && index.dist_at(q, m, eps * eps).is_some()
        {
            best = Some(l);
        }
        Some(eps)
    });
    best
}

/// The core row of the index nearest to `q` within `eps` (ties: the lower row id), for
/// a row outside the clustered sample. The radius shrinks to the best distance so far.
fn nearest_core(index: &ProjIndex, core_pos: &[bool], q: &[f64], eps: f64) -> Option<usize> {
    let pq = index.project(q);
    let mut best: Option<(f64, usize)> = None;
    let mut bound = eps * eps;
    index.outward(pq[0], eps, 0, |m| {
        let r = bound.sqrt();
        if core_pos[m]
            && index.may_be_within(m, &pq, r)
            && let Some(d2) = index.dist_at(q, m, bound)
        {
            let j = index.order[m];
            if best.is_none_or(|b| d2 < b.0 || (d2 == b.0 && j < b.1)) {
                best = Some((d2, j));
                bound = d2;
            }
        }
        Some(bound.sqrt())
    });
    best.map(|b| b.1)
}

/// The k-distance curve: for each of up to `max_queries` seeded query rows, the distance to
/// its k-th nearest row of `x` counting itself (distance 0) as the first, sorted
/// descending.
pub fn k_distance_curve(
    x: ArrayView2<'_, f64>,
    k: usize,
    max_queries: usize,
    seed: u64,
) -> Result<Vec<f64>, LearnError> {
    let xs = checked_matrix(x, "k-distance")?;
    let (n, d) = xs.dim();
    if k == 0 || k > n {
        return Err(LearnError::InvalidInput(format!(
            "k-distance with k = {k} needs at least {k} rows, found {n}"
        )));
    }
    let index = ProjIndex::new(xs.as_slice().expect("standard layout"), d);
    Ok(index_k_distances(&index, k, max_queries, seed))
}

/// [`k_distance_curve`] over the rows of an index. The neighbours come from `knn`'s exact
/// search; the k-th distance is then the one every other phase computes.
fn index_k_distances(index: &ProjIndex, k: usize, max_queries: usize, seed: u64) -> Vec<f64> {
    let (n, d) = (index.len(), index.dim());
    let mut rng = Rng::new(seed);
    let mut queries = rng.sample_indices(n, max_queries.min(n));
    queries.sort_unstable();
    let rows = Array2::from_shape_fn((n, d), |(p, c)| index.row_at(p)[c]);
    let q = Array2::from_shape_fn((queries.len(), d), |(r, c)| {
        index.row_at(index.pos[queries[r]])[c]
    });
    let found = crate::knn::euclidean_index(rows, k).kneighbors(q.view());
    let mut out: Vec<f64> = queries
        .iter()
        .zip(&found)
        .map(|(&id, nb)| {
            let kth = nb[k - 1] as usize;
            let q = index.row_at(index.pos[id]);
            index
                .dist_at(q, kth, f64::INFINITY)
                .map_or(f64::INFINITY, f64::sqrt)
        })
        .collect();
    out.sort_by(|a, b| b.total_cmp(a));
    out
}

/// `eps` at the kneedle knee of a descending k-distance curve.
pub fn knee_eps(curve: &[f64]) -> Option<(usize, f64)> {
    let x: Vec<f64> = (0..curve.len()).map(|i| i as f64).collect();
    let i = kneedle(&x, curve, CurveShape::ConvexDecreasing)?;
    (curve[i] > 0.0).then_some((i, curve[i]))
}

/// At most `m` evenly spaced indices of `0..len` (for the report), first and last kept.
fn thin(len: usize, m: usize) -> Vec<usize> {
    if len <= m {
        return (0..len).collect();
    }
    (0..m).map(|i| i * (len - 1) / (m - 1)).collect()
}

/// The report's view of a descending k-distance curve of `curve.len()` query rows drawn
/// from `rows` rows: ascending, at most 400 points, each placed at the position among the
/// `rows` rows that its rank among the queries stands for (1 to `rows`).
fn plotted_curve(curve: &[f64], rows: usize) -> (Vec<f64>, Vec<f64>) {
    let q = curve.len();
    let scale = if q > 1 {
        (rows.max(q) - 1) as f64 / (q - 1) as f64
    } else {
        0.0
    };
    thin(q, 400)
        .into_iter()
        .map(|j| (curve[q - 1 - j], 1.0 + j as f64 * scale))
        .unzip()
}

impl DbscanParams {
    /// `eps`, from the knee of the k-distance curve of the index's rows when it is
    /// `auto` (with the curve for the report); `sampled`: the index holds a sample of
    /// `n_all` rows.
    fn resolve_eps(
        &self,
        index: &ProjIndex,
        sampled: bool,
        n_all: usize,
        seed: u64,
    ) -> Result<(f64, Option<KDistance>), LearnError> {
        if let Some(e) = self.eps {
            return Ok((e, None));
        }
        let n = index.len();
        let k = self.min_samples.min(n);
        let curve = index_k_distances(index, k, 2000, derive_seed(seed, 2));
        let (i, e) = knee_eps(&curve).ok_or_else(|| {
            LearnError::Fit("eps: auto found no knee in the k-distance curve; set eps".into())
        })?;
        // Without a sample the curve's query count stands for the rows.
        let (sampled_rows, total_rows) = if sampled {
            (n, n_all)
        } else {
            (curve.len(), curve.len())
        };
        let (distances, positions) = plotted_curve(&curve, n);
        let kd = KDistance {
            k,
            distances,
            positions,
            eps: e,
            knee_index: Some(i),
            sampled_rows,
            total_rows,
        };
        Ok((e, Some(kd)))
    }
}

/// Labels of every row of `all` (row-major, `d` columns) when DBSCAN ran on the sample
/// rows `sample` (ascending ids): sample rows keep theirs, every other row takes the
/// label of its nearest core row of the sample within `eps`, else noise.
fn extend_labels(
    index: &ProjIndex,
    (all, d): (&[f64], usize),
    sample: &[usize],
    core: &[bool],
    labels_s: &[Option<usize>],
    eps: f64,
) -> Vec<Option<usize>> {
    let n_all = all.len() / d;
    let mut in_sample = vec![usize::MAX; n_all];
    for (k, &r) in sample.iter().enumerate() {
        in_sample[r] = k;
    }
    let core_pos: Vec<bool> = index.order.iter().map(|&i| core[i]).collect();
    (0..n_all)
        .into_par_iter()
        .with_min_len(64)
        .map(|r| match in_sample[r] {
            usize::MAX => nearest_core(index, &core_pos, &all[r * d..(r + 1) * d], eps)
                .and_then(|j| labels_s[j]),
            k => labels_s[k],
        })
        .collect()
}

impl ClustererParams for DbscanParams {
    fn fit(&self, x: ArrayView2<'_, f64>, ctx: &FitContext) -> Result<Clustering, LearnError> {
        let xs = checked_matrix(x, "DBSCAN")?;
        let (n_all, d) = xs.dim();
        let all = xs.as_slice().expect("standard layout");
        // Seeded sample when there are more rows than max_rows.
        let sample: Option<Vec<usize>> = match self.max_rows {
            Some(m) if n_all > m => {
                let mut rng = Rng::new(derive_seed(ctx.seed, 1));
                let mut s = rng.sample_indices(n_all, m);
                s.sort_unstable();
                Some(s)
            }
            _ => None,
        };
        let index = match &sample {
            Some(s) => {
                let rows: Vec<f64> = s
                    .iter()
                    .flat_map(|&r| all[r * d..(r + 1) * d].iter().copied())
                    .collect();
                ProjIndex::new(&rows, d)
            }
            None => ProjIndex::new(all, d),
        };
        let (eps, kdist) = self.resolve_eps(&index, sample.is_some(), n_all, ctx.seed)?;
        let (core, labels_s, n_clusters) = dbscan_labels(&index, eps, self.min_samples);
        let labels = match &sample {
            None => labels_s,
            Some(s) => extend_labels(&index, (all, d), s, &core, &labels_s, eps),
        };
        let mut diagnostics: Vec<ModelDiagnostic> =
            kdist.map(ModelDiagnostic::KDistance).into_iter().collect();
        if let Some(s) = &sample {
            diagnostics.push(ModelDiagnostic::Sample {
                rows_clustered: s.len(),
                rows_total: n_all,
                rule: "rows outside the sample take the label of their nearest core row within eps, else noise".into(),
            });
        }
        Ok(Clustering {
            labels,
            n_clusters,
            model: None,
            diagnostics,
        })
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn ClustererParams>, LearnError> {
    Ok(Box::new(DbscanParams::from_params(p)?))
}

/// Registry entry of `dbscan` (native; transductive, so no loader).
pub fn clusterer_entry() -> ClustererEntry {
    ClustererEntry {
        name: "dbscan",
        backend: "native",
        summary: "DBSCAN (scikit-learn labels), noise = anomalies; eps: auto = k-distance knee",
        params: param_specs,
        build,
        load: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plotted_curve_ascends_over_the_clustered_rows() {
        // 5 query rows of 9: ranks 0..4 stand for rows 1, 3, 5, 7, 9.
        let (d, p) = plotted_curve(&[5.0, 4.0, 3.0, 2.0, 1.0], 9);
        assert_eq!(d, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(p, [1.0, 3.0, 5.0, 7.0, 9.0]);
        // 2000 queries of 20,000 rows thin to 400 points that still span 1..=20,000.
        let curve: Vec<f64> = (0..2000).rev().map(f64::from).collect();
        let (d, p) = plotted_curve(&curve, 20_000);
        assert_eq!((d.len(), p.len()), (400, 400));
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!((p[0], d[399]), (1.0, 1999.0));
        assert!((p[399] - 20_000.0).abs() < 1e-9, "{}", p[399]);
    }

    #[test]
    fn hand_made_chain_border_and_noise() {
        // 1-D points: 0, 1, 2 (a chain), 2.9 (border of the chain: only 2 within 1.0),
        // 10, 10.5, 11 (second cluster), 50 (noise). eps = 1, min_samples = 3.
        // Neighbour counts (self included): 0:{0,1}=2, 1:{0,1,2}=3, 2:{1,2,2.9}=3,
        // 2.9:{2,2.9}=2, 10:{10,10.5,11}=3, 10.5:3, 11:3, 50:1.
        // Core: 1, 2, 10, 10.5, 11. Cluster 0 = {0, 1, 2, 2.9} (0 and 2.9 are border),
        // cluster 1 = {10, 10.5, 11}, 50 is noise.
        let x = ndarray::array![[0.0], [1.0], [2.0], [2.9], [10.0], [10.5], [11.0], [50.0]];
        let p = DbscanParams {
            eps: Some(1.0),
            min_samples: 3,
            max_rows: None,
        };
        let c = p.fit(x.view(), &FitContext::default()).unwrap();
        assert_eq!(
            c.labels,
            vec![
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                None
            ]
        );
        assert_eq!(c.n_clusters, 2);
        assert!(c.model.is_none());
    }

    #[test]
    fn k_distance_hand_values() {
        // Points 0, 1, 3, 7 with k = 2 (self + 1 other): nearest other distances 1, 1, 2, 4.
        let x = ndarray::array![[0.0], [1.0], [3.0], [7.0]];
        let c = k_distance_curve(x.view(), 2, 100, 0).unwrap();
        assert_eq!(c, vec![4.0, 2.0, 1.0, 1.0]);
    }

    #[test]
    fn rows_outside_the_sample_take_their_nearest_core_row() {
        // Brute force over every (row, core sample row) pair, ties to the lower id.
        let mut rng = Rng::new(7);
        let (n, d, eps) = (1500, 5, 0.9);
        let all: Vec<f64> = (0..n * d)
            .map(|i| ((i / d) % 4) as f64 * 3.0 + 2.5 * rng.next_f64())
            .collect();
        let sample: Vec<usize> = (0..n).step_by(3).collect();
        let rows: Vec<f64> = sample
            .iter()
            .flat_map(|&r| all[r * d..(r + 1) * d].iter().copied())
            .collect();
        let index = ProjIndex::new(&rows, d);
        let (core, labels_s, _) = dbscan_labels(&index, eps, 6);
        assert!(core.iter().any(|&c| c) && core.iter().any(|&c| !c));
        let got = extend_labels(&index, (&all, d), &sample, &core, &labels_s, eps);
        let mut assigned = 0;
        for r in (0..n).filter(|r| r % 3 != 0) {
            let q = &all[r * d..(r + 1) * d];
            let best = (0..sample.len())
                .filter(|&k| core[k])
                .map(|k| {
                    (
                        index::bounded_sq_dist(q, &rows[k * d..(k + 1) * d], f64::MAX),
                        k,
                    )
                })
                .filter(|(d2, _)| d2.is_some_and(|v| v <= eps * eps))
                .min_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            let want = best.and_then(|(_, k)| labels_s[k]);
            assigned += usize::from(want.is_some());
            assert_eq!(got[r], want, "row {r}");
        }
        assert!(
            assigned > 100 && assigned < 1000,
            "{assigned} of 1000 assigned"
        );
    }

    #[test]
    fn one_and_three_threads_give_the_same_clustering() {
        // A 2,500-row sample: ten component tasks in two batches, run in a different
        // order by each pool; the other 500 rows join by their nearest core row.
        let mut rng = Rng::new(11);
        let x = ndarray::Array2::from_shape_fn((3000, 6), |(i, _)| {
            ((i / 7) % 5) as f64 * 2.5 + 1.6 * rng.next_f64()
        });
        let p = DbscanParams {
            eps: None,
            min_samples: 6,
            max_rows: Some(2500),
        };
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| p.fit(x.view(), &FitContext::default()).unwrap())
        };
        let (a, b) = (fit(1), fit(3));
        assert_eq!(a.labels, b.labels);
        assert!(a.n_clusters >= 2, "{} clusters", a.n_clusters);
        assert!(a.labels.iter().any(Option::is_none));
    }
}
