//! `anomalab run`: one experiment end to end, then its reports.

use std::io::IsTerminal;
use std::path::Path;

use super::args::RunArgs;
use super::error::{CliError, Status};
use super::output::print_out;
use crate::runner::{self, Observer, RunOutcome, RunSettings};

pub fn run(args: RunArgs, command_line: Vec<String>) -> Result<Status, CliError> {
    let exp = crate::spec::load(&args.spec)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(CliError::Usage("--jobs must be at least 1".into()));
    }
    let settings = RunSettings {
        data_dir: args.data.dir(),
        project_dir: args.project_dir,
        jobs,
        strict: args.data.strict,
        command_line,
        cache: args.cache.setting(),
    };
    run_and_report(&exp, &settings, args.quiet)
}

/// How progress is shown: nothing, bars on a terminal, else plain lines.
pub(super) fn observer(quiet: bool) -> Box<dyn Observer> {
    if quiet {
        Box::new(runner::Silent)
    } else if std::io::stderr().is_terminal() {
        Box::new(runner::progress::Bars::new())
    } else {
        Box::new(runner::PlainLines::new())
    }
}

/// Run (or collect) `exp`, render its reports, print the summary.
pub(super) fn run_and_report(
    exp: &crate::spec::Experiment,
    settings: &RunSettings,
    quiet: bool,
) -> Result<Status, CliError> {
    let observer = observer(quiet);
    let outcome = runner::run(exp, settings, observer.as_ref())?;
    let report_dir = outcome
        .results_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut written = vec![outcome.results_path.clone()];
    if exp.outputs.report {
        let files = crate::report::render(&outcome.results, &report_dir).map_err(|error| {
            CliError::Report {
                what: "rendering the report".into(),
                error,
            }
        })?;
        written.extend(files);
    }
    if !quiet {
        print_summary(&outcome, &written)?;
    }
    let succeeded = outcome.results.trials.len() - outcome.failed;
    Ok(if outcome.failed > 0 || succeeded == 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

fn print_summary(outcome: &RunOutcome, written: &[std::path::PathBuf]) -> Result<(), CliError> {
    let mut text = match &outcome.results.best {
        Some(b) => format!("best: {} with {} = {:.4}\n", b.label, b.metric, b.value),
        None if outcome.results.trials.len() > outcome.failed => {
            "no model saved: no successful trial both has the selection metric and can \
             score new rows (a transductive clusterer such as dbscan cannot)\n"
                .to_string()
        }
        None => "no trial succeeded\n".to_string(),
    };
    if outcome.reused > 0 {
        text.push_str(&format!(
            "reused {} trial(s) stored by an earlier run (--fresh runs them again)\n",
            outcome.reused
        ));
    }
    for p in written.iter().chain(&outcome.model_path) {
        text.push_str(&format!("wrote {}\n", p.display()));
    }
    print_out(&text).map_err(CliError::Stdout)
}
