//! Bagging over any registered classifier (scikit-learn `BaggingClassifier`).
//!
//! Estimator `i` draws its features first (`max_features` of them, with replacement when
//! `bootstrap_features`), then its rows (`max_samples`, with replacement when
//! `bootstrap`), from its own stream `derive_seed(trial seed, i)`, and is fitted on those
//! rows and columns. Rows drawn twice are fitted twice, which is what scikit-learn's
//! bootstrap counts as sample weights amount to. Every estimator is trained with all the
//! classes of the training set (a class missing from its sample gets probability 0 from
//! trees, as in scikit-learn's weighted fit).
//!
//! Scores are the mean over estimators of their probabilities, or of their one-hot votes
//! for an estimator without probabilities. The out-of-bag score (`oob_score: true`) is
//! scikit-learn's: each row summed over the estimators that did not draw it, accuracy of
//! the argmax over every training row (a row no estimator left out counts as class 0).

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{BuiltMember, Catalog, FittedMember, SavedMember};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{
    Classifier, ClassifierEntry, ClassifierParams, DataCache, FitContext, TrainSet, argmax_rows,
};

pub const NAME: &str = "bagging";

pub fn entry<C: Catalog>() -> ClassifierEntry {
    ClassifierEntry {
        name: NAME,
        backend: "native",
        summary: "bagging of any registered classifier (scikit-learn BaggingClassifier): rows and/or features drawn per estimator, averaged probabilities, optional out-of-bag score",
        params: specs::<C>,
        build: build::<C>,
        load: load::<C>,
    }
}

/// A count >= 1, or a fraction in (0, 1].
fn count_or_fraction() -> ParamKind {
    ParamKind::OneOf(vec![
        ParamKind::Int {
            min: 1,
            max: i64::MAX,
        },
        ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
    ])
}

pub fn specs<C: Catalog>() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "estimator",
            ParamKind::Member,
            super::default_member::<C>("decision_tree"),
            "the base classifier, written like a `models:` entry (default decision_tree)",
        ),
        ParamSpec::new(
            "n_estimators",
            ParamKind::Int {
                min: 1,
                max: 100_000,
            },
            ParamValue::Int(10),
            "number of estimators (default 10)",
        ),
        ParamSpec::new(
            "max_samples",
            count_or_fraction(),
            ParamValue::Float(1.0),
            "rows drawn per estimator: a count, or a fraction of the training rows (default 1.0)",
        ),
        ParamSpec::new(
            "max_features",
            count_or_fraction(),
            ParamValue::Float(1.0),
            "features drawn per estimator: a count, or a fraction, at least 1 (default 1.0)",
        ),
        ParamSpec::new(
            "bootstrap",
            ParamKind::Bool,
            ParamValue::Bool(true),
            "draw rows with replacement (default true)",
        ),
        ParamSpec::new(
            "bootstrap_features",
            ParamKind::Bool,
            ParamValue::Bool(false),
            "draw features with replacement (default false)",
        ),
        ParamSpec::new(
            "oob_score",
            ParamKind::Bool,
            ParamValue::Bool(false),
            "compute the out-of-bag accuracy (needs bootstrap; default false)",
        ),
    ]
}

/// A count or a fraction as given.
#[derive(Debug, Clone, Copy)]
enum Amount {
    Count(usize),
    Fraction(f64),
}

impl Amount {
    fn read(p: &ParamMap, name: &str) -> Result<Amount, LearnError> {
        Ok(match p.get(name)? {
            ParamValue::Int(i) => Amount::Count(*i as usize),
            _ => Amount::Fraction(p.f64(name)?),
        })
    }
}

#[derive(Debug)]
pub struct BaggingParams {
    estimator: BuiltMember,
    n_estimators: usize,
    max_samples: Amount,
    max_features: Amount,
    bootstrap: bool,
    bootstrap_features: bool,
    oob_score: bool,
}

