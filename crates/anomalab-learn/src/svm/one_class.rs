//! `one_class_svm` detector: scikit-learn's `OneClassSVM` (Schölkopf et al. 2001, as
//! libsvm solves it) on the same SMO core as `svc`.
//!
//! The dual `min 1/2 a'Ka` subject to `0 <= a_i <= 1`, `sum a_i = nu l` starts, as libsvm,
//! from the first `floor(nu l)` alphas at 1 and the next one at the remainder. Rows with a
//! non-zero alpha are the support vectors; scikit-learn's `decision_function` is
//! `sum_i a_i K(sv_i, x) - rho` (negative outside the estimated support). The anomaly
//! score here is its negation, `rho - sum_i a_i K(sv_i, x)`, so higher is more anomalous
//! and 0 is scikit-learn's boundary; the runner fits the threshold as for every detector.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kernel::{Kernel, KernelRows};
use super::smo::{QMatrix, Solver};
use super::{KernelSpec, SolverSettings};
use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::traits::{Detector, DetectorEntry, DetectorParams, FitContext};

/// Registry name.
pub const NAME: &str = "one_class_svm";

/// Validated hyper-parameters.
#[derive(Debug, Clone)]
pub struct OneClassSvmParams {
    pub nu: f64,
    pub kernel: KernelSpec,
    pub solver: SolverSettings,
}

/// Parameter schema (scikit-learn's `OneClassSVM` names and defaults).
pub fn params() -> Vec<ParamSpec> {
    let mut v = vec![ParamSpec::new(
        "nu",
        ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
        ParamValue::Float(0.5),
        "upper bound on the share of training errors and lower bound on the share of support vectors (default 0.5)",
    )];
    v.extend(super::kernel_param_specs());
    v.extend(super::solver_param_specs());
    v
}

impl OneClassSvmParams {
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let nu = p.f64("nu")?;
        if !(nu > 0.0 && nu <= 1.0) {
            return Err(LearnError::param("nu", "must be in (0, 1]"));
        }
        Ok(OneClassSvmParams {
            nu,
            kernel: KernelSpec::from_params(p)?,
            solver: SolverSettings::from_params(p)?,
        })
    }

    /// Fit on the rows of `x` (concrete type; the trait method boxes it).
    pub fn fit_ocsvm(&self, x: ArrayView2<'_, f64>) -> Result<OneClassSvm, LearnError> {
        let xs = super::rows_of(x, "one_class_svm")?;
        let data = xs.as_slice().expect("checked_matrix is row-major");
        let (l, d) = x.dim();
        let kernel = self.kernel.resolve(x);
        // scikit-learn's libsvm sums nu once per row (its per-row weights are all 1 here)
        // and hands it out greedily; the same rounding gives the same starting point.
        let mut nu_l = 0.0;
        for _ in 0..l {
            nu_l += self.nu;
        }
        let mut alpha = vec![0.0; l];
        for a in alpha.iter_mut() {
            if nu_l <= 0.0 {
                break;
            }
            *a = nu_l.min(1.0);
            nu_l -= *a;
        }
        let q = QMatrix::new(
            KernelRows::new(kernel, data, d),
            (0..l).collect(),
            vec![1.0; l],
            self.solver.cache_bytes,
        );
        let s = Solver::new(q, vec![0.0; l], alpha, 1.0, 1.0, self.solver.tol)
            .solve(self.solver.shrinking);
        let support: Vec<usize> = (0..l).filter(|&i| s.alpha[i] != 0.0).collect();
        let sv = support
            .iter()
            .flat_map(|&i| data[i * d..(i + 1) * d].iter().copied())
            .collect();
        Ok(OneClassSvm {
            n_features: d,
            kernel,
            coef: support.iter().map(|&i| s.alpha[i]).collect(),
            support,
            sv,
            rho: s.rho,
        })
    }
}

impl DetectorParams for OneClassSvmParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_ocsvm(x)?))
    }
}

/// A fitted one-class SVM.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneClassSvm {
    n_features: usize,
    kernel: Kernel,
    /// Training row of each support vector (scikit-learn's `support_`).
    support: Vec<usize>,
    /// Support vectors, row-major.
    sv: Vec<f64>,
    /// Their alphas (scikit-learn's `dual_coef_`).
    coef: Vec<f64>,
    rho: f64,
}

/// Rows per parallel scoring task.
const CHUNK: usize = 64;

impl OneClassSvm {
    pub fn support(&self) -> &[usize] {
        &self.support
    }

    pub fn dual_coef(&self) -> &[f64] {
        &self.coef
    }

    /// scikit-learn's `offset_` (= `rho`).
    pub fn rho(&self) -> f64 {
        self.rho
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// scikit-learn's `decision_function`: `sum_i a_i K(sv_i, x) - rho`. NaN for input
    /// of the wrong width.
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        if x.ncols() != self.n_features {
            return vec![f64::NAN; x.nrows()];
        }
        let xs = x.as_standard_layout();
        let d = self.n_features;
        let data = xs.as_slice().expect("standard layout");
        let mut out = vec![0.0; x.nrows()];
        out.par_chunks_mut(CHUNK)
            .zip(data.par_chunks(CHUNK * d))
            .for_each(|(o, q)| {
                for (v, qr) in o.iter_mut().zip(q.chunks(d)) {
                    let mut s = 0.0;
                    for (c, svr) in self.coef.iter().zip(self.sv.chunks(d)) {
                        s += c * self.kernel.eval(svr, qr);
                    }
                    *v = s - self.rho;
                }
            });
        out
    }

    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: OneClassSvm = postcard::from_bytes(bytes)?;
        if m.coef.len() != m.support.len() || m.sv.len() != m.coef.len() * m.n_features {
            return Err(LearnError::Codec(
                "one_class_svm model is inconsistent".into(),
            ));
        }
        Ok(m)
    }
}

impl Detector for OneClassSvm {
    fn kind(&self) -> &'static str {
        NAME
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    /// `-decision_function`: higher = more anomalous, 0 on scikit-learn's boundary.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        self.decision_function(x).into_iter().map(|v| -v).collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

fn build(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(OneClassSvmParams::from_params(p)?))
}

fn load(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(OneClassSvm::from_bytes(bytes)?))
}

/// Registry entry of `one_class_svm` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: NAME,
        backend: "native",
        summary: "one-class SVM (scikit-learn OneClassSVM: libsvm SMO, nu, rbf/poly/linear/sigmoid); score = -decision_function",
        params,
        build,
        load,
    }
}
