//! ROC and precision-recall curves and the areas under them, as scikit-learn computes them.
//!
//! Everything starts from one sort of the scores (descending) and the cumulative true and
//! false positive counts at each *distinct* score value (scikit-learn's
//! `_binary_clf_curve`), so ties are handled exactly as scikit-learn does: tied scores form
//! one threshold, and the ROC area is the trapezoidal rule over those thresholds (which
//! counts a tied positive/negative pair as one half).
//!
//! Undefined cases return `None` instead of NaN: a curve or an area needs both classes in
//! the truth, and every score must be a number (scikit-learn raises an error on NaN).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// One point of a ROC or precision-recall curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// False positive rate (ROC) or recall (PR).
    pub x: f64,
    /// True positive rate (ROC) or precision (PR).
    pub y: f64,
    /// Scores `>= threshold` are called positive at this point. `None` for the end
    /// points that scikit-learn adds (its threshold `inf` for ROC, and the `(recall 0,
    /// precision 1)` point of the PR curve).
    pub threshold: Option<f64>,
}

/// Cumulative counts at each distinct score, highest score first (scikit-learn's
/// `_binary_clf_curve`): `fps[i]`, `tps[i]` are the false/true positives when every score
/// `>= thresholds[i]` is called positive.
pub(crate) struct ClfCurve {
    pub fps: Vec<f64>,
    pub tps: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// `None` when a score is NaN or there are no rows.
pub(crate) fn binary_clf_curve(truth: &[bool], scores: &[f64]) -> Option<ClfCurve> {
    if truth.is_empty() || truth.len() != scores.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    // Descending by score; ties stay together (their internal order does not matter
    // because only the counts at the end of each tie group are kept).
    order.sort_unstable_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
    let mut fps = Vec::new();
    let mut tps = Vec::new();
    let mut thresholds = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        if truth[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_group = match order.get(k + 1) {
            None => true,
            Some(&j) => scores[j as usize] != scores[i],
        };
        if last_of_group {
            fps.push(fp as f64);
            tps.push(tp as f64);
            thresholds.push(scores[i]);
        }
    }
    Some(ClfCurve {
        fps,
        tps,
        thresholds,
    })
}

fn both_classes(c: &ClfCurve) -> bool {
    let (Some(&tp), Some(&fp)) = (c.tps.last(), c.fps.last()) else {
        return false;
    };
    tp > 0.0 && fp > 0.0
}

/// ROC curve with scikit-learn's `roc_curve(y_true, y_score, drop_intermediate=True)`
/// semantics: collinear intermediate points are dropped and a first point `(0, 0)` with
/// threshold `None` (scikit-learn's `inf`) is added. `None` unless both classes are present.
pub fn roc_curve(truth: &[bool], scores: &[f64]) -> Option<Vec<CurvePoint>> {
    let c = binary_clf_curve(truth, scores)?;
    if !both_classes(&c) {
        return None;
    }
    let n = c.fps.len();
    // Keep the first and last points and every point where the second difference of fps
    // or tps is non-zero (a change of slope).
    let keep: Vec<usize> = if n > 2 {
        (0..n)
            .filter(|&i| {
                i == 0
                    || i == n - 1
                    || (c.fps[i - 1] - 2.0 * c.fps[i] + c.fps[i + 1]) != 0.0
                    || (c.tps[i - 1] - 2.0 * c.tps[i] + c.tps[i + 1]) != 0.0
            })
            .collect()
    } else {
        (0..n).collect()
    };
    let (fp_all, tp_all) = (c.fps[n - 1], c.tps[n - 1]);
    let mut pts = Vec::with_capacity(keep.len() + 1);
    pts.push(CurvePoint {
        x: 0.0,
        y: 0.0,
        threshold: None,
    });
    for i in keep {
        pts.push(CurvePoint {
            x: c.fps[i] / fp_all,
            y: c.tps[i] / tp_all,
            threshold: Some(c.thresholds[i]),
        });
    }
    Some(pts)
}

/// Area under a curve by the trapezoidal rule (scikit-learn's `auc` on an increasing x).
fn trapezoid(points: &[CurvePoint]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].x - w[0].x) * (w[1].y + w[0].y) / 2.0)
        .sum()
}

