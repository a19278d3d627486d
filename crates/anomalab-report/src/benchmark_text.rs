//! The benchmark summary as Markdown and as a self-contained HTML page (the same tables).

use crate::benchmark::BenchmarkSummary;
use crate::plots::{self, Figure};

fn p_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// (heading, header cells, rows) of every table, shared by both formats.
type Table = (String, String, Vec<String>, Vec<Vec<String>>);

fn tables(s: &BenchmarkSummary) -> Vec<Table> {
    let mut out = Vec::new();
    let mut header = vec!["Dataset".to_string()];
    header.extend(s.models.iter().cloned());
    let rows = s
        .datasets
        .iter()
        .enumerate()
        .map(|(d, ds)| {
            let mut row = vec![ds.experiment.clone()];
            row.extend(
                (0..s.models.len()).map(|m| format!("{:.4} ({})", s.values[d][m], s.ranks[d][m])),
            );
            row
        })
        .collect::<Vec<_>>();
    let mut rows = rows;
    let mut mean = vec!["mean rank".to_string()];
    mean.extend(s.mean_ranks.iter().map(|r| format!("{r:.2}")));
    rows.push(mean);
    out.push((
        "Values and ranks".into(),
        format!(
            "{} of each model's best trial, mean over the repeats of each dataset, and its rank \
             on that dataset in brackets (1 = best, ties averaged); the last row is the mean rank.",
            s.metric
        ),
        header.clone(),
        rows,
    ));
    if let Some(n) = &s.nemenyi {
        let rows = s
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut row = vec![m.clone()];
                row.extend(n.p_values[i].iter().map(|p| p_text(*p)));
                row
            })
            .collect();
        let mut h = vec!["Model".to_string()];
        h.extend(s.models.iter().cloned());
        out.push((
            "Nemenyi post-hoc p-values".into(),
            format!(
                "Pairwise p-values of the Nemenyi test after Friedman (as scikit-posthocs' \
                 posthoc_nemenyi_friedman). Critical difference of mean ranks at alpha {}: \
                 {:.3} over {} datasets (Demšar 2006): two models whose mean ranks differ by \
                 less are not significantly different.",
                n.alpha, n.critical_difference, n.n_blocks
            ),
            h,
            rows,
        ));
    }
    let rows = s
        .wilcoxon
        .iter()
        .map(|w| {
            vec![
                w.a.clone(),
                w.b.clone(),
                format!("{}", w.statistic),
                p_text(w.p_value),
                p_text(w.p_holm),
                format!("{:+.2}", w.rank_biserial),
                w.method.clone(),
            ]
        })
        .collect();
    out.push((
        "Pairwise Wilcoxon signed-rank tests".into(),
        "Each pair of models over the datasets: the Wilcoxon signed-rank statistic, its \
         p-value (scipy's method choice), the Holm-adjusted p-value over all pairs, and the \
         matched-pairs rank-biserial correlation (positive: A better). With few datasets the \
         smallest attainable p-value is large (4 datasets: 0.125)."
            .into(),
        ["A", "B", "W", "p", "Holm p", "rank-biserial", "method"]
            .map(String::from)
            .to_vec(),
        rows,
    ));
    out
}

fn friedman_line(s: &BenchmarkSummary) -> String {
    match &s.friedman {
        Some(f) => format!(
            "Friedman test over {} datasets and {} models: chi-square = {:.4} ({} degrees of \
             freedom), p = {}.",
            s.datasets.len(),
            s.models.len(),
            f.statistic,
            f.df,
            p_text(f.p_value)
        ),
        None => "No Friedman test (see the notes).".into(),
    }
}

pub fn markdown(s: &BenchmarkSummary) -> String {
    let esc = |t: &str| t.replace('|', "\\|");
    let mut md = format!("# Benchmark {}\n\n{}\n\n", s.benchmark, s.description);
    md.push_str("| Dataset | Description | Split | Repeats |\n|---|---|---|---:|\n");
    for d in &s.datasets {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            d.experiment,
            esc(&d.description),
            d.split,
            d.repeats
        ));
    }
    md.push_str(&format!("\n{}\n", friedman_line(s)));
    md.push_str(&figures_markdown(&figures(s)));
    for (title, caption, header, rows) in tables(s) {
        md.push_str(&format!(
            "\n## {title}\n\n{caption}\n\n| {} |\n|",
            header.join(" | ")
        ));
        md.push_str(&"---|".repeat(header.len()));
        md.push('\n');
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
            md.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    if !s.notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for n in &s.notes {
            md.push_str(&format!("- {n}\n"));
        }
    }
    md
}

