//! Benchmark driver for the kernel SVMs and LOF, called by `scripts/bench_svm_lof.py`
//! (which writes the matrices and runs scikit-learn on the same data). Not a test: it
//! prints one JSON object per command on stdout.
//!
//! Matrix files (`.amx`): the 4 bytes `AMX1`, the row count and the column count as
//! little-endian `u64`, then `rows * cols` little-endian `f64` in row-major order. Labels
//! are raw little-endian `i64`; outputs are raw little-endian `i64` (predictions) or `f64`
//! (anomaly scores), one value per row.
//!
//! ```text
//! bench_svm svc <train.amx> <train.i64> <test.amx> <pred-out> [param=value ...] [seed=S]
//! bench_svm one_class_svm <train.amx> <test.amx> <scores-out> [param=value ...]
//! bench_svm lof <train.amx> <test.amx> <scores-out> [n_neighbors=K]
//! ```
//!
//! Each prints wall and CPU seconds (user + system of all threads, from
//! `/proc/self/stat`, 10 ms resolution) of the fit and of the prediction, and the number
//! of support vectors where there are some.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Instant;

use anomalab_learn::lof::LofParams;
use anomalab_learn::params::resolve;
use anomalab_learn::svm::one_class::OneClassSvmParams;
use anomalab_learn::svm::svc::SvcParams;
use anomalab_learn::{Classifier, DataCache, Detector, FitContext, ParamMap, ParamValue, TrainSet};
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
    let data = body
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Array2::from_shape_vec((rows, cols), data).map_err(|e| e.to_string())
}

fn write_raw(path: &str, v: impl Iterator<Item = [u8; 8]>) -> Result<(), String> {
    let buf: Vec<u8> = v.flatten().collect();
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&buf))
        .map_err(|e| format!("{path}: {e}"))
}

fn cpu_seconds() -> f64 {
    let ticks = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
    };
    ticks().map_or(f64::NAN, |t| t / 100.0)
}

/// `key=value` arguments as a resolved parameter map (and the seed, if given).
fn params(args: &[String], specs: &[anomalab_learn::ParamSpec]) -> Result<(ParamMap, u64), String> {
    let mut given = BTreeMap::new();
    let mut seed = 0;
    for kv in args {
        let (k, v) = kv.split_once('=').ok_or(format!("bad parameter `{kv}`"))?;
        let pv = if k == "seed" {
            seed = v.parse().map_err(|_| format!("bad seed `{v}`"))?;
            continue;
        } else if let Ok(i) = v.parse::<i64>() {
            ParamValue::Int(i)
        } else if let Ok(f) = v.parse::<f64>() {
            ParamValue::Float(f)
        } else if v == "true" || v == "false" {
            ParamValue::Bool(v == "true")
        } else {
            ParamValue::Str(v.to_string())
        };
        given.insert(k.to_string(), pv);
    }
    Ok((resolve(specs, &given).map_err(|e| format!("{e:?}"))?, seed))
}

/// Time `f` in wall and CPU seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let v = f();
    (v, t0.elapsed().as_secs_f64(), cpu_seconds() - c0)
}

fn svc(a: &[String]) -> Result<String, String> {
    let [x, y, xt, out] = [&a[2], &a[3], &a[4], &a[5]];
    let (p, seed) = params(&a[6..], &anomalab_learn::svm::svc::params())?;
    let p = SvcParams::from_params(&p).map_err(|e| e.to_string())?;
    let x = read_amx(x)?;
    let y: Vec<u32> = read_all(y)?
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as u32)
        .collect();
    let xt = read_amx(xt)?;
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
    let (m, fit_s, fit_cpu) = timed(|| p.fit_svc(&train, &ctx));
    let m = m.map_err(|e| e.to_string())?;
    let (pred, pred_s, pred_cpu) = timed(|| m.predict(xt.view()));
    write_raw(out, pred.iter().map(|&c| (c as i64).to_le_bytes()))?;
    Ok(format!(
        "{{\"threads\":{threads},\"fit_s\":{fit_s},\"fit_cpu_s\":{fit_cpu},\"predict_s\":{pred_s},\"predict_cpu_s\":{pred_cpu},\"n_support\":{}}}",
        m.support().len()
    ))
}

fn detector(a: &[String]) -> Result<String, String> {
    let [x, xt, out] = [&a[2], &a[3], &a[4]];
    let x = read_amx(x)?;
    let xt = read_amx(xt)?;
    let (fitted, fit_s, fit_cpu, n_sv): (Box<dyn Detector>, f64, f64, usize) = if a[1] == "lof" {
        let (p, _) = params(&a[5..], &anomalab_learn::lof::params())?;
        let p = LofParams::from_params(&p).map_err(|e| e.to_string())?;
        let (m, s, c) = timed(|| p.fit_lof(x.view()));
        (Box::new(m.map_err(|e| e.to_string())?), s, c, 0)
    } else {
        let (p, _) = params(&a[5..], &anomalab_learn::svm::one_class::params())?;
        let p = OneClassSvmParams::from_params(&p).map_err(|e| e.to_string())?;
        let (m, s, c) = timed(|| p.fit_ocsvm(x.view()));
        let m = m.map_err(|e| e.to_string())?;
        let n = m.support().len();
        (Box::new(m), s, c, n)
    };
    let (scores, s, c) = timed(|| fitted.score(xt.view()));
    write_raw(out, scores.iter().map(|v| v.to_le_bytes()))?;
    Ok(format!(
        "{{\"threads\":{},\"fit_s\":{fit_s},\"fit_cpu_s\":{fit_cpu},\"predict_s\":{s},\"predict_cpu_s\":{c},\"n_support\":{n_sv}}}",
        rayon::current_num_threads()
    ))
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let r = match a.get(1).map(String::as_str) {
        Some("svc") if a.len() >= 6 => svc(&a),
        Some("one_class_svm" | "lof") if a.len() >= 5 => detector(&a),
        _ => Err("usage: bench_svm svc|one_class_svm|lof ... (see the file header)".into()),
    };
    match r {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("bench_svm: {e}");
            std::process::exit(2);
        }
    }
}
