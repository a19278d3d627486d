//! Isolation forest (Liu, Ting & Zhou 2008), native, scored exactly as the paper and
//! scikit-learn's `IsolationForest`.
//!
//! Each tree is grown on a subsample of `max_samples` rows (without replacement unless
//! `bootstrap`) and a subset of `max_features` columns; at every node a feature is drawn at
//! random among the subset (constant features are skipped as scikit-learn's splitter does)
//! and the split value uniformly between the node's minimum and maximum. Trees stop at
//! height `ceil(log2(max_samples))`; a leaf holding `n` training rows adds the average path
//! length `c(n)` of an unsuccessful BST search. The anomaly score of a row is
//! `2^(-E[h(x)] / c(max_samples))` (higher = more anomalous, as the paper; scikit-learn's
//! `score_samples` is its negation). Trees are built in parallel, each from its own
//! [`derive_seed`] stream, so the model does not depend on the thread count.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::DetectorEntry;
use crate::traits::{Detector, DetectorParams, FitContext};

/// Euler-Mascheroni constant, as used by scikit-learn's `_average_path_length`.
const EULER_GAMMA: f64 = 0.577_215_664_9;

/// Average path length of an unsuccessful search in a binary search tree of `n` nodes:
/// `c(n) = 2 H(n-1) - 2 (n-1) / n` with `H(i) ~ ln(i) + 0.5772156649`, `c(2) = 1`,
/// `c(1) = c(0) = 0` (the normaliser of the paper, same formula as scikit-learn).
pub fn average_path_length(n: f64) -> f64 {
    if n <= 1.0 {
        0.0
    } else if n <= 2.0 {
        1.0
    } else {
        2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
    }
}

/// How many rows each tree is grown on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MaxSamples {
    /// `min(256, n)`.
    Auto,
    /// A count (capped at `n`).
    Count(usize),
    /// A fraction of `n` in (0, 1].
    Fraction(f64),
}

/// How many features each tree may split on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MaxFeatures {
    Count(usize),
    Fraction(f64),
}

/// Validated hyper-parameters of an isolation forest.
#[derive(Debug, Clone)]
pub struct IsolationForestParams {
    pub n_estimators: usize,
    pub max_samples: MaxSamples,
    pub max_features: MaxFeatures,
    pub bootstrap: bool,
    /// Expected share of anomalies; `None` = "auto". Only recorded: the caller fits the
    /// threshold (see [`contamination_threshold`]).
    pub contamination: Option<f64>,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        IsolationForestParams {
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            max_features: MaxFeatures::Fraction(1.0),
            bootstrap: false,
            contamination: None,
        }
    }
}

/// Parameter schema of `isolation_forest`.
pub fn param_specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "n_estimators",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(100),
            "number of isolation trees",
        ),
        ParamSpec::new(
            "max_samples",
            ParamKind::OneOf(vec![
                ParamKind::Choice(&["auto"]),
                ParamKind::Int {
                    min: 2,
                    max: i64::MAX,
                },
                ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
            ]),
            ParamValue::Str("auto".into()),
            "rows per tree: \"auto\" = min(256, n), a count, or a fraction of n",
        ),
        ParamSpec::new(
            "max_features",
            ParamKind::OneOf(vec![
                ParamKind::Int {
                    min: 1,
                    max: i64::MAX,
                },
                ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
            ]),
            ParamValue::Float(1.0),
            "features per tree: a count or a fraction of the columns",
        ),
        ParamSpec::new(
            "bootstrap",
            ParamKind::Bool,
            ParamValue::Bool(false),
            "draw each tree's rows with replacement",
        ),
        ParamSpec::new(
            "contamination",
            ParamKind::OneOf(vec![
                ParamKind::Choice(&["auto"]),
                ParamKind::FloatOpenMin { min: 0.0, max: 0.5 },
            ]),
            ParamValue::Str("auto".into()),
            "expected anomaly share, recorded for the caller's threshold (not used by the fit)",
        ),
    ]
}

