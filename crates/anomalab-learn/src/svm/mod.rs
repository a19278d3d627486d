//! Kernel support vector machines on libsvm's SMO solver: [`svc`] (C-SVC, one-vs-one, as
//! scikit-learn's `SVC`) and [`one_class`] (scikit-learn's `OneClassSVM`).
//!
//! * [`kernel`]: linear / poly / rbf / sigmoid with scikit-learn's names and defaults.
//! * [`cache`]: libsvm's LRU cache of kernel columns (`cache_size` in MB).
//! * [`smo`]: the solver (WSS3 working-set selection, shrinking, `rho`).
//! * [`platt`]: Platt scaling and pairwise coupling for `probability: true`.

pub mod cache;
pub mod kernel;
pub mod one_class;
pub mod platt;
pub mod smo;
pub mod svc;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use kernel::Kernel;

/// How `gamma` is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Gamma {
    /// `1 / (n_features * X.var())` (1 when the variance is 0), scikit-learn's default.
    Scale,
    /// `1 / n_features`.
    Auto,
    Value(f64),
}

/// Which kernel, before `gamma` is resolved on the training data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelSpec {
    pub kind: KernelKind,
    pub gamma: Gamma,
    pub degree: u32,
    pub coef0: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    Linear,
    Poly,
    Rbf,
    Sigmoid,
}

impl KernelSpec {
    /// The kernel with `gamma` resolved on the training matrix `x`, as scikit-learn does.
    pub fn resolve(&self, x: ArrayView2<'_, f64>) -> Kernel {
        let gamma = match self.gamma {
            Gamma::Value(g) => g,
            Gamma::Auto => 1.0 / x.ncols() as f64,
            Gamma::Scale => {
                let n = x.len() as f64;
                let mean = x.iter().sum::<f64>() / n;
                let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                if var != 0.0 {
                    1.0 / (x.ncols() as f64 * var)
                } else {
                    1.0
                }
            }
        };
        match self.kind {
            KernelKind::Linear => Kernel::Linear,
            KernelKind::Poly => Kernel::Poly {
                gamma,
                coef0: self.coef0,
                degree: self.degree,
            },
            KernelKind::Rbf => Kernel::Rbf { gamma },
            KernelKind::Sigmoid => Kernel::Sigmoid {
                gamma,
                coef0: self.coef0,
            },
        }
    }

    /// Read `kernel`, `gamma`, `degree`, `coef0` from a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let kind = match p.str("kernel")? {
            "linear" => KernelKind::Linear,
            "poly" => KernelKind::Poly,
            "rbf" => KernelKind::Rbf,
            "sigmoid" => KernelKind::Sigmoid,
            k => return Err(LearnError::param("kernel", format!("unknown kernel `{k}`"))),
        };
        let gamma = match p.get("gamma")? {
            ParamValue::Str(s) if s == "scale" => Gamma::Scale,
            ParamValue::Str(s) if s == "auto" => Gamma::Auto,
            _ => {
                let g = p.f64("gamma")?;
                if !(g > 0.0 && g.is_finite()) {
                    return Err(LearnError::param("gamma", "must be a positive number"));
                }
                Gamma::Value(g)
            }
        };
        let degree = u32::try_from(p.usize("degree")?)
            .map_err(|_| LearnError::param("degree", "is too large"))?;
        let coef0 = p.f64("coef0")?;
        if !coef0.is_finite() {
            return Err(LearnError::param("coef0", "must be finite"));
        }
        Ok(KernelSpec {
            kind,
            gamma,
            degree,
            coef0,
        })
    }
}

/// `kernel`, `degree`, `gamma`, `coef0` (scikit-learn's names and defaults).
pub fn kernel_param_specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "kernel",
            ParamKind::Choice(&["rbf", "linear", "poly", "sigmoid"]),
            ParamValue::Str("rbf".into()),
            "kernel: rbf exp(-gamma |x-y|^2), linear x.y, poly (gamma x.y + coef0)^degree, sigmoid tanh(gamma x.y + coef0) (default rbf)",
        ),
        ParamSpec::new(
            "degree",
            ParamKind::Int { min: 0, max: 100 },
            ParamValue::Int(3),
            "degree of the poly kernel (default 3)",
        ),
        ParamSpec::new(
            "gamma",
            ParamKind::OneOf(vec![
                ParamKind::Choice(&["scale", "auto"]),
                ParamKind::FloatOpenMin {
                    min: 0.0,
                    max: f64::INFINITY,
                },
            ]),
            ParamValue::Str("scale".into()),
            "kernel coefficient: \"scale\" = 1/(n_features * X.var()), \"auto\" = 1/n_features, or a number (default scale)",
        ),
        ParamSpec::new(
            "coef0",
            ParamKind::Float {
                min: f64::MIN,
                max: f64::MAX,
            },
            ParamValue::Float(0.0),
            "independent term of the poly and sigmoid kernels (default 0)",
        ),
    ]
}

/// `tol`, `shrinking`, `cache_size` (scikit-learn's names and defaults).
pub fn solver_param_specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "tol",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY,
            },
            ParamValue::Float(1e-3),
            "stopping tolerance of the SMO solver: the maximal KKT violation (default 0.001)",
        ),
        ParamSpec::new(
            "shrinking",
            ParamKind::Bool,
            ParamValue::Bool(true),
            "shrink bound variables out of the active set (default true)",
        ),
        ParamSpec::new(
            "cache_size",
            ParamKind::FloatOpenMin { min: 0.0, max: 1e6 },
            ParamValue::Float(200.0),
            "kernel column cache in MB (default 200)",
        ),
    ]
}

/// Validated solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    pub tol: f64,
    pub shrinking: bool,
    /// Bytes.
    pub cache_bytes: usize,
}

impl SolverSettings {
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let tol = p.f64("tol")?;
        if !(tol > 0.0 && tol.is_finite()) {
            return Err(LearnError::param("tol", "must be a positive number"));
        }
        let mb = p.f64("cache_size")?;
        if !(mb > 0.0 && mb.is_finite()) {
            return Err(LearnError::param(
                "cache_size",
                "must be a positive number of MB",
            ));
        }
        Ok(SolverSettings {
            tol,
            shrinking: p.bool("shrinking")?,
            cache_bytes: (mb * (1u64 << 20) as f64) as usize,
        })
    }
}

/// A row-major copy of `x` (shared when already contiguous), checked finite and non-empty.
pub(crate) fn rows_of<'a>(
    x: ArrayView2<'a, f64>,
    what: &str,
) -> Result<ndarray::CowArray<'a, f64, ndarray::Ix2>, LearnError> {
    crate::matrix::checked_matrix(x, what)
}
