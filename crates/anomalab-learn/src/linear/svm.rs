//! `linear_svm`: L2-regularised linear SVM trained by dual coordinate descent, the algorithm
//! of LIBLINEAR (C.-J. Hsieh, K.-W. Chang, C.-J. Lin, S. S. Keerthi, S. Sundararajan,
//! "A Dual Coordinate Descent Method for Large-scale Linear SVM", ICML 2008), which is what
//! scikit-learn's `LinearSVC` runs.
//!
//! Primal problem per binary sub-problem, with the intercept as an extra constant feature
//! of value 1 that is regularised too (LIBLINEAR's bias, scikit-learn's
//! `intercept_scaling=1`):
//! `min_w 1/2 |w|^2 + sum_i C_i loss(y_i w.x_i)`, loss = hinge or squared hinge.
//! The dual solver follows LIBLINEAR's `solve_l2r_l1l2_svc` (random order each pass,
//! shrinking, stop when the spread of projected gradients is at most `tol`). Like
//! scikit-learn's `dual="auto"`, the squared-hinge problem with more rows than features is
//! solved in the primal instead (L-BFGS here, LIBLINEAR's trust-region Newton there: the
//! same strictly convex objective), which needs far fewer passes over a large data set
//! than coordinate descent; its passes read one-hot columns through [`Design`]'s sparse
//! form. Multiclass is
//! one-vs-rest over the present classes; as in LIBLINEAR, class weights scale `C` for the
//! positive rows of each one-vs-rest problem (negatives keep `C`), and for two classes each
//! row gets its own class's weight. `scores()` are decision values `w.x + b`, not
//! probabilities.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::design::{Design, add_in_order};
use super::{ClassWeight, check_train, class_weight_spec, dot, lbfgs, present_classes};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name.
pub const NAME: &str = "linear_svm";

/// Score given to classes that had no training rows.
const ABSENT_SCORE: f64 = f64::MIN;

/// Loss of the SVM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Loss {
    /// `max(0, 1 - y f(x))` (L1-loss SVM).
    Hinge,
    /// `max(0, 1 - y f(x))^2` (L2-loss SVM; scikit-learn's default).
    SquaredHinge,
}

/// Validated hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSvmParams {
    pub c: f64,
    pub loss: Loss,
    pub tol: f64,
    pub max_iter: usize,
    pub fit_intercept: bool,
    pub dual: Dual,
    pub(crate) class_weight: ClassWeight,
}

/// Parameter schema (names and defaults as scikit-learn's `LinearSVC`).
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
            "loss",
            ParamKind::Choice(&["squared_hinge", "hinge"]),
            ParamValue::Str("squared_hinge".into()),
            "\"squared_hinge\" (L2-loss) or \"hinge\" (L1-loss) (default squared_hinge)",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1e-4),
            "stop when the projected-gradient spread is at most this (default 1e-4)",
        ),
        ParamSpec::new(
            "max_iter",
            ParamKind::Int {
                min: 1,
                max: 10_000_000,
            },
            ParamValue::Int(1000),
            "maximum passes over the data per binary problem (default 1000)",
        ),
        ParamSpec::new(
            "fit_intercept",
            ParamKind::Bool,
            ParamValue::Bool(true),
            "learn a (regularised) intercept as LIBLINEAR's bias feature (default true)",
        ),
        ParamSpec::new(
            "dual",
            ParamKind::OneOf(vec![ParamKind::Choice(&["auto"]), ParamKind::Bool]),
            ParamValue::Str("auto".into()),
            "solve the dual (LIBLINEAR coordinate descent) or the primal (L-BFGS, squared_hinge only); \"auto\" = primal when squared_hinge and rows > features, as scikit-learn (default auto)",
        ),
        class_weight_spec(),
    ]
}

/// Which problem is solved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dual {
    /// scikit-learn's rule: primal for squared hinge with more rows than features.
    Auto,
    Yes,
    No,
}

/// Build from a resolved parameter map.
pub fn build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(LinearSvmParams::from_params(p)?))
}

