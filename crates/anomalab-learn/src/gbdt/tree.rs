//! Growing one regression tree on gradient/hessian histograms (the XGBoost `hist` method).
//!
//! The tree is grown on bin codes ([`BinnedRows`]); a split "feature `f`, bin `b`" sends
//! rows whose code is `<= b` to the left. Nodes are expanded from a queue: first in, first
//! out for depth-wise growth, largest gain first for loss-guided growth (`max_leaves`).
//! Each expanded node gets the histogram of its smaller child built from its rows and the
//! larger child's histogram by subtraction from the parent's (the subtraction trick).
//!
//! Numbers: per-row gradients and hessians are `f32` (as in XGBoost). For the histograms
//! they are quantised to integers, as LightGBM 4's quantised training does, but with as many
//! levels as 32-bit sums allow ([`Quantized`]: 16,384 levels for 120,000 rows), and each
//! row's pair is packed into one `i64`, so a histogram bin is one integer add (half the
//! memory of two `f64` sums) and every sum is exact, whatever the order or the thread
//! count. Node totals, split gains and `min_child_weight` are read from these sums; leaf
//! weights are computed from the exact `f32` gradients of the leaf's rows, summed in `f64`.

use rayon::prelude::*;

use super::vmath::avx2_dispatch;

/// Gradient and hessian of one row (for one class).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GradPair {
    /// First derivative of the loss with respect to the margin.
    pub g: f32,
    /// Second derivative (clamped to at least 1e-16).
    pub h: f32,
}

/// How one feature's bins sit in its group's histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// The feature is alone in its group: group code = feature bin.
    Alone,
    /// The feature shares its group with other features that are never off their default
    /// bin in the same row. Group code 0 means "every feature of the group is on its
    /// default bin"; feature bin `b != default` is group code `base + b` (if `b < default`)
    /// or `base + b - 1` (if `b > default`).
    Bundled { base: u16, default: u16 },
}

/// Row-major, bundled bin codes of the training matrix, as the histogram builder reads
/// them, plus the column-major per-feature codes used to partition rows.
///
/// Sparse features that are mutually exclusive (one-hot columns: in every row at most one
/// of them is off its most frequent bin) are bundled into one byte column, as LightGBM's
/// exclusive feature bundling does, but only with zero conflicts, so the bundled
/// histograms give exactly the per-feature sums: a bundled feature's default-bin sums are
/// the node totals minus its other bins. This is an extension of [`crate::binning`]: the
/// per-feature bins are the shared ones.
#[derive(Debug, Clone)]
pub struct BinnedRows {
    pub n_rows: usize,
    pub n_features: usize,
    /// Per-feature bin codes, column-major (`cols[f * n_rows + r]`): the shared bins.
    pub cols: std::sync::Arc<crate::binning::BinnedMatrix>,
    /// Number of bins of each feature (at least 1).
    pub n_bins: Vec<u16>,
    /// Number of groups (byte columns of `codes`).
    pub n_groups: usize,
    /// `codes[r * n_groups + g]` is the code of row `r` in group `g`.
    pub codes: Vec<u8>,
    /// Group of each feature and where its bins are.
    pub group: Vec<(u32, Slot)>,
    /// Start of each group's bins in a histogram (`offsets[n_groups]` = total bins):
    /// `GROUP_STRIDE` apart.
    pub offsets: Vec<usize>,
    /// Codes each group uses (its histogram bins that can be non-zero).
    pub group_codes: Vec<u16>,
}

/// Histogram slots of one group: one per byte code.
const GROUP_SLOTS: usize = 256;
/// Histogram slots between two groups' starts: one cache line (8 bins) more than
/// `GROUP_SLOTS`, so that the low bins of consecutive groups do not all fall in the same L1
/// cache set: with a power-of-two stride, groups that use only their first few codes
/// evict each other's bins (`docs/benchmarks.md`, design measurements).
const GROUP_STRIDE: usize = GROUP_SLOTS + 8;

/// Features with at most this fraction of rows off their default bin may be bundled.
const SPARSE_FRACTION: f64 = 0.2;
/// How many open bundles a sparse feature tries before it starts a new one.
const MAX_BUNDLE_TRIES: usize = 32;

impl BinnedRows {
    /// Bundle the features of `bins` and lay their codes out row-major.
    pub fn new(bins: std::sync::Arc<crate::binning::BinnedMatrix>) -> Self {
        Self::with_bundling(bins, true)
    }