impl IsolationForestParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let max_samples = match p.get("max_samples")? {
            ParamValue::Str(s) if s == "auto" => MaxSamples::Auto,
            ParamValue::Int(i) if *i >= 2 => MaxSamples::Count(*i as usize),
            ParamValue::Float(f) if *f > 0.0 && *f <= 1.0 => MaxSamples::Fraction(*f),
            v => {
                return Err(LearnError::param(
                    "max_samples",
                    format!("expected \"auto\", a count >= 2 or a fraction, found `{v}`"),
                ));
            }
        };
        let max_features = match p.get("max_features")? {
            ParamValue::Int(i) if *i >= 1 => MaxFeatures::Count(*i as usize),
            ParamValue::Float(f) if *f > 0.0 && *f <= 1.0 => MaxFeatures::Fraction(*f),
            v => {
                return Err(LearnError::param(
                    "max_features",
                    format!("expected a count >= 1 or a fraction, found `{v}`"),
                ));
            }
        };
        let contamination = match p.get("contamination")? {
            ParamValue::Str(s) if s == "auto" => None,
            ParamValue::Float(f) if *f > 0.0 && *f <= 0.5 => Some(*f),
            v => {
                return Err(LearnError::param(
                    "contamination",
                    format!("expected \"auto\" or a number in (0, 0.5], found `{v}`"),
                ));
            }
        };
        let n_estimators = p.usize("n_estimators")?;
        if n_estimators == 0 {
            return Err(LearnError::param("n_estimators", "must be at least 1"));
        }
        Ok(IsolationForestParams {
            n_estimators,
            max_samples,
            max_features,
            bootstrap: p.bool("bootstrap")?,
            contamination,
        })
    }

    /// Fit on the rows of `x` (concrete type; the trait method boxes it).
    pub fn fit_forest(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<IsolationForest, LearnError> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(LearnError::InvalidInput(
                "isolation forest needs at least one row and one column".into(),
            ));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::InvalidInput(
                "isolation forest input contains NaN or infinite values".into(),
            ));
        }
        let psi = match self.max_samples {
            MaxSamples::Auto => n.min(256),
            MaxSamples::Count(c) => c.min(n),
            MaxSamples::Fraction(f) => ((f * n as f64) as usize).max(1),
        };
        let n_feat = match self.max_features {
            MaxFeatures::Count(c) => c.min(d),
            MaxFeatures::Fraction(f) => ((f * d as f64) as usize).max(1),
        };
        let max_depth = (psi.max(2) as f64).log2().ceil() as usize;
        let xs = x.as_standard_layout();
        let data = xs
            .as_slice()
            .ok_or_else(|| LearnError::InvalidInput("matrix is not contiguous".into()))?;
        let trees: Vec<ITree> = (0..self.n_estimators)
            .into_par_iter()
            .map(|t| {
                let mut rng = Rng::new(derive_seed(ctx.seed, t as u64));
                let rows: Vec<usize> = if self.bootstrap {
                    (0..psi).map(|_| rng.below(n)).collect()
                } else {
                    rng.sample_indices(n, psi)
                };
                let feats: Vec<usize> = if n_feat == d {
                    (0..d).collect()
                } else {
                    rng.sample_indices(d, n_feat)
                };
                build_tree(data, d, &rows, &feats, max_depth, &mut rng)
            })
            .collect();
        Ok(IsolationForest {
            n_features: d,
            max_samples: psi,
            contamination: self.contamination,
            trees,
        })
    }
}

impl DetectorParams for IsolationForestParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_forest(x, ctx)?))
    }
}

/// One isolation tree in flat form. Node `i` is a leaf when `feature[i] == u32::MAX`; then
/// `value[i]` is its path length `depth + c(n_leaf)`. Otherwise `value[i]` is the split
/// value (`x <= value` goes left) and the children are `left[i]` and `left[i] + 1`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ITree {
    pub feature: Vec<u32>,
    pub value: Vec<f64>,
    pub left: Vec<u32>,
}

const LEAF: u32 = u32::MAX;

impl ITree {
    /// Path length of one row (`row.len()` = the forest's feature count).
    #[inline]
    pub fn path_length(&self, row: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let f = self.feature[i];
            if f == LEAF {
                return self.value[i];
            }
            i = if row[f as usize] <= self.value[i] {
                self.left[i] as usize
            } else {
                self.left[i] as usize + 1
            };
        }
    }
}

