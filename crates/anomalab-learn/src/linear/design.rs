//! The training matrix of a linear model as dense numeric columns plus sparse two-valued
//! columns.
//!
//! After one-hot encoding and standard scaling the matrix is dense, but a one-hot column
//! takes only two values. Such a column is stored as `base + delta * a_ij`, with `base` its
//! more frequent value and `a_ij = 1` only on the rows that hold the other one, kept as a
//! sparse row list. The constant parts fold into one scalar per weight vector, so the
//! products `X W` and `X^T R` cost O(numeric columns + set entries) per row instead of
//! O(columns), and give the dense result up to rounding (UNSW-NB15: 39 numeric columns and
//! about 3 set entries per row, of 190 columns).
//!
//! Parameters are laid out feature-major for `k` weight vectors: `theta[j * k + c]` is
//! the weight of internal column `j` (numeric columns first, then two-valued ones) in
//! vector `c`, and `theta[d * k + c]` the weight of a constant `bias` feature (the
//! intercept). [`Design::to_original`] maps them back to the caller's column order.

use std::ops::Range;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use crate::gbdt::vmath::avx2_dispatch;
use crate::matrix::two_values;

/// Rows per parallel chunk: products are summed per chunk and the chunks added in order,
/// so results do not depend on the thread count.
const CHUNK: usize = 4096;

/// Rows per block of [`Design::fused`]: 256 rows of 40 numeric columns are 80 KB.
const BLOCK: usize = 256;

/// A two-valued column is kept sparse when at most this fraction of rows hold its rarer
/// value (beyond that the dense column is as cheap).
const SPARSE_FRACTION: f64 = 0.25;

/// The matrix, split into numeric and two-valued columns.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    n: usize,
    /// Original column of each internal column.
    order: Vec<usize>,
    /// Numeric columns, row-major `n x m`.
    num: Vec<f64>,
    m: usize,
    base: Vec<f64>,
    delta: Vec<f64>,
    /// Row `i`'s set two-valued columns are `set[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    set: Vec<u32>,
}

impl Design {
    /// Split `x`, keeping sparse the two-valued columns worth it.
    pub(crate) fn new(x: ArrayView2<'_, f64>) -> Design {
        let n = x.nrows();
        let mut two = Vec::new();
        for c in 0..x.ncols() {
            let Some((lo, hi)) = two_values(x, c) else {
                continue;
            };
            let n_hi = x.column(c).iter().filter(|&&v| v == hi).count();
            let (base, other, rare) = if n_hi * 2 <= n {
                (lo, hi, n_hi)
            } else {
                (hi, lo, n - n_hi)
            };
            if rare as f64 <= SPARSE_FRACTION * n as f64 && two.len() < u32::MAX as usize {
                two.push((c, base, other));
            }
        }
        Design::build(x, &two)
    }

    /// Every column dense (the reference the sparse form must agree with).
    #[cfg(test)]
    pub(crate) fn dense(x: ArrayView2<'_, f64>) -> Design {
        Design::build(x, &[])
    }

    fn build(x: ArrayView2<'_, f64>, two: &[(usize, f64, f64)]) -> Design {
        let (n, d) = x.dim();
        let mut is_two = vec![false; d];
        for &(c, _, _) in two {
            is_two[c] = true;
        }
        let numeric: Vec<usize> = (0..d).filter(|&c| !is_two[c]).collect();
        let m = numeric.len();
        let mut num = Vec::with_capacity(n * m);
        let mut starts = Vec::with_capacity(n + 1);
        let mut set = Vec::new();
        starts.push(0);
        for row in x.rows() {
            num.extend(numeric.iter().map(|&c| row[c]));
            for (t, &(c, base, _)) in two.iter().enumerate() {
                if row[c] != base {
                    set.push(t as u32);
                }
            }
            starts.push(set.len());
        }
        let mut order = numeric;
        order.extend(two.iter().map(|&(c, _, _)| c));
        Design {
            n,
            order,
            num,
            m,
            base: two.iter().map(|&(_, b, _)| b).collect(),
            delta: two.iter().map(|&(_, b, o)| o - b).collect(),
            starts,
            set,
        }
    }

    pub(crate) fn n_cols(&self) -> usize {
        self.order.len()
    }

    /// Row ranges of the parallel chunks, in order.
    pub(crate) fn chunks(&self) -> Vec<Range<usize>> {
        (0..self.n)
            .step_by(CHUNK)
            .map(|s| s..(s + CHUNK).min(self.n))
            .collect()
    }

