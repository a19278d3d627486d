//! `anomalab plan`, `run-trial` and `collect`: one run spread over processes or machines,
//! with the trial cache as the meeting point.

use std::path::Path;
use std::time::{Duration, Instant};

use super::args::{CollectArgs, PlanArgs, RunTrialArgs};
use super::error::{CliError, Status};
use super::output::print_out;
use super::run::{observer, run_and_report};
use crate::fsutil::write_atomic;
use crate::runner::Reuse;
use crate::runner::study::{StudyPlan, array_expression, chunk_indexes, make_plan, run_trials};

/// Environment variables that engines set to an array task's index, in the order tried.
pub const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

pub fn plan(args: PlanArgs, command_line: Vec<String>) -> Result<Status, CliError> {
    let exp = crate::spec::load(&args.input.spec)?;
    let study = make_plan(&exp, &args.input.settings(command_line))?;
    write_plan(&study, &args.output)?;
    print_out(&format!(
        "wrote {} ({} trials)\n",
        args.output.display(),
        study.trials.len()
    ))
    .map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

pub(super) fn write_plan(study: &StudyPlan, path: &Path) -> Result<(), CliError> {
    let text = serde_json::to_vec_pretty(study).expect("a plan is plain data");
    write_atomic(path, &text).map_err(|error| CliError::Write {
        path: path.to_path_buf(),
        error,
    })
}

pub(super) fn read_plan(path: &Path) -> Result<StudyPlan, CliError> {
    let text = std::fs::read(path)
        .map_err(|e| CliError::Usage(format!("cannot read the plan {}: {e}", path.display())))?;
    let study: StudyPlan = serde_json::from_slice(&text).map_err(|e| {
        CliError::Usage(format!(
            "{}: not an anomalab plan file ({e}); write one with `anomalab plan SPEC -o FILE`",
            path.display()
        ))
    })?;
    if study.format != crate::runner::study::PLAN_FORMAT {
        return Err(CliError::Usage(format!(
            "{}: plan format {} is not this anomalab's ({}); plan again",
            path.display(),
            study.format,
            crate::runner::study::PLAN_FORMAT
        )));
    }
    Ok(study)
}

pub fn run_trial(args: RunTrialArgs, command_line: Vec<String>) -> Result<Status, CliError> {
    let mut study = read_plan(&args.plan)?;
    if let Some(dir) = args.data_dir {
        study.data_dir = dir;
    }
    let task = match args.index {
        Some(i) => i,
        None => index_from_env()?,
    };
    let indexes: Vec<usize> = chunk_indexes(task, args.chunk, study.trials.len()).collect();
    if indexes.is_empty() {
        return Err(CliError::Usage(format!(
            "task {task} with --chunk {} is past the plan's {} trials",
            args.chunk,
            study.trials.len()
        )));
    }
    let exp = study.experiment()?;
    let jobs = args.jobs.or_else(slurm_cpus).unwrap_or_else(all_cores);
    let settings = study.settings(jobs, Reuse::Cached, command_line);
    let observer = observer(args.quiet);
    let done = run_trials(&study, &exp, &settings, &indexes, observer.as_ref())?;
    if !args.quiet {
        print_out(&format!(
            "task {task}: trials {}: {} run, {} already stored, {} failed\n",
            array_expression(&indexes),
            done.ran,
            done.reused,
            done.failed.len()
        ))
        .map_err(CliError::Stdout)?;
    }
    // A failed trial is not stored: the task fails, so the engine shows it and `collect`
    // lists it to resubmit.
    Ok(if done.failed.is_empty() {
        Status::Ok
    } else {
        Status::Findings
    })
}

fn index_from_env() -> Result<usize, CliError> {
    for var in INDEX_VARIABLES {
        if let Ok(v) = std::env::var(var) {
            return v
                .trim()
                .parse()
                .map_err(|_| CliError::Usage(format!("{var}={v:?} is not an array task index")));
        }
    }
    Err(CliError::Usage(format!(
        "no task index: give --index, or run as an array task ({} set)",
        INDEX_VARIABLES.join(", ")
    )))
}

fn slurm_cpus() -> Option<usize> {
    std::env::var("SLURM_CPUS_PER_TASK").ok()?.parse().ok()
}

fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn collect(args: CollectArgs, command_line: Vec<String>) -> Result<Status, CliError> {
    let study = read_plan(&args.plan)?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let mut missing = study.missing();
    while !missing.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        missing = study.missing();
    }
    if !missing.is_empty() {
        return report_missing(&study, &missing, args.chunk);
    }
    let exp = study.experiment()?;
    let jobs = args.jobs.unwrap_or_else(all_cores);
    let settings = study.settings(jobs, Reuse::Only, command_line);
    match run_and_report(&exp, &settings, args.quiet) {
        Err(CliError::Run(crate::runner::RunError::Missing(ids))) => {
            report_missing(&study, &ids, args.chunk)
        }
        other => other,
    }
}

/// Name the trials without a stored result, and the array tasks to run again.
fn report_missing(study: &StudyPlan, ids: &[usize], chunk: usize) -> Result<Status, CliError> {
    let chunk = chunk.max(1);
    let tasks: Vec<usize> = ids.iter().map(|i| i / chunk).collect();
    let labels: Vec<String> = ids
        .iter()
        .take(10)
        .filter_map(|&i| study.trials.get(i).map(|t| t.label.clone()))
        .collect();
    let more = ids.len().saturating_sub(labels.len());
    eprintln!(
        "{} of {} trials have no stored result: {}{}\nresubmit the array tasks with --array={}",
        ids.len(),
        study.trials.len(),
        labels.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        array_expression(&tasks)
    );
    Ok(Status::Findings)
}
