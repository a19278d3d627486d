//! Mini-batch training in f32: the network, Adam's moments and every per-batch buffer are
//! allocated once per fit, and each product is one `general_mat_mul` into a buffer (for
//! f32, ndarray hands it to `matrixmultiply`'s sgemm: pure Rust, runtime-selected AVX2/FMA
//! kernels, single-threaded, so the result does not depend on the thread count).
//! f32 halves the memory traffic and doubles the SIMD width against f64; the loss is still
//! accumulated in f64 and the fitted weights are handed back as f64.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip, s};

use super::{Activation, Mlp, Output, softmax_rows};

/// Adam's constants (scikit-learn's defaults).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const ADAM_EPS: f32 = 1e-8;

/// One fit's state: weights and biases in f32, Adam's moments, and buffers sized for the
/// largest batch.
pub(super) struct Trainer {
    pub w: Vec<Array2<f32>>,
    pub b: Vec<Array1<f32>>,
    mw: Vec<Array2<f32>>,
    vw: Vec<Array2<f32>>,
    mb: Vec<Array1<f32>>,
    vb: Vec<Array1<f32>>,
    /// Activations per layer, input first (`batch x width`).
    acts: Vec<Array2<f32>>,
    /// Loss gradient w.r.t. each layer's pre-activation output (`batch x width`).
    deltas: Vec<Array2<f32>>,
    pub gw: Vec<Array2<f32>>,
    pub gb: Vec<Array1<f32>>,
    target: Array2<f32>,
    /// The targets are the inputs (`acts[0]`); `target` is then unused.
    reconstruct: bool,
    activation: Activation,
    output: Output,
    /// Adam steps taken.
    t: i32,
}

impl Trainer {
    pub fn new(net: &Mlp, batch: usize) -> Self {
        let w: Vec<Array2<f32>> = net.weights.iter().map(|w| w.mapv(|v| v as f32)).collect();
        let b: Vec<Array1<f32>> = net
            .biases
            .iter()
            .map(|b| b.iter().map(|&v| v as f32).collect())
            .collect();
        let zeros_w: Vec<Array2<f32>> = w.iter().map(|w| Array2::zeros(w.dim())).collect();
        let zeros_b: Vec<Array1<f32>> = b.iter().map(|b| Array1::zeros(b.len())).collect();
        let mut acts = vec![Array2::zeros((batch, w[0].nrows()))];
        acts.extend(w.iter().map(|w| Array2::zeros((batch, w.ncols()))));
        let deltas = acts[1..].to_vec();
        let n_out = w.last().expect("at least one layer").ncols();
        Trainer {
            mw: zeros_w.clone(),
            vw: zeros_w.clone(),
            gw: zeros_w,
            mb: zeros_b.clone(),
            vb: zeros_b.clone(),
            gb: zeros_b,
            w,
            b,
            acts,
            deltas,
            target: Array2::zeros((batch, n_out)),
            reconstruct: false,
            activation: net.activation,
            output: net.output,
            t: 0,
        }
    }

