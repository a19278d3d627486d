//! Drawing of the study charts ([`CdDiagram`], [`BoxChart`]) onto any plotters backend;
//! called by [`super::chart::draw_figure`].

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{RowsCtx, label_width, padded_range, row_label, text, tick, tick_labels};
use super::{BoxChart, BoxStats, CdDiagram, palette};

type DrawResult = Result<(), String>;

/// Pixel row of the rank axis of a CD diagram (the CD interval and tick labels above it).
pub const CD_TOP: u32 = 64;

/// Horizontal geometry of a CD diagram: where rank 1 and rank k fall.
struct RankAxis {
    x_lo: f64,
    x_hi: f64,
    k: usize,
}

impl RankAxis {
    fn x(&self, rank: f64) -> i32 {
        let span = (self.k.max(2) - 1) as f64;
        (self.x_lo + (rank - 1.0) / span * (self.x_hi - self.x_lo)).round() as i32
    }
}

pub(super) fn draw_cd<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &CdDiagram,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (w, _) = area.dim_in_pixel();
    let chars = d
        .names
        .iter()
        .map(|n| n.chars().count() + 7)
        .max()
        .unwrap_or(8);
    let side = (chars as f64 * 7.5 + 24.0).clamp(90.0, w as f64 / 3.0);
    let axis = RankAxis {
        x_lo: side,
        x_hi: w as f64 - side,
        k: d.k,
    };
    let top = CD_TOP as i32;
    let black = BLACK.stroke_width(1);
    // Rank axis with integer ticks, labels above.
    let path = |pts: Vec<(i32, i32)>, s: ShapeStyle| PathElement::new(pts, s);
    area.draw(&path(
        vec![(axis.x(1.0), top), (axis.x(d.k as f64), top)],
        black,
    ))
    .map_err(e)?;
    for r in 1..=d.k {
        let x = axis.x(r as f64);
        area.draw(&path(vec![(x, top), (x, top - 7)], black))
            .map_err(e)?;
        let at = Pos::new(HPos::Center, VPos::Bottom);
        area.draw(&Text::new(r.to_string(), (x, top - 9), text(13).pos(at)))
            .map_err(e)?;
    }
    // The critical difference as an interval starting at rank 1.
    let (c0, c1) = (axis.x(1.0), axis.x(1.0 + d.critical_difference));
    let cy = 22;
    area.draw(&path(vec![(c0, cy), (c1, cy)], BLACK.stroke_width(2)))
        .map_err(e)?;
    for x in [c0, c1] {
        area.draw(&path(vec![(x, cy - 5), (x, cy + 5)], black))
            .map_err(e)?;
    }
    let label = format!("CD = {}", tick(d.critical_difference));
    let at = Pos::new(HPos::Left, VPos::Center);
    area.draw(&Text::new(label, (c1 + 8, cy), text(13).pos(at)))
        .map_err(e)?;
    // Cliques: thick bars just under the axis, each on the first row it does not overlap.
    let rows = clique_rows(&d.cliques);
    for (&(a, b), &row) in d.cliques.iter().zip(&rows) {
        let y = top + 10 + 14 * row as i32;
        let (x0, x1) = (axis.x(d.ranks[a]) - 4, axis.x(d.ranks[b]) + 4);
        area.draw(&path(vec![(x0, y), (x1, y)], BLACK.stroke_width(5)))
            .map_err(e)?;
    }
    let used = rows.iter().map(|r| r + 1).max().unwrap_or(0);
    draw_cd_labels(area, d, &axis, top + 14 * used as i32 + 8)
}

/// The row of each clique bar: the first row whose bars all end before it starts (the
/// cliques come sorted by their first model).
pub fn clique_rows(cliques: &[(usize, usize)]) -> Vec<usize> {
    let mut ends: Vec<usize> = Vec::new();
    cliques
        .iter()
        .map(|&(a, b)| {
            let row = ends.iter().position(|&end| end < a).unwrap_or(ends.len());
            if row == ends.len() {
                ends.push(b);
            } else {
                ends[row] = b;
            }
            row
        })
        .collect()
}

