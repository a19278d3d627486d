//! libsvm's SMO solver (Chang & Lin, LIBSVM: a library for support vector machines, 2011;
//! working-set selection by second-order information, Fan, Chen & Lin, JMLR 2005), the
//! algorithm behind scikit-learn's `SVC` and `OneClassSVM`.
//!
//! It solves `min 1/2 a'Qa + p'a` subject to `y'a = const`, `0 <= a_i <= C_i`, where
//! `Q_ij = y_i y_j K(x_i, x_j)`. Each step picks the maximal violating `i` and the `j` with
//! the largest second-order decrease (WSS3), updates the two alphas analytically and the
//! gradient with two kernel columns. Shrinking moves rows that are bound and unlikely to
//! change out of the active set every `min(l, 1000)` steps; the gradient of the removed
//! rows is rebuilt from `G_bar` before the final check. Kernel columns come from an LRU
//! cache of f32 columns (libsvm's `Qfloat`); alphas and gradients are f64. The order of
//! every operation follows libsvm's `Solver`, so on the same data the same steps are taken
//! (up to the last bits of the kernel values).

// The loops keep libsvm's index form so they can be read against it line by line.
#![allow(clippy::needless_range_loop)]

use super::cache::Cache;
use super::kernel::KernelRows;

const TAU: f64 = 1e-12;

/// The `Q` matrix of a problem: kernel values times the labels, cached by column, with
/// rows permuted as shrinking moves them.
pub struct QMatrix {
    rows: KernelRows,
    /// Position -> original row of `rows`.
    perm: Vec<usize>,
    y: Vec<f64>,
    qd: Vec<f64>,
    cache: Cache,
}

impl QMatrix {
    /// `index[t]` is the row of `rows` at position `t`, `y[t]` its label (+1/-1; all +1 for
    /// the one-class problem). `cache_bytes` is libsvm's `cache_size` in bytes.
    pub fn new(rows: KernelRows, index: Vec<usize>, y: Vec<f64>, cache_bytes: usize) -> Self {
        let qd = index.iter().map(|&r| rows.k(r, r)).collect();
        let cache = Cache::new(index.len(), cache_bytes);
        QMatrix {
            rows,
            perm: index,
            y,
            qd,
            cache,
        }
    }

    /// Make column `i` hold at least `len` entries.
    fn ensure(&mut self, i: usize, len: usize) {
        let start = self.cache.get(i, len);
        if start < len {
            let (yi, y, pi) = (self.y[i], &self.y[start..len], self.perm[i]);
            let out = &mut self.cache.col_mut(i)[start..len];
            self.rows
                .fill(pi, &self.perm[start..len], |t| yi * y[t], out);
        }
    }

    fn col(&self, i: usize) -> &[f32] {
        self.cache.col(i)
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.cache.swap_index(i, j);
        self.perm.swap(i, j);
        self.y.swap(i, j);
        self.qd.swap(i, j);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Lower,
    Upper,
    Free,
}

/// What the solver returns: alphas in the problem's original order, `rho` (the decision
/// function is `sum_i y_i a_i K(x_i, x) - rho`), the objective and the step count.
pub struct Solution {
    pub alpha: Vec<f64>,
    pub rho: f64,
    pub obj: f64,
    pub iterations: usize,
}

/// The solver's state (libsvm's `Solver`), in positions that shrinking permutes.
pub struct Solver {
    q: QMatrix,
    y: Vec<f64>,
    p: Vec<f64>,
    alpha: Vec<f64>,
    status: Vec<Status>,
    g: Vec<f64>,
    g_bar: Vec<f64>,
    active_set: Vec<usize>,
    active_size: usize,
    cp: f64,
    cn: f64,
    eps: f64,
    unshrink: bool,
}

impl Solver {
    /// Set up `min 1/2 a'Qa + p'a` from a starting `alpha` (feasible), with upper bounds
    /// `cp` for `y = +1` and `cn` for `y = -1`; `eps` is the stopping tolerance.
    pub fn new(q: QMatrix, p: Vec<f64>, alpha: Vec<f64>, cp: f64, cn: f64, eps: f64) -> Self {
        let l = p.len();
        let y = q.y.clone();
        let mut s = Solver {
            q,
            y,
            p,
            alpha,
            status: vec![Status::Lower; l],
            g: Vec::new(),
            g_bar: vec![0.0; l],
            active_set: (0..l).collect(),
            active_size: l,
            cp,
            cn,
            eps,
            unshrink: false,
        };
        for i in 0..l {
            s.update_status(i);
        }
        s.init_gradient();
        s
    }