fn h(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn html(s: &BenchmarkSummary) -> String {
    let mut b = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Benchmark {0}</title>\
         <style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:3px 6px}}td.num{{text-align:right}}\
         .scroll{{overflow-x:auto}}figure svg{{max-width:100%;height:auto}}</style></head><body>\n<h1>Benchmark {0}</h1>\n<p>{1}</p>\n",
        h(&s.benchmark),
        h(&s.description)
    );
    b.push_str(
        "<table><tr><th>Dataset</th><th>Description</th><th>Split</th><th>Repeats</th></tr>\n",
    );
    for d in &s.datasets {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
            h(&d.experiment),
            h(&d.description),
            h(&d.split),
            d.repeats
        ));
    }
    b.push_str(&format!("</table>\n<p>{}</p>\n", h(&friedman_line(s))));
    b.push_str(&figures_html(&figures(s)));
    for (title, caption, header, rows) in tables(s) {
        b.push_str(&format!(
            "<section><h2>{}</h2><p>{}</p><div class=\"scroll\"><table><tr>",
            h(&title),
            h(&caption)
        ));
        for c in &header {
            b.push_str(&format!("<th>{}</th>", h(c)));
        }
        b.push_str("</tr>\n");
        for r in rows {
            b.push_str("<tr>");
            for c in r {
                b.push_str(&format!("<td>{}</td>", h(&c)));
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table></div></section>\n");
    }
    if !s.notes.is_empty() {
        b.push_str("<section><h2>Notes</h2><ul>");
        for n in &s.notes {
            b.push_str(&format!("<li>{}</li>", h(n)));
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</body></html>\n");
    b
}

/// The benchmark's figures: the critical-difference diagram (when the Nemenyi test ran)
/// and, per dataset, box plots of the metric over its repeats (when it has several).
pub fn figures(s: &BenchmarkSummary) -> Vec<Figure> {
    let mut out = Vec::new();
    if let Some(n) = &s.nemenyi {
        out.push(plots::study::cd_diagram(
            &s.models,
            &s.mean_ranks,
            n.critical_difference,
            n.n_blocks,
        ));
    }
    for (d, per_model) in s.datasets.iter().zip(&s.repeat_values) {
        if d.repeats < 2 {
            continue;
        }
        let groups: Vec<(String, Vec<f64>)> = s
            .models
            .iter()
            .cloned()
            .zip(per_model.iter().cloned())
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let title = format!("{}: {} over {} repeats", d.experiment, s.metric, d.repeats);
        let mut fig = plots::study::box_plot(&title, &s.metric, &groups);
        fig.id = format!("box-{}", crate::fmt::slug(&d.experiment));
        out.push(fig);
    }
    out
}

/// The figures as Markdown image links to `<id>.svg` (written beside the report).
fn figures_markdown(figs: &[Figure]) -> String {
    let mut md = String::new();
    if !figs.is_empty() {
        md.push_str("\n## Figures\n");
    }
    for f in figs {
        md.push_str(&format!(
            "\n![{}]({}.svg)\n\n{}\n",
            f.title, f.id, f.caption
        ));
    }
    md
}

/// The figures as inline SVG (a figure that cannot be drawn is named instead).
fn figures_html(figs: &[Figure]) -> String {
    let mut b = String::new();
    if !figs.is_empty() {
        b.push_str("<section><h2>Figures</h2>\n");
    }
    for f in figs {
        let svg = plots::to_svg(f).unwrap_or_else(|e| format!("<p>{}</p>", h(&e.to_string())));
        b.push_str(&format!(
            "<figure id=\"{}\" style=\"max-width:100%\">{}<figcaption><b>{}</b>. {}</figcaption></figure>\n",
            h(&f.id),
            svg,
            h(&f.title),
            h(&f.caption)
        ));
    }
    if !figs.is_empty() {
        b.push_str("</section>\n");
    }
    b
}
