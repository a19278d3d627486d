//! The EM steps on training rows with one-hot column blocks ([`OneHotLayout`]): the sums
//! run over the numeric columns and each row's hot columns only.
//!
//! A one-hot column `c` of a training row is `lo_c` or `hi_c`, so its centred value is
//! `u_c = lo_c - mu_c` or `v_c = hi_c - mu_c`, set by the row's category. Every sum over
//! rows with a one-hot factor is therefore a sum over categories of per-category sums: the
//! same products regrouped, so only the rounding differs from the dense sums.
//!
//! Working order: the blocks' columns first, then the numeric columns.
//! - M-step: the numeric scatter is a matrix product over the numeric columns; per
//!   category `a` the weight `N_a = sum_{i hot a} r_i` and `U_a = sum_{i hot a} r_i
//!   (x_num,i - mu_num)`, and per pair of blocks the weight of the rows hot in each pair
//!   of their categories; the other blocks of the scatter follow in `O(d^2)` per component.
//! - E-step: with `Q` the lower-triangular precision Cholesky factor of the covariance in
//!   working order, `y = (x - mu) Q^T` has its one-hot rows set by the row's category tuple
//!   alone, and its numeric rows are `(x_num - mu_num) Q_num^T` plus a per-tuple vector:
//!   one product over the numeric columns per row. (The stored model keeps the factor in
//!   the original column order; both give the same quadratic form.)

use std::collections::HashMap;
use std::ops::Range;

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rayon::prelude::*;

use super::{CHUNK, CovarianceType, GROUP, GaussianMixture, LN_2PI, add_scatter, lower_blocks};
use crate::matrix::{OneHotBlock, OneHotLayout, sq_norm};

/// Rows per distinct category tuple below which the one-hot path is not taken.
const MAX_TUPLE_SHARE: usize = 8;

/// The training rows split into numeric columns and categories.
#[derive(Debug)]
pub(super) struct OneHotRows<'a> {
    /// Original column of each working position.
    order: Vec<usize>,
    blocks: Vec<OneHotBlock>,
    /// Working position of each block's first column.
    off: Vec<usize>,
    /// One-hot columns (they come first in working order).
    n_hot: usize,
    /// Block pairs `(b1, b2)`, `b1 < b2`.
    pairs: Vec<(usize, usize)>,
    /// The training rows (standard layout).
    x: ArrayView2<'a, f64>,
    /// The numeric columns as runs of adjacent columns.
    numeric_runs: Vec<Range<usize>>,
    /// Category of row `i` in block `b` at `cats[i * n_blocks + b]`.
    cats: Vec<u16>,
    /// Index of each row's category tuple in `tuples`.
    tuple: Vec<u32>,
    /// The distinct category tuples, `n_blocks` each.
    tuples: Vec<u16>,
}

/// The precision Cholesky factor of one component in working order.
#[derive(Debug, Clone)]
pub(super) struct Factor {
    pub q: Array2<f64>,
    pub log_det: f64,
}

/// One component's sums over a group of rows.
#[derive(Debug, Clone)]
struct Sums {
    /// Numeric scatter (lower blocks, or the diagonal).
    nn: Array2<f64>,
    /// `U_a` per category (working position), `n_hot x numeric`.
    u: Array2<f64>,
    /// `N_a` per category.
    w: Vec<f64>,
    /// Per entry of `pairs`, the weight of the rows hot in `a1` and `a2` at `a1 * m2 + a2`.
    pair: Vec<Vec<f64>>,
}

/// One component's per-tuple parts of `y` and of the quadratic form.
struct TupleTerms {
    /// `|y_hot|^2` per tuple.
    hot: Vec<f64>,
    /// The tuple's part of the numeric rows of `y`, `tuples x numeric`.
    tail: Array2<f64>,
}

