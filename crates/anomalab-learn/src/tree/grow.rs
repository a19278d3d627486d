//! Growing one classification tree on a [`BinnedMatrix`] (CART, histogram split search).
//!
//! The rows of the tree (the rows with a non-zero weight, e.g. the distinct rows of a
//! bootstrap sample, weighted by their multiplicity) are kept in one index array, with their
//! class and weight alongside, and each split partitions the node's range of that array in
//! place (stably, so rows stay in increasing order and column reads stay sequential;
//! without a branch, since which side a row goes to is a coin flip for the predictor).
//!
//! Split search, per candidate feature: a histogram of the node's rows by bin, holding the
//! weight of each class and the row count of each bin, is scanned from the lowest bin up;
//! every boundary between two non-empty bins is a candidate split, and the one with the
//! largest impurity decrease wins (the first one on ties). How the histogram is made
//! depends on the node:
//!
//! * all-features trees (a decision tree): a node of at least 512 rows keeps the histograms
//!   of every feature, and of its two children only the smaller one is built from its rows,
//!   the larger one being the parent's minus the smaller's ("subtraction trick"); large
//!   nodes build and scan their histograms in parallel, one feature per task, and then pick
//!   among the results in the sequential order, so the tree is the same;
//! * a feature whose most frequent bin holds at least half of the training rows skips that
//!   bin (it is the node total minus the other bins): one-hot columns cost a few rows each;
//! * a feature whose most frequent bin holds at least 90% of the training rows also has a
//!   sparse column (the rows off that bin, see [`ColumnShortcuts`], built once per matrix); a
//!   node with more than twice as many rows reads the column instead of its rows, finding
//!   which entries are its own through the position of every row in the index array (kept
//!   up to date by the partitions). Entries come in row order, as the node's rows, so the
//!   sums are the same; a rare one-hot column then costs its few entries at the root
//!   instead of every row;
//! * large nodes spread the other features' histograms over four copies, so that rows of
//!   one bin do not wait on each other's additions;
//! * small nodes (up to 48 rows) sort their codes instead: a histogram costs bins x classes
//!   to clear and scan, however few the rows;
//! * the per-feature scratch histogram is cleared by the scan as it reads each non-empty
//!   bin, not wholesale.
//!
//! The feature sampling follows scikit-learn's splitters: features are drawn without
//! replacement until `max_features` have been looked at and at least one of them was not
//! constant in the node, and features found constant in a node are not drawn again in its
//! descendants (depth-first growth only). The `Random` splitter (extra trees) draws, per
//! feature, one threshold uniformly between the smallest training value of the node's
//! lowest non-empty bin and the largest of its highest (the node's own range when bins hold
//! one value each), snapped to the bin edge at or above it, so splits stay bin splits; it
//! reads the node's codes once into a buffer (a histogram only for mostly-one-bin features),
//! and when every weight is 1 (no bootstrap, no class weights) it counts the rows of each
//! class left of the threshold in integers (two classes: two sums the compiler vectorises).
//!
//! Thresholds: the best splitter splits between the last non-empty bin `a` on the left and
//! the first non-empty bin `b` on the right; any bin edge in between splits the node's rows
//! the same way, and the edge used is the first one at or above the midpoint of the largest
//! training value of bin `a` and the smallest of bin `b`, which is scikit-learn's midpoint
//! threshold whenever the feature has at most `max_bins` distinct values.
//!
//! Exact splits (the decision tree): features whose bins hold several values are scanned
//! over the node's rows in value order instead of their histogram ([`super::exact`]), and
//! such a split partitions the rows by value.
//!
//! With `max_leaf_nodes`, nodes are expanded best-first (largest weighted impurity decrease
//! first, as scikit-learn's `BestFirstTreeBuilder`); histograms are then built per node.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::exact::{ExactColumns, ExactScan, TreeOrders};
use super::model::{LEAF, Node, Tree};
use crate::binning::BinnedMatrix;
use crate::rng::Rng;

/// Impurity criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Gini,
    /// Shannon entropy in bits (scikit-learn's "entropy" / "log_loss").
    Entropy,
}

/// How a feature's split point is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Splitter {
    /// The best boundary between bins (CART, random forest).
    Best,
    /// One random threshold per feature (extra trees).
    Random,
}

/// Everything that shapes one tree, already resolved against the data.
#[derive(Debug, Clone)]
pub(crate) struct GrowConfig {
    pub criterion: Criterion,
    pub splitter: Splitter,
    /// `usize::MAX` = unlimited.
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_impurity_decrease: f64,
    /// Number of features to look at per node, in `1..=n_features`.
    pub max_features: usize,
    /// Best-first growth with at most this many leaves.
    pub max_leaf_nodes: Option<usize>,
    /// Nodes with at least this many rows x features work in parallel (tests lower it to
    /// check that the parallel path grows the same tree).
    pub par_min_work: usize,
    /// Skip the shortcuts that must not change the tree (sparse columns, unit-weight
    /// counting): tests compare both ways.
    pub plain: bool,
}

/// A grown tree and its (unnormalised) weighted impurity decrease per feature.
pub(crate) struct Grown {
    pub tree: Tree,
    pub importances: Vec<f64>,
}

/// scikit-learn's EPSILON (`np.finfo('double').eps`).
const EPSILON: f64 = f64::EPSILON;
/// Nodes with at most this many rows are split by sorting their codes, for features with
/// more than `SORT_MIN_BINS` bins.
const SORT_MAX_ROWS: usize = 48;
const SORT_MIN_BINS: usize = 8;
/// Nodes with at least this many rows keep all feature histograms (subtraction mode).
const KEEP_HIST_MIN_ROWS: usize = 512;
/// Nodes with at least this many rows x features build and scan their histograms in
/// parallel (the default of [`GrowConfig::par_min_work`]).
pub(crate) const PAR_MIN_WORK: usize = 1 << 18;

/// Features whose most frequent bin holds at least this fraction of the training rows get
/// a [`SparseCol`].
const SPARSE_MIN_MODE_FRAC: f64 = 0.9;
/// A node reads a feature's sparse column instead of its own rows when the column has
/// fewer than `1 / SPARSE_RATIO` entries per row of the node (a sparse entry costs a random
/// read of the row's position).
const SPARSE_RATIO: usize = 2;

/// The rows of one feature that are not in its most frequent bin, in increasing order,
/// with their codes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SparseCol {
    pub rows: Vec<u32>,
    pub codes: Vec<u8>,
}

/// Read-only views of the columns of a [`BinnedMatrix`] that make some histograms cheaper,
/// built once per matrix ([`ColumnShortcuts::for_train`]):
///
/// * sparse columns of the mostly-constant features (one-hot columns, counters that are
///   nearly always 0): a node much larger than such a column builds the feature's
///   histogram from the column (the rows of the node found through their position in the
///   tree's row array) instead of reading every row of the node;
/// * bitmaps of the two-bin features (bit set = row off the most frequent bin): 1 bit per
///   row instead of a byte, so that the columns of a node's candidate features stay in the
///   processor's caches.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ColumnShortcuts {
    /// Per feature; `None` for features that are not mostly constant.
    pub sparse: Vec<Option<SparseCol>>,
    /// Per feature; `None` for features that do not have exactly two bins.
    pub bits: Vec<Option<Vec<u64>>>,
    /// The cut points of every feature in 16 blocks of 16 (`SEARCH` values per feature,
    /// padded with +inf), and the last cut point of each block: the bin of a value is
    /// then two fixed-length counts, with no chain of dependent loads (random splits).
    pub search: Vec<f64>,
    pub search_blocks: Vec<[f64; 16]>,
}

/// Padded cut points per feature in [`ColumnShortcuts::search`].
const SEARCH: usize = 256;

