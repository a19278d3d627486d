//! Figures of a study (several datasets or repeats): the critical-difference diagram of
//! Demšar (2006) over mean ranks, and box plots of a metric over repeats per model. The
//! statistics themselves (ranks, critical difference) are computed elsewhere; these
//! builders only lay them out, so their geometry is unit-tested here.

use super::{BoxChart, BoxStats, CdDiagram, Chart, Figure};
use crate::fmt;

/// Groups of models whose mean ranks are not significantly different: maximal runs of the
/// models sorted by rank whose rank span is below `critical_difference` (Demšar 2006: two
/// models differ when their mean ranks differ by at least the CD). Each clique is a pair
/// of positions `(first, last)` in the rank-sorted order, `first < last`; single models
/// form none.
pub fn cliques(sorted_ranks: &[f64], critical_difference: f64) -> Vec<(usize, usize)> {
    let n = sorted_ranks.len();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for i in 0..n {
        let mut j = i;
        while j + 1 < n && sorted_ranks[j + 1] - sorted_ranks[i] < critical_difference {
            j += 1;
        }
        // A run is maximal unless the previous run already reaches its end.
        if j > i && out.last().is_none_or(|&(_, last)| last < j) {
            out.push((i, j));
        }
    }
    out
}

/// The q-th quantile (0..=1) of sorted values, numpy's default linear interpolation
/// (`numpy.percentile(..., method="linear")`): position `q (n - 1)` between neighbours.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Box statistics of one group (non-finite values dropped): quartiles, whiskers at the
/// most extreme values within 1.5 IQR of the box (Tukey, as matplotlib draws them), the
/// values beyond them as outliers.
pub fn box_stats(name: &str, values: &[f64]) -> BoxStats {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let (q1, median, q3) = (
        quantile_sorted(&v, 0.25),
        quantile_sorted(&v, 0.5),
        quantile_sorted(&v, 0.75),
    );
    let (lo_fence, hi_fence) = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1));
    let inside = v
        .iter()
        .copied()
        .filter(|&x| x >= lo_fence && x <= hi_fence);
    let whisker_lo = inside.clone().fold(f64::INFINITY, f64::min).min(q1);
    let whisker_hi = inside.fold(f64::NEG_INFINITY, f64::max).max(q3);
    BoxStats {
        name: name.to_string(),
        n: v.len(),
        q1,
        median,
        q3,
        whisker_lo,
        whisker_hi,
        outliers: v
            .iter()
            .copied()
            .filter(|&x| x < lo_fence || x > hi_fence)
            .collect(),
    }
}

/// A critical-difference diagram: mean rank axis 1..k (1 = best, on the left), the better
/// half of the models labelled on the left and the rest on the right with lines to their
/// ranks, thick bars joining the cliques not significantly different, and the CD interval
/// above the axis. `names` and `mean_ranks` are parallel; `n_blocks` is the number of
/// datasets (or dataset x repeat blocks) the ranks average over.
pub fn cd_diagram(
    names: &[String],
    mean_ranks: &[f64],
    critical_difference: f64,
    n_blocks: usize,
) -> Figure {
    let mut order: Vec<usize> = (0..names.len().min(mean_ranks.len())).collect();
    order.sort_by(|&a, &b| {
        mean_ranks[a]
            .total_cmp(&mean_ranks[b])
            .then(names[a].cmp(&names[b]))
    });
    let sorted: Vec<f64> = order.iter().map(|&i| mean_ranks[i]).collect();
    let cliques = cliques(&sorted, critical_difference);
    let k = names.len().max(2);
    let d = CdDiagram {
        names: order.iter().map(|&i| names[i].clone()).collect(),
        ranks: sorted,
        critical_difference,
        k,
        cliques,
    };
    let height = cd_height(&d);
    Figure::single(
        "cd-diagram".into(),
        "Critical-difference diagram".into(),
        format!(
            "Mean rank of each model over {} blocks (1 = best); models joined by a thick bar differ by less than the critical difference CD = {} and are not significantly different.",
            fmt::count(n_blocks as u64),
            super::chart::tick(critical_difference)
        ),
        Chart::Cd(d),
        (820, height),
    )
}

/// Panel height: the axis band, one row per clique, one label row per model on the
/// longer side.
pub fn cd_height(d: &CdDiagram) -> u32 {
    let side = d.names.len().div_ceil(2) as u32;
    let rows = super::study_draw::clique_rows(&d.cliques)
        .into_iter()
        .map(|r| r as u32 + 1)
        .max()
        .unwrap_or(0);
    super::study_draw::CD_TOP + 14 * rows + 24 * side + 30
}

