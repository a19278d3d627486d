//! Everything rendered from the results model of a run (`results.json`, defined in
//! `anomalab-results`).
//!
//! The runner (root crate) fills a [`model::RunResults`] and writes it; every exporter here
//! reads only that model, so a report can be re-rendered from `results.json` alone:
//!
//! ```text
//! results.json --load_results--> RunResults --plots::figures--> [Figure] --to_svg/to_png--> plots/*
//!                                     \--view::ReportView::build--> ReportView --Exporter--> report.html,
//!                                                                      report.md, summary.md, results.csv, leaderboard.tex
//! ```
//!
//! [`render`] builds every file in memory first and only then writes them (each to a
//! temporary file renamed into place), so a failed render leaves the previous report intact.
//! Output is deterministic: the same results give byte-identical files.

pub mod benchmark;
pub mod benchmark_text;
pub mod compare;
pub mod error;
pub mod export;
pub mod fmt;
pub mod plots;
pub mod rank;
pub mod view;

use std::path::{Path, PathBuf};

/// The results model lives in `anomalab-results`; `model::` paths keep working.
pub use anomalab_results::model;

pub use error::ReportError;
pub use export::Exporter;
pub use model::RunResults;
pub use view::ReportView;

/// Image format of the plot files written next to the Markdown (the HTML always inlines SVG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlotFormat {
    /// Scalable, small, text searchable; rendered by GitHub and GitLab.
    #[default]
    Svg,
    /// Raster (for viewers that do not show SVG).
    Png,
}

impl PlotFormat {
    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PlotFormat::Svg => "svg",
            PlotFormat::Png => "png",
        }
    }
}

/// Options of [`render`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Format of `plots/*` (default SVG).
    pub plot_format: PlotFormat,
    /// Also write `report.context.json`, the view every template receives (for debugging
    /// templates; the CLI sets it from `ANOMALAB_DEBUG_REPORT`).
    pub debug_context: bool,
}

/// Read and parse a `results.json` with the results crate's one reader (format-version
/// check first; errors name the file and the JSON line and column).
pub fn load_results(path: &Path) -> Result<RunResults, ReportError> {
    Ok(anomalab_results::load_results(path)?)
}

/// Parse the text of a `results.json` (`path` is only used in error messages).
pub fn parse_results(text: &str, path: &Path) -> Result<RunResults, ReportError> {
    Ok(anomalab_results::parse_results(text, path)?)
}

/// Every file of a report as (path relative to the report directory, contents), in a
/// stable order. Pure: nothing is written.
pub fn render_files(
    results: &RunResults,
    opts: &RenderOptions,
) -> Result<Vec<(PathBuf, Vec<u8>)>, ReportError> {
    let figures = plots::figures(results);
    let svgs = figures
        .iter()
        .map(|(_, f)| plots::to_svg(f))
        .collect::<Result<Vec<_>, _>>()?;
    let ext = opts.plot_format.extension();
    let view = ReportView::build(results, &figures, &svgs, ext);
    let mut files = Vec::new();
    for exporter in export::all() {
        files.push((PathBuf::from(exporter.file_name()), exporter.render(&view)?));
    }
    for ((_, fig), svg) in figures.iter().zip(&svgs) {
        let bytes = match opts.plot_format {
            PlotFormat::Svg => svg.clone().into_bytes(),
            PlotFormat::Png => plots::to_png(fig)?,
        };
        files.push((Path::new("plots").join(format!("{}.{ext}", fig.id)), bytes));
    }
    if opts.debug_context {
        let json = serde_json::to_vec_pretty(&view).map_err(|e| ReportError::Template {
            template: "report.context.json".into(),
            message: e.to_string(),
        })?;
        files.push((PathBuf::from("report.context.json"), json));
    }
    Ok(files)
}

/// Render the report of `results` into `out_dir` (created if needed): `report.html`,
/// `report.md`, `summary.md`, `results.csv`, `leaderboard.tex` and `plots/*`. Returns the
/// paths written. Plot files of an earlier render that this one no longer produces are
/// removed, so the directory always matches the results.
pub fn render(
    results: &RunResults,
    out_dir: &Path,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    let files = render_files(results, opts)?;
    let plots_dir = out_dir.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(|e| ReportError::io("creating", &plots_dir, e))?;
    // Write everything to temporary names first; rename only once all writes succeeded.
    let mut staged = Vec::with_capacity(files.len());
    for (rel, bytes) in &files {
        let dest = out_dir.join(rel);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.anomalab-tmp"));
        if let Err(e) = std::fs::write(&tmp, bytes) {
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&tmp);
            return Err(ReportError::io("writing", tmp, e));
        }
        staged.push((tmp, dest));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, dest) in staged {
        std::fs::rename(&tmp, &dest).map_err(|e| ReportError::io("renaming", &tmp, e))?;
        written.push(dest);
    }
    // Remove stale plots (only our own kinds of file).
    if let Ok(entries) = std::fs::read_dir(&plots_dir) {
        let mut stale: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                matches!(p.extension().and_then(|e| e.to_str()), Some("svg" | "png"))
                    && !written.contains(p)
            })
            .collect();
        stale.sort();
        for p in stale {
            std::fs::remove_file(&p).map_err(|e| ReportError::io("removing stale plot", &p, e))?;
        }
    }
    Ok(written)
}