impl LinearSvmParams {
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
        let loss = match p.str("loss")? {
            "hinge" => Loss::Hinge,
            "squared_hinge" => Loss::SquaredHinge,
            l => return Err(LearnError::param("loss", format!("unknown loss `{l}`"))),
        };
        let dual = match p.get("dual")? {
            ParamValue::Bool(true) => Dual::Yes,
            ParamValue::Bool(false) => Dual::No,
            _ => Dual::Auto,
        };
        if dual == Dual::No && loss == Loss::Hinge {
            return Err(LearnError::param(
                "dual",
                "the hinge loss can only be solved in the dual: use dual: true (or \"auto\"), or loss: squared_hinge",
            ));
        }
        Ok(LinearSvmParams {
            c,
            loss,
            tol,
            dual,
            max_iter: p.usize("max_iter")?.max(1),
            fit_intercept: p.bool("fit_intercept")?,
            class_weight: ClassWeight::from_params(p)?,
        })
    }
}

/// One binary problem's solution.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Binary {
    /// Weights, then the intercept (0 without `fit_intercept`).
    w: Vec<f64>,
    /// Passes over the data used.
    n_iter: usize,
    /// Whether the stopping rule was met before `max_iter`.
    converged: bool,
}

/// Dual coordinate descent of LIBLINEAR's `solve_l2r_l1l2_svc`.
/// `x` is row-major `n x d`; `y` is +1/-1; `cost[i]` the per-row C; `bias` is the value of
/// the constant feature (0 for no intercept).
#[allow(clippy::too_many_arguments)]
fn solve(
    x: &[f64],
    d: usize,
    y: &[f64],
    cost: &[f64],
    bias: f64,
    loss: Loss,
    tol: f64,
    max_iter: usize,
    seed: u64,
) -> Binary {
    let l = y.len();
    let mut w = vec![0.0; d + 1];
    let mut alpha = vec![0.0; l];
    let (diag, upper): (Vec<f64>, Vec<f64>) = match loss {
        Loss::Hinge => (vec![0.0; l], cost.to_vec()),
        Loss::SquaredHinge => (
            cost.iter().map(|c| 0.5 / c).collect(),
            vec![f64::INFINITY; l],
        ),
    };
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let qd: Vec<f64> = (0..l)
        .map(|i| diag[i] + row(i).iter().map(|v| v * v).sum::<f64>() + bias * bias)
        .collect();
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    let (mut pg_max_old, mut pg_min_old) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut rng = Rng::new(seed);
    let mut iter = 0;
    let mut converged = false;
    while iter < max_iter {
        let (mut pg_max_new, mut pg_min_new) = (f64::NEG_INFINITY, f64::INFINITY);
        rng.shuffle(&mut index[..active]);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let xi = row(i);
            let yi = y[i];
            let wx: f64 = xi.iter().zip(&w[..d]).map(|(a, b)| a * b).sum::<f64>() + w[d] * bias;
            let g = yi * wx - 1.0 + alpha[i] * diag[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else if alpha[i] == upper[i] {
                if g < pg_min_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g > 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (alpha[i] - g / qd[i]).max(0.0).min(upper[i]);
                let step = (alpha[i] - old) * yi;
                for (wj, xj) in w[..d].iter_mut().zip(xi) {
                    *wj += step * xj;
                }
                w[d] += step * bias;
            }
            s += 1;
        }
        iter += 1;
        if pg_max_new - pg_min_new <= tol {
            if active == l {
                converged = true;
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            pg_min_old = f64::NEG_INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 {
            f64::INFINITY
        } else {
            pg_max_new
        };
        pg_min_old = if pg_min_new >= 0.0 {
            f64::NEG_INFINITY
        } else {
            pg_min_new
        };
    }
    // The model's intercept is w[d] * bias (bias is 1 or 0).
    w[d] *= bias;
    Binary {
        w,
        n_iter: iter,
        converged,
    }
}

/// The primal L2-loss SVM `1/2 |w|^2 + sum_i C_i max(0, 1 - y_i w.x_i)^2`, the bias
/// feature included and regularised as in the dual, in the [`Design`] parameter layout.
struct Primal<'a> {
    x: &'a Design,
    y: &'a [f64],
    cost: &'a [f64],
    bias: f64,
}

impl Primal<'_> {
    /// Value and gradient; only the rows inside the margin enter the gradient's product.
    fn eval(&self, w: &[f64]) -> (f64, Vec<f64>) {
        let x = self.x;
        let parts: Vec<(f64, Vec<f64>)> = x
            .chunks()
            .into_par_iter()
            .map(|rows| {
                let mut z = vec![0.0; rows.len()];
                x.forward(w, 1, self.bias, rows.clone(), &mut z);
                let (mut f, mut act, mut res) = (0.0, Vec::new(), Vec::new());
                for (zi, i) in z.iter().zip(rows) {
                    let v = 1.0 - self.y[i] * zi;
                    if v > 0.0 {
                        f += self.cost[i] * v * v;
                        act.push(i as u32);
                        res.push(-2.0 * self.cost[i] * v * self.y[i]);
                    }
                }
                let g = x.backward_at(&res, self.bias, &act);
                (f, g)
            })
            .collect();
        let mut f = 0.5 * dot(w, w);
        let mut grads = Vec::with_capacity(parts.len());
        for (pf, pg) in parts {
            f += pf;
            grads.push(pg);
        }
        let mut g = add_in_order(grads, w.len());
        for (gj, wj) in g.iter_mut().zip(w) {
            *gj += wj;
        }
        (f, g)
    }
}

