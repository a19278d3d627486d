//! Plots of the unsupervised diagnostics ([`crate::model::Diagnostics`], first fold) and of
//! the run's 2-D PCA projection: elbow and silhouette vs k, GMM BIC/AIC, DBSCAN k-distance,
//! anomaly-score histograms with the threshold, SOM U-matrix, loss curves, PCA scatter
//! coloured by true class and by cluster.

use super::{
    Chart, Figure, Heatmap, LegendAt, LineChart, Marker, Panel, PointMark, Scatter, Series,
};
use crate::fmt;
use crate::model::{Diagnostics, RunResults, ScoreHistogram, TrialResult};

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

/// DBSCAN sorted k-distance curve with eps (horizontal line) and the knee.
pub fn k_distance_panel(d: &Diagnostics) -> Option<Panel> {
    let k = d.k_distance.as_ref()?;
    let pts: Vec<(f64, f64)> = k
        .distances
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as f64, v))
        .collect();
    let mut c = lines(
        &format!(
            "points, sorted (sample of {} of {} rows)",
            fmt::count(k.sampled_rows as u64),
            fmt::count(k.total_rows as u64)
        ),
        &format!("distance to neighbour {}", k.k),
        vec![line("", pts, 0, false)],
    );
    c.markers.push(Marker {
        label: format!("eps = {}", super::chart::tick(k.eps)),
        vertical: false,
        value: k.eps,
    });
    if let Some(i) = k.knee_index
        && let Some(&v) = k.distances.get(i)
    {
        c.points.push(PointMark {
            label: "knee".into(),
            x: i as f64,
            y: v,
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

/// Anomaly-score histogram per class with the threshold line.
pub fn histogram_panel(d: &Diagnostics) -> Option<Panel> {
    let h = d.score_histogram.as_ref()?;
    let mut c = lines(
        "anomaly score",
        "fraction of the class's rows",
        histogram_series(h),
    );
    c.legend = LegendAt::UpperLeft;
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
            value: t.value,
        });
    }
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
    let (x_label, y_label) = pca_axes(results);
    Some(Scatter {
        x_label,
        y_label,
        groups,
    })
}

/// The projection points grouped by the trial's cluster (`noise` last).
pub fn projection_by_cluster(results: &RunResults, d: &Diagnostics) -> Option<Scatter> {
    let p = results.projection.as_ref()?;
    let clusters = d.projection_clusters.as_ref()?;
    let k = clusters.iter().flatten().max().map_or(0, |m| m + 1);
    let mut groups: Vec<(String, Vec<(f64, f64)>)> =
        (0..k).map(|i| (format!("cluster {i}"), vec![])).collect();
    groups.push(("noise".into(), vec![]));
    for (&(x, y, _), c) in p.points.iter().zip(clusters) {
        groups[c.unwrap_or(k)].1.push((x, y));
    }
    groups.retain(|g| !g.1.is_empty());
    let (x_label, y_label) = pca_axes(results);
    Some(Scatter {
        x_label,
        y_label,
        groups,
    })
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
            "Sorted distance of each sampled point to its k-th neighbour on {on}; the horizontal line is the chosen eps."
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
                "The run's PCA sample coloured by the cluster {} assigned on {on} (grey: noise).",
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
    fn histogram_steps_are_fractions_of_each_class() {
        // Class a: counts [1, 3] over edges [0, 1, 2] -> fractions 0.25 and 0.75.
        let h = ScoreHistogram {
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
