//! The pure data functions of the plots (`plots::*::series`-style), checked against the
//! fixture values they come from and hand computations.

mod common;

use anomalab_report::plots::{comparison, importance, pr, roc, unsupervised};
use anomalab_report::rank;

#[test]
fn roc_series_overlay_the_best_trial_of_each_model() {
    let r = common::load("binary");
    let s = roc::series(&r);
    assert_eq!(s.len(), 1, "binary: one panel for the positive class");
    assert_eq!(s[0].class, "attack");
    // random_forest (best of trials 0 and 1 is trial 0), logistic_regression, naive_bayes, diagonal.
    let names: Vec<&str> = s[0].series.iter().map(|x| x.name.as_str()).collect();
    let auc = |i: usize| r.trials[i].folds[0].curves[0].roc_auc.unwrap();
    assert_eq!(
        names,
        vec![
            format!("random_forest (AUC = {:.3})", auc(0)).as_str(),
            format!("logistic_regression (AUC = {:.3})", auc(2)).as_str(),
            format!("naive_bayes (AUC = {:.3})", auc(3)).as_str(),
            "",
        ]
    );
    assert_eq!(s[0].series[0].points, r.trials[0].folds[0].curves[0].roc);
    let diag = s[0].series.last().unwrap();
    assert!(diag.dashed && diag.points == vec![(0.0, 0.0), (1.0, 1.0)]);
    // Colours follow the model order, so every chart uses the same colour per model.
    assert_eq!(
        s[0].series
            .iter()
            .map(|x| x.color)
            .take(3)
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );

    let m = roc::series(&common::load("multiclass"));
    assert_eq!(
        m.iter().map(|c| c.class.as_str()).collect::<Vec<_>>(),
        ["normal", "dos", "probe", "r2l", "u2r"]
    );
    assert!(
        m.iter().all(|c| c.series.len() == 4),
        "3 successful models + chance"
    );
}

#[test]
fn pr_chance_line_is_the_class_prevalence() {
    let r = common::load("binary");
    let s = pr::series(&r);
    let f = &r.trials[0].folds[0];
    let want =
        f.per_class[1].support as f64 / (f.per_class[0].support + f.per_class[1].support) as f64;
    assert_eq!(s[0].1, Some(want));
    assert_eq!(s[0].0.series.len(), 3, "no chance series: it is a marker");
}

#[test]
fn comparison_bars_follow_the_leaderboard() {
    let r = common::load("binary");
    let bars = comparison::metric_bars(&r);
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "random_forest#0 (max_depth=12)",
            "random_forest#1 (max_depth=4)",
            "logistic_regression#2",
            "naive_bayes#3"
        ]
    );
    assert_eq!(bars.iter().filter(|b| b.highlight).count(), 1);
    assert!(bars[0].highlight);
    assert_eq!(bars[0].value, r.trials[0].mean["f1_macro"]);
    assert_eq!(bars[0].error, Some(r.trials[0].std["f1_macro"]));
    // Fit times span 2.36 s / 12.2 ms = 193x (> 100: log axis); predict times
    // 79.8 ms / 0.899 ms = 89x (linear axis).
    let (fit, predict) = comparison::time_bars(&r);
    assert!(comparison::wide_range(&fit));
    assert!(!comparison::wide_range(&predict));
    assert_eq!(fit[0].value, 2.360521);
}

#[test]
fn importances_are_averaged_over_folds() {
    let r = common::load("binary");
    let imp = importance::mean_importances(&r.trials[0]).unwrap();
    // src_bytes is 0.206516 in fold 1 and 0.225022 in fold 2 (tests/fixtures/binary.json):
    // mean (0.206516 + 0.225022) / 2 = 0.215769.
    assert_eq!(imp[0].0, "src_bytes");
    assert!((imp[0].1 - 0.215769).abs() < 1e-12, "{}", imp[0].1);
    assert!(imp.windows(2).all(|w| w[0].1 >= w[1].1), "largest first");
    assert!(
        importance::mean_importances(&r.trials[2]).is_none(),
        "logistic regression has none"
    );
    let fig = importance::figure(&r.trials[0]).unwrap();
    let anomalab_report::plots::Chart::Bars(b) = &fig.panels[0].chart else {
        panic!("bars")
    };
    assert_eq!(b.bars.len(), 20, "top 20 of 24 features");
}