/// The primal L2-loss SVM minimised by L-BFGS. scikit-learn solves the same strictly convex
/// problem with LIBLINEAR's Newton method; both stop on a gradient norm relative to the
/// one at `w = 0` (here `max |g| <= tol * max |g_0|`).
fn solve_primal(p: &Primal<'_>, tol: f64, max_iter: usize) -> Binary {
    let dim = p.x.n_cols() + 1;
    let g0 = super::max_abs(&p.eval(&vec![0.0; dim]).1);
    let eval = |w: &[f64]| p.eval(w);
    let (theta, n_iter, converged) = lbfgs(&eval, dim, tol * g0.max(f64::MIN_POSITIVE), max_iter);
    let mut w = p.x.to_original(&theta, 1).concat();
    w[dim - 1] *= p.bias;
    Binary {
        w,
        n_iter,
        converged,
    }
}

/// The training matrix in the form the chosen solver reads.
enum Solver {
    /// Dual coordinate descent on the row-major dense matrix (`n x d`).
    Dual(Vec<f64>, usize),
    Primal(Design),
}

impl LinearSvmParams {
    /// One binary problem: targets `y` (+1/-1) and per-row costs.
    fn solve_binary(&self, m: &Solver, y: &[f64], cost: &[f64], bias: f64, seed: u64) -> Binary {
        match m {
            Solver::Primal(x) => {
                solve_primal(&Primal { x, y, cost, bias }, self.tol, self.max_iter)
            }
            Solver::Dual(x, d) => solve(
                x,
                *d,
                y,
                cost,
                bias,
                self.loss,
                self.tol,
                self.max_iter,
                seed,
            ),
        }
    }

    /// Targets and per-row costs of the problem whose positive class is `pos`: as in
    /// LIBLINEAR, a class weight scales `C` for the positive rows (negatives keep `C`), and
    /// with two classes each row gets its own class's weight.
    fn targets(&self, y: &[u32], pos: usize, two: bool, weights: &[f64]) -> (Vec<f64>, Vec<f64>) {
        y.iter()
            .map(|&c| {
                let c = c as usize;
                let t = if c == pos { 1.0 } else { -1.0 };
                let w = if two || c == pos { weights[c] } else { 1.0 };
                (t, self.c * w)
            })
            .unzip()
    }
}

impl ClassifierParams for LinearSvmParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        check_train(train)?;
        let present = present_classes(train)?;
        let weights = self.class_weight.resolve(train)?;
        let d = train.x.ncols();
        let bias = if self.fit_intercept { 1.0 } else { 0.0 };
        let primal = match self.dual {
            Dual::Yes => false,
            Dual::No => true,
            Dual::Auto => self.loss == Loss::SquaredHinge && train.x.nrows() > d,
        };
        let m = if primal {
            Solver::Primal(Design::new(train.x))
        } else {
            Solver::Dual(train.x.as_standard_layout().iter().copied().collect(), d)
        };
        // One-vs-rest problems, by positive class (one problem for two classes).
        let problems: Vec<usize> = if present.len() == 2 {
            vec![present[1]]
        } else {
            present.clone()
        };
        let binaries: Vec<Binary> = problems
            .par_iter()
            .enumerate()
            .map(|(p, &pos)| {
                let (y, cost) = self.targets(train.y, pos, present.len() == 2, &weights);
                self.solve_binary(&m, &y, &cost, bias, derive_seed(ctx.seed, p as u64))
            })
            .collect();
        Ok(Box::new(LinearSvm {
            n_classes: train.n_classes,
            n_features: d,
            present,
            problems,
            binaries,
        }))
    }
}