    /// As [`BinnedRows::new`]; `bundle = false` gives every feature its own group.
    pub fn with_bundling(bins: std::sync::Arc<crate::binning::BinnedMatrix>, bundle: bool) -> Self {
        let n = bins.n_rows;
        let nf = bins.n_features;
        let n_bins: Vec<u16> = (0..nf).map(|f| bins.n_bins(f) as u16).collect();
        // Default (most frequent) bin and number of rows off it, per feature.
        let stats: Vec<(u16, usize)> = (0..nf)
            .into_par_iter()
            .map(|f| {
                let mut cnt = vec![0usize; n_bins[f] as usize];
                for &c in bins.column(f) {
                    cnt[c as usize] += 1;
                }
                let (d, &m) = cnt
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                    .expect("at least one bin");
                (d as u16, n - m)
            })
            .collect();
        // Greedy exclusive bundling of the sparse features, densest first.
        let mut sparse: Vec<usize> = (0..nf)
            .filter(|&f| {
                bundle && n_bins[f] >= 2 && (stats[f].1 as f64) <= SPARSE_FRACTION * n as f64
            })
            .collect();
        sparse.sort_by(|&a, &b| stats[b].1.cmp(&stats[a].1).then(a.cmp(&b)));
        struct Bundle {
            feats: Vec<usize>,
            used: Vec<u64>,
            codes: usize, // group codes used so far, including code 0
        }
        let words = n.div_ceil(64);
        let mut bundles: Vec<Bundle> = Vec::new();
        let mut bundle_of = vec![usize::MAX; nf];
        for &f in &sparse {
            let d = stats[f].0 as u8;
            // Rows off the default bin (few: the feature is sparse).
            let nz: Vec<u32> = bins
                .column(f)
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c != d)
                .map(|(r, _)| r as u32)
                .collect();
            let extra = n_bins[f] as usize - 1;
            let mut placed = false;
            for (bi, b) in bundles.iter_mut().enumerate().take(MAX_BUNDLE_TRIES) {
                if b.codes + extra > 256 {
                    continue;
                }
                let conflict = nz
                    .iter()
                    .any(|&r| b.used[r as usize / 64] >> (r % 64) & 1 == 1);
                if conflict {
                    continue;
                }
                for &r in &nz {
                    b.used[r as usize / 64] |= 1 << (r % 64);
                }
                b.feats.push(f);
                b.codes += extra;
                bundle_of[f] = bi;
                placed = true;
                break;
            }
            if !placed {
                let mut used = vec![0u64; words];
                for &r in &nz {
                    used[r as usize / 64] |= 1 << (r % 64);
                }
                bundle_of[f] = bundles.len();
                bundles.push(Bundle {
                    feats: vec![f],
                    used,
                    codes: 1 + extra,
                });
            }
        }
        // Groups in feature order of their first member: a bundle of one is `Alone`.
        let mut group = vec![(0u32, Slot::Alone); nf];
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut group_of_bundle = vec![usize::MAX; bundles.len()];
        for f in 0..nf {
            let bi = bundle_of[f];
            if bi == usize::MAX || bundles[bi].feats.len() == 1 {
                group[f] = (members.len() as u32, Slot::Alone);
                members.push(vec![f]);
            } else if group_of_bundle[bi] == usize::MAX {
                group_of_bundle[bi] = members.len();
                let mut fs = bundles[bi].feats.clone();
                fs.sort_unstable();
                members.push(fs);
            }
        }
        // Every group gets `GROUP_SLOTS` histogram slots, one per possible code, so that a
        // code indexes its group's slots without a bounds check.
        let mut offsets = Vec::with_capacity(members.len() + 1);
        let mut group_codes = Vec::with_capacity(members.len());
        for (g, fs) in members.iter().enumerate() {
            offsets.push(g * GROUP_STRIDE);
            group_codes.push(n_bins[fs[0]]);
            if fs.len() > 1 {
                let mut base = 1u16;
                for &f in fs {
                    group[f] = (
                        g as u32,
                        Slot::Bundled {
                            base,
                            default: stats[f].0,
                        },
                    );
                    base += n_bins[f] - 1;
                }
                debug_assert!(base as usize <= GROUP_SLOTS);
                group_codes[g] = base;
            }
        }
        offsets.push(members.len() * GROUP_STRIDE);
        let ng = members.len();
        let mut codes = vec![0u8; n * ng];
        const BLOCK: usize = 4096;
        codes
            .par_chunks_mut(BLOCK * ng.max(1))
            .enumerate()
            .for_each(|(bi, out)| {
                let r0 = bi * BLOCK;
                let nr = out.len() / ng.max(1);
                for (g, fs) in members.iter().enumerate() {
                    for &f in fs {
                        let col = &bins.column(f)[r0..r0 + nr];
                        match group[f].1 {
                            Slot::Alone => {
                                for (i, &c) in col.iter().enumerate() {
                                    out[i * ng + g] = c;
                                }
                            }
                            Slot::Bundled { base, default } => {
                                for (i, &c) in col.iter().enumerate() {
                                    let c = c as u16;
                                    if c != default {
                                        let k = if c < default { c } else { c - 1 };
                                        out[i * ng + g] = (base + k) as u8;
                                    }
                                }
                            }
                        }
                    }
                }
            });
        BinnedRows {
            n_rows: n,
            n_features: nf,
            cols: bins,
            n_bins,
            n_groups: ng,
            codes,
            group,
            offsets,
            group_codes,
        }
    }

    /// Bin of row `r`, feature `f`.
    #[inline]
    pub fn code(&self, r: usize, f: usize) -> u8 {
        self.cols.codes[f * self.n_rows + r]
    }

    pub fn total_bins(&self) -> usize {
        self.offsets[self.n_groups]
    }

    /// Sorted groups holding the features `feats`.
    pub fn groups_of(&self, feats: &[u32]) -> Vec<u32> {
        let mut g: Vec<u32> = feats.iter().map(|&f| self.group[f as usize].0).collect();
        g.sort_unstable();
        g.dedup();
        g
    }
}

/// Tree growth settings (already validated).
#[derive(Debug, Clone)]
pub struct GrowParams {
    /// Maximum depth (root = depth 0); `None` = unlimited.
    pub max_depth: Option<usize>,
    /// Maximum number of leaves; when set, nodes are expanded best gain first.
    pub max_leaves: Option<usize>,
    /// L2 regularisation of leaf weights.
    pub lambda: f64,
    /// Minimum loss change of a split.
    pub gamma: f64,
    /// Minimum hessian sum of each child.
    pub min_child_weight: f64,
    /// Learning rate applied to leaf weights.
    pub eta: f64,
}

/// A node of a tree in bin space, as grown.
#[derive(Debug, Clone, PartialEq)]
pub enum BinNode {
    Split {
        feature: u32,
        /// Rows with code `<= bin` go left.
        bin: u16,
        left: u32,
        right: u32,
        /// XGBoost's loss change of the split: `G_L^2/(H_L+l) + G_R^2/(H_R+l) - G^2/(H+l)`.
        gain: f64,
    },
    Leaf {
        /// `-G/(H+lambda) * eta`.
        value: f64,
    },
}

/// Histogram: the packed quantised sums ([`Quantized`]) of every bin of every group.
type Hist = Vec<i64>;

/// Most rows one tree can be grown on: the quantised sums need at least
/// [`MIN_LEVELS`] levels per row within 32 bits.
pub const MAX_ROWS: usize = i32::MAX as usize / MIN_LEVELS;
/// Fewest quantisation levels (of `max |g|` and of `max h`) a tree is grown with.
const MIN_LEVELS: usize = 64;

/// The gradient pairs of one tree's rows as integers for the histograms.
///
/// With `L` the largest power of two such that `n_rows * L` fits in an `i32`, a row's
/// gradient is `round(g / max|g| * L)` (in `[-L, L]`) and its hessian `round(h / max h *
/// L)` (in `[0, L]`), each within half a unit (`max|g| / 2L`) of the exact value. A pair is
/// packed as `gq * 2^32 + hq`: any sum of `m <= n_rows` rows is `G * 2^32 + H` with `|G| <
/// 2^31` and `0 <= H < 2^32`, so sums, differences (the subtraction trick) and prefix sums
/// of packed values are the packed sums, exact and without overflow. `L` a power of two
/// makes the unit `max / L` exact.
pub(crate) struct Quantized {
    /// Packed pair of every row of `gh` (indexed by row; only the rows grown on are read).
    packed: Vec<i64>,
    g_unit: f64,
    h_unit: f64,
}

