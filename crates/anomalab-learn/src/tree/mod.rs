//! Native CART classification tree (`decision_tree`), and the tree hyper-parameters shared
//! with the forests.
//!
//! Trees are grown on the quantile bins of the training matrix ([`BinnedMatrix`], at most
//! `max_bins` per feature, shared by every trial through the [`TrainSet`] cache) with a
//! histogram split search; see [`grow`](self::grow) for the algorithm. Splits are stored
//! with real thresholds (`x <= t` goes left, NaN goes right), so prediction works on raw
//! rows. Parameters follow scikit-learn's `DecisionTreeClassifier`, with its defaults.
//!
//! Candidate thresholds: bin edges, which equal scikit-learn's midpoints for features with
//! at most `max_bins` distinct values. The decision tree splits features with more values
//! exactly (every midpoint between consecutive values, from presorted rows: see
//! [`exact`](self::exact)), so its tree is scikit-learn's when no two candidate splits tie;
//! `exact_splits: false` and the forests split those features at quantile edges only.

pub(crate) mod exact;
pub(crate) mod grow;
pub(crate) mod model;

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use self::exact::ExactColumns;
pub use self::grow::Criterion;
use self::grow::{ColumnShortcuts, GrowConfig, Splitter};
use self::model::{PackedTrees, Tree};
use crate::LearnError;
use crate::binning::{BinnedMatrix, MAX_BINS};
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::Rng;
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name of the decision tree.
pub const NAME: &str = "decision_tree";

/// How many features are looked at per split.
#[derive(Debug, Clone, PartialEq)]
pub enum MaxFeatures {
    All,
    Sqrt,
    Log2,
    /// A fraction of the features, in (0, 1].
    Fraction(f64),
    /// A count (counts above the number of features mean all of them).
    Count(usize),
}

impl MaxFeatures {
    fn from_param(v: &ParamValue) -> Result<Self, LearnError> {
        Ok(match v {
            ParamValue::Null => MaxFeatures::All,
            ParamValue::Str(s) if s == "sqrt" => MaxFeatures::Sqrt,
            ParamValue::Str(s) if s == "log2" => MaxFeatures::Log2,
            ParamValue::Int(i) if *i >= 1 => MaxFeatures::Count(*i as usize),
            ParamValue::Float(x) if *x > 0.0 && *x <= 1.0 => MaxFeatures::Fraction(*x),
            v => {
                return Err(LearnError::param(
                    "max_features",
                    format!(
                        "expected \"sqrt\", \"log2\", a fraction in (0, 1], a count or null, found `{v}`"
                    ),
                ));
            }
        })
    }

    /// The number of features for `n_features` columns (scikit-learn's rounding: down,
    /// at least 1).
    pub fn resolve(&self, n_features: usize) -> usize {
        let nf = n_features as f64;
        let k = match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => nf.sqrt() as usize,
            MaxFeatures::Log2 => nf.log2() as usize,
            MaxFeatures::Fraction(x) => (x * nf) as usize,
            MaxFeatures::Count(k) => *k,
        };
        k.clamp(1, n_features.max(1))
    }
}

/// Per-class weights.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassWeight {
    None,
    /// `n_samples / (n_classes_present * count(class))` (scikit-learn's "balanced").
    Balanced,
    /// "balanced", computed on each tree's bootstrap sample (forests only).
    BalancedSubsample,
    /// Class name -> weight; classes not named weigh 1.
    Map(BTreeMap<String, f64>),
}

impl ClassWeight {
    fn from_param(v: &ParamValue) -> Result<Self, LearnError> {
        Ok(match v {
            ParamValue::Null => ClassWeight::None,
            ParamValue::Str(s) if s == "balanced" => ClassWeight::Balanced,
            ParamValue::Str(s) if s == "balanced_subsample" => ClassWeight::BalancedSubsample,
            ParamValue::Map(m) => {
                let mut out = BTreeMap::new();
                for (k, w) in m {
                    let w = match w {
                        ParamValue::Int(i) => *i as f64,
                        ParamValue::Float(x) => *x,
                        _ => f64::NAN,
                    };
                    if !(w > 0.0 && w.is_finite()) {
                        return Err(LearnError::param(
                            "class_weight",
                            format!("class `{k}`: weight must be a positive number"),
                        ));
                    }
                    out.insert(k.clone(), w);
                }
                ClassWeight::Map(out)
            }
            v => {
                return Err(LearnError::param(
                    "class_weight",
                    format!(
                        "expected \"balanced\", a mapping of class name to weight or null, found `{v}`"
                    ),
                ));
            }
        })
    }

