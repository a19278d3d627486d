//! Reading inputs so that a shutdown request is noticed even while a pipe is silent:
//! [`StoppableReader`] waits for data in slices of [`POLL_SLICE`], and reports the end of
//! input once the stop flag is set.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::poll::{IdleHook, POLL_SLICE, wait_readable};

/// A capture input: a file, standard input, or a live interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureInput {
    File(PathBuf),
    Stdin,
    /// A network interface read with `AF_PACKET` (the `live` feature, Linux).
    #[cfg(all(feature = "live", target_os = "linux"))]
    Interface(String),
}

impl CaptureInput {
    pub fn parse(arg: &Path) -> Self {
        if arg.as_os_str() == "-" {
            CaptureInput::Stdin
        } else {
            CaptureInput::File(arg.to_path_buf())
        }
    }

    pub fn name(&self) -> String {
        match self {
            CaptureInput::File(p) => p.display().to_string(),
            CaptureInput::Stdin => "standard input".into(),
            #[cfg(all(feature = "live", target_os = "linux"))]
            CaptureInput::Interface(i) => format!("interface {i}"),
        }
    }

    /// Open the input for reading (the file must exist and be readable). `idle` is called
    /// each time the input is about to wait for data.
    pub fn open(&self, stop: Arc<AtomicBool>, idle: IdleHook) -> io::Result<Box<dyn Read>> {
        let inner = match self {
            CaptureInput::File(p) => Source::File(File::open(p)?),
            CaptureInput::Stdin => Source::Stdin(io::stdin()),
            #[cfg(all(feature = "live", target_os = "linux"))]
            CaptureInput::Interface(i) => {
                return Ok(Box::new(super::live::LiveCapture::open(i, stop, idle)?));
            }
        };
        Ok(Box::new(StoppableReader { inner, stop, idle }))
    }
}

enum Source {
    File(File),
    Stdin(io::Stdin),
}

/// A reader that returns end of input once `stop` is set, without blocking longer than
/// [`POLL_SLICE`] on a silent pipe.
pub struct StoppableReader {
    inner: Source,
    stop: Arc<AtomicBool>,
    idle: IdleHook,
}

impl StoppableReader {
    fn fd(&self) -> RawFd {
        match &self.inner {
            Source::File(f) => f.as_raw_fd(),
            Source::Stdin(s) => s.as_raw_fd(),
        }
    }
}

impl Read for StoppableReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !wait_readable(self.fd(), Duration::ZERO)? {
            (self.idle)();
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    return Ok(0);
                }
                if wait_readable(self.fd(), POLL_SLICE)? {
                    break;
                }
            }
        }
        if self.stop.load(Ordering::Relaxed) {
            return Ok(0);
        }
        match &mut self.inner {
            Source::File(f) => f.read(buf),
            // The raw handle: `Stdin`'s own buffer would hide data from `poll`.
            Source::Stdin(s) => s.lock().read(buf),
        }
    }
}

/// Replays packets at `speed` times their capture pace: sleeps until each packet's time
/// (relative to the first) divided by `speed` has passed, in slices that notice `stop`.
pub struct Pacer {
    speed: f64,
    origin: Option<(i64, Instant)>,
    stop: Arc<AtomicBool>,
}

impl Pacer {
    pub fn new(speed: f64, stop: Arc<AtomicBool>) -> Self {
        Pacer {
            speed,
            origin: None,
            stop,
        }
    }

    /// Wait until the packet stamped `ts_us` is due; `idle` runs first when there is a
    /// wait.
    pub fn wait(&mut self, ts_us: i64, idle: impl FnOnce()) {
        let (t0, wall0) = *self.origin.get_or_insert((ts_us, Instant::now()));
        let offset = (ts_us - t0).max(0) as f64 / self.speed;
        let due = wall0 + Duration::from_secs_f64(offset / 1e6);
        if Instant::now() < due {
            idle();
        }
        loop {
            let now = Instant::now();
            if now >= due || self.stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep((due - now).min(POLL_SLICE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_pipe_ends_when_stop_is_set() {
        let (rd, wr) = std::io::pipe().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let idled = std::rc::Rc::new(std::cell::Cell::new(0));
        let count = idled.clone();
        let mut r = StoppableReader {
            inner: Source::File(File::from(std::os::fd::OwnedFd::from(rd))),
            stop: stop.clone(),
            idle: Box::new(move || count.set(count.get() + 1)),
        };
        let setter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(150));
                stop.store(true, Ordering::Relaxed);
            })
        };
        let t = Instant::now();
        let mut buf = [0u8; 16];
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(idled.get(), 1, "the idle hook ran before waiting");
        setter.join().unwrap();
        drop(wr);
    }

    #[test]
    fn pacer_spreads_packets_over_their_capture_time() {
        let mut p = Pacer::new(10.0, Arc::new(AtomicBool::new(false)));
        let t = Instant::now();
        let mut idle = 0;
        p.wait(0, || idle += 1);
        p.wait(1_000_000, || idle += 1); // 1 s of capture time at 10x: 100 ms
        assert_eq!(idle, 1, "only the second packet waited");
        let e = t.elapsed();
        assert!(e >= Duration::from_millis(100), "{e:?}");
    }
}
