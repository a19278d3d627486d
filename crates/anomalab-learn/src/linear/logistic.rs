//! `logistic_regression`: L2-regularised logistic regression fitted by L-BFGS on exactly the
//! objective of scikit-learn's `LogisticRegression(solver="lbfgs")`:
//!
//! `f(w) = (1/S) * sum_i s_i * loss_i(w) + 1/(2 C S) * |coef|^2`, with `s_i` the class
//! weight of row `i` and `S = sum_i s_i` (the intercept is not penalised).
//!
//! With two present classes the loss is the binomial log-loss with the second class
//! positive (one weight vector); with more it is the multinomial (softmax) log-loss with one
//! weight vector per class, as scikit-learn does since 1.5. The objective is strictly
//! convex in the coefficients, so any solver that drives the gradient to zero finds the same
//! minimiser: the agreement with scikit-learn's coefficients is therefore limited only by
//! the two stopping rules (checked in the tests with tight tolerances). Stopping follows
//! SciPy's L-BFGS-B as scikit-learn calls it: `max |gradient| <= tol`, or a relative
//! decrease of `f` below `64 * f64::EPSILON`, or `max_iter` iterations.
//!
//! The gradient is summed over fixed-size row chunks in parallel and the chunks are added
//! in order, so the fit does not depend on the thread count.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ClassWeight, check_train, class_weight_spec, lbfgs, present_classes};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name.
pub const NAME: &str = "logistic_regression";

/// Rows per parallel chunk of the objective.
const CHUNK: usize = 4096;

/// Validated hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams {
    pub c: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub fit_intercept: bool,
    pub(crate) class_weight: ClassWeight,
}

/// Parameter schema (names and defaults as scikit-learn's `LogisticRegression`).
pub fn params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "C",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1.0),
            "inverse regularisation strength (default 1.0)",
        ),
        ParamSpec::new(
            "max_iter",
            ParamKind::Int {
                min: 1,
                max: 1_000_000,
            },
            ParamValue::Int(100),
            "maximum L-BFGS iterations (default 100)",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1e-4),
            "stop when the largest gradient component is at most this (default 1e-4)",
        ),
        ParamSpec::new(
            "fit_intercept",
            ParamKind::Bool,
            ParamValue::Bool(true),
            "learn an unpenalised intercept (default true)",
        ),
        class_weight_spec(),
    ]
}

/// Build from a resolved parameter map.
pub fn build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(LogisticParams::from_params(p)?))
}

impl LogisticParams {
    /// Read and check the parameters.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let c = p.f64("C")?;
        if !(c > 0.0 && c.is_finite()) {
            return Err(LearnError::param("C", "must be a positive number"));
        }
        let tol = p.f64("tol")?;
        if tol.is_nan() || tol <= 0.0 {
            return Err(LearnError::param("tol", "must be positive"));
        }
        Ok(LogisticParams {
            c,
            max_iter: p.usize("max_iter")?.max(1),
            tol,
            fit_intercept: p.bool("fit_intercept")?,
            class_weight: ClassWeight::from_params(p)?,
        })
    }
}

/// The objective on one training set. Parameters are laid out as `k` rows of `d + 1`
/// (weights, then intercept); `k = 1` for the binomial case.
struct Objective<'a> {
    x: &'a [f64],
    d: usize,
    /// Index of the target among the fitted classes (binomial: 0 or 1).
    t: Vec<usize>,
    s: Vec<f64>,
    k: usize,
    s_sum: f64,
    c: f64,
    fit_intercept: bool,
}