impl ColumnShortcuts {
    /// The bin of the finite value `t` for feature `f`: how many cut points are below it.
    #[inline]
    fn bin_of(&self, f: usize, t: f64) -> usize {
        let k: usize = self.search_blocks[f]
            .iter()
            .map(|&x| (x < t) as usize)
            .sum();
        if k == 16 {
            return SEARCH;
        }
        let block = &self.search[f * SEARCH + 16 * k..f * SEARCH + 16 * (k + 1)];
        16 * k + block.iter().map(|&x| (x < t) as usize).sum::<usize>()
    }
}

impl ColumnShortcuts {
    pub(crate) fn build(bins: &BinnedMatrix) -> ColumnShortcuts {
        let sparse = (0..bins.n_features)
            .into_par_iter()
            .map(|f| {
                let (m, frac) = bins.mode(f);
                if bins.n_bins(f) < 2 || frac < SPARSE_MIN_MODE_FRAC {
                    return None;
                }
                let mut sc = SparseCol::default();
                for (r, &b) in bins.column(f).iter().enumerate() {
                    if b != m {
                        sc.rows.push(r as u32);
                        sc.codes.push(b);
                    }
                }
                Some(sc)
            })
            .collect();
        let bits = (0..bins.n_features)
            .into_par_iter()
            .map(|f| {
                if bins.n_bins(f) != 2 {
                    return None;
                }
                let m = bins.mode(f).0;
                let mut words = vec![0u64; bins.n_rows.div_ceil(64)];
                for (r, &b) in bins.column(f).iter().enumerate() {
                    words[r / 64] |= ((b != m) as u64) << (r % 64);
                }
                Some(words)
            })
            .collect();
        let mut search = vec![f64::INFINITY; bins.n_features * SEARCH];
        let mut search_blocks = vec![[f64::INFINITY; 16]; bins.n_features];
        for f in 0..bins.n_features {
            let s = &mut search[f * SEARCH..(f + 1) * SEARCH];
            s[..bins.thresholds[f].len()].copy_from_slice(&bins.thresholds[f]);
            for (j, b) in search_blocks[f].iter_mut().enumerate() {
                *b = s[16 * j + 15];
            }
        }
        ColumnShortcuts {
            sparse,
            bits,
            search,
            search_blocks,
        }
    }

    /// The shortcuts of the training matrix `train`, built once per matrix and bin count
    /// (cache key `"shortcuts:<max_bins>"`) from its bins `bins`.
    pub(crate) fn for_train(
        train: &crate::traits::TrainSet<'_>,
        bins: &BinnedMatrix,
        max_bins: usize,
    ) -> std::sync::Arc<ColumnShortcuts> {
        let max_bins = max_bins.clamp(2, crate::binning::MAX_CODES);
        train
            .cache
            .get_or_build(&format!("shortcuts:{max_bins}"), || {
                ColumnShortcuts::build(bins)
            })
    }
}

/// Whether row `r` is off the most frequent bin, in a two-bin feature's bitmap.
#[inline(always)]
fn bit(words: &[u64], r: u32) -> usize {
    ((words[(r >> 6) as usize] >> (r & 63)) & 1) as usize
}

/// Grow a tree on the rows `rows` (increasing) of `bins`, with weight `weights[k]` for row
/// `rows[k]` (class weight x multiplicity) and classes `y` (indexed by row).
/// `shortcuts` are those of `bins` ([`ColumnShortcuts::build`]); with `exact` (of the
/// same matrix, best splitter, distinct rows only) its wide features are split exactly.
#[allow(clippy::too_many_arguments)]
pub(crate) fn grow(
    bins: &BinnedMatrix,
    shortcuts: &ColumnShortcuts,
    exact: Option<&ExactColumns>,
    y: &[u32],
    n_classes: usize,
    rows: Vec<u32>,
    weights: Vec<f64>,
    cfg: &GrowConfig,
    rng: &mut Rng,
) -> Grown {
    let mut g = Grower::new(bins, shortcuts, y, n_classes, rows, weights, cfg, rng);
    if let Some(cols) = exact.filter(|c| !c.is_empty()) {
        assert!(
            cfg.splitter == Splitter::Best && cols.slot.len() == bins.n_features,
            "exact columns need the best splitter on their own matrix"
        );
        g.exact = Some(TreeOrders::new(cols, &g.rows, &g.ws, y));
    }
    g.run();
    g.finish()
}

struct Task {
    id: usize,
    start: usize,
    end: usize,
    depth: usize,
    sums: Vec<f64>,
    w: f64,
    impurity: f64,
    n_constant: usize,
    /// Histograms of all features (subtraction mode only).
    hist: Option<Vec<f64>>,
}

impl Task {
    fn n(&self) -> usize {
        self.end - self.start
    }
}

#[derive(Debug, Clone)]
struct Best {
    found: bool,
    proxy: f64,
    feature: usize,
    /// Last non-empty bin on the left / first non-empty bin on the right.
    bin_left: usize,
    bin_right: usize,
    /// The threshold of an exact split (NaN: a split between bins).
    threshold: f64,
    left: Vec<f64>,
    n_left: usize,
}

impl Best {
    /// Keep this candidate if it is strictly better than the best so far (so the first
    /// one wins ties).
    #[inline]
    fn offer(
        &mut self,
        proxy: f64,
        feature: usize,
        bin_left: usize,
        bin_right: usize,
        left: &[f64],
        n_left: usize,
    ) {
        if proxy > self.proxy {
            self.found = true;
            self.proxy = proxy;
            self.feature = feature;
            self.bin_left = bin_left;
            self.bin_right = bin_right;
            self.threshold = f64::NAN;
            self.left.copy_from_slice(left);
            self.n_left = n_left;
        }
    }

    /// [`Best::offer`] for an exact split at `threshold`.
    fn offer_exact(&mut self, proxy: f64, feature: usize, threshold: f64, left: &[f64], n: usize) {
        if proxy > self.proxy {
            self.offer(proxy, feature, 0, 0, left, n);
            self.threshold = threshold;
        }
    }

    fn new(n_classes: usize) -> Self {
        Best {
            found: false,
            proxy: f64::NEG_INFINITY,
            feature: 0,
            bin_left: 0,
            bin_right: 0,
            threshold: f64::NAN,
            left: vec![0.0; n_classes],
            n_left: 0,
        }
    }
}

struct Split {
    feature: usize,
    bin: usize,
    /// An exact split's threshold (then `bin` is meaningless).
    threshold: Option<f64>,
    left: Vec<f64>,
    n_left: usize,
    w_left: f64,
    imp_left: f64,
    imp_right: f64,
    improvement: f64,
}

