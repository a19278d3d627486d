//! `svc` (native): C-support vector classification as scikit-learn's `SVC` (libsvm).
//!
//! Classes are sorted by index; every pair `(a, b)` of classes with training rows is one
//! binary problem (rows of `a`, then rows of `b`, each in training order; `a` is +1) solved
//! by [`super::smo`] with upper bounds `C * class_weight`. A row is a support vector when
//! its alpha is non-zero in any pair. `decision_function` per pair is
//! `sum_i y_i a_i K(sv_i, x) - rho` (positive = the first class); prediction is libsvm's
//! one-vs-one vote (ties to the lower class). [`Classifier::scores`] are:
//! * with `probability: true`, libsvm's Platt probabilities: per pair, decision values
//!   of a 5-fold cross-validation (folds from a permutation drawn with the trial seed;
//!   libsvm draws it with C `rand()`, scikit-learn with its `random_state`, so the folds —
//!   and `A`, `B` — differ from theirs) fitted by [`super::platt::sigmoid_train`], then
//!   pairwise coupling;
//! * otherwise scikit-learn's default `decision_function_shape="ovr"`: votes plus
//!   `sum of confidences / (3 (|sum| + 1))` for three classes or more, and `[-f, f]` with
//!   `f` scikit-learn's binary decision value (positive = the second class) for two.
//!
//! Pairs are solved in parallel, each with its own kernel cache of `cache_size` MB.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kernel::{Kernel, KernelRows};
use super::smo::{QMatrix, Solver};
use super::{KernelSpec, SolverSettings, platt};
use crate::LearnError;
use crate::linear::{ClassWeight, class_weight_spec};
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

/// Registry name.
pub const NAME: &str = "svc";

/// Validated hyper-parameters.
#[derive(Debug, Clone)]
pub struct SvcParams {
    pub c: f64,
    pub kernel: KernelSpec,
    pub solver: SolverSettings,
    pub probability: bool,
    pub(crate) class_weight: ClassWeight,
}

/// Parameter schema (scikit-learn's `SVC` names and defaults).
pub fn params() -> Vec<ParamSpec> {
    let mut v = vec![ParamSpec::new(
        "C",
        ParamKind::FloatOpenMin {
            min: 0.0,
            max: f64::INFINITY,
        },
        ParamValue::Float(1.0),
        "penalty of margin violations (default 1.0)",
    )];
    v.extend(super::kernel_param_specs());
    v.extend(super::solver_param_specs());
    v.push(ParamSpec::new(
        "probability",
        ParamKind::Bool,
        ParamValue::Bool(false),
        "Platt probabilities from an internal 5-fold cross-validation (5x the fits; default false)",
    ));
    v.push(class_weight_spec());
    v
}

/// Build from a resolved parameter map.
pub fn build(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(SvcParams::from_params(p)?))
}

impl SvcParams {
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let c = p.f64("C")?;
        if !(c > 0.0 && c.is_finite()) {
            return Err(LearnError::param("C", "must be a positive number"));
        }
        Ok(SvcParams {
            c,
            kernel: KernelSpec::from_params(p)?,
            solver: SolverSettings::from_params(p)?,
            probability: p.bool("probability")?,
            class_weight: ClassWeight::from_params(p)?,
        })
    }
}

/// One solved binary problem on `rows` (+1 for the first `n_pos`): alphas times labels
/// and `rho`.
pub(crate) struct Binary {
    pub coef: Vec<f64>,
    pub rho: f64,
}

/// Solve C-SVC on `sub` (its first `n_pos` rows are +1).
fn solve_binary(sub: &Subproblem<'_>, solver: &SolverSettings) -> Binary {
    let l = sub.rows.len();
    let y: Vec<f64> = (0..l)
        .map(|t| if t < sub.n_pos { 1.0 } else { -1.0 })
        .collect();
    let rows = KernelRows::new(sub.kernel, sub.x, sub.d);
    let q = QMatrix::new(rows, sub.rows.to_vec(), y.clone(), solver.cache_bytes);
    let s = Solver::new(q, vec![-1.0; l], vec![0.0; l], sub.cp, sub.cn, solver.tol)
        .solve(solver.shrinking);
    let coef = s.alpha.iter().zip(&y).map(|(a, y)| a * y).collect();
    Binary { coef, rho: s.rho }
}

/// A fitted one-vs-one pair: coefficients on the model's support vectors of its two
/// classes (zero where a support vector of the class is not one in this pair).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pair {
    coef_a: Vec<f64>,
    coef_b: Vec<f64>,
    rho: f64,
    /// Platt `(A, B)` when fitted with `probability: true`.
    prob: Option<(f64, f64)>,
}