    fn c(&self, i: usize) -> f64 {
        if self.y[i] > 0.0 { self.cp } else { self.cn }
    }

    fn update_status(&mut self, i: usize) {
        self.status[i] = if self.alpha[i] >= self.c(i) {
            Status::Upper
        } else if self.alpha[i] <= 0.0 {
            Status::Lower
        } else {
            Status::Free
        };
    }

    fn upper(&self, i: usize) -> bool {
        self.status[i] == Status::Upper
    }

    fn lower(&self, i: usize) -> bool {
        self.status[i] == Status::Lower
    }

    fn init_gradient(&mut self) {
        let l = self.p.len();
        self.g = self.p.clone();
        for i in 0..l {
            if self.lower(i) {
                continue;
            }
            self.q.ensure(i, l);
            let (ai, ci, upper) = (self.alpha[i], self.c(i), self.upper(i));
            let qi = self.q.col(i);
            for j in 0..l {
                self.g[j] += ai * f64::from(qi[j]);
            }
            if upper {
                for j in 0..l {
                    self.g_bar[j] += ci * f64::from(qi[j]);
                }
            }
        }
    }

    /// Run to convergence (or libsvm's iteration cap) and return the solution.
    pub fn solve(mut self, shrinking: bool) -> Solution {
        let l = self.p.len();
        let max_iter = 10_000_000usize.max(100usize.saturating_mul(l));
        let mut counter = l.min(1000) + 1;
        let mut iter = 0;
        while iter < max_iter {
            counter -= 1;
            if counter == 0 {
                counter = l.min(1000);
                if shrinking {
                    self.do_shrinking();
                }
            }
            let (i, j) = match self.select_working_set() {
                Some(ij) => ij,
                None => {
                    self.reconstruct_gradient();
                    self.active_size = l;
                    match self.select_working_set() {
                        Some(ij) => {
                            counter = 1;
                            ij
                        }
                        None => break,
                    }
                }
            };
            iter += 1;
            self.step(i, j);
        }
        if self.active_size < l {
            self.reconstruct_gradient();
            self.active_size = l;
        }
        self.finish(iter)
    }

    fn finish(self, iterations: usize) -> Solution {
        let l = self.p.len();
        let rho = self.calculate_rho();
        let obj = (0..l)
            .map(|i| self.alpha[i] * (self.g[i] + self.p[i]))
            .sum::<f64>()
            / 2.0;
        let mut alpha = vec![0.0; l];
        for i in 0..l {
            alpha[self.active_set[i]] = self.alpha[i];
        }
        Solution {
            alpha,
            rho,
            obj,
            iterations,
        }
    }

    /// The analytic update of `alpha_i`, `alpha_j` ([`two_variable_step`]), then the
    /// gradient and `G_bar`.
    fn step(&mut self, i: usize, j: usize) {
        let n = self.active_size;
        self.q.ensure(i, n);
        self.q.ensure(j, n);
        let (ci, cj) = (self.c(i), self.c(j));
        let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
        let pair = Pair {
            same_sign: self.y[i] == self.y[j],
            g: (self.g[i], self.g[j]),
            quad_diag: self.q.qd[i] + self.q.qd[j],
            qij: f64::from(self.q.col(i)[j]),
            alpha: (old_i, old_j),
            c: (ci, cj),
        };
        let (ai, aj) = two_variable_step(&pair);
        self.alpha[i] = ai;
        self.alpha[j] = aj;
        let (di, dj) = (ai - old_i, aj - old_j);
        {
            let (qi, qj) = (self.q.col(i), self.q.col(j));
            for ((g, &a), &b) in self.g[..n].iter_mut().zip(&qi[..n]).zip(&qj[..n]) {
                *g += f64::from(a) * di + f64::from(b) * dj;
            }
        }
        let (ui, uj) = (self.upper(i), self.upper(j));
        self.update_status(i);
        self.update_status(j);
        self.update_g_bar(i, ui, ci);
        self.update_g_bar(j, uj, cj);
    }

