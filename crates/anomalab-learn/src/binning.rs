//! Quantile feature binning, shared by the native tree learners (CART, random forest, extra
//! trees, gradient boosting).
//!
//! A [`BinnedMatrix`] maps every feature of a training matrix to at most 256 bins, stored
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
//! values (exactly scikit-learn's candidate thresholds). Otherwise bins are quantiles, by
//! one of two rules ([`CutRule`]): `Balanced` (the trees' rule) cuts the sorted distinct
//! values greedily into bins of about `n / max_bins` rows, and a value that alone holds
//! more than a bin's share gets a bin of its own; `Rank` (gradient boosting's rule) cuts
//! where XGBoost `hist` does, at evenly spaced ranks above the smallest value, so a heavy
//! value takes several of the `max_bins` picks and the feature gets fewer bins. A cut point is
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

/// The default and largest number of bins per feature of the tree learners.
pub const MAX_BINS: usize = 255;
/// The most bins a `u8` code can index (XGBoost's default `max_bin`).
pub const MAX_CODES: usize = 256;

/// How a feature with more distinct values than bins is cut (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CutRule {
    /// Bins of about equal row counts; a value that alone holds more than a bin's share
    /// gets a bin of its own and the other bins share the rest.
    #[default]
    Balanced,
    /// XGBoost `hist`'s cuts: the values at evenly spaced ranks of the rows above the
    /// smallest value, repeated picks of one value counting once (a heavy value takes
    /// several picks, so the feature may get fewer bins). This is XGBoost's pruning of its
    /// quantile summary, applied to the exact counts.
    Rank,
}

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
        Self::build_with(x, max_bins, CutRule::Balanced)
    }

    /// [`BinnedMatrix::build`] with the given rule for features with many values
    /// (`max_bins` clamped to `2..=256`).
    pub fn build_with(x: ArrayView2<'_, f64>, max_bins: usize, rule: CutRule) -> BinnedMatrix {
        Self::build_grouped(x, max_bins, rule, GROUP_BYTES)
    }

    /// [`BinnedMatrix::build_with`], a row-major matrix read `group_bytes` of feature
    /// values at a time.
    fn build_grouped(
        x: ArrayView2<'_, f64>,
        max_bins: usize,
        rule: CutRule,
        group_bytes: usize,
    ) -> BinnedMatrix {
        let max_bins = max_bins.clamp(2, MAX_CODES);
        let (n_rows, n_features) = x.dim();
        let columns = column_slices(&x);

        // 1. The distinct values of each feature and their counts; 2. its cut points. A
        //    feature with more than `max_bins` distinct values keeps all its values
        //    instead, to be sorted for quantiles: row-major matrices are read a group of
        //    features at a time, so that those copies never add up to a second matrix.
        let bins = |d: (Vec<f64>, Vec<usize>)| FeatureBins::from_distinct(d, max_bins, rule);
        let per_feature: Vec<FeatureBins> = match &columns {
            Some(cols) => cols
                .par_iter()
                .map(|col| {
                    let mut d = Distinct::default();
                    col.iter().for_each(|&v| d.add(v, max_bins));
                    bins(Distinct::merge(std::iter::once(d), max_bins))
                })
                .collect(),
            None => {
                let group = (group_bytes / (n_rows.max(1) * 8)).max(1);
                let mut out = Vec::with_capacity(n_features);
                for f0 in (0..n_features).step_by(group) {
                    let features = f0..(f0 + group).min(n_features);
                    let distinct = distinct_rows(&x, features, max_bins);
                    out.extend(distinct.into_par_iter().map(bins).collect::<Vec<_>>());
                }
                out
            }
        };

        // 3. The codes, and how many rows each bin holds.
        let mut thresholds = Vec::with_capacity(n_features);
        let mut bin_min = Vec::with_capacity(n_features);
        let mut bin_max = Vec::with_capacity(n_features);
        for fb in per_feature {
            thresholds.push(fb.thresholds);
            bin_min.push(fb.min);
            bin_max.push(fb.max);
        }
        let codes = code_matrix(&x, columns.as_deref(), &thresholds);
        let bin_counts: Vec<Vec<u32>> = if n_rows == 0 {
            thresholds.iter().map(|t| vec![0; t.len() + 1]).collect()
        } else {
            codes
                .par_chunks(n_rows)
                .zip(thresholds.par_iter())
                .map(|(col, t)| {
                    let mut counts = vec![0u32; t.len() + 1];
                    for &c in col {
                        counts[c as usize] += 1;
                    }
                    counts
                })
                .collect()
        };
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
        Self::for_train_with(train, max_bins, CutRule::Balanced)
    }

    /// [`BinnedMatrix::for_train`] with the given cut rule (cache key
    /// `"bins:<max_bins>:rank"` for [`CutRule::Rank`]).
    pub fn for_train_with(
        train: &TrainSet<'_>,
        max_bins: usize,
        rule: CutRule,
    ) -> Arc<BinnedMatrix> {
        let max_bins = max_bins.clamp(2, MAX_CODES);
        let key = match rule {
            CutRule::Balanced => format!("bins:{max_bins}"),
            CutRule::Rank => format!("bins:{max_bins}:rank"),
        };
        train
            .cache
            .get_or_build(&key, || BinnedMatrix::build_with(train.x, max_bins, rule))
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
        let columns = column_slices(&x);
        let codes = code_matrix(&x, columns.as_deref(), &self.thresholds);
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

/// The most memory the values of a group of features may take while a row-major matrix
/// is binned.
const GROUP_BYTES: usize = 256 << 20;

/// The sorted distinct values and counts of `features` of a row-major matrix, read in
/// chunks of rows in parallel and merged in chunk order.
fn distinct_rows(
    x: &ArrayView2<'_, f64>,
    features: std::ops::Range<usize>,
    max_bins: usize,
) -> Vec<(Vec<f64>, Vec<usize>)> {
    let mut parts: Vec<Vec<Distinct>> = (0..x.nrows().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut st = vec![Distinct::default(); features.len()];
            for_rows(x, c, |_, row| {
                for (d, &v) in st.iter_mut().zip(&row[features.clone()]) {
                    d.add(v, max_bins);
                }
            });
            st
        })
        .collect();
    // Per feature, its part of every chunk (in chunk order).
    let mut by_feature: Vec<Vec<Distinct>> = features
        .clone()
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    for part in &mut parts {
        for (f, d) in part.drain(..).enumerate() {
            by_feature[f].push(d);
        }
    }
    drop(parts);
    by_feature
        .into_par_iter()
        .map(|ds| Distinct::merge(ds.into_iter(), max_bins))
        .collect()
}