/// A fitted linear SVM.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinearSvm {
    n_classes: usize,
    n_features: usize,
    /// Classes that had training rows.
    present: Vec<usize>,
    /// Positive class of each binary problem.
    problems: Vec<usize>,
    binaries: Vec<Binary>,
}

impl LinearSvm {
    /// Passes used by each binary problem and whether it met the stopping rule (a problem
    /// that did not is what scikit-learn reports as a `ConvergenceWarning`).
    pub fn convergence(&self) -> Vec<(usize, bool)> {
        self.binaries
            .iter()
            .map(|b| (b.n_iter, b.converged))
            .collect()
    }

    /// Weights (then intercept) of the binary problem whose positive class is `class`.
    pub fn coefficients(&self, class: usize) -> Option<&[f64]> {
        let p = self.problems.iter().position(|&c| c == class)?;
        Some(&self.binaries[p].w)
    }
}

/// Load a model saved by [`Classifier::save`].
pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let m: LinearSvm = postcard::from_bytes(bytes)?;
    if m.problems.len() != m.binaries.len()
        || m.binaries.iter().any(|b| b.w.len() != m.n_features + 1)
        || m.present
            .iter()
            .chain(&m.problems)
            .any(|&c| c >= m.n_classes)
    {
        return Err(LearnError::Codec("linear_svm model is inconsistent".into()));
    }
    Ok(Box::new(m))
}

