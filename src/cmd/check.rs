//! `anomalab check`: compare a results.json with a baseline, or write the baseline.

use super::args::CheckArgs;
use super::error::{CliError, Status};
use super::output::print_out;
use crate::check;
use crate::fsutil::write_atomic;

pub fn run(args: CheckArgs) -> Result<Status, CliError> {
    let res = check::read_results(&args.results)?;
    if args.write_baseline {
        let b = check::baseline_from(&res, args.max_drop);
        write_atomic(&args.baseline, check::baseline_yaml(&b).as_bytes())
            .map_err(|e| CliError::write(&args.baseline, e))?;
        let line = format!(
            "wrote {} ({} rule(s))\n",
            args.baseline.display(),
            b.rules.len()
        );
        print_out(&line).map_err(CliError::Stdout)?;
        return Ok(Status::Ok);
    }
    let base = check::read_baseline(&args.baseline)?;
    let outcomes = check::check(&res, &base).map_err(CliError::Baseline)?;
    let md = check::markdown(&res, &outcomes);
    print_out(&md).map_err(CliError::Stdout)?;
    if let Some(p) = &args.markdown {
        write_atomic(p, md.as_bytes()).map_err(|e| CliError::write(p, e))?;
    }
    if let Some(p) = &args.junit {
        write_atomic(p, check::junit(&res, &outcomes).as_bytes())
            .map_err(|e| CliError::write(p, e))?;
    }
    Ok(if outcomes.iter().all(|o| o.passed) {
        Status::Ok
    } else {
        Status::Findings
    })
}