impl Quantized {
    /// Quantise the pairs of `rows` (at most [`MAX_ROWS`]).
    pub(crate) fn new(gh: &[GradPair], rows: &[u32]) -> Self {
        const BLOCK: usize = 16384;
        let n = rows.len().max(1);
        assert!(n <= MAX_ROWS, "{n} rows: more than a tree can be grown on");
        let levels = 1u64 << (i32::MAX as u64 / n as u64).ilog2();
        let (mg, mh) = rows
            .par_chunks(BLOCK)
            .map(|blk| {
                blk.iter().fold((0.0f32, 0.0f32), |(a, b), &r| {
                    let p = gh[r as usize];
                    (a.max(p.g.abs()), b.max(p.h))
                })
            })
            .reduce(|| (0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
        let unit = |m: f32| {
            if m > 0.0 {
                m as f64 / levels as f64
            } else {
                1.0
            }
        };
        let (g_unit, h_unit) = (unit(mg), unit(mh));
        let scale = (1.0 / g_unit, 1.0 / h_unit);
        // Every row is packed (rows not grown on are never read; the clamp keeps their stale
        // pairs in range): one pass in row order, in parallel.
        let mut packed = vec![0i64; gh.len()];
        packed
            .par_chunks_mut(BLOCK)
            .zip(gh.par_chunks(BLOCK))
            .for_each(|(out, ps)| pack_pairs(ps, scale, levels as i32, out));
        Quantized {
            packed,
            g_unit,
            h_unit,
        }
    }

    /// Gradient and hessian units (the value of one level).
    #[cfg(test)]
    pub(crate) fn units(&self) -> (f64, f64) {
        (self.g_unit, self.h_unit)
    }

    /// Row `r`'s packed pair.
    #[cfg(test)]
    pub(crate) fn packed(&self, r: usize) -> i64 {
        self.packed[r]
    }

    /// Row `r`'s quantised pair, decoded.
    #[cfg(test)]
    pub(crate) fn pair(&self, r: usize) -> (f64, f64) {
        self.decode(self.packed[r])
    }

    /// The fewest hessian units a child needs: `Hq * h_unit >= min_child_weight` and
    /// `Hq >= 1` (a child's hessian sum must be positive).
    fn min_hessian_units(&self, min_child_weight: f64) -> i64 {
        // A node's hessian sum is below 2^32 units: a larger bound means no split anyway.
        const NONE: i64 = 1 << 32;
        let mut u = (min_child_weight / self.h_unit)
            .ceil()
            .clamp(1.0, NONE as f64) as i64;
        while u > 1 && (u - 1) as f64 * self.h_unit >= min_child_weight {
            u -= 1;
        }
        while u < NONE && (u as f64 * self.h_unit) < min_child_weight {
            u += 1;
        }
        u
    }

    /// `(G, H)` of a packed sum.
    #[inline]
    pub(crate) fn decode(&self, s: i64) -> (f64, f64) {
        (
            (s >> 32) as f64 * self.g_unit,
            (s & 0xFFFF_FFFF) as f64 * self.h_unit,
        )
    }
}

avx2_dispatch! {
    /// The packed quantised pairs of [`Quantized`]: `g * scale.0` rounded half away from
    /// zero (by truncation: `f64::round` is a libm call without SSE4.1) and `h * scale.1`
    /// rounded, each clamped to its `levels` (`as` saturates, the clamp bounds stale
    /// rows); 32-bit conversions, which vectorise.
    fn pack_pairs / pack_pairs_portable(
        ps: &[GradPair],
        scale: (f64, f64),
        levels: i32,
        out: &mut [i64],
    ) {
        for (o, p) in out.iter_mut().zip(ps) {
            let x = p.g as f64 * scale.0;
            let gq = ((x + 0.5f64.copysign(x)) as i32).clamp(-levels, levels);
            let hq = ((p.h as f64 * scale.1 + 0.5) as i32).clamp(0, levels);
            *o = ((gq as i64) << 32) + hq as i64;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Best {
    feature: u32,
    bin: u16,
    gain: f64,
    /// Packed sum of the left child.
    left: i64,
}

struct Pending {
    node: u32,
    depth: usize,
    start: usize,
    end: usize,
    /// Packed sum of the node's rows.
    sum: i64,
    hist: Hist,
    best: Option<Best>,
    seq: u64,
}

/// Below this many rows a node's histogram is built in the calling thread.
const PAR_MIN_ROWS: usize = 4096;
/// Histogram bins one pass over a node's rows fills at most: 20 groups of 256 bins, 40 kB,
/// which fits a 48 kB L1 data cache. A wider pass reads each row's pair once for more
/// groups but spills its bins out of L1, which costs more than the extra reads
/// (`docs/benchmarks.md`, design measurements).
const BLOCK_BINS: usize = 5120;
/// Most groups per pass (groups with few bins: each group costs a code read per row).
const GROUP_BLOCK: usize = 64;
/// Rows per item of the parallel histogram fold (the tasks take runs of items).
const HIST_CHUNK: usize = 2048;
/// Rows per parallel partition task of a large node.
const PARTITION_BLOCK: usize = 8192;
/// Features per parallel task of the split search.
const FEATURE_BLOCK: usize = 8;
/// Below this many histogram bins, the split search runs in the calling thread.
const PAR_MIN_BINS: usize = 2048;

/// Build the histogram of `rows` over the groups `groups` (sorted). Bins of other groups
/// are not to be read (zero, or filled when that was faster: see [`hist_block`]).
///
/// A large node's rows are folded in parallel into per-task partial histograms, which are
/// then added up. The sums are integers ([`Quantized`]): exact in any order, so the
/// histogram is the same whatever the number of threads or the way rayon splits the rows.
fn build_hist(data: &BinnedRows, q: &Quantized, rows: &[u32], groups: &[u32]) -> Hist {
    let total = data.total_bins();
    let blocks = group_blocks(data, groups);
    let fill = |rows: &[u32], hist: &mut [i64]| {
        for blk in blocks.iter().map(|r| &groups[r.clone()]) {
            let (lo, hi) = block_range(data, blk);
            hist_block(data, q, rows, blk, &mut hist[lo..hi]);
        }
    };
    if rows.len() < PAR_MIN_ROWS {
        let mut hist = vec![0i64; total];
        fill(rows, &mut hist);
        return hist;
    }
    rows.par_chunks(HIST_CHUNK)
        .fold(
            || vec![0i64; total],
            |mut hist, chunk| {
                fill(chunk, &mut hist);
                hist
            },
        )
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(&b) {
                *x += y;
            }
            a
        })
        .expect("a node with rows")
}

/// Consecutive runs of `groups` (indices into it), each one histogram pass: at most
/// [`GROUP_BLOCK`] groups and [`BLOCK_BINS`] used bins (a group with more starts its own).
fn group_blocks(data: &BinnedRows, groups: &[u32]) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    let (mut start, mut bins) = (0, 0);
    for (i, &g) in groups.iter().enumerate() {
        let b = data.group_codes[g as usize] as usize;
        if i > start && (bins + b > BLOCK_BINS || i - start == GROUP_BLOCK) {
            blocks.push(start..i);
            (start, bins) = (i, 0);
        }
        bins += b;
    }
    if start < groups.len() {
        blocks.push(start..groups.len());
    }
    blocks
}

/// The range of histogram slots of a block of groups (sorted), gaps included.
fn block_range(data: &BinnedRows, blk: &[u32]) -> (usize, usize) {
    let lo = data.offsets[blk[0] as usize];
    let hi = data.offsets[*blk.last().expect("non-empty block") as usize + 1];
    (lo, hi)
}

/// Add the gradient pairs of `rows` to the histograms of the groups `groups` (sorted), whose
/// slots `out` holds from the first group's on (`GROUP_STRIDE` per group, gaps included).
///
/// When the groups fill at least two thirds of their range, every group of the range is
/// filled (a column sample of bundled data leaves few gaps, and the straight loop over a
/// row's codes is the fast one); the bins of the gaps are never read.
fn hist_block(data: &BinnedRows, q: &Quantized, rows: &[u32], groups: &[u32], out: &mut [i64]) {
    let ng = data.n_groups;
    let g0 = groups[0] as usize;
    let g1 = *groups.last().expect("non-empty block") as usize + 1;
    let (hists, rest) = out.as_chunks_mut::<GROUP_STRIDE>();
    debug_assert!(rest.is_empty() && hists.len() == g1 - g0);
    // Rows (in increasing order) spread over more than four times their number: ask for
    // the data of the row `PREFETCH_ROWS` ahead.
    let sparse = match (rows.first(), rows.last()) {
        (Some(&a), Some(&b)) => (b - a) as usize > 4 * rows.len(),
        _ => false,
    };
    let ahead = |r: usize| {
        prefetch(&data.codes[r * ng + g0]);
        prefetch(&q.packed[r]);
    };
    if 3 * groups.len() >= 2 * (g1 - g0) {
        each_row(rows, sparse, ahead, |r| {
            let v = q.packed[r];
            let codes = &data.codes[r * ng + g0..r * ng + g1];
            for (hg, &c) in hists.iter_mut().zip(codes) {
                hg[c as usize] += v;
            }
        });
    } else {
        each_row(rows, sparse, ahead, |r| {
            let v = q.packed[r];
            let row = &data.codes[r * ng..(r + 1) * ng];
            for &gi in groups {
                let gi = gi as usize;
                hists[gi - g0][row[gi] as usize] += v;
            }
        });
    }
}

/// Call `add` on each row of `rows`; when `prefetch`, first `ahead` on the row
/// [`PREFETCH_ROWS`] further on.
#[inline(always)]
fn each_row(rows: &[u32], prefetch: bool, ahead: impl Fn(usize), mut add: impl FnMut(usize)) {
    if prefetch {
        for (i, &r) in rows.iter().enumerate() {
            if let Some(&a) = rows.get(i + PREFETCH_ROWS) {
                ahead(a as usize);
            }
            add(r as usize);
        }
    } else {
        for &r in rows {
            add(r as usize);
        }
    }
}

/// How many rows ahead [`hist_block`] asks for the codes and pair of a row: the rows of a
/// deep node are scattered over the matrix, beyond what the hardware prefetcher guesses.
const PREFETCH_ROWS: usize = 16;

/// Hint that the cache line of `x` will be read soon (nothing on other architectures).
#[inline(always)]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults and changes no memory.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) };
    }
}