impl Objective<'_> {
    fn n(&self) -> usize {
        self.t.len()
    }

    /// Value and gradient.
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let (d, k) = (self.d, self.k);
        let width = d + 1;
        let n = self.n();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<(f64, Vec<f64>)> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(n);
                let mut loss = 0.0;
                let mut grad = vec![0.0; theta.len()];
                let mut z = vec![0.0; k.max(2)];
                for i in start..end {
                    let xi = &self.x[i * d..(i + 1) * d];
                    let si = self.s[i];
                    if k == 1 {
                        let w = &theta[..width];
                        let zi = xi.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[d];
                        let y = self.t[i] as f64;
                        // log(1 + e^z) - y z, computed stably.
                        let lse = if zi > 0.0 {
                            zi + (-zi).exp().ln_1p()
                        } else {
                            zi.exp().ln_1p()
                        };
                        loss += si * (lse - y * zi);
                        let p = 1.0 / (1.0 + (-zi).exp());
                        let r = si * (p - y);
                        for (g, a) in grad[..d].iter_mut().zip(xi) {
                            *g += r * a;
                        }
                        grad[d] += r;
                    } else {
                        for (c, zc) in z.iter_mut().enumerate().take(k) {
                            let w = &theta[c * width..(c + 1) * width];
                            *zc = xi.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[d];
                        }
                        let m = z[..k].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let sum: f64 = z[..k].iter().map(|v| (v - m).exp()).sum();
                        let lse = m + sum.ln();
                        loss += si * (lse - z[self.t[i]]);
                        for c in 0..k {
                            let p = (z[c] - lse).exp();
                            let r = si * (p - if c == self.t[i] { 1.0 } else { 0.0 });
                            let g = &mut grad[c * width..(c + 1) * width];
                            for (gj, a) in g[..d].iter_mut().zip(xi) {
                                *gj += r * a;
                            }
                            g[d] += r;
                        }
                    }
                }
                (loss, grad)
            })
            .collect();
        let mut loss = 0.0;
        let mut grad = vec![0.0; theta.len()];
        for (l, g) in parts {
            loss += l;
            for (a, b) in grad.iter_mut().zip(&g) {
                *a += b;
            }
        }
        let inv_s = 1.0 / self.s_sum;
        let reg = 1.0 / (self.c * self.s_sum);
        let mut f = loss * inv_s;
        for c in 0..k {
            for j in 0..d {
                let w = theta[c * width + j];
                f += 0.5 * reg * w * w;
                grad[c * width + j] = grad[c * width + j] * inv_s + reg * w;
            }
            grad[c * width + d] = if self.fit_intercept {
                grad[c * width + d] * inv_s
            } else {
                0.0
            };
        }
        (f, grad)
    }
}

impl ClassifierParams for LogisticParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train)?;
        let present = present_classes(train)?;
        let weights = self.class_weight.resolve(train)?;
        let d = train.x.ncols();
        let x: Vec<f64> = train.x.as_standard_layout().iter().copied().collect();
        let mut slot = vec![usize::MAX; train.n_classes];
        for (i, &c) in present.iter().enumerate() {
            slot[c] = i;
        }
        let t: Vec<usize> = train.y.iter().map(|&c| slot[c as usize]).collect();
        let s: Vec<f64> = train.y.iter().map(|&c| weights[c as usize]).collect();
        let k = if present.len() == 2 { 1 } else { present.len() };
        let obj = Objective {
            x: &x,
            d,
            t,
            s_sum: s.iter().sum(),
            s,
            k,
            c: self.c,
            fit_intercept: self.fit_intercept,
        };
        let (coef, n_iter, converged) = lbfgs(
            &|t: &[f64]| obj.eval(t),
            k * (d + 1),
            self.tol,
            self.max_iter,
        );
        if coef.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::Fit(
                "logistic regression diverged (non-finite coefficients)".into(),
            ));
        }
        Ok(Box::new(LogisticRegression {
            n_classes: train.n_classes,
            n_features: d,
            present,
            coef,
            n_iter,
            converged,
        }))
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogisticRegression {
    n_classes: usize,
    n_features: usize,
    /// Classes that had training rows (the fitted classes, in order).
    present: Vec<usize>,
    /// One row of `n_features + 1` (weights, intercept) for two classes (the second is
    /// positive), else one row per present class.
    coef: Vec<f64>,
    n_iter: usize,
    converged: bool,
}

impl LogisticRegression {
    /// Coefficient rows (weights then intercept), as scikit-learn's
    /// `hstack([coef_, intercept_[:, None]])`.
    pub fn coefficients(&self) -> Vec<Vec<f64>> {
        self.coef
            .chunks(self.n_features + 1)
            .map(|c| c.to_vec())
            .collect()
    }

    /// L-BFGS iterations used, and whether a stopping rule other than `max_iter` was met.
    pub fn convergence(&self) -> (usize, bool) {
        (self.n_iter, self.converged)
    }
}