struct Grower<'a> {
    bins: &'a BinnedMatrix,
    /// The wide features' sorted rows, for exact splits (`None`: bin splits only).
    exact: Option<TreeOrders<'a>>,
    /// Sparse columns (all `None` when `cfg.plain`).
    sparse: &'a [Option<SparseCol>],
    /// Two-bin features' bitmaps (all `None`, or empty, when `cfg.plain`).
    bits: &'a [Option<Vec<u64>>],
    /// For the blocked cut point search ([`ColumnShortcuts::bin_of`]; `None` when
    /// `cfg.plain`).
    search: Option<&'a ColumnShortcuts>,
    /// Every weight is a (not too large) integer: sums in any order are exact.
    int_weights: bool,
    /// Position of each training row in `rows` (`u32::MAX` for rows not in the tree); kept
    /// up to date only when some feature has a sparse column.
    pos: Vec<u32>,
    /// Every weight is 1 (no bootstrap, no class weights): class sums are counts.
    unit: bool,
    /// Three zeroed histograms for [`feature_hist`]'s four-way accumulation.
    quad: Vec<f64>,
    /// Four sets of class counts (see [`Grower::eval_random`]).
    cnt4: Vec<u32>,
    cfg: &'a GrowConfig,
    rng: &'a mut Rng,
    c: usize,
    /// Histogram stride per bin: the class weights, then the row count.
    s: usize,
    rows: Vec<u32>,
    ys: Vec<u32>,
    ws: Vec<f64>,
    tmp_rows: Vec<u32>,
    tmp_ys: Vec<u32>,
    tmp_ws: Vec<f64>,
    /// Offset of each feature's histogram in a full histogram.
    feat_off: Vec<usize>,
    full_len: usize,
    /// Keep full histograms and use the subtraction trick.
    subtract: bool,
    features: Vec<u32>,
    constant_features: Vec<u32>,
    /// Most frequent bin of each feature and its share of the rows.
    modes: Vec<(u8, f64)>,
    /// One feature's histogram, kept all zero between uses.
    fh: Vec<f64>,
    /// The codes of a small node's rows for one feature.
    codes_buf: Vec<u8>,
    /// The codes of the best random split's feature so far, and (node, feature) they are
    /// of: the partition reads them instead of the column.
    best_codes: Vec<u8>,
    best_codes_for: Option<(usize, usize)>,
    /// Sort keys of a small node's rows (see [`Grower::eval_sorted`]).
    sort_buf: Vec<u64>,
    /// Four sets of class sums (see [`Grower::eval_random`]).
    left4: Vec<f64>,
    left: Vec<f64>,
    pool: Vec<Vec<f64>>,
    nodes: Vec<Node>,
    node_bins: Vec<u8>,
    leaf_values: Vec<f64>,
    importances: Vec<f64>,
    w_root: f64,
}

