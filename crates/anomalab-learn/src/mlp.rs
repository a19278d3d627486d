//! Multi-layer perceptron (native), with scikit-learn `MLPClassifier` semantics, and the
//! two registry entries built on it: classifier `mlp` and detector `autoencoder`.
//!
//! * Dense layers, hidden activation relu / tanh / logistic; Glorot-uniform initialisation
//!   as scikit-learn (bound `sqrt(f / (fan_in + fan_out))`, `f = 2` for logistic else 6,
//!   for weights and biases).
//! * Adam (beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected step), mini-batches
//!   (`batch_size` "auto" = min(200, n)) in a seeded shuffled order each epoch, L2 penalty
//!   `alpha` (loss `+ alpha/2 |W|^2 / batch`, gradient `+ alpha W / batch`).
//! * Stopping as scikit-learn: without early stopping, when the training loss has not
//!   improved by `tol` for more than `n_iter_no_change` epochs; with early stopping, a
//!   seeded `validation_fraction` is held out (stratified for the classifier) and training
//!   stops when the validation score (classifier: accuracy, as scikit-learn; autoencoder:
//!   minus the validation loss) has not improved by `tol` for more than `n_iter_no_change`
//!   epochs, and the best weights are restored.
//! * Classifier: logistic output and binary cross-entropy for two classes, softmax and
//!   cross-entropy otherwise; `scores()` are class probabilities.
//! * Autoencoder: symmetric hidden layers (`hidden: [32, 8]` gives 32-8-32), linear output,
//!   squared loss (scikit-learn's `mean / 2`); the anomaly score is the per-row mean squared
//!   reconstruction error.
//!
//! One fit is single-threaded and processes batches in a fixed order, so results depend
//! only on the seed. The per-epoch training (and validation) loss curve is kept in the
//! model and returned by `diagnostics()` / [`Mlp::loss_curve`].

use anomalab_results::ModelDiagnostic;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::matrix::mat_serde;

mod train;
use crate::params::{ParamKind, ParamMap, ParamSpec, ParamValue};
use crate::rng::{Rng, derive_seed};
use crate::traits::{Classifier, ClassifierParams, Detector, DetectorParams, FitContext, TrainSet};
use crate::traits::{ClassifierEntry, DetectorEntry};

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    Relu,
    Tanh,
    Logistic,
}

impl Activation {
    fn apply(self, z: &mut Array2<f64>) {
        match self {
            Activation::Relu => z.mapv_inplace(|v| v.max(0.0)),
            Activation::Tanh => z.mapv_inplace(f64::tanh),
            Activation::Logistic => z.mapv_inplace(sigmoid),
        }
    }
    /// The activation of one pre-activation value, in f32 (training).
    fn apply32(self, v: f32) -> f32 {
        match self {
            Activation::Relu => v.max(0.0),
            Activation::Tanh => v.tanh(),
            Activation::Logistic => 1.0 / (1.0 + (-v).exp()),
        }
    }
    /// The derivative, given the activation's output `a`.
    fn derivative32(self, a: f32) -> f32 {
        match self {
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - a * a,
            Activation::Logistic => a * (1.0 - a),
        }
    }
}

/// Each row of `z` replaced by its softmax, in place (the row's maximum subtracted first,
/// so that no `exp` overflows); the f64 scorer's and the f32 trainer's.
fn softmax_rows<F: ndarray::NdFloat>(mut z: ndarray::ArrayViewMut2<'_, F>) {
    for mut r in z.rows_mut() {
        let m = r.iter().cloned().fold(F::neg_infinity(), F::max);
        r.mapv_inplace(|v| (v - m).exp());
        let s = r.sum();
        r.mapv_inplace(|v| v / s);
    }
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// Output layer and loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// One logistic unit, binary cross-entropy.
    Logistic,
    /// Softmax, cross-entropy.
    Softmax,
    /// Linear, squared loss.
    Identity,
}

