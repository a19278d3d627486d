//! Known-answer tests of the gradient boosting module.

use super::*;
use ndarray::{Array2, array};

/// The shared bins of a small matrix: with at most 255 distinct values per feature every
/// distinct value has its own bin, and the cut points are the midpoints between them.
fn exact_prepared(x: ArrayView2<'_, f64>) -> Prepared {
    from_binned(std::sync::Arc::new(crate::binning::BinnedMatrix::build(
        x, 255,
    )))
}

fn fit_exact(
    p: &GradientBoostingParams,
    x: ArrayView2<'_, f64>,
    y: &[u32],
    k: usize,
) -> GradientBoostingModel {
    let prep = exact_prepared(x);
    p.fit_prepared(&prep, y, k, &FitContext::default()).unwrap()
}

fn stump_params() -> GradientBoostingParams {
    GradientBoostingParams {
        n_estimators: 1,
        learning_rate: 1.0,
        max_depth: Some(1),
        lambda: 1.0,
        min_child_weight: 0.0,
        ..Default::default()
    }
}

/// x = 1..6, y = 0 0 1 0 1 1: three of each class, so the prior margin is ln(1) = 0 and
/// p = 0.5 for every row. Gradients g = p - y = +0.5 (y=0) / -0.5 (y=1), hessians
/// h = p(1-p) = 0.25.
/// Split x <= 2 | x > 2: left {0,0}: G_L = 1.0, H_L = 0.5; right {1,0,1,1}: G_R = -1.0,
/// H_R = 1.0; parent G = 0, H = 1.5.
/// Gain = 1/(0.5+1) + 1/(1+1) - 0/(1.5+1) = 0.666667 + 0.5 = 1.166667 (the best: x <= 1
/// gives 0.25/1.25 + 0.25/2.25 = 0.311; x <= 3 gives 0.25/1.75 + 0.25/1.75 = 0.286;
/// x <= 4 gives 1/2 + 1/1.5, equal to x <= 2, and the lower bin wins ties; x <= 5 gives
/// 0.311).
/// Leaves (eta = 1, lambda = 1): left -1.0/(0.5+1) = -0.666667, right 1.0/(1.0+1) = 0.5.
/// XGBoost 3.2 (`binary:logistic`, base_score 0.5, max_depth 1, eta 1, lambda 1,
/// min_child_weight 0, hist) prints `gain=1.16666675`, `leaf=-0.666666687`, `leaf=0.5`.
#[test]
fn stump_gradients_gain_and_leaves_by_hand() {
    let x = array![[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]];
    let y = [0, 0, 1, 0, 1, 1];
    let m = fit_exact(&stump_params(), x.view(), &y, 2);
    assert_eq!(m.base_margin(), &[0.0]);
    let nodes = &m.trees()[0].nodes;
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0].feature, 0);
    // XGBoost's condition `x < 3`: the threshold is the largest f64 below 3, so an unseen
    // 2.9 goes left with the 2s (a midpoint threshold would send it right).
    assert_eq!(nodes[0].value, f64::from_bits(3.0f64.to_bits() - 1));
    assert_eq!(
        m.margins(array![[2.9], [3.0]].view()).column(0).to_vec(),
        [-2.0 / 3.0, 0.5]
    );
    assert!(
        (nodes[1].value - (-1.0 / 1.5)).abs() < 1e-7,
        "{:?}",
        nodes[1]
    );
    assert!((nodes[2].value - 0.5).abs() < 1e-7, "{:?}", nodes[2]);
    let imp = m.feature_importances().unwrap();
    assert_eq!(imp, vec![1.0]);
    assert!((m.gain[0] - 7.0 / 6.0).abs() < 1e-7);
    let margins = m.margins(x.view());
    let want = [-2.0 / 3.0, -2.0 / 3.0, 0.5, 0.5, 0.5, 0.5];
    for (got, w) in margins.column(0).iter().zip(want) {
        assert!((got - w).abs() < 1e-7);
    }
}

