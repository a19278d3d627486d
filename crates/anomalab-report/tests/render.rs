//! Rendering the fixtures: Markdown/CSV/LaTeX snapshots, well-formed plots with the
//! expected titles, axis labels and series, determinism, PNG output, loader errors and
//! strict templates. `UPDATE_SNAPSHOTS=1` rewrites `tests/snapshots/`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anomalab_report::model::{RunResults, TrialStatus};
use anomalab_report::{PlotFormat, RenderOptions, render};
use quick_xml::events::Event;

fn render_to(results: &RunResults, opts: &RenderOptions) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let written = render(results, dir.path(), opts).expect("render succeeds");
    (dir, written)
}

/// Text of every `<text>` element, and the root `<svg>` size, of a well-formed SVG.
fn svg_texts(path: &Path) -> (Vec<String>, (u32, u32)) {
    let src = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&src);
    let mut texts = Vec::new();
    let mut in_text = false;
    let mut size = (0, 0);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Err(e) => panic!("{} is not well-formed XML: {e}", path.display()),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                if e.name().as_ref() == b"svg" {
                    let attr = |n: &[u8]| -> u32 {
                        let a = e
                            .try_get_attribute(n)
                            .unwrap()
                            .expect("svg has width and height");
                        String::from_utf8(a.value.to_vec())
                            .unwrap()
                            .parse()
                            .unwrap()
                    };
                    size = (attr(b"width"), attr(b"height"));
                }
                if e.name().as_ref() == b"text" {
                    in_text = true;
                    texts.push(String::new());
                }
            }
            Ok(Event::End(e)) => {
                depth -= 1;
                if e.name().as_ref() == b"text" {
                    in_text = false;
                }
            }
            Ok(Event::Text(t)) if in_text => {
                let s = t.decode().unwrap();
                let s = quick_xml::escape::unescape(&s).unwrap().into_owned();
                texts.last_mut().unwrap().push_str(&s);
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                let name = String::from_utf8(r.to_vec()).unwrap();
                let ch = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                texts.last_mut().unwrap().push_str(ch);
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{}: unbalanced tags", path.display());
    (texts.iter().map(|t| t.trim().to_string()).collect(), size)
}

fn contains(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t == needle)
}

fn count_containing(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

fn check_snapshot(fixture: &str, dir: &Path, file: &str) {
    let got = std::fs::read_to_string(dir.join(file)).unwrap();
    let snap = common::crate_dir()
        .join("tests/snapshots")
        .join(fixture)
        .join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&snap)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 creates it)", snap.display()));
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{fixture}/{file} differs from {} at line {}:\n  got:  {:?}\n  want: {:?}\n(UPDATE_SNAPSHOTS=1 rewrites it after review)",
            snap.display(),
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn every_fixture_matches_its_snapshots() {
    for name in common::FIXTURES {
        let (dir, _) = render_to(&common::load(name), &RenderOptions::default());
        for file in ["report.md", "summary.md", "results.csv", "leaderboard.tex"] {
            check_snapshot(name, dir.path(), file);
        }
    }
}