/// A fitted `svc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SvcModel {
    n_classes: usize,
    n_features: usize,
    kernel: Kernel,
    /// Class indices with training rows, ascending (the one-vs-one classes).
    classes: Vec<usize>,
    /// Support vectors of each class in `classes`.
    n_support: Vec<usize>,
    /// Support vectors, row-major, grouped by class, training order within a class.
    sv: Vec<f64>,
    /// Training row index of each support vector (scikit-learn's `support_`).
    support: Vec<usize>,
    /// Pairs `(0,1), (0,2), ..., (1,2), ...` over `classes`.
    pairs: Vec<Pair>,
    probability: bool,
}

impl ClassifierParams for SvcParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        Ok(Box::new(self.fit_svc(train, ctx)?))
    }
}

/// Index pairs `(a, b)`, `a < b`, in libsvm's order.
fn pair_list(k: usize) -> Vec<(usize, usize)> {
    (0..k)
        .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
        .collect()
}

impl SvcParams {
    /// Fit (concrete type; the trait method boxes it).
    pub fn fit_svc(&self, train: &TrainSet<'_>, ctx: &FitContext) -> Result<SvcModel, LearnError> {
        crate::linear::check_train(train)?;
        let xs = super::rows_of(train.x, "svc")?;
        let x = xs.as_slice().expect("checked_matrix is row-major");
        let d = train.x.ncols();
        let kernel = self.kernel.resolve(train.x);
        let weights = self.class_weight.resolve(train)?;
        let counts = train.class_counts();
        let classes: Vec<usize> = (0..train.n_classes).filter(|&k| counts[k] > 0).collect();
        if classes.len() < 2 {
            return Err(LearnError::InvalidInput(format!(
                "svc needs training rows of at least two classes, found {}",
                classes.len()
            )));
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
        let slot: Vec<Option<usize>> = (0..train.n_classes)
            .map(|c| classes.iter().position(|&k| k == c))
            .collect();
        for (r, &c) in train.y.iter().enumerate() {
            if let Some(s) = slot[c as usize] {
                members[s].push(r);
            }
        }
        let pairs = pair_list(classes.len());
        let solved: Vec<(Binary, Option<(f64, f64)>)> = pairs
            .par_iter()
            .enumerate()
            .map(|(p, &(a, b))| {
                let rows: Vec<usize> = members[a].iter().chain(&members[b]).copied().collect();
                let n_pos = members[a].len();
                let (cp, cn) = (self.c * weights[classes[a]], self.c * weights[classes[b]]);
                let sub = Subproblem {
                    x,
                    d,
                    kernel,
                    rows: &rows,
                    n_pos,
                    cp,
                    cn,
                };
                let prob = self
                    .probability
                    .then(|| platt_cv(&sub, &self.solver, derive_seed(ctx.seed, p as u64)));
                let bin = solve_binary(&sub, &self.solver);
                (bin, prob)
            })
            .collect();
        Ok(assemble(
            train,
            x,
            d,
            kernel,
            classes,
            &members,
            &pairs,
            solved,
            self.probability,
        ))
    }
}

/// The rows of one binary problem (positives first) and their bounds.
#[derive(Clone, Copy)]
struct Subproblem<'a> {
    x: &'a [f64],
    d: usize,
    kernel: Kernel,
    rows: &'a [usize],
    n_pos: usize,
    cp: f64,
    cn: f64,
}