impl<'a> Grower<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        bins: &'a BinnedMatrix,
        shortcuts: &'a ColumnShortcuts,
        y: &[u32],
        n_classes: usize,
        rows: Vec<u32>,
        ws: Vec<f64>,
        cfg: &'a GrowConfig,
        rng: &'a mut Rng,
    ) -> Self {
        let c = n_classes;
        let s = c + 1;
        let nf = bins.n_features;
        let ys: Vec<u32> = rows.iter().map(|&r| y[r as usize]).collect();
        let mut feat_off = Vec::with_capacity(nf + 1);
        let mut off = 0;
        for f in 0..nf {
            feat_off.push(off);
            off += bins.n_bins(f) * s;
        }
        feat_off.push(off);
        let n = rows.len();
        let subtract = cfg.splitter == Splitter::Best
            && cfg.max_features >= nf
            && cfg.max_leaf_nodes.is_none();
        let (sparse, bits): (&[Option<SparseCol>], &[Option<Vec<u64>>]) = if cfg.plain {
            (&[], &[])
        } else {
            assert!(
                shortcuts.sparse.len() == nf && shortcuts.bits.len() == nf,
                "column shortcuts of another matrix"
            );
            let sparse: &[Option<SparseCol>] = if shortcuts.sparse.iter().any(Option::is_some) {
                &shortcuts.sparse
            } else {
                &[]
            };
            (sparse, &shortcuts.bits)
        };
        let int_weights = ws
            .iter()
            .all(|&w| w.fract() == 0.0 && w < (1u64 << 40) as f64);
        let pos = if sparse.is_empty() {
            Vec::new()
        } else {
            let mut pos = vec![u32::MAX; bins.n_rows];
            for (k, &r) in rows.iter().enumerate() {
                pos[r as usize] = k as u32;
            }
            pos
        };
        let unit = !cfg.plain && ws.iter().all(|&w| w == 1.0);
        Grower {
            bins,
            exact: None,
            sparse,
            bits,
            search: (!cfg.plain).then_some(shortcuts),
            int_weights,
            pos,
            unit,
            quad: Vec::new(),
            cnt4: vec![0; 4 * c],
            cfg,
            rng,
            c,
            s,
            tmp_rows: vec![0; n],
            tmp_ys: vec![0; n],
            tmp_ws: vec![0.0; n],
            rows,
            ys,
            ws,
            feat_off,
            full_len: off,
            subtract,
            features: (0..nf as u32).collect(),
            constant_features: (0..nf as u32).collect(),
            modes: (0..nf).map(|f| bins.mode(f)).collect(),
            fh: vec![0.0; bins.max_n_bins() * s],
            codes_buf: Vec::new(),
            best_codes: Vec::new(),
            best_codes_for: None,
            sort_buf: Vec::new(),
            left4: vec![0.0; 4 * c],
            left: vec![0.0; c],
            pool: Vec::new(),
            nodes: Vec::new(),
            node_bins: Vec::new(),
            leaf_values: Vec::new(),
            importances: vec![0.0; nf],
            w_root: 0.0,
        }
    }

    fn run(&mut self) {
        let mut sums = vec![0.0; self.c];
        for k in 0..self.rows.len() {
            sums[self.ys[k] as usize] += self.ws[k];
        }
        let w: f64 = sums.iter().sum();
        self.w_root = w;
        let impurity = self.impurity(&sums, w);
        self.alloc_nodes(1);
        let root = Task {
            id: 0,
            start: 0,
            end: self.rows.len(),
            depth: 0,
            sums,
            w,
            impurity,
            n_constant: 0,
            hist: None,
        };
        match self.cfg.max_leaf_nodes {
            None => self.depth_first(root),
            Some(max_leaves) => self.best_first(root, max_leaves),
        }
    }

    fn depth_first(&mut self, root: Task) {
        let mut stack = vec![root];
        while let Some(mut task) = stack.pop() {
            let split = if self.is_leaf_by_rules(&task) {
                None
            } else {
                self.find_split(&mut task)
            };
            match split {
                None => self.make_leaf(task),
                Some(split) => {
                    let (left, right) = self.apply_split(task, split);
                    stack.push(right);
                    stack.push(left);
                }
            }
        }
    }

    fn best_first(&mut self, mut root: Task, max_leaves: usize) {
        struct Entry {
            improvement: f64,
            seq: usize,
            task: Task,
            split: Option<Split>,
        }
        impl PartialEq for Entry {
            fn eq(&self, o: &Self) -> bool {
                self.cmp(o) == Ordering::Equal
            }
        }
        impl Eq for Entry {}
        impl PartialOrd for Entry {
            fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                Some(self.cmp(o))
            }
        }
        impl Ord for Entry {
            // Largest improvement first, then the earliest created.
            fn cmp(&self, o: &Self) -> Ordering {
                self.improvement
                    .total_cmp(&o.improvement)
                    .then(o.seq.cmp(&self.seq))
            }
        }
        let mut seq = 0;
        let mut entry = |g: &mut Self, mut task: Task| {
            // Without the depth-first stack, ancestors' constant features are not tracked.
            task.n_constant = 0;
            let split = if g.is_leaf_by_rules(&task) {
                None
            } else {
                g.find_split(&mut task)
            };
            seq += 1;
            Entry {
                improvement: split.as_ref().map_or(f64::NEG_INFINITY, |s| s.improvement),
                seq,
                task,
                split,
            }
        };
        root.n_constant = 0;
        let mut heap = BinaryHeap::new();
        heap.push(entry(self, root));
        let mut splits_left = max_leaves.saturating_sub(1);
        while let Some(e) = heap.pop() {
            match e.split {
                Some(split) if splits_left > 0 => {
                    splits_left -= 1;
                    let (left, right) = self.apply_split(e.task, split);
                    heap.push(entry(self, left));
                    heap.push(entry(self, right));
                }
                _ => self.make_leaf(e.task),
            }
        }
    }

    fn is_leaf_by_rules(&self, t: &Task) -> bool {
        let n = t.n();
        t.depth >= self.cfg.max_depth
            || n < self.cfg.min_samples_split
            || n < 2 * self.cfg.min_samples_leaf
            || t.impurity <= EPSILON
    }

    fn impurity(&self, sums: &[f64], w: f64) -> f64 {
        impurity(self.cfg.criterion, sums, w)
    }

    fn shortcut(&self, f: usize) -> Shortcut<'a> {
        Shortcut {
            sparse: self.sparse.get(f).and_then(Option::as_ref),
            bits: self.bits.get(f).and_then(|b| b.as_deref()),
        }
    }

    fn alloc_nodes(&mut self, k: usize) -> usize {
        let id = self.nodes.len();
        for _ in 0..k {
            self.nodes.push(Node {
                threshold: 0.0,
                feature: LEAF,
                child: 0,
            });
            self.node_bins.push(0);
        }
        id
    }

    fn make_leaf(&mut self, task: Task) {
        // Exact class weights of the leaf (the running sums can carry rounding residues
        // from subtractions when class weights are not integers).
        let mut v = vec![0.0; self.c];
        for k in task.start..task.end {
            v[self.ys[k] as usize] += self.ws[k];
        }
        let w: f64 = v.iter().sum();
        for x in &mut v {
            *x /= w;
        }
        let leaf = self.leaf_values.len() / self.c;
        self.leaf_values.extend_from_slice(&v);
        self.nodes[task.id] = Node {
            threshold: 0.0,
            feature: LEAF,
            child: leaf as u32,
        };
        if let Some(h) = task.hist {
            self.pool.push(h);
        }
    }

    /// Split search over sampled features (scikit-learn's loop, see the module docs).
    fn find_split(&mut self, task: &mut Task) -> Option<Split> {
        let n = task.n();
        if self.subtract && task.hist.is_none() && n >= KEEP_HIST_MIN_ROWS {
            let mut h = self.take_buffer();
            self.build_full(task.start, task.end, &task.sums, &mut h);
            task.hist = Some(h);
        }
        let nf = self.features.len();
        // Large nodes with every histogram at hand: scan all features in parallel first;
        // the draw loop below then only picks among the results, in its own order, so the
        // split is the one the sequential scan finds.
        let scanned: Option<Vec<(bool, Best)>> = match &task.hist {
            Some(h) if n * nf >= self.cfg.par_min_work && self.cfg.splitter == Splitter::Best => {
                let g = &*self;
                Some(
                    (0..nf)
                        .into_par_iter()
                        .map(|f| {
                            let mut b = Best::new(g.c);
                            let constant = match g.exact_scan(f, task) {
                                Some(ex) => g.eval_exact(f, &ex, task, &mut b),
                                None => {
                                    let hf = &h[g.feat_off[f]..g.feat_off[f + 1]];
                                    scan(hf, 0, g.bins.n_bins(f) - 1, g, task, f, &mut b)
                                }
                            };
                            (constant, b)
                        })
                        .collect(),
                )
            }
            _ => None,
        };
        let n_known = task.n_constant;
        let mut f_i = nf;
        let mut n_drawn_c = 0;
        let mut n_found_c = 0;
        let mut n_total_c = n_known;
        let mut visited = 0;
        let mut best = Best::new(self.c);
        while f_i > n_total_c
            && (visited < self.cfg.max_features || visited <= n_found_c + n_drawn_c)
        {
            visited += 1;
            let mut f_j = n_drawn_c + self.rng.below(f_i - n_found_c - n_drawn_c);
            if f_j < n_known {
                self.features.swap(n_drawn_c, f_j);
                n_drawn_c += 1;
                continue;
            }
            f_j += n_found_c;
            let f = self.features[f_j] as usize;
            let constant = match (&scanned, self.cfg.splitter) {
                (Some(done), _) => {
                    let (constant, b) = &done[f];
                    if b.found && b.proxy > best.proxy {
                        best.clone_from(b);
                    }
                    *constant
                }
                (None, Splitter::Best) => self.eval_best(f, task, &mut best),
                (None, Splitter::Random) => self.eval_random(f, task, &mut best),
            };
            if constant {
                self.features.swap(f_j, n_total_c);
                n_found_c += 1;
                n_total_c += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        // Ancestors' constants keep their order for the siblings and descendants.
        self.features[..n_known].copy_from_slice(&self.constant_features[..n_known]);
        self.constant_features[n_known..n_total_c]
            .copy_from_slice(&self.features[n_known..n_total_c]);
        task.n_constant = n_total_c;
        if !best.found {
            return None;
        }
        let f = best.feature;
        let (bin, threshold) = if best.threshold.is_nan() {
            (self.bin_between(f, best.bin_left, best.bin_right), None)
        } else {
            (0, Some(best.threshold))
        };
        let w_left: f64 = best.left.iter().sum();
        let right: Vec<f64> = task
            .sums
            .iter()
            .zip(&best.left)
            .map(|(t, l)| t - l)
            .collect();
        let w_right = task.w - w_left;
        let imp_left = self.impurity(&best.left, w_left);
        let imp_right = self.impurity(&right, w_right);
        let improvement = (task.w / self.w_root)
            * (task.impurity - w_left / task.w * imp_left - w_right / task.w * imp_right);
        if improvement + EPSILON < self.cfg.min_impurity_decrease {
            return None;
        }
        Some(Split {
            feature: f,
            bin,
            threshold,
            left: best.left,
            n_left: best.n_left,
            w_left,
            imp_left,
            imp_right,
            improvement,
        })
    }

    /// Any edge in `bin_left..bin_right` splits the node the same way: the one at or above
    /// the midpoint of the values on both sides.
    fn bin_between(&self, f: usize, bin_left: usize, bin_right: usize) -> usize {
        let thr = &self.bins.thresholds[f];
        let m = midpoint(
            self.bins.bin_max[f][bin_left],
            self.bins.bin_min[f][bin_right],
        );
        (bin_left + thr[bin_left..bin_right].partition_point(|&t| t < m)).min(bin_right - 1)
    }

    /// The node's rows of `f` in value order, when `f` is split exactly.
    fn exact_scan(&self, f: usize, task: &Task) -> Option<ExactScan<'_>> {
        let ex = self.exact.as_ref()?;
        let slot = ex.cols.slot[f]?;
        Some(ExactScan {
            order: &ex.orders[slot][task.start..task.end],
            weight: ex.weight.as_deref(),
        })
    }

    /// Best exact split of feature `f` (scikit-learn's candidates and midpoints); returns
    /// whether `f` is constant in the node.
    fn eval_exact(&self, f: usize, ex: &ExactScan<'_>, task: &Task, best: &mut Best) -> bool {
        if ex.constant() {
            return true;
        }
        let crit = self.cfg.criterion;
        let mut left = vec![0.0; self.c];
        ex.for_each_candidate(
            &mut left,
            self.cfg.min_samples_leaf,
            |l, w_l, n_l, v, next| {
                let proxy = proxy(crit, l, w_l, &task.sums, task.w);
                if proxy > best.proxy {
                    let m = midpoint(v, next);
                    best.offer_exact(proxy, f, if m < next { m } else { v }, l, n_l);
                }
            },
        );
        false
    }

    /// Best split of feature `f` in the node; returns whether `f` is constant there.
    fn eval_best(&mut self, f: usize, task: &Task, best: &mut Best) -> bool {
        if let Some(ex) = self.exact_scan(f, task) {
            return self.eval_exact(f, &ex, task, best);
        }
        let nb = self.bins.n_bins(f);
        let s = self.s;
        if let Some(h) = &task.hist {
            let h = &h[self.feat_off[f]..self.feat_off[f + 1]];
            return scan(h, 0, nb - 1, self, task, f, best);
        }
        let (start, end) = (task.start, task.end);
        if end - start <= SORT_MAX_ROWS && nb > SORT_MIN_BINS {
            return self.eval_sorted(f, task, best);
        }
        let col = self.bins.column(f);
        let mut fh = std::mem::take(&mut self.fh);
        let nr = NodeRows {
            rows: &self.rows[start..end],
            ys: &self.ys[start..end],
            ws: &self.ws[start..end],
            sums: &task.sums,
            s,
            c: self.c,
            start,
            pos: &self.pos,
            int_weights: self.int_weights,
        };
        let (lo, hi) = if (end - start) * 2 < nb {
            // Small node: one pass finds the range of its codes too, and only that range
            // is scanned and cleared.
            accumulate_range(col, &nr, &mut fh)
        } else {
            let sc = self.shortcut(f);
            let h = &mut fh[..nb * s];
            feature_hist(col, nb, self.modes[f], sc, &nr, h, &mut self.quad);
            (0, nb - 1)
        };
        let constant = if lo == hi {
            fh[lo * s..(lo + 1) * s].fill(0.0);
            true
        } else {
            scan(&mut fh[..], lo, hi, self, task, f, best)
        };
        // A skipped most frequent bin may hold a rounding residue even when empty.
        let m = self.modes[f].0 as usize;
        if m < nb {
            fh[m * s..(m + 1) * s].fill(0.0);
        }
        debug_assert!(fh.iter().all(|&v| v == 0.0));
        self.fh = fh;
        constant
    }

    /// [`Grower::eval_best`] for a small node: its rows sorted by code instead of a
    /// histogram (whose clearing and scanning cost `bins x classes` however few the rows).
    /// The candidates and their order are the histogram scan's.
    fn eval_sorted(&mut self, f: usize, task: &Task, best: &mut Best) -> bool {
        let (start, end) = (task.start, task.end);
        let n = end - start;
        let col = self.bins.column(f);
        // Code in the high bits, position in the node in the low bits: sorting keeps rows
        // of one code in row order.
        let keys = &mut self.sort_buf;
        keys.clear();
        keys.extend(
            self.rows[start..end]
                .iter()
                .enumerate()
                .map(|(k, &r)| (col[r as usize] as u64) << 32 | k as u64),
        );
        keys.sort_unstable();
        let code = |key: u64| (key >> 32) as usize;
        if code(keys[0]) == code(keys[n - 1]) {
            return true;
        }
        let msl = self.cfg.min_samples_leaf;
        let crit = self.cfg.criterion;
        let left = &mut self.left;
        left.fill(0.0);
        let mut w_left = 0.0;
        for (j, &key) in keys.iter().enumerate() {
            let k = start + (key & 0xFFFF_FFFF) as usize;
            left[self.ys[k] as usize] += self.ws[k];
            w_left += self.ws[k];
            let n_left = j + 1;
            let Some(&next) = keys.get(j + 1) else { break };
            if code(next) == code(key) {
                continue;
            }
            if n - n_left < msl {
                break;
            }
            if n_left >= msl {
                let proxy = proxy(crit, left, w_left, &task.sums, task.w);
                best.offer(proxy, f, code(key), code(next), left, n_left);
            }
        }
        false
    }

    /// One random split of feature `f`; returns whether `f` is constant in the node.
    fn eval_random(&mut self, f: usize, task: &Task, best: &mut Best) -> bool {
        let (start, end) = (task.start, task.end);
        let n = end - start;
        let nb = self.bins.n_bins(f);
        let c = self.c;
        let col = self.bins.column(f);
        // A feature mostly in one bin (one-hot columns) and a node large enough for its
        // histogram (bins x classes to fill, scan and clear): a histogram that skips that
        // bin gives the range and the sums on both sides in one cheap pass.
        if n >= nb * self.s && self.modes[f].1 >= SKIP_MODE_MIN_FRAC {
            return self.eval_random_hist(f, task, best);
        }
        // Otherwise the node's codes once into a contiguous buffer: their range, then the
        // class weights left of the drawn threshold.
        self.codes_buf.clear();
        self.codes_buf
            .extend(self.rows[start..end].iter().map(|&r| col[r as usize]));
        let (lo, hi) = code_range(&self.codes_buf);
        if lo >= hi {
            return true;
        }

        let bin = self.draw_bin(f, lo, hi);
        let ys = &self.ys[start..end];
        let codes = &self.codes_buf;
        let left = &mut self.left;
        let n_left = if self.unit && c == 2 {
            // Unit weights, two classes (labels 0 and 1): two counts, in vector registers.
            let b = bin as u8;
            let (mut nl, mut ones) = (0u32, 0u32);
            for (&code, &y) in codes.iter().zip(ys) {
                let l = (code <= b) as u32;
                nl += l;
                ones += l & y;
            }
            left[0] = (nl - ones) as f64;
            left[1] = ones as f64;
            nl as usize
        } else if self.unit {
            // Unit weights: class counts, over four sets in turn (as below).
            let b = bin as u8;
            let cnt = &mut self.cnt4;
            cnt.fill(0);
            let mut nl = 0u32;
            for (j, (&code, &y)) in codes.iter().zip(ys).enumerate() {
                let l = (code <= b) as u32;
                nl += l;
                cnt[(j & 3) * c + y as usize] += l;
            }
            for (cl, l) in left.iter_mut().enumerate() {
                *l = (cnt[cl] + cnt[c + cl] + cnt[2 * c + cl] + cnt[3 * c + cl]) as f64;
            }
            nl as usize
        } else {
            // Without a branch, and over four sets of sums in turn, so that consecutive
            // rows of one class do not wait on each other's additions.
            let acc = &mut self.left4;
            acc.fill(0.0);
            let mut n_left = 0usize;
            let ws = &self.ws[start..end];
            for (j, ((&code, &y), &w)) in codes.iter().zip(ys).zip(ws).enumerate() {
                let goes_left = (code as usize <= bin) as usize;
                n_left += goes_left;
                acc[(j & 3) * c + y as usize] += w * goes_left as f64;
            }
            for (cl, l) in left.iter_mut().enumerate() {
                *l = acc[cl] + acc[c + cl] + acc[2 * c + cl] + acc[3 * c + cl];
            }
            n_left
        };
        let before = best.proxy;
        self.offer_random(f, bin, n_left, task, best);
        if best.proxy != before {
            std::mem::swap(&mut self.codes_buf, &mut self.best_codes);
            self.best_codes_for = Some((task.id, f));
        }
        false
    }

    /// [`Grower::eval_random`] through a histogram that skips the feature's most frequent
    /// bin.
    fn eval_random_hist(&mut self, f: usize, task: &Task, best: &mut Best) -> bool {
        let (start, end) = (task.start, task.end);
        let nb = self.bins.n_bins(f);
        let (s, c) = (self.s, self.c);
        let mut fh = std::mem::take(&mut self.fh);
        let nr = NodeRows {
            rows: &self.rows[start..end],
            ys: &self.ys[start..end],
            ws: &self.ws[start..end],
            sums: &task.sums,
            s,
            c,
            start,
            pos: &self.pos,
            int_weights: self.int_weights,
        };
        feature_hist(
            self.bins.column(f),
            nb,
            self.modes[f],
            self.shortcut(f),
            &nr,
            &mut fh[..nb * s],
            &mut self.quad,
        );
        let nonempty = |b: &usize| fh[b * s + c] != 0.0;
        let lo = (0..nb).find(nonempty).unwrap_or(0);
        let hi = (0..nb).rev().find(nonempty).unwrap_or(0);
        let constant = lo >= hi;
        if !constant {
            let bin = self.draw_bin(f, lo, hi);
            let left = &mut self.left;
            left.fill(0.0);
            let mut n_left = 0usize;
            for b in lo..=bin {
                let h = &fh[b * s..(b + 1) * s];
                for (l, &v) in left.iter_mut().zip(&h[..c]) {
                    *l += v;
                }
                n_left += h[c] as usize;
            }
            self.offer_random(f, bin, n_left, task, best);
        }
        // The whole histogram: the skipped bin may hold a rounding residue even when empty.
        fh[..nb * s].fill(0.0);
        self.fh = fh;
        constant
    }

    /// The bin-space threshold of a random split of feature `f`, whose node values span
    /// bins `lo < hi` (see the module documentation).
    fn draw_bin(&mut self, f: usize, lo: usize, hi: usize) -> usize {
        let vlo = self.bins.bin_min[f][lo];
        let vhi = self.bins.bin_max[f][hi];
        let mut t = vlo + self.rng.next_f64() * (vhi - vlo);
        if t == vhi {
            t = vlo;
        }
        if t.is_finite() {
            // The bin of `t` (cut points below it): those before `lo` are all below
            // `vlo <= t`, those from `hi` on all at or above `vhi > t`, so only the cut
            // points in between are searched.
            let below = match self.search {
                Some(sc) => sc.bin_of(f, t),
                None => {
                    let thr = &self.bins.thresholds[f][lo..hi];
                    lo + thr.partition_point(|&x| x < t)
                }
            };
            below.clamp(lo, hi - 1)
        } else {
            lo + self.rng.below(hi - lo)
        }
    }

    /// Compare a random split (class weights on the left in `self.left`) with the best so
    /// far.
    fn offer_random(&mut self, f: usize, bin: usize, n_left: usize, task: &Task, best: &mut Best) {
        let msl = self.cfg.min_samples_leaf;
        if n_left < msl || task.n() - n_left < msl {
            return;
        }
        let left = &self.left;
        let w_left: f64 = left.iter().sum();
        let proxy = proxy(self.cfg.criterion, left, w_left, &task.sums, task.w);
        best.offer(proxy, f, bin, bin + 1, left, n_left);
    }

    /// Partition the node's rows and create the two children (with histograms when the
    /// subtraction trick pays).
    fn apply_split(&mut self, task: Task, split: Split) -> (Task, Task) {
        let f = split.feature;
        let bin = split.bin as u8;
        let child = self.alloc_nodes(2);
        self.nodes[task.id] = Node {
            threshold: split
                .threshold
                .unwrap_or_else(|| self.bins.threshold(f, bin)),
            feature: f as u32,
            child: child as u32,
        };
        // An exact split has no bin: `leaf_binned` is for forests, which never have one.
        self.node_bins[task.id] = if split.threshold.is_some() {
            u8::MAX
        } else {
            bin
        };
        let w_right = task.w - split.w_left;
        self.importances[f] +=
            task.w * task.impurity - split.w_left * split.imp_left - w_right * split.imp_right;
        let l = self.partition_node(&task, &split);
        let (start, end) = (task.start, task.end);
        if let Some(ex) = &mut self.exact {
            ex.split(start, end, &self.rows[start..start + l]);
        }
        let l = start + l;
        self.children(task, split, child, l)
    }

    /// Partition the node's rows by the split; returns the number of left rows.
    fn partition_node(&mut self, task: &Task, split: &Split) -> usize {
        let f = split.feature;
        let bin = split.bin as u8;
        // Stable partition: left rows stay in place, right rows go through the scratch
        // (see `partition`). The codes come from the split search's buffer when it still
        // holds this node's codes of the feature (random splits), else from the column.
        let (start, end) = (task.start, task.end);
        let col = self.bins.column(f);
        let n = end - start;
        let rows = &mut self.rows[start..end];
        let ys = &mut self.ys[start..end];
        let ws = &mut self.ws[start..end];
        let (tr, ty, tw) = (
            &mut self.tmp_rows[..n],
            &mut self.tmp_ys[..n],
            &mut self.tmp_ws[..n],
        );
        let saved = self.best_codes_for == Some((task.id, f)) && self.best_codes.len() == n;
        let codes = &self.best_codes;
        let words = self.bits.get(f).and_then(|b| b.as_deref());
        let m = self.modes[f].0 as usize;
        let exact = split.threshold.and_then(|t| {
            let ex = self.exact.as_ref()?;
            Some((&ex.cols.values[ex.cols.slot[f]?], t))
        });
        if let Some((vals, t)) = exact {
            let l = if self.unit {
                partition::<false>(rows, ys, ws, tr, ty, tw, |_, r| vals[r as usize] <= t)
            } else {
                partition::<true>(rows, ys, ws, tr, ty, tw, |_, r| vals[r as usize] <= t)
            };
            debug_assert_eq!(l, split.n_left);
            self.update_pos(start, end);
            return l;
        }
        // Unit weights stay all 1 whatever the order: they need not move.
        let l = match (saved, words, self.unit) {
            (true, _, true) => partition::<false>(rows, ys, ws, tr, ty, tw, |k, _| codes[k] <= bin),
            (true, _, false) => partition::<true>(rows, ys, ws, tr, ty, tw, |k, _| codes[k] <= bin),
            // Two bins: the code is the most frequent bin, or the other one.
            (false, Some(wd), true) => partition::<false>(rows, ys, ws, tr, ty, tw, |_, r| {
                (m ^ bit(wd, r)) as u8 <= bin
            }),
            (false, Some(wd), false) => partition::<true>(rows, ys, ws, tr, ty, tw, |_, r| {
                (m ^ bit(wd, r)) as u8 <= bin
            }),
            (false, None, true) => {
                partition::<false>(rows, ys, ws, tr, ty, tw, |_, r| col[r as usize] <= bin)
            }
            (false, None, false) => {
                partition::<true>(rows, ys, ws, tr, ty, tw, |_, r| col[r as usize] <= bin)
            }
        };
        self.best_codes_for = None;
        debug_assert_eq!(l, split.n_left);
        self.update_pos(start, end);
        l
    }

    /// Keep the positions of the rows `start..end` up to date (sparse columns read them).
    fn update_pos(&mut self, start: usize, end: usize) {
        if !self.pos.is_empty() {
            for (k, &row) in self.rows[start..end].iter().enumerate() {
                self.pos[row as usize] = (start + k) as u32;
            }
        }
    }

    /// The two children of a split node whose left rows end at `l`.
    fn children(&mut self, mut task: Task, split: Split, child: usize, l: usize) -> (Task, Task) {
        let (start, end) = (task.start, task.end);
        let w_right = task.w - split.w_left;
        let right_sums: Vec<f64> = task
            .sums
            .iter()
            .zip(&split.left)
            .map(|(t, l)| t - l)
            .collect();
        let mut left = Task {
            id: child,
            start,
            end: l,
            depth: task.depth + 1,
            sums: split.left,
            w: split.w_left,
            impurity: split.imp_left,
            n_constant: task.n_constant,
            hist: None,
        };
        let mut right = Task {
            id: child + 1,
            start: l,
            end,
            depth: task.depth + 1,
            sums: right_sums,
            w: w_right,
            impurity: split.imp_right,
            n_constant: task.n_constant,
            hist: None,
        };
        if let Some(mut parent) = task.hist.take() {
            let left_smaller = left.n() <= right.n();
            let (small, large) = if left_smaller {
                (&mut left, &mut right)
            } else {
                (&mut right, &mut left)
            };
            if large.n() >= KEEP_HIST_MIN_ROWS && !self.is_leaf_by_rules(large) {
                let mut h = self.take_buffer();
                self.build_full(small.start, small.end, &small.sums, &mut h);
                for (p, s) in parent.iter_mut().zip(&h) {
                    *p -= s;
                }
                large.hist = Some(parent);
                if small.n() >= KEEP_HIST_MIN_ROWS && !self.is_leaf_by_rules(small) {
                    small.hist = Some(h);
                } else {
                    self.pool.push(h);
                }
            } else {
                self.pool.push(parent);
            }
        }
        (left, right)
    }

    fn take_buffer(&mut self) -> Vec<f64> {
        match self.pool.pop() {
            Some(mut b) => {
                b.fill(0.0);
                b
            }
            None => vec![0.0; self.full_len],
        }
    }

    /// Histograms of every feature over the rows `start..end` into `h` (all zero).
    fn build_full(&self, start: usize, end: usize, sums: &[f64], h: &mut [f64]) {
        let nr = NodeRows {
            rows: &self.rows[start..end],
            ys: &self.ys[start..end],
            ws: &self.ws[start..end],
            sums,
            s: self.s,
            c: self.c,
            start,
            pos: &self.pos,
            int_weights: self.int_weights,
        };
        let nf = self.bins.n_features;
        let mut slices: Vec<&mut [f64]> = Vec::with_capacity(nf);
        let mut rest = h;
        for f in 0..nf {
            let (a, b) = rest.split_at_mut(self.feat_off[f + 1] - self.feat_off[f]);
            slices.push(a);
            rest = b;
        }
        let one = |quad: &mut Vec<f64>, (f, hf): (usize, &mut &mut [f64])| {
            feature_hist(
                self.bins.column(f),
                self.bins.n_bins(f),
                self.modes[f],
                self.shortcut(f),
                &nr,
                hf,
                quad,
            )
        };
        if nr.rows.len() * nf >= self.cfg.par_min_work {
            slices
                .par_iter_mut()
                .enumerate()
                .for_each_init(Vec::new, one);
        } else {
            let mut quad = Vec::new();
            for item in slices.iter_mut().enumerate() {
                one(&mut quad, item);
            }
        }
    }

    fn finish(mut self) -> Grown {
        // Number the leaves in node order, so that a tree is one canonical value (and
        // decodes back equal after `save`).
        let c = self.c;
        let mut values = Vec::with_capacity(self.leaf_values.len());
        for n in &mut self.nodes {
            if n.feature == LEAF {
                let old = n.child as usize;
                n.child = (values.len() / c) as u32;
                values.extend_from_slice(&self.leaf_values[old * c..(old + 1) * c]);
            }
        }
        Grown {
            tree: Tree {
                nodes: self.nodes,
                bins: self.node_bins,
                leaf_values: values,
                n_classes: c,
            },
            importances: self.importances,
        }
    }
}