#[test]
fn writes_exactly_the_expected_files() {
    let expect: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        (
            "binary",
            vec![
                "confusion-logistic-regression",
                "confusion-naive-bayes",
                "confusion-random-forest",
                "importance-random-forest",
                "model-comparison",
                "precision-recall",
                "roc",
                "timing",
            ],
        ),
        (
            "multiclass",
            vec![
                "confusion-gbdt",
                "confusion-mlp",
                "confusion-random-forest",
                "importance-gbdt",
                "importance-random-forest",
                "loss-mlp",
                "model-comparison",
                "precision-recall",
                "roc",
                "timing",
            ],
        ),
        (
            "unsupervised",
            vec![
                "confusion-isolation-forest",
                "confusion-som",
                "elbow-kmeans",
                "gmm-criteria-gmm",
                "k-distance-dbscan",
                "loss-som",
                "model-comparison",
                "pca-classes",
                "pca-clusters-dbscan",
                "pca-clusters-kmeans",
                "precision-recall",
                "roc",
                "scores-isolation-forest",
                "scores-som",
                "timing",
                "u-matrix-som",
            ],
        ),
    ]);
    for (name, plots) in expect {
        let (dir, written) = render_to(&common::load(name), &RenderOptions::default());
        let mut want: Vec<PathBuf> = [
            "leaderboard.tex",
            "report.html",
            "report.md",
            "results.csv",
            "summary.md",
        ]
        .iter()
        .map(PathBuf::from)
        .chain(
            plots
                .iter()
                .map(|p| Path::new("plots").join(format!("{p}.svg"))),
        )
        .collect();
        want.sort();
        assert_eq!(common::list_files(dir.path()), want, "{name}");
        let mut got: Vec<PathBuf> = written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        got.sort();
        assert_eq!(got, want, "{name}: returned paths");
        for p in plots {
            let (texts, size) = svg_texts(&dir.path().join("plots").join(format!("{p}.svg")));
            assert!(size.0 >= 400 && size.1 >= 200, "{name}/{p}: size {size:?}");
            assert!(!texts.is_empty(), "{name}/{p}: no text");
        }
    }
}

#[test]
fn binary_plots_have_titles_axes_and_one_series_per_model() {
    let results = common::load("binary");
    let (dir, _) = render_to(&results, &RenderOptions::default());
    let plots = dir.path().join("plots");
    // Three model names (random_forest with two grid points counts once: its best trial).
    let (roc, _) = svg_texts(&plots.join("roc.svg"));
    assert!(contains(&roc, "ROC curves"));
    assert!(contains(&roc, "False positive rate"));
    assert!(contains(&roc, "True positive rate"));
    assert!(contains(&roc, "positive class: attack"));
    assert_eq!(count_containing(&roc, "(AUC = "), 3, "{roc:?}");
    // Legend AUC is the first fold's value from the fixture, 3 decimals.
    let rf = results.trials.iter().find(|t| t.id == 0).unwrap();
    let auc = rf.folds[0].curves[0].roc_auc.unwrap();
    assert!(
        contains(&roc, &format!("random_forest (AUC = {auc:.3})")),
        "{roc:?}"
    );

    let (pr, _) = svg_texts(&plots.join("precision-recall.svg"));
    assert!(contains(&pr, "Recall") && contains(&pr, "Precision"));
    assert_eq!(count_containing(&pr, "(AP = "), 3);
    // Chance line at the prevalence of "attack" in fold 1: support(attack) / rows.
    let f = &rf.folds[0];
    let prev =
        f.per_class[1].support as f64 / (f.per_class[0].support + f.per_class[1].support) as f64;
    assert!(
        contains(&pr, &format!("chance (prevalence {prev:.3})")),
        "{pr:?}"
    );

    let (cmp, _) = svg_texts(&plots.join("model-comparison.svg"));
    assert!(contains(&cmp, "Model comparison: f1_macro"));
    assert!(contains(&cmp, "f1_macro (mean ± std over folds)"));
    // One bar label per successful trial (4).
    for t in &results.trials {
        assert!(contains(&cmp, &t.label), "missing bar {}", t.label);
    }
    let (conf, _) = svg_texts(&plots.join("confusion-random-forest.svg"));
    assert!(contains(&conf, "Predicted") && contains(&conf, "True"));
    // Counts summed over both folds, e.g. true normal predicted normal.
    let tn: u64 = rf.folds.iter().map(|f| f.confusion[0][0]).sum();
    assert!(
        contains(&conf, &anomalab_report::fmt::count(tn)),
        "{tn} not in {conf:?}"
    );

    let (imp, _) = svg_texts(&plots.join("importance-random-forest.svg"));
    assert!(contains(&imp, "importance (normalised)"));
    assert!(contains(&imp, "src_bytes"));
}