    /// `k` weight vectors in the internal layout back to the caller's: one row per vector
    /// of `d` weights then the bias feature's weight.
    pub(crate) fn to_original(&self, theta: &[f64], k: usize) -> Vec<Vec<f64>> {
        let d = self.n_cols();
        (0..k)
            .map(|c| {
                let mut w = vec![0.0; d + 1];
                for (j, &orig) in self.order.iter().enumerate() {
                    w[orig] = theta[j * k + c];
                }
                w[d] = theta[d * k + c];
                w
            })
            .collect()
    }

    /// The per-vector constant of the two-valued columns plus the bias feature, and each
    /// two-valued column's `delta * weight`.
    fn fold(&self, w: &[f64], k: usize, bias: f64) -> (Vec<f64>, Vec<f64>) {
        let d = self.n_cols();
        let mut c0: Vec<f64> = w[d * k..(d + 1) * k].iter().map(|v| v * bias).collect();
        let mut wd = vec![0.0; self.base.len() * k];
        for (t, (&b, &dl)) in self.base.iter().zip(&self.delta).enumerate() {
            let wt = &w[(self.m + t) * k..(self.m + t + 1) * k];
            for c in 0..k {
                c0[c] += b * wt[c];
                wd[t * k + c] = dl * wt[c];
            }
        }
        (c0, wd)
    }

    /// `out[r * k + c] = x_i . w_c + bias * w[d, c]` for the rows `i` of `rows`, `r`
    /// counted from the range's start.
    pub(crate) fn forward(
        &self,
        w: &[f64],
        k: usize,
        bias: f64,
        rows: Range<usize>,
        out: &mut [f64],
    ) {
        let (c0, wd) = self.fold(w, k, bias);
        let m = self.m;
        for z in out.chunks_exact_mut(k) {
            z.copy_from_slice(&c0);
        }
        let xn = &self.num[rows.start * m..rows.end * m];
        if m > 0 {
            times(xn, m, w, k, out);
        }
        for (z, i) in out.chunks_exact_mut(k).zip(rows) {
            for &t in &self.set[self.starts[i]..self.starts[i + 1]] {
                let t = t as usize;
                for (zc, wc) in z.iter_mut().zip(&wd[t * k..(t + 1) * k]) {
                    *zc += wc;
                }
            }
        }
    }

    /// `X^T f(X W)` over `rows`, where `f` turns a block's scores (`k` per row, as
    /// [`Design::forward`] gives them) into residuals in place; the result is in the
    /// parameter layout, the bias feature included. The rows go by blocks small enough to
    /// stay in cache between the two products, so each is read from memory once.
    pub(crate) fn fused(
        &self,
        w: &[f64],
        k: usize,
        bias: f64,
        rows: Range<usize>,
        mut f: impl FnMut(Range<usize>, &mut [f64]),
    ) -> Vec<f64> {
        let (m, d) = (self.m, self.n_cols());
        let mut g = vec![0.0; (d + 1) * k];
        let mut sum = vec![0.0; k];
        let mut buf = vec![0.0; BLOCK.min(rows.len()) * k];
        for start in rows.clone().step_by(BLOCK) {
            let block = start..(start + BLOCK).min(rows.end);
            let z = &mut buf[..block.len() * k];
            self.forward(w, k, bias, block.clone(), z);
            f(block.clone(), z);
            if m > 0 {
                let xn = &self.num[block.start * m..block.end * m];
                let gm = &mut g[..m * k];
                transposed(xn, m, z, k, gm);
            }
            for (r, i) in z.chunks_exact(k).zip(block) {
                for &t in &self.set[self.starts[i]..self.starts[i + 1]] {
                    let j = m + t as usize;
                    for (gc, rc) in g[j * k..(j + 1) * k].iter_mut().zip(r) {
                        *gc += rc;
                    }
                }
                for (s, rc) in sum.iter_mut().zip(r) {
                    *s += rc;
                }
            }
        }
        for (t, (&b, &dl)) in self.base.iter().zip(&self.delta).enumerate() {
            let j = m + t;
            for c in 0..k {
                g[j * k + c] = b * sum[c] + dl * g[j * k + c];
            }
        }
        for c in 0..k {
            g[d * k + c] = bias * sum[c];
        }
        g
    }

