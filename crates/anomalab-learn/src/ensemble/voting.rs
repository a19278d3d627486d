//! Voting over member classifiers (scikit-learn `VotingClassifier`).
//!
//! * `soft`: the weighted average of the members' probabilities; every member must give
//!   probabilities (as scikit-learn requires `predict_proba`).
//! * `hard`: each member votes its predicted class with its weight; the scores are the
//!   weighted vote fractions and the prediction their argmax, the first class on ties
//!   (scikit-learn's `argmax(bincount(votes, weights))`). Not probabilities.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{BuiltMember, Catalog, FittedMember, SavedMember};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Classifier, ClassifierEntry, ClassifierParams, FitContext, TrainSet};

pub const NAME: &str = "voting";

pub fn entry<C: Catalog>() -> ClassifierEntry {
    ClassifierEntry {
        name: NAME,
        backend: "native",
        summary: "voting over member classifiers (scikit-learn VotingClassifier): hard (weighted majority) or soft (weighted mean probability); members fit in parallel",
        params: specs,
        build: build::<C>,
        load: load::<C>,
    }
}

pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "estimators",
            ParamKind::MemberList,
            ParamValue::Null,
            "required: the members, each written like a `models:` entry (algorithm, backend, params)",
        ),
        ParamSpec::new(
            "voting",
            ParamKind::Choice(&["hard", "soft"]),
            ParamValue::Str("hard".into()),
            "hard: weighted majority of predicted classes; soft: weighted mean of probabilities (default hard)",
        ),
        ParamSpec::new(
            "weights",
            ParamKind::OneOf(vec![
                ParamKind::FloatList {
                    min: 0.0,
                    max: f64::MAX,
                },
                ParamKind::Null,
            ]),
            ParamValue::Null,
            "one weight per member (default null: equal weights)",
        ),
    ]
}

#[derive(Debug)]
pub struct VotingParams {
    members: Vec<BuiltMember>,
    soft: bool,
    weights: Vec<f64>,
}

pub fn build<C: Catalog>(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let (_, members) = super::build_members::<C>(p, "estimators")?;
    let soft = p.str("voting")? == "soft";
    let weights = match p.get("weights")? {
        ParamValue::Null => vec![1.0; members.len()],
        ParamValue::List(items) => items
            .iter()
            .map(|v| match v {
                ParamValue::Int(i) => Ok(*i as f64),
                ParamValue::Float(x) => Ok(*x),
                other => Err(LearnError::param(
                    "weights",
                    format!("`{other}` is not a number"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(LearnError::param(
                "weights",
                format!("expected a list, found `{other}`"),
            ));
        }
    };
    if weights.len() != members.len() {
        return Err(LearnError::param(
            "weights",
            format!("{} weights for {} estimators", weights.len(), members.len()),
        ));
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(LearnError::param("weights", "the weights sum to zero"));
    }
    Ok(Box::new(VotingParams {
        members,
        soft,
        weights,
    }))
}

impl ClassifierParams for VotingParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        train.validate()?;
        let members = super::fit_all(&self.members, train, ctx)?;
        if self.soft
            && let Some(m) = members.iter().find(|m| !m.model.scores_are_probabilities())
        {
            return Err(LearnError::InvalidInput(format!(
                "soft voting needs probabilities, but `{}` ({}) gives decision values; use voting: hard",
                m.algorithm, m.backend
            )));
        }
        Ok(Box::new(Voting {
            members,
            soft: self.soft,
            weights: self.weights.clone(),
            n_classes: train.n_classes,
            n_features: train.x.ncols(),
        }))
    }
}

pub struct Voting {
    members: Vec<FittedMember>,
    soft: bool,
    weights: Vec<f64>,
    n_classes: usize,
    n_features: usize,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    members: Vec<SavedMember>,
    soft: bool,
    weights: Vec<f64>,
    n_classes: usize,
    n_features: usize,
}

impl Voting {
    /// Weighted sum of the members' probabilities (soft) or one-hot votes (hard), over the
    /// sum of the weights.
    fn combine(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        for (m, &w) in self.members.iter().zip(&self.weights) {
            let part = if self.soft {
                m.model.scores(x)
            } else {
                super::one_hot(&m.model.predict(x), self.n_classes)
            };
            out.scaled_add(w, &part);
        }
        out / self.weights.iter().sum::<f64>()
    }
}

impl Classifier for Voting {
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
        self.combine(x)
    }
    fn scores_are_probabilities(&self) -> bool {
        self.soft
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(&Saved {
            members: super::save_all(&self.members)?,
            soft: self.soft,
            weights: self.weights.clone(),
            n_classes: self.n_classes,
            n_features: self.n_features,
        })?)
    }
}

pub fn load<C: Catalog>(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let s: Saved = postcard::from_bytes(bytes)?;
    Ok(Box::new(Voting {
        members: super::load_all::<C>(&s.members)?,
        soft: s.soft,
        weights: s.weights,
        n_classes: s.n_classes,
        n_features: s.n_features,
    }))
}
