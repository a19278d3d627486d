//! Java `Double.toString` formatting, as used by CICFlowMeter for every double column:
//! plain decimal with at least one fractional digit for 10⁻³ ≤ |x| < 10⁷, otherwise
//! `d.dddE±n` (no `+` sign), and `NaN` / `Infinity` / `-Infinity`. Digits are the shortest
//! that round-trip (Ryū; the JDK ≥ 19 algorithm gives the same; older JDKs occasionally print one more digit,
//! which is why validation compares numerically).
//!
//! Fast paths, in the order of how often they occur in flow CSVs: integral values in the
//! plain range print as `<integer>.0` without Ryū; other values in the plain range are
//! Ryū's own output unchanged (its layout for decimal exponents −3 … 6 is the same plain
//! `ddd.ddd` / `0.00ddd` as Java's); zero is `0.0`; only the `E` range and the non-finite
//! values take the general path.

/// Room [`write_java_double`] needs at the start of its buffer (the longest output is 25
/// bytes: `-`, 17 digits, `.`, `E-324`).
pub const JAVA_DOUBLE_ROOM: usize = 32;

/// Appends `x` formatted like Java's `Double.toString(x)` to `out`.
pub fn push_java_double(out: &mut String, x: f64) {
    let mut b = [0u8; JAVA_DOUBLE_ROOM];
    let n = write_java_double(x, &mut b);
    // Every byte written is ASCII.
    out.push_str(std::str::from_utf8(&b[..n]).unwrap_or_default());
}

/// Appends `x` formatted like Java's `Double.toString(x)` to a byte buffer.
pub fn push_java_double_bytes(out: &mut Vec<u8>, x: f64) {
    let mut b = [0u8; JAVA_DOUBLE_ROOM];
    let n = write_java_double(x, &mut b);
    out.extend_from_slice(&b[..n]);
}

/// Writes `Double.toString(x)` at the start of `b` and returns its length. Panics if `b`
/// is shorter than [`JAVA_DOUBLE_ROOM`].
#[inline]
pub fn write_java_double(x: f64, b: &mut [u8]) -> usize {
    let b = &mut b[..JAVA_DOUBLE_ROOM];
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let i = a as u32;
        if i as f64 == a {
            let mut n = 0;
            if x < 0.0 {
                b[0] = b'-';
                n = 1;
            }
            n += write_digits(i as u64, &mut b[n..]);
            b[n] = b'.';
            b[n + 1] = b'0';
            return n + 2;
        }
        let mut rb = ryu::Buffer::new();
        let s = rb.format_finite(x).as_bytes();
        b[..s.len()].copy_from_slice(s);
        return s.len();
    }
    if a == 0.0 {
        let s: &[u8] = if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        };
        b[..s.len()].copy_from_slice(s);
        return s.len();
    }
    let mut s = String::with_capacity(JAVA_DOUBLE_ROOM);
    push_java_double_general(&mut s, x);
    b[..s.len()].copy_from_slice(s.as_bytes());
    s.len()
}

/// Two-digit pairs `00` … `99`.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` at the start of `b` (in place, no temporary) and
/// returns their number (at most 20).
#[inline]
pub fn write_digits(v: u64, b: &mut [u8]) -> usize {
    let n = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let b = &mut b[..n];
    let mut v = v;
    let mut i = n;
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        b[i] = PAIRS[r];
        b[i + 1] = PAIRS[r + 1];
    }
    if v >= 10 {
        let r = v as usize * 2;
        b[0] = PAIRS[r];
        b[1] = PAIRS[r + 1];
    } else {
        b[0] = b'0' + v as u8;
    }
    n
}