#[test]
fn multiclass_roc_has_one_panel_per_class() {
    let (dir, _) = render_to(&common::load("multiclass"), &RenderOptions::default());
    let (roc, _) = svg_texts(&dir.path().join("plots/roc.svg"));
    for class in ["normal", "dos", "probe", "r2l", "u2r"] {
        assert!(contains(&roc, &format!("{class} vs rest")), "{class}");
    }
    // 3 successful model names x 5 classes; the failed knn has no curve.
    assert_eq!(count_containing(&roc, "(AUC = "), 15);
    assert_eq!(count_containing(&roc, "knn"), 0);
    let (loss, _) = svg_texts(&dir.path().join("plots/loss-mlp.svg"));
    assert!(contains(&loss, "train") && contains(&loss, "validation") && contains(&loss, "epoch"));
}

#[test]
fn unsupervised_plots_mark_the_chosen_values() {
    let results = common::load("unsupervised");
    let (dir, _) = render_to(&results, &RenderOptions::default());
    let p = dir.path().join("plots");
    let (elbow, _) = svg_texts(&p.join("elbow-kmeans.svg"));
    assert!(contains(&elbow, "elbow: inertia vs k") && contains(&elbow, "silhouette vs k"));
    assert_eq!(count_containing(&elbow, "chosen k = 3"), 2);
    let (gmm, _) = svg_texts(&p.join("gmm-criteria-gmm.svg"));
    // Fixture BIC(c) = 14200 - 2600 (1 - exp(-(c - 1) / 1.1)) + 95 c: 12150.0 at c = 4,
    // 12143.5 at c = 5, 12197.6 at c = 6, so the BIC minimum (chosen count) is 5.
    assert!(
        contains(&gmm, "BIC") && contains(&gmm, "AIC") && contains(&gmm, "chosen = 5"),
        "{gmm:?}"
    );
    let (kd, _) = svg_texts(&p.join("k-distance-dbscan.svg"));
    let eps = results.trials[4].folds[0]
        .diagnostics
        .k_distance
        .as_ref()
        .unwrap()
        .eps;
    assert!(
        contains(
            &kd,
            &format!("knee: eps = {}", anomalab_report::plots::chart::tick(eps))
        ),
        "{kd:?}"
    );
    assert!(contains(
        &kd,
        "rows sorted by that distance (DBSCAN ran on 20,000 of 82,332 rows)"
    ));
    let (scores, _) = svg_texts(&p.join("scores-isolation-forest.svg"));
    // 900 normal and 100 attack test rows in the holdout fold.
    assert!(
        contains(&scores, "normal (900 rows)") && contains(&scores, "attack (100 rows)"),
        "{scores:?}"
    );
    assert_eq!(count_containing(&scores, "threshold = "), 1);
    let (u, _) = svg_texts(&p.join("u-matrix-som.svg"));
    assert!(contains(&u, "SOM U-matrix (8 x 10)"));
    let (pca, _) = svg_texts(&p.join("pca-classes.svg"));
    assert!(contains(&pca, "PC1 (41.2% of variance)") && contains(&pca, "PC2 (18.3% of variance)"));
    let (pcc, _) = svg_texts(&p.join("pca-clusters-dbscan.svg"));
    assert!(contains(&pcc, "cluster 0") && contains(&pcc, "noise"));
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    for name in common::FIXTURES {
        let results = common::load(name);
        let (a, _) = render_to(&results, &RenderOptions::default());
        let (b, _) = render_to(&results, &RenderOptions::default());
        let files = common::list_files(a.path());
        assert_eq!(files, common::list_files(b.path()));
        for f in files {
            assert!(
                std::fs::read(a.path().join(&f)).unwrap()
                    == std::fs::read(b.path().join(&f)).unwrap(),
                "{name}/{} differs between two renders",
                f.display()
            );
        }
        // Re-rendering into the same directory keeps it identical and leaves no temp files.
        render(&results, a.path(), &RenderOptions::default()).unwrap();
        assert_eq!(common::list_files(a.path()), common::list_files(b.path()));
    }
}

