//! `anomalab datasets verify|list`: the dataset catalog.

use std::fmt::Write as _;

use super::args::{DataArgs, DatasetsCommand};
use super::error::{CliError, Status};
use super::output::print_out;

pub fn run(command: DatasetsCommand) -> Result<Status, CliError> {
    match command {
        DatasetsCommand::Verify { data } => verify(&data),
        DatasetsCommand::List => list(),
    }
}

fn verify(data: &DataArgs) -> Result<Status, CliError> {
    let report = crate::data::verify_catalog(&data.dir(), data.strict)?;
    print_out(&report.to_string()).map_err(CliError::Stdout)?;
    Ok(if report.is_ok() {
        Status::Ok
    } else {
        Status::Findings
    })
}

fn list() -> Result<Status, CliError> {
    let mut text = String::new();
    for e in crate::data::catalog::catalog()? {
        let _ = writeln!(
            text,
            "{}: {}\n  source: {}\n  obtain: {}",
            e.name, e.title, e.homepage, e.obtain
        );
        for f in &e.files {
            let rows = f
                .rows
                .map_or("rows unknown".to_string(), |r| format!("{r} rows"));
            let _ = writeln!(text, "  - {} ({rows})", f.names.join(" | "));
        }
    }
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}
