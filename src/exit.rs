//! Exit codes, in one place (documented in the README).

/// Everything worked.
pub const OK: i32 = 0;
/// The command ran but found a problem: some trials failed (`run`), a metric regressed
/// (`check`), or a dataset file does not match the catalog (`datasets verify`).
pub const FINDINGS: i32 = 1;
/// The command could not do its job: invalid spec, arguments or data, missing files.
pub const ERROR: i32 = 2;
