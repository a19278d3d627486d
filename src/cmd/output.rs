//! Writing to standard output (a leaf: every command prints through it).

use std::io::Write;

/// Write to standard output; a closed pipe (`anomalab models | head`) is not an error.
pub fn print_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