#[test]
fn png_plots_have_a_valid_header_and_the_figure_size() {
    let results = common::load("binary");
    let opts = RenderOptions {
        plot_format: PlotFormat::Png,
        debug_context: false,
    };
    let (dir, _) = render_to(&results, &opts);
    let figures = anomalab_report::plots::figures(&results);
    assert_eq!(figures.len(), 8);
    for (_, fig) in &figures {
        let bytes =
            std::fs::read(dir.path().join("plots").join(format!("{}.png", fig.id))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", fig.id);
        assert_eq!(&bytes[12..16], b"IHDR");
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((w, h), fig.size(), "{}", fig.id);
    }
    // The Markdown links the PNG files; no SVG file is written.
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("](plots/roc.png)"));
    assert!(
        !common::list_files(dir.path())
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "svg"))
    );
    // Switching back to SVG removes the stale PNG files.
    render(&results, dir.path(), &RenderOptions::default()).unwrap();
    assert!(
        !common::list_files(dir.path())
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "png"))
    );
}

#[test]
fn leaderboard_order_and_numbers_come_from_the_fold_metrics() {
    let results = common::load("binary");
    let (dir, _) = render_to(&results, &RenderOptions::default());
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    // Expected order and mean ± population std recomputed here from the per-fold values.
    let mut rows: Vec<(f64, f64, &str)> = results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Ok)
        .map(|t| {
            let v: Vec<f64> = t.folds.iter().map(|f| f.metrics["f1_macro"]).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            (m, s, t.label.as_str())
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut last = 0;
    for (i, (m, s, label)) in rows.iter().enumerate() {
        let cell = format!("{m:.4} ± {s:.4}");
        let line = summary
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", i + 1)))
            .unwrap_or_else(|| panic!("no rank {} in\n{summary}", i + 1));
        assert!(
            line.contains(label) && line.contains(&cell),
            "rank {}: {line} (want {label}, {cell})",
            i + 1
        );
        let pos = summary.find(line).unwrap();
        assert!(pos > last);
        last = pos;
    }
    assert!(summary.contains(&format!("★ **{}**", rows[0].2)));
    // The best model's confusion matrix is the sum of its two folds.
    let best = results
        .trials
        .iter()
        .find(|t| t.label == rows[0].2)
        .unwrap();
    let c = |i: usize, j: usize| {
        anomalab_report::fmt::count(best.folds.iter().map(|f| f.confusion[i][j]).sum())
    };
    assert!(
        summary.contains(&format!("| **normal** | {} | {} |", c(0, 0), c(0, 1))),
        "{summary}"
    );
    assert!(summary.contains(&format!("| **attack** | {} | {} |", c(1, 0), c(1, 1))));
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + results.trials.len());
    assert!(
        csv.starts_with(
            "id,model,algorithm,backend,role,params,status,f1_macro_mean,f1_macro_std,"
        )
    );
}

#[test]
fn failed_trials_are_reported_with_their_error() {
    let results = common::load("multiclass");
    let (dir, _) = render_to(&results, &RenderOptions::default());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let err = results.trials[2].error.as_deref().unwrap();
    assert!(md.contains("## Failed trials"));
    assert!(md.contains(&anomalab_report::export::escape_markdown(err)));
    assert!(html.contains("id=\"failed-trials\""));
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let knn = csv.lines().find(|l| l.starts_with("2,knn,")).unwrap();
    assert!(
        knn.contains(",failed,") && knn.ends_with(&format!("\"{err}\"")),
        "{knn}"
    );
    let tex = std::fs::read_to_string(dir.path().join("leaderboard.tex")).unwrap();
    assert!(
        !tex.contains("knn"),
        "failed trials are not in the leaderboard"
    );
    assert!(tex.contains("\\toprule") && tex.contains("random\\_forest\\#0"));
}

