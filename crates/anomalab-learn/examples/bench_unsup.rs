//! Benchmark driver for the unsupervised learners, called by
//! `scripts/bench_unsupervised.py` (which writes the matrices and runs scikit-learn on the
//! same data). Not a test: it prints one JSON object per command on stdout.
//!
//! Matrix files (`.amx`): the 4 bytes `AMX1`, the row count and the column count as
//! little-endian `u64`, then `rows * cols` little-endian `f64` in row-major order. Score
//! and label outputs are raw little-endian `f64` / `i64` arrays, one value per row.
//!
//! `kmeans` runs an elbow sweep (k-means++ and iterations, `n_init` 1) per seed and reports
//! per-k inertia, iterations, wall time and process CPU time (user + system of all threads,
//! from `/proc/self/stat`, 10 ms resolution; 0 where unavailable). `kmeans-from` starts each
//! k from the centres in `<centres-prefix>_<seed>_<k>.amx` (one run, as scikit-learn's
//! `KMeans(init=centres, n_init=1)`) and writes the labels to
//! `<centres-prefix>_<seed>_<k>.labels.i64`.
//!
//! ```text
//! bench_unsup iforest <train.amx> <test.amx> <out-prefix> <n_estimators> <max_samples> <seed>...
//! bench_unsup kmeans  <x.amx> <k_min> <k_max> <algorithm> <seed>...
//! bench_unsup kmeans-from <x.amx> <k_min> <k_max> <algorithm> <centres-prefix> <seed>...
//! bench_unsup dbscan  <x.amx> <eps> <min_samples> <labels-out>
//! bench_unsup autoencoder <train.amx> <test.amx> <scores-out> <seed>
//! bench_unsup gmm <x.amx> <n_components> <seed>
//! ```
//!
//! `autoencoder` fits the detector with its defaults (hidden [32, 8], relu, 200 epochs at
//! most) and `gmm` a full-covariance mixture; both print fit wall and CPU seconds and the
//! epochs / EM iterations run.

use std::io::{Read, Write};
use std::time::Instant;

use anomalab_learn::cluster::gmm::GmmParams;
use anomalab_learn::cluster::kmeans::KMeansAlgorithm;
use anomalab_learn::cluster::{DbscanParams, KMeansParams};
use anomalab_learn::iforest::{IsolationForestParams, MaxSamples};
use anomalab_learn::mlp::{AutoencoderParams, MlpConfig};
use anomalab_learn::{ClustererParams, Detector, FitContext};
use ndarray::Array2;

fn read_amx(path: &str) -> Result<Array2<f64>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(|e| format!("{path}: {e}"))?;
    if buf.len() < 20 || &buf[..4] != b"AMX1" {
        return Err(format!("{path}: not an AMX1 matrix file"));
    }
    let rows = u64::from_le_bytes(buf[4..12].try_into().expect("8 bytes")) as usize;
    let cols = u64::from_le_bytes(buf[12..20].try_into().expect("8 bytes")) as usize;
    let body = &buf[20..];
    if body.len() != rows * cols * 8 {
        return Err(format!("{path}: expected {rows}x{cols} values"));
    }
    let data: Vec<f64> = body
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Array2::from_shape_vec((rows, cols), data).map_err(|e| e.to_string())
}

fn write_raw<T: Copy>(path: &str, v: &[T], to_le: impl Fn(T) -> [u8; 8]) -> Result<(), String> {
    let mut f = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut buf = Vec::with_capacity(v.len() * 8);
    for &x in v {
        buf.extend_from_slice(&to_le(x));
    }
    f.write_all(&buf).map_err(|e| format!("{path}: {e}"))
}

/// User + system CPU time of this process (all threads) in seconds, from `/proc/self/stat`
/// (clock ticks of 1/100 s); 0 where that file does not exist.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |p| p.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn arg<T: std::str::FromStr>(a: &[String], i: usize, what: &str) -> Result<T, String> {
    a.get(i)
        .ok_or_else(|| format!("missing {what}"))?
        .parse()
        .map_err(|_| format!("bad {what}"))
}

