//! Every statistic against scipy, scikit-posthocs and statsmodels: the cases and expected
//! values come from `scripts/ref_stats.py` (versions and exact calls recorded in the JSON).

use anomalab_stats::dist::{
    chi2_sf, normal_sf, studentized_range_cdf, studentized_range_sf, t_ppf, t_sf,
};
use anomalab_stats::{
    WilcoxonMethod, corrected_resampled_t, critical_difference, friedman, holm, nemenyi, paired_t,
    rankdata, summary, wilcoxon,
};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/stats.json");
    let text = std::fs::read_to_string(path).expect("tests/reference/stats.json is committed");
    serde_json::from_str(&text).expect("valid JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(f64s).collect()
}

/// Absolute 1e-9, or relative 1e-9 for values below 1e-3 (tiny p-values).
fn close(what: &str, got: f64, want: f64) {
    let tol = if want.abs() < 1e-3 {
        TOL * want.abs().max(1e-300)
    } else {
        TOL
    };
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, reference {want:e}"
    );
}

/// Absolute 1e-9 only: scipy's studentized range sf is 1 - cdf with the cdf integrated
/// to an absolute 1e-11, so its small values carry no relative precision to match.
fn close_abs(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL,
        "{what}: got {got:e}, reference {want:e}"
    );
}

#[test]
fn rankdata_equals_scipy() {
    for case in reference()["rankdata"].as_array().unwrap() {
        let got = rankdata(&f64s(&case["x"]));
        assert_eq!(got, f64s(&case["expected"]), "{case}");
    }
}

#[test]
fn friedman_and_nemenyi_equal_scipy_and_scikit_posthocs() {
    let r = reference();
    let cases = r["friedman"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = matrix(&case["data"]);
        let fr = friedman(&data).unwrap();
        close(
            &format!("{name} statistic"),
            fr.statistic,
            f(&case["statistic"]),
        );
        close(&format!("{name} p"), fr.p_value, f(&case["p_value"]));
        for (g, w) in fr.mean_ranks.iter().zip(f64s(&case["mean_ranks"])) {
            close(&format!("{name} mean rank"), *g, w);
        }
        let nem = nemenyi(&data).unwrap();
        for (i, row) in matrix(&case["nemenyi"]).iter().enumerate() {
            for (j, want) in row.iter().enumerate() {
                close_abs(
                    &format!("{name} nemenyi[{i}][{j}]"),
                    nem.p_values[i][j],
                    *want,
                );
            }
        }
    }
}

#[test]
fn critical_difference_equals_demsar_with_scipy_quantiles() {
    let r = reference();
    for case in r["critical_difference"].as_array().unwrap() {
        let k = case["k"].as_u64().unwrap() as usize;
        let n = case["n"].as_u64().unwrap() as usize;
        let cd = critical_difference(k, n, f(&case["alpha"])).unwrap();
        close(&format!("CD k={k} n={n}"), cd, f(&case["cd"]));
    }
}

#[test]
fn wilcoxon_equals_scipy_in_every_method() {
    let r = reference();
    let cases = r["wilcoxon"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let mut methods = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let w = wilcoxon(&f64s(&case["x"]), &f64s(&case["y"])).unwrap();
        close(
            &format!("{name} statistic"),
            w.statistic,
            f(&case["statistic"]),
        );
        close(
            &format!("{name} p ({:?})", w.method),
            w.p_value,
            f(&case["p_value"]),
        );
        close(
            &format!("{name} r"),
            w.rank_biserial,
            f(&case["rank_biserial"]),
        );
        methods.push(w.method);
    }
    for m in [
        WilcoxonMethod::Exact,
        WilcoxonMethod::Permutation,
        WilcoxonMethod::Normal,
    ] {
        assert!(methods.contains(&m), "no case takes the {m:?} path");
    }
}

#[test]
fn holm_equals_statsmodels() {
    for case in reference()["holm"].as_array().unwrap() {
        let got = holm(&f64s(&case["p"]));
        for (g, w) in got.iter().zip(f64s(&case["expected"])) {
            close("holm", *g, w);
        }
    }
}

#[test]
fn t_tests_equal_scipy() {
    for case in reference()["ttest"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (f64s(&case["x"]), f64s(&case["y"]));
        let t = paired_t(&x, &y).unwrap();
        close(&format!("{name} t"), t.statistic, f(&case["t"]));
        close(&format!("{name} p"), t.p_value, f(&case["p"]));
        let c = corrected_resampled_t(&x, &y, f(&case["n_train"]), f(&case["n_test"])).unwrap();
        close(
            &format!("{name} corrected t"),
            c.statistic,
            f(&case["corrected_t"]),
        );
        close(
            &format!("{name} corrected p"),
            c.p_value,
            f(&case["corrected_p"]),
        );
    }
}

#[test]
fn summary_equals_scipy_t_interval() {
    for case in reference()["summary"].as_array().unwrap() {
        let s = summary(&f64s(&case["x"])).unwrap();
        close("mean", s.mean, f(&case["mean"]));
        close("sd", s.sd.unwrap(), f(&case["sd"]));
        let (lo, hi) = s.ci95.unwrap();
        close("ci low", lo, f(&case["ci_low"]));
        close("ci high", hi, f(&case["ci_high"]));
    }
}

#[test]
fn distributions_equal_scipy() {
    let d = &reference()["distributions"];
    let rows = |name: &str| d[name].as_array().unwrap().clone();
    for c in rows("normal_sf") {
        close("norm.sf", normal_sf(f(&c["z"])), f(&c["expected"]));
    }
    for c in rows("chi2_sf") {
        close(
            "chi2.sf",
            chi2_sf(f(&c["x"]), f(&c["df"])),
            f(&c["expected"]),
        );
    }
    for c in rows("t_sf") {
        close("t.sf", t_sf(f(&c["t"]), f(&c["df"])), f(&c["expected"]));
    }
    for c in rows("t_ppf") {
        close("t.ppf", t_ppf(f(&c["p"]), f(&c["df"])), f(&c["expected"]));
    }
    for c in rows("sr_cdf") {
        let k = c["k"].as_u64().unwrap() as usize;
        close_abs(
            "sr.cdf",
            studentized_range_cdf(f(&c["q"]), k),
            f(&c["expected"]),
        );
    }
    for c in rows("sr_sf") {
        let k = c["k"].as_u64().unwrap() as usize;
        close_abs(
            "sr.sf",
            studentized_range_sf(f(&c["q"]), k),
            f(&c["expected"]),
        );
    }
}