#[test]
fn html_is_self_contained() {
    for name in common::FIXTURES {
        let (dir, _) = render_to(&common::load(name), &RenderOptions::default());
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        for bad in [
            "<script",
            "<link",
            "<img",
            "src=",
            "@import",
            "url(",
            "href=\"http",
        ] {
            assert!(!html.contains(bad), "{name}: report.html contains {bad}");
        }
        assert!(html.contains("prefers-color-scheme: dark"));
        // Every plot is inlined.
        let n = anomalab_report::plots::figures(&common::load(name)).len();
        assert_eq!(html.matches("<svg ").count(), n, "{name}");
        // Every table-of-contents link has its target.
        for anchor in html
            .split("href=\"#")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
        {
            assert!(
                html.contains(&format!("id=\"{anchor}\"")),
                "{name}: no target for #{anchor}"
            );
        }
    }
}

#[test]
fn synthetic_data_is_flagged_prominently() {
    let (dir, _) = render_to(&common::load("binary"), &RenderOptions::default());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let first = md.find("> **Synthetic data.**").expect("synthetic note");
    assert!(
        first < md.find("## Contents").unwrap(),
        "the note comes before the contents"
    );
    let (dir, _) = render_to(&common::load("multiclass"), &RenderOptions::default());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(!md.contains("Synthetic data"));
}

#[test]
fn load_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("results.json");
    std::fs::write(&p, "{\n  \"format_version\": 1,\n  \"experiment\": 12\n}\n").unwrap();
    let e = anomalab_report::load_results(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("invalid results file {}:3:", p.display())),
        "{e}"
    );
    assert!(e.contains("expected a string"), "{e}");
    std::fs::write(&p, "{\"format_version\": 99}").unwrap();
    let e = anomalab_report::load_results(&p).unwrap_err().to_string();
    assert!(e.contains("format version 99"), "{e}");
    let e = anomalab_report::load_results(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("reading ") && e.contains("missing.json"),
        "{e}"
    );
}

#[test]
fn templates_are_strict_about_undefined_variables() {
    let results = common::load("binary");
    let figures = anomalab_report::plots::figures(&results);
    let view = anomalab_report::ReportView::build(
        &results,
        &figures,
        &vec![String::new(); figures.len()],
        "svg",
    );
    let mut env = anomalab_report::export::environment().unwrap();
    env.add_template("misspelt", "{{ experimnt }}").unwrap();
    let err = env
        .get_template("misspelt")
        .unwrap()
        .render(minijinja::Value::from(minijinja::value::Serde(&view)))
        .unwrap_err();
    assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
    env.add_template("right", "{{ experiment }}").unwrap();
    assert_eq!(
        env.get_template("right")
            .unwrap()
            .render(minijinja::Value::from(minijinja::value::Serde(&view)))
            .unwrap(),
        "binary_demo"
    );
}