/// Load a model saved by [`Classifier::save`].
pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let m: LogisticRegression = postcard::from_bytes(bytes)?;
    let k = if m.present.len() == 2 {
        1
    } else {
        m.present.len()
    };
    if m.present.len() < 2
        || m.coef.len() != k * (m.n_features + 1)
        || m.present.iter().any(|&c| c >= m.n_classes)
    {
        return Err(LearnError::Codec(
            "logistic_regression model is inconsistent".into(),
        ));
    }
    Ok(Box::new(m))
}

impl Classifier for LogisticRegression {
    fn kind(&self) -> &'static str {
        NAME
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// Class probabilities (scikit-learn's `predict_proba`); classes without training rows
    /// get 0. Rows of the wrong width get NaN.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        if x.ncols() != self.n_features {
            out.fill(f64::NAN);
            return out;
        }
        let d = self.n_features;
        let rows = self.coefficients();
        for (r, xi) in x.rows().into_iter().enumerate() {
            let z: Vec<f64> = rows
                .iter()
                .map(|w| xi.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[d])
                .collect();
            if z.len() == 1 {
                let p = 1.0 / (1.0 + (-z[0]).exp());
                out[[r, self.present[0]]] = 1.0 - p;
                out[[r, self.present[1]]] = p;
            } else {
                let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
                let sum: f64 = e.iter().sum();
                for (c, v) in self.present.iter().zip(e) {
                    out[[r, *c]] = v / sum;
                }
            }
        }
        out
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::DataCache;
    use ndarray::array;
    use std::collections::BTreeMap;

    #[test]
    fn symmetric_two_point_problem_by_hand() {
        // x = -1 (class 0), x = +1 (class 1), no intercept, C = 1, S = 2:
        // f(w) = log(1 + e^-w) + w^2 / 4 (both rows have the same loss log(1 + e^-w)).
        // f'(w) = -1/(1 + e^w) + w/2 = 0  ->  w = 2 / (1 + e^w); fixed point w* below.
        let mut w: f64 = 0.5;
        for _ in 0..200 {
            w = 2.0 / (1.0 + w.exp());
        }
        let x = array![[-1.0], [1.0]];
        let mut g = BTreeMap::new();
        g.insert("fit_intercept".into(), ParamValue::Bool(false));
        g.insert("tol".into(), ParamValue::Float(1e-12));
        let p = crate::params::resolve(&params(), &g).unwrap();
        let cache = DataCache::new();
        let names = vec!["a".to_string(), "b".to_string()];
        let train = TrainSet {
            x: x.view(),
            y: &[0, 1],
            n_classes: 2,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let m = LogisticParams::from_params(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .unwrap();
        let s = m.scores(array![[1.0]].view());
        let want = 1.0 / (1.0 + (-w).exp());
        assert!((s[[0, 1]] - want).abs() < 1e-9, "{} vs {want}", s[[0, 1]]);
        assert!((s.row(0).sum() - 1.0).abs() < 1e-15);
        let back = load(&m.save().unwrap()).unwrap();
        assert_eq!(back.scores(x.view()), m.scores(x.view()));
        assert_eq!(back.kind(), NAME);
    }

    #[test]
    fn multinomial_with_an_absent_class_and_balanced_weights() {
        // Four declared classes, class 2 absent: a 3-class multinomial over 0, 1, 3.
        let x = array![
            [0.0, 0.0],
            [0.3, 0.1],
            [4.0, 0.0],
            [4.2, 0.3],
            [4.1, 0.2],
            [0.0, 4.0],
            [0.2, 4.1]
        ];
        let y = [0, 0, 1, 1, 1, 3, 3];
        let mut g = BTreeMap::new();
        g.insert("class_weight".into(), ParamValue::Str("balanced".into()));
        let p = crate::params::resolve(&params(), &g).unwrap();
        let cache = DataCache::new();
        let names: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 4,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let m = build(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .unwrap();
        let s = m.scores(x.view());
        for r in s.rows() {
            assert_eq!(r[2], 0.0);
            assert!((r.sum() - 1.0).abs() < 1e-12);
        }
        assert_eq!(m.predict(x.view()), y.to_vec());
    }
}
