//! Native histogram gradient boosting, XGBoost style (second order).
//!
//! This module owns the `gradient_boosting` classifier: its parameter schema, the boosting
//! loop (binary logistic loss, or softmax with one tree per class per round), row and
//! column subsampling, early stopping on a stratified validation split held out from the
//! training rows, the fitted model (probabilities, total-gain importances, prediction on raw
//! `f64` features), and its compact postcard encoding.
//!
//! Trees are grown on the shared quantile bins of [`crate::binning`] by [`tree::grow`]. The
//! split gain and the leaf weights are XGBoost's: a split's loss change is
//! `G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)`; XGBoost's code compares this
//! (not half of it) with `gamma` (`min_split_loss`), so this does too, and `gamma` means the
//! same as in XGBoost. A leaf's weight is `-G/(H+lambda) * eta`. Per-row gradients and
//! hessians are `f32` (as in XGBoost); the histograms sum them quantised to integers
//! (`tree::Quantized`: exact integer sums, 16,384 levels of `max |g|` for 120,000 rows),
//! the leaf weights sum them exactly in `f64`.
//!
//! Losses: binary `p = sigmoid(m)`, `g = p - y`, `h = max(p(1-p), 1e-16)`; multiclass
//! `p = softmax(m)`, `g_k = p_k - [y = k]`, `h_k = max(2 p_k (1-p_k), 1e-16)` (the factor 2
//! is XGBoost's `multi:softprob`). Initial margins come from the class priors of the rows
//! used for training: `ln(p1/(1-p1))` for two classes, `ln(p_k)` for more. While training,
//! `exp` is `vmath::exp` (within 2 ulps of libm, and vectorisable); predictions use libm's.
//! The gradient, quantisation and split-scan passes run AVX2 builds of their loops when the
//! processor has it, with the same results as the portable builds.

pub mod tree;
pub(crate) mod vmath;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

use tree::{BinNode, BinnedRows, GradPair, GrowParams};
use vmath::avx2_dispatch;

#[cfg(test)]
use binning_bridge::from_binned;

/// Registry name of this algorithm.
pub const KIND: &str = "gradient_boosting";

/// The parameter schema (XGBoost names and defaults).
pub fn param_specs() -> Vec<ParamSpec> {
    use ParamKind as K;
    use ParamValue as V;
    vec![
        ParamSpec::new(
            "n_estimators",
            K::Int {
                min: 1,
                max: 100_000,
            },
            V::Int(100),
            "number of boosting rounds (one tree per class per round for more than two classes)",
        ),
        ParamSpec::new(
            "learning_rate",
            K::FloatOpenMin { min: 0.0, max: 1.0 },
            V::Float(0.3),
            "shrinkage eta applied to every leaf weight (XGBoost default 0.3)",
        ),
        ParamSpec::new(
            "max_depth",
            K::OneOf(vec![K::Int { min: 1, max: 64 }, K::Null]),
            V::Int(6),
            "maximum tree depth; null = unlimited (then max_leaves must be set)",
        ),
        ParamSpec::new(
            "max_leaves",
            K::OneOf(vec![
                K::Int {
                    min: 2,
                    max: 1 << 20,
                },
                K::Null,
            ]),
            V::Null,
            "maximum leaves per tree; when set, trees grow best-gain first (lossguide)",
        ),
        ParamSpec::new(
            "lambda",
            K::Float {
                min: 0.0,
                max: f64::MAX,
            },
            V::Float(1.0),
            "L2 regularisation on leaf weights",
        ),
        ParamSpec::new(
            "gamma",
            K::Float {
                min: 0.0,
                max: f64::MAX,
            },
            V::Float(0.0),
            "minimum loss change (XGBoost's unhalved gain) required to split a node",
        ),
        ParamSpec::new(
            "min_child_weight",
            K::Float {
                min: 0.0,
                max: f64::MAX,
            },
            V::Float(1.0),
            "minimum hessian sum in each child of a split",
        ),
        ParamSpec::new(
            "subsample",
            K::FloatOpenMin { min: 0.0, max: 1.0 },
            V::Float(1.0),
            "fraction of training rows drawn (seeded, without replacement) for each round",
        ),
        ParamSpec::new(
            "colsample_bytree",
            K::FloatOpenMin { min: 0.0, max: 1.0 },
            V::Float(1.0),
            "fraction of features drawn (seeded) for each tree",
        ),
        ParamSpec::new(
            "max_bins",
            K::Int { min: 2, max: 256 },
            V::Int(256),
            "maximum number of quantile bins per feature (XGBoost's max_bin)",
        ),
        ParamSpec::new(
            "early_stopping",
            K::Bool,
            V::Bool(false),
            "stop when the validation log-loss has not improved for n_iter_no_change rounds",
        ),
        ParamSpec::new(
            "validation_fraction",
            K::FloatOpenMin { min: 0.0, max: 0.9 },
            V::Float(0.1),
            "fraction of training rows held out (stratified, seeded) for early stopping",
        ),
        ParamSpec::new(
            "n_iter_no_change",
            K::Int {
                min: 1,
                max: 100_000,
            },
            V::Int(10),
            "rounds without improvement of the validation log-loss before stopping",
        ),
        ParamSpec::new(
            "tol",
            K::Float {
                min: 0.0,
                max: f64::MAX,
            },
            V::Float(1e-7),
            "minimum decrease of the validation log-loss that counts as an improvement",
        ),
    ]
}

