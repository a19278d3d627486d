//! Precision-recall curves, laid out like the ROC figure: best trial of every model name,
//! first fold, average precision in the legend, and the class prevalence as the chance line.

use super::roc::{ClassSeries, area};
use super::{Chart, Figure, LegendAt, LineChart, Marker, Panel, Series};
use crate::model::RunResults;
use crate::rank::model_groups;

/// PR series per class and the prevalence of that class in the first fold's test rows.
pub fn series(results: &RunResults) -> Vec<(ClassSeries, Option<f64>)> {
    let mut out: Vec<(ClassSeries, Option<f64>)> = Vec::new();
    for g in model_groups(results) {
        let t = &results.trials[g.best];
        let Some(fold) = t.folds.first() else {
            continue;
        };
        let total: u64 = fold.per_class.iter().map(|c| c.support).sum();
        for c in &fold.curves {
            if c.pr.is_empty() {
                continue;
            }
            let s = Series {
                name: format!("{} (AP = {})", g.model, area(c.average_precision)),
                points: c.pr.clone(),
                color: g.color,
                dashed: false,
                dots: false,
            };
            let prevalence = fold
                .per_class
                .iter()
                .find(|p| p.class == c.class)
                .filter(|_| total > 0)
                .map(|p| p.support as f64 / total as f64);
            match out.iter_mut().find(|p| p.0.class == c.class) {
                Some(p) => p.0.series.push(s),
                None => out.push((
                    ClassSeries {
                        class: c.class.clone(),
                        series: vec![s],
                    },
                    prevalence,
                )),
            }
        }
    }
    out
}

/// The PR figure (none when no trial has curves).
pub fn figure(results: &RunResults) -> Option<Figure> {
    let classes = series(results);
    if classes.is_empty() {
        return None;
    }
    let fold = results
        .split
        .folds
        .first()
        .map(|f| f.name.as_str())
        .unwrap_or("first fold");
    let binary = classes.len() == 1;
    let panels = classes
        .iter()
        .map(|(p, prev)| Panel {
            title: if binary {
                format!("positive class: {}", p.class)
            } else {
                format!("{} vs rest", p.class)
            },
            chart: Chart::Lines(LineChart {
                x_label: "Recall".into(),
                y_label: "Precision".into(),
                series: p.series.clone(),
                markers: prev
                    .map(|v| Marker {
                        label: format!("chance (prevalence {v:.3})"),
                        vertical: false,
                        value: v,
                    })
                    .into_iter()
                    .collect(),
                points: vec![],
                x_range: Some((0.0, 1.0)),
                y_range: Some((0.0, 1.02)),
                legend: LegendAt::LowerLeft,
                x_log10: false,
            }),
        })
        .collect();
    Some(Figure {
        id: "precision-recall".into(),
        title: "Precision-recall curves".into(),
        caption: format!(
            "Precision-recall curves of the best trial of each model on fold {fold}; \
             grey line: a random classifier (the class prevalence)."
        ),
        columns: if binary { 1 } else { 3 },
        panel_size: if binary { (640, 480) } else { (460, 400) },
        panels,
    })
}