/// Stable partition of a node's rows (and their classes, and weights when `W`) by
/// `goes_left(position in the node, row)`: the left rows stay in place, in order, the
/// right ones follow them through the scratch `tr`, `ty`, `tw`. Returns the number of left
/// rows. Without a branch (which way a row goes is a coin flip for the predictor): every
/// row is written to both sides, and only its side's cursor moves on.
#[inline(always)]
fn partition<const W: bool>(
    rows: &mut [u32],
    ys: &mut [u32],
    ws: &mut [f64],
    tr: &mut [u32],
    ty: &mut [u32],
    tw: &mut [f64],
    goes_left: impl Fn(usize, u32) -> bool,
) -> usize {
    let n = rows.len();
    let mut l = 0;
    let mut r = 0;
    for k in 0..n {
        let (row, y) = (rows[k], ys[k]);
        let left = goes_left(k, row);
        // `l <= k`: the row at `l` was already read.
        rows[l] = row;
        ys[l] = y;
        tr[r] = row;
        ty[r] = y;
        if W {
            let w = ws[k];
            ws[l] = w;
            tw[r] = w;
        }
        l += left as usize;
        r += !left as usize;
    }
    rows[l..].copy_from_slice(&tr[..r]);
    ys[l..].copy_from_slice(&ty[..r]);
    if W {
        ws[l..].copy_from_slice(&tw[..r]);
    }
    l
}