pub fn build<C: Catalog>(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let bootstrap = p.bool("bootstrap")?;
    let oob_score = p.bool("oob_score")?;
    if oob_score && !bootstrap {
        return Err(LearnError::param(
            "oob_score",
            "needs bootstrap: true (without replacement no row is reliably left out)",
        ));
    }
    Ok(Box::new(BaggingParams {
        estimator: super::build_member::<C>(p, "estimator")?,
        n_estimators: p.usize("n_estimators")?,
        max_samples: Amount::read(p, "max_samples")?,
        max_features: Amount::read(p, "max_features")?,
        bootstrap,
        bootstrap_features: p.bool("bootstrap_features")?,
        oob_score,
    }))
}

/// One fitted estimator, its columns, and its out-of-bag sums when asked.
struct Bag {
    member: FittedMember,
    features: Vec<usize>,
    oob: Option<Array2<f64>>,
}

/// What one estimator was fitted on.
struct Draw {
    features: Vec<usize>,
    rows: Vec<usize>,
}

impl BaggingParams {
    /// Rows and features per estimator, as scikit-learn resolves them.
    fn sizes(&self, n: usize, d: usize) -> Result<(usize, usize), LearnError> {
        let rows = match self.max_samples {
            Amount::Count(c) => c,
            Amount::Fraction(f) => ((f * n as f64) as usize).max(1),
        };
        if !self.bootstrap && rows > n {
            return Err(LearnError::param(
                "max_samples",
                format!("{rows} rows cannot be drawn without replacement from {n}"),
            ));
        }
        let feats = match self.max_features {
            Amount::Count(c) => c,
            Amount::Fraction(f) => (f * d as f64) as usize,
        };
        if feats > d {
            return Err(LearnError::param(
                "max_features",
                format!("{feats} features asked, the data has {d}"),
            ));
        }
        Ok((rows, feats.max(1)))
    }

    fn draw(&self, seed: u64, n: usize, d: usize, rows: usize, feats: usize) -> Draw {
        let mut rng = Rng::new(seed);
        let features = if self.bootstrap_features {
            (0..feats).map(|_| rng.below(d)).collect()
        } else {
            // The set is what matters; in column order, a draw of every feature needs no copy.
            let mut f = rng.sample_indices(d, feats);
            f.sort_unstable();
            f
        };
        let rows = if self.bootstrap {
            (0..rows).map(|_| rng.below(n)).collect()
        } else {
            rng.sample_indices(n, rows)
        };
        Draw { features, rows }
    }

    /// Estimator `i`, fitted on its draw.
    fn fit_one(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
        i: usize,
        sizes: (usize, usize),
    ) -> Result<Bag, LearnError> {
        let (n, d) = train.x.dim();
        let seed = derive_seed(ctx.seed, i as u64);
        let draw = self.draw(derive_seed(seed, 0), n, d, sizes.0, sizes.1);
        let x = super::take(train.x, &draw.rows, Some(&draw.features));
        let y: Vec<u32> = draw.rows.iter().map(|&r| train.y[r]).collect();
        let names: Vec<String> = draw
            .features
            .iter()
            .map(|&f| {
                train
                    .feature_names
                    .get(f)
                    .cloned()
                    .unwrap_or_else(|| format!("x{f}"))
            })
            .collect();
        // A fresh cache: derived data (bins) of the full matrix do not describe this sample.
        let cache = DataCache::new();
        let sub = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: train.n_classes,
            class_names: train.class_names,
            feature_names: &names,
            cache: &cache,
        };
        let member_ctx = FitContext {
            seed,
            threads: ctx.threads,
        };
        let member = self.estimator.fit(&sub, &member_ctx, 1)?;
        let oob = self
            .oob_score
            .then(|| oob_part(member.model.as_ref(), train, &draw));
        Ok(Bag {
            member,
            features: draw.features,
            oob,
        })
    }
}

