//! `report.html`: one self-contained page (inline CSS, inline SVG plots, no script, no
//! external request), readable in light and dark colour schemes.

use super::{Exporter, render_template};
use crate::error::ReportError;
use crate::view::ReportView;

/// The stylesheet, inlined in the page.
const CSS: &str = include_str!("../templates/style.css");

/// The self-contained HTML report.
pub struct HtmlReport;

impl Exporter for HtmlReport {
    fn file_name(&self) -> &str {
        "report.html"
    }

    fn render(&self, view: &ReportView) -> Result<Vec<u8>, ReportError> {
        render_template("report.html", view, minijinja::context! { css => CSS })
    }
}