    /// Copy rows `idx` of `x` and of the targets `y` into the batch buffers; `y = None`
    /// trains to reconstruct the input (the autoencoder), with no target buffer.
    pub fn load(&mut self, x: ArrayView2<'_, f32>, y: Option<ArrayView2<'_, f32>>, idx: &[usize]) {
        // Whole-row slice copies: the rows are random, so this is memory-latency bound and
        // a per-row ndarray assign added its own overhead on top.
        let copy = |src: ArrayView2<'_, f32>, dst: &mut Array2<f32>| {
            let d = src.ncols();
            let src = src.as_slice().expect("standard layout");
            let dst = slice_mut(dst);
            for (k, &r) in idx.iter().enumerate() {
                dst[k * d..(k + 1) * d].copy_from_slice(&src[r * d..(r + 1) * d]);
            }
        };
        copy(x, &mut self.acts[0]);
        self.reconstruct = y.is_none();
        if let Some(y) = y {
            copy(y, &mut self.target);
        }
    }

    /// The targets of the first `m` rows of the batch.
    fn target(&self, m: usize) -> ArrayView2<'_, f32> {
        let t = if self.reconstruct {
            &self.acts[0]
        } else {
            &self.target
        };
        t.slice(s![..m, ..])
    }

    /// Forward pass over the first `m` rows of the batch buffers.
    pub fn forward(&mut self, m: usize) {
        let last = self.w.len() - 1;
        for l in 0..=last {
            let (before, after) = self.acts.split_at_mut(l + 1);
            let a = before[l].slice(s![..m, ..]);
            let mut z = after[0].slice_mut(s![..m, ..]);
            general_mat_mul(1.0, &a, &self.w[l], 0.0, &mut z);
            let b = &self.b[l];
            let act = self.activation;
            if l < last {
                for mut r in z.rows_mut() {
                    Zip::from(&mut r)
                        .and(b)
                        .for_each(|v, &c| *v = act.apply32(*v + c));
                }
            } else {
                for mut r in z.rows_mut() {
                    r += b;
                }
                output_f32(self.output, z);
            }
        }
    }

    /// Data loss (scikit-learn's, without the penalty) of the first `m` rows, in f64.
    pub fn data_loss(&self, m: usize) -> f64 {
        let p = self.acts.last().expect("output").slice(s![..m, ..]);
        let y = self.target(m);
        let eps = f64::from(f32::EPSILON);
        let sum: f64 = match self.output {
            Output::Identity => {
                let sq: f64 = Zip::from(&p)
                    .and(&y)
                    .fold(0.0, |acc, &a, &b| acc + f64::from(a - b) * f64::from(a - b));
                return sq / (p.len().max(1) as f64) / 2.0;
            }
            Output::Softmax => Zip::from(&p).and(&y).fold(0.0, |acc, &a, &b| {
                if b > 0.0 {
                    acc - f64::from(b) * f64::from(a).clamp(eps, 1.0 - eps).ln()
                } else {
                    acc
                }
            }),
            Output::Logistic => Zip::from(&p).and(&y).fold(0.0, |acc, &a, &b| {
                let (a, b) = (f64::from(a).clamp(eps, 1.0 - eps), f64::from(b));
                acc - (b * a.ln() + (1.0 - b) * (1.0 - a).ln())
            }),
        };
        sum / m.max(1) as f64
    }

    /// `alpha/2 |W|^2 / m`, as scikit-learn adds to each batch's loss.
    pub fn penalty(&self, alpha: f64, m: usize) -> f64 {
        let s: f64 = self
            .w
            .iter()
            .map(|w| sum_of_squares(w.as_slice().expect("standard layout")))
            .sum();
        0.5 * alpha * s / m.max(1) as f64
    }

    /// Gradients of the batch loss (data loss + penalty) into `gw` / `gb`, after
    /// [`Trainer::forward`] on the same `m` rows.
    pub fn gradients(&mut self, m: usize, alpha: f64) {
        let nl = self.w.len();
        let inv_m = 1.0 / m as f32;
        let decay = (alpha / m as f64) as f32;
        let target = if self.reconstruct {
            &self.acts[0]
        } else {
            &self.target
        };
        Zip::from(self.deltas[nl - 1].slice_mut(s![..m, ..]))
            .and(self.acts[nl].slice(s![..m, ..]))
            .and(target.slice(s![..m, ..]))
            .for_each(|d, &p, &y| *d = p - y);
        for l in (0..nl).rev() {
            let delta = self.deltas[l].slice(s![..m, ..]);
            let a = self.acts[l].slice(s![..m, ..]);
            self.gw[l].assign(&self.w[l]);
            general_mat_mul(inv_m, &a.t(), &delta, decay, &mut self.gw[l]);
            let gb = &mut self.gb[l];
            gb.fill(0.0);
            for r in delta.rows() {
                *gb += &r;
            }
            *gb *= inv_m;
            if l > 0 {
                let (lo, hi) = self.deltas.split_at_mut(l);
                let mut prev = lo[l - 1].slice_mut(s![..m, ..]);
                general_mat_mul(
                    1.0,
                    &hi[0].slice(s![..m, ..]),
                    &self.w[l].t(),
                    0.0,
                    &mut prev,
                );
                backprop_f32(self.activation, self.acts[l].slice(s![..m, ..]), prev);
            }
        }
    }

    /// One Adam step with the gradients in `gw` / `gb`.
    pub fn step(&mut self, learning_rate: f64) {
        self.t += 1;
        let t = self.t;
        let lr = (learning_rate * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t))) as f32;
        let (b1, b2) = (BETA1 as f32, BETA2 as f32);
        // Plain slices rather than a four-way Zip: this loop then vectorises. Subnormal
        // operands or results make x86 arithmetic ~100x slower, and Adam meets them in f32:
        // the moments of a weight whose gradient stays zero (a dead relu unit) decay by
        // beta each step into that range within ~800 steps, and a gradient below 1e-19
        // squares into it. Both are flushed to zero (the step they would make is below
        // 1e-12 of the learning rate).
        let flush = |v: f32| if v.abs() < f32::MIN_POSITIVE { 0.0 } else { v };
        let update = |w: &mut [f32], m1: &mut [f32], v1: &mut [f32], g: &[f32]| {
            for (((w, m1), v1), &g) in w.iter_mut().zip(m1).zip(v1).zip(g) {
                let g = if g.abs() < 1e-19 { 0.0 } else { g };
                *m1 = flush(b1 * *m1 + (1.0 - b1) * g);
                *v1 = flush(b2 * *v1 + (1.0 - b2) * g * g);
                *w -= lr * *m1 / (v1.sqrt() + ADAM_EPS);
            }
        };
        for l in 0..self.w.len() {
            update(
                slice_mut(&mut self.w[l]),
                slice_mut(&mut self.mw[l]),
                slice_mut(&mut self.vw[l]),
                self.gw[l].as_slice().expect("standard layout"),
            );
            update(
                slice_mut(&mut self.b[l]),
                slice_mut(&mut self.mb[l]),
                slice_mut(&mut self.vb[l]),
                self.gb[l].as_slice().expect("standard layout"),
            );
        }
    }

    /// Write the current weights into `net` (as f64).
    pub fn store(&self, net: &mut Mlp) {
        for (dst, src) in net.weights.iter_mut().zip(&self.w) {
            Zip::from(dst).and(src).for_each(|d, &s| *d = f64::from(s));
        }
        for (dst, src) in net.biases.iter_mut().zip(&self.b) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = f64::from(s);
            }
        }
    }
}

