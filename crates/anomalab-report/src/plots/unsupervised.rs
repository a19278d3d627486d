//! Plots of the unsupervised diagnostics ([`crate::model::Diagnostics`], first fold) and of
//! the run's 2-D PCA projection: elbow and silhouette vs k, GMM BIC/AIC, DBSCAN k-distance,
//! anomaly-score histograms with the threshold, SOM U-matrix, loss curves, PCA scatter
//! coloured by true class and by cluster.

use super::{
    Chart, Figure, Heatmap, LegendAt, LineChart, Marker, Panel, PointMark, Scatter, Series,
};
use crate::fmt;
use crate::model::{Diagnostics, KDistance, RunResults, ScoreHistogram, TrialResult};

fn line(name: &str, points: Vec<(f64, f64)>, color: usize, dots: bool) -> Series {
    Series {
        name: name.to_string(),
        points,
        color,
        dashed: false,
        dots,
    }
}

fn lines(x: &str, y: &str, series: Vec<Series>) -> LineChart {
    LineChart {
        x_label: x.into(),
        y_label: y.into(),
        series,
        markers: vec![],
        points: vec![],
        x_range: None,
        y_range: None,
        legend: LegendAt::UpperRight,
        x_log10: false,
    }
}

/// Elbow (inertia vs k) and silhouette vs k panels, chosen k marked.
pub fn elbow_panels(d: &Diagnostics) -> Vec<Panel> {
    let Some(e) = &d.elbow else { return vec![] };
    let mut out = Vec::new();
    let pts: Vec<(f64, f64)> =
        e.k.iter()
            .zip(&e.inertia)
            .map(|(&k, &v)| (k as f64, v))
            .collect();
    let mut c = lines(
        "k (clusters)",
        "inertia",
        vec![line("", pts.clone(), 0, true)],
    );
    c.markers.push(Marker {
        label: format!("chosen k = {}", e.chosen_k),
        vertical: true,
        value: e.chosen_k as f64,
    });
    out.push(Panel {
        title: "elbow: inertia vs k".into(),
        chart: Chart::Lines(c),
    });
    let sil: Vec<(f64, f64)> =
        e.k.iter()
            .zip(&e.silhouette)
            .filter_map(|(&k, s)| s.map(|s| (k as f64, s)))
            .collect();
    if !sil.is_empty() {
        let mut c = lines("k (clusters)", "silhouette", vec![line("", sil, 2, true)]);
        c.markers.push(Marker {
            label: format!("chosen k = {}", e.chosen_k),
            vertical: true,
            value: e.chosen_k as f64,
        });
        out.push(Panel {
            title: "silhouette vs k".into(),
            chart: Chart::Lines(c),
        });
    }
    out
}

/// GMM information criteria vs number of components.
pub fn information_criteria_panel(d: &Diagnostics) -> Option<Panel> {
    let ic = d.information_criteria.as_ref()?;
    let x = |v: &[f64]| -> Vec<(f64, f64)> {
        ic.n_components
            .iter()
            .zip(v)
            .map(|(&k, &y)| (k as f64, y))
            .collect()
    };
    let mut c = lines(
        "components",
        "criterion (lower is better)",
        vec![
            line("BIC", x(&ic.bic), 0, true),
            line("AIC", x(&ic.aic), 1, true),
        ],
    );
    c.markers.push(Marker {
        label: format!("chosen = {}", ic.chosen),
        vertical: true,
        value: ic.chosen as f64,
    });
    Some(Panel {
        title: "GMM: BIC and AIC".into(),
        chart: Chart::Lines(c),
    })
}

/// The k-distance curve as (position among the clustered rows, distance), ascending.
/// Older results store it descending without positions: it is sorted and spread evenly
/// over the clustered rows.
pub fn k_distance_points(k: &KDistance) -> Vec<(f64, f64)> {
    if k.positions.len() == k.distances.len() && !k.positions.is_empty() {
        let mut pts: Vec<(f64, f64)> = k
            .positions
            .iter()
            .copied()
            .zip(k.distances.iter().copied())
            .collect();
        pts.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
        return pts;
    }
    let mut d = k.distances.clone();
    d.sort_by(f64::total_cmp);
    let n = d.len();
    let scale = if n > 1 {
        (k.sampled_rows.max(n) - 1) as f64 / (n - 1) as f64
    } else {
        0.0
    };
    d.into_iter()
        .enumerate()
        .map(|(i, v)| (1.0 + i as f64 * scale, v))
        .collect()
}

