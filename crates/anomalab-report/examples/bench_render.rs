//! Time report rendering (in memory, no disk writes) and print a table:
//! `cargo run --release -p anomalab-report --example bench_render -- [runs] [results.json ...]`
//! (default: 5 runs of each committed fixture).

use std::path::PathBuf;
use std::time::Instant;

use anomalab_report::{PlotFormat, RenderOptions, load_results, render_files};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let runs: usize = args.peek().and_then(|a| a.parse().ok()).map_or(5, |n| {
        args.next();
        n
    });
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        files = ["binary", "multiclass", "unsupervised"]
            .iter()
            .map(|n| dir.join(format!("{n}.json")))
            .collect();
    }
    println!("| results | trials | plots | format | files | bytes | median ms | min ms |");
    println!("|---|---:|---:|---|---:|---:|---:|---:|");
    for f in files {
        let results = match load_results(&f) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        for format in [PlotFormat::Svg, PlotFormat::Png] {
            let opts = RenderOptions {
                plot_format: format,
                debug_context: false,
            };
            let mut times = Vec::with_capacity(runs);
            let mut out = Vec::new();
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                out = render_files(&results, &opts).expect("render");
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let bytes: usize = out.iter().map(|(_, b)| b.len()).sum();
            println!(
                "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
                f.file_name().unwrap_or_default().to_string_lossy(),
                results.trials.len(),
                anomalab_report::plots::figures(&results).len(),
                format.extension(),
                out.len(),
                bytes,
                times[times.len() / 2],
                times[0]
            );
        }
    }
}
