//! Exact euclidean neighbours that use one-hot blocks. A block is a run of columns with
//! two values each (`lo`, `hi`, as one-hot encoding then scaling leaves them) where every
//! training row has exactly one `hi`. The squared distance between two rows is then a
//! numeric part (the other columns) plus, per block, a number that depends only on the two
//! rows' categories: a table lookup.
//!
//! Training rows are grouped by their categories. For a query, the groups are visited in
//! increasing categorical distance `C`; a group whose `C` already exceeds the query's k-th
//! upper bound cannot hold a neighbour (the numeric part is never negative), and neither
//! can any later group. Only the numeric columns go through the f32 matrix product, with
//! the same error bound and exact re-ranking as the plain search, so the result is exact.

use ndarray::{Array2, ArrayView2, s};

use super::{Candidates, Products, TRAIN_BLOCK};
use crate::matrix::{OneHotBlock, OneHotLayout};

/// The one-hot structure of a training matrix, and the training rows grouped by category.
#[derive(Debug, Clone)]
pub(super) struct Blocks {
    numeric: Vec<usize>,
    blocks: Vec<Block>,
    /// Groups of training rows with the same categories, rows in `order` from `start`.
    groups: Vec<Group>,
    /// Original row index of each position of the grouped matrices.
    order: Vec<u32>,
    /// Numeric columns of the training rows, in group order, f32.
    x32: Array2<f32>,
    norms: Vec<f64>,
    lens: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Block {
    hot: OneHotBlock,
    /// `table[a * m + b]`: the block's part of the squared distance between category `a`
    /// (`m` = none hot, a category unseen in training) and category `b`.
    table: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Group {
    cats: Vec<u16>,
    start: usize,
    end: usize,
}

impl Blocks {
    /// The blocks of `x`, or `None` when it has none worth using.
    pub(super) fn detect(x: ArrayView2<'_, f64>) -> Option<Blocks> {
        if x.nrows() > u32::MAX as usize {
            return None;
        }
        let layout = OneHotLayout::detect(x)?;
        let blocks = layout.blocks.into_iter().map(Block::new).collect();
        Some(Blocks::grouped(x, layout.numeric, blocks))
    }

    fn grouped(x: ArrayView2<'_, f64>, numeric: Vec<usize>, blocks: Vec<Block>) -> Blocks {
        let n = x.nrows();
        let cats: Vec<Vec<u16>> = (0..n)
            .map(|i| {
                let row = x.row(i);
                let row = row.as_slice().expect("standard layout");
                blocks
                    .iter()
                    .map(|b| b.category(row).unwrap_or(0))
                    .collect()
            })
            .collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| cats[a as usize].cmp(&cats[b as usize]).then(a.cmp(&b)));
        let mut groups: Vec<Group> = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.cats == cats[i as usize] => g.end = pos + 1,
                _ => groups.push(Group {
                    cats: cats[i as usize].clone(),
                    start: pos,
                    end: pos + 1,
                }),
            }
        }
        let numeric_x = Array2::from_shape_fn((n, numeric.len()), |(p, c)| {
            x[[order[p] as usize, numeric[c]]]
        });
        let norms: Vec<f64> = numeric_x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let lens = norms.iter().map(|v| v.sqrt()).collect();
        Blocks {
            x32: numeric_x.mapv(|v| v as f32),
            numeric,
            blocks,
            groups,
            order,
            norms,
            lens,
        }
    }

    /// Query categories per block, or `None` for a row that does not fit the blocks (a
    /// value that is neither `lo` nor `hi`, or two `hi` in a block).
    fn categories(&self, row: &[f64]) -> Option<Vec<u16>> {
        self.blocks
            .iter()
            .map(|b| b.category_or_none(row))
            .collect()
    }

    /// Neighbours of every row of `q` (standard layout), or `None` when a row does not
    /// fit the blocks (the caller then uses the plain search).
    pub(super) fn neighbours(
        &self,
        q: ArrayView2<'_, f64>,
        k: usize,
        exact: &(dyn Fn(ndarray::ArrayView1<'_, f64>, Candidates) -> Vec<u32> + Sync),
    ) -> Option<Vec<Vec<u32>>> {
        let cats: Vec<Vec<u16>> = q
            .rows()
            .into_iter()
            .map(|r| self.categories(r.as_slice().expect("standard layout")))
            .collect::<Option<_>>()?;
        // Queries of the same categories together: they visit the groups in one order
        // and share each matrix product.
        let mut order: Vec<usize> = (0..q.nrows()).collect();
        order.sort_by(|&a, &b| cats[a].cmp(&cats[b]).then(a.cmp(&b)));
        let mut runs: Vec<&[usize]> = Vec::new();
        let mut from = 0;
        for i in 1..=order.len() {
            if i == order.len()
                || cats[order[i]] != cats[order[from]]
                || i - from == super::QUERY_CHUNK
            {
                runs.push(&order[from..i]);
                from = i;
            }
        }
        use rayon::prelude::*;
        let found: Vec<Vec<(usize, Vec<u32>)>> = runs
            .into_par_iter()
            .map(|run| {
                let cands = self.search(q, run, &cats[run[0]], k);
                run.iter()
                    .zip(cands)
                    .map(|(&qi, c)| (qi, exact(q.row(qi), c)))
                    .collect()
            })
            .collect();
        let mut out = vec![Vec::new(); q.nrows()];
        for (qi, nb) in found.into_iter().flatten() {
            out[qi] = nb;
        }
        Some(out)
    }

    /// Candidates of the queries `run` (all of categories `cats`).
    fn search(
        &self,
        q: ArrayView2<'_, f64>,
        run: &[usize],
        cats: &[u16],
        k: usize,
    ) -> Vec<Candidates> {
        let d = self.numeric.len() as f64;
        let c32 = 1.03 * (d + 3.0) * f64::from(f32::EPSILON);
        let c64 = (d + 8.0 + self.blocks.len() as f64 * 4.0) * f64::EPSILON;
        let qx = Array2::from_shape_fn((run.len(), self.numeric.len()), |(i, c)| {
            q[[run[i], self.numeric[c]]]
        });
        let q32 = qx.mapv(|v| v as f32);
        let qn: Vec<f64> = qx.rows().into_iter().map(|r| r.dot(&r)).collect();
        let mut cands: Vec<Candidates> = run.iter().map(|_| Candidates::new(k)).collect();
        let mut visit: Vec<(f64, usize)> = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, grp)| (self.categorical(cats, &grp.cats), g))
            .collect();
        visit.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (cat, g) in visit {
            let widest = cands
                .iter()
                .map(|c| c.upper.worst())
                .fold(f64::NEG_INFINITY, f64::max);
            // The numeric part is never negative: no row of this group or a later one can
            // come nearer than its categorical part.
            if cat * (1.0 - c64) > widest {
                break;
            }
            let grp = &self.groups[g];
            let mut start = grp.start;
            while start < grp.end {
                let end = (start + TRAIN_BLOCK).min(grp.end);
                let dots = q32.dot(&self.x32.slice(s![start..end, ..]).t());
                for (qi, cand) in cands.iter_mut().enumerate() {
                    let base = qn[qi] + cat;
                    let cq = (c32 + 2.0 * c64) * qn[qi].sqrt();
                    let row = dots.row(qi);
                    let row = row.as_slice().expect("a fresh product is contiguous");
                    self.offer_block(cand, row, start, base, cq, c64);
                }
                start = end;
            }
        }
        cands
    }

    /// Offer the rows at positions `start..` with their products `dots` to `cand`.
    fn offer_block(
        &self,
        cand: &mut Candidates,
        dots: &[f32],
        start: usize,
        base: f64,
        cq: f64,
        c64: f64,
    ) {
        let block = Products {
            dots,
            norms: &self.norms[start..start + dots.len()],
            lens: &self.lens[start..start + dots.len()],
            base,
            cq,
            c64,
        };
        block.offer_to(cand, |j| self.order[start + j]);
    }

    /// The categorical part of the squared distance between categories `a` and `b`.
    fn categorical(&self, a: &[u16], b: &[u16]) -> f64 {
        self.blocks
            .iter()
            .zip(a.iter().zip(b))
            .map(|(blk, (&x, &y))| blk.table[x as usize * blk.hot.len() + y as usize])
            .sum()
    }
}

impl Block {
    fn new(hot: OneHotBlock) -> Block {
        let m = hot.len();
        let (lo, hi) = (&hot.lo, &hot.hi);
        let value = |cat: usize, j: usize| if cat == j { hi[j] } else { lo[j] };
        let mut table = vec![0.0; (m + 1) * m];
        for a in 0..=m {
            for b in 0..m {
                table[a * m + b] = (0..m).map(|j| (value(a, j) - value(b, j)).powi(2)).sum();
            }
        }
        Block { hot, table }
    }

    /// The training row's category (its one `hi` column).
    fn category(&self, row: &[f64]) -> Option<u16> {
        self.hot.category(row)
    }

    /// A query's category (see [`OneHotBlock::category_or_none`]).
    fn category_or_none(&self, row: &[f64]) -> Option<u16> {
        self.hot.category_or_none(row)
    }
}