/// Training settings shared by both entries.
#[derive(Debug, Clone)]
pub struct MlpConfig {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub alpha: f64,
    pub learning_rate_init: f64,
    /// `None` = "auto" = min(200, n).
    pub batch_size: Option<usize>,
    pub max_iter: usize,
    pub tol: f64,
    pub n_iter_no_change: usize,
    pub early_stopping: bool,
    pub validation_fraction: f64,
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig {
            hidden: vec![100],
            activation: Activation::Relu,
            alpha: 1e-4,
            learning_rate_init: 1e-3,
            batch_size: None,
            max_iter: 200,
            tol: 1e-4,
            n_iter_no_change: 10,
            early_stopping: false,
            validation_fraction: 0.1,
        }
    }
}

fn common_specs(hidden_default: Vec<i64>, hidden_doc: &'static str) -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "hidden",
            ParamKind::IntList {
                min: 1,
                max: 100_000,
            },
            ParamValue::List(hidden_default.into_iter().map(ParamValue::Int).collect()),
            hidden_doc,
        ),
        ParamSpec::new(
            "activation",
            ParamKind::Choice(&["relu", "tanh", "logistic"]),
            ParamValue::Str("relu".into()),
            "hidden-layer activation",
        ),
        ParamSpec::new(
            "alpha",
            ParamKind::Float { min: 0.0, max: 1e6 },
            ParamValue::Float(1e-4),
            "L2 penalty",
        ),
        ParamSpec::new(
            "learning_rate_init",
            ParamKind::FloatOpenMin {
                min: 0.0,
                max: 10.0,
            },
            ParamValue::Float(1e-3),
            "Adam step size",
        ),
        ParamSpec::new(
            "batch_size",
            ParamKind::OneOf(vec![
                ParamKind::Int {
                    min: 1,
                    max: i64::MAX,
                },
                ParamKind::Choice(&["auto"]),
            ]),
            ParamValue::Str("auto".into()),
            "mini-batch rows; \"auto\" = min(200, n)",
        ),
        ParamSpec::new(
            "max_iter",
            ParamKind::Int {
                min: 1,
                max: 1_000_000,
            },
            ParamValue::Int(200),
            "maximum epochs",
        ),
        ParamSpec::new(
            "tol",
            ParamKind::Float { min: 0.0, max: 1e6 },
            ParamValue::Float(1e-4),
            "minimum improvement of the loss (or validation score) that resets the patience",
        ),
        ParamSpec::new(
            "n_iter_no_change",
            ParamKind::Int {
                min: 1,
                max: 1_000_000,
            },
            ParamValue::Int(10),
            "epochs without improvement before stopping",
        ),
        ParamSpec::new(
            "early_stopping",
            ParamKind::Bool,
            ParamValue::Bool(false),
            "hold out validation_fraction and stop on the validation score",
        ),
        ParamSpec::new(
            "validation_fraction",
            ParamKind::FloatOpenMin { min: 0.0, max: 0.5 },
            ParamValue::Float(0.1),
            "share of the training rows held out when early_stopping",
        ),
    ]
}

impl MlpConfig {
    fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        let hidden = p.usize_list("hidden")?;
        if hidden.is_empty() || hidden.contains(&0) {
            return Err(LearnError::param(
                "hidden",
                "expected a non-empty list of positive layer sizes",
            ));
        }
        let activation = match p.str("activation")? {
            "relu" => Activation::Relu,
            "tanh" => Activation::Tanh,
            "logistic" => Activation::Logistic,
            o => return Err(LearnError::param("activation", format!("unknown `{o}`"))),
        };
        let batch_size = match p.get("batch_size")? {
            ParamValue::Str(s) if s == "auto" => None,
            _ => Some(p.usize("batch_size")?.max(1)),
        };
        Ok(MlpConfig {
            hidden,
            activation,
            alpha: p.f64("alpha")?,
            learning_rate_init: p.f64("learning_rate_init")?,
            batch_size,
            max_iter: p.usize("max_iter")?.max(1),
            tol: p.f64("tol")?,
            n_iter_no_change: p.usize("n_iter_no_change")?.max(1),
            early_stopping: p.bool("early_stopping")?,
            validation_fraction: p.f64("validation_fraction")?,
        })
    }
}

/// Per-epoch losses of a fit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LossCurve {
    pub train: Vec<f64>,
    /// Validation loss per epoch (early stopping only).
    pub validation: Vec<f64>,
    /// Validation score per epoch (early stopping only).
    pub validation_score: Vec<f64>,
    /// Epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
}