/// Same data: the best loss change is 1.166667 (above). XGBoost 3.2 keeps the split with
/// gamma = 1.0 and makes the root a leaf with gamma = 1.2 (dump `0:leaf=-0`), so gamma is
/// compared with the unhalved loss change. The leaf is then -G/(H+lambda) = -0/2.5 = 0.
#[test]
fn gamma_forbids_split() {
    let x = array![[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]];
    let y = [0, 0, 1, 0, 1, 1];
    let mut p = stump_params();
    p.gamma = 1.0;
    let m = fit_exact(&p, x.view(), &y, 2);
    assert_eq!(m.trees()[0].nodes.len(), 3);
    p.gamma = 1.2;
    let m = fit_exact(&p, x.view(), &y, 2);
    assert_eq!(m.trees()[0].nodes.len(), 1);
    assert_eq!(m.trees()[0].nodes[0].feature, LEAF);
    assert!(m.trees()[0].nodes[0].value.abs() < 1e-12);
    assert_eq!(m.feature_importances().unwrap(), vec![0.0]);
}

/// min_child_weight: with hessians 0.25 per row, a child needs 4 rows for mcw = 1. The
/// splits with both children holding >= 4 of the 6 rows do not exist, so no split.
#[test]
fn min_child_weight_blocks_small_children() {
    let x = array![[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]];
    let y = [0, 0, 1, 0, 1, 1];
    let mut p = stump_params();
    p.min_child_weight = 1.0;
    let m = fit_exact(&p, x.view(), &y, 2);
    assert_eq!(m.trees()[0].nodes.len(), 1);
    // 0.75 allows children of 3 rows, only x <= 3 | x > 3: G_L = 0.5, H_L = 0.75 ->
    // 0.25/1.75 = 0.142857; G_R = -0.5, H_R = 0.75 -> 0.142857; gain 0.285714.
    p.min_child_weight = 0.75;
    let m = fit_exact(&p, x.view(), &y, 2);
    let nodes = &m.trees()[0].nodes;
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0].value, f64::from_bits(4.0f64.to_bits() - 1));
    assert!((m.gain[0] - 2.0 * 0.25 / 1.75).abs() < 1e-7);
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("xgb_reference.json")).unwrap()
}

fn ref_x(r: &serde_json::Value) -> Array2<f64> {
    let rows = r["x"].as_array().unwrap();
    let n = rows.len();
    let nf = rows[0].as_array().unwrap().len();
    let mut x = Array2::zeros((n, nf));
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.as_array().unwrap().iter().enumerate() {
            x[[i, j]] = v.as_f64().unwrap();
        }
    }
    x
}