/// The general case for every double: Ryū's digits re-laid out in Java's two layouts.
pub(crate) fn push_java_double_general(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let a = x.abs();
    // Fast path: integral values in the plain-decimal range print as `<int>.0`.
    if a < 1e7 && a.fract() == 0.0 {
        out.push_str(itoa::Buffer::new().format(x as i64));
        out.push_str(".0");
        return;
    }
    // Shortest round-trip digits (Ryū) and the decimal exponent of the first digit.
    let mut rb = ryu::Buffer::new();
    let text = rb.format_finite(a).as_bytes();
    let (mant, e10) = match text.iter().position(|c| *c == b'e') {
        Some(i) => (
            &text[..i],
            std::str::from_utf8(&text[i + 1..])
                .ok()
                .and_then(|e| e.parse::<i32>().ok())
                .unwrap_or(0),
        ),
        None => (text, 0),
    };
    let point = mant.iter().position(|c| *c == b'.').unwrap_or(mant.len()) as i32;
    let mut dbuf = [0u8; 40];
    let mut nd = 0;
    let mut lead = 0i32;
    for c in mant {
        if *c == b'.' {
            continue;
        }
        if nd == 0 && *c == b'0' {
            lead += 1;
            continue;
        }
        if nd < dbuf.len() {
            dbuf[nd] = *c;
            nd += 1;
        }
    }
    while nd > 1 && dbuf[nd - 1] == b'0' {
        nd -= 1;
    }
    if nd == 0 {
        dbuf[0] = b'0';
        nd = 1;
    }
    let exp = point - 1 - lead + e10;
    let digits = std::str::from_utf8(&dbuf[..nd]).unwrap_or("0");
    if x < 0.0 {
        out.push('-');
    }
    if (1e-3..1e7).contains(&a) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        let _ = write!(out, "{exp}");
    }
}

