//! Benchmark driver for the native tree learners (not a timed test; `harness = false`).
//!
//! One run fits one model on one prepared dataset and prints one JSON line. It is meant to
//! be called by `scripts/bench_trees.py`, which prepares the data
//! (`scripts/bench_prepare.py`), runs each model in its own process (so peak memory is per
//! model), runs scikit-learn side by side and prints the table. By hand:
//!
//! ```text
//! cargo bench -p anomalab-learn --bench trees -- --dir /var/tmp/anomalab-bench \
//!     --dataset nslkdd_binary --model random_forest --threads 2 [--param n_estimators=100 ...]
//!     [--proba-out FILE] [--bins-only N] [--warm] [--predict-repeat N]
//! ```
//!
//! Parameters are given as `name=value` with YAML-like values (`null`, `true`, integers,
//! numbers, words) and checked against the registry's schema. The JSON line holds the fit,
//! predict, save and load times in seconds, the model size in bytes, the number of nodes
//! and leaves, the out-of-bag score when there is one, and whether the loaded model
//! predicted exactly like the fitted one. With `--proba-out` the test-set probabilities
//! are written there (float64 little-endian, row-major) for the caller's metrics. With
//! `--bins-only N` it only builds the feature bins N times and prints the fastest time; with
//! `--warm` the bins are built before the fit is timed; `--predict-repeat N` reports the
//! fastest of N predictions.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anomalab_learn::forest::{Forest, ForestKind, ForestParams};
use anomalab_learn::gbdt::{GradientBoostingModel, GradientBoostingParams};
use anomalab_learn::params::ParamValue;
use anomalab_learn::tree::{DecisionTree, DecisionTreeParams};
use anomalab_learn::{BinnedMatrix, Classifier, DataCache, FitContext, TrainSet};
use ndarray::{Array2, ArrayView2};

struct Args {
    dir: PathBuf,
    dataset: String,
    model: String,
    threads: usize,
    seed: u64,
    params: BTreeMap<String, ParamValue>,
    proba_out: Option<PathBuf>,
    /// Only time the binning, this many times (fastest run reported).
    bins_only: usize,
    /// Time the prediction this many times (fastest run reported).
    predict_repeat: usize,
    /// Build the bins into the cache before the fit is timed (as for every trial after the
    /// first on the same training matrix).
    warm: bool,
}

fn parse_value(s: &str) -> ParamValue {
    match s {
        "null" | "None" => ParamValue::Null,
        "true" | "True" => ParamValue::Bool(true),
        "false" | "False" => ParamValue::Bool(false),
        _ => {
            if let Ok(i) = s.parse::<i64>() {
                ParamValue::Int(i)
            } else if let Ok(x) = s.parse::<f64>() {
                ParamValue::Float(x)
            } else {
                ParamValue::Str(s.to_string())
            }
        }
    }
}

fn parse_args() -> Args {
    let mut a = Args {
        dir: PathBuf::from(
            std::env::var("ANOMALAB_BENCH_DIR")
                .unwrap_or_else(|_| "/var/tmp/anomalab-bench".into()),
        ),
        dataset: "nslkdd_binary".into(),
        model: "random_forest".into(),
        threads: 2,
        seed: 0,
        params: BTreeMap::new(),
        proba_out: None,
        bins_only: 0,
        warm: false,
        predict_repeat: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--dir" => a.dir = PathBuf::from(val()),
            "--dataset" => a.dataset = val(),
            "--model" => a.model = val(),
            "--threads" => a.threads = val().parse().expect("--threads: a number"),
            "--seed" => a.seed = val().parse().expect("--seed: a number"),
            "--proba-out" => a.proba_out = Some(PathBuf::from(val())),
            "--bins-only" => a.bins_only = val().parse().expect("--bins-only: a count"),
            "--warm" => a.warm = true,
            "--predict-repeat" => {
                a.predict_repeat = val()
                    .parse::<usize>()
                    .expect("--predict-repeat: a count")
                    .max(1)
            }
            "--param" => {
                let kv = val();
                let (k, v) = kv.split_once('=').expect("--param name=value");
                a.params.insert(k.to_string(), parse_value(v));
            }
            other => panic!("unknown argument `{other}`"),
        }
    }
    a
}