/// `sum v^2` in f64 over eight interleaved partial sums: one running f64 sum is a chain
/// of dependent adds that cannot vectorise, and this runs once per batch over every
/// weight. The order is fixed, so the result is too.
fn sum_of_squares(v: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = v.chunks_exact(8);
    let rest: f64 = chunks
        .remainder()
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f64::from(x) * f64::from(x);
        }
    }
    acc.iter().sum::<f64>() + rest
}

/// The elements of an array the trainer allocated (standard layout).
fn slice_mut<D: ndarray::Dimension>(a: &mut ndarray::Array<f32, D>) -> &mut [f32] {
    a.as_slice_mut().expect("standard layout")
}

/// The output layer's function on pre-activations `z`, in place.
fn output_f32(output: Output, mut z: ArrayViewMut2<'_, f32>) {
    match output {
        Output::Logistic => z.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp())),
        Output::Softmax => softmax_rows(z),
        Output::Identity => {}
    }
}

/// Multiply `delta` by the activation's derivative, given its output `a`.
fn backprop_f32(act: Activation, a: ArrayView2<'_, f32>, mut delta: ArrayViewMut2<'_, f32>) {
    Zip::from(&mut delta)
        .and(&a)
        .for_each(|d, &a| *d *= act.derivative32(a));
}