/// A node's rows, with their classes and weights, and the node's class totals.
struct NodeRows<'r> {
    rows: &'r [u32],
    ys: &'r [u32],
    ws: &'r [f64],
    sums: &'r [f64],
    /// Histogram stride (classes + 1) and number of classes.
    s: usize,
    c: usize,
    /// Where the node's rows start in the tree's row array, and the position there of
    /// every training row (for sparse columns; empty when there are none).
    start: usize,
    pos: &'r [u32],
    /// Every weight is an integer (see [`Grower::int_weights`]).
    int_weights: bool,
}

/// A feature's column shortcuts (see [`ColumnShortcuts`]).
#[derive(Clone, Copy, Default)]
struct Shortcut<'s> {
    sparse: Option<&'s SparseCol>,
    bits: Option<&'s [u64]>,
}

/// Features whose most frequent bin holds at least this fraction of the rows skip that
/// bin when building histograms (it is the node total minus the other bins).
const SKIP_MODE_MIN_FRAC: f64 = 0.5;
/// Nodes with at least this many rows spread the histogram over four copies, so that runs
/// of rows in the same bin do not wait on each other's additions.
const QUAD_MIN_ROWS: usize = 2048;

/// Histogram of one feature (`nb` bins, `mode` = its most frequent bin and that bin's
/// share of the training rows, `sc` = its shortcuts) over the node's rows, added to `out`
/// (all zero). `quad` is scratch space, all zero between calls.
fn feature_hist(
    col: &[u8],
    nb: usize,
    mode: (u8, f64),
    sc: Shortcut<'_>,
    nr: &NodeRows<'_>,
    out: &mut [f64],
    quad: &mut Vec<f64>,
) {
    let n = nr.rows.len();
    let (s, c) = (nr.s, nr.c);
    if mode.1 >= SKIP_MODE_MIN_FRAC && n >= nb {
        let m = mode.0 as usize;
        match (sc.sparse, sc.bits) {
            (Some(sp), _) if sp.rows.len() * SPARSE_RATIO < n => {
                // The column's rows that are in the node, in increasing row order like the
                // node's own rows, so the sums are the same.
                let start = nr.start as u32;
                for (&r, &b) in sp.rows.iter().zip(&sp.codes) {
                    let k = nr.pos[r as usize].wrapping_sub(start) as usize;
                    if k < n {
                        let base = b as usize * s;
                        out[base + nr.ys[k] as usize] += nr.ws[k];
                        out[base + c] += 1.0;
                    }
                }
            }
            (_, Some(words)) if nb == 2 && nr.int_weights && c < 16 && n >= 64 => {
                // Two bins: the other bin's sums, from the bitmap, without a branch, over
                // four sets of sums in turn (integer sums: the order does not matter).
                let mut acc = [[0.0f64; 16]; 4];
                let rows = nr.rows.iter().zip(nr.ys).zip(nr.ws);
                for (j, ((&r, &y), &w)) in rows.enumerate() {
                    let off = bit(words, r) as f64;
                    let a = &mut acc[j & 3];
                    a[y as usize] += w * off;
                    a[c] += off;
                }
                let other = &mut out[(1 - m) * s..(2 - m) * s];
                for (k, o) in other.iter_mut().enumerate() {
                    *o = acc[0][k] + acc[1][k] + acc[2][k] + acc[3][k];
                }
            }
            (_, Some(words)) if nb == 2 => {
                let base = (1 - m) * s;
                for ((&r, &y), &w) in nr.rows.iter().zip(nr.ys).zip(nr.ws) {
                    if bit(words, r) == 1 {
                        out[base + y as usize] += w;
                        out[base + c] += 1.0;
                    }
                }
            }
            _ => {
                for ((&r, &y), &w) in nr.rows.iter().zip(nr.ys).zip(nr.ws) {
                    let b = col[r as usize] as usize;
                    if b != m {
                        let base = b * s;
                        out[base + y as usize] += w;
                        out[base + c] += 1.0;
                    }
                }
            }
        }
        // The skipped bin: node totals minus the other bins (each sum in bin order).
        let mut rest_buf = [0.0f64; 17];
        let mut rest_vec;
        let rest: &mut [f64] = if s <= 17 {
            &mut rest_buf[..s]
        } else {
            rest_vec = vec![0.0; s];
            &mut rest_vec
        };
        for (b, h) in out.chunks_exact(s).enumerate() {
            if b != m {
                for (r, &v) in rest.iter_mut().zip(h) {
                    *r += v;
                }
            }
        }
        for (k, (o, &r)) in out[m * s..(m + 1) * s]
            .iter_mut()
            .zip(rest.iter())
            .enumerate()
        {
            let total = if k < c { nr.sums[k] } else { n as f64 };
            *o = (total - r).max(0.0);
        }
    } else if n >= QUAD_MIN_ROWS {
        let len = nb * s;
        if quad.len() < 3 * len {
            quad.resize(3 * len, 0.0);
        }
        let (h1, rest) = quad[..3 * len].split_at_mut(len);
        let (h2, h3) = rest.split_at_mut(len);
        #[inline(always)]
        fn add(h: &mut [f64], b: u8, y: u32, w: f64, s: usize, c: usize) {
            let base = b as usize * s;
            h[base + y as usize] += w;
            h[base + c] += 1.0;
        }
        let quads = n / 4;
        let (rows, ys, ws) = (nr.rows, nr.ys, nr.ws);
        for q in 0..quads {
            let k = 4 * q;
            let (r, y, w) = (&rows[k..k + 4], &ys[k..k + 4], &ws[k..k + 4]);
            add(out, col[r[0] as usize], y[0], w[0], s, c);
            add(h1, col[r[1] as usize], y[1], w[1], s, c);
            add(h2, col[r[2] as usize], y[2], w[2], s, c);
            add(h3, col[r[3] as usize], y[3], w[3], s, c);
        }
        for k in 4 * quads..n {
            add(out, col[rows[k] as usize], ys[k], ws[k], s, c);
        }
        // Merge, and leave the scratch zeroed.
        for (i, o) in out.iter_mut().enumerate() {
            *o += h1[i] + h2[i] + h3[i];
            h1[i] = 0.0;
            h2[i] = 0.0;
            h3[i] = 0.0;
        }
    } else {
        accumulate(col, nr.rows, nr.ys, nr.ws, s, c, out);
    }
}

