//! Timing of the data stage on the real datasets (prints a table; not a test).
//!
//! ```text
//! ANOMALAB_DATA_DIR=../shared/datasets cargo run --release --example bench_data
//! ```
//! Each line is the best of 3 runs (wall clock, all cores polars/rayon want).

use std::path::PathBuf;
use std::time::Instant;

use anomalab::data::spec::{Source, Target};
use anomalab::data::{
    DatasetSpec, LoadContext, SplitKind, SplitSpec, load, make_splits, synthetic,
};

fn best_of<T>(f: impl Fn() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.unwrap())
}

fn main() {
    let dir = std::env::var_os("ANOMALAB_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    let ctx = LoadContext::new(&dir);
    let holdout = SplitSpec {
        kind: Some(SplitKind::Holdout),
        ..SplitSpec::default()
    };
    println!("| step | rows | seconds (best of 3) |");
    println!("|---|---:|---:|");
    let nsl = DatasetSpec::new(Source::NslKdd);
    let (s, d) = best_of(|| load(&nsl, &holdout, &ctx).expect("KDDTrain+"));
    println!(
        "| load KDDTrain+.txt.gz (gunzip, sha256, parse, Table) | {} | {s:.3} |",
        d.train.n_rows()
    );
    let (s, d) = best_of(|| load(&nsl, &SplitSpec::default(), &ctx).expect("NSL-KDD"));
    println!(
        "| load KDDTrain+ and KDDTest+ (official) | {} | {s:.3} |",
        d.train.n_rows() + d.test.as_ref().map_or(0, |t| t.n_rows())
    );
    let mut unsw = DatasetSpec::new(Source::UnswNb15);
    unsw.target = Target::AttackCat;
    let (s, u) = best_of(|| load(&unsw, &holdout, &ctx).expect("UNSW-NB15"));
    println!(
        "| load UNSW_NB15 82,332-row partition (.csv.gz) | {} | {s:.3} |",
        u.train.n_rows()
    );
    let kf = SplitSpec {
        kind: Some(SplitKind::Kfold),
        ..SplitSpec::default()
    };
    let (s, f) = best_of(|| make_splits(&d, SplitKind::Kfold, &kf, 7).expect("kfold"));
    println!(
        "| stratified 5-fold indices on KDDTrain+ | {} | {s:.3} |",
        f[0].train.len() + f[0].test.len()
    );
    let (s, g) = best_of(|| synthetic::generate(100_000, true, 7));
    println!("| synthetic flows | {} | {s:.3} |", g.n_rows());
}
