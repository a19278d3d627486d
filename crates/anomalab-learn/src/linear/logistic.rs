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
//! in order, so the fit does not depend on the thread count. One-hot columns are read
//! through [`Design`]'s sparse form, so an evaluation costs O(numeric columns + categories)
//! per row.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::ops::Range;

use super::design::{Design, add_in_order};
use super::{ClassWeight, check_train, class_weight_spec, dot, lbfgs, present_classes};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name.
pub const NAME: &str = "logistic_regression";

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

/// The objective on one training set, in the [`Design`] parameter layout: `k` weight
/// vectors feature-major, then `k` intercepts; `k = 1` for the binomial case.
struct Objective<'a> {
    x: &'a Design,
    /// Index of the target among the fitted classes (binomial: 0 or 1).
    t: Vec<usize>,
    s: Vec<f64>,
    k: usize,
    s_sum: f64,
    c: f64,
    fit_intercept: bool,
}

impl Objective<'_> {
    /// Per chunk: the loss and the gradient of the summed loss.
    fn chunk(&self, theta: &[f64], rows: Range<usize>) -> (f64, Vec<f64>) {
        let k = self.k;
        let mut loss = 0.0;
        let g = self.x.fused(theta, k, 1.0, rows, |block, z| {
            for (zi, i) in z.chunks_exact_mut(k).zip(block) {
                loss += self.s[i] * residual(zi, self.t[i]);
                for v in zi.iter_mut() {
                    *v *= self.s[i];
                }
            }
        });
        (loss, g)
    }

    /// `g / S` plus the penalty's part on the coefficients; the intercepts' part is zero
    /// without `fit_intercept`.
    fn finish(&self, sum: &mut [f64], theta: &[f64]) {
        let n_coef = self.x.n_cols() * self.k;
        let reg = 1.0 / (self.c * self.s_sum);
        for (gj, w) in sum[..n_coef].iter_mut().zip(theta) {
            *gj = *gj / self.s_sum + reg * w;
        }
        for gj in sum[n_coef..].iter_mut() {
            *gj = if self.fit_intercept {
                *gj / self.s_sum
            } else {
                0.0
            };
        }
    }
}

impl Objective<'_> {
    /// Value and gradient.
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let parts: Vec<(f64, Vec<f64>)> = self
            .x
            .chunks()
            .into_par_iter()
            .map(|rows| self.chunk(theta, rows))
            .collect();
        let mut loss = 0.0;
        let mut grads = Vec::with_capacity(parts.len());
        for (l, g) in parts {
            loss += l;
            grads.push(g);
        }
        let mut g = add_in_order(grads, theta.len());
        let n_coef = self.x.n_cols() * self.k;
        let reg = 1.0 / (self.c * self.s_sum);
        let f = loss / self.s_sum + 0.5 * reg * dot(&theta[..n_coef], &theta[..n_coef]);
        self.finish(&mut g, theta);
        (f, g)
    }
}

/// One row's log-loss given its scores `z` and target `t`; `z` becomes the loss's gradient
/// in the scores, `p - y` (binomial: one score, of the positive class `t = 1`).
fn residual(z: &mut [f64], t: usize) -> f64 {
    if let [v] = z {
        let y = t as f64;
        // log(1 + e^v) - y v, computed stably.
        let lse = if *v > 0.0 {
            *v + (-*v).exp().ln_1p()
        } else {
            v.exp().ln_1p()
        };
        let loss = lse - y * *v;
        *v = 1.0 / (1.0 + (-*v).exp()) - y;
        return loss;
    }
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let target = z[t];
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
    z[t] -= 1.0;
    m + sum.ln() - target
}