    /// Weight of each class. `counts[c]` is the (possibly bootstrap-weighted) number of
    /// rows of class `c`; it is only used by the balanced modes.
    pub fn weights(&self, counts: &[f64], class_names: &[String]) -> Result<Vec<f64>, LearnError> {
        let k = counts.len();
        Ok(match self {
            ClassWeight::None => vec![1.0; k],
            ClassWeight::Balanced | ClassWeight::BalancedSubsample => balanced_weights(counts),
            ClassWeight::Map(m) => {
                let mut w = vec![1.0; k];
                for (name, &v) in m {
                    match class_names.iter().position(|c| c == name) {
                        Some(i) if i < k => w[i] = v,
                        _ => {
                            return Err(LearnError::param(
                                "class_weight",
                                format!(
                                    "class `{name}` is not a class of the training set (classes: {})",
                                    class_names.join(", ")
                                ),
                            ));
                        }
                    }
                }
                w
            }
        })
    }
}

/// scikit-learn's `compute_class_weight("balanced")`: `n / (n_present * count_c)`, where
/// `n_present` is the number of classes that occur (absent classes get weight 1; they have
/// no rows).
pub fn balanced_weights(counts: &[f64]) -> Vec<f64> {
    let n: f64 = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    counts
        .iter()
        .map(|&c| if c > 0.0 { n / (present * c) } else { 1.0 })
        .collect()
}

/// Tree hyper-parameters shared by the decision tree and the forests.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeParams {
    pub criterion: Criterion,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_impurity_decrease: f64,
    pub max_features: MaxFeatures,
    pub class_weight: ClassWeight,
    pub max_leaf_nodes: Option<usize>,
    pub max_bins: usize,
}

impl Default for TreeParams {
    /// scikit-learn's `DecisionTreeClassifier` defaults.
    fn default() -> Self {
        TreeParams {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_impurity_decrease: 0.0,
            max_features: MaxFeatures::All,
            class_weight: ClassWeight::None,
            max_leaf_nodes: None,
            max_bins: MAX_BINS,
        }
    }
}

