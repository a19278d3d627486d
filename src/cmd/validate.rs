//! `anomalab validate`: check specs (and benchmark files) without running them.

use super::args::ValidateArgs;
use super::error::{CliError, Status};
use super::output::print_out;

/// Every spec is checked; all invalid ones are reported together.
pub fn run(args: ValidateArgs) -> Result<Status, CliError> {
    let mut invalid = Vec::new();
    for s in &args.specs {
        if crate::benchmark::is_benchmark_file(s) {
            let b = crate::benchmark::load(s)?;
            print_out(&format!(
                "{}: ok (benchmark of {} experiment(s) on {})\n",
                s.display(),
                b.experiments.len(),
                b.metric
            ))
            .map_err(CliError::Stdout)?;
            continue;
        }
        match crate::spec::load(s) {
            Ok(exp) => print_out(&format!(
                "{}: ok ({} model(s), {} trial(s))\n",
                s.display(),
                exp.models.len(),
                exp.n_trials()
            ))
            .map_err(CliError::Stdout)?,
            Err(e) => invalid.push(e),
        }
    }
    if invalid.is_empty() {
        Ok(Status::Ok)
    } else {
        Err(CliError::Specs(invalid))
    }
}
