//! Quantile feature binning, shared by the native tree learners (CART, random forest, extra
//! trees, gradient boosting).
//!
//! A [`BinnedMatrix`] maps every feature of a training matrix to at most 255 bins, stored
//! as one `u8` code per cell in column-major order, so that a split search is a pass over
//! a byte column that builds a small histogram (bins x classes) instead of a sort. It is
//! built once per training matrix and shared by every tree and every trial through the
//! [`TrainSet`]'s [`DataCache`](crate::DataCache): see [`BinnedMatrix::for_train`].
//!
//! # Bins and thresholds
//!
//! For feature `f`, `thresholds[f]` holds `n_bins(f) - 1` strictly increasing real cut
//! points `t_0 < t_1 < ...`. A value `x` goes to bin `b` = the number of cut points
//! strictly below `x`, so
//!
//! ```text
//! code(x) <= b   <=>   x <= t_b          (for every b < n_bins(f) - 1)
//! ```
//!
//! A split found in bin space ("codes `<= b` go left") is therefore the same split as "`x <=
//! thresholds[f][b]` goes left" on raw `f64` values, and new data never has to be binned to
//! be predicted.
//!
//! Bin edges: when a feature has at most `max_bins` distinct values, each distinct value
//! gets its own bin and the cut points are the midpoints between consecutive distinct
//! values (exactly scikit-learn's candidate thresholds). Otherwise bins are quantiles: the
//! sorted distinct values are cut greedily into bins of about `n / max_bins` rows, and a
//! value that alone holds more than a bin's share gets a bin of its own. A cut point is
//! the midpoint of the largest value of the bin below and the smallest value of the bin
//! above; when that midpoint is not finite or rounds onto the upper value, the lower value
//! itself is used (as scikit-learn does).
//!
//! # Missing values
//!
//! After preprocessing there should be none, but NaN never panics: NaN is binned as larger
//! than every number (it goes to the last bin, with the largest values), which matches the
//! raw-value rule, since `NaN <= t` is false, so NaN always goes right. Cut points are
//! computed from the non-NaN values only; a column with no number at all has one bin.
//! Infinite values are ordinary (largest and smallest) values.

use std::sync::Arc;

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::traits::TrainSet;

/// The largest number of bins per feature (codes are `u8`).
pub const MAX_BINS: usize = 255;

/// Features binned together by one task (their columns are copied out of the rows at once).
const GROUP: usize = 8;

/// A training matrix mapped to per-feature bins (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedMatrix {
    pub n_rows: usize,
    pub n_features: usize,
    /// Bin code of every cell, column-major: the code of row `i`, feature `f` is
    /// `codes[f * n_rows + i]` (see [`BinnedMatrix::column`]).
    pub codes: Vec<u8>,
    /// Per feature, the `n_bins(f) - 1` increasing cut points: bin `<= b` <=> `x <= t_b`.
    pub thresholds: Vec<Vec<f64>>,
    /// Per feature and bin, the smallest (non-NaN) value of the matrix the bins were built
    /// from that fell in that bin (NaN for an empty bin, e.g. the only bin of an all-NaN
    /// column).
    pub bin_min: Vec<Vec<f64>>,
    /// Per feature and bin, the largest such value.
    pub bin_max: Vec<Vec<f64>>,
    /// Per feature and bin, how many rows of the matrix the bins were built from have that
    /// code (NaN rows count in the last bin).
    pub bin_counts: Vec<Vec<u32>>,
}