/// libsvm's `svm_binary_svc_probability`: decision values of each row from a 5-fold
/// cross-validation (a seeded permutation cut into five consecutive folds), then Platt's
/// sigmoid on them. A fold whose training part has one class only predicts +1 or -1.
fn platt_cv(sub: &Subproblem<'_>, solver: &SolverSettings, seed: u64) -> (f64, f64) {
    let l = sub.rows.len();
    let mut perm: Vec<usize> = (0..l).collect();
    let mut rng = Rng::new(seed);
    for i in 0..l {
        let j = i + rng.below(l - i);
        perm.swap(i, j);
    }
    const FOLDS: usize = 5;
    let folds: Vec<Vec<(usize, f64)>> = (0..FOLDS)
        .into_par_iter()
        .map(|f| {
            let (begin, end) = (f * l / FOLDS, (f + 1) * l / FOLDS);
            let fit: Vec<usize> = perm[..begin].iter().chain(&perm[end..]).copied().collect();
            let (pos, neg): (Vec<usize>, Vec<usize>) = fit.iter().partition(|&&t| t < sub.n_pos);
            let held = &perm[begin..end];
            if pos.is_empty() || neg.is_empty() {
                let v = if neg.is_empty() && !pos.is_empty() {
                    1.0
                } else if pos.is_empty() && !neg.is_empty() {
                    -1.0
                } else {
                    0.0
                };
                return held.iter().map(|&t| (t, v)).collect();
            }
            let n_pos = pos.len();
            let rows: Vec<usize> = pos.iter().chain(&neg).map(|&t| sub.rows[t]).collect();
            let fold = Subproblem {
                rows: &rows,
                n_pos,
                ..*sub
            };
            let bin = solve_binary(&fold, solver);
            held.iter()
                .map(|&t| {
                    let q = row(sub.x, sub.d, sub.rows[t]);
                    let s: f64 = rows
                        .iter()
                        .zip(&bin.coef)
                        .filter(|&(_, &c)| c != 0.0)
                        .map(|(&r, &c)| c * sub.kernel.eval(row(sub.x, sub.d, r), q))
                        .sum();
                    (t, s - bin.rho)
                })
                .collect()
        })
        .collect();
    let mut dec = vec![0.0; l];
    for (t, v) in folds.into_iter().flatten() {
        dec[t] = v;
    }
    let positive: Vec<bool> = (0..l).map(|t| t < sub.n_pos).collect();
    platt::sigmoid_train(&dec, &positive)
}

#[inline]
fn row(x: &[f64], d: usize, r: usize) -> &[f64] {
    &x[r * d..(r + 1) * d]
}

/// Gather the support vectors (rows with a non-zero coefficient in any pair) by class and
/// express every pair's coefficients on them.
#[allow(clippy::too_many_arguments)]
fn assemble(
    train: &TrainSet<'_>,
    x: &[f64],
    d: usize,
    kernel: Kernel,
    classes: Vec<usize>,
    members: &[Vec<usize>],
    pairs: &[(usize, usize)],
    solved: Vec<(Binary, Option<(f64, f64)>)>,
    probability: bool,
) -> SvcModel {
    let n = train.y.len();
    let mut is_sv = vec![false; n];
    for (&(a, b), (bin, _)) in pairs.iter().zip(&solved) {
        for (&r, &c) in members[a].iter().chain(&members[b]).zip(&bin.coef) {
            is_sv[r] |= c != 0.0;
        }
    }
    let mut pos = vec![usize::MAX; n];
    let (mut support, mut n_support, mut sv) = (Vec::new(), Vec::new(), Vec::new());
    for m in members {
        let mut k = 0;
        for &r in m.iter().filter(|&&r| is_sv[r]) {
            pos[r] = k;
            k += 1;
            support.push(r);
            sv.extend_from_slice(row(x, d, r));
        }
        n_support.push(k);
    }
    let pairs = pairs
        .iter()
        .zip(solved)
        .map(|(&(a, b), (bin, prob))| {
            let mut coef_a = vec![0.0; n_support[a]];
            let mut coef_b = vec![0.0; n_support[b]];
            let (ca, cb) = bin.coef.split_at(members[a].len());
            for (&r, &c) in members[a].iter().zip(ca).filter(|&(_, &c)| c != 0.0) {
                coef_a[pos[r]] = c;
            }
            for (&r, &c) in members[b].iter().zip(cb).filter(|&(_, &c)| c != 0.0) {
                coef_b[pos[r]] = c;
            }
            Pair {
                coef_a,
                coef_b,
                rho: bin.rho,
                prob,
            }
        })
        .collect();
    SvcModel {
        n_classes: train.n_classes,
        n_features: d,
        kernel,
        classes,
        n_support,
        sv,
        support,
        pairs,
        probability,
    }
}

/// Rows per parallel prediction task.
const PREDICT_CHUNK: usize = 64;

impl SvcModel {
    /// The kernel with its resolved `gamma`.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Training row index of each support vector, grouped by class (scikit-learn's
    /// `support_`).
    pub fn support(&self) -> &[usize] {
        &self.support
    }

    /// Support vectors per class with training rows (scikit-learn's `n_support_`).
    pub fn n_support(&self) -> &[usize] {
        &self.n_support
    }

    /// libsvm's `sv_coef` (scikit-learn's `dual_coef_` for three classes or more; for two,
    /// scikit-learn stores its negation): `n_classes - 1` rows over the support vectors.
    pub fn dual_coef(&self) -> Array2<f64> {
        let k = self.classes.len();
        let starts = self.class_starts();
        let mut out = Array2::zeros((k - 1, self.support.len()));
        for (p, &(a, b)) in pair_list(k).iter().enumerate() {
            let pr = &self.pairs[p];
            for (t, &c) in pr.coef_a.iter().enumerate() {
                out[[b - 1, starts[a] + t]] = c;
            }
            for (t, &c) in pr.coef_b.iter().enumerate() {
                out[[a, starts[b] + t]] = c;
            }
        }
        out
    }

