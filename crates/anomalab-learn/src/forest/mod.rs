//! Native random forest (`random_forest`) and extremely randomised trees (`extra_trees`).
//!
//! Both grow many CART trees (see [`crate::tree`]) on the shared quantile bins of the
//! training matrix and average the trees' class probabilities (scikit-learn's soft
//! voting). A random forest draws a bootstrap sample per tree (by multiplicity: a row drawn
//! k times weighs k, nothing is copied) and searches the best split over `max_features`
//! features per node; extra trees use all rows by default and draw one random threshold
//! per candidate feature, uniformly between the node's smallest and largest value, snapped
//! to the bin edge at or above it.
//!
//! Trees are grown in parallel (a rayon `par_iter` over tree indices, inside the caller's
//! pool); tree `i` draws everything from its own generator seeded with
//! `derive_seed(seed, i)`, so the model does not depend on the number of threads.
//! Parameters and defaults follow scikit-learn's `RandomForestClassifier` and
//! `ExtraTreesClassifier`.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::binning::BinnedMatrix;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};
use crate::tree::grow::{self, ColumnShortcuts, Splitter};
use crate::tree::model::{self, LEAF, PackedTrees, Tree};
use crate::tree::{ClassWeight, TreeParams, balanced_weights, check_train, normalise};

pub const RANDOM_FOREST: &str = "random_forest";
pub const EXTRA_TREES: &str = "extra_trees";

/// Which ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForestKind {
    RandomForest,
    ExtraTrees,
}

impl ForestKind {
    pub fn name(self) -> &'static str {
        match self {
            ForestKind::RandomForest => RANDOM_FOREST,
            ForestKind::ExtraTrees => EXTRA_TREES,
        }
    }

    fn splitter(self) -> Splitter {
        match self {
            ForestKind::RandomForest => Splitter::Best,
            ForestKind::ExtraTrees => Splitter::Random,
        }
    }
}

/// Size of each tree's bootstrap sample.
#[derive(Debug, Clone, PartialEq)]
pub enum MaxSamples {
    /// As many draws as training rows.
    All,
    /// `max(1, round(fraction * n))` draws.
    Fraction(f64),
    Count(usize),
}

/// Unfitted forest.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestParams {
    pub kind: ForestKind,
    pub n_estimators: usize,
    pub bootstrap: bool,
    pub max_samples: MaxSamples,
    pub oob_score: bool,
    pub tree: TreeParams,
}

impl ForestParams {
    /// scikit-learn's defaults for `kind`.
    pub fn new(kind: ForestKind) -> Self {
        ForestParams {
            kind,
            n_estimators: 100,
            bootstrap: kind == ForestKind::RandomForest,
            max_samples: MaxSamples::All,
            oob_score: false,
            tree: TreeParams {
                max_features: crate::tree::MaxFeatures::Sqrt,
                ..TreeParams::default()
            },
        }
    }

    pub fn specs(kind: ForestKind) -> Vec<ParamSpec> {
        let mut v = vec![
            ParamSpec::new(
                "n_estimators",
                ParamKind::Int {
                    min: 1,
                    max: i64::MAX,
                },
                ParamValue::Int(100),
                "number of trees",
            ),
            ParamSpec::new(
                "bootstrap",
                ParamKind::Bool,
                ParamValue::Bool(kind == ForestKind::RandomForest),
                "grow each tree on a bootstrap sample (false = on every row)",
            ),
            ParamSpec::new(
                "max_samples",
                ParamKind::OneOf(vec![
                    ParamKind::Int {
                        min: 1,
                        max: i64::MAX,
                    },
                    ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
                    ParamKind::Null,
                ]),
                ParamValue::Null,
                "bootstrap sample size: a count, a fraction of the rows, or null for all rows",
            ),
            ParamSpec::new(
                "oob_score",
                ParamKind::Bool,
                ParamValue::Bool(false),
                "compute the out-of-bag accuracy (needs bootstrap)",
            ),
        ];
        v.extend(TreeParams::specs(ParamValue::Str("sqrt".into()), true));
        v
    }