/// `G^2 / (H + lambda)`: XGBoost's `CalcGain` without L1 or max_delta_step.
#[inline]
fn score(g: f64, h: f64, lambda: f64) -> f64 {
    g * g / (h + lambda)
}

/// Best split of a node from its histogram (first feature, then lowest bin, on ties).
/// Large histograms are searched in parallel over fixed blocks of features; the blocks'
/// results are compared in feature order, so the split is the sequential search's.
fn best_split(ctx: &Ctx<'_>, hist: &Hist, sum: i64) -> Option<Best> {
    let feats = ctx.feats;
    let found = if hist.len() >= PAR_MIN_BINS && feats.len() > FEATURE_BLOCK {
        feats
            .par_chunks(FEATURE_BLOCK)
            .map(|fs| best_split_of(ctx, hist, fs, sum))
            .collect::<Vec<_>>()
            .into_iter()
            .fold(None, |best: Option<Best>, b| match (best, b) {
                (Some(x), Some(y)) if y.gain > x.gain => Some(y),
                (None, y) => y,
                (x, _) => x,
            })
    } else {
        best_split_of(ctx, hist, feats, sum)
    };
    // XGBoost's validity rule: the loss change must exceed a small epsilon and reach gamma.
    found.filter(|b| b.gain > 1e-6 && b.gain >= ctx.p.gamma)
}

