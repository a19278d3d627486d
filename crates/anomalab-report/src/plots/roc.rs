//! ROC curves: the best trial of every model name overlaid, one panel for the positive class
//! (binary) or one panel per class, one-vs-rest (multiclass). Curves are those of the first
//! fold; the legend gives that fold's AUC.

use super::{Chart, Figure, LegendAt, LineChart, Panel, Series};
use crate::model::RunResults;
use crate::rank::model_groups;

/// The curves of one class (one panel).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSeries {
    pub class: String,
    /// One series per model (legend `model (AUC = 0.973)`), then the dashed chance line.
    pub series: Vec<Series>,
}

/// The chance diagonal, dashed, without a legend entry.
pub(crate) fn diagonal() -> Series {
    Series {
        name: String::new(),
        points: vec![(0.0, 0.0), (1.0, 1.0)],
        color: 11,
        dashed: true,
        dots: false,
    }
}

/// Format an optional area for a legend.
pub(crate) fn area(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.3}"),
        _ => "n/a".to_string(),
    }
}

/// ROC series per class, in the class order of the first model that has curves.
pub fn series(results: &RunResults) -> Vec<ClassSeries> {
    let mut out: Vec<ClassSeries> = Vec::new();
    for g in model_groups(results) {
        let t = &results.trials[g.best];
        let Some(fold) = t.folds.first() else {
            continue;
        };
        for c in &fold.curves {
            if c.roc.is_empty() {
                continue;
            }
            let s = Series {
                name: format!("{} (AUC = {})", g.model, area(c.roc_auc)),
                points: c.roc.clone(),
                color: g.color,
                dashed: false,
                dots: false,
            };
            match out.iter_mut().find(|p| p.class == c.class) {
                Some(p) => p.series.push(s),
                None => out.push(ClassSeries {
                    class: c.class.clone(),
                    series: vec![s],
                }),
            }
        }
    }
    for p in &mut out {
        p.series.push(diagonal());
    }
    out
}

/// Draw one class's ROC panel on any backend.
pub fn draw<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    series: &ClassSeries,
) -> Result<(), String> {
    super::ensure_font().map_err(|e| e.to_string())?;
    let fig = Figure::single(
        "roc".into(),
        format!("ROC: {}", series.class),
        String::new(),
        chart(series),
        (640, 480),
    );
    super::chart::draw_figure(area, &fig)
}

fn chart(p: &ClassSeries) -> Chart {
    Chart::Lines(LineChart {
        x_label: "False positive rate".into(),
        y_label: "True positive rate".into(),
        series: p.series.clone(),
        markers: vec![],
        points: vec![],
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        legend: LegendAt::LowerRight,
        x_log10: false,
    })
}

/// The ROC figure (none when no trial has curves).
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
    let panels: Vec<Panel> = classes
        .iter()
        .map(|p| Panel {
            title: if binary {
                format!("positive class: {}", p.class)
            } else {
                format!("{} vs rest", p.class)
            },
            chart: chart(p),
        })
        .collect();
    Some(Figure {
        id: "roc".into(),
        title: "ROC curves".into(),
        caption: format!(
            "ROC curves of the best trial of each model on fold {fold}{}; dashed: chance.",
            if binary {
                ""
            } else {
                ", one-vs-rest per class"
            }
        ),
        columns: if binary { 1 } else { 3 },
        panel_size: if binary { (640, 480) } else { (460, 400) },
        panels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_formats_missing_values() {
        assert_eq!(area(Some(0.97349)), "0.973");
        assert_eq!(area(None), "n/a");
        assert_eq!(area(Some(f64::NAN)), "n/a");
    }
}
