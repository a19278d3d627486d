//! `anomalab benchmark FILE`: run every experiment of a benchmark file (each as `anomalab
//! run` would, its own results.json and report), then compare the models across the
//! datasets into reports/<benchmark>/benchmark.{json,md,html}.

use super::args::BenchmarkArgs;
use super::error::{CliError, Status};
use super::output::print_out;
use super::run::run_and_report;
use crate::fsutil::write_atomic;
use crate::runner::{RunSettings, reports_dir};

pub fn run(args: BenchmarkArgs, command_line: Vec<String>) -> Result<Status, CliError> {
    let bench = crate::benchmark::load(&args.file)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(CliError::Usage("--jobs must be at least 1".into()));
    }
    let settings = RunSettings {
        data_dir: args.data.dir(),
        project_dir: args.project_dir.clone(),
        jobs,
        strict: args.data.strict,
        command_line,
        cache: args.cache.setting(),
    };
    let mut status = Status::Ok;
    let mut runs = Vec::new();
    for exp in &bench.experiments {
        if !args.quiet {
            print_out(&format!("== {} ==\n", exp.name)).map_err(CliError::Stdout)?;
        }
        if run_and_report(exp, &settings, args.quiet)? == Status::Findings {
            status = Status::Findings;
        }
        let path = reports_dir(&settings.project_dir, &exp.name).join("results.json");
        runs.push(crate::check::read_results(&path)?);
    }
    let higher = crate::eval::higher_is_better(&bench.metric);
    let summary = anomalab_report::benchmark::summarise(
        &bench.name,
        &bench.description,
        &runs,
        &bench.metric,
        higher,
    );
    let dir = reports_dir(&settings.project_dir, &bench.name);
    let json = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
    let files = [
        ("benchmark.json", json),
        (
            "benchmark.md",
            anomalab_report::benchmark_text::markdown(&summary),
        ),
        (
            "benchmark.html",
            anomalab_report::benchmark_text::html(&summary),
        ),
    ];
    let mut files: Vec<(String, String)> =
        files.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
    for fig in anomalab_report::benchmark_text::figures(&summary) {
        let svg = anomalab_report::plots::to_svg(&fig).map_err(|error| CliError::Report {
            what: format!("benchmark figure {}", fig.id),
            error,
        })?;
        files.push((format!("{}.svg", fig.id), svg));
    }
    let mut text = String::new();
    for (name, content) in files {
        let path = dir.join(name);
        write_atomic(&path, content.as_bytes()).map_err(|e| CliError::write(&path, e))?;
        text.push_str(&format!("wrote {}\n", path.display()));
    }
    if !args.quiet {
        print_out(&text).map_err(CliError::Stdout)?;
    }
    Ok(status)
}