fn ref_y(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

fn check_case(case: &str, yname: &str, tol: f64) {
    let r = reference();
    let x = ref_x(&r);
    let y = ref_y(&r[yname]);
    let c = &r[case];
    let k = c["n_classes"].as_u64().unwrap() as usize;
    let p = GradientBoostingParams {
        n_estimators: c["rounds"].as_u64().unwrap() as usize,
        learning_rate: c["eta"].as_f64().unwrap(),
        max_depth: Some(c["max_depth"].as_u64().unwrap() as usize),
        lambda: 1.0,
        gamma: 0.0,
        min_child_weight: 1.0,
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, k);
    for (a, b) in m
        .base_margin()
        .iter()
        .zip(c["base_margin"].as_array().unwrap())
    {
        assert!((a - b.as_f64().unwrap()).abs() < 1e-12);
    }
    for (t, rt) in m.trees().iter().zip(c["trees"].as_array().unwrap()) {
        let n = &t.nodes;
        assert_eq!(n.len(), 3, "{case}: {n:?}");
        assert_eq!(n[0].feature as u64, rt["split_feature"].as_u64().unwrap());
        // XGBoost sends `x < split_condition` left; our threshold is the midpoint between
        // the largest value on the left and the condition.
        assert!(n[0].value < rt["split_condition"].as_f64().unwrap());
        let l = rt["left_leaf"].as_f64().unwrap();
        let rr = rt["right_leaf"].as_f64().unwrap();
        assert!(
            (n[1].value - l).abs() < 1e-6,
            "{case}: {} vs {l}",
            n[1].value
        );
        assert!(
            (n[2].value - rr).abs() < 1e-6,
            "{case}: {} vs {rr}",
            n[2].value
        );
    }
    let margins = m.margins(x.view());
    let want = c["margins"].as_array().unwrap();
    for (i, row) in want.iter().enumerate() {
        for (j, v) in row.as_array().unwrap().iter().enumerate() {
            let v = v.as_f64().unwrap();
            assert!(
                (margins[[i, j]] - v).abs() < tol,
                "{case}: row {i} class {j}: {} vs {v}",
                margins[[i, j]]
            );
        }
    }
}

/// Reference values from `scripts/gbdt_xgb_reference.py` (XGBoost `hist`, same initial
/// margins through `set_base_margin`).
#[test]
fn agrees_with_xgboost_binary_stump() {
    check_case("binary_depth1", "y_binary", 1e-6);
}

#[test]
fn agrees_with_xgboost_multiclass_stumps() {
    check_case("multi_depth1", "y_multi", 1e-6);
}

/// Three rounds of depth-3 trees: margins accumulate f32 rounding in XGBoost.
#[test]
fn agrees_with_xgboost_three_rounds_depth3() {
    check_case("binary_depth3", "y_binary", 1e-5);
}

/// A smooth synthetic problem with `n` rows and `nf` features; `k` classes.
fn synthetic(n: usize, nf: usize, k: usize, seed: u64) -> (Array2<f64>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let mut x = Array2::zeros((n, nf));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        for f in 0..nf {
            // Few distinct values, so the exact fixture stays under 255 bins.
            x[[i, f]] = (rng.normal() * 20.0).round().clamp(-120.0, 120.0) / 10.0;
        }
        let s = x[[i, 0]] - 0.5 * x[[i, 1]]
            + 0.25 * x[[i, 2 % nf]] * x[[i, 3 % nf]]
            + 0.8 * rng.normal();
        let c = ((s + 2.0) / 1.5).floor().clamp(0.0, (k - 1) as f64) as u32;
        y.push(c);
    }
    (x, y)
}

#[test]
fn multiclass_probabilities_sum_to_one() {
    let (x, y) = synthetic(600, 5, 4, 3);
    let p = GradientBoostingParams {
        n_estimators: 15,
        max_depth: Some(3),
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, 4);
    assert_eq!(m.n_outputs(), 4);
    assert_eq!(m.trees().len(), 15 * 4);
    let s = m.scores(x.view());
    for row in s.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
        assert!(row.iter().all(|&v| v > 0.0 && v < 1.0));
    }
    // It learned something: training accuracy well above the majority class.
    let pred = m.predict(x.view());
    let acc = pred.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
    let counts = (0..4)
        .map(|c| y.iter().filter(|&&v| v == c).count())
        .max()
        .unwrap();
    assert!(acc > counts as f64 / y.len() as f64 + 0.2, "accuracy {acc}");
}

/// With every feature constant no tree can split; at round 0 the initial margins are the
/// training priors, so the gradient sum is 0 (up to f32 rounding) and each tree is a
/// leaf of weight ~0: the validation log-loss never improves after the first round, and
/// early stopping keeps exactly one round after n_iter_no_change more.
#[test]
fn early_stopping_on_flat_validation_loss_keeps_one_round() {
    let n = 200;
    let x = Array2::from_elem((n, 2), 1.0);
    let y: Vec<u32> = (0..n).map(|i| (i % 3 == 0) as u32).collect();
    let p = GradientBoostingParams {
        n_estimators: 50,
        early_stopping: true,
        n_iter_no_change: 5,
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, 2);
    assert_eq!(m.n_rounds_used(), 1);
    assert_eq!(m.trees().len(), 1);
}

