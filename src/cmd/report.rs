//! `anomalab report`: re-render the reports of a run from its results.json.

use std::path::Path;

use super::args::ReportArgs;
use super::error::{CliError, Status};
use super::output::print_out;

pub fn run(args: ReportArgs) -> Result<Status, CliError> {
    let res = crate::check::read_results(&args.results)?;
    let dir = args.out.unwrap_or_else(|| {
        args.results
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let written = crate::report::render(&res, &dir).map_err(|error| CliError::Report {
        what: "rendering the report".into(),
        error,
    })?;
    let text: String = written
        .iter()
        .map(|p| format!("wrote {}\n", p.display()))
        .collect();
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}
