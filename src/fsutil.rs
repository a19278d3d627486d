//! File writing that never loses what was there before: write a temporary file in the same
//! folder, flush it, then rename it over the target.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

/// Atomically replace `path` with `bytes` (creating parent folders).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    commit(tmp, path)
}

/// A temporary file in `path`'s folder (created if needed), for output written in a stream
/// and put in place by [`commit`].
pub fn temp_beside(path: &Path) -> std::io::Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    NamedTempFile::new_in(dir)
}

/// Flush `tmp` to disk and rename it over `path`. Temporary files are private (0600); the
/// result is an ordinary file.
pub fn commit(tmp: NamedTempFile, path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
