//! `summary.md`: a short Markdown summary (leaderboard, best model's confusion matrix,
//! failures) sized for a pull-request comment; no images.

use super::{Exporter, render_template};
use crate::error::ReportError;
use crate::view::ReportView;

/// The pull-request-sized summary.
pub struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &str {
        "summary.md"
    }

    fn render(&self, view: &ReportView) -> Result<Vec<u8>, ReportError> {
        render_template("summary.md", view, minijinja::context! {})
    }
}
