//! Fitted trees as flat arrays, their prediction, and their compact encoding.
//!
//! In memory a tree is a `Vec<Node>` of 16-byte nodes (feature, child, threshold): the two
//! children of a split are stored next to each other (`right = left + 1`), so a split
//! node keeps one child index; a leaf keeps the index of its class-probability row.
//!
//! On disk ([`PackedTrees`], encoded with postcard) every node is a few bytes: `feature + 1`
//! (0 for a leaf) and the child index as varints, the split's bin as one byte, and the index
//! of its threshold in a table of the distinct thresholds of the model. Identical leaf
//! probability rows are stored once for the whole model (after a full-depth forest most
//! leaves are pure, so a handful of rows serve thousands of leaves). Thresholds and
//! probabilities are kept as `f64`, so a loaded model predicts bit for bit like the
//! fitted one.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::binning::BinnedMatrix;

/// Rows walked down a tree together at prediction time.
const LANES: usize = 8;

/// `Node::feature` of a leaf.
pub(crate) const LEAF: u32 = u32::MAX;

/// One node. For a split, rows with `x[feature] <= threshold` (NaN: never) go to `child`,
/// the others to `child + 1`. For a leaf (`feature == LEAF`), `child` is its row in
/// [`Tree::leaf_values`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Node {
    pub threshold: f64,
    pub feature: u32,
    pub child: u32,
}

/// A fitted classification tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// Per node, the bin of its split on the training bins (`code <= bin` goes left; 0 for
    /// leaves): used to route training rows (out-of-bag predictions) without thresholds.
    pub bins: Vec<u8>,
    /// Class probabilities of each leaf, `n_classes` per leaf, rows sum to 1.
    pub leaf_values: Vec<f64>,
    pub n_classes: usize,
}

impl Tree {
    /// Leaf row of a raw feature row.
    #[inline]
    pub fn leaf(&self, row: &[f64]) -> usize {
        let mut i = 0usize;
        loop {
            let n = self.nodes[i];
            if n.feature == LEAF {
                return n.child as usize;
            }
            // NaN compares false, so it goes right.
            let go_left = row[n.feature as usize] <= n.threshold;
            i = n.child as usize + (!go_left) as usize;
        }
    }

    /// Leaf rows of `LANES` raw rows, walked down together.
    #[inline]
    pub fn leaves(&self, rows: [&[f64]; LANES]) -> [usize; LANES] {
        let mut at = [0usize; LANES];
        loop {
            let mut moved = false;
            for j in 0..LANES {
                let n = self.nodes[at[j]];
                if n.feature != LEAF {
                    let go_left = rows[j][n.feature as usize] <= n.threshold;
                    at[j] = n.child as usize + (!go_left) as usize;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        at.map(|i| self.nodes[i].child as usize)
    }

    /// Leaf row of training row `r` of the matrix the tree was grown on.
    #[inline]
    pub fn leaf_binned(&self, bins: &BinnedMatrix, r: usize) -> usize {
        let mut i = 0usize;
        loop {
            let n = self.nodes[i];
            if n.feature == LEAF {
                return n.child as usize;
            }
            let code = bins.codes[n.feature as usize * bins.n_rows + r];
            i = n.child as usize + (code > self.bins[i]) as usize;
        }
    }

    /// Class probabilities of a leaf row.
    #[inline]
    pub fn value(&self, leaf: usize) -> &[f64] {
        &self.leaf_values[leaf * self.n_classes..(leaf + 1) * self.n_classes]
    }

    pub fn n_leaves(&self) -> usize {
        self.leaf_values.len() / self.n_classes.max(1)
    }

    pub fn depth(&self) -> usize {
        // Children are stored after their parent, so one forward pass is enough.
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.feature != LEAF {
                let c = n.child as usize;
                depth[c] = depth[i] + 1;
                depth[c + 1] = depth[i] + 1;
                max = max.max(depth[i] + 1);
            }
        }
        max
    }
}

/// Average class probabilities of `trees` (soft voting), one row per row of `x`.
/// Rows are processed in parallel blocks; each row sums its trees in tree order, so the
/// result does not depend on the number of threads.
pub(crate) fn predict_proba(
    trees: &[Tree],
    n_classes: usize,
    x: ArrayView2<'_, f64>,
) -> Array2<f64> {
    // Rows per block: every tree walks a block's rows before the next tree, so a larger
    // block reads each tree from memory fewer times, which matters for forests of large
    // trees that do not fit in cache (`docs/benchmarks.md`, design measurements).
    const BLOCK: usize = 1024;
    let n = x.nrows();
    let nf = x.ncols();
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout");
    let mut out = vec![0.0f64; n * n_classes];
    let scale = 1.0 / trees.len().max(1) as f64;
    if n > 0 && n_classes > 0 {
        // Tasks of at least ~64k row-tree walks, so that a single tree on a small set is
        // not spread over threads for nothing.
        let min_blocks = (1usize << 16).div_ceil(BLOCK * trees.len().max(1));
        out.par_chunks_mut(BLOCK * n_classes)
            .enumerate()
            .with_min_len(min_blocks)
            .for_each(|(blk, o)| {
                let r0 = blk * BLOCK;
                let rows = o.len() / n_classes;
                let mut leaves = vec![0usize; BLOCK];
                for tree in trees {
                    // Several rows walk down together, so that the memory reads of one row
                    // overlap with those of the others.
                    let mut r = 0;
                    while r + LANES <= rows {
                        let xs: [&[f64]; LANES] = std::array::from_fn(|j| {
                            let i = r0 + r + j;
                            &xs[i * nf..(i + 1) * nf]
                        });
                        leaves[r..r + LANES].copy_from_slice(&tree.leaves(xs));
                        r += LANES;
                    }
                    for (k, leaf) in leaves.iter_mut().enumerate().take(rows).skip(r) {
                        let i = r0 + k;
                        *leaf = tree.leaf(&xs[i * nf..(i + 1) * nf]);
                    }
                    for (k, &leaf) in leaves.iter().enumerate().take(rows) {
                        let v = tree.value(leaf);
                        let dst = &mut o[k * n_classes..(k + 1) * n_classes];
                        for (d, &p) in dst.iter_mut().zip(v) {
                            *d += p;
                        }
                    }
                }
                if trees.len() > 1 {
                    for v in o.iter_mut() {
                        *v *= scale;
                    }
                }
            });
    }
    Array2::from_shape_vec((n, n_classes), out).expect("shape")
}

/// Encoded form of one tree (see the module documentation).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PackedTree {
    /// `feature + 1` of each node, 0 for a leaf.
    feature: Vec<u32>,
    /// Split bin (0 for leaves).
    bin: Vec<u8>,
    /// Left child (splits) or index in the leaf pool (leaves).
    child: Vec<u32>,
    /// Index of the threshold in [`PackedTrees::thresholds`] (0 for leaves).
    threshold: Vec<u32>,
}

/// Encoded form of the trees of one model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PackedTrees {
    n_classes: u32,
    /// Distinct split thresholds of the model.
    thresholds: Vec<f64>,
    /// Distinct leaf probability rows, `n_classes` each.
    leaf_pool: Vec<f64>,
    trees: Vec<PackedTree>,
}

