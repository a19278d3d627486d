use std::process::ExitCode;

fn main() -> ExitCode {
    let code = anomalab::cmd::main(std::env::args_os().collect());
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}
