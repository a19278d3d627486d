//! Exact split search for the features whose bins hold more than one value.
//!
//! Quantile bins lose candidate thresholds: a feature with more distinct values than
//! `max_bins` can only be split at bin edges, and on NSL-KDD that costs a decision tree
//! about two points of F1 macro against scikit-learn's exact splitter (see
//! `scripts/check_tree_binning.py` and `docs/benchmarks.md`). For those "wide" features
//! the grower keeps, per feature, the tree's rows sorted by value (presorted once, then
//! partitioned stably with the rows at every split, as SPRINT does), so a node's exact
//! search is one pass over its slice of that order: every boundary between two
//! consecutive distinct values is a candidate, with scikit-learn's midpoint threshold.
//! Features whose bins hold one value each are already exact and keep the histograms.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::binning::BinnedMatrix;
use crate::traits::TrainSet;

/// The wide features of a training matrix: their values and their rows sorted by value.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ExactColumns {
    /// Per feature, its index in `values` / `orders` (`None`: bins are exact already).
    pub slot: Vec<Option<usize>>,
    /// Per wide feature, the value of every row.
    pub values: Vec<Vec<f64>>,
    /// Per wide feature, every row, by increasing value (NaN last), ties by row.
    pub orders: Vec<Vec<u32>>,
}

impl ExactColumns {
    /// The wide features of `x` (those with a bin holding two distinct values in `bins`).
    pub(crate) fn build(x: ArrayView2<'_, f64>, bins: &BinnedMatrix) -> ExactColumns {
        let wide: Vec<usize> = (0..bins.n_features)
            .filter(|&f| {
                bins.bin_min[f]
                    .iter()
                    .zip(&bins.bin_max[f])
                    .any(|(lo, hi)| lo < hi)
            })
            .collect();
        let mut slot = vec![None; bins.n_features];
        for (k, &f) in wide.iter().enumerate() {
            slot[f] = Some(k);
        }
        let (values, orders): (Vec<Vec<f64>>, Vec<Vec<u32>>) = wide
            .par_iter()
            .map(|&f| {
                let values: Vec<f64> = x.column(f).iter().copied().collect();
                let mut order: Vec<u32> = (0..values.len() as u32).collect();
                order.sort_by(|&a, &b| {
                    values[a as usize]
                        .total_cmp(&values[b as usize])
                        .then(a.cmp(&b))
                });
                // total_cmp puts negative NaN first: move every NaN to the end.
                let nan = order.partition_point(|&r| values[r as usize].is_nan());
                order.rotate_left(nan);
                (values, order)
            })
            .unzip();
        ExactColumns {
            slot,
            values,
            orders,
        }
    }

    /// The exact columns of the training matrix `train` with bins `bins`, built once per
    /// matrix and bin count (cache key `"exact:<max_bins>"`).
    pub(crate) fn for_train(
        train: &TrainSet<'_>,
        bins: &BinnedMatrix,
        max_bins: usize,
    ) -> std::sync::Arc<ExactColumns> {
        let max_bins = max_bins.clamp(2, crate::binning::MAX_CODES);
        train.cache.get_or_build(&format!("exact:{max_bins}"), || {
            ExactColumns::build(train.x, bins)
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One row in a wide feature's order: what the scan reads, next to each other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub value: f64,
    pub row: u32,
    pub class: u32,
}

/// The exact columns restricted to the rows of one tree, kept partitioned like its nodes.
pub(crate) struct TreeOrders<'a> {
    pub cols: &'a ExactColumns,
    /// Per wide feature, the tree's rows by increasing value; a node's rows are the range
    /// `start..end` of each, as in the grower's row array.
    pub orders: Vec<Vec<Entry>>,
    /// Weight of each row of the matrix (0 for rows not in the tree); `None` when every
    /// weight is 1.
    pub weight: Option<Vec<f64>>,
    /// Scratch: which rows go left in the split being applied.
    left: Vec<bool>,
    tmp: Vec<Entry>,
}

impl<'a> TreeOrders<'a> {
    /// Orders for a tree on the distinct rows `rows` with weights `ws` and classes `y`
    /// (indexed by row).
    pub(crate) fn new(cols: &'a ExactColumns, rows: &[u32], ws: &[f64], y: &[u32]) -> Self {
        let n_rows = y.len();
        let mut weight = vec![0.0; n_rows];
        let mut member = vec![false; n_rows];
        for (&r, &w) in rows.iter().zip(ws) {
            debug_assert!(!member[r as usize], "exact splits need distinct rows");
            member[r as usize] = true;
            weight[r as usize] = w;
        }
        let orders = cols
            .orders
            .iter()
            .zip(&cols.values)
            .map(|(o, v)| {
                o.iter()
                    .filter(|&&r| member[r as usize])
                    .map(|&r| Entry {
                        value: v[r as usize],
                        row: r,
                        class: y[r as usize],
                    })
                    .collect()
            })
            .collect();
        let unit = rows.len() == n_rows && ws.iter().all(|&w| w == 1.0);
        TreeOrders {
            cols,
            orders,
            weight: (!unit).then_some(weight),
            left: vec![false; n_rows],
            tmp: Vec::with_capacity(rows.len()),
        }
    }

    /// After a node `start..end` split into the rows `left_rows` (left) and the rest:
    /// partition every order the same way, stably, so each stays sorted per child.
    pub(crate) fn split(&mut self, start: usize, end: usize, left_rows: &[u32]) {
        for &r in left_rows {
            self.left[r as usize] = true;
        }
        let left = &self.left;
        for order in &mut self.orders {
            let node = &mut order[start..end];
            self.tmp.clear();
            let mut l = 0;
            for k in 0..node.len() {
                let e = node[k];
                if left[e.row as usize] {
                    node[l] = e;
                    l += 1;
                } else {
                    self.tmp.push(e);
                }
            }
            node[l..].copy_from_slice(&self.tmp);
        }
        for &r in left_rows {
            self.left[r as usize] = false;
        }
    }
}

/// The rows of one node for one wide feature, sorted, with what the scan reads.
pub(crate) struct ExactScan<'s> {
    pub order: &'s [Entry],
    /// Weight by row (`None`: all 1).
    pub weight: Option<&'s [f64]>,
}

impl ExactScan<'_> {
    /// Whether every row of the node has the same value (or NaN).
    pub(crate) fn constant(&self) -> bool {
        let first = self.order[0].value;
        let last = self.order[self.order.len() - 1].value;
        first.is_nan() || (!last.is_nan() && first >= last)
    }

    /// Call `candidate(left class weights, left weight, left rows, value below, value
    /// above)` at every boundary between two distinct values, from the lowest; NaN rows
    /// stay on the right, as the tree's `x <= t` sends them. Stops when the right side
    /// would have fewer than `min_leaf` rows.
    pub(crate) fn for_each_candidate(
        &self,
        left: &mut [f64],
        min_leaf: usize,
        mut candidate: impl FnMut(&[f64], f64, usize, f64, f64),
    ) {
        left.fill(0.0);
        let n = self.order.len();
        let mut w_left = 0.0;
        for j in 0..n - 1 {
            let e = self.order[j];
            let w = self.weight.map_or(1.0, |w| w[e.row as usize]);
            left[e.class as usize] += w;
            w_left += w;
            let (v, next) = (e.value, self.order[j + 1].value);
            if next.is_nan() {
                break;
            }
            // Neither is NaN here (NaN sorts last).
            if next <= v {
                continue;
            }
            let n_left = j + 1;
            if n - n_left < min_leaf {
                break;
            }
            if n_left >= min_leaf {
                candidate(left, w_left, n_left, v, next);
            }
        }
    }
}
