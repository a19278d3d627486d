//! Waiting for a descriptor to have data, in slices short enough to notice a stop request.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// Called when an input is about to wait for data (to hand over what is held).
pub type IdleHook = Box<dyn FnMut()>;

/// How long a read waits for data before it looks at the stop flag again.
pub const POLL_SLICE: Duration = Duration::from_millis(100);

/// Whether `fd` has data (or an end of input, or an error) within `timeout`.
pub fn wait_readable(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: `pfd` is a valid, initialised pollfd that outlives the call, and the count
    // passed is 1, its length. `fd` is owned by the caller's open file for the duration.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(n > 0)
}