impl TreeParams {
    /// Read the shared parameters from a resolved map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let criterion = match p.str("criterion")? {
            "gini" => Criterion::Gini,
            "entropy" | "log_loss" => Criterion::Entropy,
            other => {
                return Err(LearnError::param(
                    "criterion",
                    format!("expected \"gini\", \"entropy\" or \"log_loss\", found `{other}`"),
                ));
            }
        };
        Ok(TreeParams {
            criterion,
            max_depth: p.opt_usize("max_depth")?,
            min_samples_split: p.usize("min_samples_split")?.max(2),
            min_samples_leaf: p.usize("min_samples_leaf")?.max(1),
            min_impurity_decrease: p.f64("min_impurity_decrease")?,
            max_features: MaxFeatures::from_param(p.get("max_features")?)?,
            class_weight: ClassWeight::from_param(p.get("class_weight")?)?,
            max_leaf_nodes: p.opt_usize("max_leaf_nodes")?,
            max_bins: p.usize("max_bins")?.clamp(2, MAX_BINS),
        })
    }

    /// The shared parameter declarations; `max_features` defaults to `max_features_default`
    /// and `balanced_subsample` is accepted when `subsample` (forests with bootstrap).
    pub fn specs(max_features_default: ParamValue, subsample: bool) -> Vec<ParamSpec> {
        let balanced: &'static [&'static str] = if subsample {
            &["balanced", "balanced_subsample"]
        } else {
            &["balanced"]
        };
        vec![
            ParamSpec::new(
                "criterion",
                ParamKind::Choice(&["gini", "entropy", "log_loss"]),
                ParamValue::Str("gini".into()),
                "split quality: Gini impurity, or entropy in bits (log_loss is the same)",
            ),
            ParamSpec::new(
                "max_depth",
                ParamKind::OneOf(vec![
                    ParamKind::Int {
                        min: 1,
                        max: i64::MAX,
                    },
                    ParamKind::Null,
                ]),
                ParamValue::Null,
                "maximum depth of a tree (null = grow until leaves are pure or too small)",
            ),
            ParamSpec::new(
                "min_samples_split",
                ParamKind::Int {
                    min: 2,
                    max: i64::MAX,
                },
                ParamValue::Int(2),
                "fewest rows a node needs to be split",
            ),
            ParamSpec::new(
                "min_samples_leaf",
                ParamKind::Int {
                    min: 1,
                    max: i64::MAX,
                },
                ParamValue::Int(1),
                "fewest rows on each side of a split",
            ),
            ParamSpec::new(
                "min_impurity_decrease",
                ParamKind::Float {
                    min: 0.0,
                    max: f64::INFINITY,
                },
                ParamValue::Float(0.0),
                "split only if the weighted impurity decrease N_t/N * (I - N_L/N_t I_L - N_R/N_t I_R) is at least this",
            ),
            ParamSpec::new(
                "max_features",
                ParamKind::OneOf(vec![
                    ParamKind::Choice(&["sqrt", "log2"]),
                    ParamKind::Int {
                        min: 1,
                        max: i64::MAX,
                    },
                    ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
                    ParamKind::Null,
                ]),
                max_features_default,
                "features looked at per split: \"sqrt\", \"log2\", a count, a fraction, or null for all",
            ),
            ParamSpec::new(
                "class_weight",
                ParamKind::OneOf(vec![
                    ParamKind::Choice(balanced),
                    ParamKind::ClassWeights,
                    ParamKind::Null,
                ]),
                ParamValue::Null,
                "class weights: \"balanced\" (n / (n_classes * count)), a mapping class -> weight, or null",
            ),
            ParamSpec::new(
                "max_leaf_nodes",
                ParamKind::OneOf(vec![
                    ParamKind::Int {
                        min: 2,
                        max: i64::MAX,
                    },
                    ParamKind::Null,
                ]),
                ParamValue::Null,
                "grow best-first with at most this many leaves (null = depth-first, unlimited)",
            ),
            ParamSpec::new(
                "max_bins",
                ParamKind::Int {
                    min: 2,
                    max: MAX_BINS as i64,
                },
                ParamValue::Int(MAX_BINS as i64),
                "quantile bins per feature for the split search (native backend)",
            ),
        ]
    }

    pub(crate) fn grow_config(&self, n_features: usize, splitter: Splitter) -> GrowConfig {
        GrowConfig {
            criterion: self.criterion,
            splitter,
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            min_impurity_decrease: self.min_impurity_decrease,
            max_features: self.max_features.resolve(n_features),
            max_leaf_nodes: self.max_leaf_nodes,
            par_min_work: grow::PAR_MIN_WORK,
            plain: false,
        }
    }
}

/// Checks shared by the tree learners; returns the class counts.
pub(crate) fn check_train(train: &TrainSet<'_>) -> Result<Vec<f64>, LearnError> {
    train.validate()?;
    if train.x.ncols() == 0 {
        return Err(LearnError::InvalidInput(
            "the training set has no features".into(),
        ));
    }
    if train.n_classes == 0 {
        return Err(LearnError::InvalidInput("no classes".into()));
    }
    Ok(train.class_counts().into_iter().map(|c| c as f64).collect())
}

/// Normalise to sum 1 (all zeros stay zeros).
pub(crate) fn normalise(v: &mut [f64]) {
    let s: f64 = v.iter().sum();
    if s > 0.0 {
        for x in v {
            *x /= s;
        }
    }
}

/// Unfitted `decision_tree`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTreeParams {
    pub tree: TreeParams,
    /// Split features with more distinct values than bins at every midpoint between
    /// consecutive values (scikit-learn's candidates), not only at bin edges.
    pub exact_splits: bool,
}

impl DecisionTreeParams {
    /// The tree parameters, exact splits on.
    pub fn new(tree: TreeParams) -> Self {
        DecisionTreeParams {
            tree,
            exact_splits: true,
        }
    }

