//! The distributions the tests need, built on two special functions: the regularised
//! incomplete gamma function (chi-square, and the normal through erfc(x) = Q(1/2, x^2))
//! and the regularised incomplete beta function (Student t). Accurate to about 1e-14
//! relative in the ranges the tests use.

use std::f64::consts::PI;

const EPS: f64 = 1e-16;
const TINY: f64 = 1e-300;
const MAX_ITER: usize = 10_000;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; reflection below 1/2).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        1.0 - gamma_p_series(a, x)
    } else {
        gamma_q_fraction(a, x)
    }
}

fn gamma_front(a: f64, x: f64) -> f64 {
    (-x + a * x.ln() - ln_gamma(a)).exp()
}

fn gamma_p_series(a: f64, x: f64) -> f64 {
    let mut ap = a;
    let mut term = 1.0 / a;
    let mut sum = term;
    for _ in 0..MAX_ITER {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * EPS {
            break;
        }
    }
    sum * gamma_front(a, x)
}

/// Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1.
fn gamma_q_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITER {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = nonzero(an * d + b);
        c = nonzero(b + an / c);
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    gamma_front(a, x) * h
}

fn nonzero(v: f64) -> f64 {
    if v.abs() < TINY { TINY } else { v }
}

/// The regularised incomplete beta function I_x(a, b); `y` is 1 - x, passed separately
/// so that a caller who knows it exactly does not lose digits near x = 1.
pub fn beta_inc(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * y.ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, y) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    let upper = 0.5 * gamma_q(0.5, 0.5 * z * z);
    if z >= 0.0 { upper } else { 1.0 - upper }
}

/// P(Z <= z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    normal_sf(-z)
}

/// P(X > x) for X chi-square with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    gamma_q(0.5 * df, 0.5 * x)
}

/// P(T > t) for T Student t with `df` degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    let t2 = t * t;
    let tail = 0.5 * beta_inc(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
    if t >= 0.0 { tail } else { 1.0 - tail }
}

/// The `p` quantile of Student t with `df` degrees of freedom (bisection on the cdf).
pub fn t_ppf(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -t_ppf(1.0 - p, df);
    }
    let target = 1.0 - p;
    let mut hi = 1.0;
    while t_sf(hi, df) > target {
        hi *= 2.0;
    }
    bisect(0.0, hi, |t| t_sf(t, df) > target)
}

/// The largest x in [lo, hi] with `below(x)` true, for a `below` that is true up to a
/// point and false after it; to the last bit of a double.
fn bisect(mut lo: f64, mut hi: f64, below: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// P(Q <= q) for the studentized range of `k` means with infinite degrees of freedom:
/// k ∫ φ(z) (Φ(z + q) - Φ(z))^(k-1) dz, the single integral scipy's `studentized_range`
/// evaluates when df is infinite (Lund & Lund 1983), here by composite Gauss-Legendre.
pub fn studentized_range_cdf(q: f64, k: usize) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    let kf = k as f64;
    let integrand = |z: f64| {
        let inner = if z >= 0.0 {
            normal_sf(z) - normal_sf(z + q)
        } else {
            normal_cdf(z + q) - normal_cdf(z)
        };
        kf * (-0.5 * z * z).exp() / (2.0 * PI).sqrt() * inner.powi(k as i32 - 1)
    };
    gauss_legendre(integrand, -10.0, 10.0, 80).clamp(0.0, 1.0)
}

/// P(Q > q), as scipy computes it: one minus the cdf.
pub fn studentized_range_sf(q: f64, k: usize) -> f64 {
    (1.0 - studentized_range_cdf(q, k)).clamp(0.0, 1.0)
}

/// The `p` quantile of the studentized range of `k` means, infinite degrees of freedom.
pub fn studentized_range_ppf(p: f64, k: usize) -> f64 {
    let mut hi = 1.0;
    while studentized_range_cdf(hi, k) < p {
        hi *= 2.0;
    }
    bisect(0.0, hi, |q| studentized_range_cdf(q, k) < p)
}

/// ∫ f over [a, b] by `panels` panels of 20-point Gauss-Legendre.
fn gauss_legendre(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let (nodes, weights) = legendre_nodes(20);
    let width = (b - a) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let mid = a + (p as f64 + 0.5) * width;
        let half = 0.5 * width;
        let panel: f64 = nodes
            .iter()
            .zip(&weights)
            .map(|(x, w)| w * f(mid + half * x))
            .sum();
        total += half * panel;
    }
    total
}

/// Nodes and weights of n-point Gauss-Legendre on [-1, 1] (Newton on P_n).
fn legendre_nodes(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 0.0;
        for _ in 0..100 {
            let (p, dp) = legendre(n, x);
            derivative = dp;
            let step = p / dp;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(n, x);
        derivative = if dp != 0.0 { dp } else { derivative };
        nodes.push(x);
        weights.push(2.0 / ((1.0 - x * x) * derivative * derivative));
    }
    (nodes, weights)
}

/// P_n(x) and its derivative, by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    for j in 2..=n {
        let jf = j as f64;
        let p2 = ((2.0 * jf - 1.0) * x * p1 - (jf - 1.0) * p0) / jf;
        p0 = p1;
        p1 = p2;
    }
    (p1, n as f64 * (x * p1 - p0) / (x * x - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_a_polynomial_exactly() {
        // ∫_0^2 x^7 dx = 2^8 / 8 = 32: degree 7 is well within 20 points' exactness.
        let got = gauss_legendre(|x| x.powi(7), 0.0, 2.0, 1);
        assert!((got - 32.0).abs() < 1e-12, "{got}");
    }

    #[test]
    fn ln_gamma_at_integers_is_ln_factorial() {
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - PI.sqrt().ln()).abs() < 1e-14);
    }
}