/// Upper end of the k-distance y axis: the whole curve, unless a few points tower over
/// it (maximum above 3 x the 98th percentile), then the 98th percentile with room for
/// eps; returns the limit and how many plotted points lie above it.
pub fn k_distance_clip(pts: &[(f64, f64)], eps: f64) -> Option<(f64, usize)> {
    let mut d: Vec<f64> = pts.iter().map(|p| p.1).filter(|v| v.is_finite()).collect();
    d.sort_by(f64::total_cmp);
    let (&max, n) = (d.last()?, d.len());
    let q = d[((n - 1) as f64 * 0.98).round() as usize];
    if max <= 3.0 * q {
        return None;
    }
    let limit = q.max(eps) * 1.25;
    Some((limit, d.iter().filter(|&&v| v > limit).count()))
}

/// DBSCAN k-distance curve, ascending over the clustered rows, with eps (horizontal
/// line) and the knee; a few towering points are clipped so the knee stays visible.
pub fn k_distance_panel(d: &Diagnostics) -> Option<Panel> {
    let k = d.k_distance.as_ref()?;
    let mut pts = k_distance_points(k);
    let clip = k_distance_clip(&pts, k.eps);
    let mut y_label = format!("distance to neighbour {}", k.k);
    if let Some((limit, above)) = clip {
        for p in &mut pts {
            p.1 = p.1.min(limit);
        }
        y_label = format!(
            "{y_label} (clipped at {}: {above} plotted points above)",
            super::chart::tick(limit)
        );
    }
    let knee = pts.iter().find(|p| p.1 >= k.eps).copied();
    let mut c = lines(
        &format!(
            "rows sorted by that distance (DBSCAN ran on {} of {} rows)",
            fmt::count(k.sampled_rows as u64),
            fmt::count(k.total_rows as u64)
        ),
        &y_label,
        vec![line("", pts.clone(), 0, false)],
    );
    c.legend = LegendAt::UpperLeft;
    c.x_range = Some((0.0, k.sampled_rows.max(1) as f64 * 1.02));
    c.y_range = Some((0.0, pts.iter().map(|p| p.1).fold(k.eps, f64::max) * 1.08));
    // The knee sits on the eps line, often at its right end: one label for both.
    let eps = format!("eps = {}", super::chart::tick(k.eps));
    let knee = knee.filter(|_| k.knee_index.is_some());
    c.markers.push(Marker {
        label: if knee.is_some() {
            String::new()
        } else {
            eps.clone()
        },
        vertical: false,
        value: k.eps,
    });
    if let Some((x, _)) = knee {
        c.points.push(PointMark {
            label: format!("knee: {eps}"),
            x,
            y: k.eps,
        });
    }
    Some(Panel {
        title: format!("DBSCAN: {}-distance curve", k.k),
        chart: Chart::Lines(c),
    })
}

/// Step series of a score histogram, each class normalised to a fraction of its rows.
pub fn histogram_series(h: &ScoreHistogram) -> Vec<Series> {
    h.counts
        .iter()
        .enumerate()
        .map(|(ci, (class, counts))| {
            let total: u64 = counts.iter().sum();
            let mut pts = Vec::with_capacity(counts.len() * 2 + 2);
            if let Some(&e0) = h.edges.first() {
                pts.push((e0, 0.0));
            }
            for (i, &c) in counts.iter().enumerate() {
                let (Some(&a), Some(&b)) = (h.edges.get(i), h.edges.get(i + 1)) else {
                    break;
                };
                let y = if total == 0 {
                    0.0
                } else {
                    c as f64 / total as f64
                };
                pts.push((a, y));
                pts.push((b, y));
            }
            if let Some(&last) = h.edges.get(counts.len()) {
                pts.push((last, 0.0));
            }
            line(
                &format!("{class} ({} rows)", fmt::count(total)),
                pts,
                ci,
                false,
            )
        })
        .collect()
}