/// Rows per task when a row-major matrix is read row by row.
const CHUNK: usize = 4096;

/// The columns of `x` as slices, when it is stored column by column.
fn column_slices<'a>(x: &ArrayView2<'a, f64>) -> Option<Vec<&'a [f64]>> {
    let t = x.t();
    if x.nrows() == 0 || !t.is_standard_layout() {
        return None;
    }
    let all: &'a [f64] = x.to_slice_memory_order()?;
    Some(all.chunks(x.nrows()).collect())
}

/// Call `f(i, row)` for the rows of chunk `c` (rows `c * CHUNK ..`), in order.
fn for_rows(x: &ArrayView2<'_, f64>, c: usize, mut f: impl FnMut(usize, &[f64])) {
    let end = ((c + 1) * CHUNK).min(x.nrows());
    let mut buf = vec![0.0; x.ncols()];
    for i in c * CHUNK..end {
        let row = x.row(i);
        match row.as_slice() {
            Some(r) => f(i, r),
            None => {
                for (b, &v) in buf.iter_mut().zip(row.iter()) {
                    *b = v;
                }
                f(i, &buf);
            }
        }
    }
}

/// Split a column-major matrix (columns of `n` values) into, per chunk of `chunk` rows, the
/// pieces of every column that chunk owns.
fn split_columns<T>(data: &mut [T], n: usize, chunk: usize) -> Vec<Vec<&mut [T]>> {
    let mut out: Vec<Vec<&mut [T]>> = (0..n.div_ceil(chunk)).map(|_| Vec::new()).collect();
    if n == 0 {
        return out;
    }
    for col in data.chunks_mut(n) {
        for (c, piece) in col.chunks_mut(chunk).enumerate() {
            out[c].push(piece);
        }
    }
    out
}

