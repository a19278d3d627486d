//! Java `Double.toString` formatting, as used by CICFlowMeter for every double column:
//! plain decimal with at least one fractional digit for 10⁻³ ≤ |x| < 10⁷, otherwise
//! `d.dddE±n` (no `+` sign), and `NaN` / `Infinity` / `-Infinity`. Digits are the shortest
//! that round-trip (Ryū; the JDK ≥ 19 algorithm gives the same; older JDKs occasionally print one more digit,
//! which is why validation compares numerically).

use std::fmt::Write;

/// Appends `x` formatted like Java's `Double.toString(x)` to `out`.
pub fn push_java_double(out: &mut String, x: f64) {
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
    use super::java_double;

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
