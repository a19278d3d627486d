use std::collections::BTreeMap;

use ndarray::Array2;

use super::model::LEAF;
use super::*;
use crate::DataCache;

/// Owned data behind a [`TrainSet`].
pub(crate) struct Fixture {
    pub x: Array2<f64>,
    pub y: Vec<u32>,
    pub class_names: Vec<String>,
    pub feature_names: Vec<String>,
    pub cache: DataCache,
}

impl Fixture {
    pub fn new(x: Array2<f64>, y: Vec<u32>) -> Self {
        let k = y.iter().max().map_or(0, |&m| m as usize + 1);
        Fixture {
            feature_names: (0..x.ncols()).map(|j| format!("f{j}")).collect(),
            class_names: (0..k).map(|c| c.to_string()).collect(),
            x,
            y,
            cache: DataCache::new(),
        }
    }

    pub fn train(&self) -> TrainSet<'_> {
        TrainSet {
            x: self.x.view(),
            y: &self.y,
            n_classes: self.class_names.len(),
            class_names: &self.class_names,
            feature_names: &self.feature_names,
            cache: &self.cache,
        }
    }

    /// `n` rows, `nf` features uniform in [0, 1); class 1 when f0 + f1 + noise > 1.
    pub fn random(n: usize, nf: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let x = Array2::from_shape_fn((n, nf), |_| rng.next_f64());
        let y = (0..n)
            .map(|i| (x[[i, 0]] + x[[i, 1]] + 0.3 * (rng.next_f64() - 0.5) > 1.0) as u32)
            .collect();
        Fixture::new(x, y)
    }
}

/// The 6-row table of the hand-checked cases (verified with scikit-learn 1.9, see below).
///
/// ```text
/// row  x0 x1  y
///  0    0  0  0
///  1    0  0  0
///  2    0  0  0
///  3    1  0  0
///  4    1  0  1
///  5    1  1  1
/// ```
fn six_rows() -> Fixture {
    let x = Array2::from_shape_vec((6, 2), vec![0., 0., 0., 0., 0., 0., 1., 0., 1., 0., 1., 1.])
        .unwrap();
    Fixture::new(x, vec![0, 0, 0, 0, 1, 1])
}

fn fit(f: &Fixture, p: TreeParams) -> DecisionTree {
    DecisionTreeParams::new(p)
        .fit_tree(&f.train(), &FitContext::default())
        .unwrap()
}

fn stump() -> TreeParams {
    TreeParams {
        max_depth: Some(1),
        ..TreeParams::default()
    }
}

/// Training rows that end in each leaf.
fn leaf_sizes(t: &DecisionTree, x: &Array2<f64>) -> Vec<usize> {
    let mut sizes = vec![0; t.tree.n_leaves()];
    for row in x.rows() {
        sizes[t.tree.leaf(row.as_slice().unwrap())] += 1;
    }
    sizes
}

