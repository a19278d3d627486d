//! Benchmark worker for `scripts/bench_gbdt.py`: fits the native `gradient_boosting` on one
//! matrix prepared by `scripts/bench_prepare.py`, predicts the test part, and prints one
//! JSON line (fit and predict seconds, model size, rounds used). The test probabilities are
//! written as little-endian f64, row-major, to the given output path, so that the script
//! computes every implementation's metrics the same way.
//!
//! Usage: `bench_gbdt <bench dir> <name> <rounds> <max_depth> <learning_rate> <proba out>`

use std::time::Instant;

use anomalab_learn::gbdt::GradientBoostingParams;
use anomalab_learn::{Classifier, DataCache, FitContext, TrainSet};
use ndarray::Array2;

fn read_f64(path: &str) -> Vec<f64> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn read_u32(path: &str) -> Vec<u32> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        eprintln!("usage: bench_gbdt <bench dir> <name> <rounds> <max_depth> <lr> <proba out>");
        std::process::exit(2);
    }
    let (dir, name) = (&a[1], &a[2]);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap())
            .unwrap();
    let nf = meta["n_features"].as_u64().unwrap() as usize;
    let k = meta["n_classes"].as_u64().unwrap() as usize;
    let load = |part: &str| {
        let x = read_f64(&format!("{dir}/{name}.{part}.x.f64"));
        let y = read_u32(&format!("{dir}/{name}.{part}.y.u32"));
        (Array2::from_shape_vec((y.len(), nf), x).unwrap(), y)
    };
    let (xtr, ytr) = load("train");
    let (xte, _yte) = load("test");
    let class_names: Vec<String> = (0..k).map(|c| c.to_string()).collect();
    let feature_names: Vec<String> = (0..nf).map(|f| f.to_string()).collect();
    let cache = DataCache::new();
    let train = TrainSet {
        x: xtr.view(),
        y: &ytr,
        n_classes: k,
        class_names: &class_names,
        feature_names: &feature_names,
        cache: &cache,
    };
    let p = GradientBoostingParams {
        n_estimators: a[3].parse().unwrap(),
        max_depth: Some(a[4].parse().unwrap()),
        learning_rate: a[5].parse().unwrap(),
        lambda: 1.0,
        early_stopping: false,
        ..Default::default()
    };
    let ctx = FitContext {
        seed: 0,
        threads: rayon::current_num_threads(),
    };
    let t0 = Instant::now();
    let model = p.fit_model(&train, &ctx).unwrap();
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let proba = model.scores(xte.view());
    let predict_s = t1.elapsed().as_secs_f64();
    let bytes = model.save().unwrap();
    let mut out = Vec::with_capacity(proba.len() * 8);
    for v in proba.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&a[6], out).unwrap();
    println!(
        "{}",
        serde_json::json!({
            "fit_s": fit_s,
            "predict_s": predict_s,
            "model_bytes": bytes.len(),
            "rounds_used": model.n_rounds_used(),
            "n_trees": model.trees().len(),
        })
    );
}