impl BinnedMatrix {
    /// Bin `x` (rows = samples) with at most `max_bins` bins per feature (clamped to
    /// `2..=255`). Features are processed in parallel on the current rayon pool; the result
    /// does not depend on the number of threads.
    pub fn build(x: ArrayView2<'_, f64>, max_bins: usize) -> BinnedMatrix {
        let max_bins = max_bins.clamp(2, MAX_BINS);
        let (n_rows, n_features) = x.dim();
        let mut codes = vec![0u8; n_rows * n_features];
        let mut per_feature: Vec<Option<FeatureBins>> = (0..n_features).map(|_| None).collect();
        if n_rows > 0 {
            // Features in groups: one pass over the rows copies a group's columns into a
            // contiguous buffer (a row-major matrix is read a cache line at a time), then each
            // column is binned and coded from there.
            codes
                .par_chunks_mut(n_rows * GROUP)
                .zip(per_feature.par_chunks_mut(GROUP))
                .enumerate()
                .for_each(|(g, (codes, bins))| {
                    let f0 = g * GROUP;
                    let k = bins.len();
                    let mut cols = vec![0.0f64; k * n_rows];
                    let block = x.slice(ndarray::s![.., f0..f0 + k]);
                    for (i, row) in block.rows().into_iter().enumerate() {
                        for (j, &v) in row.iter().enumerate() {
                            cols[j * n_rows + i] = v;
                        }
                    }
                    for (j, (col, out)) in cols
                        .chunks_exact(n_rows)
                        .zip(codes.chunks_exact_mut(n_rows))
                        .enumerate()
                    {
                        let mut fb = FeatureBins::build(col, max_bins);
                        code_column(&fb.thresholds, col, out);
                        fb.counts = vec![0; fb.thresholds.len() + 1];
                        for &c in out.iter() {
                            fb.counts[c as usize] += 1;
                        }
                        bins[j] = Some(fb);
                    }
                });
        }
        let mut thresholds = Vec::with_capacity(n_features);
        let mut bin_min = Vec::with_capacity(n_features);
        let mut bin_max = Vec::with_capacity(n_features);
        let mut bin_counts = Vec::with_capacity(n_features);
        for fb in per_feature {
            let fb = fb.unwrap_or_else(|| FeatureBins::build(&[], max_bins));
            thresholds.push(fb.thresholds);
            bin_min.push(fb.min);
            bin_max.push(fb.max);
            bin_counts.push(fb.counts);
        }
        BinnedMatrix {
            n_rows,
            n_features,
            codes,
            thresholds,
            bin_min,
            bin_max,
            bin_counts,
        }
    }

    /// The bins of `train.x`, built on first use and then shared, under the cache key
    /// `"bins:<max_bins>"`, by every learner and trial that trains on the same matrix.
    pub fn for_train(train: &TrainSet<'_>, max_bins: usize) -> Arc<BinnedMatrix> {
        let max_bins = max_bins.clamp(2, MAX_BINS);
        train.cache.get_or_build(&format!("bins:{max_bins}"), || {
            BinnedMatrix::build(train.x, max_bins)
        })
    }

    /// Map other rows (e.g. a validation set) to these bins. The result shares the cut
    /// points, `bin_min` and `bin_max` of `self`.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> BinnedMatrix {
        assert_eq!(
            x.ncols(),
            self.n_features,
            "binning: {} columns given, the bins have {}",
            x.ncols(),
            self.n_features
        );
        let n_rows = x.nrows();
        let mut codes = vec![0u8; n_rows * self.n_features];
        if n_rows > 0 {
            codes
                .par_chunks_mut(n_rows)
                .enumerate()
                .for_each(|(f, out)| {
                    let col: Vec<f64> = x.column(f).to_vec();
                    code_column(&self.thresholds[f], &col, out);
                });
        }
        BinnedMatrix {
            n_rows,
            n_features: self.n_features,
            codes,
            thresholds: self.thresholds.clone(),
            bin_min: self.bin_min.clone(),
            bin_max: self.bin_max.clone(),
            bin_counts: self.bin_counts.clone(),
        }
    }

    /// The most frequent bin of feature `f` and the fraction of rows in it.
    pub fn mode(&self, f: usize) -> (u8, f64) {
        let counts = &self.bin_counts[f];
        let mut best = 0;
        for (b, &c) in counts.iter().enumerate() {
            if c > counts[best] {
                best = b;
            }
        }
        (best as u8, counts[best] as f64 / self.n_rows.max(1) as f64)
    }

    /// The codes of feature `f`, one per row.
    #[inline]
    pub fn column(&self, f: usize) -> &[u8] {
        &self.codes[f * self.n_rows..(f + 1) * self.n_rows]
    }

    /// Number of bins of feature `f` (at least 1).
    #[inline]
    pub fn n_bins(&self, f: usize) -> usize {
        self.thresholds[f].len() + 1
    }

    /// Largest number of bins over all features.
    pub fn max_n_bins(&self) -> usize {
        self.thresholds
            .iter()
            .map(|t| t.len() + 1)
            .max()
            .unwrap_or(1)
    }

    /// The bin of value `x` for feature `f` (NaN goes to the last bin).
    #[inline]
    pub fn bin_value(&self, f: usize, x: f64) -> u8 {
        code_of(&self.thresholds[f], x)
    }

    /// The real threshold of the bin-space split "bin `<= b`": `x <= threshold(f, b)`
    /// holds exactly for the values of bins `0..=b`. `b` must be below `n_bins(f) - 1`.
    #[inline]
    pub fn threshold(&self, f: usize, b: u8) -> f64 {
        self.thresholds[f][b as usize]
    }
}

