//! Number formatting shared by every exporter: metrics, durations, counts and sizes.
//! Pure functions of their input (no locale, no clock), so output is byte-stable.

/// A metric value with 4 decimals; `NaN`/infinite values print as `n/a`.
pub fn metric(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "n/a".to_string()
    }
}

/// `mean ± std` of a metric.
pub fn mean_std(mean: f64, std: Option<f64>) -> String {
    match std {
        Some(s) if s.is_finite() => format!("{} ± {}", metric(mean), metric(s)),
        _ => metric(mean),
    }
}

/// A duration in seconds, in the unit that keeps 3 significant digits readable.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        "n/a".to_string()
    } else if s == 0.0 {
        "0 s".to_string()
    } else if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 60.0 {
        format!("{s:.2} s")
    } else if s < 3600.0 {
        format!(
            "{} min {:02} s",
            (s / 60.0).floor() as u64,
            (s % 60.0).round() as u64 % 60
        )
    } else {
        let m = (s / 60.0).round() as u64;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// An integer with thousands separators: `82,332`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte size in binary units: `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A fraction as a percentage: one decimal (`12.5%`), two below 1% so a rare class does
/// not show as `0.0%` (`0.04%`).
pub fn percent(num: u64, den: u64) -> String {
    if den == 0 {
        return "n/a".to_string();
    }
    let p = num as f64 * 100.0 / den as f64;
    if p > 0.0 && p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A measured quantity in its own units (a cluster centre): integers of 1,000 and more
/// with separators, otherwise up to 3 decimals without trailing zeros; tiny values in
/// scientific notation.
pub fn quantity(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}{}", count(a.round() as u64));
    }
    if a > 0.0 && a < 1e-3 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A lower-case slug for anchors and file names: letters, digits and `-` only.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "x".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_stable() {
        assert_eq!(metric(0.912_345), "0.9123");
        assert_eq!(mean_std(0.5, Some(0.012_34)), "0.5000 ± 0.0123");
        assert_eq!(metric(f64::NAN), "n/a");
        assert_eq!(seconds(0.000_25), "250 µs");
        assert_eq!(seconds(0.0123), "12.3 ms");
        assert_eq!(seconds(3.456), "3.46 s");
        assert_eq!(seconds(125.0), "2 min 05 s");
        assert_eq!(seconds(7260.0), "2 h 01 min");
        assert_eq!(count(82_332), "82,332");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(999), "999");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(percent(1, 8), "12.5%");
        // NSL-KDD u2r: 52 of 125,973 training rows = 0.0413%.
        assert_eq!(percent(52, 125_973), "0.04%");
        assert_eq!(percent(0, 10), "0.0%");
        assert_eq!(quantity(1_234_567.4), "1,234,567");
        assert_eq!(quantity(-2500.0), "-2,500");
        assert_eq!(quantity(0.98765), "0.988");
        assert_eq!(quantity(12.5), "12.5");
        assert_eq!(quantity(-0.0001), "-1.0e-4");
        assert_eq!(quantity(-0.0), "0");
        assert_eq!(
            slug("Random Forest #3 (max_depth=20)"),
            "random-forest-3-max-depth-20"
        );
    }
}
