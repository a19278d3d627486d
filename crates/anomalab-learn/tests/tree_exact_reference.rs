//! The decision tree's exact splits against scikit-learn's `DecisionTreeClassifier`.
//!
//! Reference: `tests/reference/tree_exact.json`, written by `scripts/ref_tree_exact.py`
//! (scikit-learn 1.9.1): five features with 1,500 distinct training values each, so the
//! 255 bins cannot hold them one per bin. With exact splits the tree is scikit-learn's:
//! the same (feature, threshold) at every split node, the same leaves, the same
//! probabilities; with bin edges only (`exact_splits: false`) it is not.

use std::collections::BTreeMap;

use anomalab_learn::tree::{DecisionTree, DecisionTreeParams};
use anomalab_learn::{DataCache, FitContext, ParamValue, TrainSet};
use serde_json::Value;

mod common;
use common::matrix;

fn reference() -> Value {
    common::reference("tree_exact.json")
}

fn fit(r: &Value, params: &Value, exact: bool) -> DecisionTree {
    let x = matrix(&r["x_train"]);
    let y: Vec<u32> = r["y_train"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let names: Vec<String> = (0..3).map(|i| i.to_string()).collect();
    let mut given = BTreeMap::new();
    for (k, v) in params.as_object().unwrap() {
        let pv = match v.as_i64() {
            Some(i) => ParamValue::Int(i),
            None => ParamValue::Str(v.as_str().unwrap().to_string()),
        };
        given.insert(k.clone(), pv);
    }
    given.insert("exact_splits".into(), ParamValue::Bool(exact));
    let map = anomalab_learn::params::resolve(&DecisionTreeParams::specs(), &given).unwrap();
    let cache = DataCache::new();
    let train = TrainSet {
        x: x.view(),
        y: &y,
        n_classes: 3,
        class_names: &names,
        feature_names: &[],
        cache: &cache,
    };
    DecisionTreeParams::from_params(&map)
        .unwrap()
        .fit_tree(&train, &FitContext::default())
        .unwrap()
}

fn sorted_splits(t: &DecisionTree) -> Vec<(usize, f64)> {
    let mut s = t.splits();
    s.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    s
}

fn reference_splits(case: &Value) -> Vec<(usize, f64)> {
    let mut s: Vec<(usize, f64)> = case["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n[0].as_u64().unwrap() as usize, n[1].as_f64().unwrap()))
        .collect();
    s.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    s
}

#[test]
fn exact_splits_grow_scikit_learns_tree() {
    let r = reference();
    let x_test = matrix(&r["x_test"]);
    for case in r["cases"].as_array().unwrap() {
        let call = case["call"].as_str().unwrap();
        let tree = fit(&r, &case["params"], true);
        assert_eq!(
            sorted_splits(&tree),
            reference_splits(case),
            "{call}: splits"
        );
        assert_eq!(
            tree.n_leaves() as u64,
            case["n_leaves"].as_u64().unwrap(),
            "{call}"
        );
        let proba = anomalab_learn::Classifier::scores(&tree, x_test.view());
        let want = matrix(&case["proba"]);
        let worst = proba
            .iter()
            .zip(want.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-12, "{call}: probabilities differ by {worst}");
    }
}

#[test]
fn bin_edges_alone_do_not() {
    let r = reference();
    let case = &r["cases"][0];
    let tree = fit(&r, &case["params"], false);
    assert_ne!(sorted_splits(&tree), reference_splits(case));
}