/// Binary ROC-AUC, scikit-learn's `roc_auc_score(y_true, y_score)`: the trapezoidal area
/// under [`roc_curve`]. `None` when only one class is present (scikit-learn raises).
pub fn roc_auc(truth: &[bool], scores: &[f64]) -> Option<f64> {
    roc_curve(truth, scores).map(|pts| trapezoid(&pts))
}

/// Precision-recall curve, scikit-learn's `precision_recall_curve(y_true, y_score)`
/// (`drop_intermediate=False`), returned in scikit-learn's order: from the lowest threshold
/// (recall 1) to the highest, then the end point `(recall 0, precision 1)` with threshold
/// `None`. `x` is recall, `y` precision. `None` unless both classes are present.
pub fn precision_recall_curve(truth: &[bool], scores: &[f64]) -> Option<Vec<CurvePoint>> {
    let c = binary_clf_curve(truth, scores)?;
    if !both_classes(&c) {
        return None;
    }
    let tp_all = *c.tps.last()?;
    let mut pts: Vec<CurvePoint> = (0..c.tps.len())
        .rev()
        .map(|i| {
            let predicted = c.tps[i] + c.fps[i];
            CurvePoint {
                x: c.tps[i] / tp_all,
                y: if predicted > 0.0 {
                    c.tps[i] / predicted
                } else {
                    0.0
                },
                threshold: Some(c.thresholds[i]),
            }
        })
        .collect();
    pts.push(CurvePoint {
        x: 0.0,
        y: 1.0,
        threshold: None,
    });
    Some(pts)
}

/// Average precision, scikit-learn's `average_precision_score(y_true, y_score)`:
/// `sum_n (R_n - R_{n-1}) P_n` over the thresholds (no interpolation). This is the PR-AUC
/// reported everywhere in anomalab. `None` unless both classes are present.
pub fn average_precision(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let pts = precision_recall_curve(truth, scores)?;
    // scikit-learn: -sum(diff(recall) * precision[:-1]).
    Some(
        -pts.windows(2)
            .map(|w| (w[1].x - w[0].x) * w[0].y)
            .sum::<f64>(),
    )
}

/// Per-class one-vs-rest values of `f` (class `k` positive, all others negative, scores
/// from column `k`); `None` for classes where `f` is undefined (absent from the truth, or
/// every row of that class).
pub fn ovr_per_class(
    y_true: &[u32],
    scores: ArrayView2<'_, f64>,
    f: fn(&[bool], &[f64]) -> Option<f64>,
) -> Vec<Option<f64>> {
    if scores.nrows() != y_true.len() {
        return vec![None; scores.ncols()];
    }
    (0..scores.ncols())
        .map(|k| {
            let truth: Vec<bool> = y_true.iter().map(|&y| y as usize == k).collect();
            let col: Vec<f64> = scores.column(k).to_vec();
            f(&truth, &col)
        })
        .collect()
}

pub(crate) fn mean_defined(v: &[Option<f64>]) -> Option<f64> {
    let d: Vec<f64> = v.iter().flatten().copied().collect();
    if d.is_empty() {
        None
    } else {
        Some(d.iter().sum::<f64>() / d.len() as f64)
    }
}

/// Multiclass one-vs-rest macro ROC-AUC: the unweighted mean of the per-class binary
/// ROC-AUCs, which is what scikit-learn's
/// `roc_auc_score(y, proba, multi_class="ovr", average="macro")` computes.
///
/// Two documented differences, both where scikit-learn raises an error instead:
/// a class absent from `y_true` is left out of the mean (scikit-learn: "Only one class
/// present in y_true"), and the scores need not sum to one per row (so decision values
/// of a linear SVM are accepted; the per-class AUCs only depend on the order within each
/// column). `None` when no class has a defined AUC.
pub fn roc_auc_ovr_macro(y_true: &[u32], scores: ArrayView2<'_, f64>) -> Option<f64> {
    mean_defined(&ovr_per_class(y_true, scores, roc_auc))
}

