//! Stacking (scikit-learn `StackingClassifier`).
//!
//! The members are fitted on every training row (these make the predictions), and again
//! on the training part of each fold of `StratifiedKFold(cv)` without shuffling (the exact
//! folds of scikit-learn, see [`super::folds`]); each fold's models predict its held-out
//! rows. The final estimator is fitted on those out-of-fold outputs (and the original
//! features with `passthrough`).
//!
//! A member's output (`stack_method`): `auto` takes its probabilities, or its decision
//! values when it has no probabilities; `predict_proba` insists on probabilities;
//! `predict` takes the predicted class index as one column. With two classes only the
//! second column of probabilities or decision values is kept (scikit-learn drops the
//! first, collinear, column of probabilities, and its binary decision function is one
//! column).

use ndarray::{Array2, ArrayView2, Axis, concatenate};
use serde::{Deserialize, Serialize};

use super::{BuiltMember, Catalog, FittedMember, SavedMember};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{
    Classifier, ClassifierEntry, ClassifierParams, DataCache, FitContext, TrainSet,
};

pub const NAME: &str = "stacking";

pub fn entry<C: Catalog>() -> ClassifierEntry {
    ClassifierEntry {
        name: NAME,
        backend: "native",
        summary: "stacking (scikit-learn StackingClassifier): a final estimator on the members' out-of-fold probabilities (stratified k-fold)",
        params: specs::<C>,
        build: build::<C>,
        load: load::<C>,
    }
}

pub fn specs<C: Catalog>() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "estimators",
            ParamKind::MemberList,
            ParamValue::Null,
            "required: the members, each written like a `models:` entry (algorithm, backend, params)",
        ),
        ParamSpec::new(
            "final_estimator",
            ParamKind::Member,
            super::default_member::<C>("logistic_regression"),
            "the classifier fitted on the members' outputs (default logistic_regression)",
        ),
        ParamSpec::new(
            "cv",
            ParamKind::Int { min: 2, max: 1000 },
            ParamValue::Int(5),
            "folds of the inner stratified k-fold, not shuffled (default 5)",
        ),
        ParamSpec::new(
            "stack_method",
            ParamKind::Choice(&["auto", "predict_proba", "predict"]),
            ParamValue::Str("auto".into()),
            "members' output: auto (probabilities, else decision values), predict_proba, predict (default auto)",
        ),
        ParamSpec::new(
            "passthrough",
            ParamKind::Bool,
            ParamValue::Bool(false),
            "also give the final estimator the original features (default false)",
        ),
    ]
}

/// What a member contributes to the final estimator's input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Output {
    Scores,
    Class,
}

#[derive(Debug)]
pub struct StackingParams {
    members: Vec<BuiltMember>,
    final_estimator: BuiltMember,
    cv: usize,
    method: String,
    passthrough: bool,
}

pub fn build<C: Catalog>(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    let (_, members) = super::build_members::<C>(p, "estimators")?;
    Ok(Box::new(StackingParams {
        members,
        final_estimator: super::build_member::<C>(p, "final_estimator")?,
        cv: p.usize("cv")?,
        method: p.str("stack_method")?.to_string(),
        passthrough: p.bool("passthrough")?,
    }))
}

/// The meta-features of one member on `x`.
fn member_columns(model: &dyn Classifier, out: Output, x: ArrayView2<'_, f64>) -> Array2<f64> {
    match out {
        Output::Class => {
            let pred = model.predict(x);
            Array2::from_shape_fn((pred.len(), 1), |(r, _)| pred[r] as f64)
        }
        Output::Scores => {
            let s = model.scores(x);
            if s.ncols() == 2 {
                s.slice(ndarray::s![.., 1..]).to_owned()
            } else {
                s
            }
        }
    }
}

/// The meta-features of every member, then the original features with `passthrough`.
fn meta_features(
    members: &[&dyn Classifier],
    outputs: &[Output],
    passthrough: bool,
    x: ArrayView2<'_, f64>,
) -> Array2<f64> {
    let mut parts: Vec<Array2<f64>> = members
        .iter()
        .zip(outputs)
        .map(|(m, &o)| member_columns(*m, o, x))
        .collect();
    if passthrough {
        parts.push(x.to_owned());
    }
    let views: Vec<ArrayView2<'_, f64>> = parts.iter().map(|p| p.view()).collect();
    concatenate(Axis(1), &views).unwrap_or_else(|_| Array2::zeros((x.nrows(), 0)))
}