/// Bin of `x` given increasing cut points: how many of them are strictly below `x`.
#[inline]
fn code_of(thresholds: &[f64], x: f64) -> u8 {
    if x.is_nan() {
        return thresholds.len() as u8;
    }
    // `t < x` is false for every t from the first t >= x on, so this is a partition point.
    thresholds.partition_point(|&t| t < x) as u8
}

/// Codes of a column (runs of one value, common in sparse columns, are coded once).
fn code_column(thresholds: &[f64], col: &[f64], out: &mut [u8]) {
    let mut last = f64::NAN;
    let mut last_code = 0;
    for (o, &v) in out.iter_mut().zip(col) {
        if v != last {
            last = v;
            last_code = code_of(thresholds, v);
        }
        *o = last_code;
    }
}

/// Cut points and per-bin ranges of one feature.
struct FeatureBins {
    thresholds: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    counts: Vec<u32>,
}

impl FeatureBins {
    fn build(values: &[f64], max_bins: usize) -> FeatureBins {
        // Distinct values and their counts (-0.0 and 0.0 are one value), NaN left out.
        let (distinct, counts) = match few_distinct(values, max_bins) {
            Some(dc) => dc,
            None => {
                let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
                v.sort_unstable_by(f64::total_cmp);
                let mut distinct: Vec<f64> = Vec::new();
                let mut counts: Vec<usize> = Vec::new();
                for &x in &v {
                    match distinct.last() {
                        Some(&last) if last == x => *counts.last_mut().unwrap() += 1,
                        _ => {
                            distinct.push(x);
                            counts.push(1);
                        }
                    }
                }
                (distinct, counts)
            }
        };
        if distinct.is_empty() {
            return FeatureBins {
                thresholds: Vec::new(),
                min: vec![f64::NAN],
                max: vec![f64::NAN],
                counts: vec![0],
            };
        }
        let n_values: usize = counts.iter().sum();
        let d = distinct.len();
        // `ends[k]` = index of the last distinct value of bin k.
        let mut ends: Vec<usize> = Vec::new();
        if d <= max_bins {
            ends.extend(0..d);
        } else {
            let mut remaining = n_values as f64; // rows from the current bin's start on
            let mut bins_left = max_bins; // including the current bin
            let mut target = remaining / bins_left as f64;
            let mut cur = 0.0;
            for i in 0..d - 1 {
                cur += counts[i] as f64;
                if bins_left == 1 {
                    break;
                }
                let next = counts[i + 1] as f64;
                // Close the bin when it is full, when adding the next value would leave it
                // further from its share than it is now, or when the next value is heavy
                // enough to deserve a bin of its own.
                let overfill = cur + next > target && target - cur < cur + next - target;
                if cur >= target || overfill || next >= target {
                    ends.push(i);
                    bins_left -= 1;
                    remaining -= cur;
                    target = remaining / bins_left as f64;
                    cur = 0.0;
                }
            }
            ends.push(d - 1);
        }
        let mut thresholds = Vec::with_capacity(ends.len() - 1);
        let mut min = Vec::with_capacity(ends.len());
        let mut max = Vec::with_capacity(ends.len());
        let mut start = 0;
        for (k, &end) in ends.iter().enumerate() {
            min.push(distinct[start]);
            max.push(distinct[end]);
            if k + 1 < ends.len() {
                thresholds.push(cut_point(distinct[end], distinct[end + 1]));
            }
            start = end + 1;
        }
        FeatureBins {
            thresholds,
            min,
            max,
            counts: Vec::new(),
        }
    }
}

/// The sorted distinct non-NaN values of `values` and their counts, if there are at most
/// `max_bins` of them (the common case after one-hot encoding: no sort needed).
fn few_distinct(values: &[f64], max_bins: usize) -> Option<(Vec<f64>, Vec<usize>)> {
    let mut distinct: Vec<f64> = Vec::with_capacity(max_bins + 1);
    let mut counts: Vec<usize> = Vec::with_capacity(max_bins + 1);
    let mut last = f64::NAN;
    let mut last_i = 0;
    for &x in values {
        if x == last {
            counts[last_i] += 1;
            continue;
        }
        if x.is_nan() {
            continue;
        }
        let i = distinct.partition_point(|&d| d < x);
        if i < distinct.len() && distinct[i] == x {
            counts[i] += 1;
        } else {
            if distinct.len() == max_bins {
                return None;
            }
            distinct.insert(i, x);
            counts.insert(i, 1);
        }
        last = x;
        last_i = i;
    }
    Some((distinct, counts))
}

