//! Drawing of prepared figure data onto any plotters backend. Nothing here looks at
//! [`crate::model`]: every function takes a [`Figure`] or one of its charts, so the same
//! code produces the inline SVG of the HTML and the SVG/PNG files next to the Markdown.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{RowsCtx, label_width, row_label, text};
pub use super::axis::{padded_range, tick, tick_labels, tick_step};
use super::{Bar, BarChart, Chart, Figure, Heatmap, LegendAt, LineChart, Scatter, palette};

/// Height in pixels of the figure title band.
pub const TITLE_BAND: u32 = 34;

type DrawResult = Result<(), String>;

/// Draw a whole figure: white background, title band, panels on a grid.
pub fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (title_area, body) = root.split_vertically(TITLE_BAND);
    title_area
        .draw(&Text::new(fig.title.clone(), (10, 8), text(18)))
        .map_err(|e| e.to_string())?;
    let cols = fig.columns.clamp(1, fig.panels.len().max(1));
    let rows = fig.panels.len().div_ceil(cols).max(1);
    let areas = body.split_evenly((rows, cols));
    for (area, panel) in areas.iter().zip(&fig.panels) {
        match &panel.chart {
            Chart::Lines(c) => draw_lines(area, &panel.title, c)?,
            Chart::Bars(c) => draw_bars(area, &panel.title, c)?,
            Chart::Heatmap(c) => draw_heatmap(area, &panel.title, c)?,
            Chart::Scatter(c) => draw_scatter(area, &panel.title, c)?,
            Chart::Cd(c) => super::study_draw::draw_cd(area, c)?,
            Chart::Boxes(c) => super::study_draw::draw_boxes(area, &panel.title, c)?,
        }
    }
    Ok(())
}

