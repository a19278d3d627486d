//! Model comparison: the selection metric (mean ± std over folds) of the successful trials
//! as bars in leaderboard order, and their fit and predict times (log scale when the times
//! span more than two decades).

use super::{Bar, BarChart, Chart, Figure, Panel};
use crate::fmt;
use crate::model::RunResults;
use crate::rank::{best, leaderboard};

/// At most this many trials are drawn (the leaderboard table lists them all).
pub const MAX_BARS: usize = 30;

/// Bars of the selection metric, best trial first and highlighted.
pub fn metric_bars(results: &RunResults) -> Vec<Bar> {
    let metric = &results.selection.metric;
    let best = best(results);
    leaderboard(results)
        .into_iter()
        .take(MAX_BARS)
        .filter_map(|i| {
            let t = &results.trials[i];
            let mean = t.mean_metric(metric)?;
            // A single fold has no spread: no error bar and no "± 0".
            let std = t.std.get(metric).copied().filter(|_| t.folds.len() > 1);
            Some(Bar {
                label: t.label.clone(),
                value: mean,
                error: std,
                highlight: Some(i) == best,
                value_text: fmt::mean_std(mean, std),
            })
        })
        .collect()
}

fn pop_std(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    Some((v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt())
}

/// Fit-time and predict-time bars (mean over folds, error bar = population std).
pub fn time_bars(results: &RunResults) -> (Vec<Bar>, Vec<Bar>) {
    let best = best(results);
    let order: Vec<usize> = leaderboard(results).into_iter().take(MAX_BARS).collect();
    let make = |i: usize, mean: f64, all: &[f64]| Bar {
        label: results.trials[i].label.clone(),
        value: mean,
        error: pop_std(all),
        highlight: Some(i) == best,
        value_text: fmt::seconds(mean),
    };
    let fit = order
        .iter()
        .map(|&i| {
            let t = &results.trials[i].timing;
            make(i, t.fit_seconds_mean, &t.fit_seconds)
        })
        .collect();
    let predict = order
        .iter()
        .map(|&i| {
            let t = &results.trials[i].timing;
            make(i, t.predict_seconds_mean, &t.predict_seconds)
        })
        .collect();
    (fit, predict)
}

/// True when the positive values span more than two decades.
pub fn wide_range(bars: &[Bar]) -> bool {
    let pos: Vec<f64> = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = pos.iter().copied().fold(0.0, f64::max);
    pos.len() == bars.len() && !bars.is_empty() && hi / lo > 100.0
}

fn height(n: usize) -> u32 {
    (90 + 28 * n as u32).max(220)
}

/// The comparison and timing figures.
pub fn figures(results: &RunResults) -> Vec<Figure> {
    let bars = metric_bars(results);
    if bars.is_empty() {
        return vec![];
    }
    let n = bars.len();
    let metric = results.selection.metric.clone();
    let mut out = vec![Figure::single(
        "model-comparison".into(),
        format!("Model comparison: {metric}"),
        format!(
            "{metric} of each successful trial (mean over folds, error bar: ± one standard \
             deviation), best first{}.",
            if results.selection.higher_is_better {
                ""
            } else {
                " (lower is better)"
            }
        ),
        Chart::Bars(BarChart {
            value_label: format!("{metric} (mean ± std over folds)"),
            bars,
            log: false,
            unit_scores: true,
        }),
        (900, height(n)),
    )];
    out.extend(repeat_boxes(results));
    let (fit, predict) = time_bars(results);
    let (lf, lp) = (wide_range(&fit), wide_range(&predict));
    let desc = |log: bool| if log { "seconds, log scale" } else { "seconds" };
    out.push(Figure {
        id: "timing".into(),
        title: "Fit and predict time".into(),
        caption: format!(
            "Wall-clock fit and predict time per fold (mean, error bar: ± one standard deviation), \
             in leaderboard order; fit axis {}, predict axis {}.",
            desc(lf),
            desc(lp)
        ),
        panels: vec![
            Panel {
                title: "fit".into(),
                chart: Chart::Bars(BarChart {
                    value_label: format!("fit time ({})", desc(lf)),
                    bars: fit,
                    log: lf,
                    unit_scores: false,
                }),
            },
            Panel {
                title: "predict".into(),
                chart: Chart::Bars(BarChart {
                    value_label: format!("predict time ({})", desc(lp)),
                    bars: predict,
                    log: lp,
                    unit_scores: false,
                }),
            },
        ],
        columns: 2,
        panel_size: (640, height(n)),
    });
    out
}

/// With repeats: box plots of the selection metric over the repeats, one box per model
/// (its best trial), best mean first.
pub fn repeat_boxes(results: &RunResults) -> Option<Figure> {
    let repeats = results.split.repeats;
    if repeats < 2 {
        return None;
    }
    let metric = &results.selection.metric;
    let mut groups: Vec<(String, Vec<f64>)> = crate::rank::model_groups(results)
        .into_iter()
        .filter_map(|g| {
            let t = &results.trials[g.best];
            let v = crate::compare::repeat_values(t, metric, repeats)?;
            Some((t.label.clone(), v))
        })
        .collect();
    if groups.is_empty() {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    groups.sort_by(|a, b| {
        let order = mean(&b.1).total_cmp(&mean(&a.1));
        if results.selection.higher_is_better {
            order
        } else {
            order.reverse()
        }
    });
    let mut fig =
        super::study::box_plot(&format!("{metric} over {repeats} repeats"), metric, &groups);
    fig.id = "repeats-box".into();
    Some(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(v: f64) -> Bar {
        Bar {
            label: String::new(),
            value: v,
            error: None,
            highlight: false,
            value_text: String::new(),
        }
    }

    #[test]
    fn log_scale_only_for_wide_positive_ranges() {
        assert!(wide_range(&[bar(0.001), bar(0.5)]));
        assert!(!wide_range(&[bar(0.01), bar(0.5)]));
        assert!(!wide_range(&[bar(0.0), bar(0.5)]));
        assert!(!wide_range(&[]));
    }

    #[test]
    fn population_std_by_hand() {
        // values 1, 3: mean 2, deviations ±1, population variance 1.
        assert_eq!(pop_std(&[1.0, 3.0]), Some(1.0));
        assert_eq!(pop_std(&[1.0]), None);
    }
}