/// `Double.toString(x)` as a new string.
pub fn java_double(x: f64) -> String {
    let mut s = String::new();
    push_java_double(&mut s, x);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java_double_to_string() {
        // Expected strings are what `Double.toString` prints (Java Language Specification
        // rules; the same values occur in the reference CSVs of flows-reference).
        let cases: &[(f64, &str)] = &[
            (100.0, "100.0"),
            (0.075, "0.075"),
            (1.5e7, "1.5E7"),
            (1.5000000000000002e7, "1.5000000000000002E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.0009, "9.0E-4"),
            (44.721359549995796, "44.721359549995796"),
            (218582.22222222222, "218582.22222222222"),
            (-3.5, "-3.5"),
            (1.0e-10, "1.0E-10"),
            (123456789.0, "1.23456789E8"),
            (0.0, "0.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, s) in cases {
            assert_eq!(java_double(*x), *s, "{x:e}");
        }
    }

    #[test]
    fn matches_jdk17_on_csv_values_and_boundaries() {
        // (bits of x, `Double.toString(x)`): printed once by OpenJDK 17.0.15 with
        //   for (String l : Files.readAllLines(Paths.get("vals.txt"))) {
        //     double d = Double.longBitsToDouble(Long.parseUnsignedLong(l.trim(), 16));
        //     System.out.println(l.trim() + " " + Double.toString(d)); }
        // for 40 fractional and 8 `E` cells drawn from the big capture's CSV plus
        // hand-picked boundaries of the plain range (10⁻³, 10⁷), negatives, integers and
        // extremes. Java is not part of the build; the strings are recorded here.
        let cases: &[(u64, &str)] = &[
            (0x40570ccccccccccd, "92.2"),
            (0x411a631475f5d203, "432325.11519554275"),
            (0x404dc71c71c71c72, "59.55555555555556"),
            (0x409476aaaaaaaaaa, "1309.6666666666665"),
            (0x402a0c5cc39442df, "13.024145233009618"),
            (0x411ab7bb29e54bde, "437742.7909137587"),
            (0x4064b7480a2eab3b, "165.72754391779912"),
            (0x4042b9e34667fed3, "37.45224838331128"),
            (0x4114e7cf72d4ef44, "342515.86214040616"),
            (0x40ed82fb6db6db6d, "60439.85714285714"),
            (0x4022b3826c245dfb, "9.35060441917357"),
            (0x411a2af539e6825e, "428733.3065433855"),
            (0x40719d89d89d89d9, "281.84615384615387"),
            (0x40847a2222222222, "655.2666666666667"),
            (0x408c092492492492, "897.1428571428571"),
            (0x40fa3a1aaaaaaaaa, "107425.66666666666"),
            (0x40246f10e4ed9daf, "10.216925767904142"),
            (0x406bc2c45bfdebe5, "222.08646964639698"),
            (0x4093f21af286bca2, "1276.5263157894738"),
            (0x408677ffffffffff, "718.9999999999999"),
            (0x4019b20481856b2c, "6.4238453138048435"),
            (0x40fc9b9010cb50e3, "117177.00410014721"),
            (0x40f2b940d79435e4, "76692.05263157893"),
            (0x409d01d1745d1746, "1856.4545454545455"),
            (0x40c615f0ffe4707e, "11307.882809214523"),
            (0x4022bdb0eca916ff, "9.37049045147023"),
            (0x407af7955544cb5a, "431.4739582717208"),
            (0x411d7733bf53896d, "482764.9368421052"),
            (0x405edb6db6db6db7, "123.42857142857143"),
            (0x406364ec4ec4ec4e, "155.15384615384613"),
            (0x3fb1b7d51afc4af5, "0.06921131047083036"),
            (0x40d93b15de24357b, "25836.341683437564"),
            (0x4084c11bbabc6046, "664.1385397641068"),
            (0x4110b03808bfcccf, "273422.00854415906"),
            (0x40863f3cf3cf3cf4, "711.9047619047619"),
            (0x408ba95555555556, "885.1666666666667"),
            (0x411cbb1aad154435, "470726.6690264375"),
            (0x40382647ded9f0b0, "24.14953415699773"),
            (0x4110f0c80c68e251, "277554.0121188509"),
            (0x40d0a05555555555, "17025.333333333332"),
            (0x4189804a00000000, "5.3479744E7"),
            (0x4168fdb940000000, "1.3102538E7"),
            (0x4172dc3ff0000000, "1.9776511E7"),
            (0x419b10adfc000000, "1.13519487E8"),
            (0x4191b9dba8000000, "7.4348266E7"),
            (0x4185da3c18000000, "4.5827971E7"),
            (0x4172dc0d60000000, "1.9775702E7"),
            (0x419b93ede4000000, "1.15669881E8"),
            (0x3f50624dd2f1a9fc, "0.001"),
            (0x3f50624dd2f1a9fb, "9.999999999999998E-4"),
            (0x416312cfffffffff, "9999999.999999998"),
            (0x416312d000000000, "1.0E7"),
            (0x416312cfe0000000, "9999999.0"),
            (0xbf589374bc6a7efa, "-0.0015"),
            (0x4132d68720000000, "1234567.125"),
            (0x3fb999999999999a, "0.1"),
            (0x3fc999999999999a, "0.2"),
            (0x3fd3333333333333, "0.3"),
            (0x3fd3333333333334, "0.30000000000000004"),
            (0x3fd5555555555555, "0.3333333333333333"),
            (0x3fe5555555555555, "0.6666666666666666"),
            (0x402c924924924925, "14.285714285714286"),
            (0x3f60624dd2f1a9fc, "0.002"),
            (0x3f60624dd2f1a9fd, "0.0020000000000000005"),
            (0x3f50624dd2f1a9fc, "0.001"),
            (0x7fefffffffffffff, "1.7976931348623157E308"),
            (0xc0934a0000000000, "-1234.5"),
            (0xc16312cfe0000000, "-9999999.0"),
            (0x3ff0000000000000, "1.0"),
            (0x4028000000000000, "12.0"),
            (0x3f826e978d4fdf3b, "0.009"),
            (0x3f847ae147ae147b, "0.01"),
            (0x3fb95810624dd2f2, "0.099"),
            (0x412e848033333333, "1000000.1"),
            (0x40fe240c9fbe76c9, "123456.789"),
            (0x4011666666666666, "4.35"),
            (0x3f60624dd2f1a9fc, "0.002"),
            (0x3f0d153163a42a38, "5.547100995969108E-5"),
            (0x3fbf9add3746f65f, "0.12345678901234568"),
        ];
        for (bits, s) in cases {
            let x = f64::from_bits(*bits);
            assert_eq!(java_double(x), *s, "{x:e}");
            let mut v = Vec::new();
            push_java_double_bytes(&mut v, x);
            assert_eq!(v, s.as_bytes(), "{x:e}");
        }
    }

    #[test]
    fn known_differences_from_jdk17() {
        // JDK ≤ 18 sometimes prints a digit more than the shortest (JDK-4511638), and
        // Java keeps two significant digits where one would round-trip (`4.9E-324`); this
        // module prints Ryū's shortest digits. All of these are in the `E` range, far from
        // flow feature values. (bits, this module, JDK 17.0.15)
        let cases: &[(u64, &str, &str)] = &[
            (0x0000000000000001, "5.0E-324", "4.9E-324"),
            (0x44b52d02c7e14af6, "1.0E23", "9.999999999999999E22"),
            (0x447c7e83209e90b2, "8.41E21", "8.409999999999999E21"),
            (
                0x438f67ea69ed3795,
                "2.82879384806159E17",
                "2.82879384806159008E17",
            ),
            (
                0x45300c520a43f0af,
                "1.9400994884341945E25",
                "1.9400994884341944E25",
            ),
        ];
        for (bits, ours, jdk17) in cases {
            let x = f64::from_bits(*bits);
            assert_eq!(java_double(x), *ours);
            // Both parse back to x.
            assert_eq!(ours.parse::<f64>().unwrap(), x);
            assert_eq!(jdk17.parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn fast_paths_equal_the_general_layout() {
        // The integral and Ryū-verbatim fast paths against the general re-layout, on random
        // doubles concentrated around the plain range 10⁻³ ≤ |x| < 10⁷ and its edges, on
        // integers and on short decimals (k / 10^j).
        let mut z: u64 = 0x5eed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut w = z;
            w = (w ^ (w >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            w = (w ^ (w >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            w ^ (w >> 31)
        };
        let check = |x: f64| {
            let mut general = String::new();
            push_java_double_general(&mut general, x);
            let mut b = [0u8; JAVA_DOUBLE_ROOM];
            let n = write_java_double(x, &mut b);
            assert_eq!(&b[..n], general.as_bytes(), "{x:e}");
        };
        for _ in 0..200_000 {
            let w = next();
            // Exponents 2^-14 … 2^27 (about 6e-5 … 1.3e8), random mantissa and sign.
            let exp = 1023 - 14 + (w >> 58) % 42;
            let x = f64::from_bits((w & 0x800f_ffff_ffff_ffff) | (exp << 52));
            check(x);
            check(x.trunc());
            let k = (w >> 20) % 100_000_000;
            let j = (w >> 8) % 12;
            check(k as f64 / 10f64.powi(j as i32));
        }
        for x in [
            1e-3,
            -1e-3,
            f64::from_bits(1e-3f64.to_bits() - 1),
            1e7,
            f64::from_bits(1e7f64.to_bits() - 1),
            -9_999_999.0,
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0,
            -1.0,
            4_294_967_295.0,
        ] {
            check(x);
        }
    }

    #[test]
    fn digits_match_display() {
        let mut v = 1u64;
        let mut cases = vec![0, u64::MAX];
        while let Some(p) = v.checked_mul(10) {
            cases.extend([v - 1, v, v + 1, v * 3 + 7]);
            v = p;
        }
        for v in cases {
            let mut b = [0u8; 20];
            let n = write_digits(v, &mut b);
            assert_eq!(&b[..n], v.to_string().as_bytes());
        }
    }

    #[test]
    fn random_doubles_round_trip_in_java_layout() {
        // Every finite double prints in one of the two Java layouts and parses back to
        // itself (shortest digits are round-trip by construction).
        let mut z: u64 = 0x1234_5678;
        for _ in 0..20_000 {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut w = z;
            w = (w ^ (w >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            w = (w ^ (w >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            let x = f64::from_bits(w ^ (w >> 31));
            if !x.is_finite() {
                continue;
            }
            let s = java_double(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
            let a = x.abs();
            if x != 0.0 && !(1e-3..1e7).contains(&a) {
                assert!(s.contains('E') && s.contains('.'), "{s}");
            } else {
                assert!(!s.contains('E') && s.contains('.'), "{s}");
            }
        }
    }
}