impl LossCurve {
    /// The report's loss curve (training and validation loss per epoch).
    pub fn diagnostic(&self) -> ModelDiagnostic {
        ModelDiagnostic::LossCurve(anomalab_results::LossCurve {
            train: self.train.clone(),
            validation: self.validation.clone(),
        })
    }
}

/// Held-out rows, their targets, and the validation score (higher is better).
type Validation<'a> = (
    ArrayView2<'a, f64>,
    &'a Array2<f64>,
    &'a dyn Fn(&Mlp) -> f64,
);

/// Weights, biases and the epoch they come from.
type Snapshot = (Vec<Array2<f64>>, Vec<Vec<f64>>, usize);

/// A fitted network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mlp {
    /// `fan_in x fan_out` per layer.
    #[serde(with = "mats")]
    pub weights: Vec<Array2<f64>>,
    pub biases: Vec<Vec<f64>>,
    pub activation: Activation,
    pub output: Output,
    pub curve: LossCurve,
}

mod mats {
    use super::mat_serde;
    use ndarray::Array2;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct M(#[serde(with = "mat_serde")] Array2<f64>);

    pub fn serialize<S: Serializer>(m: &[Array2<f64>], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<M> = m.iter().cloned().map(M).collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Array2<f64>>, D::Error> {
        let v: Vec<M> = Deserialize::deserialize(d)?;
        Ok(v.into_iter().map(|m| m.0).collect())
    }
}

impl Mlp {
    fn init(sizes: &[usize], activation: Activation, output: Output, rng: &mut Rng) -> Self {
        let factor = if activation == Activation::Logistic {
            2.0
        } else {
            6.0
        };
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for w in sizes.windows(2) {
            let bound = (factor / (w[0] + w[1]) as f64).sqrt();
            let mut u = || -bound + 2.0 * bound * rng.next_f64();
            weights.push(Array2::from_shape_simple_fn((w[0], w[1]), &mut u));
            biases.push((0..w[1]).map(|_| u()).collect());
        }
        Mlp {
            weights,
            biases,
            activation,
            output,
            curve: LossCurve::default(),
        }
    }

    /// Activations of every layer (input first, output last).
    fn forward(&self, x: ArrayView2<'_, f64>) -> Vec<Array2<f64>> {
        let mut acts = vec![x.to_owned()];
        let last = self.weights.len() - 1;
        for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let mut z = acts[i].dot(w) + ndarray::ArrayView1::from(&b[..]);
            if i < last {
                self.activation.apply(&mut z);
            } else {
                match self.output {
                    Output::Logistic => z.mapv_inplace(sigmoid),
                    Output::Softmax => softmax_rows(z.view_mut()),
                    Output::Identity => {}
                }
            }
            acts.push(z);
        }
        acts
    }

    /// The network's output for `x`.
    pub fn predict_raw(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        self.forward(x).pop().expect("at least one layer")
    }

    /// Data loss (without the penalty) of outputs `p` against targets `y`, as scikit-learn.
    fn data_loss(&self, p: &Array2<f64>, y: &Array2<f64>) -> f64 {
        let n = p.nrows().max(1) as f64;
        let eps = f64::EPSILON;
        match self.output {
            Output::Identity => {
                p.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
                    / (p.len().max(1) as f64)
                    / 2.0
            }
            Output::Softmax => {
                -p.iter()
                    .zip(y)
                    .map(|(a, b)| {
                        if *b > 0.0 {
                            b * a.clamp(eps, 1.0 - eps).ln()
                        } else {
                            0.0
                        }
                    })
                    .sum::<f64>()
                    / n
            }
            Output::Logistic => {
                -p.iter()
                    .zip(y)
                    .map(|(a, b)| {
                        let a = a.clamp(eps, 1.0 - eps);
                        b * a.ln() + (1.0 - b) * (1.0 - a).ln()
                    })
                    .sum::<f64>()
                    / n
            }
        }
    }

    /// `alpha/2 |W|^2 / n` in f64 (the trainer has its own in f32).
    #[cfg(test)]
    fn penalty(&self, alpha: f64, n: usize) -> f64 {
        let s: f64 = self
            .weights
            .iter()
            .map(|w| w.iter().map(|v| v * v).sum::<f64>())
            .sum();
        0.5 * alpha * s / n.max(1) as f64
    }

    /// Train with Adam on rows `x` and targets `y` (`None`: reconstruct `x`); `val` =
    /// held-out rows and targets for early stopping, with the score function (higher is
    /// better).
    fn train(
        &mut self,
        x: ArrayView2<'_, f64>,
        y: Option<&Array2<f64>>,
        cfg: &MlpConfig,
        val: Option<Validation<'_>>,
        rng: &mut Rng,
    ) {
        let n = x.nrows();
        let bs = cfg.batch_size.unwrap_or(200).min(n).max(1);
        let mut tr = train::Trainer::new(self, bs);
        let x32 = to_f32(x);
        let y32 = y.map(|y| to_f32(y.view()));
        let mut order: Vec<usize> = (0..n).collect();
        let mut best_loss = f64::INFINITY;
        let mut best_score = f64::NEG_INFINITY;
        let mut best: Option<Snapshot> = None;
        let mut no_improve = 0usize;
        for epoch in 0..cfg.max_iter {
            rng.shuffle(&mut order);
            let mut acc = 0.0;
            for idx in order.chunks(bs) {
                let m = idx.len();
                tr.load(x32.view(), y32.as_ref().map(|y| y.view()), idx);
                tr.forward(m);
                acc += (tr.data_loss(m) + tr.penalty(cfg.alpha, m)) * m as f64;
                tr.gradients(m, cfg.alpha);
                tr.step(cfg.learning_rate_init);
            }
            if val.is_some() {
                tr.store(self);
            }
            let loss = acc / n as f64;
            self.curve.train.push(loss);
            match &val {
                Some((xv, yv, score)) => {
                    let pv = self.predict_raw(*xv);
                    self.curve.validation.push(self.data_loss(&pv, yv));
                    let s = score(self);
                    self.curve.validation_score.push(s);
                    if s < best_score + cfg.tol {
                        no_improve += 1;
                    } else {
                        no_improve = 0;
                    }
                    if s > best_score {
                        best_score = s;
                        best = Some((self.weights.clone(), self.biases.clone(), epoch + 1));
                    }
                }
                None => {
                    if loss > best_loss - cfg.tol {
                        no_improve += 1;
                    } else {
                        no_improve = 0;
                    }
                    if loss < best_loss {
                        best_loss = loss;
                        self.curve.best_epoch = epoch + 1;
                    }
                }
            }
            if no_improve > cfg.n_iter_no_change {
                break;
            }
        }
        if let Some((w, b, e)) = best {
            self.weights = w;
            self.biases = b;
            self.curve.best_epoch = e;
        } else if val.is_none() {
            tr.store(self);
            self.curve.best_epoch = self.curve.train.len();
        }
    }

    /// Per-epoch losses of the fit.
    pub fn loss_curve(&self) -> &LossCurve {
        &self.curve
    }

    fn check(&self) -> Result<(), LearnError> {
        let ok = !self.weights.is_empty()
            && self.weights.len() == self.biases.len()
            && self
                .weights
                .windows(2)
                .all(|w| w[0].ncols() == w[1].nrows())
            && self
                .weights
                .iter()
                .zip(&self.biases)
                .all(|(w, b)| w.ncols() == b.len());
        if ok {
            Ok(())
        } else {
            Err(LearnError::Codec("MLP: inconsistent layer shapes".into()))
        }
    }

    fn n_inputs(&self) -> usize {
        self.weights[0].nrows()
    }
}

/// An f32 copy in standard layout (the trainer copies whole rows as slices).
fn to_f32(x: ArrayView2<'_, f64>) -> Array2<f32> {
    let mut out = Array2::zeros(x.dim());
    out.zip_mut_with(&x, |d, &s| *d = s as f32);
    out
}

/// Split `0..n` into (train, validation) rows: a seeded `fraction`, stratified by `strata`
/// when given (each class contributes `round(fraction * count)`, at least one row when it
/// has two or more).
fn split_validation(
    n: usize,
    fraction: f64,
    strata: Option<&[u32]>,
    rng: &mut Rng,
) -> (Vec<usize>, Vec<usize>) {
    let mut val = Vec::new();
    match strata {
        Some(y) => {
            let nc = y.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            for c in 0..nc {
                let mut rows: Vec<usize> = (0..n).filter(|&i| y[i] as usize == c).collect();
                rng.shuffle(&mut rows);
                let k = ((fraction * rows.len() as f64).round() as usize)
                    .max(usize::from(rows.len() >= 2))
                    .min(rows.len().saturating_sub(1));
                val.extend_from_slice(&rows[..k]);
            }
        }
        None => {
            let k = ((fraction * n as f64).round() as usize).clamp(1, n.saturating_sub(1));
            val = rng.sample_indices(n, k);
        }
    }
    val.sort_unstable();
    let mut is_val = vec![false; n];
    for &v in &val {
        is_val[v] = true;
    }
    let train = (0..n).filter(|&i| !is_val[i]).collect();
    (train, val)
}

fn check_input(x: ArrayView2<'_, f64>, what: &str) -> Result<(), LearnError> {
    if x.nrows() < 2 || x.ncols() == 0 {
        return Err(LearnError::InvalidInput(format!(
            "{what} needs at least two rows and one column"
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidInput(format!(
            "{what} input contains NaN or infinite values"
        )));
    }
    Ok(())
}

// ------------------------------------------------------------------ classifier `mlp`

/// Validated hyper-parameters of the classifier `mlp`.
#[derive(Debug, Clone, Default)]
pub struct MlpClassifierParams {
    pub config: MlpConfig,
}

/// Parameter schema of `mlp`.
pub fn classifier_param_specs() -> Vec<ParamSpec> {
    common_specs(vec![100], "hidden layer sizes, input to output")
}

impl MlpClassifierParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        Ok(MlpClassifierParams {
            config: MlpConfig::from_params(p)?,
        })
    }

    /// Fit on a training set (concrete type).
    pub fn fit_mlp(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<MlpClassifier, LearnError> {
        train.validate()?;
        check_input(train.x, "MLP classifier")?;
        let k = train.n_classes;
        if k < 2 || train.class_counts().iter().filter(|&&c| c > 0).count() < 2 {
            return Err(LearnError::InvalidInput(
                "MLP classifier needs at least two classes present".into(),
            ));
        }
        let cfg = &self.config;
        let output = if k == 2 {
            Output::Logistic
        } else {
            Output::Softmax
        };
        let n_out = if k == 2 { 1 } else { k };
        let target = |rows: &[usize]| {
            let mut t = Array2::zeros((rows.len(), n_out));
            for (i, &r) in rows.iter().enumerate() {
                let c = train.y[r] as usize;
                if k == 2 {
                    t[[i, 0]] = c as f64;
                } else {
                    t[[i, c]] = 1.0;
                }
            }
            t
        };
        let mut rng = Rng::new(derive_seed(ctx.seed, 0));
        let mut sizes = vec![train.x.ncols()];
        sizes.extend_from_slice(&cfg.hidden);
        sizes.push(n_out);
        let mut net = Mlp::init(&sizes, cfg.activation, output, &mut rng);
        let mut srng = Rng::new(derive_seed(ctx.seed, 1));
        let mut trng = Rng::new(derive_seed(ctx.seed, 2));
        let n = train.x.nrows();
        if cfg.early_stopping {
            let (tr, va) = split_validation(n, cfg.validation_fraction, Some(train.y), &mut srng);
            let xt = train.x.select(Axis(0), &tr);
            let xv = train.x.select(Axis(0), &va);
            let yt = target(&tr);
            let yv = target(&va);
            let yv_cls: Vec<u32> = va.iter().map(|&r| train.y[r]).collect();
            let score = |m: &Mlp| accuracy(&class_scores(m, xv.view(), k), &yv_cls);
            net.train(
                xt.view(),
                Some(&yt),
                cfg,
                Some((xv.view(), &yv, &score)),
                &mut trng,
            );
        } else {
            let all: Vec<usize> = (0..n).collect();
            net.train(train.x, Some(&target(&all)), cfg, None, &mut trng);
        }
        Ok(MlpClassifier { n_classes: k, net })
    }
}

fn class_scores(m: &Mlp, x: ArrayView2<'_, f64>, k: usize) -> Array2<f64> {
    let p = m.predict_raw(x);
    if k == 2 {
        let mut out = Array2::zeros((p.nrows(), 2));
        for (i, &v) in p.column(0).iter().enumerate() {
            out[[i, 0]] = 1.0 - v;
            out[[i, 1]] = v;
        }
        out
    } else {
        p
    }
}

fn accuracy(scores: &Array2<f64>, y: &[u32]) -> f64 {
    let pred = crate::traits::argmax_rows(scores);
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
}

impl ClassifierParams for MlpClassifierParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        Ok(Box::new(self.fit_mlp(train, ctx)?))
    }

