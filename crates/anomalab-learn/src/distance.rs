//! Squared Euclidean distance kernels for k-means, with one fixed
//! summation order.
//!
//! Every squared distance is computed the same way whichever function computes it: eight
//! lane accumulators (lane `l` sums `(a_i - b_i)^2` over `i = l (mod 8)` in increasing
//! `i`: subtract, multiply, add), reduced as `((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 +
//! l7))`, then the tail elements (`i >= 8 * floor(d / 8)`) added one by one. The one-pair
//! kernel and the four-centre kernel therefore return bit-identical values for the same
//! pair, so Lloyd (all distances of a row) and Elkan (single pairs) see the same numbers.
//!
//! Two implementations of that order exist: [`Portable`] (plain Rust, any target) and, on
//! x86-64, [`Avx2`] (AVX2 intrinsics: the eight lanes are two 4-wide registers). Neither
//! uses fused multiply-add, so they return the same bits; [`dispatch!`] compiles a hot loop
//! for both and picks one at run time from the CPU's features.

/// Lane count of the accumulators (fixes the summation order).
pub(crate) const LANES: usize = 8;

#[inline(always)]
fn tree(a: &[f64; LANES]) -> f64 {
    ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

#[inline(always)]
fn tail(mut s: f64, a: &[f64], b: &[f64]) -> f64 {
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// Squared Euclidean distance of two equal-length slices (fixed summation order, see the
/// module header), portable version.
#[inline(always)]
pub(crate) fn sqd(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "sqd: lengths differ");
    let d = a.len();
    let m = d - d % LANES;
    let mut acc = [0.0f64; LANES];
    for (x, y) in a[..m].chunks_exact(LANES).zip(b[..m].chunks_exact(LANES)) {
        for l in 0..LANES {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    tail(tree(&acc), &a[m..], &b[m..])
}

/// A distance kernel: the fixed summation order of the module header.
pub(crate) trait Kernel {
    /// Squared distance of one pair.
    fn sqd(a: &[f64], b: &[f64]) -> f64;

    /// Squared distances of `x` to four rows at once (each bit-identical to `sqd`).
    fn sqd4(x: &[f64], c: [&[f64]; 4]) -> [f64; 4];

    /// Squared distances of `x` (length `d`) to every row of `centres` (row-major,
    /// `k x d`), written to `out[..k]`.
    #[inline(always)]
    fn sqd_all(x: &[f64], centres: &[f64], d: usize, out: &mut [f64]) {
        let k = centres.len() / d;
        let mut j = 0;
        while j + 4 <= k {
            let c = |q: usize| &centres[(j + q) * d..(j + q + 1) * d];
            let v = Self::sqd4(x, [c(0), c(1), c(2), c(3)]);
            out[j..j + 4].copy_from_slice(&v);
            j += 4;
        }
        while j < k {
            out[j] = Self::sqd(x, &centres[j * d..(j + 1) * d]);
            j += 1;
        }
    }
}

/// Plain Rust kernel (any target).
pub(crate) struct Portable;

impl Kernel for Portable {
    #[inline(always)]
    fn sqd(a: &[f64], b: &[f64]) -> f64 {
        sqd(a, b)
    }

    #[inline(always)]
    fn sqd4(x: &[f64], c: [&[f64]; 4]) -> [f64; 4] {
        let d = x.len();
        for cq in c {
            assert_eq!(cq.len(), d, "sqd4: lengths differ");
        }
        let m = d - d % LANES;
        let mut acc = [[0.0f64; LANES]; 4];
        let mut i = 0;
        while i < m {
            for (q, cq) in c.iter().enumerate() {
                for l in 0..LANES {
                    let t = x[i + l] - cq[i + l];
                    acc[q][l] += t * t;
                }
            }
            i += LANES;
        }
        let mut out = [0.0; 4];
        for q in 0..4 {
            out[q] = tail(tree(&acc[q]), &x[m..], &c[q][m..]);
        }
        out
    }
}

/// AVX2 kernel. Only used through [`dispatch!`], after the CPU was found to support AVX2.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Kernel for Avx2 {
    #[inline(always)]
    fn sqd(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len(), "sqd: lengths differ");
        // SAFETY: `Avx2` is only used by code `dispatch!` runs after detecting AVX2; the
        // lengths are equal (checked above).
        unsafe { avx2::sqd(a, b) }
    }

    #[inline(always)]
    fn sqd4(x: &[f64], c: [&[f64]; 4]) -> [f64; 4] {
        for cq in c {
            assert_eq!(cq.len(), x.len(), "sqd4: lengths differ");
        }
        // SAFETY: as in `sqd`.
        unsafe { avx2::sqd4(x, c) }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LANES, tail, tree};
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd,
        _mm256_storeu_pd, _mm256_sub_pd,
    };

    /// Lanes 0..4 and 4..8 of the accumulator of `x - c` over elements `i..i + 8`.
    #[inline(always)]
    unsafe fn step(lo: &mut __m256d, hi: &mut __m256d, x: *const f64, c: *const f64) {
        // SAFETY (caller): 8 elements readable at x and c, AVX2 available.
        unsafe {
            let t0 = _mm256_sub_pd(_mm256_loadu_pd(x), _mm256_loadu_pd(c));
            let t1 = _mm256_sub_pd(_mm256_loadu_pd(x.add(4)), _mm256_loadu_pd(c.add(4)));
            *lo = _mm256_add_pd(*lo, _mm256_mul_pd(t0, t0));
            *hi = _mm256_add_pd(*hi, _mm256_mul_pd(t1, t1));
        }
    }

    #[inline(always)]
    unsafe fn lanes(lo: __m256d, hi: __m256d) -> [f64; LANES] {
        let mut acc = [0.0; LANES];
        // SAFETY (caller): AVX2 available; `acc` has room for 8 values.
        unsafe {
            _mm256_storeu_pd(acc.as_mut_ptr(), lo);
            _mm256_storeu_pd(acc.as_mut_ptr().add(4), hi);
        }
        acc
    }

    /// # Safety
    /// AVX2 must be available and `a.len() == b.len()`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn sqd(a: &[f64], b: &[f64]) -> f64 {
        let d = a.len();
        let m = d - d % LANES;
        // SAFETY: AVX2 is enabled here; every load reads 8 elements below `m <= d`.
        unsafe {
            let (mut lo, mut hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let mut i = 0;
            while i < m {
                step(&mut lo, &mut hi, a.as_ptr().add(i), b.as_ptr().add(i));
                i += LANES;
            }
            tail(tree(&lanes(lo, hi)), &a[m..], &b[m..])
        }
    }

    /// # Safety
    /// AVX2 must be available and every `c[q].len() == x.len()`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn sqd4(x: &[f64], c: [&[f64]; 4]) -> [f64; 4] {
        let d = x.len();
        let m = d - d % LANES;
        // SAFETY: AVX2 is enabled here; every load reads 8 elements below `m <= d`.
        unsafe {
            let z = _mm256_setzero_pd();
            let mut acc = [(z, z); 4];
            let mut i = 0;
            while i < m {
                let xp = x.as_ptr().add(i);
                for q in 0..4 {
                    let (lo, hi) = &mut acc[q];
                    step(lo, hi, xp, c[q].as_ptr().add(i));
                }
                i += LANES;
            }
            let mut out = [0.0; 4];
            for q in 0..4 {
                out[q] = tail(tree(&lanes(acc[q].0, acc[q].1)), &x[m..], &c[q][m..]);
            }
            out
        }
    }
}