    fn update_g_bar(&mut self, i: usize, was_upper: bool, ci: f64) {
        if was_upper == self.upper(i) {
            return;
        }
        let l = self.p.len();
        self.q.ensure(i, l);
        let qi = self.q.col(i);
        let s = if was_upper { -ci } else { ci };
        for (gb, &v) in self.g_bar.iter_mut().zip(&qi[..l]) {
            *gb += s * f64::from(v);
        }
    }

    /// WSS3: `i` maximises `-y_i G_i` over I_up, `j` minimises the second-order objective
    /// decrease over I_low; `None` when the maximal violation is below `eps`.
    fn select_working_set(&mut self) -> Option<(usize, usize)> {
        let n = self.active_size;
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax_idx = None;
        for t in 0..n {
            let v = if self.y[t] > 0.0 {
                (!self.upper(t)).then(|| -self.g[t])
            } else {
                (!self.lower(t)).then_some(self.g[t])
            };
            if let Some(v) = v
                && v >= gmax
            {
                gmax = v;
                gmax_idx = Some(t);
            }
        }
        let i = gmax_idx?;
        self.q.ensure(i, n);
        let qi = self.q.col(i);
        let (yi, qdi) = (self.y[i], self.q.qd[i]);
        let mut gmax2 = f64::NEG_INFINITY;
        let mut best = None;
        let mut obj_min = f64::INFINITY;
        for j in 0..n {
            let (grad_diff, quad) = if self.y[j] > 0.0 {
                if self.lower(j) {
                    continue;
                }
                gmax2 = gmax2.max(self.g[j]);
                (
                    gmax + self.g[j],
                    qdi + self.q.qd[j] - 2.0 * yi * f64::from(qi[j]),
                )
            } else {
                if self.upper(j) {
                    continue;
                }
                gmax2 = gmax2.max(-self.g[j]);
                (
                    gmax - self.g[j],
                    qdi + self.q.qd[j] + 2.0 * yi * f64::from(qi[j]),
                )
            };
            if grad_diff > 0.0 {
                let q = if quad > 0.0 { quad } else { TAU };
                let obj = -(grad_diff * grad_diff) / q;
                if obj <= obj_min {
                    best = Some(j);
                    obj_min = obj;
                }
            }
        }
        if gmax + gmax2 < self.eps {
            return None;
        }
        best.map(|j| (i, j))
    }

    fn be_shrunk(&self, i: usize, gmax1: f64, gmax2: f64) -> bool {
        let pos = self.y[i] > 0.0;
        if self.upper(i) {
            -self.g[i] > if pos { gmax1 } else { gmax2 }
        } else if self.lower(i) {
            self.g[i] > if pos { gmax2 } else { gmax1 }
        } else {
            false
        }
    }

    fn do_shrinking(&mut self) {
        let (mut gmax1, mut gmax2) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for i in 0..self.active_size {
            let g = self.g[i];
            let (up, low) = if self.y[i] > 0.0 {
                (&mut gmax1, &mut gmax2)
            } else {
                (&mut gmax2, &mut gmax1)
            };
            if !self.upper(i) && -g >= *up {
                *up = -g;
            }
            if !self.lower(i) && g >= *low {
                *low = g;
            }
        }
        if !self.unshrink && gmax1 + gmax2 <= self.eps * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active_size = self.p.len();
        }
        let mut i = 0;
        while i < self.active_size {
            if self.be_shrunk(i, gmax1, gmax2) {
                self.active_size -= 1;
                while self.active_size > i {
                    if !self.be_shrunk(self.active_size, gmax1, gmax2) {
                        self.swap_index(i, self.active_size);
                        break;
                    }
                    self.active_size -= 1;
                }
            }
            i += 1;
        }
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.q.swap_index(i, j);
        self.y.swap(i, j);
        self.g.swap(i, j);
        self.status.swap(i, j);
        self.alpha.swap(i, j);
        self.p.swap(i, j);
        self.active_set.swap(i, j);
        self.g_bar.swap(i, j);
    }