    pub fn from_params(kind: ForestKind, p: &ParamMap) -> Result<Self, LearnError> {
        let max_samples = match p.get("max_samples")? {
            ParamValue::Null => MaxSamples::All,
            ParamValue::Int(i) if *i >= 1 => MaxSamples::Count(*i as usize),
            ParamValue::Float(x) if *x > 0.0 && *x <= 1.0 => MaxSamples::Fraction(*x),
            v => {
                return Err(LearnError::param(
                    "max_samples",
                    format!("expected a count, a fraction in (0, 1] or null, found `{v}`"),
                ));
            }
        };
        let fp = ForestParams {
            kind,
            n_estimators: p.usize("n_estimators")?.max(1),
            bootstrap: p.bool("bootstrap")?,
            max_samples,
            oob_score: p.bool("oob_score")?,
            tree: TreeParams::from_params(p)?,
        };
        if fp.oob_score && !fp.bootstrap {
            return Err(LearnError::param(
                "oob_score",
                "out-of-bag estimation needs bootstrap: true",
            ));
        }
        if fp.tree.class_weight == ClassWeight::BalancedSubsample && !fp.bootstrap {
            return Err(LearnError::param(
                "class_weight",
                "\"balanced_subsample\" needs bootstrap: true (use \"balanced\")",
            ));
        }
        Ok(fp)
    }

    /// Fit and return the concrete model.
    pub fn fit_forest(&self, train: &TrainSet<'_>, ctx: &FitContext) -> Result<Forest, LearnError> {
        let counts = check_train(train)?;
        let n = train.y.len();
        let n_boot = match self.max_samples {
            MaxSamples::All => n,
            MaxSamples::Fraction(x) => ((x * n as f64).round() as usize).max(1),
            MaxSamples::Count(k) if k <= n => k,
            MaxSamples::Count(k) => {
                return Err(LearnError::param(
                    "max_samples",
                    format!("{k} is more than the {n} training rows"),
                ));
            }
        };
        let bins = BinnedMatrix::for_train(train, self.tree.max_bins);
        let sparse = ColumnShortcuts::for_train(train, &bins, self.tree.max_bins);
        let class_w = self.tree.class_weight.weights(&counts, train.class_names)?;
        let cfg = self.tree.grow_config(bins.n_features, self.kind.splitter());
        let y = train.y;
        let c = train.n_classes;
        let subsample = self.tree.class_weight == ClassWeight::BalancedSubsample;

        let grown: Vec<GrownTree> = (0..self.n_estimators)
            .into_par_iter()
            .map(|t| {
                let mut rng = Rng::new(derive_seed(ctx.seed, t as u64));
                let (rows, weights, oob) = if self.bootstrap {
                    let mult = bootstrap_counts(&mut rng, n, n_boot);
                    let cw = if subsample {
                        let mut bc = vec![0.0; c];
                        for (i, &m) in mult.iter().enumerate() {
                            bc[y[i] as usize] += m as f64;
                        }
                        balanced_weights(&bc)
                    } else {
                        class_w.clone()
                    };
                    let mut rows = Vec::with_capacity(n);
                    let mut weights = Vec::with_capacity(n);
                    let mut oob = self.oob_score.then(|| vec![0u64; n.div_ceil(64)]);
                    for (i, &m) in mult.iter().enumerate() {
                        if m > 0 {
                            rows.push(i as u32);
                            weights.push(cw[y[i] as usize] * m as f64);
                        } else if let Some(o) = oob.as_mut() {
                            o[i / 64] |= 1 << (i % 64);
                        }
                    }
                    (rows, weights, oob)
                } else {
                    let rows: Vec<u32> = (0..n as u32).collect();
                    let weights = y.iter().map(|&k| class_w[k as usize]).collect();
                    (rows, weights, None)
                };
                let g = grow::grow(&bins, &sparse, None, y, c, rows, weights, &cfg, &mut rng);
                let mut imp = g.importances;
                normalise(&mut imp);
                (g.tree, imp, oob)
            })
            .collect();

        // scikit-learn: mean of the trees' normalised importances over trees that split.
        let nf = bins.n_features;
        let mut importances = vec![0.0; nf];
        let mut k = 0usize;
        for (tree, imp, _) in &grown {
            if tree.nodes.len() > 1 {
                k += 1;
                for (a, b) in importances.iter_mut().zip(imp) {
                    *a += b;
                }
            }
        }
        if k > 0 {
            for a in &mut importances {
                *a /= k as f64;
            }
        }
        normalise(&mut importances);

        let oob_score = if self.oob_score {
            oob_accuracy(&grown, &bins, y, c)
        } else {
            None
        };
        Ok(Forest {
            kind: self.kind,
            trees: grown.into_iter().map(|(t, _, _)| t).collect(),
            n_features: nf,
            n_classes: c,
            importances,
            oob_score,
        })
    }
}

/// One fitted tree, its normalised importances and, for the out-of-bag score, the bit set
/// of the rows it did not see.
type GrownTree = (Tree, Vec<f64>, Option<Vec<u64>>);

/// Multiplicity of each row in `draws` draws with replacement.
fn bootstrap_counts(rng: &mut Rng, n: usize, draws: usize) -> Vec<u32> {
    let mut mult = vec![0u32; n];
    for _ in 0..draws {
        mult[rng.below(n)] += 1;
    }
    mult
}