struct Data {
    x_train: Array2<f64>,
    y_train: Vec<u32>,
    x_test: Array2<f64>,
    class_names: Vec<String>,
    feature_names: Vec<String>,
}

/// Little-endian values of a file, read through a small buffer (so that peak memory is
/// the matrix itself, not the matrix twice).
fn read_le<T, const N: usize>(path: &PathBuf, from: fn([u8; N]) -> T) -> Vec<T> {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let len = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::with_capacity(len / N);
    let mut buf = [0u8; N];
    while reader.read_exact(&mut buf).is_ok() {
        out.push(from(buf));
    }
    out
}

fn read_f64(path: &PathBuf) -> Vec<f64> {
    read_le(path, f64::from_le_bytes)
}

fn read_u32(path: &PathBuf) -> Vec<u32> {
    read_le(path, u32::from_le_bytes)
}

fn load(dir: &std::path::Path, name: &str) -> Data {
    let meta_path = dir.join(format!("{name}.json"));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run scripts/bench_prepare.py first)",
                meta_path.display()
            )
        }))
        .expect("metadata JSON");
    let nf = meta["n_features"].as_u64().unwrap() as usize;
    let strings = |k: &str| -> Vec<String> {
        meta[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let part = |p: &str| {
        let x = read_f64(&dir.join(format!("{name}.{p}.x.f64")));
        let y = read_u32(&dir.join(format!("{name}.{p}.y.u32")));
        let x = Array2::from_shape_vec((y.len(), nf), x).expect("x shape");
        (x, y)
    };
    let (x_train, y_train) = part("train");
    let (x_test, _) = part("test");
    Data {
        x_train,
        y_train,
        x_test,
        class_names: strings("class_names"),
        feature_names: strings("feature_names"),
    }
}

/// CPU seconds (all threads) used by this process so far: the sum of the run times in
/// `/proc/self/task/*/schedstat` (nanoseconds; the pool's threads live as long as the
/// process), else user + system ticks of `/proc/self/stat` (10 ms), else 0 (not Linux).
/// The machine may be shared, so the benchmark reports CPU time next to wall time.
fn cpu_seconds() -> f64 {
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        let mut ns = 0u64;
        let mut any = false;
        for t in tasks.flatten() {
            let stat = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            if let Some(v) = stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
            {
                ns += v;
                any = true;
            }
        }
        if any {
            return ns as f64 * 1e-9;
        }
    }
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line: 0-based 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

enum Fitted {
    Tree(DecisionTree),
    Forest(Forest),
    Boosted(GradientBoostingModel),
}

impl Fitted {
    fn model(&self) -> &dyn Classifier {
        match self {
            Fitted::Tree(t) => t,
            Fitted::Forest(f) => f,
            Fitted::Boosted(b) => b,
        }
    }
}

fn main() {
    let args = parse_args();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .expect("thread pool");
    let data = load(&args.dir, &args.dataset);
    let entry = anomalab_learn::registry::classifiers()
        .into_iter()
        .find(|e| e.name == args.model)
        .unwrap_or_else(|| panic!("unknown model `{}`", args.model));
    let params = anomalab_learn::params::resolve(&(entry.params)(), &args.params)
        .unwrap_or_else(|e| panic!("bad parameters: {e:?}"));

    if args.bins_only > 0 {
        let max_bins = params.usize("max_bins").expect("max_bins");
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..args.bins_only {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            drop(pool.install(|| BinnedMatrix::build(data.x_train.view(), max_bins)));
            wall = wall.min(t0.elapsed().as_secs_f64());
            cpu = cpu.min(cpu_seconds() - c0);
        }
        println!(
            "{}",
            serde_json::json!({"dataset": args.dataset, "bin_s": wall, "bin_cpu_s": cpu})
        );
        return;
    }
    let cache = DataCache::new();
    let train = TrainSet {
        x: data.x_train.view(),
        y: &data.y_train,
        n_classes: data.class_names.len(),
        class_names: &data.class_names,
        feature_names: &data.feature_names,
        cache: &cache,
    };
    let ctx = FitContext {
        seed: args.seed,
        threads: args.threads,
    };
    if args.warm {
        let max_bins = params.usize("max_bins").expect("max_bins");
        pool.install(|| BinnedMatrix::for_train(&train, max_bins));
    }
    let t0 = Instant::now();
    let c0 = cpu_seconds();
    let fitted = pool.install(|| match args.model.as_str() {
        "decision_tree" => Fitted::Tree(
            DecisionTreeParams::from_params(&params)
                .and_then(|p| p.fit_tree(&train, &ctx))
                .expect("fit"),
        ),
        "gradient_boosting" => Fitted::Boosted(
            GradientBoostingParams::from_params(&params)
                .and_then(|p| p.fit_model(&train, &ctx))
                .expect("fit"),
        ),
        name => {
            let kind = if name == "extra_trees" {
                ForestKind::ExtraTrees
            } else {
                ForestKind::RandomForest
            };
            Fitted::Forest(
                ForestParams::from_params(kind, &params)
                    .and_then(|p| p.fit_forest(&train, &ctx))
                    .expect("fit"),
            )
        }
    });
    let fit_s = t0.elapsed().as_secs_f64();
    let fit_cpu_s = cpu_seconds() - c0;
    let model = fitted.model();
    // The binning part of the fit, timed again on its own (the fit above includes it).
    let t0 = Instant::now();
    let c0 = cpu_seconds();
    let max_bins = params.usize("max_bins").expect("max_bins");
    drop(pool.install(|| BinnedMatrix::build(data.x_train.view(), max_bins)));
    let bin_s = t0.elapsed().as_secs_f64();
    let bin_cpu_s = cpu_seconds() - c0;

    let predict = |m: &dyn Classifier, x: ArrayView2<'_, f64>| pool.install(|| m.scores(x));
    let (mut predict_s, mut predict_cpu_s) = (f64::INFINITY, f64::INFINITY);
    let mut proba = Array2::zeros((0, 0));
    for _ in 0..args.predict_repeat {
        let t0 = Instant::now();
        let c0 = cpu_seconds();
        proba = predict(model, data.x_test.view());
        predict_s = predict_s.min(t0.elapsed().as_secs_f64());
        predict_cpu_s = predict_cpu_s.min(cpu_seconds() - c0);
    }

    let t0 = Instant::now();
    let bytes = model.save().expect("save");
    let save_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let loaded = (entry.load)(&bytes).expect("load");
    let load_s = t0.elapsed().as_secs_f64();
    let same = predict(loaded.as_ref(), data.x_test.view()) == proba;

    let (nodes, leaves, depth, oob) = match &fitted {
        Fitted::Tree(t) => (t.n_nodes(), t.n_leaves(), Some(t.depth()), None),
        Fitted::Forest(f) => {
            let (n, l) = f.size();
            (n, l, None, f.oob_score())
        }
        Fitted::Boosted(b) => {
            let n: usize = b.trees().iter().map(|t| t.nodes.len()).sum();
            // A binary tree with n nodes has (n + 1) / 2 leaves.
            let l: usize = b.trees().iter().map(|t| t.nodes.len().div_ceil(2)).sum();
            (n, l, None, None)
        }
    };
    if let Some(path) = &args.proba_out {
        let mut out = Vec::with_capacity(proba.len() * 8);
        for v in proba.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(path, out).expect("write probabilities");
    }
    let line = serde_json::json!({
        "dataset": args.dataset,
        "model": args.model,
        "threads": args.threads,
        "params": params.label(&[]),
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "predict_cpu_s": predict_cpu_s,
        "bin_s": bin_s,
        "bin_cpu_s": bin_cpu_s,
        "predict_s": predict_s,
        "save_s": save_s,
        "load_s": load_s,
        "model_bytes": bytes.len(),
        "nodes": nodes,
        "leaves": leaves,
        "depth": depth,
        "oob_score": oob,
        "roundtrip_identical": same,
    });
    println!("{line}");
}