    /// Rebuild the gradient of the shrunk rows from `G_bar` and the free alphas, by rows
    /// or by columns, whichever touches fewer kernel entries (libsvm's rule).
    fn reconstruct_gradient(&mut self) {
        let (n, l) = (self.active_size, self.p.len());
        if n == l {
            return;
        }
        for j in n..l {
            self.g[j] = self.g_bar[j] + self.p[j];
        }
        let nr_free = (0..n).filter(|&j| self.status[j] == Status::Free).count();
        if nr_free * l > 2 * n * (l - n) {
            for i in n..l {
                self.q.ensure(i, n);
                let qi = self.q.col(i);
                let mut gi = self.g[i];
                for j in 0..n {
                    if self.status[j] == Status::Free {
                        gi += self.alpha[j] * f64::from(qi[j]);
                    }
                }
                self.g[i] = gi;
            }
        } else {
            for i in 0..n {
                if self.status[i] != Status::Free {
                    continue;
                }
                self.q.ensure(i, l);
                let ai = self.alpha[i];
                let qi = self.q.col(i);
                for j in n..l {
                    self.g[j] += ai * f64::from(qi[j]);
                }
            }
        }
    }

    /// `rho`: the mean of `y_i G_i` over free alphas, else the middle of the feasible
    /// interval.
    fn calculate_rho(&self) -> f64 {
        let (mut ub, mut lb) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut nr_free, mut sum_free) = (0usize, 0.0);
        for i in 0..self.active_size {
            let yg = self.y[i] * self.g[i];
            let pos = self.y[i] > 0.0;
            match self.status[i] {
                Status::Upper if !pos => ub = ub.min(yg),
                Status::Upper => lb = lb.max(yg),
                Status::Lower if pos => ub = ub.min(yg),
                Status::Lower => lb = lb.max(yg),
                Status::Free => {
                    nr_free += 1;
                    sum_free += yg;
                }
            }
        }
        if nr_free > 0 {
            sum_free / nr_free as f64
        } else {
            (ub + lb) / 2.0
        }
    }
}

/// What the two-variable step needs about the working pair.
struct Pair {
    same_sign: bool,
    g: (f64, f64),
    /// `Q_ii + Q_jj`.
    quad_diag: f64,
    qij: f64,
    alpha: (f64, f64),
    c: (f64, f64),
}

/// The new `(alpha_i, alpha_j)`: the unconstrained minimiser along the feasible direction,
/// clipped to the boxes in libsvm's order of cases.
fn two_variable_step(p: &Pair) -> (f64, f64) {
    let (ci, cj) = p.c;
    let (mut ai, mut aj) = p.alpha;
    if !p.same_sign {
        let mut quad = p.quad_diag + 2.0 * p.qij;
        if quad <= 0.0 {
            quad = TAU;
        }
        let delta = (-p.g.0 - p.g.1) / quad;
        let diff = ai - aj;
        ai += delta;
        aj += delta;
        if diff > 0.0 {
            if aj < 0.0 {
                aj = 0.0;
                ai = diff;
            }
        } else if ai < 0.0 {
            ai = 0.0;
            aj = -diff;
        }
        if diff > ci - cj {
            if ai > ci {
                ai = ci;
                aj = ci - diff;
            }
        } else if aj > cj {
            aj = cj;
            ai = cj + diff;
        }
    } else {
        let mut quad = p.quad_diag - 2.0 * p.qij;
        if quad <= 0.0 {
            quad = TAU;
        }
        let delta = (p.g.0 - p.g.1) / quad;
        let sum = ai + aj;
        ai -= delta;
        aj += delta;
        if sum > ci {
            if ai > ci {
                ai = ci;
                aj = sum - ci;
            }
        } else if aj < 0.0 {
            aj = 0.0;
            ai = sum;
        }
        if sum > cj {
            if aj > cj {
                aj = cj;
                ai = sum - cj;
            }
        } else if ai < 0.0 {
            ai = 0.0;
            aj = sum;
        }
    }
    (ai, aj)
}