/// Column-major codes of `x` for the given cut points.
fn code_matrix(
    x: &ArrayView2<'_, f64>,
    columns: Option<&[&[f64]]>,
    thresholds: &[Vec<f64>],
) -> Vec<u8> {
    let (n, nf) = x.dim();
    let mut codes = vec![0u8; n * nf];
    match columns {
        Some(cols) => codes
            .par_chunks_mut(n.max(1))
            .zip(cols.par_iter())
            .zip(thresholds.par_iter())
            .for_each(|((out, col), t)| code_column(t, col, out)),
        None => split_columns(&mut codes, n, CHUNK)
            .into_par_iter()
            .enumerate()
            .for_each(|(c, mut pieces)| {
                // Blocks of rows small enough to stay in L1, each read column by column.
                const BLOCK: usize = 256;
                let start = c * CHUNK;
                let end = (start + CHUNK).min(n);
                let mut buf = [0.0f64; BLOCK];
                for b in (start..end).step_by(BLOCK) {
                    let e = (b + BLOCK).min(end);
                    let block = x.slice(ndarray::s![b..e, ..]);
                    for ((piece, t), col) in pieces.iter_mut().zip(thresholds).zip(block.columns())
                    {
                        for (v, &x) in buf.iter_mut().zip(col) {
                            *v = x;
                        }
                        code_column(t, &buf[..e - b], &mut piece[b - start..e - start]);
                    }
                }
            }),
    }
    codes
}

/// [`code_of`] of every value of `vals`, into `out`. Eight binary searches run side by
/// side, branch-free, so that their dependent loads overlap (one search at a time waits on
/// each of its loads in turn).
fn code_column(t: &[f64], vals: &[f64], out: &mut [u8]) {
    const LANES: usize = 8;
    let n = t.len();
    if n == 0 {
        out.fill(0);
        return;
    }
    let mut vs = vals.chunks_exact(LANES);
    let mut os = out.chunks_exact_mut(LANES);
    for (v, o) in (&mut vs).zip(&mut os) {
        // `partition_point`'s search: the answer stays within `base[j] ..= base[j] + size`.
        let mut base = [0usize; LANES];
        let mut size = n;
        while size > 1 {
            let half = size / 2;
            for (b, &x) in base.iter_mut().zip(v) {
                let mid = *b + half;
                *b = std::hint::select_unpredictable(t[mid] < x, mid, *b);
            }
            size -= half;
        }
        for ((o, &b), &x) in o.iter_mut().zip(&base).zip(v) {
            let c = b + usize::from(t[b] < x);
            *o = if x.is_nan() { n } else { c } as u8;
        }
    }
    for (o, &x) in os.into_remainder().iter_mut().zip(vs.remainder()) {
        *o = code_of(t, x);
    }
}

/// Home slot of a value's bits in a table of `mask + 1` (a power of two) slots: the top
/// bits of a Fibonacci hash, which depend on every bit of the value (the low bits of the
/// product would ignore the exponent, and send 1.0, 2.0, 3.0, ... to one slot).
#[inline]
fn hash_slot(bits: u64, mask: usize) -> usize {
    let k = mask.count_ones();
    if k == 0 {
        return 0;
    }
    (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - k)) as usize
}

/// The distinct non-NaN values of one feature and their counts (-0.0 and 0.0 are one
/// value), while there are at most `max_bins` of them; after that, all the non-NaN values
/// themselves (`raw`). Values are counted in a small open-addressing hash table (no sort,
/// no unpredictable binary search per cell); `sorted()` orders them at the end.
#[derive(Clone, Default)]
struct Distinct {
    /// Table of value bits (`EMPTY` = free slot), size a power of two.
    keys: Vec<u64>,
    counts: Vec<usize>,
    len: usize,
    /// Slot of the last value seen (runs of one value are common).
    last: Option<(f64, usize)>,
    raw: Option<Vec<f64>>,
}

/// Bits of a NaN, which is never counted.
const EMPTY: u64 = u64::MAX;

impl Distinct {
    #[inline(always)]
    fn add(&mut self, x: f64, max_bins: usize) {
        if let Some(raw) = &mut self.raw {
            if !x.is_nan() {
                raw.push(x);
            }
            return;
        }
        if let Some((v, i)) = self.last
            && v == x
        {
            self.counts[i] += 1;
            return;
        }
        if x.is_nan() {
            return;
        }
        self.add_slow(x, max_bins);
    }

