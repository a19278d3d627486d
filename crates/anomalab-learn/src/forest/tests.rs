use std::collections::BTreeMap;

use super::*;
use crate::tree::MaxFeatures;
use crate::tree::tests::Fixture;

fn small(kind: ForestKind) -> ForestParams {
    ForestParams {
        n_estimators: 12,
        ..ForestParams::new(kind)
    }
}

fn fit_in_pool(p: &ForestParams, f: &Fixture, threads: usize, seed: u64) -> Forest {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    // A fresh cache each time, so the bins are built inside this pool too.
    let fresh = Fixture::new(f.x.clone(), f.y.clone());
    pool.install(|| {
        p.fit_forest(&fresh.train(), &FitContext { seed, threads })
            .unwrap()
    })
}

#[test]
fn same_seed_same_forest_whatever_the_thread_count() {
    // 20,000 x 16 also takes the parallel histogram path of the all-features trees.
    let f = Fixture::random(20_000, 16, 11);
    let test = Fixture::random(2_000, 16, 12);
    let configs = [
        ForestParams {
            oob_score: true,
            ..small(ForestKind::RandomForest)
        },
        small(ForestKind::ExtraTrees),
        ForestParams {
            n_estimators: 3,
            tree: TreeParams {
                max_features: MaxFeatures::All,
                ..TreeParams::default()
            },
            ..small(ForestKind::RandomForest)
        },
    ];
    for p in &configs {
        let a = fit_in_pool(p, &f, 1, 42);
        let b = fit_in_pool(p, &f, 2, 42);
        assert!(
            a == b,
            "{:?}: models differ between 1 and 2 threads",
            p.kind
        );
        let pa = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let pb = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let sa = pa.install(|| a.scores(test.x.view()));
        let sb = pb.install(|| b.scores(test.x.view()));
        assert_eq!(sa, sb);
        // Another seed gives another forest.
        assert!(fit_in_pool(p, &f, 2, 43) != a);
    }
}

#[test]
fn save_load_round_trips_exactly_and_compactly() {
    let f = Fixture::random(5_000, 6, 13);
    let test = Fixture::random(1_000, 6, 14);
    for kind in [ForestKind::RandomForest, ForestKind::ExtraTrees] {
        let m = fit_in_pool(
            &ForestParams {
                oob_score: kind == ForestKind::RandomForest,
                ..small(kind)
            },
            &f,
            2,
            1,
        );
        let bytes = m.save().unwrap();
        let back = Forest::load(&bytes, kind).unwrap();
        assert!(back == m);
        assert_eq!(back.scores(test.x.view()), m.scores(test.x.view()));
        assert_eq!(back.oob_score(), m.oob_score());
        // A few bytes per node.
        let (nodes, _) = m.size();
        assert!(
            bytes.len() < nodes * 8,
            "{} bytes for {nodes} nodes",
            bytes.len()
        );
        // The registry finds the loader by kind; the other kind's loader refuses.
        let entry = crate::registry::classifiers()
            .into_iter()
            .find(|e| e.name == m.kind())
            .unwrap();
        assert_eq!(
            (entry.load)(&bytes).unwrap().scores(test.x.view()),
            m.scores(test.x.view())
        );
        let other = if kind == ForestKind::RandomForest {
            ForestKind::ExtraTrees
        } else {
            ForestKind::RandomForest
        };
        assert!(Forest::load(&bytes, other).is_err());
    }
}

#[test]
fn forests_learn_and_report_oob_accuracy() {
    let f = Fixture::random(4_000, 6, 15);
    let test = Fixture::random(2_000, 6, 16);
    let rf = fit_in_pool(
        &ForestParams {
            n_estimators: 40,
            oob_score: true,
            ..ForestParams::new(ForestKind::RandomForest)
        },
        &f,
        2,
        3,
    );
    let acc = |m: &Forest| {
        let p = m.predict(test.x.view());
        p.iter().zip(&test.y).filter(|(a, b)| a == b).count() as f64 / p.len() as f64
    };
    let test_acc = acc(&rf);
    let oob = rf.oob_score().unwrap();
    assert!(test_acc > 0.85, "test accuracy {test_acc}");
    assert!(
        (oob - test_acc).abs() < 0.04,
        "oob {oob} vs test {test_acc}"
    );
    // Importances sum to 1 and the two informative features lead.
    let imp = rf.feature_importances().unwrap();
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(imp[0] > 0.3 && imp[1] > 0.3, "{imp:?}");

    let et = fit_in_pool(
        &ForestParams {
            n_estimators: 40,
            ..ForestParams::new(ForestKind::ExtraTrees)
        },
        &f,
        2,
        3,
    );
    assert!(acc(&et) > 0.85);
    assert_eq!(et.kind(), "extra_trees");
    assert_eq!(rf.kind(), "random_forest");
    // Without bootstrap every tree sees every row: a full-depth tree fits them all.
    let single = fit_in_pool(
        &ForestParams {
            n_estimators: 1,
            ..ForestParams::new(ForestKind::ExtraTrees)
        },
        &f,
        1,
        3,
    );
    let p = single.predict(f.x.view());
    let wrong = p.iter().zip(&f.y).filter(|(a, b)| a != b).count();
    assert!(wrong <= 2, "{wrong} training rows wrong");
}

