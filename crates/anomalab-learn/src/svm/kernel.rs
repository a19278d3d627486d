//! Kernel functions with scikit-learn's parameter names, and the training-time evaluator
//! that fills kernel columns for the SMO solver.
//!
//! Training evaluates `K(x_i, x_j)` as libsvm does: RBF through the cached squared norms,
//! `exp(-gamma (|x_i|^2 + |x_j|^2 - 2 x_i.x_j))`, so one dot product per entry. Prediction
//! uses the direct squared difference for RBF (as libsvm's `k_function`), which does not
//! lose digits when a query is close to a support vector.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A kernel with its resolved parameters (`gamma` already a number).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `x.y`
    Linear,
    /// `(gamma x.y + coef0)^degree`
    Poly { gamma: f64, coef0: f64, degree: u32 },
    /// `exp(-gamma |x - y|^2)`
    Rbf { gamma: f64 },
    /// `tanh(gamma x.y + coef0)`
    Sigmoid { gamma: f64, coef0: f64 },
}

/// Dot product with eight independent accumulators (vectorises on SSE2 and keeps the
/// floating-point pipeline busy; the order is fixed, so results are reproducible).
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `base^times` by squaring, as libsvm's `powi`.
fn powi(base: f64, times: u32) -> f64 {
    let (mut tmp, mut ret, mut t) = (base, 1.0, times);
    while t > 0 {
        if t % 2 == 1 {
            ret *= tmp;
        }
        tmp *= tmp;
        t /= 2;
    }
    ret
}

impl Kernel {
    /// The kernel value from the dot product and, for RBF, the squared distance.
    #[inline(always)]
    fn combine(&self, dot: f64, sq_dist: f64) -> f64 {
        match *self {
            Kernel::Linear => dot,
            Kernel::Poly {
                gamma,
                coef0,
                degree,
            } => powi(gamma * dot + coef0, degree),
            Kernel::Rbf { gamma } => (-gamma * sq_dist).exp(),
            Kernel::Sigmoid { gamma, coef0 } => (gamma * dot + coef0).tanh(),
        }
    }

    /// `K(a, b)` for prediction (RBF by the direct squared difference).
    #[inline]
    pub fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            Kernel::Rbf { .. } => self.combine(0.0, crate::matrix::sq_dist(a, b)),
            _ => self.combine(dot(a, b), 0.0),
        }
    }

    pub fn is_rbf(&self) -> bool {
        matches!(self, Kernel::Rbf { .. })
    }
}

/// Entries per parallel task when a kernel column is long enough to split.
const PAR_CHUNK: usize = 2048;

/// The training rows and what the kernel needs about them.
///
/// Filling a kernel column reads every active row once, so on a large training set the
/// fit is bound by memory traffic and the dot products. Values stay f64 (as libsvm's, so
/// the solver takes libsvm's steps); the work is cut instead:
///
/// * For RBF, one-hot blocks (as one-hot encoding then scaling leaves them: runs of
///   two-valued columns with exactly one `hi` per row) are stored as one category per row:
///   a block's part of the squared distance depends only on the two categories and is read
///   from an exact f64 table. Constant columns add nothing to a distance and are dropped.
///   On NSL-KDD this leaves 38 of 122 columns to multiply.
/// * The exponentials of a column are taken in one vectorised pass ([`exp_fast`]), the
///   column loop is compiled for AVX2 where the processor has it, and each row is
///   prefetched a few rows ahead (shrinking scatters the active rows in memory).
pub struct KernelRows {
    kernel: Kernel,
    /// The multiplied columns, row-major.
    x: Vec<f64>,
    d: usize,
    /// `|x_i|^2` over the multiplied columns (RBF only; empty otherwise).
    sq: Vec<f64>,
    /// One-hot blocks (RBF only).
    blocks: Option<OneHot>,
}

/// Categories of every row in each one-hot block, and the blocks' distance tables.
struct OneHot {
    /// `cats[i * nb + b]`: row `i`'s category in block `b`.
    cats: Vec<u16>,
    /// `tables[b][p * m_b + q]`: block `b`'s squared distance between categories p and q.
    tables: Vec<Vec<f64>>,
    sizes: Vec<usize>,
}

impl KernelRows {
    /// `x` is row-major with `d` columns.
    pub fn new(kernel: Kernel, x: &[f64], d: usize) -> Self {
        let split = if kernel.is_rbf() {
            one_hot_split(x, d)
        } else {
            None
        };
        let (x, d, blocks) = match split {
            Some((numeric, oh)) => {
                let n = x.len() / d.max(1);
                let mut xs = Vec::with_capacity(n * numeric.len());
                for r in x.chunks_exact(d) {
                    xs.extend(numeric.iter().map(|&c| r[c]));
                }
                (xs, numeric.len(), Some(oh))
            }
            None => (x.to_vec(), d, None),
        };
        let sq = if kernel.is_rbf() {
            x.chunks(d.max(1)).map(|r| dot(r, r)).collect()
        } else {
            Vec::new()
        };
        KernelRows {
            kernel,
            x,
            d,
            sq,
            blocks,
        }
    }

    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// `K(x_i, x_j)` as libsvm computes it during training (RBF by the norms).
    #[inline]
    pub fn k(&self, i: usize, j: usize) -> f64 {
        let v = self.raw(i, j);
        if self.kernel.is_rbf() { exp_fast(v) } else { v }
    }

