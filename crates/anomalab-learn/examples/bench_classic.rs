//! Benchmark driver for the classic learners and the metrics, called by
//! `scripts/bench_classic.py` (which writes the matrices and runs scikit-learn on the same
//! data). Not a test: it prints one JSON object on stdout.
//!
//! Matrix files (`.amx`): the 4 bytes `AMX1`, the row count and the column count as
//! little-endian `u64`, then `rows * cols` little-endian `f64` in row-major order. Label
//! files are raw little-endian `i64`, one per row. Predictions are written the same way.
//! A `seed=N` argument sets the fit seed (default 0) instead of a learner parameter; `fit`
//! reports wall and process CPU seconds (all threads, from `/proc/self/stat`, 10 ms ticks).
//!
//! ```text
//! bench_classic fit <name> <backend> <train.amx> <train.i64> <test.amx> <pred-out.i64> [key=value ...]
//! bench_classic metrics <n_rows> <n_classes> <seed>
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Instant;

use anomalab_learn::eval::classification_metrics;
use anomalab_learn::registry::classifiers;
use anomalab_learn::{DataCache, FitContext, ParamValue, Rng, TrainSet};
use ndarray::Array2;

fn read_all(path: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(buf)
}

fn read_amx(path: &str) -> Result<Array2<f64>, String> {
    let buf = read_all(path)?;
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

fn read_labels(path: &str) -> Result<Vec<u32>, String> {
    read_all(path)?
        .chunks_exact(8)
        .map(|c| {
            let v = i64::from_le_bytes(c.try_into().expect("8 bytes"));
            u32::try_from(v).map_err(|_| format!("{path}: label {v} out of range"))
        })
        .collect()
}

/// User + system CPU seconds of this process so far, from `/proc/self/stat` (fields 14
/// and 15, in clock ticks of 1/100 s, Linux's `USER_HZ`); NaN where that file is missing.
fn cpu_seconds() -> f64 {
    let ticks = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the parenthesised command name start at field 3.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
    };
    ticks().map_or(f64::NAN, |t| t / 100.0)
}

/// `64` an integer, `[64,32]` a list of integers, `0.1` a float, `null`, `true`, else a string.
fn parse_value(s: &str) -> ParamValue {
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        ParamValue::List(inner.split(',').map(|v| parse_value(v.trim())).collect())
    } else if let Ok(i) = s.parse::<i64>() {
        ParamValue::Int(i)
    } else if let Ok(f) = s.parse::<f64>() {
        ParamValue::Float(f)
    } else if s == "null" {
        ParamValue::Null
    } else if s == "true" || s == "false" {
        ParamValue::Bool(s == "true")
    } else {
        ParamValue::Str(s.to_string())
    }
}

fn fit(a: &[String]) -> Result<String, String> {
    if a.len() < 8 {
        return Err(
            "usage: fit <name> <backend> <train.amx> <train.i64> <test.amx> <pred-out>".into(),
        );
    }
    let (name, backend) = (&a[2], &a[3]);
    let entry = classifiers()
        .into_iter()
        .find(|e| e.name == name && e.backend == backend)
        .ok_or_else(|| format!("no classifier {name}/{backend}"))?;
    let mut given = BTreeMap::new();
    let mut seed = 0u64;
    for kv in &a[8..] {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("bad parameter `{kv}`"))?;
        if k == "seed" {
            seed = v.parse().map_err(|_| format!("bad seed `{v}`"))?;
        } else {
            given.insert(k.to_string(), parse_value(v));
        }
    }
    let params =
        anomalab_learn::params::resolve(&(entry.params)(), &given).map_err(|e| format!("{e:?}"))?;
    let x = read_amx(&a[4])?;
    let y = read_labels(&a[5])?;
    let xt = read_amx(&a[6])?;
    let k = y.iter().max().map_or(0, |&m| m as usize + 1);
    let names: Vec<String> = (0..k).map(|i| i.to_string()).collect();
    let cache = DataCache::new();
    let train = TrainSet {
        x: x.view(),
        y: &y,
        n_classes: k,
        class_names: &names,
        feature_names: &[],
        cache: &cache,
    };
    let threads = rayon::current_num_threads();
    let ctx = FitContext { seed, threads };
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let model = (entry.build)(&params)
        .and_then(|p| p.fit(&train, &ctx))
        .map_err(|e| e.to_string())?;
    let fit_s = t0.elapsed().as_secs_f64();
    let fit_cpu_s = cpu_seconds() - c0;
    let t1 = Instant::now();
    let pred = model.predict(xt.view());
    let predict_s = t1.elapsed().as_secs_f64();
    let mut buf = Vec::with_capacity(pred.len() * 8);
    for p in &pred {
        buf.extend_from_slice(&(*p as i64).to_le_bytes());
    }
    std::fs::File::create(&a[7])
        .and_then(|mut f| f.write_all(&buf))
        .map_err(|e| format!("{}: {e}", a[7]))?;
    Ok(format!(
        "{{\"model\":\"{name}/{backend}\",\"threads\":{threads},\"fit_s\":{fit_s},\"fit_cpu_s\":{fit_cpu_s},\"predict_s\":{predict_s}}}"
    ))
}

fn metrics(a: &[String]) -> Result<String, String> {
    let n: usize = a.get(2).and_then(|s| s.parse().ok()).ok_or("bad n_rows")?;
    let k: usize = a
        .get(3)
        .and_then(|s| s.parse().ok())
        .ok_or("bad n_classes")?;
    let seed: u64 = a.get(4).and_then(|s| s.parse().ok()).ok_or("bad seed")?;
    let mut rng = Rng::new(seed);
    let y: Vec<u32> = (0..n).map(|_| rng.below(k) as u32).collect();
    let mut s = Array2::zeros((n, k));
    for (i, &c) in y.iter().enumerate() {
        let mut row = s.row_mut(i);
        for v in row.iter_mut() {
            *v = rng.next_f64();
        }
        row[c as usize] += 0.5;
        let t: f64 = row.sum();
        row.mapv_inplace(|v| v / t);
    }
    let pred = anomalab_learn::traits::argmax_rows(&s);
    let t0 = Instant::now();
    let m = classification_metrics(&y, &pred, k, Some(s.view())).map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    Ok(format!(
        "{{\"n\":{n},\"k\":{k},\"metrics_s\":{secs},\"roc_auc\":{},\"f1_macro\":{}}}",
        m.roc_auc.unwrap_or(f64::NAN),
        m.f1_macro
    ))
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let r = match a.get(1).map(String::as_str) {
        Some("fit") => fit(&a),
        Some("metrics") => metrics(&a),
        _ => Err("usage: bench_classic fit|metrics ...".into()),
    };
    match r {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
