//! Clustering metrics: silhouette (scikit-learn's `silhouette_score`, euclidean), adjusted
//! Rand index (`adjusted_rand_score`) and purity.
//!
//! Labels are plain cluster indices. Noise points of DBSCAN have no cluster; the caller
//! decides how to treat them (scikit-learn treats its noise label `-1` as one more
//! cluster, which the caller gets by mapping noise to an extra index).

use std::collections::HashMap;

use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis, CowArray, Ix2, s};
use rayon::prelude::*;

use crate::LearnError;
use crate::rng::Rng;

/// Mean silhouette coefficient over all rows, scikit-learn's
/// `silhouette_score(X, labels, metric="euclidean")`.
///
/// For row `i` in cluster `A`: `a` = mean distance to the other rows of `A`, `b` = the
/// smallest mean distance to the rows of another cluster, `s = (b - a) / max(a, b)`; rows
/// of a singleton cluster get `s = 0` (as do rows with `max(a, b) = 0`), as in scikit-learn.
/// Distances are computed as scikit-learn's `euclidean_distances` computes them (see
/// [`Rows::block`]). O(n^2 d) time, parallel over fixed blocks of rows (each row's value is
/// computed by one thread, so the result does not depend on the thread count),
/// O(n * clusters) memory. Errors (as scikit-learn does) unless `2 <= number of distinct
/// labels <= n - 1`.
pub fn silhouette_score(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64, LearnError> {
    let n = x.nrows();
    if labels.len() != n {
        return Err(LearnError::InvalidInput(format!(
            "{n} rows but {} labels",
            labels.len()
        )));
    }
    let rows = Rows::new(x);
    silhouette_with(labels, |r, lab, k| rows.sums(r, lab, k))
}

/// Rows per parallel block of the silhouette.
const ROW_BLOCK: usize = 128;
/// Columns per matrix product of the silhouette.
const COL_BLOCK: usize = 2048;

/// The silhouette of `labels`, given `sums(rows, dense_labels, k)`: for each row of the
/// range, the sums of its distances to the rows of each of the `k` clusters (row-major
/// `rows.len() x k`).
fn silhouette_with(
    labels: &[usize],
    sums: impl Fn(Range<usize>, &[usize], usize) -> Vec<f64> + Sync,
) -> Result<f64, LearnError> {
    let n = labels.len();
    // Re-index the labels densely (labels may be sparse, e.g. after sampling).
    let mut dense: HashMap<usize, usize> = HashMap::new();
    let lab: Vec<usize> = labels
        .iter()
        .map(|&l| {
            let next = dense.len();
            *dense.entry(l).or_insert(next)
        })
        .collect();
    let k = dense.len();
    if k < 2 || k > n.saturating_sub(1) {
        return Err(LearnError::InvalidInput(format!(
            "silhouette needs 2 <= number of clusters <= rows - 1, found {k} clusters in {n} rows"
        )));
    }
    let mut sizes = vec![0usize; k];
    for &l in &lab {
        sizes[l] += 1;
    }
    let starts: Vec<usize> = (0..n).step_by(ROW_BLOCK).collect();
    let s: Vec<Vec<f64>> = starts
        .par_iter()
        .map(|&r0| {
            let r = r0..(r0 + ROW_BLOCK).min(n);
            let block = sums(r.clone(), &lab, k);
            r.zip(block.chunks_exact(k))
                .map(|(i, sums)| silhouette_of(lab[i], sums, &sizes))
                .collect()
        })
        .collect();
    Ok(s.iter().flatten().sum::<f64>() / n as f64)
}

/// One row's silhouette from its distance sums to each cluster.
fn silhouette_of(own: usize, sums: &[f64], sizes: &[usize]) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = sums[own] / (sizes[own] - 1) as f64;
    let b = (0..sizes.len())
        .filter(|&c| c != own)
        .map(|c| sums[c] / sizes[c] as f64)
        .fold(f64::INFINITY, f64::min);
    let m = a.max(b);
    if m > 0.0 { (b - a) / m } else { 0.0 }
}

/// Rows and their squared norms, for distance blocks.
struct Rows<'a> {
    x: CowArray<'a, f64, Ix2>,
    norms: Vec<f64>,
}

