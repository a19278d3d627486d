//! DBSCAN (native), with the k-distance curve and a kneedle choice of `eps`.
//!
//! Native rather than linfa-clustering, which is far slower than scikit-learn
//! (`docs/benchmarks.md`, design measurements). Labels equal scikit-learn's `DBSCAN(eps, min_samples)` (Euclidean): a row is
//! core when at least `min_samples` rows, itself included, lie within distance `<= eps`;
//! clusters are numbered in the order of their lowest-index core row, and a border row
//! reachable from two clusters joins the one numbered first (the order of scikit-learn's
//! `dbscan_inner`). Noise rows get `None` and are the anomalies.
//!
//! Neighbour search: rows are sorted by their projection on the first principal direction
//! and also filtered on the next three; since a projection on a unit vector never exceeds
//! the distance, only rows whose projections all lie within `eps` are compared, and the
//! comparison stops once the partial distance exceeds `eps`. Core flags are counted in
//! parallel (stopping at `min_samples`); the expansion is sequential and never compares a
//! row already queued (its result does not depend on visiting order).
//!
//! `eps: auto`: the k-distance curve (k = `min_samples`, counting the row itself as
//! scikit-learn's core test does, i.e. the distance to the (k-1)-th other row) of up to
//! 2000 seeded query rows against all rows, sorted descending; `eps` is the value at its
//! kneedle knee (convex decreasing). `max_rows`: when the data has more rows, DBSCAN runs on
//! a seeded sample of that many rows; every other row takes the label of its nearest core
//! row of the sample within `eps`, else noise (the border-point rule), and diagnostics
//! record the sampling.

use anomalab_results::{KDistance, ModelDiagnostic};
use ndarray::ArrayView2;
use rayon::prelude::*;

use super::{CurveShape, checked_matrix, kneedle, sq_dist};
use crate::LearnError;
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

/// Number of principal directions the neighbour index filters on.
const N_PROJ: usize = 4;

/// Sorted-projection neighbour index over row-major `data`: rows are stored sorted by
/// their projection on the first principal direction, with their projections on the
/// first [`N_PROJ`] directions. A candidate is compared in full only when every
/// projection differs by at most `eps` (a projection on a unit vector never exceeds the
/// distance), and the full distance stops early once it exceeds `eps^2`.
struct ProjIndex {
    d: usize,
    dirs: Vec<Vec<f64>>,
    mean: Vec<f64>,
    /// Row id at each sorted position.
    order: Vec<usize>,
    /// Sorted position of each row id.
    pos: Vec<usize>,
    /// Rows in sorted order (row-major).
    sorted_rows: Vec<f64>,
    /// Projections in sorted order, `N_PROJ` per row.
    proj: Vec<f64>,
}