impl LogisticParams {
    /// Coefficient rows (weights then intercept, in the caller's column order), L-BFGS
    /// iterations and convergence, for targets `t` (indices among `k` fitted classes, or
    /// 0/1 when `k = 1`) and row weights `s`.
    fn solve(&self, x: &Design, t: Vec<usize>, s: Vec<f64>, k: usize) -> (Vec<f64>, usize, bool) {
        let obj = Objective {
            x,
            t,
            s_sum: s.iter().sum(),
            s,
            k,
            c: self.c,
            fit_intercept: self.fit_intercept,
        };
        let dim = k * (x.n_cols() + 1);
        let (theta, n_iter, converged) =
            lbfgs(&|t: &[f64]| obj.eval(t), dim, self.tol, self.max_iter);
        (x.to_original(&theta, k).concat(), n_iter, converged)
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
        let x = Design::new(train.x);
        let mut slot = vec![usize::MAX; train.n_classes];
        for (i, &c) in present.iter().enumerate() {
            slot[c] = i;
        }
        let t: Vec<usize> = train.y.iter().map(|&c| slot[c as usize]).collect();
        let s: Vec<f64> = train.y.iter().map(|&c| weights[c as usize]).collect();
        let k = if present.len() == 2 { 1 } else { present.len() };
        let (coef, n_iter, converged) = self.solve(&x, t, s, k);
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

    fn onehot_params(tol: f64) -> LogisticParams {
        let mut g = BTreeMap::new();
        g.insert("tol".into(), ParamValue::Float(tol));
        g.insert("max_iter".into(), ParamValue::Int(10_000));
        LogisticParams::from_params(&crate::params::resolve(&params(), &g).unwrap()).unwrap()
    }

    #[test]
    fn two_valued_columns_give_the_dense_coefficients() {
        let (x, y) = crate::linear::design::onehot_case();
        let p = onehot_params(1e-10);
        let s = vec![1.0; y.len()];
        // Multinomial over the three classes, and binomial class 1 against the rest.
        let multi: Vec<usize> = y.iter().map(|&c| c as usize).collect();
        let bin: Vec<usize> = y.iter().map(|&c| usize::from(c == 1)).collect();
        for (t, k) in [(multi, 3), (bin, 1)] {
            let (sparse, _, ok_s) = p.solve(&Design::new(x.view()), t.clone(), s.clone(), k);
            let (dense, _, ok_d) = p.solve(&Design::dense(x.view()), t, s.clone(), k);
            assert!(ok_s && ok_d);
            for (a, b) in sparse.iter().zip(&dense) {
                assert!((a - b).abs() < 1e-9, "k = {k}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn one_hot_coefficients_equal_scikit_learn() {
        // `python3 scripts/ref_linear_onehot.py` (scikit-learn 1.9.1):
        // LogisticRegression(C=1.0, tol=1e-10, max_iter=10000) on design::onehot_case,
        // np.hstack([coef_, intercept_[:, None]]).
        let want = [
            [
                -0.06543655116100733,
                -0.10172751472357346,
                0.2951584775860714,
                -0.17377455666259803,
                0.19105010451598764,
                0.11562787138671157,
                -0.23624776493785185,
                0.4477440235232907,
                0.17909571476527955,
                -0.10151740511874766,
                0.12034264569461356,
                -0.3455721595197485,
                -0.3000937336769183,
                0.629549234647567,
            ],
            [
                1.101599747056538,
                -0.08925020684434716,
                0.4157686255457855,
                -0.6589968029574743,
                0.6508813113100056,
                -1.342469616275963,
                0.7597751449811734,
                -0.5603931255788474,
                -0.25014946826119766,
                0.020493128617121405,
                0.08852325747995345,
                0.5334390062572316,
                0.16808647219297765,
                0.21569068628757604,
            ],
            [
                -1.0361631958955304,
                0.19097772156792073,
                -0.7109271031318565,
                0.8327713596200716,
                -0.8419314158259934,
                1.226841744889252,
                -0.5235273800433216,
                0.11264910205555655,
                0.07105375349591815,
                0.08102427650162597,
                -0.208865903174567,
                -0.18786684673748322,
                0.1320072614839406,
                -0.8452399209351454,
            ],
        ];
        let (x, y) = crate::linear::design::onehot_case();
        let cache = DataCache::new();
        let names: Vec<String> = (0..3).map(|i| i.to_string()).collect();
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 3,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let m = onehot_params(1e-10)
            .fit(&train, &FitContext::default())
            .unwrap();
        let bytes = m.save().unwrap();
        let m: LogisticRegression = postcard::from_bytes(&bytes).unwrap();
        // The 0/1 block is collinear with the intercept, so the minimiser is resolved only
        // to ~1e-7 at these tolerances: scikit-learn's own lbfgs and newton-cg (tol 1e-12)
        // solutions differ by 5.1e-7 here.
        for (got, want) in m.coefficients().iter().zip(&want) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-6, "{g} vs scikit-learn {w}");
            }
        }
    }

    #[test]
    fn same_coefficients_with_one_or_three_threads() {
        // 9,000 rows (three parallel chunks): copies of the one-hot case, the first numeric
        // column shifted a little per copy.
        let (x0, y0) = crate::linear::design::onehot_case();
        let n = 9000;
        let mut x = ndarray::Array2::zeros((n, x0.ncols()));
        for i in 0..n {
            x.row_mut(i).assign(&x0.row(i % 90));
            x[[i, 0]] += (i / 90) as f64 * 1e-3;
        }
        let t: Vec<usize> = (0..n).map(|i| y0[i % 90] as usize).collect();
        let design = Design::new(x.view());
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| onehot_params(1e-8).solve(&design, t.clone(), vec![1.0; n], 3))
        };
        let (one, three) = (fit(1), fit(3));
        assert!(one.1 > 5, "{} iterations", one.1);
        assert_eq!(one, three);
    }
}