impl<'a> Rows<'a> {
    fn new(x: ArrayView2<'a, f64>) -> Self {
        let x: CowArray<'a, f64, Ix2> = if x.is_standard_layout() {
            x.into()
        } else {
            x.as_standard_layout().into_owned().into()
        };
        let norms = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        Rows { x, norms }
    }

    /// Distances from the rows `r` to the rows `c`, as scikit-learn's `euclidean_distances`
    /// computes them: `sqrt(max(0, (-2 a.b + |a|^2) + |b|^2))` with the dot products from
    /// one matrix product, and 0 between a row and itself.
    fn block(&self, r: Range<usize>, c: Range<usize>) -> Array2<f64> {
        let mut out = self
            .x
            .slice(s![r.clone(), ..])
            .dot(&self.x.slice(s![c.clone(), ..]).t());
        for ((a, b), v) in out.indexed_iter_mut() {
            let (i, j) = (r.start + a, c.start + b);
            let sq = (-2.0 * *v + self.norms[i]) + self.norms[j];
            *v = if i == j { 0.0 } else { sq.max(0.0).sqrt() };
        }
        out
    }

    /// For each row of `r`, the sums of its distances to the rows of each cluster, over
    /// the columns in order (row-major `r.len() x k`).
    fn sums(&self, r: Range<usize>, lab: &[usize], k: usize) -> Vec<f64> {
        let n = self.x.nrows();
        let mut out = vec![0.0; r.len() * k];
        for c0 in (0..n).step_by(COL_BLOCK) {
            let c = c0..(c0 + COL_BLOCK).min(n);
            let block = self.block(r.clone(), c.clone());
            for (acc, row) in out.chunks_exact_mut(k).zip(block.rows()) {
                for (v, &l) in row.iter().zip(&lab[c.clone()]) {
                    acc[l] += v;
                }
            }
        }
        out
    }

    /// Every distance, row-major `n x n`, from the same blocks as [`Rows::sums`].
    fn all(&self) -> Vec<f64> {
        let n = self.x.nrows();
        let starts: Vec<usize> = (0..n).step_by(ROW_BLOCK).collect();
        let parts: Vec<Vec<f64>> = starts
            .par_iter()
            .map(|&r0| {
                let r = r0..(r0 + ROW_BLOCK).min(n);
                let mut part = vec![0.0; r.len() * n];
                for c0 in (0..n).step_by(COL_BLOCK) {
                    let c = c0..(c0 + COL_BLOCK).min(n);
                    let block = self.block(r.clone(), c.clone());
                    for (a, row) in block.rows().into_iter().enumerate() {
                        part[a * n + c.start..a * n + c.end].copy_from_slice(
                            row.as_slice().expect("a fresh product is contiguous"),
                        );
                    }
                }
                part
            })
            .collect();
        parts.concat()
    }
}

/// The silhouettes of several labelings of the same rows (an elbow sweep), on one seeded
/// sample whose pairwise distances are computed once: each score equals
/// [`silhouette_score_sampled`] with the same sample size and seed, bit for bit (the
/// same distances, summed in the same order).
pub struct SilhouetteSample {
    idx: Vec<usize>,
    /// Row-major `m x m` distances between the sample rows, when they fit in
    /// [`SilhouetteSample::MAX_CACHED`] values; else computed per score.
    dist: Option<Vec<f64>>,
    rows: Array2<f64>,
}

impl SilhouetteSample {
    /// Largest distance matrix kept (64 MB of f64).
    const MAX_CACHED: usize = 8 << 20;

    /// The sample of [`silhouette_score_sampled`] (all rows when `sample_size >= n`).
    pub fn new(x: ArrayView2<'_, f64>, sample_size: usize, seed: u64) -> Self {
        let idx = sample_rows(x.nrows(), sample_size, seed);
        let rows = x.select(Axis(0), &idx);
        let m = idx.len();
        let dist = (m * m <= Self::MAX_CACHED).then(|| Rows::new(rows.view()).all());
        SilhouetteSample { idx, dist, rows }
    }

    /// The silhouette of `labels` (one per row of the full matrix) on the sample.
    pub fn score(&self, labels: &[usize]) -> Result<f64, LearnError> {
        let ls: Vec<usize> = self.idx.iter().map(|&i| labels[i]).collect();
        let m = self.idx.len();
        match &self.dist {
            Some(dist) => silhouette_with(&ls, |r, lab, k| {
                let mut out = vec![0.0; r.len() * k];
                for (acc, i) in out.chunks_exact_mut(k).zip(r) {
                    for (v, &l) in dist[i * m..(i + 1) * m].iter().zip(lab) {
                        acc[l] += v;
                    }
                }
                out
            }),
            None => silhouette_score(self.rows.view(), &ls),
        }
    }
}

