//! `anomalab datasets verify|list`: the dataset catalog.

use super::args::{DataArgs, DatasetsCommand};
use super::error::{CliError, Status};

pub fn run(command: DatasetsCommand) -> Result<Status, CliError> {
    match command {
        DatasetsCommand::Verify { data } => verify(&data),
        DatasetsCommand::List => list(),
    }
}

fn verify(data: &DataArgs) -> Result<Status, CliError> {
    let report = crate::data::verify_catalog(&data.dir(), data.strict)?;
    print!("{report}");
    Ok(if report.is_ok() {
        Status::Ok
    } else {
        Status::Findings
    })
}

fn list() -> Result<Status, CliError> {
    for e in crate::data::catalog::catalog()? {
        println!(
            "{}: {}\n  source: {}\n  obtain: {}",
            e.name, e.title, e.homepage, e.obtain
        );
        for f in &e.files {
            let rows = f
                .rows
                .map_or("rows unknown".to_string(), |r| format!("{r} rows"));
            println!("  - {} ({rows})", f.names.join(" | "));
        }
    }
    Ok(Status::Ok)
}