fn legend_pos(l: LegendAt) -> SeriesLabelPosition {
    match l {
        LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
        LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
        LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
        LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
    }
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    c: &LineChart,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x0, x1) = c.x_range.unwrap_or_else(|| {
        padded_range(
            c.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .chain(c.markers.iter().filter(|m| m.vertical).map(|m| m.value)),
        )
    });
    let (y0, y1) = c.y_range.unwrap_or_else(|| {
        padded_range(
            c.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .chain(c.markers.iter().filter(|m| !m.vertical).map(|m| m.value)),
        )
    });
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(15))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let (fx, fy) = (tick_labels(x0, x1, 10), tick_labels(y0, y1, 10));
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .x_label_formatter(&|v| {
            if c.x_log10 {
                tick(10f64.powf(*v))
            } else {
                fx(*v)
            }
        })
        .y_label_formatter(&|v| fy(*v))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    let mut legend = false;
    for s in &c.series {
        let color = palette(s.color);
        let style = color.stroke_width(2);
        let pts = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        if s.dashed {
            let ann = chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, style))
                .map_err(e)?;
            if !s.name.is_empty() {
                legend = true;
                ann.label(s.name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                });
            }
        } else {
            let ann = chart.draw_series(LineSeries::new(pts, style)).map_err(e)?;
            if !s.name.is_empty() {
                legend = true;
                ann.label(s.name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
        }
        if s.dots {
            chart
                .draw_series(
                    s.points
                        .iter()
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )
                .map_err(e)?;
        }
    }
    let marker_color = RGBColor(90, 90, 90);
    for m in &c.markers {
        let (line, at, anchor) = if m.vertical {
            (
                vec![(m.value, y0), (m.value, y1)],
                (m.value, y1),
                Pos::new(HPos::Left, VPos::Top),
            )
        } else {
            (
                vec![(x0, m.value), (x1, m.value)],
                (x1, m.value),
                Pos::new(HPos::Right, VPos::Bottom),
            )
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                line,
                marker_color.stroke_width(2),
            )))
            .map_err(e)?;
        if m.label.is_empty() {
            continue;
        }
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(at)
                    + Text::new(
                        m.label.clone(),
                        if m.vertical { (4, 2) } else { (-4, -2) },
                        text(12).color(&marker_color).pos(anchor),
                    ),
            ))
            .map_err(e)?;
    }
    for p in &c.points {
        // A label right of a point in the right half would run off the plot.
        let (dx, h) = if p.x > (x0 + x1) / 2.0 {
            (-8, HPos::Right)
        } else {
            (8, HPos::Left)
        };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((p.x, p.y))
                    + Circle::new((0, 0), 6, BLACK.stroke_width(2))
                    + Text::new(
                        p.label.clone(),
                        (dx, -10),
                        text(12).pos(Pos::new(h, VPos::Bottom)),
                    ),
            ))
            .map_err(e)?;
    }
    if legend {
        chart
            .configure_series_labels()
            .position(legend_pos(c.legend))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(text(12))
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    c: &BarChart,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = c.bars.len().max(1);
    let tf = |v: f64| if c.log { v.max(1e-12).log10() } else { v };
    let values: Vec<(f64, f64, f64)> = c
        .bars
        .iter()
        .map(|b| {
            let err = b.error.unwrap_or(0.0);
            (tf(b.value), tf(b.value - err), tf(b.value + err))
        })
        .collect();
    let (base, x1) = if c.log {
        let lo = values.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
        let hi = values.iter().map(|v| v.2).fold(f64::NEG_INFINITY, f64::max);
        let lo = if lo.is_finite() { lo.floor() } else { -3.0 };
        let hi = if hi.is_finite() {
            hi.ceil().max(lo + 1.0)
        } else {
            0.0
        };
        (lo, hi + (hi - lo) * 0.3)
    } else {
        let hi = values.iter().map(|v| v.2).fold(0.0, f64::max);
        let hi = if hi > 0.0 { hi } else { 1.0 };
        (0.0, hi * 1.3)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(15))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(label_width(c.bars.iter().map(|b| b.label.chars().count())))
        .build_cartesian_2d(base..x1, (0..n - 1).into_segmented())
        .map_err(e)?;
    let labels: Vec<String> = c.bars.iter().map(|b| b.label.clone()).collect();
    let log = c.log;
    let fx = tick_labels(base, x1, 10);
    let unit = c.unit_scores && !log && values.iter().all(|v| v.0 >= 0.0 && v.2 <= 1.0);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(c.value_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .y_labels(n)
        .x_labels(if c.log {
            (x1 - base).ceil() as usize + 1
        } else {
            10
        })
        .y_label_formatter(&|v| row_label(&labels, v))
        .x_label_formatter(&|v| {
            if log {
                crate::fmt::seconds(10f64.powf(*v))
            } else if unit && *v > 1.0 + 1e-9 {
                String::new()
            } else {
                fx(*v)
            }
        })
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    for (i, (b, v)) in c.bars.iter().zip(&values).enumerate() {
        draw_bar(&mut chart, n - 1 - i, base, b, *v).map_err(e)?;
    }
    Ok(())
}

fn draw_bar<DB: DrawingBackend>(
    chart: &mut RowsCtx<'_, DB>,
    y: usize,
    base: f64,
    b: &Bar,
    (v, lo, hi): (f64, f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let color = if b.highlight { palette(1) } else { palette(0) };
    let mut rect = Rectangle::new(
        [
            (base, SegmentValue::Exact(y)),
            (v.max(base), SegmentValue::Exact(y + 1)),
        ],
        color.mix(0.85).filled(),
    );
    rect.set_margin(4, 4, 0, 0);
    chart.draw_series(std::iter::once(rect))?;
    if b.error.is_some() && hi > lo {
        let c = SegmentValue::CenterOf(y);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(lo.max(base), c.clone()), (hi, c.clone())],
            BLACK.stroke_width(2),
        )))?;
        for end in [lo.max(base), hi] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((end, c.clone()))
                    + PathElement::new(vec![(0, -5), (0, 5)], BLACK.stroke_width(2)),
            ))?;
        }
    }
    chart.draw_series(std::iter::once(
        EmptyElement::at((hi.max(v), SegmentValue::CenterOf(y)))
            + Text::new(
                b.value_text.clone(),
                (6, 0),
                text(11).pos(Pos::new(HPos::Left, VPos::Center)),
            ),
    ))?;
    Ok(())
}