/// Where to cut the score axis of a long-tailed histogram: the start of an overflow bin,
/// else the first bin edge by which every class has 99.5 % of its rows when that is under
/// half the range; with the number of rows beyond it.
pub fn histogram_cut(h: &ScoreHistogram) -> Option<(f64, u64)> {
    let (&e0, &last) = (h.edges.first()?, h.edges.last()?);
    // A last bin far wider than the first is the producer's overflow bin for a long
    // tail: the axis stops where it starts.
    let n = h.edges.len();
    if n >= 3 && h.edges[n - 1] - h.edges[n - 2] > 3.0 * (h.edges[1] - e0) {
        let beyond = h.counts.iter().filter_map(|(_, c)| c.get(n - 2)).sum();
        return Some((h.edges[n - 2], beyond));
    }
    let mut cut_bin = 0usize;
    for (_, counts) in &h.counts {
        let total: u64 = counts.iter().sum();
        let mut cum = 0u64;
        for (i, &n) in counts.iter().enumerate() {
            cum += n;
            if cum as f64 >= 0.995 * total as f64 {
                cut_bin = cut_bin.max(i + 1);
                break;
            }
        }
    }
    let x = *h.edges.get(cut_bin)?;
    if x - e0 >= 0.5 * (last - e0) {
        return None;
    }
    let beyond = h
        .counts
        .iter()
        .map(|(_, c)| c.iter().skip(cut_bin).sum::<u64>())
        .sum();
    Some((x, beyond))
}

/// A log-binned histogram with its edges as log10 values, so it draws (and is cut and
/// placed) like a linear one on a log10 axis.
fn in_log_space(h: &ScoreHistogram) -> ScoreHistogram {
    ScoreHistogram {
        edges: h.edges.iter().map(|e| e.log10()).collect(),
        log_bins: true,
        counts: h.counts.clone(),
    }
}

/// Anomaly-score histogram per class with the threshold line.
pub fn histogram_panel(d: &Diagnostics) -> Option<Panel> {
    let raw = d.score_histogram.as_ref()?;
    let log = raw.log_bins;
    let h = &if log { in_log_space(raw) } else { raw.clone() };
    let at = |v: f64| if log { v.log10() } else { v };
    let cut = histogram_cut(h);
    let x_label = match cut {
        Some((x, beyond)) => format!(
            "anomaly score (axis cut at {}: {} rows beyond)",
            super::chart::tick(if log { 10f64.powf(x) } else { x }),
            fmt::count(beyond)
        ),
        None => "anomaly score".to_string(),
    };
    let x_label = if log {
        x_label.replacen("anomaly score", "anomaly score (log scale)", 1)
    } else {
        x_label
    };
    let mut c = lines(
        &x_label,
        "fraction of the class's rows",
        histogram_series(h),
    );
    if let (Some((x, _)), Some(&e0)) = (cut, h.edges.first()) {
        c.x_range = Some((e0 - (x - e0) * 0.02, x));
        // Plotters does not clip a line to the axes.
        for s in &mut c.series {
            s.points.retain(|p| p.0 <= x);
        }
    }
    // The legend goes to the upper corner over the lower peaks (it hides what is under
    // it); on a tie, away from the threshold so its label stays readable.
    let (lo, hi) = c.x_range.unwrap_or_else(|| {
        (
            h.edges.first().copied().unwrap_or(0.0),
            h.edges.last().copied().unwrap_or(1.0),
        )
    });
    let peak = |a: f64, b: f64| {
        c.series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0 >= a && p.0 <= b)
            .fold(0.0, |m: f64, p| m.max(p.1))
    };
    let quarter = (hi - lo) / 4.0;
    let (left, right) = (peak(lo, lo + quarter), peak(hi - quarter, hi));
    let t_left = d
        .threshold
        .as_ref()
        .is_some_and(|t| at(t.value) < (lo + hi) / 2.0);
    c.legend = if left > right || (left == right && t_left) {
        LegendAt::UpperRight
    } else {
        LegendAt::UpperLeft
    };
    c.y_range = Some((
        0.0,
        c.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max)
            .max(1e-9)
            * 1.1,
    ));
    if let Some(t) = &d.threshold {
        c.markers.push(Marker {
            label: format!("threshold = {} ({})", super::chart::tick(t.value), t.method),
            vertical: true,
            value: at(t.value),
        });
    }
    c.x_log10 = log;
    Some(Panel {
        title: "anomaly scores by class".into(),
        chart: Chart::Lines(c),
    })
}