    /// The kernel value, except for RBF its exponent `-gamma |x_i - x_j|^2`, so that the
    /// exponentials of a column can be taken in one vectorised pass.
    #[inline(always)]
    fn raw(&self, i: usize, j: usize) -> f64 {
        let dt = if self.d > 0 {
            dot(self.row(i), self.row(j))
        } else {
            0.0
        };
        let Kernel::Rbf { gamma } = self.kernel else {
            return self.kernel.combine(dt, 0.0);
        };
        let mut sq = self.sq[i] + self.sq[j] - 2.0 * dt;
        if let Some(oh) = &self.blocks {
            let nb = oh.sizes.len();
            let (ci, cj) = (
                &oh.cats[i * nb..(i + 1) * nb],
                &oh.cats[j * nb..(j + 1) * nb],
            );
            for b in 0..nb {
                sq += oh.tables[b][ci[b] as usize * oh.sizes[b] + cj[b] as usize];
            }
        }
        -gamma * sq
    }

    /// `out[t] = sign(t) * K(x_i, x_{rows[t]})` in f32, in parallel for long columns.
    /// Every entry is computed independently, so the result does not depend on threads.
    pub fn fill(
        &self,
        i: usize,
        rows: &[usize],
        sign: impl Fn(usize) -> f64 + Sync,
        out: &mut [f32],
    ) {
        let part = |c: usize, chunk: &mut [f32]| {
            let base = c * PAR_CHUNK;
            let mut tmp = vec![0.0f64; chunk.len()];
            self.raws(i, &rows[base..base + chunk.len()], &mut tmp);
            for (t, (o, v)) in chunk.iter_mut().zip(&tmp).enumerate() {
                *o = (sign(base + t) * v) as f32;
            }
        };
        if rows.len() * self.d.max(8) >= PAR_CHUNK * 16 {
            out.par_chunks_mut(PAR_CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| part(c, chunk));
        } else {
            out.chunks_mut(PAR_CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| part(c, chunk));
        }
    }
}

impl KernelRows {
    /// `tmp[t] = K(x_i, x_{rows[t]})`, with AVX2 where the processor has it. Rust never
    /// fuses a multiply and an add on its own, and the summation order is written out, so
    /// both paths give the same bits.
    fn raws(&self, i: usize, rows: &[usize], tmp: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2, checked just above.
            unsafe { self.raws_avx2(i, rows, tmp) };
            return;
        }
        self.raws_plain(i, rows, tmp);
    }

    /// Ask for row `r` ahead of use: the rows of a column are scattered once shrinking
    /// has permuted them, and their first touch is a cache miss.
    #[inline(always)]
    fn prefetch(&self, r: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let row = &self.x[r * self.d..(r + 1) * self.d];
            for line in row.chunks(8) {
                // SAFETY: a prefetch is only a hint; the address is inside `self.x`.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn raws_avx2(&self, i: usize, rows: &[usize], tmp: &mut [f64]) {
        self.raws_plain(i, rows, tmp);
    }

    #[inline(always)]
    fn raws_plain(&self, i: usize, rows: &[usize], tmp: &mut [f64]) {
        const AHEAD: usize = 6;
        for (t, (v, &r)) in tmp.iter_mut().zip(rows).enumerate() {
            if let Some(&next) = rows.get(t + AHEAD) {
                self.prefetch(next);
            }
            *v = self.raw(i, r);
        }
        if self.kernel.is_rbf() {
            tmp.iter_mut().for_each(|v| *v = exp_fast(*v));
        }
    }
}

/// `e^x` to about 2e-16 relative for `x` in [-700, 700] (clamped outside), branch-free
/// so a column's exponentials vectorise: `x = k ln 2 + r` with `|r| <= ln 2 / 2` (k by the
/// 1.5 * 2^52 rounding trick, ln 2 in two parts as fdlibm), `e^r` by its Taylor series to
/// degree 12 (remainder below 2e-16), and `2^k` written into the exponent bits. Kernel
/// values are stored as f32, far coarser than this.
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-700.0, 700.0);
    let t = x * std::f64::consts::LOG2_E + MAGIC;
    let kf = t - MAGIC;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // 1/12!, 1/11!, ..., 1/0!
    const C: [f64; 13] = [
        2.087_675_698_786_81e-9,
        2.505_210_838_544_172e-8,
        2.755_731_922_398_589e-7,
        2.755_731_922_398_589e-6,
        2.480_158_730_158_73e-5,
        1.984_126_984_126_984e-4,
        1.388_888_888_888_889e-3,
        8.333_333_333_333_333e-3,
        4.166_666_666_666_666e-2,
        1.666_666_666_666_666_6e-1,
        0.5,
        1.0,
        1.0,
    ];
    let mut p = C[0];
    for c in &C[1..] {
        p = p * r + c;
    }
    let k = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    p * f64::from_bits(((k + 1023) as u64) << 52)
}

