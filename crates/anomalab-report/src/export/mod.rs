//! Exporters: one type per output format, each turning a [`ReportView`] into the bytes of
//! one file (hyperfine's `Exporter` pattern). Template-based formats share one minijinja
//! environment with strict undefined behaviour, so a misspelt variable is an error, never
//! an empty string.

pub mod csv;
mod html;
mod latex;
mod markdown;
mod summary;

pub use csv::CsvResults;
pub use html::HtmlReport;
pub use latex::LatexLeaderboard;
pub use markdown::MarkdownReport;
pub use summary::SummaryMarkdown;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::ReportError;
use crate::view::ReportView;

/// One output file rendered from the view.
pub trait Exporter {
    /// The file name inside the report directory (`report.md`, ...).
    fn file_name(&self) -> &str;
    /// The complete file contents.
    fn render(&self, view: &ReportView) -> Result<Vec<u8>, ReportError>;
}

/// Every exporter, in the order files are written.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(HtmlReport),
        Box::new(MarkdownReport),
        Box::new(SummaryMarkdown),
        Box::new(CsvResults),
        Box::new(LatexLeaderboard),
    ]
}

/// Escape text for Markdown (inline and table cells): characters that start markup or
/// split a table cell are backslash-escaped, HTML brackets become entities, and line
/// breaks become spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The template environment: templates embedded in the binary, strict undefined
/// behaviour, HTML auto-escaping for `.html` templates only.
pub fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("md", |s: String| escape_markdown(&s));
    env.add_template("report.md", include_str!("../templates/report.md.j2"))?;
    env.add_template("summary.md", include_str!("../templates/summary.md.j2"))?;
    env.add_template("report.html", include_str!("../templates/report.html.j2"))?;
    Ok(env)
}

/// Render a named template with the view (plus `extra`, e.g. the CSS) as context.
pub(crate) fn render_template(
    name: &str,
    view: &ReportView,
    extra: minijinja::Value,
) -> Result<Vec<u8>, ReportError> {
    let env = environment()?;
    let tmpl = env.get_template(name)?;
    let ctx =
        minijinja::context! { ..minijinja::Value::from(minijinja::value::Serde(view)), ..extra };
    Ok(tmpl.render(ctx)?.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping() {
        assert_eq!(escape_markdown("a|b*c"), "a\\|b\\*c");
        assert_eq!(escape_markdown("<script>"), "&lt;script&gt;");
        assert_eq!(escape_markdown("line\nbreak"), "line break");
        assert_eq!(escape_markdown("random_forest"), "random_forest");
    }
}