impl PackedTrees {
    pub fn pack(trees: &[Tree], n_classes: usize) -> PackedTrees {
        let mut thr_index: HashMap<u64, u32> = HashMap::new();
        let mut thresholds = Vec::new();
        let mut leaf_index: HashMap<Vec<u64>, u32> = HashMap::new();
        let mut leaf_pool = Vec::new();
        let mut packed = Vec::with_capacity(trees.len());
        for t in trees {
            let mut p = PackedTree {
                feature: Vec::with_capacity(t.nodes.len()),
                bin: t.bins.clone(),
                child: Vec::with_capacity(t.nodes.len()),
                threshold: Vec::with_capacity(t.nodes.len()),
            };
            for n in &t.nodes {
                if n.feature == LEAF {
                    let v = t.value(n.child as usize);
                    let key: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
                    let next = leaf_index.len() as u32;
                    let id = *leaf_index.entry(key).or_insert_with(|| {
                        leaf_pool.extend_from_slice(v);
                        next
                    });
                    p.feature.push(0);
                    p.child.push(id);
                    p.threshold.push(0);
                } else {
                    let next = thr_index.len() as u32;
                    let id = *thr_index.entry(n.threshold.to_bits()).or_insert_with(|| {
                        thresholds.push(n.threshold);
                        next
                    });
                    p.feature.push(n.feature + 1);
                    p.child.push(n.child);
                    p.threshold.push(id);
                }
            }
            packed.push(p);
        }
        PackedTrees {
            n_classes: n_classes as u32,
            thresholds,
            leaf_pool,
            trees: packed,
        }
    }

    /// Decode and check every index, so that a damaged or hostile file gives an error
    /// instead of a panic or an endless loop at prediction time.
    pub fn unpack(self, n_features: usize) -> Result<(Vec<Tree>, usize), LearnError> {
        let bad = |m: String| LearnError::Codec(format!("tree model: {m}"));
        let c = self.n_classes as usize;
        if c == 0 || !self.leaf_pool.len().is_multiple_of(c) {
            return Err(bad("leaf values do not match the number of classes".into()));
        }
        let n_pool = self.leaf_pool.len() / c;
        let mut trees = Vec::with_capacity(self.trees.len());
        for (ti, p) in self.trees.into_iter().enumerate() {
            let len = p.feature.len();
            if len == 0 || p.bin.len() != len || p.child.len() != len || p.threshold.len() != len {
                return Err(bad(format!("tree {ti}: inconsistent node arrays")));
            }
            // Leaves are re-numbered per tree, in node order.
            let mut nodes = Vec::with_capacity(len);
            let mut leaf_values = Vec::new();
            for i in 0..len {
                let f = p.feature[i];
                if f == 0 {
                    let id = p.child[i] as usize;
                    if id >= n_pool {
                        return Err(bad(format!("tree {ti}: leaf value {id} out of range")));
                    }
                    nodes.push(Node {
                        threshold: 0.0,
                        feature: LEAF,
                        child: (leaf_values.len() / c) as u32,
                    });
                    leaf_values.extend_from_slice(&self.leaf_pool[id * c..(id + 1) * c]);
                } else {
                    let feature = f - 1;
                    let child = p.child[i] as usize;
                    let t = p.threshold[i] as usize;
                    if feature as usize >= n_features
                        || child <= i
                        || child + 1 >= len
                        || t >= self.thresholds.len()
                    {
                        return Err(bad(format!("tree {ti}: node {i} is invalid")));
                    }
                    nodes.push(Node {
                        threshold: self.thresholds[t],
                        feature,
                        child: child as u32,
                    });
                }
            }
            trees.push(Tree {
                nodes,
                bins: p.bin,
                leaf_values,
                n_classes: c,
            });
        }
        Ok((trees, c))
    }
}