    /// Mini-batch steps are sequential and each batch's products are too small to share.
    fn fits_on_one_thread(&self) -> bool {
        true
    }
}

/// A fitted MLP classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MlpClassifier {
    pub n_classes: usize,
    pub net: Mlp,
}

impl MlpClassifier {
    /// Decode a model written by [`Classifier::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: MlpClassifier = postcard::from_bytes(bytes)?;
        m.net.check()?;
        let n_out = m.net.weights.last().map(|w| w.ncols()).unwrap_or(0);
        if m.n_classes < 2 || n_out != if m.n_classes == 2 { 1 } else { m.n_classes } {
            return Err(LearnError::Codec(
                "MLP: output layer does not match classes".into(),
            ));
        }
        Ok(m)
    }

    /// Diagnostics for the report: the loss curve.
    pub fn diagnostics(&self) -> Vec<ModelDiagnostic> {
        vec![self.net.curve.diagnostic()]
    }
}

impl Classifier for MlpClassifier {
    fn kind(&self) -> &'static str {
        "mlp"
    }
    fn n_classes(&self) -> usize {
        self.n_classes
    }
    fn n_features(&self) -> usize {
        self.net.n_inputs()
    }
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        if x.ncols() != self.net.n_inputs() {
            return Array2::from_elem((x.nrows(), self.n_classes), f64::NAN);
        }
        class_scores(&self.net, x, self.n_classes)
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