/// Validated hyper-parameters of gradient boosting.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoostingParams {
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub max_depth: Option<usize>,
    pub max_leaves: Option<usize>,
    pub lambda: f64,
    pub gamma: f64,
    pub min_child_weight: f64,
    pub subsample: f64,
    pub colsample_bytree: f64,
    pub max_bins: usize,
    pub early_stopping: bool,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        GradientBoostingParams {
            n_estimators: 100,
            learning_rate: 0.3,
            max_depth: Some(6),
            max_leaves: None,
            lambda: 1.0,
            gamma: 0.0,
            min_child_weight: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            max_bins: 256,
            early_stopping: false,
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
        }
    }
}

impl GradientBoostingParams {
    /// Read a resolved parameter map.
    pub fn from_params(m: &ParamMap) -> Result<Self, LearnError> {
        let p = GradientBoostingParams {
            n_estimators: m.usize("n_estimators")?,
            learning_rate: m.f64("learning_rate")?,
            max_depth: m.opt_usize("max_depth")?,
            max_leaves: m.opt_usize("max_leaves")?,
            lambda: m.f64("lambda")?,
            gamma: m.f64("gamma")?,
            min_child_weight: m.f64("min_child_weight")?,
            subsample: m.f64("subsample")?,
            colsample_bytree: m.f64("colsample_bytree")?,
            max_bins: m.usize("max_bins")?,
            early_stopping: m.bool("early_stopping")?,
            validation_fraction: m.f64("validation_fraction")?,
            n_iter_no_change: m.usize("n_iter_no_change")?,
            tol: m.f64("tol")?,
        };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<(), LearnError> {
        if self.max_depth.is_none() && self.max_leaves.is_none() {
            return Err(LearnError::param(
                "max_depth",
                "null (unlimited depth) needs max_leaves to be set",
            ));
        }
        if self.n_estimators == 0 {
            return Err(LearnError::param("n_estimators", "must be at least 1"));
        }
        if !(2..=256).contains(&self.max_bins) {
            return Err(LearnError::param("max_bins", "must be in [2, 256]"));
        }
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(LearnError::param(name, "must be in (0, 1]"))
            }
        };
        pos("learning_rate", self.learning_rate)?;
        pos("subsample", self.subsample)?;
        pos("colsample_bytree", self.colsample_bytree)?;
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(LearnError::param(
                "validation_fraction",
                "must be in (0, 1)",
            ));
        }
        for (name, v) in [
            ("lambda", self.lambda),
            ("gamma", self.gamma),
            ("min_child_weight", self.min_child_weight),
            ("tol", self.tol),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(LearnError::param(name, "must be a finite number >= 0"));
            }
        }
        Ok(())
    }

    fn grow_params(&self) -> GrowParams {
        GrowParams {
            max_depth: self.max_depth,
            max_leaves: self.max_leaves,
            lambda: self.lambda,
            gamma: self.gamma,
            min_child_weight: self.min_child_weight,
            eta: self.learning_rate,
        }
    }
}

