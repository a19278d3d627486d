//! `anomalab predict`: a file in (read as the model's training source reads its files, see
//! [`crate::score::InputFormat`]), the scoring core, CSV out.

use std::fmt::Write as _;

use anomalab_report::export::csv::csv_field;

use super::args::PredictArgs;
use super::error::{CliError, Status};
use super::output::print_out;
use crate::score::{ClassScoreKind, Predictions, Scorer, plan::quote_names};

pub fn run(args: PredictArgs) -> Result<Status, CliError> {
    let scorer = Scorer::load(&args.model)?;
    let file = scorer.read_input(&args.input, args.input_format.into())?;
    for note in &file.notes {
        eprintln!("note: {note}");
    }
    let input = args.input.display().to_string();
    let scored = scorer.score_table(&input, &file.table, &args.ignore)?;
    for (col, n) in &scored.stats.unseen_categories {
        eprintln!(
            "warning: {n} row(s) have a `{col}` category the model never saw (encoded as all zeros)"
        );
    }
    let out = predictions_csv(&scored.predictions);
    match &args.output {
        Some(p) => {
            crate::fsutil::write_atomic(p, out.as_bytes()).map_err(|e| CliError::write(p, e))?;
            eprintln!(
                "scored {} row(s) -> {}",
                scored.predictions.len(),
                p.display()
            );
        }
        None => print_out(&out).map_err(CliError::Stdout)?,
    }
    if !scored.ignored.is_empty() {
        eprintln!("note: ignored column(s) {}", quote_names(&scored.ignored));
    }
    Ok(Status::Ok)
}

/// The predictions as CSV: `row` (from 1), `prediction`, then per kind of model the
/// class scores (`p_<class>` or `score_<class>`), the anomaly score and threshold, or the
/// cluster and its anomaly score.
pub fn predictions_csv(predictions: &Predictions) -> String {
    let mut out = String::new();
    match predictions {
        Predictions::Classes(c) => {
            let kind = match c.score_kind {
                ClassScoreKind::Probability => "p",
                ClassScoreKind::Score => "score",
            };
            out.push_str("row,prediction");
            for name in &c.class_names {
                let _ = write!(out, ",{kind}_{}", csv_field(name));
            }
            out.push('\n');
            for (i, row) in c.scores.rows().into_iter().enumerate() {
                let class = &c.class_names[c.predicted[i] as usize];
                let _ = write!(out, "{},{}", i + 1, csv_field(class));
                for v in row {
                    let _ = write!(out, ",{v}");
                }
                out.push('\n');
            }
        }
        Predictions::Anomalies(a) => {
            out.push_str("row,prediction,anomaly_score,threshold\n");
            for (i, s) in a.scores.iter().enumerate() {
                let label = if a.is_anomaly(i) { "attack" } else { "normal" };
                let _ = writeln!(out, "{},{label},{s},{}", i + 1, a.threshold);
            }
        }
        Predictions::Clusters(c) => {
            out.push_str("row,prediction,cluster,anomaly_score\n");
            for (i, (k, s)) in c.clusters.iter().zip(&c.scores).enumerate() {
                let class = c.class_name(i).unwrap_or("?");
                let _ = writeln!(out, "{},{},{k},{s}", i + 1, csv_field(class));
            }
        }
    }
    out
}