/// Labels independent of the features: boosting overfits the training rows, so the
/// held-out loss rises after few rounds and fitting stops long before n_estimators. The
/// kept rounds are those up to the best validation loss, recomputed here independently.
#[test]
fn early_stopping_on_noise_stops_before_n_estimators() {
    let mut rng = Rng::new(11);
    let n = 400;
    let mut x = Array2::zeros((n, 3));
    for v in x.iter_mut() {
        *v = (rng.next_f64() * 100.0).floor();
    }
    let y: Vec<u32> = (0..n).map(|_| (rng.next_f64() < 0.5) as u32).collect();
    let p = GradientBoostingParams {
        n_estimators: 200,
        learning_rate: 0.3,
        early_stopping: true,
        validation_fraction: 0.25,
        n_iter_no_change: 5,
        ..Default::default()
    };
    let prep = exact_prepared(x.view());
    let ctx = FitContext::default();
    let m = p.fit_prepared(&prep, &y, 2, &ctx).unwrap();
    let used = m.n_rounds_used();
    assert!(used < 30, "used {used} rounds");
    assert_eq!(m.trees().len(), used);
    // Independent check: refit without early stopping on the same training rows, and the
    // validation loss per round is minimal at `used` rounds.
    let (tr, va) = stratified_split(&y, 2, 0.25, derive_seed(ctx.seed, 1));
    assert_eq!(va.len(), 100);
    let xt = x.select(
        ndarray::Axis(0),
        &tr.iter().map(|&r| r as usize).collect::<Vec<_>>(),
    );
    let yt: Vec<u32> = tr.iter().map(|&r| y[r as usize]).collect();
    let xv = x.select(
        ndarray::Axis(0),
        &va.iter().map(|&r| r as usize).collect::<Vec<_>>(),
    );
    let yv: Vec<u32> = va.iter().map(|&r| y[r as usize]).collect();
    let mut full = p.clone();
    full.early_stopping = false;
    full.n_estimators = used + p.n_iter_no_change;
    let mf = full
        .fit_prepared(&exact_prepared(xt.view()), &yt, 2, &ctx)
        .unwrap();
    let mut losses = Vec::new();
    for r in 1..=full.n_estimators {
        let mut mr = mf.clone();
        mr.trees.truncate(r);
        mr.rounds = r;
        let pr = mr.scores(xv.view());
        let l: f64 = yv
            .iter()
            .enumerate()
            .map(|(i, &c)| -pr[[i, c as usize]].ln())
            .sum::<f64>()
            / yv.len() as f64;
        losses.push(l);
    }
    let best = losses
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert_eq!(best + 1, used, "losses {losses:?}");
}

#[test]
fn lossguide_respects_max_leaves() {
    let (x, y) = synthetic(500, 4, 2, 5);
    let p = GradientBoostingParams {
        n_estimators: 3,
        max_depth: None,
        max_leaves: Some(5),
        min_child_weight: 0.0,
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, 2);
    for t in m.trees() {
        let leaves = t.nodes.iter().filter(|n| n.feature == LEAF).count();
        assert_eq!(leaves, 5);
    }
    // Depth-limited growth of the same data reaches depth 2 with at most 4 leaves.
    let p = GradientBoostingParams {
        n_estimators: 1,
        max_depth: Some(2),
        min_child_weight: 0.0,
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, 2);
    let leaves = m.trees()[0]
        .nodes
        .iter()
        .filter(|n| n.feature == LEAF)
        .count();
    assert_eq!(leaves, 4);
}

#[test]
fn same_model_whatever_the_thread_count() {
    // Large enough for the row-blocked histograms (2 x 8,192 rows), the parallel partition
    // (2 x 16,384 rows) and the parallel split search; three classes, so the trees of a
    // round grow in parallel; with and without row sampling (the margins of a tree grown on
    // every row are updated from its leaves' rows, otherwise by walking the tree).
    let (x, y) = synthetic(40_000, 20, 3, 9);
    let prep = exact_prepared(x.view());
    for subsample in [0.8, 1.0] {
        let p = GradientBoostingParams {
            n_estimators: 4,
            max_depth: Some(5),
            subsample,
            colsample_bytree: 0.7,
            ..Default::default()
        };
        let ctx = FitContext {
            seed: 77,
            threads: 1,
        };
        let fit_with = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| p.fit_prepared(&prep, &y, 3, &ctx).unwrap())
        };
        let a = fit_with(1);
        let b = fit_with(2);
        let c = fit_with(3);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_bytes().unwrap(), c.to_bytes().unwrap());
        // A different seed draws different columns (and rows).
        let other = p
            .fit_prepared(
                &prep,
                &y,
                3,
                &FitContext {
                    seed: 78,
                    threads: 1,
                },
            )
            .unwrap();
        assert_ne!(a, other);
    }
}