    fn add_slow(&mut self, x: f64, max_bins: usize) {
        // -0.0 counts as 0.0.
        let x = if x == 0.0 { 0.0 } else { x };
        if self.add_count(x.to_bits(), 1, max_bins) {
            self.last = Some((x, self.slot(x.to_bits())));
        } else {
            let mut raw = self.expand();
            raw.push(x);
            *self = Distinct {
                raw: Some(raw),
                ..Distinct::default()
            };
        }
    }

    /// The slot holding `bits`, or the free slot where it belongs.
    #[inline]
    fn slot(&self, bits: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut i = hash_slot(bits, mask);
        while self.keys[i] != bits && self.keys[i] != EMPTY {
            i = (i + 1) & mask;
        }
        i
    }

    fn grow(&mut self) {
        let old_keys = std::mem::take(&mut self.keys);
        let old_counts = std::mem::take(&mut self.counts);
        self.keys = vec![EMPTY; old_keys.len() * 2];
        self.counts = vec![0; old_keys.len() * 2];
        for (k, c) in old_keys.into_iter().zip(old_counts) {
            if k != EMPTY {
                let i = self.slot(k);
                self.keys[i] = k;
                self.counts[i] = c;
            }
        }
        self.last = None;
    }

    /// The distinct values in increasing order, with their counts.
    fn sorted(&self) -> (Vec<f64>, Vec<usize>) {
        let mut pairs: Vec<(f64, usize)> = self
            .keys
            .iter()
            .zip(&self.counts)
            .filter(|(k, _)| **k != EMPTY)
            .map(|(k, &c)| (f64::from_bits(*k), c))
            .collect();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        pairs.into_iter().unzip()
    }

    /// Every value, repeated as often as it was seen (in no particular order).
    fn expand(&self) -> Vec<f64> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let n = self.counts.iter().sum();
        let mut out = Vec::with_capacity(n);
        for (&k, &c) in self.keys.iter().zip(&self.counts) {
            if k != EMPTY {
                out.extend(std::iter::repeat_n(f64::from_bits(k), c));
            }
        }
        out
    }

    /// The sorted distinct values and counts of several parts together (by sorting every
    /// value when there are more than `max_bins` distinct ones).
    fn merge(parts: impl Iterator<Item = Distinct>, max_bins: usize) -> (Vec<f64>, Vec<usize>) {
        let mut parts: Vec<Distinct> = parts.collect();
        if parts.iter().all(|p| p.raw.is_none()) {
            let mut acc = Distinct::default();
            let fits = parts.iter().all(|p| {
                p.keys
                    .iter()
                    .zip(&p.counts)
                    .filter(|(k, _)| **k != EMPTY)
                    .all(|(&k, &c)| acc.add_count(k, c, max_bins))
            });
            if fits {
                return acc.sorted();
            }
        }
        let mut all: Vec<f64> = match parts.as_mut_slice() {
            // One column read whole: its values are sorted where they are.
            [Distinct { raw: Some(raw), .. }] => std::mem::take(raw),
            _ => {
                let total = parts
                    .iter()
                    .map(|p| p.raw.as_ref().map_or(p.counts.iter().sum(), |r| r.len()))
                    .sum();
                let mut all = Vec::with_capacity(total);
                for p in parts {
                    match p.raw {
                        Some(raw) => all.extend_from_slice(&raw),
                        None => all.extend(p.expand()),
                    }
                }
                all
            }
        };
        radix_sort_total(&mut all);
        let (mut values, mut counts): (Vec<f64>, Vec<usize>) = (Vec::new(), Vec::new());
        for &x in &all {
            match values.last() {
                Some(&last) if last == x => *counts.last_mut().unwrap() += 1,
                _ => {
                    values.push(x);
                    counts.push(1);
                }
            }
        }
        (values, counts)
    }

    /// Add `count` occurrences of the value with bits `bits`; false when that would make
    /// more than `max_bins` distinct values.
    fn add_count(&mut self, bits: u64, count: usize, max_bins: usize) -> bool {
        if self.keys.is_empty() {
            self.keys = vec![EMPTY; 8];
            self.counts = vec![0; 8];
        }
        let mut i = self.slot(bits);
        if self.keys[i] == EMPTY {
            if self.len == max_bins {
                return false;
            }
            self.keys[i] = bits;
            self.len += 1;
            if self.len * 2 > self.keys.len() {
                self.grow();
                i = self.slot(bits);
            }
        }
        self.counts[i] += count;
        true
    }
}