impl ProjIndex {
    fn new(data: &[f64], d: usize) -> Self {
        let n = data.len() / d;
        let view = ArrayView2::from_shape((n, d), data).expect("shape");
        let (mean, comps) = crate::linalg::principal_components(view, N_PROJ)
            .unwrap_or_else(|_| (vec![0.0; d], Vec::new()));
        let mut dirs: Vec<Vec<f64>> = comps.into_iter().map(|c| c.1).collect();
        while dirs.len() < N_PROJ {
            // Fewer columns than N_PROJ: repeat a unit axis (still a valid bound).
            let mut e = vec![0.0; d];
            e[dirs.len() % d] = 1.0;
            dirs.push(e);
        }
        let project = |r: &[f64], k: usize| -> f64 {
            r.iter()
                .zip(&mean)
                .zip(&dirs[k])
                .map(|((x, m), w)| (x - m) * w)
                .sum()
        };
        let p0: Vec<f64> = data.chunks_exact(d).map(|r| project(r, 0)).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| p0[a].total_cmp(&p0[b]).then(a.cmp(&b)));
        let mut pos = vec![0; n];
        let mut sorted_rows = Vec::with_capacity(n * d);
        let mut proj = Vec::with_capacity(n * N_PROJ);
        for (k, &i) in order.iter().enumerate() {
            pos[i] = k;
            let r = &data[i * d..(i + 1) * d];
            sorted_rows.extend_from_slice(r);
            proj.push(p0[i]);
            for j in 1..N_PROJ {
                proj.push(project(r, j));
            }
        }
        ProjIndex {
            d,
            dirs,
            mean,
            order,
            pos,
            sorted_rows,
            proj,
        }
    }

    fn project_all(&self, q: &[f64]) -> [f64; N_PROJ] {
        let mut out = [0.0; N_PROJ];
        for (k, o) in out.iter_mut().enumerate() {
            *o = q
                .iter()
                .zip(&self.mean)
                .zip(&self.dirs[k])
                .map(|((x, m), w)| (x - m) * w)
                .sum();
        }
        out
    }

    /// Row `i` (by id).
    fn row(&self, i: usize) -> &[f64] {
        let k = self.pos[i];
        &self.sorted_rows[k * self.d..(k + 1) * self.d]
    }

    /// Visits rows within `eps` of `q` (projections `pq`): for each candidate id `j`,
    /// `skip(j)` is asked first (true = not compared); `f(j, squared distance)` is called
    /// for each neighbour and returns false to stop the search.
    fn search(
        &self,
        q: &[f64],
        pq: &[f64; N_PROJ],
        eps: f64,
        skip: impl Fn(usize) -> bool,
        mut f: impl FnMut(usize, f64) -> bool,
    ) {
        // The projections of q are recomputed from the same row values as the stored
        // ones, but a query row outside the index is only bounded up to rounding: widen
        // the window by a relative 1e-9 so no true neighbour is filtered out.
        let slack = eps * (1.0 + 1e-9) + 1e-12;
        let eps2 = eps * eps;
        let d = self.d;
        let n = self.order.len();
        let lo = self.proj_lower_bound(pq[0] - slack);
        for k in lo..n {
            let pk = &self.proj[k * N_PROJ..(k + 1) * N_PROJ];
            if pk[0] > pq[0] + slack {
                break;
            }
            if (1..N_PROJ).any(|t| (pk[t] - pq[t]).abs() > slack) {
                continue;
            }
            let j = self.order[k];
            if skip(j) {
                continue;
            }
            if let Some(d2) = bounded_sq_dist(q, &self.sorted_rows[k * d..(k + 1) * d], eps2)
                && !f(j, d2)
            {
                return;
            }
        }
    }

    fn proj_lower_bound(&self, v: f64) -> usize {
        let (mut lo, mut hi) = (0usize, self.order.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.proj[mid * N_PROJ] < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Squared distance when it is at most `bound`, else `None` (stops early). The full sum is
/// the same as [`sq_dist`] over 16-wide blocks, so the `<= eps^2` test is exact.
#[inline]
fn bounded_sq_dist(a: &[f64], b: &[f64], bound: f64) -> Option<f64> {
    let mut s = 0.0;
    for (ca, cb) in a.chunks(16).zip(b.chunks(16)) {
        s += sq_dist(ca, cb);
        if s > bound {
            return None;
        }
    }
    Some(s)
}

/// Core flags and cluster labels of DBSCAN on all rows of `data` (scikit-learn order).
fn dbscan_labels(
    index: &ProjIndex,
    n: usize,
    eps: f64,
    min_samples: usize,
) -> (Vec<bool>, Vec<Option<usize>>, usize) {
    let core: Vec<bool> = (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map(|i| {
            let q = index.row(i);
            let pq = index.project_all(q);
            let mut c = 0usize;
            index.search(
                q,
                &pq,
                eps,
                |_| false,
                |_, _| {
                    c += 1;
                    c < min_samples
                },
            );
            c >= min_samples
        })
        .collect();
    // Expansion: rows already labelled or queued are never compared again.
    let mut labels: Vec<Option<usize>> = vec![None; n];
    let queued: Vec<std::cell::Cell<bool>> = (0..n).map(|_| std::cell::Cell::new(false)).collect();
    let mut stack = Vec::new();
    let mut next = 0usize;
    for i in 0..n {
        if labels[i].is_some() || !core[i] {
            continue;
        }
        stack.push(i);
        queued[i].set(true);
        while let Some(cur) = stack.pop() {
            labels[cur] = Some(next);
            if core[cur] {
                let q = index.row(cur);
                let pq = index.project_all(q);
                index.search(
                    q,
                    &pq,
                    eps,
                    |j| queued[j].get(),
                    |j, _| {
                        queued[j].set(true);
                        stack.push(j);
                        true
                    },
                );
            }
        }
        next += 1;
    }
    (core, labels, next)
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
    let data = xs.as_slice().expect("standard layout");
    let mut rng = Rng::new(seed);
    let mut queries = rng.sample_indices(n, max_queries.min(n));
    queries.sort_unstable();
    let mut out: Vec<f64> = queries
        .par_iter()
        .map(|&q| {
            // Keep the k smallest squared distances (k is small).
            let qr = &data[q * d..(q + 1) * d];
            let mut best: Vec<f64> = Vec::with_capacity(k + 1);
            for r in data.chunks_exact(d) {
                let v = sq_dist(qr, r);
                if best.len() < k || v < best[k - 1] {
                    let pos = best.partition_point(|&b| b <= v);
                    best.insert(pos, v);
                    best.truncate(k);
                }
            }
            best[k - 1].sqrt()
        })
        .collect();
    out.sort_by(|a, b| b.total_cmp(a));
    Ok(out)
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
        let owned: Vec<f64>;
        let data: &[f64] = match &sample {
            Some(s) => {
                owned = s
                    .iter()
                    .flat_map(|&r| all[r * d..(r + 1) * d].iter().copied())
                    .collect();
                &owned
            }
            None => all,
        };
        let n = data.len() / d;
        let view = ArrayView2::from_shape((n, d), data).expect("shape");
        let mut kdist = None;
        let eps = match self.eps {
            Some(e) => e,
            None => {
                let k = self.min_samples.min(n);
                let curve = k_distance_curve(view, k, 2000, derive_seed(ctx.seed, 2))?;
                let (i, e) = knee_eps(&curve).ok_or_else(|| {
                    LearnError::Fit(
                        "eps: auto found no knee in the k-distance curve; set eps".into(),
                    )
                })?;
                // Without a sample the curve's query count stands for the rows.
                let (sampled_rows, total_rows) = match &sample {
                    Some(s) => (s.len(), n_all),
                    None => (curve.len(), curve.len()),
                };
                let (distances, positions) = plotted_curve(&curve, n);
                kdist = Some(KDistance {
                    k,
                    distances,
                    positions,
                    eps: e,
                    knee_index: Some(i),
                    sampled_rows,
                    total_rows,
                });
                e
            }
        };
        let index = ProjIndex::new(data, d);
        let (core, labels_s, n_clusters) = dbscan_labels(&index, n, eps, self.min_samples);
        let labels: Vec<Option<usize>> = match &sample {
            None => labels_s,
            Some(s) => {
                let mut in_sample = vec![usize::MAX; n_all];
                for (k, &r) in s.iter().enumerate() {
                    in_sample[r] = k;
                }
                (0..n_all)
                    .into_par_iter()
                    .with_min_len(64)
                    .map(|r| {
                        if in_sample[r] != usize::MAX {
                            return labels_s[in_sample[r]];
                        }
                        let mut best: Option<(f64, usize)> = None;
                        let q = &all[r * d..(r + 1) * d];
                        let pq = index.project_all(q);
                        index.search(
                            q,
                            &pq,
                            eps,
                            |j| !core[j],
                            |j, d2| {
                                if best.is_none_or(|b| d2 < b.0 || (d2 == b.0 && j < b.1)) {
                                    best = Some((d2, j));
                                }
                                true
                            },
                        );
                        best.and_then(|b| labels_s[b.1])
                    })
                    .collect()
            }
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
}
