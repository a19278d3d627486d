//! Registry round trips of the unsupervised entries: every default parameter value passes
//! its own schema, the built model fits, and a saved model loads back and scores the same.
//! Plus the model-selection paths (`n_clusters: auto`, `n_components: auto`, `eps: auto`,
//! `max_rows`) on data whose answer is known by construction.

use anomalab_results::ModelDiagnostic;
use std::collections::BTreeMap;

use anomalab_learn::registry::{classifiers, clusterers, detectors};
use anomalab_learn::{DataCache, FitContext, ParamMap, ParamValue, Rng, TrainSet};
use ndarray::Array2;

/// `k` tight blobs (sd 0.3) on a circle of radius 10 in 3-d, `per` rows each, plus
/// `noise` rows far away on a larger shell.
fn blobs(k: usize, per: usize, noise: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let n = k * per + noise;
    let mut x = Array2::zeros((n, 3));
    let mut y = Vec::with_capacity(n);
    for i in 0..k * per {
        let c = i % k;
        let a = c as f64 * std::f64::consts::TAU / k as f64;
        x[[i, 0]] = 10.0 * a.cos() + 0.3 * rng.normal();
        x[[i, 1]] = 10.0 * a.sin() + 0.3 * rng.normal();
        x[[i, 2]] = 0.3 * rng.normal();
        y.push(c);
    }
    for i in k * per..n {
        let a = rng.next_f64() * std::f64::consts::TAU;
        x[[i, 0]] = 30.0 * a.cos();
        x[[i, 1]] = 30.0 * a.sin();
        x[[i, 2]] = 30.0 * (rng.next_f64() - 0.5);
        y.push(usize::MAX);
    }
    (x, y)
}

fn resolve(specs: &[anomalab_learn::ParamSpec], given: &[(&str, ParamValue)]) -> ParamMap {
    let g: BTreeMap<String, ParamValue> = given
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    anomalab_learn::params::resolve(specs, &g).expect("defaults and given values pass the schema")
}

const OURS_DET: [&str; 6] = [
    "isolation_forest",
    "som",
    "pca_detector",
    "autoencoder",
    "one_class_svm",
    "lof",
];

#[test]
fn detectors_fit_save_load_score_identically() {
    let (x, _) = blobs(3, 60, 5, 1);
    let ctx = FitContext {
        seed: 3,
        threads: 2,
    };
    for e in detectors().iter().filter(|e| OURS_DET.contains(&e.name)) {
        let mut given = vec![];
        if e.name == "som" {
            given.push(("iterations", ParamValue::Int(500)));
        }
        if e.name == "autoencoder" {
            given.push(("max_iter", ParamValue::Int(20)));
        }
        let p = (e.build)(&resolve(&(e.params)(), &given)).unwrap();
        let m = p.fit(x.view(), &ctx).unwrap();
        assert_eq!(m.kind(), e.name);
        let s = m.score(x.view());
        assert_eq!(s.len(), x.nrows());
        // The far-away noise rows (last 5) score above the median blob row.
        let mut blob: Vec<f64> = s[..180].to_vec();
        blob.sort_by(|a, b| a.total_cmp(b));
        let med = blob[90];
        assert!(
            s[180..].iter().all(|&v| v > med),
            "{}: {:?} vs median {med}",
            e.name,
            &s[180..]
        );
        let back = (e.load)(&m.save().unwrap()).unwrap();
        assert_eq!(back.score(x.view()), s, "{}", e.name);
        assert!(serde_json::to_string(&m.diagnostics()).is_ok());
        // Wrong width never panics.
        assert!(
            m.score(Array2::zeros((2, 5)).view())
                .iter()
                .all(|v| v.is_nan())
        );
    }
    let names: Vec<&str> = detectors().iter().map(|e| e.name).collect();
    for n in OURS_DET {
        assert!(names.contains(&n), "{n} not registered");
    }
}