/// Registry builder.
pub fn build(m: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(GradientBoostingParams::from_params(m)?))
}

/// Registry loader.
pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(GradientBoostingModel::load(bytes)?))
}

/// A node of a fitted tree, on raw feature values.
///
/// Internal nodes: `feature < u32::MAX`, a row goes to `left` when `x[feature] <= value`,
/// else to `left + 1`; NaN therefore goes right, as the shared binning puts NaN in the
/// last bin. Leaves: `feature == u32::MAX`,
/// `value` is the leaf weight (already multiplied by the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub left: u32,
    pub value: f64,
}

const LEAF: u32 = u32::MAX;
/// Rows walked through one tree together at prediction.
const LANES: usize = 8;

/// One fitted tree: nodes in breadth-first-ish order, node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// Leaf values of `LANES` consecutive rows of `rows` (row-major, `nf` wide).
    #[inline]
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(v <= t)`: NaN goes right on purpose
    fn eval_lanes(&self, rows: &[f64], nf: usize) -> [f64; LANES] {
        let nodes = &self.nodes;
        let mut idx = [0usize; LANES];
        loop {
            let mut active = false;
            for (j, i) in idx.iter_mut().enumerate() {
                let n = &nodes[*i];
                if n.feature != LEAF {
                    active = true;
                    let v = rows[j * nf + n.feature as usize];
                    *i = n.left as usize + usize::from(!(v <= n.value));
                }
            }
            if !active {
                return idx.map(|i| nodes[i].value);
            }
        }
    }

    #[inline]
    fn eval(&self, x: &[f64]) -> f64 {
        let nodes = &self.nodes;
        let mut i = 0usize;
        loop {
            let n = &nodes[i];
            if n.feature == LEAF {
                return n.value;
            }
            let v = x[n.feature as usize];
            // `v > t` would send NaN left; `!(v <= t)` sends it right, like its bin.
            let go_right = !matches!(
                v.partial_cmp(&n.value),
                Some(Ordering::Less | Ordering::Equal)
            );
            i = n.left as usize + usize::from(go_right);
        }
    }

    /// Convert a bin-space tree to raw thresholds. Children of a split are re-numbered so
    /// that the right child always follows the left one.
    fn from_bins(bin_nodes: &[BinNode], edges: &BinEdges) -> Tree {
        let mut nodes = Vec::with_capacity(bin_nodes.len());
        nodes.push(Node {
            feature: LEAF,
            left: 0,
            value: 0.0,
        });
        // Breadth-first so that siblings are adjacent: (bin node, slot it fills).
        let mut queue = std::collections::VecDeque::new();
        queue.push_back((0usize, 0usize));
        while let Some((bi, slot)) = queue.pop_front() {
            match &bin_nodes[bi] {
                BinNode::Leaf { value } => {
                    nodes[slot] = Node {
                        feature: LEAF,
                        left: 0,
                        value: *value,
                    };
                }
                BinNode::Split {
                    feature,
                    bin,
                    left,
                    right,
                    ..
                } => {
                    let l = nodes.len();
                    let blank = Node {
                        feature: LEAF,
                        left: 0,
                        value: 0.0,
                    };
                    nodes.push(blank);
                    nodes.push(blank);
                    let f = *feature as usize;
                    nodes[slot] = Node {
                        feature: *feature,
                        left: l as u32,
                        value: edges.threshold(f, *bin),
                    };
                    queue.push_back((*left as usize, l));
                    queue.push_back((*right as usize, l + 1));
                }
            }
        }
        Tree { nodes }
    }
}

/// How bin splits map back to raw feature values (from the shared binning).
#[derive(Debug, Clone)]
pub struct BinEdges {
    /// `upper[f][b]`: the largest raw value that falls in bin `b` of feature `f` or below,
    /// i.e. `x <= upper[f][b]` exactly when `bin(x) <= b` (for non-NaN `x`).
    pub upper: Vec<Vec<f64>>,
}

impl BinEdges {
    fn threshold(&self, f: usize, bin: u16) -> f64 {
        self.upper[f]
            .get(bin as usize)
            .copied()
            .unwrap_or(f64::INFINITY)
    }
}

/// A fitted gradient boosting classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingModel {
    n_classes: usize,
    n_features: usize,
    /// Initial margin of each output (one for two classes, `n_classes` otherwise).
    base_margin: Vec<f64>,
    /// Trees in round order; round `r`, output `k` is `trees[r * n_outputs + k]`.
    trees: Vec<Tree>,
    /// Total split gain of each feature (not normalised).
    gain: Vec<f64>,
    /// Number of boosting rounds kept (after early stopping).
    rounds: usize,
}

impl GradientBoostingModel {
    /// Number of margins per row: 1 for binary, `n_classes` otherwise.
    pub fn n_outputs(&self) -> usize {
        self.base_margin.len()
    }

    /// Boosting rounds actually used (fewer than `n_estimators` after early stopping).
    pub fn n_rounds_used(&self) -> usize {
        self.rounds
    }

    /// The fitted trees, round-major.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Initial margins.
    pub fn base_margin(&self) -> &[f64] {
        &self.base_margin
    }

    /// Raw margins (before sigmoid / softmax), one row per sample, `n_outputs` columns.
    pub fn margins(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let k = self.n_outputs();
        let n = x.nrows();
        let nf = self.n_features;
        let mut out = Array2::<f64>::zeros((n, k));
        if n == 0 || x.ncols() < nf {
            return out;
        }
        const CHUNK: usize = 128;
        let flat = out
            .as_slice_mut()
            .expect("freshly allocated array is contiguous");
        flat.par_chunks_mut(CHUNK * k)
            .enumerate()
            .for_each(|(ci, o)| {
                let r0 = ci * CHUNK;
                let nr = o.len() / k;
                // Copy the chunk's rows into a dense buffer (any input layout).
                let mut buf = vec![0.0f64; nr * nf];
                for i in 0..nr {
                    let row = x.row(r0 + i);
                    for (f, v) in buf[i * nf..(i + 1) * nf].iter_mut().enumerate() {
                        *v = row[f];
                    }
                }
                for i in 0..nr {
                    o[i * k..(i + 1) * k].copy_from_slice(&self.base_margin);
                }
                let full = nr - nr % LANES;
                for (t, tree) in self.trees.iter().enumerate() {
                    let c = t % k;
                    // Several rows walk the tree together (independent loads overlap).
                    for i0 in (0..full).step_by(LANES) {
                        let v = tree.eval_lanes(&buf[i0 * nf..(i0 + LANES) * nf], nf);
                        for (j, vj) in v.iter().enumerate() {
                            o[(i0 + j) * k + c] += vj;
                        }
                    }
                    for i in full..nr {
                        o[i * k + c] += tree.eval(&buf[i * nf..(i + 1) * nf]);
                    }
                }
            });
        out
    }

    /// Encode with postcard.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }

    /// Decode bytes written by [`GradientBoostingModel::to_bytes`], checking consistency.
    pub fn load(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: GradientBoostingModel = postcard::from_bytes(bytes)?;
        let k = m.base_margin.len();
        let ok_k = (m.n_classes == 2 && k == 1) || (m.n_classes > 2 && k == m.n_classes);
        if !ok_k || m.trees.len() != m.rounds * k || m.gain.len() != m.n_features {
            return Err(LearnError::Codec(
                "gradient boosting model: inconsistent shapes".into(),
            ));
        }
        for t in &m.trees {
            let n = t.nodes.len();
            if n == 0 {
                return Err(LearnError::Codec(
                    "gradient boosting model: empty tree".into(),
                ));
            }
            for (i, node) in t.nodes.iter().enumerate() {
                if node.feature != LEAF
                    && ((node.feature as usize) >= m.n_features
                        || (node.left as usize) <= i
                        || (node.left as usize) + 1 >= n)
                {
                    return Err(LearnError::Codec(
                        "gradient boosting model: bad tree node".into(),
                    ));
                }
            }
        }
        Ok(m)
    }
}

/// Probabilities from margins, in place: sigmoid (binary, expanded to two columns) or
/// softmax.
fn margins_to_proba(margins: Array2<f64>, n_classes: usize) -> Array2<f64> {
    let n = margins.nrows();
    if n_classes == 2 {
        let mut out = Array2::<f64>::zeros((n, 2));
        for (i, m) in margins.column(0).iter().enumerate() {
            let p = sigmoid(*m);
            out[[i, 0]] = 1.0 - p;
            out[[i, 1]] = p;
        }
        out
    } else {
        let mut out = margins;
        for mut row in out.rows_mut() {
            let mx = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mut s = 0.0;
            for v in row.iter_mut() {
                *v = (*v - mx).exp();
                s += *v;
            }
            for v in row.iter_mut() {
                *v /= s;
            }
        }
        out
    }
}

#[inline]
fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

impl Classifier for GradientBoostingModel {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn n_classes(&self) -> usize {
        self.n_classes
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        margins_to_proba(self.margins(x), self.n_classes)
    }
    fn feature_importances(&self) -> Option<Vec<f64>> {
        let s: f64 = self.gain.iter().sum();
        if s > 0.0 {
            Some(self.gain.iter().map(|g| g / s).collect())
        } else {
            Some(vec![0.0; self.n_features])
        }
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        self.to_bytes()
    }
}

impl ClassifierParams for GradientBoostingParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        Ok(Box::new(self.fit_model(train, ctx)?))
    }
}

/// Bins of a training set, in the form the booster uses, shared through the cache.
pub(crate) struct Prepared {
    pub rows: BinnedRows,
    pub edges: BinEdges,
}

impl GradientBoostingParams {
    /// Fit and return the concrete model type.
    pub fn fit_model(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<GradientBoostingModel, LearnError> {
        self.check()?;
        train.validate()?;
        if train.n_classes < 2 {
            return Err(LearnError::InvalidInput(
                "gradient boosting needs at least two classes".into(),
            ));
        }
        let prep = binning_bridge::prepare(train, self.max_bins)?;
        self.fit_prepared(&prep, train.y, train.n_classes, ctx)
    }

    pub(crate) fn fit_prepared(
        &self,
        prep: &Prepared,
        y: &[u32],
        n_classes: usize,
        ctx: &FitContext,
    ) -> Result<GradientBoostingModel, LearnError> {
        let data = &prep.rows;
        let n = data.n_rows;
        let nf = data.n_features;
        let k = if n_classes == 2 { 1 } else { n_classes };
        let gp = self.grow_params();

        // Train / validation split.
        let (train_rows, val_rows) = if self.early_stopping {
            stratified_split(
                y,
                n_classes,
                self.validation_fraction,
                derive_seed(ctx.seed, 1),
            )
        } else {
            ((0..n as u32).collect::<Vec<_>>(), Vec::new())
        };
        if train_rows.is_empty() {
            return Err(LearnError::InvalidInput(
                "no training rows left after holding out the validation fraction".into(),
            ));
        }
        if train_rows.len() > tree::MAX_ROWS {
            return Err(LearnError::InvalidInput(format!(
                "{} training rows: gradient boosting grows trees on at most {} rows (its \
                 quantised histogram sums are 32-bit); sample the training data",
                train_rows.len(),
                tree::MAX_ROWS,
            )));
        }

        // Base margins from the class priors of the training rows.
        let mut counts = vec![0usize; n_classes];
        for &r in &train_rows {
            counts[y[r as usize] as usize] += 1;
        }
        let tot = train_rows.len() as f64;
        let prior = |c: usize| (counts[c] as f64 / tot).clamp(1e-12, 1.0 - 1e-12);
        let base_margin: Vec<f64> = if k == 1 {
            let p = prior(1);
            vec![(p / (1.0 - p)).ln()]
        } else {
            (0..n_classes).map(|c| prior(c).ln()).collect()
        };

        // Margins of every row (train and validation), row-major n x k.
        let mut margin = vec![0.0f64; n * k];
        for r in 0..n {
            margin[r * k..(r + 1) * k].copy_from_slice(&base_margin);
        }
        let mut gh: Vec<Vec<GradPair>> = vec![vec![GradPair::default(); n]; k];
        let mut trees: Vec<Tree> = Vec::new();
        let mut gain = vec![0.0f64; nf];
        let mut best_loss = f64::INFINITY;
        let mut best_round = 0usize;
        let mut since_best = 0usize;
        let all_feats: Vec<u32> = (0..nf as u32).collect();
        let mut round_gains: Vec<Vec<(u32, f64)>> = Vec::new();
        let mut prob: Vec<f64> = Vec::new();

        for round in 0..self.n_estimators {
            compute_gradients(&margin, y, k, &train_rows, &mut gh, &mut prob);
            // Row sample for this round (shared by the trees of all classes), and the rows
            // the trees are not grown on (unsampled and held-out rows).
            let (sample, mut others): (Vec<u32>, Vec<u32>) = if self.subsample < 1.0 {
                let mut rng = Rng::new(derive_seed(ctx.seed, 1_000_000 + round as u64));
                train_rows
                    .iter()
                    .copied()
                    .partition(|_| rng.next_f64() < self.subsample)
            } else {
                (train_rows.clone(), Vec::new())
            };
            others.extend_from_slice(&val_rows);
            // The trees of one round (one per class) only read the gradients: they are
            // grown in parallel, each from its own seeded column sample, and the margins are
            // updated after, in class order.
            let grown: Vec<(Vec<u32>, tree::Grown)> = gh
                .par_iter()
                .enumerate()
                .map(|(c, ghc)| {
                    let t_index = (round * k + c) as u64;
                    let feats: Vec<u32> = if self.colsample_bytree < 1.0 {
                        let m = ((self.colsample_bytree * nf as f64).round() as usize).clamp(1, nf);
                        let mut rng = Rng::new(derive_seed(ctx.seed, 2_000_000_000 + t_index));
                        let mut f: Vec<u32> = rng
                            .sample_indices(nf, m)
                            .into_iter()
                            .map(|i| i as u32)
                            .collect();
                        f.sort_unstable();
                        f
                    } else {
                        all_feats.clone()
                    };
                    let mut rows = sample.clone();
                    let g = tree::grow(data, ghc, &mut rows, &feats, &gp);
                    (rows, g)
                })
                .collect();
            let mut this_round = Vec::new();
            for (c, (rows, g)) in grown.into_iter().enumerate() {
                for node in &g.nodes {
                    if let BinNode::Split {
                        feature, gain: gn, ..
                    } = node
                    {
                        this_round.push((*feature, *gn));
                    }
                }
                // Update the margins of every row (train, held-out and unsampled).
                update_margins(data, &g, &rows, &others, &mut margin, k, c);
                trees.push(Tree::from_bins(&g.nodes, &prep.edges));
            }
            round_gains.push(this_round);

            if self.early_stopping {
                let loss = log_loss(&margin, y, k, &val_rows);
                if loss < best_loss - self.tol {
                    best_loss = loss;
                    best_round = round;
                    since_best = 0;
                } else {
                    since_best += 1;
                    if since_best >= self.n_iter_no_change {
                        break;
                    }
                }
            } else {
                best_round = round;
            }
        }
        let rounds = best_round + 1;
        trees.truncate(rounds * k);
        for rg in round_gains.iter().take(rounds) {
            for &(f, g) in rg {
                gain[f as usize] += g;
            }
        }
        Ok(GradientBoostingModel {
            n_classes,
            n_features: nf,
            base_margin,
            trees,
            gain,
            rounds,
        })
    }
}

/// Gradients/hessians of the training rows (others are left as they are: never read).
/// Each row's values depend on that row alone, so the row blocks run in parallel.
fn compute_gradients(
    margin: &[f64],
    y: &[u32],
    k: usize,
    rows: &[u32],
    gh: &mut [Vec<GradPair>],
    prob: &mut Vec<f64>,
) {
    const BLOCK: usize = 4096;
    if k == 1 {
        let out = &mut gh[0];
        if rows.len() == out.len() {
            out.par_chunks_mut(BLOCK)
                .zip(margin.par_chunks(BLOCK))
                .zip(y.par_chunks(BLOCK))
                .for_each(|((o, m), y)| logistic_grads(m, y, o));
        } else {
            for &r in rows {
                let r = r as usize;
                out[r] = logistic_grad(margin[r], y[r]);
            }
        }
        return;
    }
    // Softmax probabilities of every row (row-major; `prob` is kept from round to round),
    // then one pass per class.
    prob.resize(margin.len(), 0.0);
    prob.par_chunks_mut(BLOCK * k)
        .zip(margin.par_chunks(BLOCK * k))
        .for_each(|(p, m)| softmax_rows(m, k, p));
    gh.par_iter_mut().enumerate().for_each(|(c, out)| {
        for &r in rows {
            let r = r as usize;
            let pc = prob[r * k + c];
            let t = if y[r] as usize == c { 1.0 } else { 0.0 };
            out[r] = GradPair {
                g: (pc - t) as f32,
                h: (2.0 * pc * (1.0 - pc)).max(1e-16) as f32,
            };
        }
    });
}

/// Logistic loss gradient pair of a row with margin `m` and label `y` (0 or 1).
#[inline(always)]
fn logistic_grad(m: f64, y: u32) -> GradPair {
    let p = 1.0 / (1.0 + vmath::exp(-m));
    let t = if y == 1 { 1.0 } else { 0.0 };
    let h = p * (1.0 - p);
    GradPair {
        g: (p - t) as f32,
        h: if h > 1e-16 { h } else { 1e-16 } as f32,
    }
}

avx2_dispatch! {
    /// [`logistic_grad`] of rows in order (vectorised).
    fn logistic_grads / logistic_grads_portable(margin: &[f64], y: &[u32], out: &mut [GradPair]) {
        for ((o, &m), &t) in out.iter_mut().zip(margin).zip(y) {
            *o = logistic_grad(m, t);
        }
    }
}

avx2_dispatch! {
    /// Softmax of each row of `k` margins (row-major) into `p`: the row's largest margin is
    /// subtracted, then one flat pass of `exp` (vectorised), then each row is normalised.
    fn softmax_rows / softmax_rows_portable(m: &[f64], k: usize, p: &mut [f64]) {
        for (pr, mr) in p.chunks_exact_mut(k).zip(m.chunks_exact(k)) {
            let mx = mr.iter().fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
            for (pi, &mi) in pr.iter_mut().zip(mr) {
                *pi = mi - mx;
            }
        }
        for v in p.iter_mut() {
            *v = vmath::exp(*v);
        }
        for pr in p.chunks_exact_mut(k) {
            let s: f64 = pr.iter().sum();
            for pi in pr.iter_mut() {
                *pi /= s;
            }
        }
    }
}

/// Add the tree `g` of class `c` to the margins of every row: the rows it was grown on
/// (`grown_on`, as `grow` left them: each leaf's rows in its span) take their leaf's value
/// without a walk; the `others` (unsampled and held-out rows) are walked down the tree.
fn update_margins(
    data: &BinnedRows,
    g: &tree::Grown,
    grown_on: &[u32],
    others: &[u32],
    margin: &mut [f64],
    k: usize,
    c: usize,
) {
    // In one thread: the leaves' rows interleave in memory, so threads adding to the
    // margins of different leaves would write to the same cache lines and slow each other
    // down more than the split of work gains (`docs/benchmarks.md`, design measurements).
    for (value, start, end) in g.leaves() {
        for &r in &grown_on[start..end] {
            margin[r as usize * k + c] += value;
        }
    }
    if others.is_empty() {
        return;
    }
    let values: Vec<f64> = others
        .par_iter()
        .with_min_len(4096)
        .map(|&r| tree::leaf_value_binned(&g.nodes, data, r as usize))
        .collect();
    for (&r, v) in others.iter().zip(values) {
        margin[r as usize * k + c] += v;
    }
}

/// Mean log-loss of `rows`.
fn log_loss(margin: &[f64], y: &[u32], k: usize, rows: &[u32]) -> f64 {
    if rows.is_empty() {
        return 0.0;
    }
    let mut s = 0.0;
    for &r in rows {
        let r = r as usize;
        if k == 1 {
            let m = margin[r];
            // -log sigmoid(m) for y=1, -log(1-sigmoid(m)) = -log sigmoid(-m) for y=0.
            let z = if y[r] == 1 { m } else { -m };
            s += softplus(-z);
        } else {
            let m = &margin[r * k..(r + 1) * k];
            let mx = m.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = mx + m.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
            s += lse - m[y[r] as usize];
        }
    }
    s / rows.len() as f64
}

#[inline]
fn softplus(x: f64) -> f64 {
    if x > 30.0 { x } else { x.exp().ln_1p() }
}

/// Stratified, seeded split of the row indices into (train, validation): each class puts
/// `round(fraction * count)` of its rows (at most count - 1) in validation.
fn stratified_split(y: &[u32], n_classes: usize, fraction: f64, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut by_class: Vec<Vec<u32>> = vec![Vec::new(); n_classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c as usize].push(i as u32);
    }
    let mut rng = Rng::new(seed);
    let mut is_val = vec![false; y.len()];
    for rows in &mut by_class {
        let n = rows.len();
        if n < 2 {
            continue;
        }
        let nv = ((fraction * n as f64).round() as usize).min(n - 1);
        rng.shuffle(rows);
        for &r in &rows[..nv] {
            is_val[r as usize] = true;
        }
    }
    let mut tr = Vec::new();
    let mut va = Vec::new();
    for (i, v) in is_val.into_iter().enumerate() {
        if v {
            va.push(i as u32)
        } else {
            tr.push(i as u32)
        }
    }
    (tr, va)
}

/// Bridge between the shared quantile bins ([`crate::binning::BinnedMatrix`], column-major)
/// and the booster's row-major view. This is a thin extension of the binning module: the
/// row-major copy of the codes is built once per training matrix and shared through the
/// same [`crate::DataCache`] under `"gbdt-rows:<max_bins>"`.
mod binning_bridge {
    use std::sync::Arc;

    use super::*;
    use crate::binning::{BinnedMatrix, CutRule};

    /// The largest `f64` below `v` (`v` itself when nothing is below it or it is NaN).
    fn below(v: f64) -> f64 {
        if v.is_nan() || v == f64::NEG_INFINITY {
            v
        } else if v == 0.0 {
            -f64::from_bits(1)
        } else if v > 0.0 {
            f64::from_bits(v.to_bits() - 1)
        } else {
            f64::from_bits(v.to_bits() + 1)
        }
    }

    pub(crate) fn prepare(
        train: &TrainSet<'_>,
        max_bins: usize,
    ) -> Result<Arc<Prepared>, LearnError> {
        let key = format!("gbdt-rows:{max_bins}");
        Ok(train.cache.get_or_build(&key, || {
            from_binned(BinnedMatrix::for_train_with(train, max_bins, CutRule::Rank))
        }))
    }

    /// Bundled row-major codes and raw thresholds of a [`BinnedMatrix`].
    pub(crate) fn from_binned(bins: Arc<BinnedMatrix>) -> Prepared {
        // As XGBoost, a split sends `x < v` left, `v` the smallest training value of the
        // first bin on the right: the threshold is the largest number below `v` (values
        // between the two bins' training values go left). NaN is binned into the last
        // bin, so it never goes left of a split, and `NaN <= t` is false on raw values too.
        let edges = BinEdges {
            upper: (0..bins.n_features)
                .map(|f| {
                    (1..bins.n_bins(f))
                        .map(|b| below(bins.bin_min[f][b]))
                        .collect()
                })
                .collect(),
        };
        Prepared {
            rows: BinnedRows::new(bins),
            edges,
        }
    }
}