/// Probabilities (or votes) of one estimator on the rows it did not draw, zero elsewhere.
fn oob_part(model: &dyn Classifier, train: &TrainSet<'_>, draw: &Draw) -> Array2<f64> {
    let n = train.x.nrows();
    let mut in_bag = vec![false; n];
    for &r in &draw.rows {
        in_bag[r] = true;
    }
    let out_rows: Vec<usize> = (0..n).filter(|&r| !in_bag[r]).collect();
    let x = super::take(train.x, &out_rows, Some(&draw.features));
    let part = estimator_scores(model, x.view(), train.n_classes);
    let mut full = Array2::zeros((n, train.n_classes));
    for (j, &r) in out_rows.iter().enumerate() {
        full.row_mut(r).assign(&part.row(j));
    }
    full
}

/// Probabilities where the estimator has them, else one-hot votes.
fn estimator_scores(model: &dyn Classifier, x: ArrayView2<'_, f64>, k: usize) -> Array2<f64> {
    if model.scores_are_probabilities() {
        model.scores(x)
    } else {
        super::one_hot(&model.predict(x), k)
    }
}

impl ClassifierParams for BaggingParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        train.validate()?;
        let sizes = self.sizes(train.x.nrows(), train.x.ncols())?;
        let fits = (0..self.n_estimators)
            .into_par_iter()
            .map(|i| self.fit_one(train, ctx, i, sizes))
            .collect::<Result<Vec<_>, _>>()?;
        let mut oob_sum: Option<Array2<f64>> = None;
        let mut members = Vec::with_capacity(fits.len());
        let mut features = Vec::with_capacity(fits.len());
        for bag in fits {
            if let Some(part) = bag.oob {
                match oob_sum.as_mut() {
                    Some(s) => *s += &part,
                    None => oob_sum = Some(part),
                }
            }
            members.push(bag.member);
            features.push(bag.features);
        }
        let oob = oob_sum.map(|s| {
            let pred = argmax_rows(&s);
            let hits = pred.iter().zip(train.y).filter(|(p, y)| p == y).count();
            hits as f64 / train.y.len() as f64
        });
        Ok(Box::new(Bagging {
            members,
            features,
            n_classes: train.n_classes,
            n_features: train.x.ncols(),
            oob,
        }))
    }
}

pub struct Bagging {
    members: Vec<FittedMember>,
    /// The columns each estimator was fitted on, in its order.
    features: Vec<Vec<usize>>,
    n_classes: usize,
    n_features: usize,
    oob: Option<f64>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    members: Vec<SavedMember>,
    features: Vec<Vec<usize>>,
    n_classes: usize,
    n_features: usize,
    oob: Option<f64>,
}

impl Classifier for Bagging {
    fn kind(&self) -> &'static str {
        NAME
    }
    fn n_classes(&self) -> usize {
        self.n_classes
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        if x.ncols() != self.n_features {
            return super::nan_scores(x.nrows(), self.n_classes);
        }
        let parts: Vec<Array2<f64>> = self
            .members
            .par_iter()
            .zip(&self.features)
            .map(|(m, f)| {
                let every = f.len() == x.ncols() && f.iter().enumerate().all(|(i, &c)| i == c);
                if every {
                    estimator_scores(m.model.as_ref(), x, self.n_classes)
                } else {
                    let sub = x.select(Axis(1), f);
                    estimator_scores(m.model.as_ref(), sub.view(), self.n_classes)
                }
            })
            .collect();
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        for p in &parts {
            out += p;
        }
        out / self.members.len() as f64
    }
    fn oob_score(&self) -> Option<f64> {
        self.oob
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(&Saved {
            members: super::save_all(&self.members)?,
            features: self.features.clone(),
            n_classes: self.n_classes,
            n_features: self.n_features,
            oob: self.oob,
        })?)
    }
}

pub fn load<C: Catalog>(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let s: Saved = postcard::from_bytes(bytes)?;
    Ok(Box::new(Bagging {
        members: super::load_all::<C>(&s.members)?,
        features: s.features,
        n_classes: s.n_classes,
        n_features: s.n_features,
        oob: s.oob,
    }))
}
