//! The command line: arguments ([`args`]) parsed once, then each command's module. Every
//! command returns a [`Status`] or a [`CliError`]; [`error::exit_code`] is the one place
//! that prints errors and picks the exit code.

pub mod args;
pub mod benchmark;
pub mod cache;
pub mod check;
pub mod datasets;
pub mod error;
pub mod extract;
pub mod models;
pub mod output;
pub mod predict;
pub mod report;
pub mod run;
pub mod serve;
pub mod serve_http;
pub mod study;
pub mod submit;
pub mod validate;

use std::ffi::OsString;

use clap::Parser;

use crate::exit;
use args::{Cli, Command};
pub use error::{CliError, Status};

/// Entry point for `main` and for tests: parse `args` (the program name first), run the
/// command, return the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            // `--help` and `--version` come here too, and are not errors.
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
        }
    };
    let command_line = args
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    error::exit_code(dispatch(cli.command, command_line))
}

fn dispatch(command: Command, command_line: Vec<String>) -> Result<Status, CliError> {
    match command {
        Command::Run(a) => run::run(a, command_line),
        Command::Benchmark(a) => benchmark::run(a, command_line),
        Command::Validate(a) => validate::run(a),
        Command::Models(a) => models::run(a),
        Command::Datasets { command } => datasets::run(command),
        Command::Predict(a) => predict::run(a),
        Command::Check(a) => check::run(a),
        Command::Extract(a) => extract::run(a),
        Command::Report(a) => report::run(a),
        Command::Serve(a) => serve::run(*a),
        Command::Plan(a) => study::plan(a, command_line),
        Command::RunTrial(a) => study::run_trial(a, command_line),
        Command::Collect(a) => study::collect(a, command_line),
        Command::Submit { engine } => submit::run(engine),
        Command::Cache { command } => cache::run(command),
    }
}