/// Smallest and largest code (a form the compiler turns into vector instructions).
#[inline]
fn code_range(codes: &[u8]) -> (usize, usize) {
    let lo = codes.iter().fold(u8::MAX, |a, &b| a.min(b));
    let hi = codes.iter().fold(0u8, |a, &b| a.max(b));
    if codes.is_empty() {
        (0, 0)
    } else {
        (lo as usize, hi as usize)
    }
}

/// Add a small node's rows to the histogram of one feature; returns the lowest and
/// highest code seen.
fn accumulate_range(col: &[u8], nr: &NodeRows<'_>, h: &mut [f64]) -> (usize, usize) {
    let (s, c) = (nr.s, nr.c);
    let mut lo = u8::MAX;
    let mut hi = 0u8;
    for ((&r, &y), &w) in nr.rows.iter().zip(nr.ys).zip(nr.ws) {
        let b = col[r as usize];
        lo = lo.min(b);
        hi = hi.max(b);
        let base = b as usize * s;
        h[base + y as usize] += w;
        h[base + c] += 1.0;
    }
    (lo as usize, hi as usize)
}

/// Add rows to the histogram of one feature.
#[inline]
fn accumulate(col: &[u8], rows: &[u32], ys: &[u32], ws: &[f64], s: usize, c: usize, h: &mut [f64]) {
    for ((&r, &y), &w) in rows.iter().zip(ys).zip(ws) {
        let base = col[r as usize] as usize * s;
        h[base + y as usize] += w;
        h[base + c] += 1.0;
    }
}

