//! Dense-matrix helpers every learner shares: input checks, a squared distance, the one-hot
//! column blocks of a matrix, and the serde form of a matrix. A leaf: it imports nothing of
//! the crate but its error type.

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

/// `|a|^2` (four accumulators, so that it vectorises).
pub fn sq_norm(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.chunks_exact(4);
    let rest = chunks.remainder();
    for x in chunks {
        for k in 0..4 {
            acc[k] += x[k] * x[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for x in rest {
        s += x * x;
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

/// A run of columns with two values each (`lo`, `hi`, as one-hot encoding then scaling
/// leaves them) where every training row has exactly one `hi`.
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotBlock {
    /// The block's first column; it spans `start..start + lo.len()`.
    pub start: usize,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// The one-hot blocks of a training matrix and its other (numeric) columns.
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotLayout {
    pub numeric: Vec<usize>,
    pub blocks: Vec<OneHotBlock>,
}

impl OneHotLayout {
    /// The blocks of `x`, or `None` when it has none (or one of more than `u16::MAX`
    /// columns, beyond a `u16` category).
    pub fn detect(x: ArrayView2<'_, f64>) -> Option<OneHotLayout> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return None;
        }
        let xs = x.as_standard_layout();
        let rows = xs.as_slice().expect("standard layout").chunks_exact(d);
        let binary = two_values_all(rows.clone(), d);
        let (slot, hot) = hot_columns(rows, &binary, n);
        let hot_col = |c: usize| {
            slot.get(c)
                .copied()
                .flatten()
                .map(|s| &hot[s * n..(s + 1) * n])
        };
        let mut blocks = Vec::new();
        let mut numeric = Vec::new();
        let mut c = 0;
        while c < d {
            match grow_block(&hot_col, c) {
                Some(end) => {
                    let (lo, hi) = binary[c..end]
                        .iter()
                        .map(|b| b.expect("two values"))
                        .unzip();
                    blocks.push(OneHotBlock { start: c, lo, hi });
                    c = end;
                }
                None => {
                    numeric.push(c);
                    c += 1;
                }
            }
        }
        if blocks.is_empty() || blocks.iter().any(|b| b.len() > usize::from(u16::MAX)) {
            return None;
        }
        Some(OneHotLayout { numeric, blocks })
    }
}

/// Per two-valued column, which rows hold its `hi`: the column's slot, and the slots
/// one after the other in one buffer (contiguous, unlike a column of `x`).
fn hot_columns<'a>(
    rows: impl Iterator<Item = &'a [f64]>,
    binary: &[Option<(f64, f64)>],
    n: usize,
) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut next = 0;
    let slot: Vec<Option<usize>> = binary
        .iter()
        .map(|b| {
            b.map(|_| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let mut hot = vec![false; next * n];
    for (i, row) in rows.enumerate() {
        for ((s, b), &v) in slot.iter().zip(binary).zip(row) {
            if let (Some(s), Some((_, hi))) = (s, b) {
                hot[s * n + i] = v == *hi;
            }
        }
    }
    (slot, hot)
}

/// [`two_values`] of each of the `d` columns of `rows`, in one pass.
fn two_values_all<'a>(
    rows: impl Iterator<Item = &'a [f64]> + Clone,
    d: usize,
) -> Vec<Option<(f64, f64)>> {
    let Some(first) = rows.clone().next() else {
        return vec![None; d];
    };
    // Per column: 0 = one value so far, 1 = two (the second in `other`), 2 = more.
    let mut state = vec![0u8; d];
    let mut other = vec![0.0; d];
    for row in rows {
        for c in 0..d {
            let v = row[c];
            if v != first[c] {
                match state[c] {
                    0 => (state[c], other[c]) = (1, v),
                    1 if other[c] != v => state[c] = 2,
                    _ => {}
                }
            }
        }
    }
    (0..d)
        .map(|c| (state[c] == 1).then(|| (first[c].min(other[c]), first[c].max(other[c]))))
        .collect()
}

/// The end of a one-hot block starting at column `c`, if one does (`hot(c)`: whether each
/// row holds two-valued column `c`'s `hi`; `None` for other columns).
fn grow_block<'h>(hot: &impl Fn(usize) -> Option<&'h [bool]>, c: usize) -> Option<usize> {
    let mut count = vec![0u8; hot(c)?.len()];
    let mut end = c;
    while let Some(col) = hot(end) {
        if col.iter().zip(&count).any(|(&h, &k)| h && k > 0) {
            break;
        }
        for (k, &h) in count.iter_mut().zip(col) {
            *k += u8::from(h);
        }
        end += 1;
        if count.iter().all(|&k| k == 1) {
            return (end - c >= 2).then_some(end);
        }
    }
    None
}

impl OneHotBlock {
    /// Number of columns (categories).
    pub fn len(&self) -> usize {
        self.lo.len()
    }

    /// Always false: a block has at least two columns.
    pub fn is_empty(&self) -> bool {
        self.lo.is_empty()
    }

    /// The block's columns.
    pub fn cols(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len()
    }

    /// A training row's category (its one `hi` column).
    pub fn category(&self, row: &[f64]) -> Option<u16> {
        row[self.cols()]
            .iter()
            .zip(&self.hi)
            .position(|(&v, &hi)| v == hi)
            .map(|p| p as u16)
    }

    /// Another row's category: its `hi` column, `len()` when every column is `lo` (a
    /// category not seen in training), `None` when the row does not fit (a value that is
    /// neither `lo` nor `hi`, or two `hi`).
    pub fn category_or_none(&self, row: &[f64]) -> Option<u16> {
        let mut found = None;
        for (j, &v) in row[self.cols()].iter().enumerate() {
            if v == self.hi[j] {
                if found.is_some() {
                    return None;
                }
                found = Some(j as u16);
            } else if v != self.lo[j] {
                return None;
            }
        }
        Some(found.unwrap_or(self.len() as u16))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn one_hot_layout_of_adjacent_blocks() {
        // Columns: numeric, a lone 0/1 column, block A (3 columns, scaled values), block B
        // (2 columns) right after A and ending the matrix. Rows cycle through the
        // categories, so A is complete after its third column and B starts there.
        let rows = 12;
        let x = Array2::from_shape_fn((rows, 7), |(i, c)| match c {
            0 => i as f64 * 0.5,
            1 => (i % 5 == 0) as u8 as f64,
            2..=4 => {
                if i % 3 == c - 2 {
                    2.5
                } else {
                    -0.4
                }
            }
            _ => {
                if i % 2 == c - 5 {
                    1.0
                } else {
                    0.0
                }
            }
        });
        let layout = OneHotLayout::detect(x.view()).unwrap();
        assert_eq!(layout.numeric, vec![0, 1]);
        let spans: Vec<_> = layout.blocks.iter().map(|b| b.cols()).collect();
        assert_eq!(spans, vec![2..5, 5..7]);
        assert_eq!(
            (layout.blocks[0].lo[1], layout.blocks[0].hi[1]),
            (-0.4, 2.5)
        );
        let row = x.row(4);
        let row = row.as_slice().unwrap();
        assert_eq!(layout.blocks[0].category(row), Some(1));
        assert_eq!(
            layout.blocks[0].category_or_none(&[0.0, 0.0, -0.4, -0.4, -0.4]),
            Some(3)
        );
        assert_eq!(
            layout.blocks[0].category_or_none(&[0.0, 0.0, 2.5, 2.5, -0.4]),
            None
        );
        // Without a block: none.
        assert!(OneHotLayout::detect(x.slice(ndarray::s![.., ..2])).is_none());
    }
}
