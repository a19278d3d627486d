//! `report.md`: the full report as Markdown, with the plots as files in `plots/` so it
//! renders on GitHub and GitLab.

use super::{Exporter, render_template};
use crate::error::ReportError;
use crate::view::ReportView;

/// The full Markdown report.
pub struct MarkdownReport;

impl Exporter for MarkdownReport {
    fn file_name(&self) -> &str {
        "report.md"
    }

    fn render(&self, view: &ReportView) -> Result<Vec<u8>, ReportError> {
        render_template("report.md", view, minijinja::context! {})
    }
}
