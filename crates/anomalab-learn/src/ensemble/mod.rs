//! Ensembles of other registered classifiers: [`voting`], [`bagging`], [`stacking`]
//! (scikit-learn's `VotingClassifier`, `BaggingClassifier`, `StackingClassifier`).
//!
//! A member is written exactly like a spec `models:` entry (`algorithm`, optional
//! `backend`, `params`). In a [`ParamMap`] it travels as a mapping in canonical form
//! ([`member_value`]): the backend named and every parameter resolved, so results.json
//! shows the complete member. Members are built and loaded through a [`Catalog`]: the
//! registry lists the ensembles, so this module cannot import it; the registry hands
//! itself in as the catalog type instead (`voting::entry::<Registry>()`).
//!
//! Member `i` is fitted with the seed `derive_seed(trial seed, i)`, whatever the thread
//! count; members are fitted in parallel in the ambient rayon pool (the run's pool).

pub mod bagging;
pub mod folds;
pub mod stacking;
pub mod voting;

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamMap, ParamValue};
use crate::rng::derive_seed;
use crate::traits::{Classifier, ClassifierEntry, ClassifierParams, FitContext, TrainSet};

/// Where members' algorithms are found (the registry implements it).
pub trait Catalog: 'static {
    /// The classifier `name` with `backend`, or its default backend when `None`.
    fn classifier(name: &str, backend: Option<&str>) -> Option<ClassifierEntry>;
}

/// A member's canonical value: `{algorithm, backend, params}` with `params` complete.
pub fn member_value(algorithm: &str, backend: &str, params: &ParamMap) -> ParamValue {
    let mut m = BTreeMap::new();
    m.insert("algorithm".into(), ParamValue::Str(algorithm.into()));
    m.insert("backend".into(), ParamValue::Str(backend.into()));
    m.insert("params".into(), ParamValue::Map(params.0.clone()));
    ParamValue::Map(m)
}

/// One resolved member: which algorithm and its complete parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub algorithm: String,
    pub backend: String,
    pub params: ParamMap,
}

impl Member {
    /// Parse and check a member value; `field` names it in messages (`estimators[1]`).
    pub fn parse<C: Catalog>(field: &str, v: &ParamValue) -> Result<Member, LearnError> {
        let ParamValue::Map(m) = v else {
            return Err(LearnError::param(
                field,
                format!("expected a model entry, found {} `{v}`", v.type_name()),
            ));
        };
        let text = |k: &str| match m.get(k) {
            Some(ParamValue::Str(s)) => Ok(Some(s.as_str())),
            None => Ok(None),
            Some(other) => Err(LearnError::param(
                &format!("{field}.{k}"),
                format!("expected a string, found `{other}`"),
            )),
        };
        let algorithm = text("algorithm")?
            .ok_or_else(|| LearnError::param(field, "a model entry needs `algorithm`"))?;
        let backend = text("backend")?;
        let entry = C::classifier(algorithm, backend).ok_or_else(|| {
            let what = match backend {
                Some(b) => format!("no classifier `{algorithm}` with backend `{b}`"),
                None => format!("no classifier `{algorithm}` (members must be classifiers)"),
            };
            LearnError::param(&format!("{field}.algorithm"), what)
        })?;
        let given = match m.get("params") {
            Some(ParamValue::Map(p)) => p.clone(),
            None => BTreeMap::new(),
            Some(other) => {
                return Err(LearnError::param(
                    &format!("{field}.params"),
                    format!("expected a mapping, found `{other}`"),
                ));
            }
        };
        let params = crate::params::resolve(&(entry.params)(), &given).map_err(|errs| {
            let (name, msg) = errs.into_iter().next().unwrap_or_default();
            LearnError::param(&format!("{field}.params.{name}"), msg)
        })?;
        Ok(Member {
            algorithm: entry.name.to_string(),
            backend: entry.backend.to_string(),
            params,
        })
    }

    /// A list of members (`estimators`).
    pub fn parse_list<C: Catalog>(field: &str, v: &ParamValue) -> Result<Vec<Member>, LearnError> {
        match v {
            ParamValue::List(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| Member::parse::<C>(&format!("{field}[{i}]"), item))
                .collect(),
            ParamValue::Null => Err(LearnError::param(
                field,
                "required: a non-empty list of model entries (algorithm, backend, params)",
            )),
            other => Err(LearnError::param(
                field,
                format!("expected a non-empty list of model entries, found `{other}`"),
            )),
        }
    }

    /// Unfitted parameters, checked by the member's own builder.
    pub fn build<C: Catalog>(&self, field: &str) -> Result<BuiltMember, LearnError> {
        let entry = C::classifier(&self.algorithm, Some(&self.backend)).ok_or_else(|| {
            LearnError::param(field, format!("no classifier `{}`", self.algorithm))
        })?;
        let params = (entry.build)(&self.params).map_err(|e| match e {
            LearnError::InvalidParam { name, message } => {
                LearnError::param(&format!("{field}.params.{name}"), message)
            }
            other => other,
        })?;
        Ok(BuiltMember {
            algorithm: self.algorithm.clone(),
            backend: self.backend.clone(),
            params,
        })
    }
}

