//! `anomalab predict`: score a CSV with a saved model.
//!
//! The input must have exactly the columns the model was trained with (any order). Missing
//! columns and unexpected extra columns are both refused, naming each one, because a
//! silently ignored or misnamed column is how wrong predictions reach production. The
//! training label column, if present, is ignored; other extras can be ignored explicitly
//! with `--ignore`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::data::{ReadOptions, read_file};
use crate::exit;
use crate::models::Fitted;
use crate::persist;

pub fn run(
    model_path: &Path,
    input: &Path,
    output: Option<&Path>,
    ignore: &[String],
) -> Result<i32> {
    let saved = persist::load(model_path)?;
    let h = &saved.header;
    if let Fitted::Clusterer(_) = &saved.model
        && h.cluster_classes.is_none()
    {
        bail!(
            "{}: this clusterer model has no cluster-to-class mapping",
            model_path.display()
        );
    }
    let categorical: Vec<String> = h
        .input_columns
        .iter()
        .filter(|c| c.categorical)
        .map(|c| c.name.clone())
        .collect();
    let file = read_file(
        input,
        &ReadOptions {
            categorical,
            ..Default::default()
        },
    )?;
    let have: Vec<String> = file.table.names();
    let expected: Vec<&str> = h.input_columns.iter().map(|c| c.name.as_str()).collect();
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|e| !have.iter().any(|h| h == e))
        .collect();
    let mut ignored = Vec::new();
    let extra: Vec<&str> = have
        .iter()
        .map(String::as_str)
        .filter(|c| !expected.contains(c))
        .filter(|c| {
            let skip =
                ignore.iter().any(|i| i == c) || h.non_feature_columns.iter().any(|n| n == c);
            if skip {
                ignored.push(c.to_string());
            }
            !skip
        })
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut msg = format!(
            "{}: the columns do not match the model {} ({} input columns)",
            input.display(),
            model_path.display(),
            expected.len()
        );
        if !missing.is_empty() {
            let _ = write!(msg, "\n  missing: {}", quote(&missing));
        }
        if !extra.is_empty() {
            let _ = write!(msg, "\n  unexpected: {}", quote(&extra));
            let _ = write!(
                msg,
                "\n  = help: pass --ignore COLUMN for each extra column that should be ignored"
            );
        }
        eprintln!("error: {msg}");
        return Ok(exit::ERROR);
    }
    let (x, stats) = saved
        .pipeline
        .transform(&file.table)
        .with_context(|| format!("preprocessing {}", input.display()))?;
    for (col, n) in &stats.unseen_categories {
        eprintln!(
            "warning: {n} row(s) have a `{col}` category the model never saw (encoded as all zeros)"
        );
    }
    let mut out = String::new();
    match &saved.model {
        Fitted::Classifier(m) => {
            let scores = m.scores(x.view());
            let pred = anomalab_learn::traits::argmax_rows(&scores);
            let kind = if m.scores_are_probabilities() {
                "p"
            } else {
                "score"
            };
            let _ = write!(out, "row,prediction");
            for c in &h.class_names {
                let _ = write!(out, ",{kind}_{}", csv_field(c));
            }
            out.push('\n');
            for (i, row) in scores.rows().into_iter().enumerate() {
                let _ = write!(
                    out,
                    "{},{}",
                    i + 1,
                    csv_field(&h.class_names[pred[i] as usize])
                );
                for v in row {
                    let _ = write!(out, ",{v}");
                }
                out.push('\n');
            }
        }
        Fitted::Detector(d) => {
            let thr = h.threshold.unwrap_or(f64::INFINITY);
            out.push_str("row,prediction,anomaly_score,threshold\n");
            for (i, s) in d.score(x.view()).into_iter().enumerate() {
                let label = if s > thr { "attack" } else { "normal" };
                let _ = writeln!(out, "{},{label},{s},{thr}", i + 1);
            }
        }
        Fitted::Clusterer(c) => {
            let classes = h.cluster_classes.clone().unwrap_or_default();
            out.push_str("row,prediction,cluster,anomaly_score\n");
            let assigned = c.assign(x.view());
            let scores = c.score(x.view());
            for (i, (k, s)) in assigned.into_iter().zip(scores).enumerate() {
                let class = classes
                    .get(k)
                    .map_or("?", |&ci| h.class_names[ci as usize].as_str());
                let _ = writeln!(out, "{},{},{k},{s}", i + 1, csv_field(class));
            }
        }
    }
    match output {
        Some(p) => {
            crate::fsutil::write_atomic(p, out.as_bytes())
                .with_context(|| format!("writing {}", p.display()))?;
            eprintln!("scored {} row(s) -> {}", x.nrows(), p.display());
        }
        None => crate::cli::print_out(&out)?,
    }
    if !ignored.is_empty() {
        eprintln!(
            "note: ignored column(s) {}",
            quote(&ignored.iter().map(String::as_str).collect::<Vec<_>>())
        );
    }
    Ok(exit::OK)
}

fn quote(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