/// Sequential blue ramp (light = low, dark = high) for `v` in [0, 1].
pub fn blues(v: f64) -> RGBColor {
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b) = ((247.0, 251.0, 255.0), (8.0, 48.0, 107.0));
    let mix = |x: f64, y: f64| (x + (y - x) * v).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    c: &Heatmap,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let rows = c.values.len().max(1);
    let cols = c.values.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(15))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(label_width(c.row_labels.iter().map(|l| l.chars().count())))
        .build_cartesian_2d(
            (0..cols - 1).into_segmented(),
            (0..rows - 1).into_segmented(),
        )
        .map_err(e)?;
    let (rl, cl) = (&c.row_labels, &c.col_labels);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .x_labels(cols)
        .y_labels(rows)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) => cl.get(*k).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) => (rows - 1)
                .checked_sub(*k)
                .and_then(|i| rl.get(i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(e)?;
    let font_size = if cols > 12 { 9 } else { 12 };
    for (i, row) in c.values.iter().enumerate() {
        let y = rows - 1 - i;
        chart
            .draw_series(row.iter().enumerate().map(|(j, &v)| {
                Rectangle::new(
                    [
                        (SegmentValue::Exact(j), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(j + 1), SegmentValue::Exact(y + 1)),
                    ],
                    blues(v).filled(),
                )
            }))
            .map_err(e)?;
        if let Some(ann) = c.annotations.as_ref().and_then(|a| a.get(i)) {
            chart
                .draw_series(row.iter().zip(ann).enumerate().map(|(j, (&v, label))| {
                    let color: &RGBColor = if v > 0.5 { &WHITE } else { &BLACK };
                    Text::new(
                        label.clone(),
                        (SegmentValue::CenterOf(j), SegmentValue::CenterOf(y)),
                        text(font_size)
                            .color(color)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )
                }))
                .map_err(e)?;
        }
    }
    Ok(())
}

fn draw_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    c: &Scatter,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x0, x1) = c
        .x_range
        .unwrap_or_else(|| padded_range(c.groups.iter().flat_map(|g| g.1.iter().map(|p| p.0))));
    let (y0, y1) = c
        .y_range
        .unwrap_or_else(|| padded_range(c.groups.iter().flat_map(|g| g.1.iter().map(|p| p.1))));
    let inside = |&(x, y): &(f64, f64)| {
        x.is_finite() && y.is_finite() && (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(15))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let (fx, fy) = (tick_labels(x0, x1, 10), tick_labels(y0, y1, 10));
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .x_label_formatter(&|v| fx(*v))
        .y_label_formatter(&|v| fy(*v))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    for (i, (name, pts)) in c.groups.iter().enumerate() {
        let color = if name == "noise" {
            RGBColor(150, 150, 150)
        } else if name.starts_with("other clusters (") {
            RGBColor(200, 200, 200)
        } else {
            palette(i)
        };
        chart
            .draw_series(
                pts.iter()
                    .filter(|p| inside(p))
                    .map(|&p| Circle::new(p, 2, color.mix(0.7).filled())),
            )
            .map_err(e)?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x + 5, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .label_font(text(12))
        .draw()
        .map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(1.0), "1");
        assert_eq!(tick(150.0), "150");
        assert_eq!(tick(0.0001), "1.0e-4");
    }

    #[test]
    fn padded_range_handles_degenerate_input() {
        assert_eq!(padded_range([2.0, 2.0].into_iter()), (1.5, 2.5));
        assert_eq!(padded_range(std::iter::empty()), (0.0, 1.0));
        let (lo, hi) = padded_range([0.0, 10.0].into_iter());
        assert!((lo + 0.5).abs() < 1e-12 && (hi - 10.5).abs() < 1e-12);
    }

    /// The x tick labels of a bar chart of `values`, as rendered to SVG.
    fn bar_ticks(values: &[f64], unit_scores: bool) -> Vec<String> {
        let bars = values
            .iter()
            .map(|&v| super::super::Bar {
                label: format!("m{v}"),
                value: v,
                error: None,
                highlight: false,
                value_text: format!("{v:.4}"),
            })
            .collect();
        let chart = Chart::Bars(BarChart {
            value_label: "score".into(),
            bars,
            log: false,
            unit_scores,
        });
        let fig = Figure::single("b".into(), "t".into(), "c".into(), chart, (600, 300));
        let svg = super::super::to_svg(&fig).unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>')?.1.split("</text>").next())
            .map(str::trim)
            .collect();
        ["0.2", "0.4", "0.6", "0.8", "1", "1.2", "1.4"]
            .iter()
            .filter(|t| texts.contains(t))
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn score_bars_label_no_tick_beyond_one() {
        // The axis runs to 1.3 x the largest value, for the value labels.
        assert!(bar_ticks(&[0.97, 0.5], false).contains(&"1.2".to_string()));
        let unit = bar_ticks(&[0.97, 0.5], true);
        assert!(unit.contains(&"1".to_string()) && !unit.contains(&"1.2".to_string()));
        // A score chart whose values leave [0, 1] keeps its labels.
        assert!(bar_ticks(&[1.1, 0.5], true).contains(&"1.4".to_string()));
    }
}