    /// `rho` of each pair (scikit-learn's `intercept_` is `-rho`, negated again for two
    /// classes).
    pub fn rho(&self) -> Vec<f64> {
        self.pairs.iter().map(|p| p.rho).collect()
    }

    /// Platt `(A, B)` of each pair (scikit-learn's `probA_`, `probB_`), if fitted.
    pub fn platt(&self) -> Option<Vec<(f64, f64)>> {
        self.pairs.iter().map(|p| p.prob).collect()
    }

    /// Replace the Platt coefficients (to evaluate the probabilities of another fit's
    /// `(A, B)`, as the reference tests do with scikit-learn's).
    pub fn set_platt(&mut self, ab: &[(f64, f64)]) {
        for (p, &v) in self.pairs.iter_mut().zip(ab) {
            p.prob = Some(v);
        }
        self.probability = true;
    }

    fn class_starts(&self) -> Vec<usize> {
        let mut s = vec![0; self.n_support.len()];
        for k in 1..s.len() {
            s[k] = s[k - 1] + self.n_support[k - 1];
        }
        s
    }

    /// libsvm's one-vs-one decision values, one column per pair (positive = the first
    /// class of the pair). Input of the wrong width gives NaN.
    pub fn decision_ovo(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let np = self.pairs.len();
        let mut out = Array2::from_elem((x.nrows(), np), f64::NAN);
        if x.ncols() != self.n_features {
            return out;
        }
        let xs = x.as_standard_layout();
        let d = self.n_features;
        let starts = self.class_starts();
        let k = self.classes.len();
        let ab = pair_list(k);
        let data = xs.as_slice().expect("standard layout");
        out.as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(PREDICT_CHUNK * np)
            .zip(data.par_chunks(PREDICT_CHUNK * d))
            .for_each(|(o, q)| {
                let mut kv = vec![0.0; self.support.len()];
                for (orow, qr) in o.chunks_mut(np).zip(q.chunks(d)) {
                    for (v, s) in kv.iter_mut().zip(self.sv.chunks(d)) {
                        *v = self.kernel.eval(s, qr);
                    }
                    for ((ov, pr), &(a, b)) in orow.iter_mut().zip(&self.pairs).zip(&ab) {
                        let ka = &kv[starts[a]..starts[a] + self.n_support[a]];
                        let kb = &kv[starts[b]..starts[b] + self.n_support[b]];
                        let mut s = 0.0;
                        for (c, v) in pr.coef_a.iter().zip(ka) {
                            s += c * v;
                        }
                        for (c, v) in pr.coef_b.iter().zip(kb) {
                            s += c * v;
                        }
                        *ov = s - pr.rho;
                    }
                }
            });
        out
    }

    /// scikit-learn's `decision_function`: one column for two classes (positive = the
    /// second), else the `ovr` shape (n_classes columns over the classes with rows).
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let dec = self.decision_ovo(x);
        let k = self.classes.len();
        if k == 2 {
            return dec.mapv(|v| -v);
        }
        let mut out = Array2::zeros((dec.nrows(), k));
        for (mut o, drow) in out.rows_mut().into_iter().zip(dec.rows()) {
            let (mut votes, mut conf) = (vec![0.0; k], vec![0.0; k]);
            for (p, &(a, b)) in pair_list(k).iter().enumerate() {
                // scikit-learn's _ovr_decision_function(dec < 0, -dec, k).
                conf[a] += drow[p];
                conf[b] -= drow[p];
                if drow[p] < 0.0 {
                    votes[b] += 1.0;
                } else {
                    votes[a] += 1.0;
                }
            }
            for c in 0..k {
                o[c] = votes[c] + conf[c] / (3.0 * (conf[c].abs() + 1.0));
            }
        }
        out
    }

    /// libsvm's one-vs-one vote (a pair's decision value > 0 votes for its first class;
    /// ties to the lower class), as scikit-learn's `predict`.
    fn vote(&self, dec: &Array2<f64>) -> Vec<u32> {
        let k = self.classes.len();
        let ab = pair_list(k);
        dec.rows()
            .into_iter()
            .map(|drow| {
                if drow.iter().any(|v| v.is_nan()) {
                    return 0;
                }
                let mut votes = vec![0usize; k];
                for (&v, &(a, b)) in drow.iter().zip(&ab) {
                    votes[if v > 0.0 { a } else { b }] += 1;
                }
                let mut best = 0;
                for c in 1..k {
                    if votes[c] > votes[best] {
                        best = c;
                    }
                }
                self.classes[best] as u32
            })
            .collect()
    }

    /// Probabilities over the classes with rows (scikit-learn's `predict_proba`), or
    /// `None` when the model was fitted without `probability`.
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
        let ab = self.platt()?;
        let dec = self.decision_ovo(x);
        let k = self.classes.len();
        let mut out = Array2::zeros((dec.nrows(), k));
        for (mut o, drow) in out.rows_mut().into_iter().zip(dec.rows()) {
            let d: Vec<f64> = drow.to_vec();
            for (c, p) in platt::probabilities(&d, &ab, k).into_iter().enumerate() {
                o[c] = p;
            }
        }
        Some(out)
    }

    /// Columns over the present classes spread to all `n_classes` (absent: `fill`).
    fn spread(&self, s: Array2<f64>, fill: f64) -> Array2<f64> {
        let mut out = Array2::from_elem((s.nrows(), self.n_classes), fill);
        for (j, &c) in self.classes.iter().enumerate() {
            out.column_mut(c).assign(&s.column(j));
        }
        out
    }
}