/// The model names: the better half on the left (best on the top row), the rest on the
/// right (worst on the top row), so that no two leader lines cross.
fn draw_cd_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &CdDiagram,
    axis: &RankAxis,
    first_row: i32,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = d.names.len();
    let half = n.div_ceil(2);
    for i in 0..n {
        let (row, left) = if i < half {
            (i, true)
        } else {
            (n - 1 - i, false)
        };
        let y = first_row + 24 * (row as i32 + 1);
        let x = axis.x(d.ranks[i]);
        let end = if left {
            axis.x_lo as i32 - 12
        } else {
            axis.x_hi as i32 + 12
        };
        let color = palette(i);
        let style = color.stroke_width(2);
        area.draw(&PathElement::new(
            vec![(x, CD_TOP as i32), (x, y), (end, y)],
            style,
        ))
        .map_err(e)?;
        area.draw(&Circle::new((x, CD_TOP as i32), 3, color.filled()))
            .map_err(e)?;
        let label = format!("{} ({:.2})", d.names[i], d.ranks[i]);
        let (dx, h) = if left {
            (-6, HPos::Right)
        } else {
            (6, HPos::Left)
        };
        let at = Pos::new(h, VPos::Center);
        area.draw(&Text::new(label, (end + dx, y), text(13).pos(at)))
            .map_err(e)?;
    }
    Ok(())
}

pub(super) fn draw_boxes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    c: &BoxChart,
) -> DrawResult {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = c.boxes.len().max(1);
    let (x0, x1) = padded_range(c.boxes.iter().flat_map(|b| {
        [b.whisker_lo, b.whisker_hi]
            .into_iter()
            .chain(b.outliers.iter().copied())
    }));
    // Room on the right for the median text.
    let x1 = x1 + (x1 - x0) * 0.25;
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(15))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(label_width(c.boxes.iter().map(|b| b.name.chars().count())))
        .build_cartesian_2d(x0..x1, (0..n - 1).into_segmented())
        .map_err(e)?;
    let labels: Vec<String> = c.boxes.iter().map(|b| b.name.clone()).collect();
    let fmt_x = tick_labels(x0, x1, 10);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(c.value_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .y_labels(n)
        .y_label_formatter(&|v| row_label(&labels, v))
        .x_label_formatter(&|v| fmt_x(*v))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    for (i, b) in c.boxes.iter().enumerate() {
        if b.n > 0 {
            draw_box(&mut chart, n - 1 - i, i, b).map_err(e)?;
        }
    }
    Ok(())
}

fn draw_box<DB: DrawingBackend>(
    chart: &mut RowsCtx<'_, DB>,
    y: usize,
    color_index: usize,
    b: &BoxStats,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let color = palette(color_index);
    let mid = SegmentValue::CenterOf(y);
    let at = |x: f64| (x, mid.clone());
    let tick_mark = |x: f64, h: i32, s: ShapeStyle| {
        EmptyElement::at(at(x)) + PathElement::new(vec![(0, -h), (0, h)], s)
    };
    let dark = BLACK.stroke_width(1);
    for (a, z) in [(b.whisker_lo, b.q1), (b.q3, b.whisker_hi)] {
        chart.draw_series(std::iter::once(PathElement::new(vec![at(a), at(z)], dark)))?;
    }
    for x in [b.whisker_lo, b.whisker_hi] {
        chart.draw_series(std::iter::once(tick_mark(x, 6, dark)))?;
    }
    let corners = [
        (b.q1, SegmentValue::Exact(y)),
        (b.q3, SegmentValue::Exact(y + 1)),
    ];
    for style in [color.mix(0.35).filled(), color.stroke_width(2)] {
        let mut rect = Rectangle::new(corners.clone(), style);
        rect.set_margin(7, 7, 0, 0);
        chart.draw_series(std::iter::once(rect))?;
    }
    chart.draw_series(std::iter::once(tick_mark(
        b.median,
        11,
        BLACK.stroke_width(3),
    )))?;
    chart.draw_series(
        b.outliers
            .iter()
            .map(|&x| Circle::new(at(x), 3, color.filled())),
    )?;
    let right = b.outliers.iter().copied().fold(b.whisker_hi, f64::max);
    let label = format!("median {} (n = {})", tick(b.median), b.n);
    let pos = Pos::new(HPos::Left, VPos::Center);
    chart.draw_series(std::iter::once(
        EmptyElement::at(at(right)) + Text::new(label, (8, 0), text(11).pos(pos)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn clique_bars_share_a_row_when_they_do_not_overlap() {
        // (0,1) and (1,2) share model 1: two rows; (3,4) fits on the first row again.
        assert_eq!(super::clique_rows(&[(0, 1), (1, 2), (3, 4)]), vec![0, 1, 0]);
        assert!(super::clique_rows(&[]).is_empty());
    }
}