/// Multiclass macro average precision: the mean over classes of the one-vs-rest
/// [`average_precision`], as scikit-learn's
/// `average_precision_score(label_binarize(y, classes=range(n)), proba, average="macro")`,
/// except that classes absent from `y_true` are left out (scikit-learn gives them a
/// meaningless value with a warning). `None` when no class has a defined value.
pub fn average_precision_ovr_macro(y_true: &[u32], scores: ArrayView2<'_, f64>) -> Option<f64> {
    mean_defined(&ovr_per_class(y_true, scores, average_precision))
}

/// Thin a curve for plotting while keeping its shape.
///
/// Walks the points in order and keeps a point when it is at least `eps` away from the last
/// kept point in `x` or in `y` (so every dropped point lies within `eps` of the kept point
/// before it, in both coordinates); the first and last points are always kept. `eps` starts
/// at `1 / max_points` and doubles until at most `max_points` points remain (for a monotone
/// curve such as ROC one pass keeps at most about `2 * max_points` points, so this takes one
/// or two passes). Curves with at most `max_points` points are returned unchanged.
pub fn downsample_curve(points: &[CurvePoint], max_points: usize) -> Vec<CurvePoint> {
    let max_points = max_points.max(2);
    if points.len() <= max_points {
        return points.to_vec();
    }
    let mut eps = 1.0 / max_points as f64;
    loop {
        let mut out = Vec::with_capacity(max_points);
        out.push(points[0]);
        let last = points.len() - 1;
        for p in &points[1..last] {
            let prev = out[out.len() - 1];
            if (p.x - prev.x).abs() >= eps || (p.y - prev.y).abs() >= eps {
                out.push(*p);
            }
        }
        out.push(points[last]);
        if out.len() <= max_points || eps > 2.0 {
            return out;
        }
        eps *= 2.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_of_hand_example_with_ties() {
        // Hand computation: positives at scores 0.8, 0.5(tied with a negative), negatives
        // at 0.5, 0.1. Pairs (pos, neg): (0.8,0.5)=1, (0.8,0.1)=1, (0.5,0.5)=1/2,
        // (0.5,0.1)=1 -> AUC = 3.5 / 4 = 0.875.
        let truth = [true, true, false, false];
        let s = [0.8, 0.5, 0.5, 0.1];
        assert!((roc_auc(&truth, &s).unwrap() - 0.875).abs() < 1e-12);
        // AP: thresholds 0.8 (P=1, R=0.5), 0.5 (P=2/3, R=1) -> 0.5*1 + 0.5*2/3.
        let ap = average_precision(&truth, &s).unwrap();
        assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn one_class_is_undefined_not_nan() {
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        assert_eq!(average_precision(&[false, false], &[0.1, 0.2]), None);
        assert_eq!(roc_auc(&[true, false], &[f64::NAN, 0.2]), None);
    }

    #[test]
    fn downsample_keeps_ends_and_bounds_size() {
        let pts: Vec<CurvePoint> = (0..=10_000)
            .map(|i| {
                let x = i as f64 / 10_000.0;
                CurvePoint {
                    x,
                    y: x.sqrt(),
                    threshold: Some(1.0 - x),
                }
            })
            .collect();
        let d = downsample_curve(&pts, 200);
        assert!(d.len() <= 200 && d.len() > 50, "{}", d.len());
        assert_eq!(d[0], pts[0]);
        assert_eq!(d[d.len() - 1], pts[pts.len() - 1]);
        // The thinned polyline stays close to the curve: the area barely changes.
        let a0 = trapezoid(&pts);
        let a1 = trapezoid(&d);
        assert!((a0 - a1).abs() < 1e-3, "{a0} {a1}");
    }
}