/// A member ready to fit.
#[derive(Debug)]
pub struct BuiltMember {
    pub algorithm: String,
    pub backend: String,
    pub params: Box<dyn ClassifierParams>,
}

impl BuiltMember {
    /// Fit with member `index`'s seed.
    pub fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
        index: u64,
    ) -> Result<FittedMember, LearnError> {
        let ctx = FitContext {
            seed: derive_seed(ctx.seed, index),
            threads: ctx.threads,
        };
        Ok(FittedMember {
            algorithm: self.algorithm.clone(),
            backend: self.backend.clone(),
            model: self.params.fit(train, &ctx)?,
        })
    }
}

/// Fit every member on the same rows, in parallel, member `i` with seed index `i`.
pub fn fit_all(
    members: &[BuiltMember],
    train: &TrainSet<'_>,
    ctx: &FitContext,
) -> Result<Vec<FittedMember>, LearnError> {
    members
        .par_iter()
        .enumerate()
        .map(|(i, m)| m.fit(train, ctx, i as u64))
        .collect()
}

/// A fitted member and the algorithm that loads it back.
pub struct FittedMember {
    pub algorithm: String,
    pub backend: String,
    pub model: Box<dyn Classifier>,
}

/// A fitted member as stored inside an ensemble's bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedMember {
    pub algorithm: String,
    pub backend: String,
    pub bytes: Vec<u8>,
}

impl FittedMember {
    pub fn save(&self) -> Result<SavedMember, LearnError> {
        Ok(SavedMember {
            algorithm: self.algorithm.clone(),
            backend: self.backend.clone(),
            bytes: self.model.save()?,
        })
    }

    pub fn load<C: Catalog>(s: &SavedMember) -> Result<FittedMember, LearnError> {
        let entry = C::classifier(&s.algorithm, Some(&s.backend)).ok_or_else(|| {
            LearnError::Codec(format!(
                "this build has no classifier `{}` with backend `{}` to load an ensemble member with",
                s.algorithm, s.backend
            ))
        })?;
        Ok(FittedMember {
            algorithm: s.algorithm.clone(),
            backend: s.backend.clone(),
            model: (entry.load)(&s.bytes)?,
        })
    }
}

/// Save every member.
pub fn save_all(members: &[FittedMember]) -> Result<Vec<SavedMember>, LearnError> {
    members.iter().map(FittedMember::save).collect()
}

/// Load every member.
pub fn load_all<C: Catalog>(saved: &[SavedMember]) -> Result<Vec<FittedMember>, LearnError> {
    saved.iter().map(FittedMember::load::<C>).collect()
}

/// Rows `rows` (in that order, repeats allowed) and columns `cols` (all when `None`).
pub fn take(x: ArrayView2<'_, f64>, rows: &[usize], cols: Option<&[usize]>) -> Array2<f64> {
    let sub = x.select(Axis(0), rows);
    match cols {
        Some(c) => sub.select(Axis(1), c),
        None => sub,
    }
}

/// One-hot rows of predicted classes (a member without probabilities votes this way).
pub fn one_hot(pred: &[u32], n_classes: usize) -> Array2<f64> {
    let mut out = Array2::zeros((pred.len(), n_classes));
    for (r, &c) in pred.iter().enumerate() {
        out[[r, c as usize]] = 1.0;
    }
    out
}

/// The checks an ensemble's `scores` must survive: a wrong width gives NaN rows, as the
/// other learners do, instead of a panic inside a member.
pub fn nan_scores(n_rows: usize, n_classes: usize) -> Array2<f64> {
    Array2::from_elem((n_rows, n_classes), f64::NAN)
}

/// The required parameter `name` as a list of members, each built.
pub fn build_members<C: Catalog>(
    p: &ParamMap,
    name: &str,
) -> Result<(Vec<Member>, Vec<BuiltMember>), LearnError> {
    let members = Member::parse_list::<C>(name, p.get(name)?)?;
    let built = members
        .iter()
        .enumerate()
        .map(|(i, m)| m.build::<C>(&format!("{name}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((members, built))
}

/// The parameter `name` as one member, built.
pub fn build_member<C: Catalog>(p: &ParamMap, name: &str) -> Result<BuiltMember, LearnError> {
    Member::parse::<C>(name, p.get(name)?)?.build::<C>(name)
}

/// The canonical value of `algorithm` with all its defaults (for a parameter's default).
pub fn default_member<C: Catalog>(algorithm: &str) -> ParamValue {
    match C::classifier(algorithm, None) {
        Some(e) => {
            let params =
                crate::params::resolve(&(e.params)(), &BTreeMap::new()).unwrap_or_default();
            member_value(e.name, e.backend, &params)
        }
        None => ParamValue::Null,
    }
}
