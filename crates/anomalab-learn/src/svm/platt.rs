//! Platt scaling as libsvm does it (Platt 2000 with the improvements of Lin, Lin & Weng,
//! "A note on Platt's probabilistic outputs for support vector machines", 2007), and
//! pairwise coupling of the one-vs-one probabilities (Wu, Lin & Weng 2004, method 2).
//!
//! The constants (100 Newton steps, line-search floor 1e-10, gradient tolerance 1e-5, the
//! clipping of pairwise probabilities to [1e-7, 1 - 1e-7], the coupling's stopping rule
//! `0.005 / k`) are libsvm's, so given the same decision values and `(A, B)` the
//! probabilities equal scikit-learn's `predict_proba`, including for two classes, where
//! scikit-learn's libsvm also runs the iterative coupling.

// The loops keep libsvm's index form so they can be read against it line by line.
#![allow(clippy::needless_range_loop)]

/// `P(y = +1 | f) = 1 / (1 + exp(A f + B))`, computed without cancellation.
pub fn sigmoid_predict(f: f64, a: f64, b: f64) -> f64 {
    let fab = f * a + b;
    if fab >= 0.0 {
        (-fab).exp() / (1.0 + (-fab).exp())
    } else {
        1.0 / (1.0 + fab.exp())
    }
}

/// Platt's regularised cross-entropy of `(a, b)` on decision values `dec` with targets `t`.
fn objective(dec: &[f64], t: &[f64], a: f64, b: f64) -> f64 {
    dec.iter()
        .zip(t)
        .map(|(&f, &ti)| {
            let fab = f * a + b;
            if fab >= 0.0 {
                ti * fab + (-fab).exp().ln_1p()
            } else {
                (ti - 1.0) * fab + fab.exp().ln_1p()
            }
        })
        .sum()
}

/// Fit `(A, B)` by Newton's method with backtracking on the targets
/// `(N+ + 1) / (N+ + 2)` and `1 / (N- + 2)` (libsvm's `sigmoid_train`). `positive[i]` says
/// whether row `i` is of the +1 class.
pub fn sigmoid_train(dec: &[f64], positive: &[bool]) -> (f64, f64) {
    let prior1 = positive.iter().filter(|&&p| p).count() as f64;
    let prior0 = positive.len() as f64 - prior1;
    let (hi, lo) = ((prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0));
    let t: Vec<f64> = positive.iter().map(|&p| if p { hi } else { lo }).collect();
    let (mut a, mut b) = (0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let mut fval = objective(dec, &t, a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0);
        for (&f, &ti) in dec.iter().zip(&t) {
            let fab = f * a + b;
            let (p, q) = if fab >= 0.0 {
                let e = (-fab).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = fab.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += f * f * d2;
            h22 += d2;
            h21 += f * d2;
            let d1 = ti - p;
            g1 += f * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = objective(dec, &t, na, nb);
            if nf < fval + 0.0001 * step * gd {
                (a, b, fval) = (na, nb, nf);
                break;
            }
            step /= 2.0;
        }
        if step < 1e-10 {
            break;
        }
    }
    (a, b)
}

/// Class probabilities from pairwise ones: `r[i][j]` estimates `P(i | i or j)`
/// (libsvm's `multiclass_probability`, the fixed-point iteration of Wu, Lin & Weng).
pub fn couple(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut p = vec![1.0 / k as f64; k];
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
            }
            if j < t {
                q[t][j] = q[j][t];
            } else if j > t {
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let eps = 0.005 / k as f64;
    let mut qp = vec![0.0; k];
    for _ in 0..100usize.max(k) {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_err = qp.iter().map(|v| (v - pqp).abs()).fold(0.0, f64::max);
        if max_err < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

/// Probabilities of the `k` classes from the one-vs-one decision values `dec` (pair order
/// (0,1), (0,2), ..., (1,2), ...; positive = the first class) and each pair's `(A, B)`.
pub fn probabilities(dec: &[f64], ab: &[(f64, f64)], k: usize) -> Vec<f64> {
    const MIN_PROB: f64 = 1e-7;
    let mut r = vec![vec![0.0; k]; k];
    let mut pair = 0;
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = ab[pair];
            let v = sigmoid_predict(dec[pair], a, b).clamp(MIN_PROB, 1.0 - MIN_PROB);
            r[i][j] = v;
            r[j][i] = 1.0 - v;
            pair += 1;
        }
    }
    couple(&r)
}