/// The numeric (non-constant, not one-hot) columns and the one-hot blocks of `x`, when
/// there is at least one block.
fn one_hot_split(x: &[f64], d: usize) -> Option<(Vec<usize>, OneHot)> {
    if d == 0 || x.is_empty() {
        return None;
    }
    let view = ndarray::ArrayView2::from_shape((x.len() / d, d), x).ok()?;
    let two: Vec<Option<(f64, f64)>> = (0..d).map(|c| crate::matrix::two_values(view, c)).collect();
    let constant: Vec<bool> = (0..d)
        .map(|c| view.column(c).iter().all(|&v| v == view[[0, c]]))
        .collect();
    let live: Vec<usize> = (0..d).filter(|&c| !constant[c]).collect();
    let (mut numeric, mut blocks) = (Vec::new(), Vec::new());
    let mut p = 0;
    while p < live.len() {
        match grow_block(view, &two, &live[p..]) {
            Some(len) => {
                blocks.push(live[p..p + len].to_vec());
                p += len;
            }
            None => {
                numeric.push(live[p]);
                p += 1;
            }
        }
    }
    if blocks.is_empty() || blocks.iter().any(|b| b.len() > usize::from(u16::MAX)) {
        return None;
    }
    Some((numeric, one_hot(view, &two, &blocks)))
}

/// How many of `cols` (from the first) form a one-hot block: two-valued columns whose
/// `hi` values cover every row exactly once; `None` when they do not.
fn grow_block(
    x: ndarray::ArrayView2<'_, f64>,
    two: &[Option<(f64, f64)>],
    cols: &[usize],
) -> Option<usize> {
    let mut hot = vec![0u8; x.nrows()];
    for (len, &c) in cols.iter().enumerate() {
        let (_, hi) = two[c]?;
        let col = x.column(c);
        if col.iter().zip(&hot).any(|(&v, &h)| v == hi && h > 0) {
            return None;
        }
        for (h, &v) in hot.iter_mut().zip(col) {
            *h += u8::from(v == hi);
        }
        if hot.iter().all(|&h| h == 1) {
            return (len + 1 >= 2).then_some(len + 1);
        }
    }
    None
}

fn one_hot(
    x: ndarray::ArrayView2<'_, f64>,
    two: &[Option<(f64, f64)>],
    blocks: &[Vec<usize>],
) -> OneHot {
    let nb = blocks.len();
    let mut cats = vec![0u16; x.nrows() * nb];
    let mut tables = Vec::with_capacity(nb);
    for (b, cols) in blocks.iter().enumerate() {
        let (lo, hi): (Vec<f64>, Vec<f64>) =
            cols.iter().map(|&c| two[c].expect("two-valued")).unzip();
        for (i, r) in x.rows().into_iter().enumerate() {
            let cat = cols
                .iter()
                .zip(&hi)
                .position(|(&c, &h)| r[c] == h)
                .expect("one hot per row");
            cats[i * nb + b] = cat as u16;
        }
        let m = cols.len();
        let value = |cat: usize, j: usize| if cat == j { hi[j] } else { lo[j] };
        let mut t = vec![0.0; m * m];
        for p in 0..m {
            for q in 0..m {
                t[p * m + q] = (0..m).map(|j| (value(p, j) - value(q, j)).powi(2)).sum();
            }
        }
        tables.push(t);
    }
    OneHot {
        cats,
        tables,
        sizes: blocks.iter().map(Vec::len).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_fast_matches_libm() {
        let mut worst = 0.0f64;
        for i in 0..200_001 {
            let x = -700.0 + 1400.0 * i as f64 / 200_000.0;
            let rel = (exp_fast(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-14, "worst relative error {worst}");
        assert_eq!(exp_fast(0.0), 1.0);
    }

    #[test]
    fn one_hot_blocks_give_the_plain_kernel() {
        // Two numeric columns, a constant column, a 3-category block (scaled values) and a
        // 2-category block.
        let mut r = crate::rng::Rng::new(1);
        let (n, d) = (50, 8);
        let mut x = vec![0.0; n * d];
        for i in 0..n {
            let row = &mut x[i * d..(i + 1) * d];
            row[0] = r.normal();
            row[1] = 3.0 * r.normal();
            row[2] = 0.25;
            let a = r.below(3);
            for j in 0..3 {
                row[3 + j] = if j == a {
                    1.7 - j as f64
                } else {
                    -0.3 * (j + 1) as f64
                };
            }
            let b = r.below(2);
            row[6] = if b == 0 { 0.9 } else { -1.1 };
            row[7] = if b == 1 { 0.9 } else { -1.1 };
        }
        let kern = Kernel::Rbf { gamma: 0.3 };
        let rows = KernelRows::new(kern, &x, d);
        assert!(
            rows.blocks.is_some() && rows.d == 2,
            "blocks found, 2 numeric columns left"
        );
        for i in 0..n {
            for j in 0..n {
                let want = kern.eval(&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d]);
                assert!((rows.k(i, j) - want).abs() < 1e-6, "K({i},{j})");
            }
        }
    }
}