/// Silhouette on a seeded random sample of `sample_size` rows (without replacement), for
/// large data where the exact O(n^2) score is too slow; scikit-learn's `sample_size`
/// option does the same. Because the sample is drawn with anomalab's RNG, the value equals
/// scikit-learn's only when scikit-learn is given the same rows. With
/// `sample_size >= n` this is exactly [`silhouette_score`].
pub fn silhouette_score_sampled(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    sample_size: usize,
    seed: u64,
) -> Result<f64, LearnError> {
    let n = x.nrows();
    if labels.len() != n {
        return Err(LearnError::InvalidInput(format!(
            "{n} rows but {} labels",
            labels.len()
        )));
    }
    if sample_size >= n {
        return silhouette_score(x, labels);
    }
    let idx = sample_rows(n, sample_size, seed);
    let xs = x.select(Axis(0), &idx);
    let ls: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    silhouette_score(xs.view(), &ls)
}

/// The seeded sample of the sampled silhouette, ascending (every row when `sample_size >=
/// n`).
fn sample_rows(n: usize, sample_size: usize, seed: u64) -> Vec<usize> {
    if sample_size >= n {
        return (0..n).collect();
    }
    let mut idx = Rng::new(seed).sample_indices(n, sample_size);
    idx.sort_unstable();
    idx
}

/// Sparse contingency table, row sums, column sums.
type Contingency = (HashMap<(usize, usize), u64>, Vec<u64>, Vec<u64>);

/// Contingency table of two labelings as a sparse map, with both label sets re-indexed.
fn contingency(a: &[usize], b: &[usize]) -> Contingency {
    let mut ia: HashMap<usize, usize> = HashMap::new();
    let mut ib: HashMap<usize, usize> = HashMap::new();
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    let mut na = Vec::new();
    let mut nb = Vec::new();
    for (&x, &y) in a.iter().zip(b) {
        let next = ia.len();
        let i = *ia.entry(x).or_insert(next);
        let next = ib.len();
        let j = *ib.entry(y).or_insert(next);
        if i == na.len() {
            na.push(0);
        }
        if j == nb.len() {
            nb.push(0);
        }
        na[i] += 1;
        nb[j] += 1;
        *cells.entry((i, j)).or_insert(0) += 1;
    }
    (cells, na, nb)
}

/// Adjusted Rand index, scikit-learn's `adjusted_rand_score(labels_true, labels_pred)`
/// (computed from the pair confusion matrix in exact integer arithmetic, as scikit-learn
/// does with Python integers). 1.0 for identical partitions (also in the degenerate cases
/// where scikit-learn returns 1.0), about 0 for random labelings.
pub fn adjusted_rand_score(
    labels_true: &[usize],
    labels_pred: &[usize],
) -> Result<f64, LearnError> {
    if labels_true.len() != labels_pred.len() {
        return Err(LearnError::InvalidInput(format!(
            "{} true labels but {} predicted labels",
            labels_true.len(),
            labels_pred.len()
        )));
    }
    let n = labels_true.len() as i128;
    let (cells, n_c, n_k) = contingency(labels_true, labels_pred);
    let sum_squares: i128 = cells.values().map(|&v| (v as i128) * (v as i128)).sum();
    // C.dot(n_k).sum() = sum over cells of v * n_k[col]; likewise for rows.
    let c_nk: i128 = cells
        .iter()
        .map(|(&(_, j), &v)| v as i128 * n_k[j] as i128)
        .sum();
    let ct_nc: i128 = cells
        .iter()
        .map(|(&(i, _), &v)| v as i128 * n_c[i] as i128)
        .sum();
    let tp = sum_squares - n;
    let fp = c_nk - sum_squares;
    let fn_ = ct_nc - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = (tp * tn - fn_ * fp) as f64;
    let den = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    Ok(2.0 * num / den)
}