    pub fn specs() -> Vec<ParamSpec> {
        let mut specs = TreeParams::specs(ParamValue::Null, false);
        specs.push(ParamSpec::new(
            "exact_splits",
            ParamKind::Bool,
            ParamValue::Bool(true),
            "split features with more distinct values than max_bins at every midpoint between consecutive values, as scikit-learn (false: at bin edges only, faster on millions of rows)",
        ));
        specs
    }

    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let tree = TreeParams::from_params(p)?;
        if tree.class_weight == ClassWeight::BalancedSubsample {
            return Err(LearnError::param(
                "class_weight",
                "\"balanced_subsample\" is for forests; use \"balanced\"",
            ));
        }
        Ok(DecisionTreeParams {
            tree,
            exact_splits: p.bool("exact_splits")?,
        })
    }
}

impl ClassifierParams for DecisionTreeParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        Ok(Box::new(self.fit_tree(train, ctx)?))
    }
}

impl DecisionTreeParams {
    /// Fit and return the concrete model.
    pub fn fit_tree(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<DecisionTree, LearnError> {
        let counts = check_train(train)?;
        let bins = BinnedMatrix::for_train(train, self.tree.max_bins);
        let cw = self.tree.class_weight.weights(&counts, train.class_names)?;
        let n = train.y.len();
        let rows: Vec<u32> = (0..n as u32).collect();
        let weights: Vec<f64> = train.y.iter().map(|&c| cw[c as usize]).collect();
        let cfg = self.tree.grow_config(bins.n_features, Splitter::Best);
        let mut rng = Rng::new(ctx.seed);
        let sparse = ColumnShortcuts::for_train(train, &bins, self.tree.max_bins);
        let exact = self
            .exact_splits
            .then(|| ExactColumns::for_train(train, &bins, self.tree.max_bins));
        let grown = grow::grow(
            &bins,
            &sparse,
            exact.as_deref(),
            train.y,
            train.n_classes,
            rows,
            weights,
            &cfg,
            &mut rng,
        );
        let mut importances = grown.importances;
        normalise(&mut importances);
        Ok(DecisionTree {
            tree: grown.tree,
            n_features: bins.n_features,
            importances,
        })
    }
}

/// A fitted `decision_tree`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTree {
    tree: Tree,
    n_features: usize,
    importances: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct SavedTree {
    n_features: u32,
    importances: Vec<f64>,
    trees: PackedTrees,
}

impl DecisionTree {
    pub fn load(bytes: &[u8]) -> Result<Self, LearnError> {
        let s: SavedTree = postcard::from_bytes(bytes)?;
        let n_features = s.n_features as usize;
        let (mut trees, _) = s.trees.unpack(n_features)?;
        if trees.len() != 1 || s.importances.len() != n_features {
            return Err(LearnError::Codec("decision tree: expected one tree".into()));
        }
        Ok(DecisionTree {
            tree: trees.pop().unwrap(),
            n_features,
            importances: s.importances,
        })
    }

    pub fn n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }

    pub fn n_nodes(&self) -> usize {
        self.tree.nodes.len()
    }

    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The (feature, threshold) of every split node, in node order.
    pub fn splits(&self) -> Vec<(usize, f64)> {
        self.tree
            .nodes
            .iter()
            .filter(|n| n.feature != model::LEAF)
            .map(|n| (n.feature as usize, n.threshold))
            .collect()
    }
}

impl Classifier for DecisionTree {
    fn kind(&self) -> &'static str {
        NAME
    }

    fn n_classes(&self) -> usize {
        self.tree.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        assert_eq!(
            x.ncols(),
            self.n_features,
            "decision tree: wrong number of features"
        );
        model::predict_proba(std::slice::from_ref(&self.tree), self.tree.n_classes, x)
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.importances.clone())
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        let s = SavedTree {
            n_features: self.n_features as u32,
            importances: self.importances.clone(),
            trees: PackedTrees::pack(std::slice::from_ref(&self.tree), self.tree.n_classes),
        };
        Ok(postcard::to_stdvec(&s)?)
    }
}

/// Registry hooks.
pub(crate) fn build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(DecisionTreeParams::from_params(p)?))
}

pub(crate) fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(DecisionTree::load(bytes)?))
}

#[cfg(test)]
pub(crate) mod tests;