/// SOM U-matrix heatmap (no annotations).
pub fn u_matrix_panel(d: &Diagnostics) -> Option<Panel> {
    let u = d.u_matrix.as_ref()?;
    if u.rows == 0 || u.cols == 0 || u.values.len() != u.rows * u.cols {
        return None;
    }
    let values: Vec<Vec<f64>> = u.values.chunks(u.cols).map(<[f64]>::to_vec).collect();
    Some(Panel {
        title: format!("SOM U-matrix ({} x {})", u.rows, u.cols),
        chart: Chart::Heatmap(Heatmap {
            x_label: "column".into(),
            y_label: "row".into(),
            row_labels: (0..u.rows).map(|i| i.to_string()).collect(),
            col_labels: (0..u.cols).map(|i| i.to_string()).collect(),
            values,
            annotations: None,
        }),
    })
}

/// Training (and validation) loss per epoch.
pub fn loss_panel(d: &Diagnostics) -> Option<Panel> {
    let l = d.loss_curve.as_ref()?;
    let pts = |v: &[f64]| {
        v.iter()
            .enumerate()
            .map(|(i, &y)| ((i + 1) as f64, y))
            .collect()
    };
    let mut s = vec![line("train", pts(&l.train), 0, false)];
    if !l.validation.is_empty() {
        s.push(line("validation", pts(&l.validation), 1, false));
    }
    Some(Panel {
        title: "loss per epoch".into(),
        chart: Chart::Lines(lines("epoch", "loss", s)),
    })
}

/// An axis range (low, high).
pub type Range = (f64, f64);

/// Axis ranges for a scatter whose few far points would squash the rest into a corner:
/// when the points span more than 3 x their 0.5-99.5 % quantile range on an axis (2-98 %
/// when the tails are heavy), that axis shows the quantile range with a 10 % margin. Returns the ranges and how many
/// points fall outside them.
pub fn robust_ranges(points: &[(f64, f64)]) -> (Option<Range>, Option<Range>, usize) {
    let axis = |get: fn(&(f64, f64)) -> f64| -> Option<Range> {
        let mut v: Vec<f64> = points.iter().map(get).filter(|v| v.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        let (lo, hi) = (q(0.005), q(0.995));
        // Heavy tails (flow byte counts): when the central 90 % fills less than a quarter
        // of that range, the 2-98 % range is shown (normal data: 64 %, never cut this far).
        let (lo, hi) = if q(0.95) - q(0.05) < 0.25 * (hi - lo) {
            (q(0.02), q(0.98))
        } else {
            (lo, hi)
        };
        let (min, max) = (*v.first()?, *v.last()?);
        let w = hi - lo;
        (w > 0.0 && max - min > 3.0 * w).then_some((lo - 0.1 * w, hi + 0.1 * w))
    };
    let (xr, yr) = (axis(|p| p.0), axis(|p| p.1));
    let within = |v: f64, r: Option<(f64, f64)>| r.is_none_or(|(a, b)| (a..=b).contains(&v));
    let outside = points
        .iter()
        .filter(|p| !(within(p.0, xr) && within(p.1, yr)))
        .count();
    (xr, yr, outside)
}

/// A scatter of `groups` on the PCA axes, its ranges robust to a few far points (their
/// count said in the x label).
fn pca_scatter(results: &RunResults, groups: Vec<(String, Vec<(f64, f64)>)>) -> Scatter {
    let (mut x_label, y_label) = pca_axes(results);
    let all: Vec<(f64, f64)> = groups.iter().flat_map(|g| g.1.iter().copied()).collect();
    let (x_range, y_range, outside) = robust_ranges(&all);
    if outside > 0 {
        x_label = format!("{x_label}; {outside} outlying points beyond the axes");
    }
    Scatter {
        x_label,
        y_label,
        groups,
        x_range,
        y_range,
    }
}

fn pca_axes(results: &RunResults) -> (String, String) {
    let ev = results
        .projection
        .as_ref()
        .map(|p| p.explained_variance_ratio)
        .unwrap_or([0.0; 2]);
    (
        format!("PC1 ({:.1}% of variance)", ev[0] * 100.0),
        format!("PC2 ({:.1}% of variance)", ev[1] * 100.0),
    )
}

/// The projection points grouped by true class (class order of the dataset).
pub fn projection_by_class(results: &RunResults) -> Option<Scatter> {
    let p = results.projection.as_ref()?;
    let names = &results.dataset.class_names;
    let n = names
        .len()
        .max(p.points.iter().map(|q| q.2 as usize + 1).max().unwrap_or(0));
    let mut groups: Vec<(String, Vec<(f64, f64)>)> = (0..n)
        .map(|i| {
            (
                names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("class {i}")),
                vec![],
            )
        })
        .collect();
    for &(x, y, c) in &p.points {
        groups[c as usize].1.push((x, y));
    }
    groups.retain(|g| !g.1.is_empty());
    Some(pca_scatter(results, groups))
}