/// One depth-wise tree (lambda 1, gamma 0, min_child_weight 1) grown on every row and
/// feature of `data`: the rows as `grow` left them, and the tree.
fn grow_on_all(
    data: &BinnedRows,
    gh: &[tree::GradPair],
    max_depth: usize,
    eta: f64,
) -> (Vec<u32>, tree::Grown) {
    let gp = tree::GrowParams {
        max_depth: Some(max_depth),
        max_leaves: None,
        lambda: 1.0,
        gamma: 0.0,
        min_child_weight: 1.0,
        eta,
    };
    let mut rows: Vec<u32> = (0..data.n_rows as u32).collect();
    let feats: Vec<u32> = (0..data.n_features as u32).collect();
    let g = tree::grow(data, gh, &mut rows, &feats, &gp);
    (rows, g)
}

/// The margins of a tree grown on every row are updated from its leaves' rows: each leaf's
/// span of the reordered rows must hold exactly the rows that walking the tree sends there
/// (on a node large enough for the parallel partition too).
#[test]
fn leaf_spans_hold_the_rows_that_reach_each_leaf() {
    let (x, _) = synthetic(40_000, 6, 3, 5);
    let prep = exact_prepared(x.view());
    let data = &prep.rows;
    let mut rng = Rng::new(3);
    let gh: Vec<tree::GradPair> = (0..data.n_rows)
        .map(|r| tree::GradPair {
            g: (x[[r, 0]] - 0.3 * x[[r, 1]] + 0.2 * rng.normal()) as f32,
            h: 1.0,
        })
        .collect();
    let (rows, g) = grow_on_all(data, &gh, 6, 0.1);
    assert!(g.nodes.len() > 31, "a deep tree: {} nodes", g.nodes.len());
    let mut seen = vec![false; data.n_rows];
    let mut n_leaves = 0;
    for (value, start, end) in g.leaves() {
        n_leaves += 1;
        for &r in &rows[start..end] {
            assert!(!seen[r as usize], "row {r} in two leaves");
            seen[r as usize] = true;
            assert_eq!(tree::leaf_value_binned(&g.nodes, data, r as usize), value);
        }
    }
    assert_eq!(n_leaves, g.nodes.len().div_ceil(2));
    assert!(seen.iter().all(|&s| s), "every row is in a leaf");
}

