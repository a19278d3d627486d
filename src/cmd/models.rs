//! `anomalab models`: the algorithms, their backends, parameters, ranges and defaults.

use super::args::ModelsArgs;
use super::error::{CliError, Status};
use super::output::print_out;
use crate::models::AlgorithmInfo;

pub fn run(args: ModelsArgs) -> Result<Status, CliError> {
    let name = args.name.as_deref();
    let all = crate::models::algorithms();
    let shown: Vec<&AlgorithmInfo> = all
        .iter()
        .filter(|a| name.is_none_or(|n| a.name == n))
        .collect();
    if shown.is_empty() {
        let n = name.unwrap_or_default();
        return Err(match crate::models::find(n, None) {
            Err(e) => CliError::UnknownAlgorithm {
                message: e.message,
                help: e.help,
            },
            Ok(_) => CliError::UnknownAlgorithm {
                message: format!("no algorithm `{n}`"),
                help: None,
            },
        });
    }
    let text: String = shown.into_iter().map(describe).collect();
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

/// One algorithm: a title line, its summary, one line per parameter, a blank line.
fn describe(a: &AlgorithmInfo) -> String {
    let mut text = format!(
        "{} [{}] ({}{})\n  {}\n",
        a.name,
        a.backend,
        a.role.as_str(),
        if a.can_predict {
            ""
        } else {
            ", cannot score new data"
        },
        a.summary
    );
    for p in &a.params {
        text.push_str(&format!(
            "    {:<22} {:<10} {}  [{}]\n",
            p.name,
            p.default.to_string(),
            p.doc,
            p.kind
        ));
    }
    text.push('\n');
    text
}
