//! Every metric against scikit-learn: the cases and expected values come from
//! `scripts/ref_metrics.py` (scikit-learn version and exact calls recorded in the JSON).

use anomalab_learn::eval::{
    CurvePoint, adjusted_rand_score, classification_metrics, detector_metrics,
    precision_recall_curve, roc_curve, silhouette_score, silhouette_score_sampled,
};
use ndarray::Array2;
use serde_json::Value;

const TOL: f64 = 1e-9;

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/metrics.json");
    let text = std::fs::read_to_string(path).expect("tests/reference/metrics.json is committed");
    serde_json::from_str(&text).expect("valid JSON")
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn opt_f64s(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(|x| x.as_f64()).collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(f64s).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL,
        "{what}: got {got}, scikit-learn {want}"
    );
}

fn close_opt(what: &str, got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => close(what, g, w),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, scikit-learn {want:?}"),
    }
}

#[test]
fn classification_metrics_equal_scikit_learn() {
    let r = reference();
    let cases = r["classification"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let k = case["n_classes"].as_u64().unwrap() as usize;
        let yt = u32s(&case["y_true"]);
        let yp = u32s(&case["y_pred"]);
        let s = matrix(&case["scores"]);
        let e = &case["expected"];
        let m = classification_metrics(&yt, &yp, k, Some(s.view())).unwrap();
        let conf: Vec<Vec<u64>> = e["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(m.confusion, conf, "{name}: confusion");
        for key in [
            "accuracy",
            "balanced_accuracy",
            "precision_micro",
            "recall_micro",
            "f1_micro",
            "precision_macro",
            "recall_macro",
            "f1_macro",
            "precision_weighted",
            "recall_weighted",
            "f1_weighted",
        ] {
            close(
                &format!("{name}: {key}"),
                m.get(key).unwrap().unwrap(),
                e[key].as_f64().unwrap(),
            );
        }
        close_opt(
            &format!("{name}: roc_auc"),
            m.roc_auc,
            e["roc_auc"].as_f64(),
        );
        close_opt(&format!("{name}: pr_auc"), m.pr_auc, e["pr_auc"].as_f64());
        if let Some(ovr) = e.get("roc_auc_sklearn_ovr") {
            close(
                &format!("{name}: sklearn ovr"),
                m.roc_auc.unwrap(),
                ovr.as_f64().unwrap(),
            );
        }
        let (p, rc, f1, sup) = (
            f64s(&e["per_class_precision"]),
            f64s(&e["per_class_recall"]),
            f64s(&e["per_class_f1"]),
            f64s(&e["per_class_support"]),
        );
        let (pra, ppa) = (
            opt_f64s(&e["per_class_roc_auc"]),
            opt_f64s(&e["per_class_pr_auc"]),
        );
        for c in &m.per_class {
            let i = c.class;
            close(&format!("{name}: precision[{i}]"), c.precision, p[i]);
            close(&format!("{name}: recall[{i}]"), c.recall, rc[i]);
            close(&format!("{name}: f1[{i}]"), c.f1, f1[i]);
            assert_eq!(c.support as f64, sup[i], "{name}: support[{i}]");
            close_opt(&format!("{name}: roc_auc[{i}]"), c.roc_auc, pra[i]);
            close_opt(&format!("{name}: pr_auc[{i}]"), c.pr_auc, ppa[i]);
        }
        // Curves (binary cases with both classes).
        if k == 2 {
            let truth: Vec<bool> = yt.iter().map(|&y| y == 1).collect();
            let col1: Vec<f64> = s.column(1).to_vec();
            check_curve(
                name,
                "roc_curve",
                roc_curve(&truth, &col1),
                e.get("roc_curve"),
            );
            check_curve(
                name,
                "pr_curve",
                precision_recall_curve(&truth, &col1),
                e.get("pr_curve"),
            );
        }
    }
}

fn check_curve(name: &str, key: &str, curve: Option<Vec<CurvePoint>>, want: Option<&Value>) {
    let Some(want) = want else {
        assert!(curve.is_none(), "{name}: {key} should be undefined");
        return;
    };
    let curve = curve.unwrap_or_else(|| panic!("{name}: {key} undefined"));
    let (wx, wy, wt) = (
        f64s(&want["x"]),
        f64s(&want["y"]),
        opt_f64s(&want["threshold"]),
    );
    assert_eq!(curve.len(), wx.len(), "{name}: {key} length");
    for (i, pt) in curve.iter().enumerate() {
        close(&format!("{name}: {key} x[{i}]"), pt.x, wx[i]);
        close(&format!("{name}: {key} y[{i}]"), pt.y, wy[i]);
        close_opt(&format!("{name}: {key} thr[{i}]"), pt.threshold, wt[i]);
    }
}

#[test]
fn detector_metrics_equal_scikit_learn() {
    let r = reference();
    let d = &r["detector"];
    let truth: Vec<bool> = u32s(&d["is_anomaly"]).iter().map(|&y| y == 1).collect();
    let s = f64s(&d["scores"]);
    let m = detector_metrics(&truth, &s, d["threshold"].as_f64().unwrap()).unwrap();
    let e = &d["expected"];
    assert_eq!(
        (m.tp, m.fp, m.tn, m.fn_),
        (
            e["tp"].as_u64().unwrap(),
            e["fp"].as_u64().unwrap(),
            e["tn"].as_u64().unwrap(),
            e["fn"].as_u64().unwrap()
        )
    );
    for key in [
        "precision",
        "recall",
        "f1",
        "false_alarm_rate",
        "roc_auc",
        "pr_auc",
    ] {
        close(key, m.get(key).unwrap().unwrap(), e[key].as_f64().unwrap());
    }
    close(
        "detection_rate",
        m.detection_rate,
        e["recall"].as_f64().unwrap(),
    );
}

#[test]
fn silhouette_equals_scikit_learn_with_a_singleton_cluster() {
    let r = reference();
    let sil = &r["silhouette"];
    let x = matrix(&sil["x"]);
    let labels = usizes(&sil["labels"]);
    let want = sil["expected"].as_f64().unwrap();
    close(
        "silhouette",
        silhouette_score(x.view(), &labels).unwrap(),
        want,
    );
    // A "sample" as large as the data is the exact score.
    let all = silhouette_score_sampled(x.view(), &labels, x.nrows(), 1).unwrap();
    close("silhouette sampled (all rows)", all, want);
    // A real sample differs, but is deterministic for a seed.
    let a = silhouette_score_sampled(x.view(), &labels, 60, 9).unwrap();
    let b = silhouette_score_sampled(x.view(), &labels, 60, 9).unwrap();
    assert_eq!(a, b);
}

#[test]
fn silhouette_equals_scikit_learn_on_303_rows() {
    // Five overlapping clusters, a singleton, duplicated rows, sparse label values and
    // mislabelled rows (see "generation" and "seed" in the JSON).
    let r = reference();
    let sil = &r["silhouette_large"];
    let x = matrix(&sil["x"]);
    assert_eq!(x.dim(), (303, 6));
    let labels = usizes(&sil["labels"]);
    let want = sil["expected"].as_f64().unwrap();
    let got = silhouette_score(x.view(), &labels).unwrap();
    eprintln!("silhouette (303 rows): ours {got:.17}, scikit-learn {want:.17}");
    close("silhouette (303 rows)", got, want);
    // Relabelling the clusters does not change the score.
    let relabelled: Vec<usize> = labels.iter().map(|&l| 100 - l).collect();
    close(
        "silhouette (303 rows, relabelled)",
        silhouette_score(x.view(), &relabelled).unwrap(),
        want,
    );
}

#[test]
fn adjusted_rand_equals_scikit_learn() {
    let r = reference();
    for (i, case) in r["ari"].as_array().unwrap().iter().enumerate() {
        let a = usizes(&case["a"]);
        let b = usizes(&case["b"]);
        close(
            &format!("ari case {i}"),
            adjusted_rand_score(&a, &b).unwrap(),
            case["expected"].as_f64().unwrap(),
        );
    }
}
