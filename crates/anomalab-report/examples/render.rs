//! Render a report from a results file without the CLI:
//! `cargo run -p anomalab-report --example render -- <results.json> <out_dir> [png]`.
//! Used to look at the fixtures' reports by eye and by the browser check.

use std::path::PathBuf;
use std::process::ExitCode;

use anomalab_report::{PlotFormat, RenderOptions, load_results, render};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: render <results.json> <out_dir> [png]");
        return ExitCode::from(2);
    }
    let opts = RenderOptions {
        plot_format: if args.get(2).is_some_and(|a| a == "png") {
            PlotFormat::Png
        } else {
            PlotFormat::Svg
        },
        debug_context: std::env::var_os("ANOMALAB_DEBUG_REPORT").is_some(),
    };
    let result = load_results(&PathBuf::from(&args[0]))
        .and_then(|r| render(&r, &PathBuf::from(&args[1]), &opts));
    match result {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