impl StackingParams {
    fn outputs(&self, full: &[FittedMember]) -> Result<Vec<Output>, LearnError> {
        full.iter()
            .map(|m| match self.method.as_str() {
                "predict" => Ok(Output::Class),
                "predict_proba" if !m.model.scores_are_probabilities() => {
                    Err(LearnError::InvalidInput(format!(
                        "stack_method predict_proba: `{}` ({}) gives decision values, not probabilities",
                        m.algorithm, m.backend
                    )))
                }
                _ => Ok(Output::Scores),
            })
            .collect()
    }

    /// Out-of-fold meta-features of every training row (members' part only).
    fn out_of_fold(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
        outputs: &[Output],
    ) -> Result<Array2<f64>, LearnError> {
        let test_fold = super::folds::stratified_test_folds(train.y, self.cv)?;
        let mut meta: Option<Array2<f64>> = None;
        // One fold at a time keeps one copy of the training rows in memory.
        for (rows, test) in super::folds::split_rows(&test_fold, self.cv) {
            let x = super::take(train.x, &rows, None);
            let y: Vec<u32> = rows.iter().map(|&r| train.y[r]).collect();
            let cache = DataCache::new();
            let sub = TrainSet {
                x: x.view(),
                y: &y,
                cache: &cache,
                ..*train
            };
            let fitted = super::fit_all(&self.members, &sub, ctx)?;
            let models: Vec<&dyn Classifier> = fitted.iter().map(|m| m.model.as_ref()).collect();
            let x_test = super::take(train.x, &test, None);
            let part = meta_features(&models, outputs, false, x_test.view());
            let meta = meta.get_or_insert_with(|| Array2::zeros((train.x.nrows(), part.ncols())));
            for (j, &r) in test.iter().enumerate() {
                meta.row_mut(r).assign(&part.row(j));
            }
        }
        Ok(meta.unwrap_or_else(|| Array2::zeros((train.x.nrows(), 0))))
    }
}

impl ClassifierParams for StackingParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        train.validate()?;
        let full = super::fit_all(&self.members, train, ctx)?;
        let outputs = self.outputs(&full)?;
        let oof = self.out_of_fold(train, ctx, &outputs)?;
        let meta = if self.passthrough {
            concatenate(Axis(1), &[oof.view(), train.x.view()])
                .map_err(|e| LearnError::Fit(format!("stacking passthrough: {e}")))?
        } else {
            oof
        };
        let names: Vec<String> = (0..meta.ncols()).map(|c| format!("meta{c}")).collect();
        let cache = DataCache::new();
        let meta_train = TrainSet {
            x: meta.view(),
            feature_names: &names,
            cache: &cache,
            ..*train
        };
        let final_model = self
            .final_estimator
            .fit(&meta_train, ctx, self.members.len() as u64)?;
        Ok(Box::new(Stacking {
            members: full,
            outputs,
            final_model,
            passthrough: self.passthrough,
            n_classes: train.n_classes,
            n_features: train.x.ncols(),
        }))
    }
}

pub struct Stacking {
    members: Vec<FittedMember>,
    outputs: Vec<Output>,
    final_model: FittedMember,
    passthrough: bool,
    n_classes: usize,
    n_features: usize,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    members: Vec<SavedMember>,
    outputs: Vec<Output>,
    final_model: SavedMember,
    passthrough: bool,
    n_classes: usize,
    n_features: usize,
}

impl Classifier for Stacking {
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
        let models: Vec<&dyn Classifier> = self.members.iter().map(|m| m.model.as_ref()).collect();
        let meta = meta_features(&models, &self.outputs, self.passthrough, x);
        self.final_model.model.scores(meta.view())
    }
    fn scores_are_probabilities(&self) -> bool {
        self.final_model.model.scores_are_probabilities()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(&Saved {
            members: super::save_all(&self.members)?,
            outputs: self.outputs.clone(),
            final_model: self.final_model.save()?,
            passthrough: self.passthrough,
            n_classes: self.n_classes,
            n_features: self.n_features,
        })?)
    }
}

pub fn load<C: Catalog>(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let s: Saved = postcard::from_bytes(bytes)?;
    Ok(Box::new(Stacking {
        members: super::load_all::<C>(&s.members)?,
        outputs: s.outputs,
        final_model: FittedMember::load::<C>(&s.final_model)?,
        passthrough: s.passthrough,
        n_classes: s.n_classes,
        n_features: s.n_features,
    }))
}
