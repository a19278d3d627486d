//! `results.csv`: one row per trial (id, model, algorithm, backend, role, params, status,
//! mean and std of every metric, fit/predict seconds, error), RFC 4180 quoting.

use super::Exporter;
use crate::error::ReportError;
use crate::view::ReportView;

/// The per-trial CSV export.
pub struct CsvResults;

/// Quote a field when it contains a comma, quote, or line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn line(fields: &[String]) -> String {
    let mut l = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    l.push('\n');
    l
}

impl Exporter for CsvResults {
    fn file_name(&self) -> &str {
        "results.csv"
    }

    fn render(&self, view: &ReportView) -> Result<Vec<u8>, ReportError> {
        let mut out = line(&view.csv_header);
        for row in &view.csv_rows {
            out.push_str(&line(row));
        }
        Ok(out.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
    }
}