impl Classifier for LinearSvm {
    fn kind(&self) -> &'static str {
        NAME
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// Decision values `w.x + b` per one-vs-rest problem; with two classes, column of the
    /// second class = `f(x)` and of the first = `-f(x)`. Classes without training rows get
    /// `f64::MIN`; rows of the wrong width get NaN.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::from_elem((x.nrows(), self.n_classes), ABSENT_SCORE);
        if x.ncols() != self.n_features {
            out.fill(f64::NAN);
            return out;
        }
        let d = self.n_features;
        for (r, row) in x.rows().into_iter().enumerate() {
            for (b, &pos) in self.binaries.iter().zip(&self.problems) {
                let f = row.iter().zip(&b.w[..d]).map(|(a, w)| a * w).sum::<f64>() + b.w[d];
                out[[r, pos]] = f;
                if self.present.len() == 2 {
                    out[[r, self.present[0]]] = -f;
                }
            }
        }
        out
    }

    fn scores_are_probabilities(&self) -> bool {
        false
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

    fn fit_with(
        x: &Array2<f64>,
        y: &[u32],
        k: usize,
        given: BTreeMap<String, ParamValue>,
    ) -> Box<dyn Classifier> {
        let p = crate::params::resolve(&params(), &given).unwrap();
        let cache = DataCache::new();
        let names: Vec<String> = (0..k).map(|i| format!("c{i}")).collect();
        let train = TrainSet {
            x: x.view(),
            y,
            n_classes: k,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        build(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .unwrap()
    }

    #[test]
    fn two_points_hinge_solution_by_hand() {
        // x = -1 (class 0) and x = +1 (class 1), hinge loss, no intercept, C = 10.
        // Primal: min 1/2 w^2 + C (max(0, 1 - w) * 2): optimum w = 1 (margin exactly 1,
        // since below 1 the loss slope 2C > w). Decision values are then -1 and +1.
        let x = array![[-1.0], [1.0]];
        let mut g = BTreeMap::new();
        g.insert("loss".into(), ParamValue::Str("hinge".into()));
        g.insert("C".into(), ParamValue::Float(10.0));
        g.insert("fit_intercept".into(), ParamValue::Bool(false));
        g.insert("tol".into(), ParamValue::Float(1e-10));
        let m = fit_with(&x, &[0, 1], 2, g);
        let s = m.scores(array![[-1.0], [1.0], [0.5]].view());
        assert!((s[[1, 1]] - 1.0).abs() < 1e-9, "{s}");
        assert!((s[[0, 1]] + 1.0).abs() < 1e-9, "{s}");
        assert!((s[[2, 1]] - 0.5).abs() < 1e-9, "{s}");
        assert_eq!(m.predict(array![[-3.0], [0.2]].view()), vec![0, 1]);
    }

    #[test]
    fn separable_three_classes_and_round_trip() {
        // Three well separated groups along two axes.
        let x = array![
            [0.0, 0.0],
            [0.2, 0.1],
            [0.1, 0.3],
            [5.0, 0.0],
            [5.2, 0.3],
            [4.9, 0.1],
            [0.0, 5.0],
            [0.3, 5.1],
            [0.2, 4.8]
        ];
        let y = [0, 0, 0, 1, 1, 1, 2, 2, 2];
        let m = fit_with(&x, &y, 3, BTreeMap::new());
        assert_eq!(m.predict(x.view()), y.to_vec());
        let back = load(&m.save().unwrap()).unwrap();
        assert_eq!(back.kind(), NAME);
        assert_eq!(back.scores(x.view()), m.scores(x.view()));
        assert!(!back.scores_are_probabilities());
    }

    #[test]
    fn absent_class_gets_the_lowest_score_and_unknown_weights_are_errors() {
        // Three declared classes, class 1 has no training rows: a binary problem 2 vs 0.
        let x = array![[0.0], [0.1], [3.0], [3.1]];
        let y = [0, 0, 2, 2];
        let m = fit_with(&x, &y, 3, BTreeMap::new());
        let s = m.scores(array![[0.0], [3.0]].view());
        assert_eq!(s[[0, 1]], f64::MIN);
        assert_eq!(m.predict(array![[0.0], [3.0]].view()), vec![0, 2]);
        assert!((s[[0, 0]] + s[[0, 2]]).abs() < 1e-12);

        let mut g = BTreeMap::new();
        let mut w = BTreeMap::new();
        w.insert("nope".to_string(), ParamValue::Float(2.0));
        g.insert("class_weight".into(), ParamValue::Map(w));
        let p = crate::params::resolve(&params(), &g).unwrap();
        let cache = DataCache::new();
        let names: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 3,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let e = build(&p)
            .unwrap()
            .fit(&train, &FitContext::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("unknown class `nope`") && e.contains("c0, c1, c2"),
            "{e}"
        );
    }

    #[test]
    fn one_class_is_an_error_not_a_panic() {
        let x = array![[0.0], [1.0]];
        let cache = DataCache::new();
        let names = vec!["a".to_string(), "b".to_string()];
        let train = TrainSet {
            x: x.view(),
            y: &[1, 1],
            n_classes: 2,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let p = crate::params::resolve(&params(), &BTreeMap::new()).unwrap();
        assert!(
            build(&p)
                .unwrap()
                .fit(&train, &FitContext::default())
                .is_err()
        );
    }

    #[test]
    fn primal_on_two_valued_columns_equals_dense_and_scikit_learn() {
        // `python3 scripts/ref_linear_onehot.py` (scikit-learn 1.9.1):
        // LinearSVC(C=1.0, dual=False, tol=1e-10, max_iter=100000) on design::onehot_case
        // with target y == 1, np.hstack([coef_, intercept_[:, None]]).
        let want = [
            0.6406741761365541,
            0.006520892025003143,
            0.1113494839568049,
            -0.3799025395929985,
            0.28536951510464986,
            -0.9680223789485993,
            0.5403642370010528,
            -0.5261702439860679,
            -0.30167575281904574,
            0.03667712780283975,
            -0.01946597617263424,
            0.3429793009653156,
            0.16933860556900124,
            -0.2983169386405881,
        ];
        let (x, y) = crate::linear::design::onehot_case();
        let t: Vec<f64> = y.iter().map(|&c| if c == 1 { 1.0 } else { -1.0 }).collect();
        let cost = vec![1.0; t.len()];
        let solve_on = |x: &Design| {
            let p = Primal {
                x,
                y: &t,
                cost: &cost,
                bias: 1.0,
            };
            solve_primal(&p, 1e-12, 100_000)
        };
        let sparse = solve_on(&Design::new(x.view()));
        let dense = solve_on(&Design::dense(x.view()));
        assert!(sparse.converged && dense.converged);
        for ((s, d), w) in sparse.w.iter().zip(&dense.w).zip(&want) {
            assert!((s - d).abs() < 1e-9, "sparse {s} vs dense {d}");
            assert!((s - w).abs() < 1e-7, "{s} vs scikit-learn {w}");
        }
    }
}