/// [`best_split`] over the features `feats`, before the validity rule.
///
/// The scan works in quantised units (`G = gu * Gq`, `H = hu * Hq`), where a child's
/// score is `gu^2/hu * Gq^2 / (Hq + lambda/hu)`: each candidate is ranked by its children's
/// score in these units ([`split_scores`]), the first largest wins (lower feature, then
/// lower bin), and the gain of the chosen split is then computed as usual.
/// `min_child_weight` and `H > 0` become one integer bound on each child's `Hq` (exactly
/// the `f64` comparisons: `Hq * hu` is exact).
fn best_split_of(ctx: &Ctx<'_>, hist: &Hist, feats: &[u32], sum: i64) -> Option<Best> {
    let (data, p, q) = (ctx.data, ctx.p, ctx.q);
    let h_min = q.min_hessian_units(p.min_child_weight);
    let ht = sum & 0xFFFF_FFFF;
    if ht < 2 * h_min {
        return None;
    }
    let sc = ScanConsts {
        gt: (sum >> 32) as f64,
        ht: ht as f64,
        lam: p.lambda / q.h_unit,
        h_min: h_min as f64,
    };
    // Best candidate so far (feature, bin, left sum) and its score. Scores are >= 0 and
    // masked candidates score -1.
    let mut best: Option<(u32, u16, i64)> = None;
    let mut best_score = -0.5f64;
    let mut scratch: Vec<i64> = Vec::with_capacity(GROUP_SLOTS);
    let mut prefix = [0i64; GROUP_SLOTS];
    let mut scores = [0f64; GROUP_SLOTS];
    for &f in feats {
        let fi = f as usize;
        let nb = data.n_bins[fi] as usize;
        if nb < 2 {
            continue;
        }
        let (grp, slot) = data.group[fi];
        let goff = data.offsets[grp as usize];
        let bins: &[i64] = match slot {
            Slot::Alone => &hist[goff..goff + nb],
            Slot::Bundled { base, default } => {
                // Non-default bins are stored; the default bin is the rest of the node.
                let (base, d) = (base as usize, default as usize);
                let stored = &hist[goff + base..goff + base + nb - 1];
                scratch.clear();
                scratch.extend_from_slice(&stored[..d]);
                scratch.push(sum - stored.iter().sum::<i64>());
                scratch.extend_from_slice(&stored[d..]);
                &scratch
            }
        };
        // Candidate `b` sends bins `<= b` left: its left sum is the prefix sum to `b`.
        let m = nb - 1;
        let mut left = 0i64;
        for (pv, &bin) in prefix[..m].iter_mut().zip(bins) {
            left += bin;
            *pv = left;
        }
        if split_scores(&prefix[..m], &sc, &mut scores[..m]) <= best_score {
            continue;
        }
        // An empty bin splits the rows as the bin before it does, with the same score: the
        // strict comparison keeps the lower bin.
        for (b, &s) in scores[..m].iter().enumerate() {
            if s > best_score {
                best_score = s;
                best = Some((f, b as u16, prefix[b]));
            }
        }
    }
    let (feature, bin, left) = best?;
    let (g, h) = q.decode(sum);
    let (gl, hl) = q.decode(left);
    let (gr, hr) = q.decode(sum - left);
    let gain = score(gl, hl, p.lambda) + score(gr, hr, p.lambda) - score(g, h, p.lambda);
    Some(Best {
        feature,
        bin,
        gain,
        left,
    })
}

/// A node's constants of [`split_scores`], in quantised units.
struct ScanConsts {
    /// The node's gradient and hessian sums.
    gt: f64,
    ht: f64,
    /// `lambda / hu`.
    lam: f64,
    /// The fewest hessian units of a child.
    h_min: f64,
}

avx2_dispatch! {
    /// Children's score `Gl^2/(Hl+lam) + Gr^2/(Hr+lam)` of the candidates whose packed left
    /// sums are `prefix` (quantised units), or -1 where a child has fewer than `h_min`
    /// hessian units; returns the largest. Straight passes without a branch, which the
    /// compiler vectorises.
    fn split_scores / split_scores_portable(
        prefix: &[i64],
        c: &ScanConsts,
        out: &mut [f64],
    ) -> f64 {
        // Integers below 2^52 to f64 by their bit pattern (exact; no 64-bit integer
        // conversion is needed, which AVX2 lacks): 2^52 + x has x in its mantissa.
        const EXP52: u64 = 0x4330_0000_0000_0000;
        const TWO52: f64 = 4_503_599_627_370_496.0;
        for (o, &l) in out.iter_mut().zip(prefix) {
            let l = l as u64;
            // Hl: the low half, in [0, 2^32). Gl: the high half as a signed 32-bit number,
            // offset by 2^31 into [0, 2^32).
            let hl = f64::from_bits((l & 0xFFFF_FFFF) | EXP52) - TWO52;
            let gl =
                f64::from_bits(((l >> 32) ^ 0x8000_0000) | EXP52) - (TWO52 + 2_147_483_648.0);
            let hr = c.ht - hl;
            let gr = c.gt - gl;
            let (dl, dr) = (hl + c.lam, hr + c.lam);
            let s = (gl * gl * dr + gr * gr * dl) / (dl * dr);
            let valid = (hl >= c.h_min) & (hr >= c.h_min);
            *o = if valid { s } else { -1.0 };
        }
        // The largest, four lanes at a time (`a > b ? a : b` is one vector max; no NaN here).
        let mut lanes = [-1.0f64; 4];
        let chunks = out.chunks_exact(4);
        let rest = chunks.remainder();
        for ch in chunks {
            for (m, &s) in lanes.iter_mut().zip(ch) {
                *m = if s > *m { s } else { *m };
            }
        }
        for &s in rest {
            lanes[0] = if s > lanes[0] { s } else { lanes[0] };
        }
        let [l0, l1, l2, l3] = lanes;
        let m01 = if l0 > l1 { l0 } else { l1 };
        let m23 = if l2 > l3 { l2 } else { l3 };
        if m01 > m23 { m01 } else { m23 }
    }
}

/// Stable in-place partition of `rows` by `col[row] <= bin` (left first); returns the left
/// size.
/// A large segment is partitioned in parallel blocks whose left and right parts are then
/// concatenated in order: the same result as the sequential pass.
fn partition(col: &[u8], rows: &mut [u32], bin: u16, buf: &mut Vec<u32>) -> usize {
    if rows.len() < 2 * PARTITION_BLOCK {
        let nl = partition_block(col, bin, rows, buf);
        rows[nl..].copy_from_slice(buf);
        return nl;
    }
    // Each block keeps its left rows at its start and returns its right rows.
    let parts: Vec<(usize, Vec<u32>)> = rows
        .par_chunks_mut(PARTITION_BLOCK)
        .map(|blk| {
            let mut right = Vec::new();
            (partition_block(col, bin, blk, &mut right), right)
        })
        .collect();
    // Close up the left runs (each moves down, never past a later one), then the right.
    let mut at = 0;
    for (i, (nl, _)) in parts.iter().enumerate() {
        let from = i * PARTITION_BLOCK;
        rows.copy_within(from..from + nl, at);
        at += nl;
    }
    let nl = at;
    for (_, right) in &parts {
        rows[at..at + right.len()].copy_from_slice(right);
        at += right.len();
    }
    nl
}

/// Stable partition of `rows` by `col[row] <= bin`: the left rows move to the front of
/// `rows` (their count is returned), the right rows go to `right` in order. Without a
/// branch on the side a row takes (it is as good as random): each row is written to both
/// places and only the counter of its side moves on.
fn partition_block(col: &[u8], bin: u16, rows: &mut [u32], right: &mut Vec<u32>) -> usize {
    right.clear();
    right.resize(rows.len(), 0);
    let (mut nl, mut nr) = (0usize, 0usize);
    for i in 0..rows.len() {
        let r = rows[i];
        let go_left = usize::from(col[r as usize] as u16 <= bin);
        // `nl <= i`: a left row is written at or before the one being read.
        rows[nl] = r;
        right[nr] = r;
        nl += go_left;
        nr += 1 - go_left;
    }
    right.truncate(nr);
    nl
}