impl<'a> OneHotRows<'a> {
    /// The split of a (standard layout) training matrix, `None` when it has no one-hot
    /// blocks, or so many distinct category tuples (more than one per [`MAX_TUPLE_SHARE`]
    /// rows) that the per-tuple tables would cost about as much as the rows.
    pub(super) fn new(x: ArrayView2<'a, f64>) -> Option<OneHotRows<'a>> {
        if x.nrows() > u32::MAX as usize {
            return None;
        }
        let OneHotLayout { numeric, blocks } = OneHotLayout::detect(x)?;
        let nb = blocks.len();
        let mut order = Vec::with_capacity(x.ncols());
        let mut off = Vec::with_capacity(nb);
        for b in &blocks {
            off.push(order.len());
            order.extend(b.cols());
        }
        let n_hot = order.len();
        order.extend(&numeric);
        let mut cats = Vec::with_capacity(x.nrows() * nb);
        for row in x.rows() {
            let row = row.to_slice()?;
            for b in &blocks {
                cats.push(b.category(row)?);
            }
        }
        let (tuple, tuples) = distinct_tuples(&cats, nb);
        if tuples.len() / nb > x.nrows() / MAX_TUPLE_SHARE {
            return None;
        }
        let pairs = (0..nb)
            .flat_map(|b1| (b1 + 1..nb).map(move |b2| (b1, b2)))
            .collect();
        Some(OneHotRows {
            order,
            blocks,
            off,
            n_hot,
            pairs,
            x,
            numeric_runs: runs(&numeric),
            cats,
            tuple,
            tuples,
        })
    }

    fn n_numeric(&self) -> usize {
        self.order.len() - self.n_hot
    }

    /// The numeric columns of the rows `rows` into the first rows of `out`.
    fn gather(&self, rows: Range<usize>, out: &mut Array2<f64>) {
        let p = self.n_numeric();
        let out = out.as_slice_mut().expect("fresh array");
        for (i, o) in rows.zip(out.chunks_exact_mut(p.max(1))) {
            let row = self.x.row(i);
            let row = row.to_slice().expect("standard layout");
            let mut at = 0;
            for r in &self.numeric_runs {
                o[at..at + r.len()].copy_from_slice(&row[r.clone()]);
                at += r.len();
            }
        }
    }

    fn n_blocks(&self) -> usize {
        self.blocks.len()
    }

    fn zero_sums(&self) -> Sums {
        let p = self.n_numeric();
        Sums {
            nn: Array2::zeros((p, p)),
            u: Array2::zeros((self.n_hot, p)),
            w: vec![0.0; self.n_hot],
            pair: self
                .pairs
                .iter()
                .map(|&(b1, b2)| vec![0.0; self.blocks[b1].len() * self.blocks[b2].len()])
                .collect(),
        }
    }

    /// The numeric columns of `means` (row-major).
    fn numeric_means(&self, means: &Array2<f64>) -> Array2<f64> {
        let numeric = &self.order[self.n_hot..];
        Array2::from_shape_fn((means.nrows(), numeric.len()), |(j, c)| {
            means[[j, numeric[c]]]
        })
    }

    /// A working-order matrix in the original column order.
    pub(super) fn to_original(&self, w: &Array2<f64>) -> Array2<f64> {
        let d = self.order.len();
        let mut out = Array2::zeros((d, d));
        for (a, &oa) in self.order.iter().enumerate() {
            for (b, &ob) in self.order.iter().enumerate() {
                out[[oa, ob]] = w[[a, b]];
            }
        }
        out
    }

    /// Per component, the scatter `sum_i r_ij (x_i - mu_j)(x_i - mu_j)^T` in working order
    /// (symmetric; its diagonal only for `diag`). Fixed row groups summed in group order,
    /// as the dense scatter.
    pub(super) fn scatter(
        &self,
        resp: &Array2<f64>,
        means: &Array2<f64>,
        cov: CovarianceType,
    ) -> Vec<Array2<f64>> {
        let n = self.x.nrows();
        let means_n = self.numeric_means(means);
        let starts: Vec<usize> = (0..n).step_by(GROUP).collect();
        let parts: Vec<Vec<Sums>> = starts
            .par_iter()
            .map(|&g0| self.group_sums(g0..(g0 + GROUP).min(n), resp, &means_n, cov))
            .collect();
        let mut total: Vec<Sums> = vec![self.zero_sums(); means.nrows()];
        for part in parts {
            for (t, p) in total.iter_mut().zip(part) {
                t.add(&p);
            }
        }
        total
            .iter()
            .zip(means.rows())
            .map(|(sums, mean)| self.assemble(sums, mean, cov))
            .collect()
    }

    /// The sums of the rows `g` for every component.
    fn group_sums(
        &self,
        g: Range<usize>,
        resp: &Array2<f64>,
        means_n: &Array2<f64>,
        cov: CovarianceType,
    ) -> Vec<Sums> {
        let p = self.n_numeric();
        let mut acc = vec![self.zero_sums(); resp.ncols()];
        let mut diff = Array2::<f64>::zeros((CHUNK, p));
        let mut weighted = Array2::<f64>::zeros((CHUNK, p));
        let mut xg = Array2::<f64>::zeros((CHUNK, p));
        for c0 in g.clone().step_by(CHUNK) {
            let rows = c0..(c0 + CHUNK).min(g.end);
            let m = rows.len();
            self.gather(rows.clone(), &mut xg);
            let xs = xg.as_slice().expect("fresh array");
            for (j, sums) in acc.iter_mut().enumerate() {
                let mu = means_n.row(j);
                let mu = mu.as_slice().expect("standard layout");
                let (dc, wc) = (diff.as_slice_mut(), weighted.as_slice_mut());
                let (dc, wc) = (dc.expect("fresh array"), wc.expect("fresh array"));
                for (local, i) in rows.clone().enumerate() {
                    let r = resp[[i, j]];
                    let x = &xs[local * p..(local + 1) * p];
                    let (d, w) = (&mut dc[local * p..], &mut wc[local * p..]);
                    for (((d, w), &x), &mu) in d.iter_mut().zip(w).zip(x).zip(mu) {
                        *d = x - mu;
                        *w = *d * r;
                    }
                }
                let (dc, wc) = (diff.slice(s![..m, ..]), weighted.slice(s![..m, ..]));
                add_scatter(&mut sums.nn, wc, dc, cov);
                self.add_categories(sums, rows.clone(), wc, resp.column(j));
            }
        }
        acc
    }

    /// Add the rows `rows` (weighted centred numeric values `wc`, weights `r`) to the
    /// per-category sums.
    fn add_categories(
        &self,
        sums: &mut Sums,
        rows: Range<usize>,
        wc: ArrayView2<'_, f64>,
        r: ArrayView1<'_, f64>,
    ) {
        let nb = self.n_blocks();
        let p = self.n_numeric();
        let u = sums.u.as_slice_mut().expect("fresh array");
        for (local, i) in rows.enumerate() {
            let cats = &self.cats[i * nb..(i + 1) * nb];
            let ri = r[i];
            let wrow = wc.row(local);
            let wrow = wrow.as_slice().expect("rows of a standard layout buffer");
            for (b, &a) in cats.iter().enumerate() {
                let pos = self.off[b] + usize::from(a);
                sums.w[pos] += ri;
                for (acc, &v) in u[pos * p..(pos + 1) * p].iter_mut().zip(wrow) {
                    *acc += v;
                }
            }
            for (t, &(b1, b2)) in self.pairs.iter().enumerate() {
                let m2 = self.blocks[b2].len();
                sums.pair[t][usize::from(cats[b1]) * m2 + usize::from(cats[b2])] += ri;
            }
        }
    }

    /// Per block, `Z[a, c]`: the centred value of the block's column `c` in a row of
    /// category `a` (`hi_c - mu_c` when `a == c`, else `lo_c - mu_c`).
    fn centred(&self, mean: ArrayView1<'_, f64>) -> Vec<Array2<f64>> {
        self.blocks
            .iter()
            .map(|b| {
                Array2::from_shape_fn((b.len(), b.len()), |(a, c)| {
                    let v = if a == c { b.hi[c] } else { b.lo[c] };
                    v - mean[b.start + c]
                })
            })
            .collect()
    }

    /// One component's scatter in working order from its sums.
    fn assemble(&self, sums: &Sums, mean: ArrayView1<'_, f64>, cov: CovarianceType) -> Array2<f64> {
        let (h, d) = (self.n_hot, self.order.len());
        let mut out = Array2::<f64>::zeros((d, d));
        out.slice_mut(s![h.., h..]).assign(&sums.nn);
        let z = self.centred(mean);
        for (b, zb) in z.iter().enumerate() {
            let cols = self.off[b]..self.off[b] + zb.nrows();
            let w = Array1::from(sums.w[cols.clone()].to_vec());
            let wz = zb * &w.insert_axis(Axis(1));
            out.slice_mut(s![cols.clone(), cols.clone()])
                .assign(&zb.t().dot(&wz));
            let nz = sums.u.slice(s![cols.clone(), ..]).t().dot(zb);
            out.slice_mut(s![h.., cols.clone()]).assign(&nz);
        }
        for (t, &(b1, b2)) in self.pairs.iter().enumerate() {
            let (z1, z2) = (&z[b1], &z[b2]);
            let table = ArrayView2::from_shape((z1.nrows(), z2.nrows()), &sums.pair[t])
                .expect("pair table shape");
            let block = z1.t().dot(&table).dot(z2);
            let (o1, o2) = (self.off[b1], self.off[b2]);
            out.slice_mut(s![o2..o2 + z2.nrows(), o1..o1 + z1.nrows()])
                .assign(&block.t());
        }
        // Filled: the lower triangle (the numeric part in lower blocks); mirror it.
        for i in 0..d {
            for j in i + 1..d {
                out[[i, j]] = match cov {
                    CovarianceType::Full => out[[j, i]],
                    CovarianceType::Diag => {
                        out[[j, i]] = 0.0;
                        0.0
                    }
                };
            }
        }
        out
    }

    /// Weighted log densities `ln w_j + ln N(x_i | mu_j, Sigma_j)` of the training rows,
    /// from the working-order factors.
    pub(super) fn weighted_log_prob(
        &self,
        model: &GaussianMixture,
        factors: &[Factor],
    ) -> Array2<f64> {
        let n = self.x.nrows();
        let terms: Vec<TupleTerms> = (0..factors.len())
            .into_par_iter()
            .map(|j| self.tuple_terms(&factors[j].q, model.means.row(j)))
            .collect();
        let means_n = self.numeric_means(&model.means);
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<Array2<f64>> = starts
            .par_iter()
            .map(|&s0| {
                let rows = s0..(s0 + CHUNK).min(n);
                self.chunk_log_prob(rows, model, factors, &terms, &means_n)
            })
            .collect();
        let views: Vec<ArrayView2<'_, f64>> = parts.iter().map(|p| p.view()).collect();
        ndarray::concatenate(Axis(0), &views).expect("chunks of k columns")
    }

    /// [`Self::weighted_log_prob`] of the rows `rows`.
    fn chunk_log_prob(
        &self,
        rows: Range<usize>,
        model: &GaussianMixture,
        factors: &[Factor],
        terms: &[TupleTerms],
        means_n: &Array2<f64>,
    ) -> Array2<f64> {
        let (h, d, p) = (self.n_hot, self.order.len(), self.n_numeric());
        let mut xc = Array2::zeros((rows.len(), p));
        self.gather(rows.clone(), &mut xc);
        let mut o = Array2::zeros((rows.len(), factors.len()));
        let mut y = Array2::<f64>::zeros((rows.len(), p));
        for (j, (f, t)) in factors.iter().zip(terms).enumerate() {
            // The numeric rows of y: the tuple's part, then (x_num - mu_num) Q_num^T with
            // Q_num lower triangular.
            let qn = f.q.slice(s![h.., h..]);
            let shift = means_n.row(j).dot(&qn.t());
            let tail = t.tail.as_slice().expect("fresh array");
            for (i, mut yr) in rows.clone().zip(y.rows_mut()) {
                let ti = self.tuple[i] as usize;
                for ((y, &a), &b) in yr.iter_mut().zip(&tail[ti * p..]).zip(&shift) {
                    *y = a - b;
                }
            }
            for (bi, bj) in lower_blocks(p) {
                let qb = qn.slice(s![bi.clone(), bj.clone()]);
                let mut yb = y.slice_mut(s![.., bi]);
                general_mat_mul(1.0, &xc.slice(s![.., bj]), &qb.t(), 1.0, &mut yb);
            }
            let head = model.weights[j].ln() + f.log_det - 0.5 * d as f64 * LN_2PI;
            for ((i, yr), oi) in rows.clone().zip(y.rows()).zip(o.column_mut(j)) {
                let yr = yr.to_slice().expect("rows of a standard layout buffer");
                *oi = head - 0.5 * (t.hot[self.tuple[i] as usize] + sq_norm(yr));
            }
        }
        o
    }

    /// The per-tuple parts of `y = (x - mu) Q^T` for one component.
    fn tuple_terms(&self, q: &Array2<f64>, mean: ArrayView1<'_, f64>) -> TupleTerms {
        let h = self.n_hot;
        let nb = self.n_blocks();
        // Column `a` of `g[b]`: block `b`'s part of `y` in a row of category `a`.
        let g: Vec<Array2<f64>> = self
            .centred(mean)
            .iter()
            .enumerate()
            .map(|(b, zb)| {
                q.slice(s![.., self.off[b]..self.off[b] + zb.nrows()])
                    .dot(&zb.t())
            })
            .collect();
        let n_t = self.tuples.len() / nb.max(1);
        let mut hot = Vec::with_capacity(n_t);
        let mut tail = Array2::zeros((n_t, self.order.len() - h));
        let mut y = Array1::<f64>::zeros(self.order.len());
        for (t, cats) in self.tuples.chunks_exact(nb).enumerate() {
            y.fill(0.0);
            for (gb, &a) in g.iter().zip(cats) {
                y += &gb.column(usize::from(a));
            }
            hot.push(y.slice(s![..h]).dot(&y.slice(s![..h])));
            tail.row_mut(t).assign(&y.slice(s![h..]));
        }
        TupleTerms { hot, tail }
    }
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.nn += &o.nn;
        self.u += &o.u;
        for (a, b) in self.w.iter_mut().zip(&o.w) {
            *a += b;
        }
        for (pa, pb) in self.pair.iter_mut().zip(&o.pair) {
            for (a, b) in pa.iter_mut().zip(pb) {
                *a += b;
            }
        }
    }
}

/// `cols` (increasing) as runs of adjacent columns.
fn runs(cols: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &c in cols {
        match out.last_mut() {
            Some(r) if r.end == c => r.end += 1,
            _ => out.push(c..c + 1),
        }
    }
    out
}

/// Each row's index among the distinct tuples of `cats` (`nb` per row), numbered in order
/// of first appearance, and those tuples.
fn distinct_tuples(cats: &[u16], nb: usize) -> (Vec<u32>, Vec<u16>) {
    let mut ids: HashMap<&[u16], u32> = HashMap::new();
    let mut tuples = Vec::new();
    let tuple = cats
        .chunks_exact(nb)
        .map(|t| {
            let next = ids.len() as u32;
            *ids.entry(t).or_insert_with(|| {
                tuples.extend_from_slice(t);
                next
            })
        })
        .collect();
    (tuple, tuples)
}