// ------------------------------------------------------------------ detector `autoencoder`

/// Validated hyper-parameters of the detector `autoencoder`.
#[derive(Debug, Clone)]
pub struct AutoencoderParams {
    /// Encoder sizes; the decoder mirrors them without the last (the code layer).
    pub config: MlpConfig,
}

/// Parameter schema of `autoencoder`.
pub fn autoencoder_param_specs() -> Vec<ParamSpec> {
    common_specs(
        vec![32, 8],
        "encoder layer sizes; mirrored for the decoder ([32, 8] -> 32-8-32)",
    )
}

impl AutoencoderParams {
    /// Read a resolved parameter map.
    pub fn from_params(p: &ParamMap) -> Result<Self, LearnError> {
        Ok(AutoencoderParams {
            config: MlpConfig::from_params(p)?,
        })
    }

    /// Fit on the rows of `x` (concrete type).
    pub fn fit_autoencoder(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<Autoencoder, LearnError> {
        check_input(x, "autoencoder")?;
        let cfg = &self.config;
        let d = x.ncols();
        let mut sizes = vec![d];
        sizes.extend_from_slice(&cfg.hidden);
        sizes.extend(cfg.hidden.iter().rev().skip(1));
        sizes.push(d);
        let mut rng = Rng::new(derive_seed(ctx.seed, 0));
        let mut net = Mlp::init(&sizes, cfg.activation, Output::Identity, &mut rng);
        let mut srng = Rng::new(derive_seed(ctx.seed, 1));
        let mut trng = Rng::new(derive_seed(ctx.seed, 2));
        if cfg.early_stopping {
            let (tr, va) = split_validation(x.nrows(), cfg.validation_fraction, None, &mut srng);
            let xt = x.select(Axis(0), &tr);
            let xv = x.select(Axis(0), &va);
            let score = |m: &Mlp| -m.data_loss(&m.predict_raw(xv.view()), &xv);
            net.train(
                xt.view(),
                None,
                cfg,
                Some((xv.view(), &xv, &score)),
                &mut trng,
            );
        } else {
            net.train(x, None, cfg, None, &mut trng);
        }
        Ok(Autoencoder { net })
    }
}

impl DetectorParams for AutoencoderParams {
    fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        ctx: &FitContext,
    ) -> Result<Box<dyn Detector>, LearnError> {
        Ok(Box::new(self.fit_autoencoder(x, ctx)?))
    }