/// Sort `v` in [`f64::total_cmp`] order (the same result as `sort_unstable_by(total_cmp)`:
/// equal keys are equal bits) with a least-significant-digit radix sort on the order-keeping
/// `u64` keys: 6 passes of 11 bits, a pass skipped when every key has the same digit there.
/// A radix sort makes a fixed few sequential passes over a column where a comparison sort
/// makes about `log2 n` passes with unpredictable branches; 11-bit digits need two passes
/// fewer than bytes while each pass's 2,048 `u32` counters (8 kB) stay within L1. The
/// result is the comparison sort's, so the codes do not depend on the sort used (timings:
/// `docs/benchmarks.md`, design measurements).
fn radix_sort_total(v: &mut [f64]) {
    if v.len() < 256 || v.len() > u32::MAX as usize {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    let key = |x: f64| {
        let b = x.to_bits();
        if b >> 63 == 1 { !b } else { b | 1 << 63 }
    };
    let unkey = |k: u64| f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k });
    let mut a: Vec<u64> = v.iter().map(|&x| key(x)).collect();
    // Digits of 11 bits: 6 passes (the last of 9 bits), 2,048 counters each.
    const BITS: usize = 11;
    const RADIX: usize = 1 << BITS;
    const PASSES: usize = 64usize.div_ceil(BITS);
    let digit = |k: u64, d: usize| (k >> (BITS * d)) as usize & (RADIX - 1);
    let mut counts = vec![[0u32; RADIX]; PASSES];
    for &k in &a {
        for (d, c) in counts.iter_mut().enumerate() {
            c[digit(k, d)] += 1;
        }
    }
    let mut b = vec![0u64; a.len()];
    let mut at = vec![0usize; RADIX];
    for (d, c) in counts.iter().enumerate() {
        if c.contains(&(a.len() as u32)) {
            continue;
        }
        let mut sum = 0;
        for (o, &n) in at.iter_mut().zip(c) {
            *o = sum;
            sum += n as usize;
        }
        for &k in &a {
            let i = digit(k, d);
            b[at[i]] = k;
            at[i] += 1;
        }
        std::mem::swap(&mut a, &mut b);
    }
    for (x, &k) in v.iter_mut().zip(&a) {
        *x = unkey(k);
    }
}