fn build_tree(
    data: &[f64],
    d: usize,
    rows: &[usize],
    feats: &[usize],
    max_depth: usize,
    rng: &mut Rng,
) -> ITree {
    // Column-major copy of the subsample restricted to the tree's features.
    let m = rows.len();
    let nf = feats.len();
    let mut cols = vec![0.0; m * nf];
    for (j, &f) in feats.iter().enumerate() {
        for (i, &r) in rows.iter().enumerate() {
            cols[j * m + i] = data[r * d + f];
        }
    }
    let mut idx: Vec<u32> = (0..m as u32).collect();
    let mut tree = ITree {
        feature: vec![LEAF],
        value: vec![0.0],
        left: vec![0],
    };
    // Work stack: (node, start, end, depth).
    let mut stack = vec![(0usize, 0usize, m, 0usize)];
    let mut order: Vec<usize> = (0..nf).collect();
    while let Some((node, lo, hi, depth)) = stack.pop() {
        let count = hi - lo;
        let leaf_value = depth as f64 + average_path_length(count as f64);
        if depth >= max_depth || count <= 1 {
            tree.value[node] = leaf_value;
            continue;
        }
        // Draw features without replacement until one is not constant in this node.
        let mut chosen = None;
        for k in 0..nf {
            let j = k + rng.below(nf - k);
            order.swap(k, j);
            let c = order[k];
            let col = &cols[c * m..(c + 1) * m];
            let (mut mn, mut mx) = (f64::INFINITY, f64::NEG_INFINITY);
            for &r in &idx[lo..hi] {
                let v = col[r as usize];
                mn = mn.min(v);
                mx = mx.max(v);
            }
            if mx > mn {
                chosen = Some((c, mn, mx));
                break;
            }
        }
        let Some((c, mn, mx)) = chosen else {
            tree.value[node] = leaf_value;
            continue;
        };
        let mut thr = mn + rng.next_f64() * (mx - mn);
        if thr >= mx {
            thr = mn;
        }
        let col = &cols[c * m..(c + 1) * m];
        // Partition idx[lo..hi] so that rows with x <= thr come first.
        let mut split = lo;
        for i in lo..hi {
            if col[idx[i] as usize] <= thr {
                idx.swap(i, split);
                split += 1;
            }
        }
        let left = tree.feature.len();
        tree.feature[node] = feats[c] as u32;
        tree.value[node] = thr;
        tree.left[node] = left as u32;
        for _ in 0..2 {
            tree.feature.push(LEAF);
            tree.value.push(0.0);
            tree.left.push(0);
        }
        stack.push((left + 1, split, hi, depth + 1));
        stack.push((left, lo, split, depth + 1));
    }
    tree
}

/// A fitted isolation forest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IsolationForest {
    pub n_features: usize,
    /// The subsample size actually used (the `c(psi)` normaliser).
    pub max_samples: usize,
    pub contamination: Option<f64>,
    pub trees: Vec<ITree>,
}

/// Rows per parallel scoring chunk.
const CHUNK: usize = 512;

impl IsolationForest {
    /// Mean path length `E[h(x)]` of each row over the trees.
    pub fn mean_path_lengths(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let n = x.nrows();
        if x.ncols() != self.n_features {
            return vec![f64::NAN; n];
        }
        let xs = x.as_standard_layout();
        let Some(data) = xs.as_slice() else {
            return vec![f64::NAN; n];
        };
        let d = self.n_features;
        let mut out = vec![0.0; n];
        let nt = self.trees.len() as f64;
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(ci, chunk)| {
                let base = ci * CHUNK;
                for tree in &self.trees {
                    for (k, o) in chunk.iter_mut().enumerate() {
                        let r = base + k;
                        *o += tree.path_length(&data[r * d..(r + 1) * d]);
                    }
                }
                for o in chunk.iter_mut() {
                    *o /= nt;
                }
            });
        out
    }

    /// The recorded contamination (`None` = "auto").
    pub fn contamination(&self) -> Option<f64> {
        self.contamination
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: IsolationForest = postcard::from_bytes(bytes)?;
        if m.trees.iter().any(|t| {
            t.feature.len() != t.value.len()
                || t.feature.len() != t.left.len()
                || t.feature.iter().zip(&t.left).any(|(&f, &l)| {
                    f != LEAF && (f as usize >= m.n_features || l as usize + 1 >= t.feature.len())
                })
        }) {
            return Err(LearnError::Codec("isolation forest: malformed tree".into()));
        }
        Ok(m)
    }
}

impl Detector for IsolationForest {
    fn kind(&self) -> &'static str {
        "isolation_forest"
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let c = average_path_length(self.max_samples as f64);
        self.mean_path_lengths(x)
            .into_iter()
            .map(|h| {
                if c > 0.0 {
                    2f64.powf(-h / c)
                } else {
                    // psi = 1: every path length is 0 and c(1) = 0; 0.5 is the neutral score.
                    0.5
                }
            })
            .collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

/// Threshold on anomaly scores that flags a `contamination` share of `train_scores`: the
/// `100 (1 - contamination)` percentile with linear interpolation (numpy's default), which
/// is `-offset_` of scikit-learn's `IsolationForest(contamination=c)` in our sign
/// convention. `contamination = None` ("auto") gives 0.5, scikit-learn's fixed offset.
pub fn contamination_threshold(train_scores: &[f64], contamination: Option<f64>) -> f64 {
    match contamination {
        None => 0.5,
        Some(c) => percentile(train_scores, 100.0 * (1.0 - c)),
    }
}

/// numpy `percentile(v, q)` (`q` in percent) with linear interpolation; NaNs are ignored;
/// NaN when no value is left ([`crate::stats::quantile`]).
pub fn percentile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    crate::stats::quantile(&s, q / 100.0)
}