    fn fits_on_one_thread(&self) -> bool {
        true
    }
}

/// A fitted autoencoder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Autoencoder {
    pub net: Mlp,
}

impl Autoencoder {
    /// Decode a model written by [`Detector::save`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let m: Autoencoder = postcard::from_bytes(bytes)?;
        m.net.check()?;
        if m.net.weights.last().map(|w| w.ncols()) != Some(m.net.n_inputs()) {
            return Err(LearnError::Codec(
                "autoencoder: output width differs from input".into(),
            ));
        }
        Ok(m)
    }
}

impl Detector for Autoencoder {
    fn kind(&self) -> &'static str {
        "autoencoder"
    }
    fn n_features(&self) -> usize {
        self.net.n_inputs()
    }
    /// Mean squared reconstruction error of each row.
    fn score(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let d = self.net.n_inputs();
        if x.ncols() != d {
            return vec![f64::NAN; x.nrows()];
        }
        let r = self.net.predict_raw(x);
        r.rows()
            .into_iter()
            .zip(x.rows())
            .map(|(a, b)| a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>() / d as f64)
            .collect()
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
    fn diagnostics(&self) -> Vec<ModelDiagnostic> {
        vec![self.net.curve.diagnostic()]
    }
}

fn build_classifier(p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(MlpClassifierParams::from_params(p)?))
}