#[test]
fn kmeans_auto_picks_the_blob_count_and_gmm_auto_by_bic() {
    let (x, y) = blobs(4, 50, 0, 2);
    let ctx = FitContext {
        seed: 1,
        threads: 2,
    };
    let km = clusterers()
        .into_iter()
        .find(|e| e.name == "kmeans")
        .unwrap();
    let p = (km.build)(&resolve(
        &(km.params)(),
        &[
            ("n_clusters", ParamValue::Str("auto".into())),
            ("k_max", ParamValue::Int(8)),
        ],
    ))
    .unwrap();
    let c = p.fit(x.view(), &ctx).unwrap();
    assert_eq!(c.n_clusters, 4, "{:?}", c.diagnostics);
    let [ModelDiagnostic::Elbow(elbow)] = &c.diagnostics[..] else {
        panic!("{:?}", c.diagnostics)
    };
    assert_eq!(elbow.chosen_k, 4);
    // The silhouette peaks at the true k as well.
    let sil: Vec<f64> = elbow.silhouette.iter().map(|v| v.unwrap()).collect();
    let best = (0..sil.len())
        .max_by(|&a, &b| sil[a].total_cmp(&sil[b]))
        .unwrap();
    assert_eq!(best + 2, 4, "{sil:?}");
    // Each blob is one cluster.
    for b in 0..4 {
        let labs: std::collections::BTreeSet<_> = (0..x.nrows())
            .filter(|&i| y[i] == b)
            .map(|i| c.labels[i])
            .collect();
        assert_eq!(labs.len(), 1);
    }
    let model = c.model.unwrap();
    let loaded = (km.load.unwrap())(&model.save().unwrap()).unwrap();
    assert_eq!(loaded.assign(x.view()), model.assign(x.view()));

    let gm = clusterers().into_iter().find(|e| e.name == "gmm").unwrap();
    let p = (gm.build)(&resolve(
        &(gm.params)(),
        &[
            ("n_components", ParamValue::Str("auto".into())),
            ("k_max", ParamValue::Int(6)),
        ],
    ))
    .unwrap();
    let c = p.fit(x.view(), &ctx).unwrap();
    assert_eq!(c.n_clusters, 4, "{:?}", c.diagnostics);
    let [ModelDiagnostic::InformationCriteria(ic)] = &c.diagnostics[..] else {
        panic!("{:?}", c.diagnostics)
    };
    assert_eq!(ic.chosen, 4);
    let model = c.model.unwrap();
    let loaded = (gm.load.unwrap())(&model.save().unwrap()).unwrap();
    assert_eq!(loaded.score(x.view()), model.score(x.view()));
}

#[test]
fn dbscan_auto_eps_and_sampling() {
    let (x, y) = blobs(3, 100, 6, 4);
    let db = clusterers()
        .into_iter()
        .find(|e| e.name == "dbscan")
        .unwrap();
    assert!(db.load.is_none());
    let ctx = FitContext {
        seed: 5,
        threads: 2,
    };
    let p = (db.build)(&resolve(
        &(db.params)(),
        &[("eps", ParamValue::Str("auto".into()))],
    ))
    .unwrap();
    let c = p.fit(x.view(), &ctx).unwrap();
    assert_eq!(c.n_clusters, 3, "{:?}", c.diagnostics);
    // The 6 far rows (k-distance > 20) are noise. The knee lands just past them, in the
    // blob part of the curve (here index 8 of 306, eps ~0.64), so a blob row in the
    // Gaussian tail (k-distance ~1.1 against sd 0.3) may be noise too, but only a few.
    for i in 300..306 {
        assert!(c.labels[i].is_none(), "far row {i}");
    }
    let blob_noise = (0..300).filter(|&i| c.labels[i].is_none()).count();
    assert!(blob_noise <= 6, "{blob_noise} blob rows are noise");
    let [ModelDiagnostic::KDistance(kd)] = &c.diagnostics[..] else {
        panic!("{:?}", c.diagnostics)
    };
    let knee = kd.knee_index.unwrap();
    assert!((6..20).contains(&knee), "knee {knee}");
    let eps = kd.eps;
    assert!(eps > 0.0 && eps < 10.0, "eps {eps}");
    assert!(!kd.distances.is_empty());
    assert_eq!(kd.total_rows, kd.sampled_rows);

    // With max_rows = 150 the other rows join the nearest core row of the sample.
    let p = (db.build)(&resolve(
        &(db.params)(),
        &[
            ("eps", ParamValue::Float(1.5)),
            ("max_rows", ParamValue::Int(150)),
        ],
    ))
    .unwrap();
    let c = p.fit(x.view(), &ctx).unwrap();
    assert!(
        matches!(
            c.diagnostics[..],
            [ModelDiagnostic::Sample {
                rows_clustered: 150,
                rows_total: 306,
                ..
            }]
        ),
        "{:?}",
        c.diagnostics
    );
    assert_eq!(c.n_clusters, 3);
    assert_eq!(c.labels.len(), x.nrows());
    for (i, (label, &truth)) in c.labels.iter().zip(&y).enumerate() {
        assert_eq!(label.is_none(), truth == usize::MAX, "row {i}");
    }
}

#[test]
fn mlp_registry_entry_fits_and_round_trips() {
    let (x, yb) = blobs(3, 40, 0, 6);
    let y: Vec<u32> = yb.iter().map(|&c| c as u32).collect();
    let names: Vec<String> = (0..3).map(|i| i.to_string()).collect();
    let feats: Vec<String> = (0..3).map(|i| format!("f{i}")).collect();
    let cache = DataCache::new();
    let ts = TrainSet {
        x: x.view(),
        y: &y,
        n_classes: 3,
        class_names: &names,
        feature_names: &feats,
        cache: &cache,
    };
    let e = classifiers().into_iter().find(|e| e.name == "mlp").unwrap();
    let p = (e.build)(&resolve(
        &(e.params)(),
        &[("hidden", ParamValue::List(vec![ParamValue::Int(8)]))],
    ))
    .unwrap();
    let m = p.fit(&ts, &FitContext::default()).unwrap();
    let pred = m.predict(x.view());
    let acc = pred.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
    assert_eq!(acc, 1.0, "separable blobs");
    let back = (e.load)(&m.save().unwrap()).unwrap();
    assert_eq!(back.scores(x.view()), m.scores(x.view()));
}