fn build(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(IsolationForestParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(IsolationForest::from_bytes(bytes)?))
}

/// Registry entry of `isolation_forest` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: "isolation_forest",
        backend: "native",
        summary: "isolation forest (Liu et al. 2008), score 2^(-E[h]/c(psi)), parallel trees",
        params: param_specs,
        build,
        load,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn c_of_n_hand_values() {
        // c(1) = 0, c(2) = 1 by definition.
        assert_eq!(average_path_length(1.0), 0.0);
        assert_eq!(average_path_length(2.0), 1.0);
        // c(3) = 2 (ln 2 + 0.5772156649) - 2*2/3 = 2*1.2703628455 - 1.3333333333 = 1.2074
        assert!((average_path_length(3.0) - 1.207_392_357_7).abs() < 1e-9);
        // c(256) = 2 (ln 255 + 0.5772156649) - 2*255/256
        //        = 2 (5.5412635451 + 0.5772156649) - 1.9921875 = 10.2447709
        assert!((average_path_length(256.0) - 10.244_770_920).abs() < 1e-8);
    }

    #[test]
    fn path_length_on_hand_built_tree() {
        // root: x0 <= 0.5 ? node1 : node2; node1: x1 <= 2.0 ? leaf(n=1) : leaf(n=3);
        // node2: leaf with 4 rows at depth 1.
        let t = ITree {
            feature: vec![0, 1, LEAF, LEAF, LEAF],
            value: vec![
                0.5,
                2.0,
                1.0 + average_path_length(4.0), // node2: depth 1, 4 rows
                2.0 + average_path_length(1.0), // depth 2, 1 row -> 2
                2.0 + average_path_length(3.0), // depth 2, 3 rows
            ],
            left: vec![1, 3, 0, 0, 0],
        };
        assert_eq!(t.path_length(&[0.0, 1.0]), 2.0);
        assert!((t.path_length(&[0.0, 5.0]) - 3.207_392_357_7).abs() < 1e-9);
        // c(4) = 2 (ln 3 + 0.5772156649) - 1.5 = 2*1.6758279535 - 1.5 = 1.851655907
        assert!((t.path_length(&[0.9, 0.0]) - 2.851_655_907).abs() < 1e-8);
    }

    #[test]
    fn injected_outliers_score_higher_and_deterministic() {
        let mut rng = Rng::new(3);
        let n = 500;
        let mut x = Array2::zeros((n + 5, 3));
        for i in 0..n {
            for j in 0..3 {
                x[[i, j]] = rng.normal();
            }
        }
        for k in 0..5 {
            for j in 0..3 {
                x[[n + k, j]] = 6.0 + k as f64;
            }
        }
        let p = IsolationForestParams::default();
        let ctx = FitContext {
            seed: 9,
            threads: 2,
        };
        let m = p.fit_forest(x.view(), &ctx).unwrap();
        let s = m.score(x.view());
        let max_inlier = s[..n].iter().cloned().fold(f64::MIN, f64::max);
        let min_outlier = s[n..].iter().cloned().fold(f64::MAX, f64::min);
        assert!(min_outlier > max_inlier, "{min_outlier} vs {max_inlier}");
        assert!(min_outlier > 0.6);
        // Same seed, same model, and the bytes round-trip.
        let m2 = p.fit_forest(x.view(), &ctx).unwrap();
        assert_eq!(m.trees, m2.trees);
        let back = IsolationForest::from_bytes(&m.save().unwrap()).unwrap();
        assert_eq!(back.score(x.view()), s);
        // A threshold at contamination 5/505 flags exactly the 5 outliers.
        let thr = contamination_threshold(&s, Some(5.0 / 505.0));
        let flagged: Vec<usize> = (0..s.len()).filter(|&i| s[i] > thr).collect();
        assert!(flagged.iter().all(|&i| i >= n), "{flagged:?}");
    }

    #[test]
    fn percentile_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4], 90) = 3.7
        assert!((percentile(&[4.0, 1.0, 3.0, 2.0], 90.0) - 3.7).abs() < 1e-12);
    }
}
