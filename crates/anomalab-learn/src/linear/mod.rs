//! Native linear classifiers: `linear_svm` (LIBLINEAR's dual coordinate descent, as
//! scikit-learn's `LinearSVC`) and `logistic_regression` (L-BFGS on scikit-learn's
//! `LogisticRegression` objective, binary or multinomial).
//!
//! Both fit only the classes present in the training set (as scikit-learn, which learns its
//! classes from `y`) and give absent classes the lowest possible score, so a training fold
//! that misses a rare class still yields a model over all `n_classes` columns.
//! This module also owns the shared `class_weight` handling.

pub mod logistic;
pub mod svm;

use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::TrainSet;

/// The `class_weight` parameter, as scikit-learn's: `null`, `"balanced"`, or a mapping of
/// class name to weight.
pub(crate) fn class_weight_spec() -> ParamSpec {
    ParamSpec::new(
        "class_weight",
        ParamKind::OneOf(vec![
            ParamKind::Null,
            ParamKind::Choice(&["balanced"]),
            ParamKind::ClassWeights,
        ]),
        ParamValue::Null,
        "null (all 1), \"balanced\" (n / (classes * count)), or {class name: weight} (default null)",
    )
}

/// The `class_weight` setting, validated against class names at fit time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClassWeight {
    None,
    Balanced,
    Map(Vec<(String, f64)>),
}

impl ClassWeight {
    pub(crate) fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        match p.get("class_weight")? {
            ParamValue::Null => Ok(ClassWeight::None),
            ParamValue::Str(s) if s == "balanced" => Ok(ClassWeight::Balanced),
            ParamValue::Map(m) => {
                let mut out = Vec::new();
                for (k, v) in m {
                    let w = match v {
                        ParamValue::Int(i) => *i as f64,
                        ParamValue::Float(f) => *f,
                        _ => f64::NAN,
                    };
                    if !(w > 0.0 && w.is_finite()) {
                        return Err(LearnError::param(
                            "class_weight",
                            format!("class `{k}`: weight must be a positive number"),
                        ));
                    }
                    out.push((k.clone(), w));
                }
                Ok(ClassWeight::Map(out))
            }
            v => Err(LearnError::param(
                "class_weight",
                format!("expected null, \"balanced\" or a mapping, found `{v}`"),
            )),
        }
    }

    /// Weight of each class index. `"balanced"` is scikit-learn's
    /// `n_samples / (n_present_classes * count)` over the classes present in `y`; classes
    /// missing from a mapping get 1 (as scikit-learn); unknown class names are an error.
    pub(crate) fn resolve(&self, train: &TrainSet<'_>) -> Result<Vec<f64>, LearnError> {
        let counts = train.class_counts();
        let mut w = vec![1.0; train.n_classes];
        match self {
            ClassWeight::None => {}
            ClassWeight::Balanced => {
                let present = counts.iter().filter(|&&c| c > 0).count() as f64;
                let n = train.y.len() as f64;
                for (k, &c) in counts.iter().enumerate() {
                    if c > 0 {
                        w[k] = n / (present * c as f64);
                    }
                }
            }
            ClassWeight::Map(m) => {
                for (name, v) in m {
                    let k = train
                        .class_names
                        .iter()
                        .position(|c| c == name)
                        .ok_or_else(|| {
                            LearnError::param(
                                "class_weight",
                                format!(
                                    "unknown class `{name}`; classes are: {}",
                                    train.class_names.join(", ")
                                ),
                            )
                        })?;
                    w[k] = *v;
                }
            }
        }
        Ok(w)
    }
}

/// Classes with at least one training row, in index order; an error unless there are two.
pub(crate) fn present_classes(train: &TrainSet<'_>) -> Result<Vec<usize>, LearnError> {
    let present: Vec<usize> = train
        .class_counts()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(k, _)| k)
        .collect();
    if present.len() < 2 {
        return Err(LearnError::InvalidInput(format!(
            "a classifier needs at least two classes in the training set, found {}",
            present.len()
        )));
    }
    Ok(present)
}

/// Checks shared by the linear learners: valid set and finite features.
pub(crate) fn check_train(train: &TrainSet<'_>) -> Result<(), LearnError> {
    train.validate()?;
    if train.x.iter().any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidInput(
            "linear models need finite feature values (found NaN or infinity)".into(),
        ));
    }
    Ok(())
}
