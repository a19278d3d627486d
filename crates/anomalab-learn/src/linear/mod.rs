//! Native linear classifiers: `linear_svm` (LIBLINEAR's dual coordinate descent, as
//! scikit-learn's `LinearSVC`) and `logistic_regression` (L-BFGS on scikit-learn's
//! `LogisticRegression` objective, binary or multinomial).
//!
//! Both fit only the classes present in the training set (as scikit-learn, which learns its
//! classes from `y`) and give absent classes the lowest possible score, so a training fold
//! that misses a rare class still yields a model over all `n_classes` columns.
//! This module also owns the shared `class_weight` handling.

mod design;
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

/// A smooth objective: value and gradient at a point.
pub(crate) type ValueAndGradient<'a> = dyn Fn(&[f64]) -> (f64, Vec<f64>) + 'a;

/// L-BFGS memory (SciPy's default `maxcor`).
const MEMORY: usize = 10;

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// L-BFGS with a backtracking (Armijo) line search; returns the parameters, the number of
/// iterations and whether a stopping rule other than `max_iter` was met.
///
/// Stops when `max |gradient| <= gtol`, when the relative decrease of `f` falls below
/// `64 * f64::EPSILON` (SciPy's `ftol` as scikit-learn sets it), when no step decreases `f`
/// at machine precision, or after `max_iter` iterations (then `false`).
pub(crate) fn lbfgs(
    eval: &ValueAndGradient<'_>,
    dim: usize,
    gtol: f64,
    max_iter: usize,
) -> (Vec<f64>, usize, bool) {
    let mut theta = vec![0.0; dim];
    let (mut f, mut g) = eval(&theta);
    let mut hist: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    let ftol = 64.0 * f64::EPSILON;
    for iter in 0..max_iter {
        if max_abs(&g) <= gtol {
            return (theta, iter, true);
        }
        // Two-loop recursion: direction = -H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, y, rho) in hist.iter().rev() {
            let a = rho * dot(s, &q);
            for (qj, yj) in q.iter_mut().zip(y) {
                *qj -= a * yj;
            }
            alphas.push(a);
        }
        let gamma = match hist.last() {
            Some((s, y, _)) => dot(s, y) / dot(y, y),
            None => 1.0 / max_abs(&g).max(1.0),
        };
        for v in q.iter_mut() {
            *v *= gamma;
        }
        for ((s, y, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            for (qj, sj) in q.iter_mut().zip(s) {
                *qj += (a - b) * sj;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            hist.clear();
            let scale = 1.0 / max_abs(&g).max(1.0);
            dir = g.iter().map(|v| -v * scale).collect();
            slope = dot(&g, &dir);
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let cand: Vec<f64> = theta.iter().zip(&dir).map(|(t, d)| t + step * d).collect();
            let (fc, gc) = eval(&cand);
            if fc.is_finite() && fc <= f + 1e-4 * step * slope {
                accepted = Some((cand, fc, gc));
                break;
            }
            step *= 0.5;
        }
        let Some((cand, fc, gc)) = accepted else {
            // No decrease possible at machine precision: we are at the minimum.
            return (theta, iter + 1, true);
        };
        let s: Vec<f64> = cand.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gc.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
            if hist.len() == MEMORY {
                hist.remove(0);
            }
            hist.push((s, y, 1.0 / sy));
        }
        let rel = (f - fc) / f.abs().max(fc.abs()).max(1.0);
        theta = cand;
        f = fc;
        g = gc;
        if rel <= ftol {
            return (theta, iter + 1, true);
        }
    }
    let done = max_abs(&g) <= gtol;
    (theta, max_iter, done)
}