fn run() -> Result<(), String> {
    let a: Vec<String> = std::env::args().collect();
    let threads = rayon::current_num_threads();
    match a.get(1).map(String::as_str) {
        Some("iforest") => {
            let train = read_amx(&a[2])?;
            let test = read_amx(&a[3])?;
            let prefix = &a[4];
            let n_est: usize = arg(&a, 5, "n_estimators")?;
            let psi: usize = arg(&a, 6, "max_samples")?;
            let mut runs = Vec::new();
            for s in &a[7..] {
                let seed: u64 = s.parse().map_err(|_| "bad seed")?;
                let p = IsolationForestParams {
                    n_estimators: n_est,
                    max_samples: MaxSamples::Count(psi),
                    ..Default::default()
                };
                let ctx = FitContext { seed, threads };
                let t0 = Instant::now();
                let m = p
                    .fit_forest(train.view(), &ctx)
                    .map_err(|e| e.to_string())?;
                let t1 = Instant::now();
                let sc = m.score(test.view());
                let t2 = Instant::now();
                write_raw(&format!("{prefix}_{seed}.f64"), &sc, f64::to_le_bytes)?;
                runs.push(serde_json::json!({"seed": seed,
                    "fit_s": (t1 - t0).as_secs_f64(), "score_s": (t2 - t1).as_secs_f64()}));
            }
            println!("{}", serde_json::json!({"threads": threads, "runs": runs}));
        }
        Some(cmd @ ("kmeans" | "kmeans-from")) => {
            let from = cmd == "kmeans-from";
            let x = read_amx(&a[2])?;
            let kmin: usize = arg(&a, 3, "k_min")?;
            let kmax: usize = arg(&a, 4, "k_max")?;
            let algorithm = match a.get(5).map(String::as_str) {
                Some("elkan") => KMeansAlgorithm::Elkan,
                Some("lloyd") => KMeansAlgorithm::Lloyd,
                _ => return Err("algorithm must be elkan or lloyd".into()),
            };
            let p = KMeansParams {
                algorithm,
                ..Default::default()
            };
            let (prefix, first_seed) = if from {
                (a.get(6).cloned(), 7)
            } else {
                (None, 6)
            };
            let mut sweeps = Vec::new();
            for s in a.iter().skip(first_seed) {
                let seed: u64 = s.parse().map_err(|_| "bad seed")?;
                let mut per_k = Vec::new();
                let t0 = Instant::now();
                let c0 = cpu_seconds();
                for k in kmin..=kmax {
                    let tk = Instant::now();
                    let ck = cpu_seconds();
                    let (m, labels) = match &prefix {
                        Some(pre) => {
                            let c = read_amx(&format!("{pre}_{seed}_{k}.amx"))?;
                            p.fit_from(x.view(), c.view()).map_err(|e| e.to_string())?
                        }
                        None => p.fit_k(x.view(), k, seed).map_err(|e| e.to_string())?,
                    };
                    let (wall, cpu) = (tk.elapsed().as_secs_f64(), cpu_seconds() - ck);
                    if let Some(pre) = &prefix {
                        let lab: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
                        write_raw(
                            &format!("{pre}_{seed}_{k}.labels.i64"),
                            &lab,
                            i64::to_le_bytes,
                        )?;
                    }
                    per_k.push(serde_json::json!({"k": k, "inertia": m.inertia,
                        "n_iter": m.n_iter, "time_s": wall, "cpu_s": cpu}));
                }
                let total = t0.elapsed().as_secs_f64();
                sweeps.push(serde_json::json!({"seed": seed, "total_s": total,
                    "cpu_s": cpu_seconds() - c0, "per_k": per_k}));
            }
            println!(
                "{}",
                serde_json::json!({"threads": threads, "algorithm": a[5], "sweeps": sweeps})
            );
        }
        Some("dbscan") => {
            let x = read_amx(&a[2])?;
            let eps: f64 = arg(&a, 3, "eps")?;
            let min_samples: usize = arg(&a, 4, "min_samples")?;
            let p = DbscanParams {
                eps: Some(eps),
                min_samples,
                max_rows: None,
            };
            let t0 = Instant::now();
            let c = p
                .fit(x.view(), &FitContext { seed: 0, threads })
                .map_err(|e| e.to_string())?;
            let dt = t0.elapsed().as_secs_f64();
            let lab: Vec<i64> = c
                .labels
                .iter()
                .map(|l| l.map_or(-1, |v| v as i64))
                .collect();
            write_raw(&a[5], &lab, i64::to_le_bytes)?;
            println!(
                "{}",
                serde_json::json!({"threads": threads, "time_s": dt, "n_clusters": c.n_clusters,
                "n_noise": lab.iter().filter(|&&l| l < 0).count()})
            );
        }
        Some("autoencoder") => {
            let train = read_amx(&a[2])?;
            let test = read_amx(&a[3])?;
            let seed: u64 = arg(&a, 5, "seed")?;
            let p = AutoencoderParams {
                config: MlpConfig {
                    hidden: vec![32, 8],
                    ..Default::default()
                },
            };
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let m = p
                .fit_autoencoder(train.view(), &FitContext { seed, threads })
                .map_err(|e| e.to_string())?;
            let (fit_s, cpu_s) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
            let sc = m.score(test.view());
            write_raw(&a[4], &sc, f64::to_le_bytes)?;
            let c = &m.net.curve.train;
            println!(
                "{}",
                serde_json::json!({"threads": threads, "fit_s": fit_s, "cpu_s": cpu_s,
                "epochs": c.len(), "final_loss": c.last()})
            );
        }
        Some("gmm") => {
            let x = read_amx(&a[2])?;
            let k: usize = arg(&a, 3, "n_components")?;
            let seed: u64 = arg(&a, 4, "seed")?;
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let (m, _) = GmmParams::default()
                .fit_k(x.view(), k, seed)
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::json!({"threads": threads, "fit_s": t0.elapsed().as_secs_f64(),
                "cpu_s": cpu_seconds() - c0, "n_iter": m.n_iter,
                "mean_log_likelihood": m.mean_log_likelihood})
            );
        }
        _ => {
            return Err(
                "usage: bench_unsup iforest|kmeans|kmeans-from|dbscan|autoencoder|gmm ... (see the file header)"
                    .into(),
            );
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_unsup: {e}");
        std::process::exit(2);
    }
}