#[test]
fn bootstrap_options_and_their_checks() {
    let f = Fixture::random(2_000, 4, 17);
    let p = ForestParams {
        max_samples: MaxSamples::Fraction(0.3),
        tree: TreeParams {
            class_weight: ClassWeight::BalancedSubsample,
            ..ForestParams::new(ForestKind::RandomForest).tree
        },
        ..small(ForestKind::RandomForest)
    };
    let m = fit_in_pool(&p, &f, 2, 5);
    assert_eq!(m.n_trees(), 12);
    let too_many = ForestParams {
        max_samples: MaxSamples::Count(5_000),
        ..small(ForestKind::RandomForest)
    };
    assert!(
        too_many
            .fit_forest(&f.train(), &FitContext::default())
            .is_err()
    );

    // Parameter checks through the schema.
    let specs = ForestParams::specs(ForestKind::ExtraTrees);
    let mut given = BTreeMap::new();
    given.insert("oob_score".to_string(), ParamValue::Bool(true));
    let map = crate::params::resolve(&specs, &given).unwrap();
    let e = ForestParams::from_params(ForestKind::ExtraTrees, &map).unwrap_err();
    assert!(e.to_string().contains("bootstrap"), "{e}");
    // Defaults are scikit-learn's.
    let map = crate::params::resolve(&specs, &BTreeMap::new()).unwrap();
    assert_eq!(
        ForestParams::from_params(ForestKind::ExtraTrees, &map).unwrap(),
        ForestParams::new(ForestKind::ExtraTrees)
    );
    let map = crate::params::resolve(
        &ForestParams::specs(ForestKind::RandomForest),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(
        ForestParams::from_params(ForestKind::RandomForest, &map).unwrap(),
        ForestParams::new(ForestKind::RandomForest)
    );
}

#[test]
fn oob_score_is_the_brute_force_out_of_bag_accuracy() {
    // Small enough that rows left out by no tree can occur (5 trees: 0.37^5 = 0.7% of the
    // rows), with three classes and noise so that out-of-bag votes are not all right.
    let n = 300;
    let mut rng = Rng::new(41);
    let x = ndarray::Array2::from_shape_fn((n, 3), |_| rng.next_f64());
    let y: Vec<u32> = (0..n)
        .map(|i| ((x[[i, 0]] * 3.0 + 0.8 * (rng.next_f64() - 0.5)).clamp(0.0, 2.9)) as u32)
        .collect();
    let f = Fixture::new(x.clone(), y.clone());
    for (trees, seed) in [(5, 7u64), (25, 8)] {
        let p = ForestParams {
            n_estimators: trees,
            oob_score: true,
            ..ForestParams::new(ForestKind::RandomForest)
        };
        let m = fit_in_pool(&p, &f, 2, seed);
        // Brute force: redraw each tree's bootstrap sample from its seed, and let the
        // trees that did not draw a row vote for it with their class probabilities on its
        // raw features.
        let mut votes = vec![vec![0.0; 3]; n];
        let mut voted = vec![false; n];
        for (t, tree) in m.trees.iter().enumerate() {
            let mut r = Rng::new(derive_seed(seed, t as u64));
            let mult = bootstrap_counts(&mut r, n, n);
            for i in 0..n {
                if mult[i] == 0 {
                    voted[i] = true;
                    let v = tree.value(tree.leaf(x.row(i).as_slice().unwrap()));
                    for (a, b) in votes[i].iter_mut().zip(v) {
                        *a += b;
                    }
                }
            }
        }
        let (mut right, mut seen) = (0, 0);
        for i in 0..n {
            if voted[i] {
                seen += 1;
                let best = (0..3).fold(0, |b, k| if votes[i][k] > votes[i][b] { k } else { b });
                right += (best == y[i] as usize) as usize;
            }
        }
        let want = right as f64 / seen as f64;
        assert!(seen < n || trees == 25, "{seen} rows out of bag");
        assert!(want > 0.5 && want < 1.0, "brute-force oob accuracy {want}");
        assert_eq!(m.oob_score(), Some(want));
        // Through the trait too; models fitted without it have none.
        let c: &dyn Classifier = &m;
        assert_eq!(c.oob_score(), Some(want));
    }
    let plain = fit_in_pool(&small(ForestKind::RandomForest), &f, 1, 1);
    assert_eq!((&plain as &dyn Classifier).oob_score(), None);
}