    /// One weight vector's `X^T r` over the listed rows (`res[r]` for row `rows[r]`).
    pub(crate) fn backward_at(&self, res: &[f64], bias: f64, rows: &[u32]) -> Vec<f64> {
        let (m, d) = (self.m, self.n_cols());
        let mut g = vec![0.0; d + 1];
        let mut sum = 0.0;
        for (&r, &i) in res.iter().zip(rows) {
            let i = i as usize;
            for (gj, v) in g[..m].iter_mut().zip(&self.num[i * m..(i + 1) * m]) {
                *gj += r * v;
            }
            for &t in &self.set[self.starts[i]..self.starts[i + 1]] {
                g[m + t as usize] += r;
            }
            sum += r;
        }
        for (t, (&b, &dl)) in self.base.iter().zip(&self.delta).enumerate() {
            g[m + t] = b * sum + dl * g[m + t];
        }
        g[d] = bias * sum;
        g
    }
}

avx2_dispatch! {
    /// `out[r] += x_r W` for the rows `x_r` of `xn` (`m > 0` columns), `W` = the first
    /// `m x k` of `w`, row-major.
    fn times / times_portable(xn: &[f64], m: usize, w: &[f64], k: usize, out: &mut [f64]) {
        if k == 1 {
            dot_rows(xn, m, &w[..m], out);
        } else {
            by_width!(k, times_rows, general_times(xn, m, w, k, out), xn, m, w, out);
        }
    }
}

avx2_dispatch! {
    /// `g += X^T R` for the rows of `xn` (`m > 0` columns) and `R` = rows x `k`.
    fn transposed / transposed_portable(xn: &[f64], m: usize, res: &[f64], k: usize, g: &mut [f64]) {
        by_width!(k, transposed_times, general_transposed(xn, m, res, k, g), xn, m, res, g);
    }
}

/// Calls `$f::<K>($args)` for the widths 1 to 16 (vectors kept in registers), `$other`
/// beyond.
macro_rules! by_width {
    ($k:expr, $f:ident, $other:expr, $($a:expr),*) => {
        match $k {
            1 => $f::<1>($($a),*),
            2 => $f::<2>($($a),*),
            3 => $f::<3>($($a),*),
            4 => $f::<4>($($a),*),
            5 => $f::<5>($($a),*),
            6 => $f::<6>($($a),*),
            7 => $f::<7>($($a),*),
            8 => $f::<8>($($a),*),
            9 => $f::<9>($($a),*),
            10 => $f::<10>($($a),*),
            11 => $f::<11>($($a),*),
            12 => $f::<12>($($a),*),
            13 => $f::<13>($($a),*),
            14 => $f::<14>($($a),*),
            15 => $f::<15>($($a),*),
            16 => $f::<16>($($a),*),
            _ => $other,
        }
    };
}
use by_width;

/// `out[r] += x_r W` for the rows `x_r` of `xn` (`m` columns, `m > 0`), `W` = `m x K`
/// row-major, four rows at a time so each row of `W` is loaded once per four. A hand loop
/// rather than a packed matrix product: the data matrix would be repacked on every pass,
/// which costs as much as the product.
#[inline(always)]
fn times_rows<const K: usize>(xn: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    let (w, _) = w[..m * K].as_chunks::<K>();
    let (out, _) = out.as_chunks_mut::<K>();
    let quads = xn.chunks_exact(4 * m);
    let tail = quads.remainder();
    let mut z4 = out.chunks_exact_mut(4);
    for (x4, z) in quads.zip(&mut z4) {
        let (x01, x23) = x4.split_at(2 * m);
        let ((x0, x1), (x2, x3)) = (x01.split_at(m), x23.split_at(m));
        let mut acc = [z[0], z[1], z[2], z[3]];
        for (j, wj) in w.iter().enumerate() {
            let (a, b, c, d) = (x0[j], x1[j], x2[j], x3[j]);
            for q in 0..K {
                acc[0][q] += a * wj[q];
                acc[1][q] += b * wj[q];
                acc[2][q] += c * wj[q];
                acc[3][q] += d * wj[q];
            }
        }
        z.copy_from_slice(&acc);
    }
    for (z, xi) in z4.into_remainder().iter_mut().zip(tail.chunks_exact(m)) {
        for (v, wj) in xi.iter().zip(w) {
            for q in 0..K {
                z[q] += v * wj[q];
            }
        }
    }
}

