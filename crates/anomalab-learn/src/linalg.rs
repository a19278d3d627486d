//! Dense linear algebra the learners and the root crate's PCA step share.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::LearnError;
use crate::matrix::checked_matrix;

/// Relative size, squared, of the off-diagonal part at which the Jacobi sweeps stop:
/// `|off(A)|_F <= 1e-15 |A|_F`, a few ulps of the matrix norm.
const OFF_DIAGONAL_TOLERANCE_SQ: f64 = 1e-30;

/// Upper bound on Jacobi sweeps; convergence is quadratic, so a covariance matrix of a few
/// hundred columns settles in well under 20 and the bound only stops a degenerate input.
const MAX_SWEEPS: usize = 100;

/// Eigenvalues, in decreasing order (ties keep their diagonal position), and the matching
/// unit eigenvectors as the columns of the returned matrix, of the symmetric matrix `a`
/// (cyclic Jacobi rotations, exact to machine precision for the few hundred columns a
/// network dataset has after one-hot encoding). Only the symmetry of `a` is assumed.
///
/// The sweeps stop when the off-diagonal entries' squared Frobenius norm is at most
/// `1e-30` times the whole matrix's. A rotation is an orthogonal similarity, so the
/// whole matrix's Frobenius norm does not change from sweep to sweep: the stopping point
/// is fixed in advance and does not depend on how the mass is split between diagonal and
/// off-diagonal (a test against the diagonal alone moves as the matrix converges and has
/// nothing to compare with when the diagonal starts at zero). Each eigenvalue then differs
/// from its diagonal entry by at most the off-diagonal norm (Weyl), about `1e-15 |A|_F`:
/// what `f64` can resolve, so a stricter test would only spin on rounding.
pub fn symmetric_eigen(a: ArrayView2<'_, f64>) -> (Vec<f64>, Array2<f64>) {
    let d = a.nrows();
    let mut m = a.to_owned();
    let mut v = Array2::<f64>::eye(d);
    for _sweep in 0..MAX_SWEEPS {
        if off_diagonal_sq(&m) <= OFF_DIAGONAL_TOLERANCE_SQ * frobenius_sq(&m) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                rotate(&mut m, &mut v, p, q);
            }
        }
    }
    sorted_pairs(&m, &v)
}

/// Sum of the squares of every off-diagonal entry (both triangles).
fn off_diagonal_sq(m: &Array2<f64>) -> f64 {
    let d = m.nrows();
    (0..d)
        .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| m[[i, j]] * m[[i, j]])
        .sum()
}

/// Squared Frobenius norm, floored so that the zero matrix stops at once.
fn frobenius_sq(m: &Array2<f64>) -> f64 {
    m.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE)
}

/// One Jacobi rotation in the `(p, q)` plane that zeroes `m[p, q]`, accumulated into `v`.
fn rotate(m: &mut Array2<f64>, v: &mut Array2<f64>, p: usize, q: usize) {
    let apq = m[[p, q]];
    if apq.abs() < 1e-300 {
        return;
    }
    let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * apq);
    // The smaller root of t^2 + 2 theta t - 1 = 0 keeps the rotation angle under pi/4.
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    let d = m.nrows();
    for k in 0..d {
        let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
        m[[k, p]] = c * mkp - s * mkq;
        m[[k, q]] = s * mkp + c * mkq;
    }
    for k in 0..d {
        let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
        m[[p, k]] = c * mpk - s * mqk;
        m[[q, k]] = s * mpk + c * mqk;
    }
    for k in 0..d {
        let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
        v[[k, p]] = c * vkp - s * vkq;
        v[[k, q]] = s * vkp + c * vkq;
    }
}

/// The diagonal of `m` in decreasing order with the columns of `v` in the same order.
fn sorted_pairs(m: &Array2<f64>, v: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let d = m.nrows();
    let mut idx: Vec<usize> = (0..d).collect();
    idx.sort_by(|&i, &j| m[[j, j]].total_cmp(&m[[i, i]]).then(i.cmp(&j)));
    let vals = idx.iter().map(|&i| m[[i, i]]).collect();
    let mut vecs = Array2::zeros((d, d));
    for (c, &i) in idx.iter().enumerate() {
        vecs.column_mut(c).assign(&v.column(i));
    }
    (vals, vecs)
}