#[test]
fn degenerate_results_render_without_panicking() {
    // No trials at all, a run still in progress.
    let mut empty = common::load("binary");
    empty.trials.clear();
    empty.best = None;
    empty.status = anomalab_report::model::RunStatus::Running;
    let (dir, _) = render_to(&empty, &RenderOptions::default());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("> **Partial report.**"));
    assert!(md.contains("| best | (no successful trial): f1_macro = n/a |"));
    assert!(common::list_files(&dir.path().join("plots")).is_empty());

    // Every trial failed.
    let mut failed = common::load("multiclass");
    for t in &mut failed.trials {
        t.status = TrialStatus::Failed;
        t.error = Some("boom | with a pipe\nand a newline".into());
    }
    failed.best = None;
    let (dir, _) = render_to(&failed, &RenderOptions::default());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("| 0 | random_forest#0 | boom \\| with a pipe and a newline |"),
        "{md}"
    );

    // Non-finite numbers, a ragged confusion matrix, curves with a single point, a
    // projection class index beyond the class names and an empty histogram.
    let mut odd = common::load("unsupervised");
    let t = &mut odd.trials[0];
    t.mean.insert("roc_auc".into(), f64::NAN);
    t.std.insert("roc_auc".into(), f64::INFINITY);
    t.timing.fit_seconds_mean = f64::NAN;
    t.folds[0].confusion = vec![vec![1, 2, 3], vec![4]];
    t.folds[0].curves[0].roc = vec![(0.5, f64::NAN)];
    t.folds[0].curves[0].pr = vec![(f64::INFINITY, 0.5)];
    t.folds[0]
        .diagnostics
        .score_histogram
        .as_mut()
        .unwrap()
        .edges
        .clear();
    odd.projection
        .as_mut()
        .unwrap()
        .points
        .push((f64::NAN, 1.0, 7));
    odd.trials[1].folds[0]
        .diagnostics
        .u_matrix
        .as_mut()
        .unwrap()
        .values
        .pop();
    for format in [PlotFormat::Svg, PlotFormat::Png] {
        let opts = RenderOptions {
            plot_format: format,
            debug_context: true,
        };
        let (dir, _) = render_to(&odd, &opts);
        assert!(dir.path().join("report.context.json").exists());
        let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
        assert!(csv.lines().nth(1).unwrap().starts_with("0,isolation_forest,isolation_forest,native,detector,contamination=0.1;n_trees=100,ok,nan,inf,"));
    }
}

#[test]
fn study_figures_render_every_label_deterministically() {
    use anomalab_report::plots::{self, study};
    let names: Vec<String> = [
        "gradient_boosting",
        "xgboost",
        "random_forest",
        "decision_tree",
        "logistic_regression",
        "naive_bayes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let ranks = [1.75, 1.5, 2.75, 4.0, 4.75, 6.0];
    let cd = study::cd_diagram(&names, &ranks, 1.25, 4);
    let groups: Vec<(String, Vec<f64>)> = vec![
        ("xgboost".into(), vec![0.861, 0.866, 0.858, 0.871, 0.864]),
        (
            "gradient_boosting".into(),
            vec![0.859, 0.868, 0.862, 0.869, 0.83],
        ),
        (
            "random_forest".into(),
            vec![0.85, 0.852, 0.849, 0.857, 0.851],
        ),
    ];
    let bx = study::box_plot("F1 macro over repeats", "f1_macro", &groups);
    let dir = tempfile::tempdir().unwrap();
    let out = std::env::var_os("ANOMALAB_STUDY_PNG_DIR").map(PathBuf::from);
    for fig in [&cd, &bx] {
        let svg = plots::to_svg(fig).unwrap();
        assert_eq!(
            svg,
            plots::to_svg(fig).unwrap(),
            "{}: same bytes twice",
            fig.id
        );
        let path = dir.path().join(format!("{}.svg", fig.id));
        std::fs::write(&path, &svg).unwrap();
        let (texts, size) = svg_texts(&path);
        assert_eq!(size, fig.size());
        let png = plots::to_png(fig).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        if let Some(d) = &out {
            std::fs::write(d.join(format!("{}.png", fig.id)), &png).unwrap();
        }
        if fig.id == "cd-diagram" {
            assert!(contains(&texts, "CD = 1.25"), "{texts:?}");
            for (n, r) in names.iter().zip(ranks) {
                assert!(contains(&texts, &format!("{n} ({r:.2})")), "{n}: {texts:?}");
            }
            for k in 1..=6 {
                assert!(texts.iter().any(|t| t == &k.to_string()), "rank tick {k}");
            }
        } else {
            for (n, _) in &groups {
                assert!(texts.iter().any(|t| t == n), "{n}: {texts:?}");
            }
            // gradient_boosting: sorted [0.83, 0.859, 0.862, 0.868, 0.869], median 0.862.
            assert!(contains(&texts, "median 0.862 (n = 5)"), "{texts:?}");
        }
    }
}