/// A grown tree: its nodes (node 0 is the root) and where each node's rows ended up in the
/// `rows` slice given to [`grow`] (`spans[i]` = start and end of node `i`'s rows; a
/// leaf's rows are exactly the rows that reach it).
#[derive(Debug, Clone)]
pub struct Grown {
    pub nodes: Vec<BinNode>,
    pub spans: Vec<(u32, u32)>,
}

impl Grown {
    /// `(leaf value, start, end)` of every leaf, in node order.
    pub fn leaves(&self) -> impl Iterator<Item = (f64, usize, usize)> + '_ {
        self.nodes
            .iter()
            .zip(&self.spans)
            .filter_map(|(n, &(s, e))| match n {
                BinNode::Leaf { value } => Some((*value, s as usize, e as usize)),
                BinNode::Split { .. } => None,
            })
    }
}

/// Grow one tree on the rows `rows` (any order; reordered in place: each leaf's rows end up
/// contiguous, see [`Grown::spans`]) using features `feats` (sorted, non-empty).
///
/// Depth-wise growth expands a whole level at a time, its nodes in parallel (each owns a
/// disjoint span of `rows`); node numbers are given in level order afterwards, so the tree
/// is the one a first-in-first-out expansion gives, whatever the number of threads.
/// Loss-guided growth (`max_leaves`) expands one node at a time, largest gain first.
pub fn grow(
    data: &BinnedRows,
    gh: &[GradPair],
    rows: &mut [u32],
    feats: &[u32],
    p: &GrowParams,
) -> Grown {
    let mut t = Grown {
        nodes: vec![BinNode::Leaf { value: 0.0 }],
        spans: vec![(0u32, rows.len() as u32)],
    };
    if !rows.is_empty() && !feats.is_empty() {
        grow_splits(&mut t, data, gh, rows, feats, p);
    }
    // Leaf weights from the exact gradients of each leaf's rows (the leaves in parallel;
    // each leaf's sum in row order).
    let rows = &*rows;
    t.nodes
        .par_iter_mut()
        .zip(t.spans.par_iter())
        .for_each(|(node, &(s, e))| {
            if let BinNode::Leaf { value } = node {
                let (mut g, mut h) = (0.0f64, 0.0f64);
                for &r in &rows[s as usize..e as usize] {
                    let q = gh[r as usize];
                    g += q.g as f64;
                    h += q.h as f64;
                }
                *value = leaf_weight(g, h, p);
            }
        });
    t
}

/// The splits of [`grow`]: `t` holds the root leaf on entry and the tree on return (leaf
/// weights not yet set).
fn grow_splits(
    t: &mut Grown,
    data: &BinnedRows,
    gh: &[GradPair],
    rows: &mut [u32],
    feats: &[u32],
    p: &GrowParams,
) {
    let q = Quantized::new(gh, rows);
    let groups = data.groups_of(feats);
    let ctx = Ctx {
        data,
        q: &q,
        groups: &groups,
        feats,
        p,
    };
    let hist = build_hist(data, &q, rows, &groups);
    // Every row adds its pair to one bin of each group: the node's sum is any group's.
    let g0 = groups[0] as usize;
    let sum: i64 = hist[data.offsets[g0]..data.offsets[g0 + 1]].iter().sum();
    let best = if depth_ok(p, 0) {
        best_split(&ctx, &hist, sum)
    } else {
        None
    };
    let root = Pending {
        node: 0,
        depth: 0,
        start: 0,
        end: rows.len(),
        sum,
        hist,
        best,
        seq: 0,
    };
    // Creation number of the next node (ties of loss-guided growth go to the earliest).
    let mut seq = 1u64;
    match p.max_leaves {
        None => {
            // Nodes of the current depth that have a split.
            let mut todo: Vec<Pending> = root.best.is_some().then_some(root).into_iter().collect();
            while !todo.is_empty() {
                // Disjoint spans of `rows`, one per node, in order (spans increase along a
                // level).
                let mut segs: Vec<&mut [u32]> = Vec::with_capacity(todo.len());
                let mut rest: &mut [u32] = rows;
                let mut at = 0usize;
                for q in &todo {
                    let tail = std::mem::take(&mut rest);
                    let (_, tail) = tail.split_at_mut(q.start - at);
                    let (mine, tail) = tail.split_at_mut(q.end - q.start);
                    segs.push(mine);
                    rest = tail;
                    at = q.end;
                }
                let done: Vec<(Pending, Expanded)> = todo
                    .into_par_iter()
                    .zip(segs)
                    .map(|(mut q, seg)| {
                        let e = expand(&ctx, &mut q, seg);
                        (q, e)
                    })
                    .collect();
                todo = Vec::new();
                for (q, e) in done {
                    let [l, r] = t.attach(&q, e, &mut seq);
                    todo.extend(l);
                    todo.extend(r);
                }
            }
        }
        Some(max_leaves) => {
            let mut queue = vec![root];
            let mut n_leaves = 1usize;
            while n_leaves < max_leaves {
                // The node with the largest gain (the earliest created on ties).
                let mut pick: Option<usize> = None;
                for (i, q) in queue.iter().enumerate() {
                    let Some(b) = q.best else { continue };
                    let better = match pick {
                        None => true,
                        Some(j) => {
                            let bj = queue[j].best.expect("picked has a split");
                            b.gain > bj.gain || (b.gain == bj.gain && q.seq < queue[j].seq)
                        }
                    };
                    if better {
                        pick = Some(i);
                    }
                }
                let Some(i) = pick else { break };
                let mut q = queue.swap_remove(i);
                let (start, end) = (q.start, q.end);
                let e = expand(&ctx, &mut q, &mut rows[start..end]);
                n_leaves += 1;
                let [l, r] = t.attach(&q, e, &mut seq);
                queue.extend(l);
                queue.extend(r);
            }
        }
    }
}

/// What every node expansion of one tree reads.
struct Ctx<'a> {
    data: &'a BinnedRows,
    q: &'a Quantized,
    groups: &'a [u32],
    feats: &'a [u32],
    p: &'a GrowParams,
}