#[test]
fn save_load_round_trip() {
    let (x, y) = synthetic(800, 6, 3, 21);
    let p = GradientBoostingParams {
        n_estimators: 10,
        max_depth: Some(4),
        ..Default::default()
    };
    let m = fit_exact(&p, x.view(), &y, 3);
    let bytes = m.save().unwrap();
    let back = load(&bytes).unwrap();
    assert_eq!(back.kind(), KIND);
    assert_eq!(back.n_classes(), 3);
    assert_eq!(back.n_features(), 6);
    assert_eq!(back.scores(x.view()), m.scores(x.view()));
    assert_eq!(back.feature_importances(), m.feature_importances());
    assert!(load(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn nan_goes_right_like_its_last_bin() {
    let edges = BinEdges {
        upper: vec![vec![1.0, 2.0]],
    };
    let bin_nodes = vec![
        BinNode::Split {
            feature: 0,
            bin: 0,
            left: 1,
            right: 2,
            gain: 1.0,
        },
        BinNode::Leaf { value: -1.0 },
        BinNode::Leaf { value: 1.0 },
    ];
    let t = Tree::from_bins(&bin_nodes, &edges);
    assert_eq!(t.eval(&[f64::NAN]), 1.0);
    assert_eq!(t.eval(&[1.0]), -1.0);
    assert_eq!(t.eval(&[1.5]), 1.0);
}

#[test]
fn registry_defaults_resolve_and_build() {
    let specs = param_specs();
    let m = crate::params::resolve(&specs, &Default::default()).unwrap();
    let p = GradientBoostingParams::from_params(&m).unwrap();
    assert_eq!(p, GradientBoostingParams::default());
    let mut given = std::collections::BTreeMap::new();
    given.insert("max_depth".to_string(), ParamValue::Null);
    let m = crate::params::resolve(&specs, &given).unwrap();
    assert!(GradientBoostingParams::from_params(&m).is_err());
}

/// One-hot columns (exclusive, sparse) are bundled into one byte column; the trees must be
/// the same as with one column per feature: same splits, leaf values equal up to rounding
/// (a bundled feature's default bin is the node total minus its other bins).
#[test]
fn bundling_one_hot_columns_gives_the_same_trees() {
    let mut rng = Rng::new(5);
    let n = 3000;
    let cats = 12;
    let mut x = Array2::zeros((n, 2 + cats));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        // One of 12 categories with equal odds: each column is on in ~8% of rows.
        let c = rng.below(cats);
        x[[i, 2 + c]] = 1.0;
        x[[i, 0]] = (rng.normal() * 10.0).round();
        x[[i, 1]] = (rng.next_f64() * 50.0).floor();
        let s = 0.3 * x[[i, 0]] + if c.is_multiple_of(3) { 2.0 } else { -1.0 } + rng.normal();
        y.push(((s > 0.0) as u32) + ((s > 2.5) as u32));
    }
    let bins = std::sync::Arc::new(crate::binning::BinnedMatrix::build(x.view(), 255));
    let edges = BinEdges {
        upper: bins.thresholds.clone(),
    };
    let bundled = Prepared {
        rows: BinnedRows::with_bundling(bins.clone(), true),
        edges: edges.clone(),
    };
    let plain = Prepared {
        rows: BinnedRows::with_bundling(bins, false),
        edges,
    };
    // The 12 one-hot columns share one group; the 2 dense columns keep their own.
    assert_eq!(bundled.rows.n_groups, 3);
    assert_eq!(plain.rows.n_groups, 2 + cats);
    let p = GradientBoostingParams {
        n_estimators: 8,
        max_depth: Some(4),
        ..Default::default()
    };
    let ctx = FitContext::default();
    let a = p.fit_prepared(&bundled, &y, 3, &ctx).unwrap();
    let b = p.fit_prepared(&plain, &y, 3, &ctx).unwrap();
    assert_eq!(a.trees().len(), b.trees().len());
    let mut used_one_hot = false;
    for (ta, tb) in a.trees().iter().zip(b.trees()) {
        assert_eq!(ta.nodes.len(), tb.nodes.len());
        for (na, nb) in ta.nodes.iter().zip(&tb.nodes) {
            assert_eq!(na.feature, nb.feature);
            assert_eq!(na.left, nb.left);
            assert!((na.value - nb.value).abs() < 1e-9, "{na:?} vs {nb:?}");
            used_one_hot |= na.feature != LEAF && na.feature >= 2;
        }
    }
    assert!(used_one_hot, "the trees never split on a one-hot column");
}

/// NaN cells are binned into their feature's last bin during training and go right of
/// every raw threshold at prediction: the margins the booster kept for its training rows
/// (binned traversal) equal the model's margins on the raw rows.
#[test]
fn nan_rows_predict_as_they_were_trained() {
    let (mut x, y) = synthetic(1000, 4, 2, 13);
    for i in (0..1000).step_by(7) {
        x[[i, i % 4]] = f64::NAN;
    }
    let p = GradientBoostingParams {
        n_estimators: 5,
        max_depth: Some(4),
        ..Default::default()
    };
    let prep = exact_prepared(x.view());
    let m = p
        .fit_prepared(&prep, &y, 2, &FitContext::default())
        .unwrap();
    let raw = m.margins(x.view());
    let mut binned = vec![m.base_margin()[0]; 1000];
    for t in m.trees() {
        // Re-derive each tree's binned form by mapping raw thresholds back to bins.
        for (r, b) in binned.iter_mut().enumerate() {
            let mut i = 0usize;
            loop {
                let n = t.nodes[i];
                if n.feature == LEAF {
                    *b += n.value;
                    break;
                }
                let f = n.feature as usize;
                let code = prep.rows.code(r, f) as usize;
                let th = &prep.rows.cols.thresholds[f];
                let go_left = code < th.len() && th[code] <= n.value;
                i = n.left as usize + usize::from(!go_left);
            }
        }
    }
    let nan_rows = (0..1000).filter(|i| i % 7 == 0).count();
    assert!(nan_rows > 100);
    for (r, b) in binned.iter().enumerate() {
        assert!((raw[[r, 0]] - b).abs() < 1e-12, "row {r}");
    }
}

/// The registry entry builds, fits through a `TrainSet` (shared bins from the cache), and
/// loads its own saved bytes.
#[test]
fn registry_entry_fits_and_loads() {
    let entry = crate::registry::classifiers()
        .into_iter()
        .find(|e| e.name == "gradient_boosting" && e.backend == "native")
        .expect("gradient_boosting is registered");
    let mut given = std::collections::BTreeMap::new();
    given.insert("n_estimators".to_string(), ParamValue::Int(5));
    let pm = crate::params::resolve(&(entry.params)(), &given).unwrap();
    let params = (entry.build)(&pm).unwrap();
    let (x, y) = synthetic(300, 4, 3, 17);
    let names: Vec<String> = (0..4).map(|i| format!("f{i}")).collect();
    let classes: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
    let cache = crate::DataCache::new();
    let train = TrainSet {
        x: x.view(),
        y: &y,
        n_classes: 3,
        class_names: &classes,
        feature_names: &names,
        cache: &cache,
    };
    let model = params.fit(&train, &FitContext::default()).unwrap();
    let back = (entry.load)(&model.save().unwrap()).unwrap();
    assert_eq!(back.scores(x.view()), model.scores(x.view()));
    let imp = model.feature_importances().unwrap();
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // One class only is an input error, not a panic.
    let y1 = vec![0u32; 300];
    let train1 = TrainSet {
        y: &y1,
        n_classes: 1,
        ..train
    };
    assert!(params.fit(&train1, &FitContext::default()).is_err());
}

/// The quantised pairs: levels are the largest power of two with `n * L` in an `i32`, each
/// row is within half a unit of its exact value, and packed sums (with a negative gradient
/// total) decode to the sums of the quantised values.
#[test]
fn quantised_pairs_pack_and_sum_exactly() {
    let gh: Vec<tree::GradPair> = [(-0.5f32, 0.25f32), (0.3, 0.21), (-0.2, 0.16), (-0.45, 0.05)]
        .iter()
        .map(|&(g, h)| tree::GradPair { g, h })
        .collect();
    let rows: Vec<u32> = vec![0, 1, 2, 3];
    let q = tree::Quantized::new(&gh, &rows);
    // 4 rows: L = 2^28 (4 * 2^29 = 2^31 would not fit); max |g| = 0.5, max h = 0.25.
    let (gu, hu) = q.units();
    assert_eq!(gu, 0.5 / (1u64 << 28) as f64);
    assert_eq!(hu, 0.25 / (1u64 << 28) as f64);
    let mut sum = 0i64;
    for (r, p) in gh.iter().enumerate() {
        let (g, h) = q.pair(r);
        assert!(
            (g - p.g as f64).abs() <= gu / 2.0,
            "row {r}: {g} vs {}",
            p.g
        );
        assert!(
            (h - p.h as f64).abs() <= hu / 2.0,
            "row {r}: {h} vs {}",
            p.h
        );
        sum += q.packed(r);
    }
    let (g, h) = q.decode(sum);
    let (gx, hx): (f64, f64) = (-0.85, 0.67);
    assert!((g - gx).abs() < 1e-7 && (h - hx).abs() < 1e-7, "{g} {h}");
    // The extremes are exact: -0.5 is -L units, 0.25 is L units.
    assert_eq!(q.pair(0), (-0.5, 0.25));
}

/// The root split chosen from the quantised histograms is the one an exact `f64` search
/// over every (feature, bin) finds, with the same gain to 1e-6 relative (the quantisation
/// of 2^18 levels for 5,000 rows moved it by 9e-8 when written), on 5,000 rows of
/// 4 features with over 100 bins each (a brute-force reference written out here).
#[test]
fn quantised_split_matches_exact_search() {
    let (x, _) = synthetic(5000, 4, 2, 17);
    let prep = exact_prepared(x.view());
    let data = &prep.rows;
    let mut rng = Rng::new(9);
    let gh: Vec<tree::GradPair> = (0..data.n_rows)
        .map(|r| tree::GradPair {
            g: (x[[r, 2]] * x[[r, 2]] - 0.4 * x[[r, 0]] + 0.3 * rng.normal()) as f32,
            h: (0.05 + 0.2 * rng.next_f64()) as f32,
        })
        .collect();
    let (_, grown) = grow_on_all(data, &gh, 1, 1.0);
    let tree::BinNode::Split {
        feature, bin, gain, ..
    } = grown.nodes[0]
    else {
        panic!("no split: {:?}", grown.nodes[0]);
    };
    let score = |g: f64, h: f64| g * g / (h + 1.0);
    let (gt, ht) = gh
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.g as f64, b + p.h as f64));
    let mut best = (f64::NEG_INFINITY, 0usize, 0usize);
    for f in 0..4 {
        let nb = data.n_bins[f] as usize;
        let mut sums = vec![(0.0f64, 0.0f64); nb];
        for (r, p) in gh.iter().enumerate() {
            let b = data.code(r, f) as usize;
            sums[b].0 += p.g as f64;
            sums[b].1 += p.h as f64;
        }
        let (mut gl, mut hl) = (0.0, 0.0);
        for (b, s) in sums[..nb - 1].iter().enumerate() {
            gl += s.0;
            hl += s.1;
            let (gr, hr) = (gt - gl, ht - hl);
            if hl < 1.0 || hr < 1.0 {
                continue;
            }
            let g = score(gl, hl) + score(gr, hr) - score(gt, ht);
            if g > best.0 {
                best = (g, f, b);
            }
        }
    }
    assert!(
        data.n_bins.iter().all(|&b| b > 100),
        "many candidate splits: {:?}",
        data.n_bins
    );
    assert_eq!((feature as usize, bin as usize), (best.1, best.2));
    assert!(
        (gain - best.0).abs() <= 1e-6 * best.0,
        "{gain} vs {}",
        best.0
    );
    // Leaf weights come from the exact sums of each side's rows.
    let (mut gl, mut hl) = (0.0, 0.0);
    for (r, p) in gh.iter().enumerate() {
        if data.code(r, best.1) as usize <= best.2 {
            gl += p.g as f64;
            hl += p.h as f64;
        }
    }
    let tree::BinNode::Leaf { value } = grown.nodes[1] else {
        panic!("left child is a leaf")
    };
    assert!((value - (-gl / (hl + 1.0))).abs() < 1e-12);
}

