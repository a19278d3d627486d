//! Dense-matrix helpers every learner shares: input checks, a squared distance, and the
//! serde form of a matrix. A leaf: it imports nothing of the crate but its error type.

use ndarray::{ArrayView2, CowArray, Ix2};
use rayon::prelude::*;

use crate::LearnError;

/// Squared Euclidean distance of two equal-length slices (four independent accumulators for speed).
#[inline]
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            let t = x[k] - y[k];
            acc[k] += t * t;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// A row-major, contiguous view of `x` (copied only when needed), checked to be non-empty
/// and finite.
pub fn checked_matrix<'a>(
    x: ArrayView2<'a, f64>,
    what: &str,
) -> Result<CowArray<'a, f64, Ix2>, LearnError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(LearnError::InvalidInput(format!(
            "{what} needs at least one row and one column"
        )));
    }
    let finite = match x.as_slice() {
        // Contiguous: in parallel, a branch-free test per block of values.
        Some(v) => v
            .par_chunks(1 << 14)
            .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite())),
        None => x.iter().all(|v| v.is_finite()),
    };
    if !finite {
        return Err(LearnError::InvalidInput(format!(
            "{what} input contains NaN or infinite values"
        )));
    }
    if x.is_standard_layout() {
        Ok(CowArray::from(x))
    } else {
        Ok(CowArray::from(x.as_standard_layout().into_owned()))
    }
}

/// The two distinct values of column `c` as `(smaller, larger)`, if it has exactly two (as
/// one-hot encoding then scaling leaves a column); `None` for one value or more than two.
pub fn two_values(x: ArrayView2<'_, f64>, c: usize) -> Option<(f64, f64)> {
    let col = x.column(c);
    let first = *col.first()?;
    let mut other = None;
    for &v in col {
        if v != first {
            match other {
                None => other = Some(v),
                Some(o) if o != v => return None,
                _ => {}
            }
        }
    }
    let o = other?;
    Some((first.min(o), first.max(o)))
}

/// serde for `Array2<f64>` as `(rows, cols, row-major data)` without ndarray's `serde`
/// feature. Use with `#[serde(with = "crate::matrix::mat_serde")]`.
pub mod mat_serde {
    use ndarray::Array2;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(m: &Array2<f64>, s: S) -> Result<S::Ok, S::Error> {
        let data: Vec<f64> = m.iter().copied().collect();
        (m.nrows(), m.ncols(), data).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array2<f64>, D::Error> {
        let (r, c, data): (usize, usize, Vec<f64>) = Deserialize::deserialize(d)?;
        Array2::from_shape_vec((r, c), data).map_err(D::Error::custom)
    }
}