/// Load a model saved by [`Classifier::save`].
pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    let m: SvcModel = postcard::from_bytes(bytes)?;
    let k = m.classes.len();
    let ok = k >= 2
        && m.n_support.len() == k
        && m.pairs.len() == k * (k - 1) / 2
        && m.classes.iter().all(|&c| c < m.n_classes)
        && m.n_support.iter().sum::<usize>() == m.support.len()
        && m.sv.len() == m.support.len() * m.n_features
        && pair_list(k).iter().zip(&m.pairs).all(|(&(a, b), p)| {
            p.coef_a.len() == m.n_support[a] && p.coef_b.len() == m.n_support[b]
        });
    if !ok {
        return Err(LearnError::Codec("svc model is inconsistent".into()));
    }
    Ok(Box::new(m))
}

impl Classifier for SvcModel {
    fn kind(&self) -> &'static str {
        NAME
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// Probabilities with `probability: true`, else decision values: `[-f, f]` for two
    /// classes (`f` = scikit-learn's decision value), the `ovr` shape otherwise. Classes
    /// without training rows get probability 0 or decision value `f64::MIN`.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        if let Some(p) = self.predict_proba(x) {
            return self.spread(p, 0.0);
        }
        let dec = self.decision_function(x);
        let s = if self.classes.len() == 2 {
            let f = dec.column(0);
            Array2::from_shape_fn((dec.nrows(), 2), |(i, j)| if j == 0 { -f[i] } else { f[i] })
        } else {
            dec
        };
        self.spread(s, f64::MIN)
    }

    fn scores_are_probabilities(&self) -> bool {
        self.probability
    }

    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<u32> {
        self.vote(&self.decision_ovo(x))
    }

    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::DataCache;
    use ndarray::Array2;

    /// Three noisy classes, large enough that kernel columns are filled in parallel.
    fn data(n: usize, d: usize) -> (Array2<f64>, Vec<u32>) {
        let mut r = crate::rng::Rng::new(4);
        let y: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            r.normal() + if j == y[i] as usize { 1.5 } else { 0.0 }
        });
        (x, y)
    }

    #[test]
    fn same_model_with_one_or_two_threads_and_a_tiny_cache() {
        let (x, y) = data(3000, 12);
        let names: Vec<String> = (0..3).map(|c| c.to_string()).collect();
        let cache = DataCache::new();
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 3,
            class_names: &names,
            feature_names: &[],
            cache: &cache,
        };
        let specs = params();
        let p = crate::params::resolve(&specs, &Default::default()).unwrap();
        let mut sp = SvcParams::from_params(&p).unwrap();
        let fit = |sp: &SvcParams, threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| sp.fit_svc(&train, &FitContext::default()).unwrap())
        };
        let a = fit(&sp, 1);
        let b = fit(&sp, 2);
        assert_eq!(a.support(), b.support());
        assert_eq!(a.dual_coef(), b.dual_coef());
        assert_eq!(a.rho(), b.rho());
        // A cache of two columns recomputes columns but takes the same steps.
        sp.solver.cache_bytes = 1;
        let c = fit(&sp, 2);
        assert_eq!(a.support(), c.support());
        assert_eq!(a.dual_coef(), c.dual_coef());
        let back = load(&a.save().unwrap()).unwrap();
        assert_eq!(back.scores(x.view()), a.scores(x.view()));
        assert_eq!(back.predict(x.view()), a.predict(x.view()));
    }
}