/// Cut points and per-bin value ranges of one feature.
struct FeatureBins {
    thresholds: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl FeatureBins {
    fn from_distinct(
        (distinct, counts): (Vec<f64>, Vec<usize>),
        max_bins: usize,
        rule: CutRule,
    ) -> FeatureBins {
        if distinct.is_empty() {
            return FeatureBins {
                thresholds: Vec::new(),
                min: vec![f64::NAN],
                max: vec![f64::NAN],
            };
        }
        let n_values: usize = counts.iter().sum();
        let d = distinct.len();
        // `ends[k]` = index of the last distinct value of bin k.
        let mut ends: Vec<usize> = Vec::new();
        if d <= max_bins {
            ends.extend(0..d);
        } else if rule == CutRule::Rank {
            ends = rank_ends(&counts, max_bins);
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
        }
    }
}

/// [`CutRule::Rank`]: the last distinct value of each bin, for `counts.len() > max_bins`
/// distinct values with these counts. This is XGBoost's `WQSummary::SetPrune` to
/// `max_bins + 1` entries on the exact summary (entry `i` spans ranks `rmin_i = sum of the
/// counts before it` to `rmax_i = rmin_i + count_i`), then its `AddCutPoint`: the kept
/// entries after the first start the bins, at most `max_bins` of them.
fn rank_ends(counts: &[usize], max_bins: usize) -> Vec<usize> {
    let d = counts.len();
    let mut rmin = Vec::with_capacity(d);
    let mut acc = 0.0f64;
    for &c in counts {
        rmin.push(acc);
        acc += c as f64;
    }
    let w = |i: usize| counts[i] as f64;
    let rmax = |i: usize| rmin[i] + w(i);
    let mut kept = vec![0usize];
    if d <= max_bins + 1 {
        kept.extend(1..d);
    } else {
        let begin = rmax(0);
        let range = rmin[d - 1] - rmax(0);
        let n = max_bins as f64; // maxsize - 1
        let (mut i, mut last) = (1usize, 0usize);
        for k in 1..max_bins {
            let dx2 = 2.0 * ((k as f64 * range) / n + begin);
            while i < d - 1 && dx2 >= rmax(i + 1) + rmin[i + 1] {
                i += 1;
            }
            if i == d - 1 {
                break;
            }
            // RMinNext(i) + RMaxPrev(i + 1)
            let pick = if dx2 < (rmin[i] + w(i)) + (rmax(i + 1) - w(i + 1)) {
                i
            } else {
                i + 1
            };
            if pick != last {
                kept.push(pick);
                last = pick;
            }
        }
        if last != d - 1 {
            kept.push(d - 1);
        }
    }
    kept.truncate(max_bins);
    let mut ends: Vec<usize> = kept[1..].iter().map(|&k| k - 1).collect();
    ends.push(d - 1);
    ends
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
    fn features_read_in_groups_give_the_bins_of_one_pass() {
        // 5,000 rows: continuous, discrete and constant features, more than 255 distinct
        // values in most, read one feature per pass against all at once
        let mut r = crate::rng::Rng::new(7);
        let x = Array2::from_shape_fn((5_000, 7), |(i, j)| match j {
            0 | 3 => r.next_f64() * 100.0,
            1 => (i % 13) as f64,
            2 => 1.0,
            _ => (r.next_f64() * 1000.0).floor() - 300.0,
        });
        for rule in [CutRule::Balanced, CutRule::Rank] {
            let one = BinnedMatrix::build_grouped(x.view(), 255, rule, usize::MAX);
            let grouped = BinnedMatrix::build_grouped(x.view(), 255, rule, 1);
            assert_eq!(one.thresholds, grouped.thresholds);
            assert_eq!(one.codes, grouped.codes);
            assert_eq!(one.bin_counts, grouped.bin_counts);
            assert!(one.thresholds[0].len() == 254 && one.thresholds[1].len() == 12);
        }
    }

    #[test]
    fn radix_sort_orders_as_total_cmp() {
        let mut rng = crate::rng::Rng::new(5);
        let mut v: Vec<f64> = (0..5000)
            .map(|i| match i % 50 {
                0 => f64::NAN,
                1 => -f64::NAN,
                2 => f64::INFINITY,
                3 => f64::NEG_INFINITY,
                4 => 0.0,
                5 => -0.0,
                6 => f64::MIN_POSITIVE / 4.0,
                7 => 1.5,
                _ => rng.normal() * 10f64.powi(i % 7 - 3),
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable_by(f64::total_cmp);
        radix_sort_total(&mut v);
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v), bits(&want));
    }

    #[test]
    fn side_by_side_searches_give_the_scalar_codes() {
        // Every threshold count from 0 to 255, values on, between and beyond the cuts,
        // NaN, infinities and -0.0, in runs whose lengths are not multiples of 8.
        let mut rng = crate::rng::Rng::new(11);
        for n in 0..=255usize {
            let mut t: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            t.sort_unstable_by(f64::total_cmp);
            t.dedup();
            let len = 3 + n % 29;
            let vals: Vec<f64> = (0..len)
                .map(|i| match i % 9 {
                    0 if !t.is_empty() => t[i % t.len()],
                    1 => f64::NAN,
                    2 => f64::INFINITY,
                    3 => f64::NEG_INFINITY,
                    4 => -0.0,
                    _ => rng.normal() * 1.5,
                })
                .collect();
            let mut got = vec![0u8; len];
            code_column(&t, &vals, &mut got);
            let want: Vec<u8> = vals.iter().map(|&x| code_of(&t, x)).collect();
            assert_eq!(got, want, "{n} thresholds");
            // The scalar codes themselves: how many cuts are below the value, NaN last.
            for (&x, &c) in vals.iter().zip(&want) {
                let below = if x.is_nan() {
                    t.len()
                } else {
                    t.iter().filter(|&&v| v < x).count()
                };
                assert_eq!(c as usize, below);
            }
        }
    }

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
    fn rank_cuts_are_xgboost_hist_cuts() {
        // 0 ten times, 1..=12 once each, 13 three times, 20 and 21: 16 distinct values,
        // 27 rows. XGBoost 3.2 (`QuantileDMatrix(max_bin=4)`) cuts at 5, 9, 13 and
        // (`max_bin=6`) at 3, 6, 9, 11, 13 (`x < cut` goes left). By hand, for 4: the ranks
        // above the smallest value span 10..26, the targets are 10 + 16 k / 4 = 14, 18, 22,
        // and the entries kept are those whose rank interval is nearest (values 5, 9, 13).
        let mut v = vec![0.0; 10];
        v.extend((1..=12).map(|i| i as f64));
        v.extend([13.0, 13.0, 13.0, 20.0, 21.0]);
        let x = Array2::from_shape_vec((v.len(), 1), v).unwrap();
        let b = BinnedMatrix::build_with(x.view(), 4, CutRule::Rank);
        assert_eq!(b.bin_min[0], vec![0.0, 5.0, 9.0, 13.0]);
        assert_eq!(b.bin_max[0], vec![4.0, 8.0, 12.0, 21.0]);
        let b = BinnedMatrix::build_with(x.view(), 6, CutRule::Rank);
        assert_eq!(b.bin_min[0], vec![0.0, 3.0, 6.0, 9.0, 11.0, 13.0]);
        // The balanced rule gives the heavy 0 its own bin and spreads the rest.
        let b = BinnedMatrix::build_with(x.view(), 4, CutRule::Balanced);
        assert_eq!(b.bin_min[0][..2], [0.0, 1.0]);
        // Few distinct values: one bin each, whatever the rule; 256 bins fit the codes.
        let x = Array2::from_shape_fn((512, 1), |(i, _)| (i % 256) as f64);
        let b = BinnedMatrix::build_with(x.view(), 256, CutRule::Rank);
        assert_eq!(b.n_bins(0), 256);
        assert_eq!(b.column(0)[255], 255);
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
    fn every_memory_layout_and_thread_count_gives_the_same_bins() {
        // 10,000 rows: several row chunks. Column 0 has 300 distinct values overall but
        // fewer than 255 in each chunk (the union overflows); column 1 has 40; column 2 is
        // continuous; column 3 is mostly zero.
        let n = 10_000;
        let x = Array2::from_shape_fn((n, 4), |(i, j)| match j {
            0 => ((i / 34) % 300) as f64,
            1 => (i % 40) as f64 * 0.5,
            2 => ((i * 7919) % n) as f64 / 7.0,
            _ => {
                if i % 10 == 0 {
                    1.0
                } else {
                    0.0
                }
            }
        });
        let reference = BinnedMatrix::build(x.view(), 255);
        assert_eq!(reference.n_bins(0), 255);
        assert_eq!(reference.n_bins(1), 40);
        assert_eq!(reference.bin_counts[3], vec![9_000, 1_000]);
        assert_eq!(reference.mode(3), (0, 0.9));
        let fortran: Array2<f64> = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!fortran.is_standard_layout());
        // Every column twice, then every other column: a view with a column stride of 2.
        let doubled = Array2::from_shape_fn((n, 8), |(i, j)| x[[i, j / 2]]);
        let strided = doubled.slice(ndarray::s![.., ..;2]);
        assert!(strided.as_slice_memory_order().is_none());
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert_eq!(BinnedMatrix::build(x.view(), 255), reference);
                assert_eq!(BinnedMatrix::build(fortran.view(), 255), reference);
                assert_eq!(BinnedMatrix::build(strided, 255), reference);
            });
        }
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
        // -0.0 is 0.0, NaN goes last.
        let t = b.transform(
            Array2::from_shape_vec((5, 1), vec![0.0, -0.0, 3.0, 2.0, f64::NAN])
                .unwrap()
                .view(),
        );
        assert_eq!(t.codes, vec![0, 0, 3, 2, 3]);
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