/// One child of an expanded node: its rows (relative to the parent's span), sums,
/// histogram (empty when it may not split) and best split.
struct Child {
    start: usize,
    end: usize,
    /// Packed sum of the child's rows.
    sum: i64,
    hist: Hist,
    best: Option<Best>,
}

/// An expanded node: its split and its two children.
struct Expanded {
    split: Best,
    children: [Child; 2],
}

impl Grown {
    /// Record the split of `q` and its two children (numbered next); return them as
    /// pending nodes (`None` for a child that is a leaf for good).
    fn attach(&mut self, q: &Pending, e: Expanded, seq: &mut u64) -> [Option<Pending>; 2] {
        let b = e.split;
        let left_id = self.nodes.len() as u32;
        self.nodes[q.node as usize] = BinNode::Split {
            feature: b.feature,
            bin: b.bin,
            left: left_id,
            right: left_id + 1,
            gain: b.gain,
        };
        let mut out = [None, None];
        for (i, c) in e.children.into_iter().enumerate() {
            let node = left_id + i as u32;
            let (start, end) = (q.start + c.start, q.start + c.end);
            self.nodes.push(BinNode::Leaf { value: 0.0 });
            self.spans.push((start as u32, end as u32));
            let created = *seq;
            *seq += 1;
            out[i] = c.best.is_some().then_some(Pending {
                node,
                depth: q.depth + 1,
                start,
                end,
                sum: c.sum,
                hist: c.hist,
                best: c.best,
                seq: created,
            });
        }
        out
    }
}

