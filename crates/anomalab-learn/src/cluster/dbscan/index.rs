//! The neighbour index of DBSCAN: rows sorted by their projection on the first principal
//! direction, with their projections on the first [`N_PROJ`] directions. A projection on a
//! unit vector never exceeds the distance, so a candidate is compared in full only when
//! every projection lies within the search radius of the query's; and a full distance
//! stops early once it exceeds the bound.
//!
//! Searches walk outward from the query's place in the sorted order, nearest projection
//! first, so a search whose radius shrinks as it finds rows (nearest row, k-th distance)
//! or that stops after a count (core test) looks at few rows. Every distance is
//! [`bounded_sq_dist`]'s sum, whichever search computes it, so the `<= eps^2` tests of
//! all phases agree.

use ndarray::ArrayView2;

use crate::matrix::sq_dist;

/// Number of principal directions the index filters on.
pub(super) const N_PROJ: usize = 4;

/// See the module header.
pub(super) struct ProjIndex {
    d: usize,
    dirs: Vec<Vec<f64>>,
    mean: Vec<f64>,
    /// Row id at each sorted position.
    pub(super) order: Vec<usize>,
    /// Sorted position of each row id.
    pub(super) pos: Vec<usize>,
    /// Rows in sorted order (row-major).
    sorted_rows: Vec<f64>,
    /// Projections in sorted order, `N_PROJ` per row.
    proj: Vec<f64>,
}

/// The half-width of the projection window for a radius `r`. The projections of a query
/// outside the index are recomputed from its values, so they are bounded only up to
/// rounding: the window is widened by a relative 1e-9 so no true neighbour is filtered out.
#[inline]
fn slack(r: f64) -> f64 {
    r * (1.0 + 1e-9) + 1e-12
}

impl ProjIndex {
    pub(super) fn new(data: &[f64], d: usize) -> Self {
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
        let mut index = ProjIndex {
            d,
            dirs,
            mean,
            order: Vec::new(),
            pos: vec![0; n],
            sorted_rows: Vec::with_capacity(n * d),
            proj: Vec::with_capacity(n * N_PROJ),
        };
        let projs: Vec<[f64; N_PROJ]> = data.chunks_exact(d).map(|r| index.project(r)).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| projs[a][0].total_cmp(&projs[b][0]).then(a.cmp(&b)));
        for (k, &i) in order.iter().enumerate() {
            index.pos[i] = k;
            index
                .sorted_rows
                .extend_from_slice(&data[i * d..(i + 1) * d]);
            index.proj.extend_from_slice(&projs[i]);
        }
        index.order = order;
        index
    }

    pub(super) fn len(&self) -> usize {
        self.order.len()
    }

    pub(super) fn dim(&self) -> usize {
        self.d
    }

    /// One past the last sorted position whose first projection is within the window of
    /// radius `r` above that of position `k`.
    pub(super) fn window_end(&self, k: usize, r: f64) -> usize {
        let top = self.proj[k * N_PROJ] + slack(r);
        let (mut lo, mut hi) = (k, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.proj[mid * N_PROJ] <= top {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The projections of a row on the index's directions.
    pub(super) fn project(&self, q: &[f64]) -> [f64; N_PROJ] {
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

    /// The row at sorted position `k`.
    #[inline]
    pub(super) fn row_at(&self, k: usize) -> &[f64] {
        &self.sorted_rows[k * self.d..(k + 1) * self.d]
    }

    /// The stored projections of the row at sorted position `k`.
    #[inline]
    pub(super) fn proj_at(&self, k: usize) -> [f64; N_PROJ] {
        self.proj[k * N_PROJ..(k + 1) * N_PROJ]
            .try_into()
            .expect("N_PROJ values")
    }

    /// Whether the row at sorted position `k` may lie within `r` of a query with
    /// projections `pq` (every projection within the window).
    #[inline]
    pub(super) fn may_be_within(&self, k: usize, pq: &[f64; N_PROJ], r: f64) -> bool {
        let s = slack(r);
        let pk = &self.proj[k * N_PROJ..(k + 1) * N_PROJ];
        (1..N_PROJ).all(|t| (pk[t] - pq[t]).abs() <= s)
    }

    /// Squared distance from `q` to the row at sorted position `k` when it is at most
    /// `bound`, else `None`.
    #[inline]
    pub(super) fn dist_at(&self, q: &[f64], k: usize, bound: f64) -> Option<f64> {
        bounded_sq_dist(q, self.row_at(k), bound)
    }

    fn lower_bound(&self, v: f64) -> usize {
        let (mut lo, mut hi) = (0usize, self.len());
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

    /// Visits sorted positions in increasing distance of their first projection from
    /// `p0` (the lower position first on ties), while that distance is within the
    /// window of the radius. `visit(k)` returns the radius from then on, or `None` to
    /// stop. `from`: only positions at or after it (a one-sided search).
    pub(super) fn outward(
        &self,
        p0: f64,
        mut radius: f64,
        from: usize,
        mut visit: impl FnMut(usize) -> Option<f64>,
    ) {
        let n = self.len();
        let mut right = self.lower_bound(p0).max(from);
        let mut left = right;
        while left > from || right < n {
            let dl = if left > from {
                p0 - self.proj[(left - 1) * N_PROJ]
            } else {
                f64::INFINITY
            };
            let dr = if right < n {
                self.proj[right * N_PROJ] - p0
            } else {
                f64::INFINITY
            };
            let (k, gap) = if dl <= dr {
                (left.wrapping_sub(1), dl)
            } else {
                (right, dr)
            };
            if gap > slack(radius) {
                return;
            }
            if dl <= dr {
                left -= 1;
            } else {
                right += 1;
            }
            match visit(k) {
                Some(r) => radius = r,
                None => return,
            }
        }
    }
}

/// Squared distance when it is at most `bound`, else `None` (stops early). The sum runs
/// over 16-wide blocks in order, the same whichever search asks, so every `<= eps^2`
/// test sees the same value for the same pair.
#[inline]
pub(super) fn bounded_sq_dist(a: &[f64], b: &[f64], bound: f64) -> Option<f64> {
    let mut s = 0.0;
    for (ca, cb) in a.chunks(16).zip(b.chunks(16)) {
        s += sq_dist(ca, cb);
        if s > bound {
            return None;
        }
    }
    Some(s)
}

/// A union-find over `n` elements (path halving; the root of a set is its smallest
/// element).
pub(super) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(super) fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    #[inline]
    pub(super) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] as usize != x {
            let g = self.parent[self.parent[x] as usize];
            self.parent[x] = g;
            x = g as usize;
        }
        x
    }

    /// Joins the sets of `a` and `b`; false when they were already one.
    pub(super) fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi] = lo as u32;
        true
    }

    /// Every join this forest records, as (element, its root) pairs to replay elsewhere.
    pub(super) fn links(&mut self) -> Vec<(usize, usize)> {
        (0..self.parent.len())
            .filter_map(|x| {
                let r = self.find(x);
                (r != x).then_some((x, r))
            })
            .collect()
    }
}