/// Box plots of `metric` over repeats, one horizontal box per model in the given order.
pub fn box_plot(title: &str, metric: &str, groups: &[(String, Vec<f64>)]) -> Figure {
    let boxes: Vec<BoxStats> = groups.iter().map(|(n, v)| box_stats(n, v)).collect();
    let repeats = groups.iter().map(|g| g.1.len()).max().unwrap_or(0);
    let height = (110 + 44 * boxes.len() as u32).max(220);
    Figure::single(
        format!("box-{}", fmt::slug(metric)),
        title.to_string(),
        format!(
            "{metric} over up to {repeats} repeats per model: the box spans the quartiles (linear interpolation), the line inside it is the median, whiskers reach the most extreme values within 1.5 IQR of the box, dots are the values beyond."
        ),
        Chart::Boxes(BoxChart {
            value_label: metric.to_string(),
            boxes,
        }),
        (820, height),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cliques_are_maximal_runs_below_the_cd() {
        // Ranks 1.0 1.5 2.9 3.2 4.4 with CD 1.5: from 1.0 the run reaches 1.5 (2.9 - 1.0 =
        // 1.9 is too far); from 1.5 it reaches 2.9 (1.4) not 3.2 (1.7); from 2.9 it reaches
        // 3.2 but not 4.4 (a span of exactly the CD is significant); from 3.2 it reaches 4.4.
        let r = [1.0, 1.5, 2.9, 3.2, 4.4];
        assert_eq!(cliques(&r, 1.5), vec![(0, 1), (1, 2), (2, 3), (3, 4)]);
        // A run contained in the previous one is dropped: from 1.2 the run ends at 2.0,
        // which the run from 1.0 already reaches.
        assert_eq!(cliques(&[1.0, 1.2, 2.0, 5.0], 1.5), vec![(0, 2)]);
        // Everything within the CD: one clique; nothing within: none.
        assert_eq!(cliques(&[1.0, 2.0, 3.0], 2.5), vec![(0, 2)]);
        assert!(cliques(&[1.0, 2.0, 3.0], 0.5).is_empty());
    }

    #[test]
    fn quartiles_equal_numpy_linear_interpolation() {
        // Reference: numpy 2.x, `np.percentile(v, [25, 50, 75])` (default method
        // "linear"), run by hand:
        //   v = [0.71, 0.74, 0.69, 0.80, 0.73, 0.75]  -> [0.715, 0.735, 0.7475]
        //   v = [1, 2, 3, 4]                           -> [1.75, 2.5, 3.25]
        //   v = [5]                                    -> [5, 5, 5]
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        let mut v = vec![0.71, 0.74, 0.69, 0.80, 0.73, 0.75];
        v.sort_by(f64::total_cmp);
        let q: Vec<f64> = [0.25, 0.5, 0.75]
            .iter()
            .map(|&p| quantile_sorted(&v, p))
            .collect();
        assert!(close(q[0], 0.715) && close(q[1], 0.735) && close(q[2], 0.7475));
        let q: Vec<f64> = [0.25, 0.5, 0.75]
            .iter()
            .map(|&p| quantile_sorted(&[1.0, 2.0, 3.0, 4.0], p))
            .collect();
        assert!(close(q[0], 1.75) && close(q[1], 2.5) && close(q[2], 3.25));
        assert_eq!(quantile_sorted(&[5.0], 0.25), 5.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }

    #[test]
    fn whiskers_stop_at_the_last_value_within_one_and_a_half_iqr() {
        // Sorted [1, 2, 3, 4, 5, 6, 7, 8, 30]: q1 = 3, q3 = 7 (numpy linear), IQR 4,
        // fences -3 and 13: whiskers 1 and 8, outlier 30. NaN is dropped.
        let b = box_stats(
            "m",
            &[8.0, 2.0, 30.0, 1.0, 3.0, f64::NAN, 4.0, 5.0, 6.0, 7.0],
        );
        assert_eq!((b.n, b.q1, b.median, b.q3), (9, 3.0, 5.0, 7.0));
        assert_eq!((b.whisker_lo, b.whisker_hi), (1.0, 8.0));
        assert_eq!(b.outliers, vec![30.0]);
    }

    #[test]
    fn cd_diagram_sorts_models_by_rank() {
        let names: Vec<String> = ["c", "a", "b"].iter().map(|s| s.to_string()).collect();
        let f = cd_diagram(&names, &[2.8, 1.2, 2.0], 1.0, 4);
        let Chart::Cd(d) = &f.panels[0].chart else {
            panic!("not a CD diagram")
        };
        assert_eq!(d.names, ["a", "b", "c"]);
        assert_eq!(d.ranks, [1.2, 2.0, 2.8]);
        assert_eq!(d.cliques, vec![(0, 1), (1, 2)]);
        assert!(f.caption.contains("4 blocks") && f.caption.contains("CD = 1"));
    }
}