/// Clusters shown with a colour of their own in the cluster scatter; the rest share one
/// (the palette has 12 colours and a legend of hundreds of entries is unreadable).
pub const SCATTER_CLUSTERS: usize = 10;

/// The projection points grouped by the trial's cluster: the [`SCATTER_CLUSTERS`] with
/// the most points in cluster order, then `other clusters` together, `noise` last.
pub fn projection_by_cluster(results: &RunResults, d: &Diagnostics) -> Option<Scatter> {
    let p = results.projection.as_ref()?;
    let clusters = d.projection_clusters.as_ref()?;
    let k = clusters.iter().flatten().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    clusters.iter().flatten().for_each(|&c| sizes[c] += 1);
    let mut by_size: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    by_size.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let shown: std::collections::BTreeSet<usize> =
        by_size.iter().take(SCATTER_CLUSTERS).copied().collect();
    let others = by_size.len() - shown.len();
    let mut groups: Vec<(String, Vec<(f64, f64)>)> = shown
        .iter()
        .map(|i| (format!("cluster {i}"), vec![]))
        .collect();
    let slot: Vec<usize> = (0..k)
        .map(|c| shown.iter().position(|&s| s == c).unwrap_or(shown.len()))
        .collect();
    groups.push((format!("other clusters ({others})"), vec![]));
    groups.push(("noise".into(), vec![]));
    for (&(x, y, _), c) in p.points.iter().zip(clusters) {
        groups[c.map_or(shown.len() + 1, |c| slot[c])]
            .1
            .push((x, y));
    }
    groups.retain(|g| !g.1.is_empty());
    Some(pca_scatter(results, groups))
}

/// The run-level PCA figure coloured by true class.
pub fn projection_figure(results: &RunResults) -> Option<Figure> {
    let s = projection_by_class(results)?;
    let n = results.projection.as_ref().map_or(0, |p| p.points.len());
    Some(Figure::single(
        "pca-classes".into(),
        "2-D PCA projection by true class".into(),
        format!(
            "First two principal components of a seeded sample of {} test rows, coloured by true class.",
            fmt::count(n as u64)
        ),
        Chart::Scatter(s),
        (760, 560),
    ))
}

