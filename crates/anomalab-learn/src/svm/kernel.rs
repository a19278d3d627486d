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
#[inline]
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
    #[inline]
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
pub struct KernelRows<'a> {
    kernel: Kernel,
    x: &'a [f64],
    d: usize,
    /// `|x_i|^2` (RBF only; empty otherwise).
    sq: Vec<f64>,
}

impl<'a> KernelRows<'a> {
    /// `x` is row-major with `d` columns.
    pub fn new(kernel: Kernel, x: &'a [f64], d: usize) -> Self {
        let sq = if kernel.is_rbf() {
            x.chunks_exact(d).map(|r| dot(r, r)).collect()
        } else {
            Vec::new()
        };
        KernelRows { kernel, x, d, sq }
    }

    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// `K(x_i, x_j)` as libsvm computes it during training.
    #[inline]
    pub fn k(&self, i: usize, j: usize) -> f64 {
        let dt = dot(self.row(i), self.row(j));
        let sq = if self.kernel.is_rbf() {
            self.sq[i] + self.sq[j] - 2.0 * dt
        } else {
            0.0
        };
        self.kernel.combine(dt, sq)
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
        let one = |(t, o): (usize, &mut f32)| *o = (sign(t) * self.k(i, rows[t])) as f32;
        if rows.len() * self.d >= PAR_CHUNK * 16 {
            out.par_chunks_mut(PAR_CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| {
                    chunk
                        .iter_mut()
                        .enumerate()
                        .for_each(|(k, o)| one((c * PAR_CHUNK + k, o)))
                });
        } else {
            out.iter_mut().enumerate().for_each(one);
        }
    }
}