/// Column means and the covariance (`/ (n - 1)`) eigen-decomposition of `x`; zero means
/// for a matrix without rows.
pub fn mean_and_eigen(x: ArrayView2<'_, f64>) -> (Array1<f64>, Vec<f64>, Array2<f64>) {
    let n = x.nrows();
    let mean = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()));
    let c = &x - &mean.view().insert_axis(Axis(0));
    let cov = c.t().dot(&c) / (n.max(2) - 1) as f64;
    let (vals, vecs) = symmetric_eigen(cov.view());
    (mean, vals, vecs)
}

/// `(variance, unit direction)` pairs, leading first.
pub type PcList = Vec<(f64, Vec<f64>)>;

/// The mean and the `k` leading `(variance, unit direction)` pairs of `x`.
pub fn principal_components(
    x: ArrayView2<'_, f64>,
    k: usize,
) -> Result<(Vec<f64>, PcList), LearnError> {
    let xs = checked_matrix(x, "PCA")?;
    let (mean, vals, vecs) = mean_and_eigen(xs.view());
    let comps = (0..k.min(vals.len()))
        .map(|i| (vals[i], vecs.column(i).to_vec()))
        .collect();
    Ok((mean.to_vec(), comps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eigen_of_two_by_two() {
        // [[2, 1], [1, 2]] has eigenvalues 3 (direction (1,1)/sqrt 2) and 1.
        let (vals, vecs) = symmetric_eigen(array![[2.0, 1.0], [1.0, 2.0]].view());
        assert!((vals[0] - 3.0).abs() < 1e-12 && (vals[1] - 1.0).abs() < 1e-12);
        assert!((vecs[[0, 0]].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((vecs[[1, 0]].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }

    #[test]
    fn eigen_of_five_by_five_matches_numpy() {
        // Reference: numpy 2.4.6 (LAPACK syevd), run for this test:
        //   A = np.array([[4,1,-2,2,0.5],[1,2,0,1,-1],[-2,0,3,-2,0.25],
        //                 [2,1,-2,-1,3],[0.5,-1,0.25,3,0]], dtype=float)
        //   w, v = np.linalg.eigh(A); w[::-1], v[:, ::-1]
        // The matrix is indefinite (one negative eigenvalue) and has a zero on the diagonal.
        let a = array![
            [4.0, 1.0, -2.0, 2.0, 0.5],
            [1.0, 2.0, 0.0, 1.0, -1.0],
            [-2.0, 0.0, 3.0, -2.0, 0.25],
            [2.0, 1.0, -2.0, -1.0, 3.0],
            [0.5, -1.0, 0.25, 3.0, 0.0]
        ];
        let want_vals = [
            7.031704178680609,
            2.5838449456165544,
            1.8041934881006538,
            0.8787043379061542,
            -4.298446950303974,
        ];
        // numpy's first eigenvector; every column is only defined up to its sign.
        let want_v0: [f64; 5] = [
            -0.7028265603081325,
            -0.1838205512633887,
            0.5342291550651438,
            -0.39581415847433016,
            -0.17371008286309533,
        ];
        let (vals, vecs) = symmetric_eigen(a.view());
        for (got, want) in vals.iter().zip(want_vals) {
            assert!((got - want).abs() < 1e-12, "{vals:?}");
        }
        let sign = vecs[[0, 0]].signum() * want_v0[0].signum();
        for (i, want) in want_v0.iter().enumerate() {
            assert!((sign * vecs[[i, 0]] - want).abs() < 1e-12, "{vecs:?}");
        }
        // A V = V diag(w) and V^T V = I for every pair.
        let av = a.dot(&vecs);
        for c in 0..5 {
            for r in 0..5 {
                assert!((av[[r, c]] - vals[c] * vecs[[r, c]]).abs() < 1e-12);
            }
        }
        let vtv = vecs.t().dot(&vecs);
        for ((r, c), x) in vtv.indexed_iter() {
            assert!((x - f64::from(u8::from(r == c))).abs() < 1e-12);
        }
    }

    #[test]
    fn eigen_of_zero_and_diagonal_matrices() {
        let (vals, vecs) = symmetric_eigen(Array2::<f64>::zeros((3, 3)).view());
        assert_eq!(vals, vec![0.0; 3]);
        assert_eq!(vecs, Array2::<f64>::eye(3));
        let (vals, _) = symmetric_eigen(array![[1.0, 0.0], [0.0, 5.0]].view());
        assert_eq!(vals, vec![5.0, 1.0]);
    }
}