/// A feature's histogram as [`scan`] reads it: kept (read only), or scratch that the scan
/// leaves all zero behind it.
trait ScanHist {
    fn bin(&self, b: usize, s: usize) -> &[f64];
    /// Zero bins `from..to`.
    fn clear(&mut self, from: usize, to: usize, s: usize);
}

impl ScanHist for &[f64] {
    #[inline(always)]
    fn bin(&self, b: usize, s: usize) -> &[f64] {
        &self[b * s..(b + 1) * s]
    }
    #[inline(always)]
    fn clear(&mut self, _: usize, _: usize, _: usize) {}
}

impl ScanHist for &mut [f64] {
    #[inline(always)]
    fn bin(&self, b: usize, s: usize) -> &[f64] {
        &self[b * s..(b + 1) * s]
    }
    #[inline(always)]
    fn clear(&mut self, from: usize, to: usize, s: usize) {
        self[from * s..to * s].fill(0.0);
    }
}

/// Scan the bins `lo..=hi` of one feature's histogram for the best boundary; returns
/// whether the feature is constant in the node (a single non-empty bin). A scratch
/// histogram is cleared as it is read: every non-empty bin, and from an early stop on
/// (empty bins hold zeros, except perhaps a skipped most frequent bin, see
/// [`Grower::eval_best`]).
#[allow(clippy::too_many_arguments)]
fn scan<H: ScanHist>(
    mut h: H,
    lo: usize,
    hi: usize,
    g: &Grower<'_>,
    task: &Task,
    f: usize,
    best: &mut Best,
) -> bool {
    let s = g.s;
    let c = g.c;
    let n = task.n();
    let msl = g.cfg.min_samples_leaf;
    let crit = g.cfg.criterion;
    let mut left = [0.0f64; 16];
    let mut left_vec;
    let left: &mut [f64] = if c <= 16 {
        &mut left[..c]
    } else {
        left_vec = vec![0.0; c];
        &mut left_vec
    };
    let mut n_left = 0usize;
    let mut w_left = 0.0;
    let mut prev: Option<usize> = None;
    for b in lo..=hi {
        let bin = h.bin(b, s);
        if bin[c] == 0.0 {
            continue;
        }
        let cnt = bin[c] as usize;
        if let Some(p) = prev {
            if n - n_left < msl {
                // At least two non-empty bins: not constant.
                h.clear(b, hi + 1, s);
                return false;
            }
            if n_left >= msl {
                let proxy = proxy(crit, left, w_left, &task.sums, task.w);
                best.offer(proxy, f, p, b, left, n_left);
            }
        } else if cnt == n {
            // Every row is in the first non-empty bin.
            h.clear(b, b + 1, s);
            return true;
        }
        let bin = h.bin(b, s);
        for (l, &v) in left.iter_mut().zip(&bin[..c]) {
            *l += v;
            w_left += v;
        }
        n_left += cnt;
        prev = Some(b);
        h.clear(b, b + 1, s);
    }
    false
}

/// A quantity whose order over the candidate splits of a node is the order of their
/// impurity decrease (scikit-learn's "proxy impurity improvement").
#[inline]
fn proxy(crit: Criterion, left: &[f64], w_left: f64, tot: &[f64], w: f64) -> f64 {
    let w_right = w - w_left;
    match crit {
        Criterion::Gini => {
            let mut sl = 0.0;
            let mut sr = 0.0;
            for (&l, &t) in left.iter().zip(tot) {
                let r = t - l;
                sl += l * l;
                sr += r * r;
            }
            sl / w_left + sr / w_right
        }
        Criterion::Entropy => {
            // -(w_l H_l + w_r H_r), with w H = w log w - sum_c n_c log n_c.
            let mut acc = 0.0;
            for (&l, &t) in left.iter().zip(tot) {
                let r = t - l;
                if l > 0.0 {
                    acc += l * l.log2();
                }
                if r > 0.0 {
                    acc += r * r.log2();
                }
            }
            acc - w_left * w_left.log2() - w_right * w_right.log2()
        }
    }
}

/// Impurity of a node with class weights `sums` (total `w`).
pub(crate) fn impurity(crit: Criterion, sums: &[f64], w: f64) -> f64 {
    if w <= 0.0 {
        return 0.0;
    }
    match crit {
        Criterion::Gini => 1.0 - sums.iter().map(|&x| (x / w) * (x / w)).sum::<f64>(),
        Criterion::Entropy => -sums
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| (x / w) * (x / w).log2())
            .sum::<f64>(),
    }
}

/// Midpoint of `lo <= hi`, or `lo` when it is not finite.
fn midpoint(lo: f64, hi: f64) -> f64 {
    let m = lo * 0.5 + hi * 0.5;
    if m.is_finite() { m } else { lo }
}
