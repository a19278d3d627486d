use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    let code = anomalab::cmd::main(std::env::args_os().collect());
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// Serve every allocation of 1 MiB or more with its own mapping, returned to the system
/// when freed. glibc raises its mapping threshold after each large block freed (up to
/// 32 MiB), so the columns of a loaded table, freed while the training matrix fills, stay
/// in its heap, where the matrix (one large mapping) cannot reuse them: peak memory then
/// counts the data twice. A fixed threshold turns that adjustment off.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets a tuning parameter of the allocator; it is called before
    // any other thread exists, and an unknown or refused value leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}
