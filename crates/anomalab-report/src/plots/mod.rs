//! Plots of a report: pure figure data prepared from [`RunResults`] (one module per topic,
//! each with a unit-tested `series`-style function), and drawing of that data onto any
//! plotters backend ([`chart`]). This module owns the figure model ([`Figure`]), the
//! embedded font and the SVG/PNG encoders; it does no I/O.
//!
//! Drawing is deterministic: the same figure gives byte-identical SVG and PNG.

mod axis;
pub mod chart;
pub mod comparison;
pub mod confusion;
pub mod importance;
pub mod pr;
pub mod roc;
pub mod study;
mod study_draw;
pub mod unsupervised;

use std::sync::OnceLock;

use plotters::prelude::*;

use crate::error::ReportError;
use crate::model::RunResults;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/DejaVuSans-LICENSE.txt`), embedded so
/// plots need no system font and no fontconfig.
static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// The font family name every plot uses (registered with plotters on first use).
pub const FONT_FAMILY: &str = "sans-serif";

/// Register the embedded font with plotters once per process (done by every drawing
/// entry point of this module).
pub fn ensure_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::plot(
            "font",
            "the embedded DejaVu Sans font could not be parsed",
        ))
    }
}

/// One named line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text (empty: no legend entry).
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Index into the palette.
    pub color: usize,
    pub dashed: bool,
    /// Draw a dot at every point (short curves such as an elbow).
    pub dots: bool,
}

/// A straight reference line across the plot, with a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub label: String,
    /// `true`: vertical line at x = `value`; `false`: horizontal line at y = `value`.
    pub vertical: bool,
    pub value: f64,
}

/// A labelled point (chosen k, knee).
#[derive(Debug, Clone, PartialEq)]
pub struct PointMark {
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendAt {
    UpperRight,
    LowerRight,
    UpperLeft,
    LowerLeft,
}

/// Lines on numeric axes (ROC, PR, elbow, k-distance, histograms as steps, loss).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    pub points: Vec<PointMark>,
    /// Fixed ranges (e.g. `[0, 1]` for ROC); `None`: fitted to the data with a margin.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub legend: LegendAt,
    /// x values are log10 of the quantity: tick labels show 10^x.
    pub x_log10: bool,
}

/// One horizontal bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Half-width of the error bar (a standard deviation).
    pub error: Option<f64>,
    /// Drawn in the highlight colour (the best model).
    pub highlight: bool,
    /// Text printed after the bar.
    pub value_text: String,
}

/// Horizontal bars, one per category, first bar on top.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub value_label: String,
    pub bars: Vec<Bar>,
    /// Log-10 value axis (for durations spanning several decades).
    pub log: bool,
    /// The values are scores on [0, 1] (F1, accuracy, AUC): when every bar lies there,
    /// the axis labels stop at 1 (the room beyond holds the value labels).
    pub unit_scores: bool,
}

/// A matrix of cells with row and column labels (confusion matrix, SOM U-matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub x_label: String,
    pub y_label: String,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    /// Row-major values in [0, 1], drive the colour.
    pub values: Vec<Vec<f64>>,
    /// Text printed in each cell (`None`: no annotations).
    pub annotations: Option<Vec<Vec<String>>>,
}

/// Points coloured by group (2-D PCA projection).
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    pub x_label: String,
    pub y_label: String,
    /// Group name and its points.
    pub groups: Vec<(String, Vec<(f64, f64)>)>,
    /// Fixed axis ranges (points outside are not drawn); `None`: fitted to the data.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

/// A critical-difference diagram (Demšar 2006), models already sorted by mean rank.
#[derive(Debug, Clone, PartialEq)]
pub struct CdDiagram {
    /// Model names, best mean rank first.
    pub names: Vec<String>,
    /// Mean ranks, ascending, parallel to `names`.
    pub ranks: Vec<f64>,
    pub critical_difference: f64,
    /// Number of models: the rank axis runs 1..=k.
    pub k: usize,
    /// Groups not significantly different: (first, last) positions in `names`.
    pub cliques: Vec<(usize, usize)>,
}

/// The five-number summary of one box of a box plot, with its outliers.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    pub name: String,
    /// Finite values summarised.
    pub n: usize,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub whisker_lo: f64,
    pub whisker_hi: f64,
    pub outliers: Vec<f64>,
}

/// Horizontal box plots, one per group, first box on top.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxChart {
    pub value_label: String,
    pub boxes: Vec<BoxStats>,
}

/// What a panel draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Lines(LineChart),
    Bars(BarChart),
    Heatmap(Heatmap),
    Scatter(Scatter),
    Cd(CdDiagram),
    Boxes(BoxChart),
}

/// One chart of a figure, with its own title.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub chart: Chart,
}

/// A figure: a title and one or more panels laid out on a grid (small multiples).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable slug: the file name in `plots/` and the HTML anchor.
    pub id: String,
    pub title: String,
    /// One sentence saying what is shown (alt text and caption).
    pub caption: String,
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Size of one panel in pixels.
    pub panel_size: (u32, u32),
}

impl Figure {
    /// A single-panel figure whose panel has no title of its own.
    pub fn single(
        id: String,
        title: String,
        caption: String,
        chart: Chart,
        size: (u32, u32),
    ) -> Self {
        Figure {
            id,
            title,
            caption,
            panels: vec![Panel {
                title: String::new(),
                chart,
            }],
            columns: 1,
            panel_size: size,
        }
    }

    /// Total size in pixels (panels plus the title band).
    pub fn size(&self) -> (u32, u32) {
        let cols = self.columns.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        (
            self.panel_size.0 * cols as u32,
            self.panel_size.1 * rows as u32 + chart::TITLE_BAND,
        )
    }
}

/// Where a figure belongs in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Model comparison and timing.
    Comparison,
    /// ROC and precision-recall.
    Curves,
    /// The run-level PCA projection.
    Projection,
    /// The section of a model name; the index of its best trial in `RunResults::trials`.
    Model(usize),
}

/// Every figure of a report with its place, in document order. Ids are unique (a model
/// name whose slug collides with an earlier one gets a numeric suffix).
pub fn figures(results: &RunResults) -> Vec<(Place, Figure)> {
    let mut out: Vec<(Place, Figure)> = Vec::new();
    out.extend(
        comparison::figures(results)
            .into_iter()
            .map(|f| (Place::Comparison, f)),
    );
    out.extend(roc::figure(results).map(|f| (Place::Curves, f)));
    out.extend(pr::figure(results).map(|f| (Place::Curves, f)));
    out.extend(unsupervised::projection_figure(results).map(|f| (Place::Projection, f)));
    for group in crate::rank::model_groups(results) {
        let trial = &results.trials[group.best];
        let place = Place::Model(group.best);
        out.extend(confusion::figure(results, trial).map(|f| (place, f)));
        out.extend(importance::figure(trial).map(|f| (place, f)));
        out.extend(
            unsupervised::trial_figures(results, trial)
                .into_iter()
                .map(|f| (place, f)),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (_, f) in &mut out {
        let base = f.id.clone();
        let mut n = 2;
        while !seen.insert(f.id.clone()) {
            f.id = format!("{base}-{n}");
            n += 1;
        }
    }
    out
}

/// Render a figure as an SVG document.
pub fn to_svg(fig: &Figure) -> Result<String, ReportError> {
    ensure_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, fig.size()).into_drawing_area();
        chart::draw_figure(&root, fig).map_err(|e| ReportError::plot(&fig.id, e))?;
        root.present().map_err(|e| ReportError::plot(&fig.id, e))?;
    }
    Ok(buf)
}

/// Render a figure as a PNG file (RGB, 8 bits).
pub fn to_png(fig: &Figure) -> Result<Vec<u8>, ReportError> {
    ensure_font()?;
    let (w, h) = fig.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        chart::draw_figure(&root, fig).map_err(|e| ReportError::plot(&fig.id, e))?;
        root.present().map_err(|e| ReportError::plot(&fig.id, e))?;
    }
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    image::ImageEncoder::write_image(encoder, &rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| ReportError::plot(&fig.id, e))?;
    Ok(out)
}

/// A colour-blind-friendly categorical palette (Okabe-Ito, then Tol muted).
pub(crate) const PALETTE: [(u8, u8, u8); 12] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (136, 34, 85),
    (68, 170, 153),
    (153, 153, 51),
    (51, 34, 136),
    (170, 68, 153),
    (0, 0, 0),
];

/// The palette colour for series `i` (wraps around).
pub fn palette(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}