/// A cut point between `lo < hi`: the midpoint, or `lo` when the midpoint is not strictly
/// between them after rounding (or not finite).
fn cut_point(lo: f64, hi: f64) -> f64 {
    let m = lo * 0.5 + hi * 0.5;
    if m.is_finite() && m >= lo && m < hi {
        m
    } else {
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn few_distinct_values_get_one_bin_each_with_midpoint_cuts() {
        let x = Array2::from_shape_vec((6, 1), vec![3.0, 1.0, 2.0, 1.0, 3.0, 10.0]).unwrap();
        let b = BinnedMatrix::build(x.view(), 255);
        assert_eq!(b.thresholds[0], vec![1.5, 2.5, 6.5]);
        assert_eq!(b.column(0), &[2, 0, 1, 0, 2, 3]);
        assert_eq!(b.bin_min[0], vec![1.0, 2.0, 3.0, 10.0]);
        assert_eq!(b.bin_max[0], b.bin_min[0]);
        // The raw-threshold rule agrees with the bin rule.
        for (i, &v) in x.column(0).iter().enumerate() {
            for bin in 0..3u8 {
                assert_eq!(b.column(0)[i] <= bin, v <= b.threshold(0, bin));
            }
        }
    }

    #[test]
    fn many_distinct_values_make_quantile_bins() {
        let n = 10_000;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 0 {
                (i * 7919 % n) as f64
            } else {
                // heavy value 0 (half the rows), then distinct values
                if i % 2 == 0 { 0.0 } else { i as f64 }
            }
        });
        let b = BinnedMatrix::build(x.view(), 255);
        assert_eq!(b.n_bins(0), 255);
        let mut counts = vec![0usize; 255];
        for &c in b.column(0) {
            counts[c as usize] += 1;
        }
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*lo >= 30 && *hi <= 50, "uneven quantile bins: {lo}..{hi}");
        // The heavy value has a bin of its own.
        assert_eq!(b.bin_min[1][0], 0.0);
        assert_eq!(b.bin_max[1][0], 0.0);
        assert!(b.n_bins(1) > 200);
        for f in 0..2 {
            assert!(b.thresholds[f].windows(2).all(|w| w[0] < w[1]));
            for (i, &v) in x.column(f).iter().enumerate() {
                assert_eq!(b.bin_value(f, v), b.column(f)[i]);
            }
        }
    }

    #[test]
    fn nan_and_infinities_do_not_panic_and_nan_goes_last() {
        let x = Array2::from_shape_vec(
            (5, 2),
            vec![
                1.0,
                f64::NAN,
                f64::NAN,
                f64::NAN,
                f64::INFINITY,
                f64::NAN,
                f64::NEG_INFINITY,
                f64::NAN,
                1.0,
                f64::NAN,
            ],
        )
        .unwrap();
        let b = BinnedMatrix::build(x.view(), 255);
        assert_eq!(b.n_bins(0), 3);
        // -inf | 1 | inf: cut points are the lower values (midpoints are not finite).
        assert_eq!(b.thresholds[0], vec![f64::NEG_INFINITY, 1.0]);
        assert_eq!(b.column(0), &[1, 2, 2, 0, 1]);
        assert_eq!(b.n_bins(1), 1);
        assert_eq!(b.column(1), &[0; 5]);
        assert_eq!(b.bin_value(0, f64::NAN), 2);
    }

    #[test]
    fn transform_uses_the_training_cuts() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let b = BinnedMatrix::build(x.view(), 255);
        let t = b.transform(
            Array2::from_shape_vec((3, 1), vec![-5.0, 1.5, 2.6])
                .unwrap()
                .view(),
        );
        assert_eq!(t.codes, vec![0, 1, 3]);
        assert_eq!(t.thresholds, b.thresholds);
    }

    #[test]
    fn for_train_builds_once_per_max_bins() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let cache = crate::DataCache::new();
        let y = [0, 1, 0, 1];
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 2,
            class_names: &[],
            feature_names: &[],
            cache: &cache,
        };
        let a = BinnedMatrix::for_train(&train, 255);
        let b = BinnedMatrix::for_train(&train, 255);
        assert!(Arc::ptr_eq(&a, &b));
        let c = BinnedMatrix::for_train(&train, 2);
        assert_eq!(c.n_bins(0), 2);
    }
}
