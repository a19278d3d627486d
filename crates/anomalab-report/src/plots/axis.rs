//! Axis and label helpers shared by the chart kinds ([`super::chart`] and the study charts
//! in [`super::study_draw`]): text styles, data ranges, tick labels, label widths.

use plotters::prelude::*;

use super::FONT_FAMILY;

/// A chart with a value axis across and one row per item (bars, box plots).
pub(crate) type RowsCtx<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>,
    >,
>;

/// The label of a row of a [`RowsCtx`] chart: the first item is drawn on top, so row `k`
/// from the bottom shows item `n - 1 - k`.
pub(crate) fn row_label(labels: &[String], v: &SegmentValue<usize>) -> String {
    match v {
        SegmentValue::CenterOf(k) => (labels.len().max(1) - 1)
            .checked_sub(*k)
            .and_then(|i| labels.get(i))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The plots' text style at `size` pixels.
pub(crate) fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&BLACK)
}

/// Data range with a 5% margin; a degenerate range is widened to a unit interval.
pub fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// A short tick label: at most 4 significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    let s = if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The label formatter of a numeric axis over `[lo, hi]` drawn with at most `n` labels.
/// Plotters never steps by less than `(hi - lo) / n`, so printing every label to the
/// decimal of that step keeps neighbouring labels apart (`1.45e7` next to `1.4e7`, never
/// `1.4e7` twice); the same exponent rule as [`tick`] applies to the whole axis.
pub fn tick_labels(lo: f64, hi: f64, n: usize) -> impl Fn(f64) -> String {
    let step = (hi - lo).abs() / n.max(1) as f64;
    let scale = lo.abs().max(hi.abs());
    move |v| tick_step(v, step, scale)
}

/// `v` printed to the decimal of `step`, in scientific notation when the axis `scale`
/// (its largest magnitude) is outside `[1e-3, 1e5)`; trailing zeros dropped.
pub fn tick_step(v: f64, step: f64, scale: f64) -> String {
    if !(step.is_finite() && step > 0.0 && v.is_finite()) {
        return tick(v);
    }
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let unit = step.log10().floor() as i32;
    let trim = |s: String| -> String {
        let (mantissa, exp) = s
            .split_once('e')
            .map_or((s.as_str(), None), |(m, e)| (m, Some(e)));
        let m = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        exp.map_or_else(|| m.to_string(), |e| format!("{m}e{e}"))
    };
    if !(1e-3..1e5).contains(&scale) {
        let exp = v.abs().log10().floor() as i32;
        let digits = (exp - unit).clamp(0, 12) as usize;
        trim(format!("{v:.digits$e}"))
    } else {
        let digits = (-unit).clamp(0, 12) as usize;
        trim(format!("{v:.digits$}"))
    }
}

/// Width in pixels reserved for category labels (about 7 px per character, DejaVu 12 px).
pub(crate) fn label_width(labels: impl Iterator<Item = usize>) -> u32 {
    let chars = labels.max().unwrap_or(4).min(48) as u32;
    (chars * 7 + 16).max(40)
}