/// Split node `q` (which has a best split) on its rows `seg`: partition them, and give each
/// child its histogram (the smaller one built, the larger one by subtraction from the
/// parent's) and best split when it may split again.
fn expand(ctx: &Ctx<'_>, q: &mut Pending, seg: &mut [u32]) -> Expanded {
    let (data, p) = (ctx.data, ctx.p);
    let b = q.best.take().expect("expanded node has a split");
    let mut buf = Vec::new();
    let nl = partition(data.cols.column(b.feature as usize), seg, b.bin, &mut buf);
    let n = seg.len();
    let (left, right) = (b.left, q.sum - b.left);
    let can_split = depth_ok(p, q.depth + 1);
    let (hist_l, hist_r) = if can_split {
        // Build the smaller child, subtract for the larger one.
        let mut parent = std::mem::take(&mut q.hist);
        let small_left = nl <= n - nl;
        let small_rows = if small_left { &seg[..nl] } else { &seg[nl..] };
        let small = build_hist(data, ctx.q, small_rows, ctx.groups);
        for (pb, sb) in parent.iter_mut().zip(&small) {
            *pb -= sb;
        }
        if small_left {
            (small, parent)
        } else {
            (parent, small)
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let child = |start: usize, end: usize, sum: i64, hist: Hist| {
        let best = if can_split {
            best_split(ctx, &hist, sum)
        } else {
            None
        };
        Child {
            start,
            end,
            sum,
            hist,
            best,
        }
    };
    let (l, r) = rayon::join(
        || child(0, nl, left, hist_l),
        || child(nl, n, right, hist_r),
    );
    Expanded {
        split: b,
        children: [l, r],
    }
}

/// A leaf's weight `-G/(H+lambda) * eta` (0 for an empty node with lambda = 0, which would
/// divide 0 by 0).
fn leaf_weight(g: f64, h: f64, p: &GrowParams) -> f64 {
    if h + p.lambda > 0.0 {
        -g / (h + p.lambda) * p.eta
    } else {
        0.0
    }
}

/// Whether a node at `depth` may split.
fn depth_ok(p: &GrowParams, depth: usize) -> bool {
    p.max_depth.is_none_or(|m| depth < m)
}

/// Leaf reached by row `r` of the binned training matrix.
#[inline]
pub fn leaf_value_binned(nodes: &[BinNode], data: &BinnedRows, r: usize) -> f64 {
    let mut i = 0usize;
    loop {
        match &nodes[i] {
            BinNode::Split {
                feature,
                bin,
                left,
                right,
                ..
            } => {
                i = if (data.code(r, *feature as usize) as u16) <= *bin {
                    *left as usize
                } else {
                    *right as usize
                };
            }
            BinNode::Leaf { value } => return *value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// `n` gradient pairs, `g` uniform in [-0.5, 0.5), `h` in [0.1, 1.1).
    fn random_pairs(rng: &mut Rng, n: usize) -> Vec<GradPair> {
        (0..n)
            .map(|_| GradPair {
                g: (rng.next_f64() - 0.5) as f32,
                h: (0.1 + rng.next_f64()) as f32,
            })
            .collect()
    }

    /// Both partition paths (one block, parallel blocks closed up) against a stable filter,
    /// on rows in increasing and in shuffled order.
    #[test]
    fn partition_is_a_stable_filter() {
        let n = 5 * PARTITION_BLOCK + 123;
        let mut rng = Rng::new(4);
        let col: Vec<u8> = (0..n).map(|_| (rng.next_f64() * 256.0) as u8).collect();
        for len in [0, 1, 1000, 2 * PARTITION_BLOCK - 1, 2 * PARTITION_BLOCK, n] {
            for shuffled in [false, true] {
                let mut rows: Vec<u32> = (0..len as u32).collect();
                if shuffled {
                    rng.shuffle(&mut rows);
                }
                for bin in [0u16, 37, 255] {
                    let left: Vec<u32> = rows
                        .iter()
                        .copied()
                        .filter(|&r| col[r as usize] as u16 <= bin)
                        .collect();
                    let right: Vec<u32> = rows
                        .iter()
                        .copied()
                        .filter(|&r| col[r as usize] as u16 > bin)
                        .collect();
                    let mut got = rows.clone();
                    let nl = partition(&col, &mut got, bin, &mut Vec::new());
                    assert_eq!(nl, left.len(), "len {len} bin {bin}");
                    assert_eq!(&got[..nl], &left[..], "len {len} bin {bin}");
                    assert_eq!(&got[nl..], &right[..], "len {len} bin {bin}");
                }
            }
        }
    }

    /// A histogram over a subset of the groups (a column sample) holds, for each of them,
    /// the bins a histogram over every group holds: with gaps filled (a dense subset) and
    /// without (a sparse one), on rows in one run and spread out (the prefetching loop).
    #[test]
    fn group_subsets_give_the_same_bins() {
        let (n, nf) = (3000, 12);
        let mut rng = Rng::new(8);
        let x = ndarray::Array2::from_shape_fn((n, nf), |_| (rng.next_f64() * 40.0).floor());
        let bins = std::sync::Arc::new(crate::binning::BinnedMatrix::build(x.view(), 255));
        let data = BinnedRows::with_bundling(bins, false);
        assert_eq!(data.n_groups, nf);
        let gh = random_pairs(&mut rng, n);
        let all_groups: Vec<u32> = (0..nf as u32).collect();
        let dense: Vec<u32> = vec![0, 1, 2, 4, 5, 6, 7, 8, 10, 11];
        let sparse: Vec<u32> = vec![1, 5, 11];
        for rows in [
            (0..n as u32).collect::<Vec<_>>(),
            (0..n as u32).step_by(7).collect(),
        ] {
            let q = Quantized::new(&gh, &rows);
            let full = build_hist(&data, &q, &rows, &all_groups);
            for groups in [&dense, &sparse] {
                let part = build_hist(&data, &q, &rows, groups);
                for &gi in groups.iter() {
                    let (lo, hi) = (data.offsets[gi as usize], data.offsets[gi as usize + 1]);
                    assert_eq!(&part[lo..hi], &full[lo..hi], "group {gi} of {groups:?}");
                }
            }
            // Not an empty comparison: most of the ~40 bins of every group hold rows.
            assert!(full.iter().filter(|&&v| v != 0).count() > nf * 30);
        }
    }

    /// Wide data are histogrammed in passes of at most `BLOCK_BINS` used bins, and the
    /// histogram is each group's per-code sum of the packed pairs, written out here.
    #[test]
    fn wide_histograms_are_built_in_blocks_and_sum_every_row() {
        let (n, nf) = (3000, 30);
        let mut rng = Rng::new(12);
        let x = ndarray::Array2::from_shape_fn((n, nf), |_| (rng.next_f64() * 256.0).floor());
        let bins = std::sync::Arc::new(crate::binning::BinnedMatrix::build(x.view(), 256));
        let data = BinnedRows::with_bundling(bins, false);
        assert!(
            data.group_codes.iter().all(|&c| c == 256),
            "{:?}",
            data.group_codes
        );
        let groups: Vec<u32> = (0..nf as u32).collect();
        assert_eq!(group_blocks(&data, &groups), vec![0..20, 20..30]);
        assert_eq!(group_blocks(&data, &groups[3..9]), vec![0..6]);
        let gh = random_pairs(&mut rng, n);
        let rows: Vec<u32> = (0..n as u32).collect();
        let q = Quantized::new(&gh, &rows);
        let hist = build_hist(&data, &q, &rows, &groups);
        let mut want = vec![0i64; data.total_bins()];
        for r in 0..n {
            for g in 0..nf {
                want[data.offsets[g] + data.codes[r * nf + g] as usize] += q.packed(r);
            }
        }
        assert_eq!(hist, want);
    }

    /// The packing kernel gives the same pairs on both builds, rounding half away from zero
    /// and clamping to the levels as 64-bit arithmetic would.
    #[test]
    fn packed_pairs_are_the_same_on_every_build() {
        let mut rng = Rng::new(6);
        let mut ps: Vec<GradPair> = (0..5003)
            .map(|_| GradPair {
                g: ((rng.next_f64() - 0.5) * 2.0) as f32,
                h: rng.next_f64() as f32,
            })
            .collect();
        // Exact halves, both signs, and stale rows beyond the levels.
        ps.extend(
            [
                (0.5, 0.5),
                (-0.5, 0.25),
                (1.5, 0.0),
                (-3.0, 7.0),
                (0.0, 1.0),
            ]
            .map(|(g, h)| GradPair {
                g: g / 1024.0,
                h: h / 1024.0,
            }),
        );
        // h up to 2^21 units against 2^20 levels: half the hessians are clamped.
        let (scale, levels) = ((1024.0 * 1024.0, 1024.0 * 2048.0), 1 << 20);
        let mut a = vec![0i64; ps.len()];
        let mut b = a.clone();
        pack_pairs(&ps, scale, levels, &mut a);
        pack_pairs_portable(&ps, scale, levels, &mut b);
        assert_eq!(a, b);
        for (p, &v) in ps.iter().zip(&a) {
            let x = p.g as f64 * scale.0;
            let l = levels as i64;
            let gq = ((x + 0.5f64.copysign(x)) as i64).clamp(-l, l);
            let hq = ((p.h as f64 * scale.1 + 0.5) as i64).clamp(0, l);
            assert_eq!(v, (gq << 32) + hq, "{p:?}");
        }
    }

    /// The bit-pattern conversions of the packed sums are exact at the extremes, the scores
    /// are the formula's (the same IEEE operations on `as` conversions), the AVX2 path gives
    /// the same bits as the portable one, and the largest score is returned.
    #[test]
    fn split_scores_are_exact_on_every_path() {
        let gs = [
            -(1i64 << 31) + 1,
            -123_456_789,
            -1,
            0,
            1,
            987_654,
            (1 << 31) - 1,
        ];
        let hs = [0i64, 1, 2, 77_777, (1 << 31) + 5, (1 << 32) - 1];
        let prefix: Vec<i64> = gs
            .iter()
            .flat_map(|&g| hs.iter().map(move |&h| (g << 32) + h))
            .collect();
        let c = ScanConsts {
            gt: -5_000.0,
            ht: 4_294_967_295.0,
            lam: 3.5,
            h_min: 2.0,
        };
        let direct: Vec<f64> = prefix
            .iter()
            .map(|&l| {
                let (gl, hl) = ((l >> 32) as f64, (l & 0xFFFF_FFFF) as f64);
                let (gr, hr) = (c.gt - gl, c.ht - hl);
                let (dl, dr) = (hl + c.lam, hr + c.lam);
                if hl >= c.h_min && hr >= c.h_min {
                    (gl * gl * dr + gr * gr * dl) / (dl * dr)
                } else {
                    -1.0
                }
            })
            .collect();
        assert!(direct.iter().filter(|&&s| s == -1.0).count() >= 2 * gs.len());
        let mut portable = vec![0.0; prefix.len()];
        let mut dispatched = vec![0.0; prefix.len()];
        let mx = split_scores_portable(&prefix, &c, &mut portable);
        let mx2 = split_scores(&prefix, &c, &mut dispatched);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&portable), bits(&direct));
        assert_eq!(bits(&dispatched), bits(&direct));
        let want = direct.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((mx, mx2), (want, want));
        // Fewer candidates than a vector, and the largest in the remainder.
        let m = split_scores(&prefix[..3], &c, &mut dispatched[..3]);
        assert_eq!(
            m,
            direct[..3]
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max)
        );
    }
}