/// Define `$name` calling `$imp::<K>` for a [`Kernel`] `K`: [`Avx2`] (compiled with AVX2
/// enabled) when the running CPU has it, else [`Portable`]. Both give the same bits.
macro_rules! dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident = $imp:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                    $imp::<$crate::distance::Avx2>($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the running CPU supports AVX2 (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            $imp::<$crate::distance::Portable>($($arg),*)
        }
    };
}
pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
    }

    fn all_pairs<K: Kernel>(x: &[f64], cs: &[f64], d: usize) -> Vec<u64> {
        let mut out = vec![0.0; cs.len() / d];
        K::sqd_all(x, cs, d, &mut out);
        let single: Vec<f64> = cs.chunks_exact(d).map(|c| K::sqd(x, c)).collect();
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            single.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        out.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn kernels_agree_bit_for_bit_and_with_the_naive_sum() {
        let mut r = crate::rng::Rng::new(3);
        for d in [1usize, 3, 7, 8, 9, 16, 122, 123] {
            let x: Vec<f64> = (0..d).map(|_| r.normal() * 10.0).collect();
            let cs: Vec<f64> = (0..7 * d).map(|_| r.normal()).collect();
            let portable = all_pairs::<Portable>(&x, &cs, d);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(portable, all_pairs::<Avx2>(&x, &cs, d), "d={d}");
            }
            for (j, c) in cs.chunks_exact(d).enumerate() {
                let one = f64::from_bits(portable[j]);
                let want = naive(&x, c);
                assert!((one - want).abs() <= 1e-12 * want, "d={d}: {one} vs {want}");
            }
        }
    }
}