/// Accuracy of the averaged out-of-bag probabilities, over the rows that were out of bag
/// for at least one tree (`None` when there is no such row).
fn oob_accuracy(grown: &[GrownTree], bins: &BinnedMatrix, y: &[u32], c: usize) -> Option<f64> {
    const BLOCK: usize = 1024;
    let n = y.len();
    let (correct, seen) = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|blk| {
            let mut correct = 0usize;
            let mut seen = 0usize;
            let mut acc = vec![0.0; c];
            for i in blk * BLOCK..((blk + 1) * BLOCK).min(n) {
                acc.fill(0.0);
                let mut any = false;
                for (tree, _, oob) in grown {
                    let Some(mask) = oob else { continue };
                    if mask[i / 64] >> (i % 64) & 1 == 1 {
                        any = true;
                        for (a, &p) in acc.iter_mut().zip(tree.value(tree.leaf_binned(bins, i))) {
                            *a += p;
                        }
                    }
                }
                if any {
                    seen += 1;
                    let mut best = 0;
                    for k in 1..c {
                        if acc[k] > acc[best] {
                            best = k;
                        }
                    }
                    correct += (best == y[i] as usize) as usize;
                }
            }
            (correct, seen)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    (seen > 0).then(|| correct as f64 / seen as f64)
}

impl ClassifierParams for ForestParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        Ok(Box::new(self.fit_forest(train, ctx)?))
    }
}

/// A fitted `random_forest` or `extra_trees`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    kind: ForestKind,
    trees: Vec<Tree>,
    n_features: usize,
    n_classes: usize,
    importances: Vec<f64>,
    oob_score: Option<f64>,
}

#[derive(Serialize, Deserialize)]
struct SavedForest {
    kind: ForestKind,
    n_features: u32,
    importances: Vec<f64>,
    oob_score: Option<f64>,
    trees: PackedTrees,
}

impl Forest {
    /// Out-of-bag accuracy, when fitted with `oob_score: true`.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }

    pub fn forest_kind(&self) -> ForestKind {
        self.kind
    }

    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Total number of nodes and of leaves over all trees.
    pub fn size(&self) -> (usize, usize) {
        let nodes = self.trees.iter().map(|t| t.nodes.len()).sum();
        let leaves = self
            .trees
            .iter()
            .map(|t| t.nodes.iter().filter(|n| n.feature == LEAF).count())
            .sum();
        (nodes, leaves)
    }

    /// Decode a saved forest of the given kind.
    pub fn load(bytes: &[u8], kind: ForestKind) -> Result<Self, LearnError> {
        let s: SavedForest = postcard::from_bytes(bytes)?;
        if s.kind != kind {
            return Err(LearnError::Codec(format!(
                "the model is a {}, not a {}",
                s.kind.name(),
                kind.name()
            )));
        }
        let n_features = s.n_features as usize;
        let (trees, n_classes) = s.trees.unpack(n_features)?;
        if trees.is_empty() || s.importances.len() != n_features {
            return Err(LearnError::Codec(
                "forest: no trees or bad importances".into(),
            ));
        }
        Ok(Forest {
            kind: s.kind,
            trees,
            n_features,
            n_classes,
            importances: s.importances,
            oob_score: s.oob_score,
        })
    }
}

impl Classifier for Forest {
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        assert_eq!(
            x.ncols(),
            self.n_features,
            "forest: wrong number of features"
        );
        model::predict_proba(&self.trees, self.n_classes, x)
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.importances.clone())
    }

    fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        let s = SavedForest {
            kind: self.kind,
            n_features: self.n_features as u32,
            importances: self.importances.clone(),
            oob_score: self.oob_score,
            trees: PackedTrees::pack(&self.trees, self.n_classes),
        };
        Ok(postcard::to_stdvec(&s)?)
    }
}

/// Registry hooks.
pub(crate) fn random_forest_specs() -> Vec<ParamSpec> {
    ForestParams::specs(ForestKind::RandomForest)
}

pub(crate) fn extra_trees_specs() -> Vec<ParamSpec> {
    ForestParams::specs(ForestKind::ExtraTrees)
}

pub(crate) fn build_random_forest(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(ForestParams::from_params(
        ForestKind::RandomForest,
        p,
    )?))
}

pub(crate) fn build_extra_trees(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(ForestParams::from_params(
        ForestKind::ExtraTrees,
        p,
    )?))
}

pub(crate) fn load_random_forest(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(Forest::load(bytes, ForestKind::RandomForest)?))
}

pub(crate) fn load_extra_trees(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(Forest::load(bytes, ForestKind::ExtraTrees)?))
}

#[cfg(test)]
pub(crate) mod tests;