/// `g += X^T R` for the rows of `xn` (`m` columns, `m > 0`) and `R` = rows x `K`, four rows
/// at a time so each row of `g` is loaded and stored once per four.
#[inline(always)]
fn transposed_times<const K: usize>(xn: &[f64], m: usize, res: &[f64], g: &mut [f64]) {
    let (g, _) = g.as_chunks_mut::<K>();
    let (r, _) = res.as_chunks::<K>();
    let quads = xn.chunks_exact(4 * m);
    let tail = quads.remainder();
    for (x4, r4) in quads.zip(r.chunks_exact(4)) {
        let (x01, x23) = x4.split_at(2 * m);
        let ((x0, x1), (x2, x3)) = (x01.split_at(m), x23.split_at(m));
        for (j, gj) in g.iter_mut().enumerate() {
            let (a, b, c, d) = (x0[j], x1[j], x2[j], x3[j]);
            for q in 0..K {
                gj[q] += a * r4[0][q] + b * r4[1][q] + c * r4[2][q] + d * r4[3][q];
            }
        }
    }
    let done = (xn.len() - tail.len()) / m;
    for (xi, ri) in tail.chunks_exact(m).zip(&r[done..]) {
        for (gj, &v) in g.iter_mut().zip(xi) {
            for q in 0..K {
                gj[q] += v * ri[q];
            }
        }
    }
}

/// [`times_rows`] for any width, by matrixmultiply.
fn general_times(xn: &[f64], m: usize, w: &[f64], k: usize, out: &mut [f64]) {
    let n = out.len() / k;
    let a = ArrayView2::from_shape((n, m), xn).expect("row block");
    let b = ArrayView2::from_shape((m, k), &w[..m * k]).expect("weights");
    let mut c = ArrayViewMut2::from_shape((n, k), out).expect("output");
    general_mat_mul(1.0, &a, &b, 1.0, &mut c);
}

/// [`transposed_times`] for any width, by matrixmultiply (adding to `g`).
fn general_transposed(xn: &[f64], m: usize, res: &[f64], k: usize, g: &mut [f64]) {
    let n = res.len() / k;
    let a = ArrayView2::from_shape((n, m), xn).expect("row block");
    let b = ArrayView2::from_shape((n, k), res).expect("residuals");
    let mut c = ArrayViewMut2::from_shape((m, k), g).expect("gradient");
    general_mat_mul(1.0, &a.t(), &b, 1.0, &mut c);
}

/// `out[r] += x_r . w` for the rows `x_r` of `xn` (`m` columns, `m > 0`): four rows at a
/// time in four lanes each, sixteen independent sums, so the additions' latency does not
/// serialise the loop as one row's sum would.
#[inline(always)]
fn dot_rows(xn: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    let (wq, wt) = w.as_chunks::<4>();
    let quads = xn.chunks_exact(4 * m);
    let tail = quads.remainder();
    let mut o4 = out.chunks_exact_mut(4);
    for (x4, o) in quads.zip(&mut o4) {
        let rows: [&[f64]; 4] = [&x4[..m], &x4[m..2 * m], &x4[2 * m..3 * m], &x4[3 * m..]];
        let xs = rows.map(|x| x.as_chunks::<4>().0);
        let mut acc = [[0.0f64; 4]; 4];
        for (j, wj) in wq.iter().enumerate() {
            for r in 0..4 {
                let xj = &xs[r][j];
                for q in 0..4 {
                    acc[r][q] += xj[q] * wj[q];
                }
            }
        }
        for r in 0..4 {
            let a = &acc[r];
            let rest = &rows[r][m - wt.len()..];
            let tail: f64 = rest.iter().zip(wt).map(|(x, y)| x * y).sum();
            o[r] += (a[0] + a[1]) + (a[2] + a[3]) + tail;
        }
    }
    for (o, xi) in o4.into_remainder().iter_mut().zip(tail.chunks_exact(m)) {
        *o += dot4(xi, w);
    }
}