fn load_classifier(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(MlpClassifier::from_bytes(bytes)?))
}

fn build_autoencoder(p: &ParamMap) -> Result<Box<dyn DetectorParams>, LearnError> {
    Ok(Box::new(AutoencoderParams::from_params(p)?))
}

fn load_autoencoder(bytes: &[u8]) -> Result<Box<dyn Detector>, LearnError> {
    Ok(Box::new(Autoencoder::from_bytes(bytes)?))
}

/// Registry entry of the classifier `mlp` (native).
pub fn classifier_entry() -> ClassifierEntry {
    ClassifierEntry {
        name: "mlp",
        backend: "native",
        summary: "multi-layer perceptron (Adam, L2, early stopping; scikit-learn MLPClassifier semantics)",
        params: classifier_param_specs,
        build: build_classifier,
        load: load_classifier,
    }
}

/// Registry entry of the detector `autoencoder` (native).
pub fn detector_entry() -> DetectorEntry {
    DetectorEntry {
        name: "autoencoder",
        backend: "native",
        summary: "symmetric MLP autoencoder, score = mean squared reconstruction error",
        params: autoencoder_param_specs,
        build: build_autoencoder,
        load: load_autoencoder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::DataCache;

    #[test]
    fn gradient_matches_finite_differences() {
        // The f32 trainer's gradient of every weight and bias against a central difference
        // of the penalised loss of the f64 network (scikit-learn's deltas p - y are the
        // gradient of sum((p - y)^2) / (2 n) + penalty for the identity output).
        // Tolerance: f32 carries ~6e-8 relative error per operation and the sums here
        // have at most 7 terms of order one, so the trainer's gradient is good to ~1e-6;
        // the central difference with h = 1e-6 in f64 to ~1e-9. 1e-4 (relative to
        // 1 + |g|) leaves room for that and still fails a dropped penalty term
        // (alpha * w / n ~ 1e-2) or a wrong activation derivative by orders of magnitude.
        let mut rng = Rng::new(5);
        let x = Array2::from_shape_simple_fn((7, 3), || rng.normal());
        let y = Array2::from_shape_simple_fn((7, 2), || rng.normal());
        let alpha = 0.1;
        for act in [Activation::Relu, Activation::Tanh, Activation::Logistic] {
            let net = Mlp::init(&[3, 4, 2], act, Output::Identity, &mut Rng::new(1));
            let loss = |m: &Mlp| {
                let p = m.predict_raw(x.view());
                let sq = p.iter().zip(&y).map(|(a, b)| (a - b) * (a - b));
                sq.sum::<f64>() / 14.0 + m.penalty(alpha, 7)
            };
            let mut tr = train::Trainer::new(&net, 7);
            let y32 = to_f32(y.view());
            tr.load(
                to_f32(x.view()).view(),
                Some(y32.view()),
                &[0, 1, 2, 3, 4, 5, 6],
            );
            tr.forward(7);
            tr.gradients(7, alpha);
            let h = 1e-6;
            let numeric = |edit: &dyn Fn(&mut Mlp, f64)| {
                let (mut plus, mut minus) = (net.clone(), net.clone());
                edit(&mut plus, h);
                edit(&mut minus, -h);
                (loss(&plus) - loss(&minus)) / (2.0 * h)
            };
            let close = |num: f64, g: f32| (num - f64::from(g)).abs() < 1e-4 * (1.0 + num.abs());
            for l in 0..2 {
                for ((i, j), &g) in tr.gw[l].indexed_iter() {
                    let num = numeric(&|m, d| m.weights[l][[i, j]] += d);
                    assert!(close(num, g), "{act:?} w{l}[{i},{j}]: {num} vs {g}");
                }
                for (j, &g) in tr.gb[l].iter().enumerate() {
                    let num = numeric(&|m, d| m.biases[l][j] += d);
                    assert!(close(num, g), "{act:?} b{l}[{j}]: {num} vs {g}");
                }
            }
        }
    }

    #[test]
    fn autoencoder_loss_falls_and_scores_off_manifold_rows_higher() {
        // Rows on a 2-d plane inside 6-d space; a code of 2 units can reconstruct them.
        let mut rng = Rng::new(2);
        let n = 400;
        let mut x = Array2::zeros((n, 6));
        for i in 0..n {
            let (a, b) = (rng.normal(), rng.normal());
            let row = [a, b, a + b, a - b, 0.5 * a, -b];
            for j in 0..6 {
                x[[i, j]] = row[j];
            }
        }
        let p = AutoencoderParams {
            config: MlpConfig {
                hidden: vec![16, 2],
                activation: Activation::Tanh,
                max_iter: 150,
                learning_rate_init: 0.01,
                ..Default::default()
            },
        };
        let m = p.fit_autoencoder(x.view(), &FitContext::default()).unwrap();
        let c = &m.net.curve.train;
        assert!(c.last().unwrap() < &(c[0] * 0.2), "{:?}", &c[..3]);
        assert_eq!(
            m.net.weights.iter().map(|w| w.ncols()).collect::<Vec<_>>(),
            vec![16, 2, 16, 6]
        );
        // A row off the plane (breaks a + b = x2) reconstructs worse than training rows.
        let s_train = m.score(x.view());
        let mean_train = s_train.iter().sum::<f64>() / n as f64;
        let off = ndarray::array![[1.0, 1.0, -3.0, 3.0, -2.0, 2.0]];
        assert!(m.score(off.view())[0] > 10.0 * mean_train);
        let back = Autoencoder::from_bytes(&m.save().unwrap()).unwrap();
        assert_eq!(back.score(x.view()), s_train);
        // Same seed, same network.
        let m2 = p.fit_autoencoder(x.view(), &FitContext::default()).unwrap();
        assert_eq!(m2.net.weights, m.net.weights);
    }

    #[test]
    fn classifier_separates_xor_like_quadrants() {
        // Class = 1 when x0 * x1 > 0: not linearly separable; a hidden layer solves it.
        let mut rng = Rng::new(4);
        let n = 400;
        let mut x = Array2::zeros((n, 2));
        let mut y = vec![0u32; n];
        for i in 0..n {
            let (a, b) = (2.0 * rng.next_f64() - 1.0, 2.0 * rng.next_f64() - 1.0);
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            y[i] = u32::from(a * b > 0.0);
        }
        let names = vec!["a".to_string(), "b".to_string()];
        let cache = DataCache::new();
        let ts = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 2,
            class_names: &names,
            feature_names: &names,
            cache: &cache,
        };
        let p = MlpClassifierParams {
            config: MlpConfig {
                hidden: vec![16],
                learning_rate_init: 0.01,
                max_iter: 300,
                early_stopping: true,
                n_iter_no_change: 30,
                ..Default::default()
            },
        };
        let m = p.fit_mlp(&ts, &FitContext::default()).unwrap();
        let acc = accuracy(&m.scores(x.view()), &y);
        assert!(acc > 0.95, "training accuracy {acc}");
        let s = m.scores(x.view());
        assert!(s.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-12));
        assert!(!m.net.curve.validation.is_empty());
    }
}