#[test]
fn k_distance_curve_ascends_over_the_clustered_rows() {
    let r = common::load("unsupervised");
    let kd = r.trials[4].folds[0]
        .diagnostics
        .k_distance
        .as_ref()
        .unwrap();
    // The fixture stores the curve descending without positions, as results written
    // before positions existed: it is sorted and spread over the 20,000 clustered rows.
    assert!(kd.positions.is_empty());
    let pts = unsupervised::k_distance_points(kd);
    assert_eq!(pts.len(), kd.distances.len());
    assert!(pts.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0));
    assert_eq!(pts[0].0, 1.0);
    assert!((pts.last().unwrap().0 - 20_000.0).abs() < 1e-9);
    // Newer results carry positions, used as they are.
    let mut new = kd.clone();
    new.distances = vec![0.5, 0.7, 3.0];
    new.positions = vec![1.0, 10_000.0, 20_000.0];
    assert_eq!(
        unsupervised::k_distance_points(&new),
        vec![(1.0, 0.5), (10_000.0, 0.7), (20_000.0, 3.0)]
    );
    // One spike of 1000 over distances 1..=99: the axis stops at 1.25 x the 98th
    // percentile (98), one point above; without the spike nothing is clipped.
    let mut pts: Vec<(f64, f64)> = (1..=99).map(|i| (i as f64, i as f64)).collect();
    assert_eq!(unsupervised::k_distance_clip(&pts, 5.0), None);
    pts.push((100.0, 1000.0));
    assert_eq!(unsupervised::k_distance_clip(&pts, 5.0), Some((122.5, 1)));
}

#[test]
fn cluster_scatter_colours_only_the_largest_clusters() {
    // 15 clusters: point i of the projection sample in cluster i % 15 (the lower clusters
    // get one more point when the count does not divide), every 7th point noise.
    let r = common::load("unsupervised");
    let n = r.projection.as_ref().unwrap().points.len();
    let d = anomalab_report::model::Diagnostics {
        projection_clusters: Some((0..n).map(|i| (i % 7 != 0).then_some(i % 15)).collect()),
        ..Default::default()
    };
    let s = unsupervised::projection_by_cluster(&r, &d).unwrap();
    let names: Vec<&str> = s.groups.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names.len(), unsupervised::SCATTER_CLUSTERS + 2, "{names:?}");
    assert_eq!(names[names.len() - 2], "other clusters (5)");
    assert_eq!(names[names.len() - 1], "noise");
    let total: usize = s.groups.iter().map(|g| g.1.len()).sum();
    assert_eq!(total, n, "every point drawn once");
    // The coloured ones are the 10 with the most points.
    let mut size = [0usize; 15];
    (0..n)
        .filter(|i| i % 7 != 0)
        .for_each(|i| size[i % 15] += 1);
    for g in &s.groups[..10] {
        let c: usize = g.0.trim_start_matches("cluster ").parse().unwrap();
        let bigger = size.iter().filter(|&&x| x > size[c]).count();
        assert!(
            bigger < 10,
            "cluster {c} ({} points) is not among the 10 largest",
            size[c]
        );
    }
}

#[test]
fn cluster_scatter_groups_every_projection_point() {
    let r = common::load("unsupervised");
    let dbscan = &r.trials[4].folds[0].diagnostics;
    let s = unsupervised::projection_by_cluster(&r, dbscan).unwrap();
    let total: usize = s.groups.iter().map(|g| g.1.len()).sum();
    assert_eq!(total, r.projection.as_ref().unwrap().points.len());
    let noise = dbscan
        .projection_clusters
        .as_ref()
        .unwrap()
        .iter()
        .filter(|c| c.is_none())
        .count();
    assert_eq!(s.groups.last().unwrap().0, "noise");
    assert_eq!(s.groups.last().unwrap().1.len(), noise);
    let by_class = unsupervised::projection_by_class(&r).unwrap();
    assert_eq!(
        by_class
            .groups
            .iter()
            .map(|g| g.0.as_str())
            .collect::<Vec<_>>(),
        ["normal", "attack"]
    );
}

#[test]
fn model_groups_pick_the_best_trial_per_name() {
    let r = common::load("binary");
    let g = rank::model_groups(&r);
    assert_eq!(
        g.iter().map(|g| g.model.as_str()).collect::<Vec<_>>(),
        ["random_forest", "logistic_regression", "naive_bayes"]
    );
    assert_eq!(g[0].trials, vec![0, 1]);
    assert_eq!(g[0].best, 0);
    let m = common::load("multiclass");
    assert!(
        rank::model_groups(&m).iter().all(|g| g.model != "knn"),
        "failed-only names have no section"
    );
    assert_eq!(rank::leaderboard(&m), vec![0, 1, 3]);
}

#[test]
fn roc_draw_works_on_any_backend() {
    use plotters::prelude::*;
    let series = roc::series(&common::load("binary"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 514)).into_drawing_area();
        roc::draw(&root, &series[0]).unwrap();
        root.present().unwrap();
    }
    assert!(svg.contains("ROC: attack") && svg.contains("False positive rate"));
    let mut rgb = vec![0u8; 640 * 514 * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (640, 514)).into_drawing_area();
        roc::draw(&root, &series[0]).unwrap();
        root.present().unwrap();
    }
    // The background is white and the curves are not: something was drawn.
    assert_eq!(&rgb[..3], &[255, 255, 255]);
    assert!(
        rgb.chunks(3).any(|p| p == [0, 114, 178]),
        "the first palette colour (the first model's curve) is drawn"
    );
}