#[test]
fn gini_picks_the_hand_computed_split() {
    // Root: 4 x class 0, 2 x class 1, Gini 1 - (4/6)^2 - (2/6)^2 = 4/9.
    // x0 <= 0.5: left rows 0-2 (0,0,0) Gini 0; right rows 3-5 (0,1,1) Gini 4/9.
    //            weighted children: 3/6 * 0 + 3/6 * 4/9 = 0.2222
    // x1 <= 0.5: left rows 0-4 (0,0,0,0,1) Gini 1 - (4/5)^2 - (1/5)^2 = 0.32; right row 5 pure.
    //            weighted children: 5/6 * 0.32 + 0 = 0.2667
    // So the root splits on x0 at the midpoint 0.5; the right leaf holds 1/3 class 0.
    let t = fit(&six_rows(), stump());
    let root = t.tree.nodes[0];
    assert_eq!((root.feature, root.threshold), (0, 0.5));
    let p = t.scores(ndarray::array![[0.0, 0.0], [1.0, 0.0]].view());
    assert_eq!(p.row(0).to_vec(), vec![1.0, 0.0]);
    assert!((p[[1, 0]] - 1.0 / 3.0).abs() < 1e-15 && (p[[1, 1]] - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn class_weights_change_the_split() {
    // With class 0 weighing 3: root class weights (12, 2), total 14.
    // x0 <= 0.5: left (9, 0) pure; right (3, 2), Gini 1 - (9 + 4)/25 = 0.48 -> 5/14 * 0.48 = 0.1714
    // x1 <= 0.5: left (12, 1), Gini 1 - (144 + 1)/169 = 24/169 -> 13/14 * 24/169 = 0.1319;
    //            right (0, 2) pure. x1 is now better (scikit-learn agrees: class_weight={0: 3}
    //            splits on feature_1 first).
    let f = six_rows();
    let mut m = BTreeMap::new();
    m.insert("0".to_string(), 3.0);
    let t = fit(
        &f,
        TreeParams {
            class_weight: ClassWeight::Map(m),
            ..stump()
        },
    );
    assert_eq!(
        (t.tree.nodes[0].feature, t.tree.nodes[0].threshold),
        (1, 0.5)
    );
    // Leaf probabilities are weighted: left leaf (12, 1) of 13.
    let p = t.scores(ndarray::array![[1.0, 0.0]].view());
    assert!((p[[0, 0]] - 12.0 / 13.0).abs() < 1e-15);
    // An unknown class name is an error that names it.
    let mut bad = BTreeMap::new();
    bad.insert("attack".to_string(), 2.0);
    let e = DecisionTreeParams::new(TreeParams {
        class_weight: ClassWeight::Map(bad),
        ..TreeParams::default()
    })
    .fit_tree(&f.train(), &FitContext::default())
    .unwrap_err();
    assert!(e.to_string().contains("`attack`"), "{e}");
}

#[test]
fn balanced_weights_follow_scikit_learn() {
    // compute_class_weight("balanced", classes=[0, 1, 2], y=[0, 0, 0, 0, 1, 1, 2])
    // = n / (n_classes * bincount) = 7 / (3 * [4, 2, 1]) = [0.58333333, 1.16666667, 2.33333333]
    let w = balanced_weights(&[4.0, 2.0, 1.0]);
    let expect = [7.0 / 12.0, 7.0 / 6.0, 7.0 / 3.0];
    for (a, b) in w.iter().zip(expect) {
        assert!((a - b).abs() < 1e-15, "{w:?}");
    }
    // A class with no rows does not count among the classes (scikit-learn only sees the
    // classes present in y).
    assert_eq!(balanced_weights(&[2.0, 0.0, 2.0]), vec![1.0, 1.0, 1.0]);
}

#[test]
fn feature_importances_match_the_hand_computation() {
    // Weighted impurity decreases (N * I - N_L * I_L - N_R * I_R):
    //   root on x0: 6 * 4/9 - 3 * 0 - 3 * 4/9 = 4/3
    //   right child (0,1,1) on x1: 3 * 4/9 - 2 * 1/2 - 1 * 0 = 1/3
    // normalised: [0.8, 0.2], as scikit-learn's feature_importances_ ([0.8, 0.19999999999999998]).
    let f = six_rows();
    let t = fit(&f, TreeParams::default());
    let imp = t.feature_importances().unwrap();
    assert!(
        (imp[0] - 0.8).abs() < 1e-12 && (imp[1] - 0.2).abs() < 1e-12,
        "{imp:?}"
    );
    // Entropy: scikit-learn gives [0.7849185485585758, 0.2150814514414242].
    let t = fit(
        &f,
        TreeParams {
            criterion: Criterion::Entropy,
            ..TreeParams::default()
        },
    );
    let imp = t.feature_importances().unwrap();
    assert!((imp[0] - 0.7849185485585758).abs() < 1e-12, "{imp:?}");
}

#[test]
fn min_impurity_decrease_uses_the_weighted_definition() {
    // Root improvement N_t/N * (I - N_L/N_t I_L - N_R/N_t I_R) = 1 * (4/9 - 0 - 1/2 * 4/9)
    // = 0.222; the right child's = 3/6 * (4/9 - 2/3 * 1/2 - 0) = 0.056. With a threshold of
    // 0.1 only the root splits (scikit-learn: 2 leaves).
    let f = six_rows();
    let t = fit(
        &f,
        TreeParams {
            min_impurity_decrease: 0.1,
            ..TreeParams::default()
        },
    );
    assert_eq!(t.n_leaves(), 2);
    let t = fit(
        &f,
        TreeParams {
            min_impurity_decrease: 0.05,
            ..TreeParams::default()
        },
    );
    assert_eq!(t.n_leaves(), 3);
}

#[test]
fn max_depth_is_reached_and_not_exceeded() {
    let f = Fixture::random(2000, 4, 1);
    let deep = fit(&f, TreeParams::default());
    assert!(
        deep.depth() > 3,
        "the unlimited tree should be deeper than 3"
    );
    let t = fit(
        &f,
        TreeParams {
            max_depth: Some(3),
            ..TreeParams::default()
        },
    );
    assert_eq!(t.depth(), 3);
    assert!(t.n_leaves() <= 8);
}

#[test]
fn min_samples_leaf_is_respected() {
    let f = Fixture::random(2000, 4, 2);
    let free = fit(&f, TreeParams::default());
    assert!(leaf_sizes(&free, &f.x).iter().any(|&n| n < 7));
    let t = fit(
        &f,
        TreeParams {
            min_samples_leaf: 7,
            ..TreeParams::default()
        },
    );
    let sizes = leaf_sizes(&t, &f.x);
    assert!(sizes.iter().all(|&n| n >= 7), "{sizes:?}");
}

#[test]
fn min_samples_split_is_respected() {
    // A node with fewer than 50 rows is never split: every split node holds >= 50 rows,
    // so every leaf's parent does.
    let f = Fixture::random(2000, 4, 3);
    let t = fit(
        &f,
        TreeParams {
            min_samples_split: 50,
            ..TreeParams::default()
        },
    );
    let sizes = leaf_sizes(&t, &f.x);
    let nodes = &t.tree.nodes;
    // Rows under each node, from the leaves up (children come after their parent).
    let mut under = vec![0usize; nodes.len()];
    for i in (0..nodes.len()).rev() {
        under[i] = if nodes[i].feature == LEAF {
            sizes[nodes[i].child as usize]
        } else {
            under[nodes[i].child as usize] + under[nodes[i].child as usize + 1]
        };
    }
    for (i, n) in nodes.iter().enumerate() {
        if n.feature != LEAF {
            assert!(under[i] >= 50, "node {i} split with {} rows", under[i]);
        }
    }
}

#[test]
fn max_leaf_nodes_grows_best_first() {
    let f = Fixture::random(2000, 4, 4);
    let t = fit(
        &f,
        TreeParams {
            max_leaf_nodes: Some(10),
            ..TreeParams::default()
        },
    );
    assert_eq!(t.n_leaves(), 10);
    // The first split of a best-first tree is the depth-first tree's root split.
    let d = fit(&f, TreeParams::default());
    assert_eq!(t.tree.nodes[0], d.tree.nodes[0]);
}

#[test]
fn max_features_resolves_like_scikit_learn() {
    assert_eq!(MaxFeatures::Sqrt.resolve(122), 11);
    assert_eq!(MaxFeatures::Log2.resolve(122), 6);
    assert_eq!(MaxFeatures::Fraction(0.5).resolve(5), 2);
    assert_eq!(MaxFeatures::Fraction(0.01).resolve(5), 1);
    assert_eq!(MaxFeatures::Count(50).resolve(10), 10);
    assert_eq!(MaxFeatures::All.resolve(7), 7);
}

#[test]
fn fits_separable_data_exactly_and_predicts_raw_rows() {
    let f = Fixture::random(1000, 3, 5);
    let t = fit(&f, TreeParams::default());
    // Unlimited depth: every training row is predicted right (no two rows are equal).
    assert_eq!(t.predict(f.x.view()), f.y);
    // Probabilities sum to one.
    for row in t.scores(f.x.view()).rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn nan_goes_right_without_panicking() {
    let t = fit(&six_rows(), stump());
    // Root: x0 <= 0.5 left (class 0), else right (2/3 class 1).
    let p = t.scores(ndarray::array![[f64::NAN, 0.0]].view());
    assert!((p[[0, 1]] - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn save_load_round_trips_exactly() {
    let f = Fixture::random(3000, 5, 6);
    let t = fit(
        &f,
        TreeParams {
            class_weight: ClassWeight::Balanced,
            ..TreeParams::default()
        },
    );
    let bytes = t.save().unwrap();
    let back = DecisionTree::load(&bytes).unwrap();
    assert_eq!(back, t);
    let test = Fixture::random(1000, 5, 7);
    assert_eq!(back.scores(test.x.view()), t.scores(test.x.view()));
    // Through the registry's loader too, by kind.
    let entry = crate::registry::classifiers()
        .into_iter()
        .find(|e| e.name == t.kind())
        .unwrap();
    let boxed = (entry.load)(&bytes).unwrap();
    assert_eq!(boxed.scores(test.x.view()), t.scores(test.x.view()));
    // Damaged bytes are an error, not a panic.
    assert!(DecisionTree::load(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn registry_params_resolve_to_scikit_learn_defaults() {
    let specs = DecisionTreeParams::specs();
    let p = crate::params::resolve(&specs, &BTreeMap::new()).unwrap();
    let d = DecisionTreeParams::from_params(&p).unwrap();
    assert_eq!(d.tree, TreeParams::default());
    let mut given = BTreeMap::new();
    given.insert("max_features".to_string(), ParamValue::Int(1));
    given.insert("criterion".to_string(), ParamValue::Str("log_loss".into()));
    let p = crate::params::resolve(&specs, &given).unwrap();
    let d = DecisionTreeParams::from_params(&p).unwrap();
    assert_eq!(d.tree.max_features, MaxFeatures::Count(1));
    assert_eq!(d.tree.criterion, Criterion::Entropy);
    given.insert("max_features".to_string(), ParamValue::Float(0.5));
    let p = crate::params::resolve(&specs, &given).unwrap();
    assert_eq!(
        DecisionTreeParams::from_params(&p)
            .unwrap()
            .tree
            .max_features,
        MaxFeatures::Fraction(0.5)
    );
}

#[test]
fn entropy_and_gini_impurities() {
    assert!((grow::impurity(Criterion::Gini, &[4.0, 2.0], 6.0) - 4.0 / 9.0).abs() < 1e-15);
    let h = grow::impurity(Criterion::Entropy, &[1.0, 1.0], 2.0);
    assert!((h - 1.0).abs() < 1e-15);
    assert_eq!(grow::impurity(Criterion::Entropy, &[3.0, 0.0], 3.0), 0.0);
}

#[test]
fn parallel_and_sequential_split_search_grow_the_same_tree() {
    let f = Fixture::random(3000, 6, 8);
    let bins = BinnedMatrix::build(f.x.view(), 255);
    let rows: Vec<u32> = (0..3000).collect();
    let weights = vec![1.0; 3000];
    // Uniform random columns: 3,000 distinct values each, so with exact columns every
    // feature is split exactly.
    let exact = super::exact::ExactColumns::build(f.x.view(), &bins);
    assert_eq!(exact.values.len(), 6);
    for (p, exact) in [
        (TreeParams::default(), None),
        (TreeParams::default(), Some(&exact)),
        (
            TreeParams {
                criterion: Criterion::Entropy,
                ..TreeParams::default()
            },
            None,
        ),
    ] {
        let mut cfg = p.grow_config(6, grow::Splitter::Best);
        let mut trees = Vec::new();
        for par in [usize::MAX, 0] {
            cfg.par_min_work = par;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap();
            let g = pool.install(|| {
                grow::grow(
                    &bins,
                    &grow::ColumnShortcuts::build(&bins),
                    exact,
                    &f.y,
                    2,
                    rows.clone(),
                    weights.clone(),
                    &cfg,
                    &mut Rng::new(9),
                )
            });
            trees.push((g.tree, g.importances));
        }
        assert!(trees[0] == trees[1]);
    }
}

/// Rows with features of very different numbers of bins (2, 3, 40 values, quantiles) and
/// labels that depend on them with noise.
fn mixed(n: usize, seed: u64) -> Fixture {
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_fn((n, 5), |(_, j)| match j {
        0 => rng.below(2) as f64,
        1 => rng.below(3) as f64,
        2 => rng.below(40) as f64,
        3 => rng.normal(),
        _ => (rng.below(10) == 0) as u8 as f64,
    });
    let y = (0..n)
        .map(|i| {
            let v = x[[i, 0]] + x[[i, 1]] * 0.5 + x[[i, 3]] + x[[i, 2]] / 40.0;
            ((v + rng.normal() * 0.7) > 1.2) as u32 + (x[[i, 4]] as u32) * (i % 2) as u32
        })
        .collect();
    Fixture::new(x, y)
}

/// Best accuracy any partition of the rows by their bins can reach on them.
fn achievable(bins: &BinnedMatrix, y: &[u32], rows: &[usize]) -> usize {
    let mut groups: std::collections::HashMap<Vec<u8>, Vec<usize>> = Default::default();
    for &i in rows {
        let key: Vec<u8> = (0..bins.n_features).map(|f| bins.column(f)[i]).collect();
        let g = groups.entry(key).or_insert_with(|| vec![0; 3]);
        g[y[i] as usize] += 1;
    }
    groups.values().map(|g| *g.iter().max().unwrap()).sum()
}

#[test]
fn full_trees_separate_every_separable_group() {
    // A full-depth tree must end every branch pure or on rows that no split can separate,
    // whatever path built its histograms (subtraction, per-feature scratch of features with
    // different bin counts, skipped most frequent bin, small-node ranges, random splits).
    let f = mixed(6000, 21);
    let bins = BinnedMatrix::build(f.x.view(), 255);
    let all: Vec<usize> = (0..f.y.len()).collect();
    let best = achievable(&bins, &f.y, &all);
    let right = |t: &Tree| {
        all.iter()
            .filter(|&&i| {
                let v = t.value(t.leaf(f.x.row(i).as_slice().unwrap()));
                let mut k = 0;
                for c in 1..v.len() {
                    if v[c] > v[k] {
                        k = c;
                    }
                }
                k == f.y[i] as usize
            })
            .count()
    };
    for (splitter, max_features) in [
        (grow::Splitter::Best, 5),
        (grow::Splitter::Best, 1),
        (grow::Splitter::Best, 2),
        (grow::Splitter::Random, 2),
        (grow::Splitter::Random, 5),
    ] {
        let mut cfg = TreeParams::default().grow_config(5, splitter);
        cfg.max_features = max_features;
        let g = grow::grow(
            &bins,
            &grow::ColumnShortcuts::build(&bins),
            None,
            &f.y,
            3,
            (0..6000).collect(),
            vec![1.0; 6000],
            &cfg,
            &mut Rng::new(4),
        );
        assert_eq!(
            right(&g.tree),
            best,
            "{splitter:?}, max_features {max_features}"
        );
    }
}

/// Rows with one-hot and mostly-zero columns (sparse columns), a few dense ones, and
/// `k` classes.
fn sparse_mix(n: usize, k: u32, seed: u64) -> Fixture {
    let mut rng = Rng::new(seed);
    let nf = 12;
    let mut x = Array2::zeros((n, nf));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        // Columns 0..6: one-hot of a category that is mostly 0.
        let cat = if rng.below(10) < 8 { 0 } else { rng.below(6) };
        x[[i, cat]] = 1.0;
        // Column 6: a counter that is nearly always 0; 7: rarely 1 or 2.
        x[[i, 6]] = if rng.below(30) == 0 {
            rng.below(50) as f64
        } else {
            0.0
        };
        x[[i, 7]] = if rng.below(40) == 0 {
            1.0 + rng.below(2) as f64
        } else {
            0.0
        };
        for j in 8..nf {
            x[[i, j]] = rng.normal();
        }
        let v = x[[i, 8]] + 0.5 * x[[i, 9]] + cat as f64 * 0.4 + x[[i, 6]] / 25.0;
        y.push(((v + rng.normal() * 0.5).max(0.0) as u32).min(k - 1));
    }
    Fixture::new(x, y)
}

#[test]
fn shortcuts_grow_the_same_trees_as_the_plain_paths() {
    // Sparse columns (read through row positions), bitmaps of two-bin features, reused
    // codes and unit-weight counting only change how sums are made, never their values:
    // every tree must equal the plain one.
    for k in [2u32, 3] {
        let f = sparse_mix(5000, k, 30 + k as u64);
        let bins = BinnedMatrix::build(f.x.view(), 255);
        let sparse = grow::ColumnShortcuts::build(&bins);
        let n_sparse = sparse.sparse.iter().filter(|c| c.is_some()).count();
        assert!(n_sparse >= 7, "{n_sparse} sparse columns");
        // A bootstrap-like sample (integer weights) and all rows with unit weights.
        let mut rng = Rng::new(5);
        let mut mult = vec![0u32; 5000];
        for _ in 0..5000 {
            mult[rng.below(5000)] += 1;
        }
        let boot: Vec<u32> = (0..5000).filter(|&i| mult[i as usize] > 0).collect();
        let boot_w: Vec<f64> = boot.iter().map(|&i| mult[i as usize] as f64).collect();
        // Class weights that are not integers: sums in another order could round
        // differently, so those paths keep the row order.
        let cw: Vec<f64> = (0..5000).map(|i| 0.7 + 0.3 * f.y[i] as f64).collect();
        let samples = [
            (boot.clone(), boot_w),
            ((0..5000).collect::<Vec<u32>>(), vec![1.0; 5000]),
            ((0..5000).collect::<Vec<u32>>(), cw),
        ];
        for (splitter, max_features) in [
            (grow::Splitter::Best, 3),
            (grow::Splitter::Best, 12),
            (grow::Splitter::Random, 3),
            (grow::Splitter::Random, 12),
        ] {
            for (rows, weights) in &samples {
                let mut cfg = TreeParams::default().grow_config(12, splitter);
                cfg.max_features = max_features;
                let mut trees = Vec::new();
                for plain in [true, false] {
                    cfg.plain = plain;
                    let g = grow::grow(
                        &bins,
                        &sparse,
                        None,
                        &f.y,
                        k as usize,
                        rows.clone(),
                        weights.clone(),
                        &cfg,
                        &mut Rng::new(17),
                    );
                    trees.push((g.tree, g.importances));
                }
                assert!(trees[0].0.nodes.len() > 50);
                assert!(
                    trees[0] == trees[1],
                    "{k} classes, {splitter:?}, max_features {max_features}, {} rows",
                    rows.len()
                );
            }
        }
    }
}