/// Purity of a clustering against reference classes.
///
/// `purity = (1 / N) * sum_k max_j |w_k ∩ c_j|`: each cluster `w_k` is assigned the class
/// `c_j` most frequent in it, and purity is the fraction of rows that belong to their
/// cluster's class (C. D. Manning, P. Raghavan, H. Schütze, *Introduction to Information
/// Retrieval*, Cambridge University Press 2008, section 16.3, eq. 16.1). It is 1.0 for one
/// cluster per row, so read it together with the number of clusters.
pub fn purity(labels_true: &[usize], clusters: &[usize]) -> Result<f64, LearnError> {
    if labels_true.len() != clusters.len() || labels_true.is_empty() {
        return Err(LearnError::InvalidInput(format!(
            "purity needs as many cluster labels as true labels (and at least one): {} vs {}",
            labels_true.len(),
            clusters.len()
        )));
    }
    let (cells, _, _) = contingency(clusters, labels_true);
    let mut best: HashMap<usize, u64> = HashMap::new();
    for (&(k, _), &v) in &cells {
        let e = best.entry(k).or_insert(0);
        *e = (*e).max(v);
    }
    Ok(best.values().sum::<u64>() as f64 / labels_true.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn purity_of_the_ir_book_example() {
        // Manning et al., figure 16.4: three clusters of 6, 6 and 5 points whose majority
        // classes have 5, 4 and 3 members: purity = (5 + 4 + 3) / 17 ~ 0.71.
        let classes = [
            0, 0, 0, 0, 0, 1, // cluster 1: 5 x, 1 o
            0, 1, 1, 1, 1, 2, // cluster 2: 1 x, 4 o, 1 d
            0, 0, 2, 2, 2, // cluster 3: 2 x, 3 d
        ];
        let clusters = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
        assert!((purity(&classes, &clusters).unwrap() - 12.0 / 17.0).abs() < 1e-12);
    }

    #[test]
    fn a_shared_sample_scores_as_the_sampled_silhouette_bit_for_bit() {
        let mut rng = Rng::new(3);
        let x =
            ndarray::Array2::from_shape_fn((700, 13), |(i, _)| (i % 4) as f64 * 1.5 + rng.normal());
        for (size, seed) in [(250, 1), (700, 2), (5000, 3)] {
            let sample = SilhouetteSample::new(x.view(), size, seed);
            for k in [2, 3, 7] {
                let labels: Vec<usize> = (0..700).map(|i| (i * 7 + i / 5) % k).collect();
                let want = silhouette_score_sampled(x.view(), &labels, size, seed).unwrap();
                let got = sample.score(&labels).unwrap();
                assert_eq!(got.to_bits(), want.to_bits(), "size {size} k {k}");
            }
        }
    }

    #[test]
    fn silhouette_hand_example() {
        // Points 0, 1 (cluster 0) and 10 (cluster 1): for x=0: a=1, b=10 -> 0.9;
        // x=1: a=1, b=9 -> 8/9; x=10 is a singleton -> 0. Mean = (0.9 + 8/9) / 3.
        let x = array![[0.0], [1.0], [10.0]];
        let s = silhouette_score(x.view(), &[0, 0, 1]);
        // Needs k <= n - 1: 2 <= 2, fine.
        assert!((s.unwrap() - (0.9 + 8.0 / 9.0) / 3.0).abs() < 1e-12);
        assert!(silhouette_score(x.view(), &[0, 0, 0]).is_err());
        // Points on a line: 0, 1 (cluster 7) and 10, 12 (cluster 3; sparse label values).
        // p=0: a = 1, b = (10 + 12)/2 = 11 -> s = 10/11
        // p=1: a = 1, b = (9 + 11)/2 = 10 -> s = 9/10
        // p=10: a = 2, b = (10 + 9)/2 = 9.5 -> s = 7.5/9.5
        // p=12: a = 2, b = (12 + 11)/2 = 11.5 -> s = 9.5/11.5
        let x = array![[0.0], [1.0], [10.0], [12.0]];
        let want = (10.0 / 11.0 + 0.9 + 7.5 / 9.5 + 9.5 / 11.5) / 4.0;
        let got = silhouette_score(x.view(), &[7, 7, 3, 3]).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    #[test]
    fn ari_identical_and_permuted() {
        assert_eq!(
            adjusted_rand_score(&[0, 0, 1, 1], &[5, 5, 3, 3]).unwrap(),
            1.0
        );
        // Hand value: sklearn docs example adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.571...
        let v = adjusted_rand_score(&[0, 0, 1, 1], &[0, 0, 1, 2]).unwrap();
        assert!((v - 4.0 / 7.0).abs() < 1e-12, "{v}");
    }
}