/// Dot product with four independent accumulators (the compiler vectorises it).
fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for q in 0..4 {
            acc[q] += x[q] * y[q];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Sum of per-chunk vectors, added in chunk order.
pub(crate) fn add_in_order(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for p in parts {
        for (a, b) in out.iter_mut().zip(&p) {
            *a += b;
        }
    }
    out
}

/// 90 rows: two numeric columns, a five-category block whose columns take two values other
/// than 0 and 1, a six-category 0/1 block (collinear with the intercept), and three
/// classes. The scikit-learn references in the tests were computed on the same formulas.
#[cfg(test)]
pub(crate) fn onehot_case() -> (ndarray::Array2<f64>, Vec<u32>) {
    let n = 90;
    let mut x = ndarray::Array2::zeros((n, 13));
    let mut y = vec![0; n];
    for i in 0..n {
        let (a, b) = ((i * 5 + i / 7) % 5, (i * 3 + i / 4) % 6);
        x[[i, 0]] = ((i * 13) % 11) as f64 / 5.0 - 1.0;
        x[[i, 1]] = ((i * 7 + 3) % 17) as f64 / 8.0 - 1.0;
        for j in 0..5 {
            x[[i, 2 + j]] = if a == j {
                2.0 - 0.25 * j as f64
            } else {
                -0.4 + 0.1 * j as f64
            };
        }
        for j in 0..6 {
            x[[i, 7 + j]] = if b == j { 1.0 } else { 0.0 };
        }
        y[i] = ((a + usize::from(x[[i, 0]] > 0.0) + i / 11) % 3) as u32;
    }
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn sparse_products_equal_the_dense_ones() {
        let (x, _) = onehot_case();
        let (sparse, dense) = (Design::new(x.view()), Design::dense(x.view()));
        // The eleven one-hot columns are hot on 14 to 21 of the 90 rows, under the quarter
        // that keeps a two-valued column sparse.
        assert_eq!(sparse.m, 2, "{:?}", sparse.order);
        assert_eq!(dense.m, 13);
        let mut rng = Rng::new(7);
        for k in [1, 3] {
            let w: Vec<f64> = (0..14 * k).map(|_| rng.next_f64() - 0.5).collect();
            let (mut zs, mut zd) = (vec![0.0; 90 * k], vec![0.0; 90 * k]);
            sparse.forward(&sparse_layout(&sparse, &w, k), k, 0.7, 0..90, &mut zs);
            dense.forward(&w, k, 0.7, 0..90, &mut zd);
            // The dense design keeps the caller's order, so its layout is the reference.
            for (a, b) in zs.iter().zip(&zd) {
                assert!((a - b).abs() < 1e-12, "forward {a} vs {b}");
            }
            // Residuals that depend on the row and the score, through the fused pass.
            let res = |rows: Range<usize>, z: &mut [f64]| {
                for (zi, i) in z.chunks_exact_mut(k).zip(rows) {
                    for v in zi.iter_mut() {
                        *v = (*v * 1.3).sin() + i as f64 / 90.0;
                    }
                }
            };
            let gs = sparse.fused(&sparse_layout(&sparse, &w, k), k, 0.7, 0..90, res);
            let gd = dense.fused(&w, k, 0.7, 0..90, res);
            let (gs, gd) = (sparse.to_original(&gs, k), dense.to_original(&gd, k));
            for (a, b) in gs.concat().iter().zip(&gd.concat()) {
                assert!((a - b).abs() < 1e-11, "backward {a} vs {b}");
            }
        }
    }

    #[test]
    fn wide_kernels_give_the_portable_bits() {
        let mut rng = Rng::new(11);
        let (n, m) = (37, 9);
        let xn: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
        for k in [1, 3, 10, 17] {
            let w: Vec<f64> = (0..m * k).map(|_| rng.normal()).collect();
            let res: Vec<f64> = (0..n * k).map(|_| rng.normal()).collect();
            let (mut a, mut b) = (vec![0.5; n * k], vec![0.5; n * k]);
            times(&xn, m, &w, k, &mut a);
            times_portable(&xn, m, &w, k, &mut b);
            assert_eq!(a, b, "times, k = {k}");
            let (mut ga, mut gb) = (vec![0.25; m * k], vec![0.25; m * k]);
            transposed(&xn, m, &res, k, &mut ga);
            transposed_portable(&xn, m, &res, k, &mut gb);
            assert_eq!(ga, gb, "transposed, k = {k}");
            // And both are the products they claim to be.
            for r in 0..n {
                for c in 0..k {
                    let want: f64 = 0.5 + (0..m).map(|j| xn[r * m + j] * w[j * k + c]).sum::<f64>();
                    assert!(
                        (a[r * k + c] - want).abs() < 1e-12,
                        "{} vs {want}",
                        a[r * k + c]
                    );
                }
            }
        }
    }

    /// `w` given in the caller's column order (feature-major), in `x`'s internal order.
    fn sparse_layout(x: &Design, w: &[f64], k: usize) -> Vec<f64> {
        let d = x.n_cols();
        let mut out = w.to_vec();
        for (j, &orig) in x.order.iter().enumerate() {
            out[j * k..(j + 1) * k].copy_from_slice(&w[orig * k..(orig + 1) * k]);
        }
        out[d * k..].copy_from_slice(&w[d * k..]);
        out
    }
}
