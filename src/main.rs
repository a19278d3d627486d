use std::process::ExitCode;

fn main() -> ExitCode {
    match anomalab::cli::main_with_args(std::env::args_os().collect()) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(anomalab::exit::ERROR as u8)
        }
    }
}