/// The vectorised gradient kernels give the same bits as their portable builds (AVX2 here
/// when the processor has it), and the logistic pairs are the formula's with libm's `exp`
/// to within float rounding.
#[test]
fn gradient_kernels_give_the_same_bits_on_every_build() {
    let mut rng = Rng::new(31);
    let mut margin: Vec<f64> = (0..4099).map(|_| (rng.next_f64() - 0.5) * 80.0).collect();
    margin.extend([0.0, -0.0, 800.0, -800.0, 36.7, -36.7]);
    let y: Vec<u32> = (0..margin.len()).map(|_| rng.below(2) as u32).collect();
    let mut a = vec![GradPair::default(); margin.len()];
    let mut b = a.clone();
    logistic_grads(&margin, &y, &mut a);
    logistic_grads_portable(&margin, &y, &mut b);
    let bits = |v: &[GradPair]| {
        v.iter()
            .map(|p| (p.g.to_bits(), p.h.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&a), bits(&b));
    for ((p, &m), &t) in a.iter().zip(&margin).zip(&y) {
        let q = 1.0 / (1.0 + (-m).exp());
        assert!((p.g as f64 - (q - t as f64)).abs() <= 1e-7, "g at {m}");
        assert!(
            (p.h as f64 - (q * (1.0 - q)).max(1e-16)).abs() <= 1e-7,
            "h at {m}"
        );
        assert!(p.h > 0.0);
    }
    for k in [3, 10] {
        let m: Vec<f64> = (0..k * 1001)
            .map(|_| (rng.next_f64() - 0.5) * 60.0)
            .collect();
        let (mut p, mut q) = (vec![0.0; m.len()], vec![0.0; m.len()]);
        softmax_rows(&m, k, &mut p);
        softmax_rows_portable(&m, k, &mut q);
        assert_eq!(
            p.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            q.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        for row in p.chunks(k) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
