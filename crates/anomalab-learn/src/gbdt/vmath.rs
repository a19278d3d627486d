//! Straight-line numeric kernels of the boosting loop that the compiler vectorises, and the
//! `exp` they use.
//!
//! `f64::exp` is a call into libm, which stops a loop from being vectorised; the gradient
//! passes call [`exp`] instead, written with additions, multiplications and bit operations
//! only. Each kernel is compiled twice, for the baseline target and with AVX2 (chosen at
//! run time, see [`avx2_dispatch`]): the same IEEE operations lane by lane, so both give
//! the same bits and a model does not depend on the processor it was fitted on.

/// `avx2_dispatch! { fn name / portable(args) -> ret { body } }` defines `portable`, the
/// kernel compiled for the baseline target (always inlined), and `name`, which runs the
/// same kernel compiled with AVX2 when the processor has it and `portable` otherwise (the
/// same results: see the module documentation).
macro_rules! avx2_dispatch {
    (
        $(#[$doc:meta])*
        $vis:vis fn $name:ident / $portable:ident($($arg:ident: $ty:ty),* $(,)?)
        $(-> $ret:ty)? $body:block
    ) => {
        #[inline(always)]
        fn $portable($($arg: $ty),*) $(-> $ret)? $body

        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn with_avx2($($arg: $ty),*) $(-> $ret)? {
                $portable($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2 (checked just above).
                return unsafe { with_avx2($($arg),*) };
            }
            $portable($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

/// `e^x` to within 2 units in the last place over the range used here, for `x` in
/// `[-708, 709]` (outside, `x` is clamped to it: the result stays finite and normal).
/// NaN gives NaN.
///
/// `x = k ln2 + r` with `k` the integer nearest `x / ln2` (found by adding `1.5 * 2^52`,
/// which also leaves `k` in the low bits), `ln2` split in a high part with trailing zero
/// bits and a low part (fdlibm's), so `r` (`|r| <= ln2 / 2`) is exact to about 1e-19;
/// `e^r` is its Taylor polynomial of degree 12 (truncation error `r^13 / 13! < 2e-16`) and
/// `2^k` is put together from its exponent bits.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-708.0, 709.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let kf = t - SHIFT;
    // The low bits of `t` hold `k` (two's complement, |k| <= 1023).
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // 1/n! for n = 12 down to 2.
    const C: [f64; 11] = [
        2.087_675_698_786_81e-9,
        2.505_210_838_544_172e-8,
        2.755_731_922_398_589e-7,
        2.755_731_922_398_589_3e-6,
        2.480_158_730_158_73e-5,
        1.984_126_984_126_984e-4,
        1.388_888_888_888_889e-3,
        8.333_333_333_333_333e-3,
        4.166_666_666_666_666_4e-2,
        1.666_666_666_666_666_6e-1,
        0.5,
    ];
    let mut p = C[0];
    for &c in &C[1..] {
        p = p * r + c;
    }
    let p = (p * r + 1.0) * r + 1.0;
    p * f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against libm's `exp` (correctly rounded in practice) on a dense grid of the range
    /// the boosting loop feeds it (margins and margin differences) and at the clamps.
    #[test]
    fn exp_is_within_two_ulps_of_libm() {
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
        let mut worst = 0;
        let mut x = -708.0;
        while x <= 709.0 {
            let (got, want) = (exp(x), x.exp());
            worst = worst.max(ulps(got, want));
            assert!(ulps(got, want) <= 2, "exp({x}) = {got}, libm {want}");
            x += 0.000_731;
        }
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-300,
            -1e-12,
            0.5 * std::f64::consts::LN_2,
        ] {
            assert!(ulps(exp(x), x.exp()) <= 2, "exp({x})");
        }
        assert_eq!(exp(0.0), 1.0);
        // Clamped outside [-708, 709]: finite and normal.
        assert_eq!(exp(-1e6), exp(-708.0));
        assert_eq!(exp(f64::NEG_INFINITY), exp(-708.0));
        assert!(exp(1e6).is_finite() && exp(1e6) == exp(709.0));
        assert!(exp(f64::NAN).is_nan());
        assert!(
            worst >= 1,
            "a grid this dense meets some rounding difference"
        );
    }

    avx2_dispatch! {
        fn exp_all / exp_all_portable(x: &[f64], out: &mut [f64]) {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = exp(v);
            }
        }
    }

    /// The dispatched kernel (AVX2 here when the processor has it) and the scalar function
    /// give the same bits.
    #[test]
    fn vectorised_exp_gives_the_scalar_bits() {
        let x: Vec<f64> = (0..10_007).map(|i| -700.0 + i as f64 * 0.1399).collect();
        let mut out = vec![0.0; x.len()];
        exp_all(&x, &mut out);
        for (&v, &o) in x.iter().zip(&out) {
            assert_eq!(o.to_bits(), exp(v).to_bits(), "exp({v})");
        }
    }
}