/// The diagnostic figures of one trial (first fold), one figure per topic.
pub fn trial_figures(results: &RunResults, trial: &TrialResult) -> Vec<Figure> {
    let Some(fold) = trial.folds.first() else {
        return vec![];
    };
    let d = &fold.diagnostics;
    let slug = fmt::slug(&trial.model);
    let mut out = Vec::new();
    let mut push =
        |id: &str, title: &str, caption: String, panels: Vec<Panel>, size: (u32, u32)| {
            if !panels.is_empty() {
                out.push(Figure {
                    id: format!("{id}-{slug}"),
                    title: format!("{title}: {}", trial.label),
                    caption,
                    columns: panels.len().min(2),
                    panels,
                    panel_size: size,
                });
            }
        };
    let on = format!("fold {}", fold.fold);
    push(
        "elbow",
        "Choosing k",
        format!(
            "Inertia and silhouette against the number of clusters on {on}; the vertical line is the chosen k."
        ),
        elbow_panels(d),
        (560, 420),
    );
    push(
        "gmm-criteria",
        "GMM information criteria",
        format!(
            "BIC and AIC against the number of mixture components on {on}; the vertical line is the chosen count."
        ),
        information_criteria_panel(d).into_iter().collect(),
        (640, 440),
    );
    push(
        "k-distance",
        "DBSCAN eps",
        format!(
            "Distance of each row to its k-th neighbour on {on}, rows in ascending order of it (estimated from up to 2,000 seeded query rows); the horizontal line is the chosen eps, the circle the knee it was read from."
        ),
        k_distance_panel(d).into_iter().collect(),
        (700, 440),
    );
    push(
        "scores",
        "Anomaly scores",
        format!(
            "Histogram of the anomaly score of the test rows of each class on {on}, each class normalised to its row count; the vertical line is the decision threshold."
        ),
        histogram_panel(d).into_iter().collect(),
        (760, 460),
    );
    push(
        "u-matrix",
        "SOM U-matrix",
        format!(
            "Mean distance of each SOM unit to its neighbours on {on}, normalised to [0, 1] (dark: a boundary between clusters)."
        ),
        u_matrix_panel(d).into_iter().collect(),
        (560, 560),
    );
    push(
        "loss",
        "Loss curve",
        format!("Loss per epoch on {on}."),
        loss_panel(d).into_iter().collect(),
        (640, 420),
    );
    if let Some(s) = projection_by_cluster(results, d) {
        push(
            "pca-clusters",
            "2-D PCA projection by cluster",
            format!(
                "The run's PCA sample coloured by the cluster {} assigned on {on} (the {SCATTER_CLUSTERS} largest clusters in colour, the others light grey; grey: noise).",
                trial.label
            ),
            vec![Panel {
                title: String::new(),
                chart: Chart::Scatter(s),
            }],
            (760, 560),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_tails_show_the_central_range() {
        // 985 points with x in 0..9 and 15 (1.5 %) spread over 1,000..15,000: the
        // 0.5-99.5 % range still reaches 10,000, so the axis shows the 2-98 % range
        // [0, 9] with 10 % margin and says the 15 far points are beyond it.
        let mut pts: Vec<(f64, f64)> = (0..985).map(|i| ((i % 10) as f64, 1.0)).collect();
        pts.extend((1..=15).map(|i| (1000.0 * i as f64, 1.0)));
        let (xr, yr, outside) = robust_ranges(&pts);
        assert_eq!(xr, Some((-0.9, 9.9)));
        assert_eq!(yr, None);
        assert_eq!(outside, 15);
    }

    #[test]
    fn far_points_do_not_squash_the_scatter() {
        // 1000 points on a 10 x 10 grid of [0, 9] plus one at (1000, 5): the x axis
        // shows the 0.5-99.5 % range [0, 9] with 10 % margin; y spans 0..9 itself.
        let mut pts: Vec<(f64, f64)> = (0..1000)
            .map(|i| ((i % 10) as f64, (i / 100) as f64))
            .collect();
        assert_eq!(robust_ranges(&pts), (None, None, 0));
        pts.push((1000.0, 5.0));
        let (xr, yr, outside) = robust_ranges(&pts);
        assert_eq!(xr, Some((-0.9, 9.9)));
        assert_eq!((yr, outside), (None, 1));
    }

    #[test]
    fn long_tails_are_cut_where_every_class_has_99_5_percent() {
        // 10 bins over [0, 10]: class a has 1000 rows in bin 0 and 2 in bin 9 (99.8 % by
        // edge 1); class b has 500 rows in bins 0-2 and 1 in bin 9 (99.8 % by edge 3).
        let mut a = vec![0u64; 10];
        a[0] = 1000;
        a[9] = 2;
        let mut b = vec![0u64; 10];
        b[0] = 200;
        b[1] = 200;
        b[2] = 100;
        b[9] = 1;
        let h = ScoreHistogram {
            log_bins: false,
            edges: (0..=10).map(f64::from).collect(),
            counts: vec![("a".into(), a), ("b".into(), b.clone())],
        };
        assert_eq!(histogram_cut(&h), Some((3.0, 3)));
        // Spread over the whole range: no cut.
        let h = ScoreHistogram {
            log_bins: false,
            edges: (0..=10).map(f64::from).collect(),
            counts: vec![("b".into(), vec![10; 10])],
        };
        assert_eq!(histogram_cut(&h), None);
        // An overflow bin [3, 100] after bins of width 1: cut at 3, its 4 rows beyond.
        let h = ScoreHistogram {
            log_bins: false,
            edges: vec![0.0, 1.0, 2.0, 3.0, 100.0],
            counts: vec![
                ("a".into(), vec![5, 5, 5, 3]),
                ("b".into(), vec![0, 1, 1, 1]),
            ],
        };
        assert_eq!(histogram_cut(&h), Some((3.0, 4)));
    }

    #[test]
    fn histogram_steps_are_fractions_of_each_class() {
        // Class a: counts [1, 3] over edges [0, 1, 2] -> fractions 0.25 and 0.75.
        let h = ScoreHistogram {
            log_bins: false,
            edges: vec![0.0, 1.0, 2.0],
            counts: vec![("a".into(), vec![1, 3])],
        };
        let s = histogram_series(&h);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "a (4 rows)");
        assert_eq!(
            s[0].points,
            vec![
                (0.0, 0.0),
                (0.0, 0.25),
                (1.0, 0.25),
                (1.0, 0.75),
                (2.0, 0.75),
                (2.0, 0.0)
            ]
        );
    }
}
