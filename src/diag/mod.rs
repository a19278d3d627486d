//! Diagnostics shared by every part that reads YAML or names: a problem with its field
//! path and source position, rendered the way compilers do (file:line:col, the source line,
//! a caret under the value, a help line), "did you mean" suggestions, and the positioned
//! YAML tree ([`yaml`]). A leaf: it imports no other module of the crate.

use std::fmt;
use std::path::PathBuf;

pub mod yaml;

use yaml::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Field path such as `models[1].params.max_depth` (empty for the document itself).
    pub path: String,
    pub pos: Pos,
    pub message: String,
    pub help: Option<String>,
}

/// Every problem found in one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for SpecError {}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "invalid experiment spec {} ({n} problem{})",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        let lines: Vec<&str> = self.source.lines().collect();
        for d in &self.diagnostics {
            writeln!(f)?;
            writeln!(
                f,
                "  --> {}:{}:{}",
                self.file.display(),
                d.pos.line,
                d.pos.col
            )?;
            let label = if d.path.is_empty() {
                d.message.clone()
            } else {
                format!("{}: {}", d.path, d.message)
            };
            match lines.get(d.pos.line.wrapping_sub(1)) {
                Some(line) if d.pos.line > 0 => {
                    let num = d.pos.line.to_string();
                    let pad = " ".repeat(num.len());
                    let col = d.pos.col.saturating_sub(1).min(line.len());
                    let width = token_width(&line[col..]);
                    writeln!(f, "{pad} |")?;
                    writeln!(f, "{num} | {line}")?;
                    writeln!(
                        f,
                        "{pad} | {}{} {label}",
                        " ".repeat(line[..col].chars().count()),
                        "^".repeat(width)
                    )?;
                    if let Some(h) = &d.help {
                        writeln!(f, "{pad} = help: {h}")?;
                    }
                }
                _ => {
                    writeln!(f, "   = {label}")?;
                    if let Some(h) = &d.help {
                        writeln!(f, "   = help: {h}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Width of the token starting at `rest` (a quoted string, or up to a delimiter).
fn token_width(rest: &str) -> usize {
    let mut chars = rest.chars();
    match chars.next() {
        None => 1,
        Some(q @ ('"' | '\'')) => {
            let inner = chars.take_while(|&c| c != q).count();
            (inner + 2).min(rest.chars().count())
        }
        Some(_) => rest
            .chars()
            .take_while(|c| !matches!(c, ',' | ']' | '}' | '#') && !c.is_whitespace())
            .count()
            .max(1),
    }
}

/// The closest candidate to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase());
        if score > 0.8 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_source_line_and_caret() {
        let err = SpecError {
            file: PathBuf::from("exp.yaml"),
            source: "models:\n  - algorithm: knn\n    params: {max_depth: deep}\n".into(),
            diagnostics: vec![Diagnostic {
                path: "models[0].params.max_depth".into(),
                pos: Pos { line: 3, col: 25 },
                message: "expected an integer".into(),
                help: Some("use a number".into()),
            }],
        };
        let text = err.to_string();
        assert_eq!(
            text,
            "invalid experiment spec exp.yaml (1 problem)\n\n  --> exp.yaml:3:25\n  |\n3 |     params: {max_depth: deep}\n  |                         ^^^^ models[0].params.max_depth: expected an integer\n  = help: use a number\n"
        );
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let names = ["n_estimators", "max_depth", "min_samples_leaf"];
        assert_eq!(did_you_mean("n_estimator", names), Some("n_estimators"));
        assert_eq!(did_you_mean("max_dpeth", names), Some("max_depth"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
