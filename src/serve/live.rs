//! A live interface (Linux `AF_PACKET`), read as a pcap stream: each received frame becomes
//! a pcap record (receive time, captured bytes), so the frames go through the very reader
//! and extractor that files and `tcpdump -w -` go through. Behind the `live` feature
//! (needs `CAP_NET_RAW`).

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::poll::{IdleHook, POLL_SLICE, wait_readable};

/// Largest frame kept (the pcap snap length written in the header).
const SNAPLEN: usize = 262_144;

/// pcap link types.
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;

/// An open `AF_PACKET` socket on one interface, read as a pcap byte stream.
pub struct LiveCapture {
    fd: OwnedFd,
    stop: Arc<AtomicBool>,
    idle: IdleHook,
    frame: Vec<u8>,
    /// pcap bytes produced and not yet handed out.
    out: Vec<u8>,
    pos: usize,
}

impl LiveCapture {
    /// Open `interface` (all protocols, both directions, promiscuous).
    pub fn open(interface: &str, stop: Arc<AtomicBool>, idle: IdleHook) -> io::Result<Self> {
        let index = if_index(interface)?;
        let linktype = link_type(interface)?;
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket(2) call; the returned descriptor is checked and then owned.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(proto)) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        bind(&fd, index, proto)?;
        promiscuous(&fd, index)?;
        let mut out = Vec::with_capacity(SNAPLEN);
        out.extend_from_slice(&pcap_header(linktype));
        Ok(LiveCapture {
            fd,
            stop,
            idle,
            frame: vec![0; SNAPLEN],
            out,
            pos: 0,
        })
    }

    /// Receive one frame into `out` as a pcap record; false when stopped.
    fn next_frame(&mut self) -> io::Result<bool> {
        if !wait_readable(self.fd.as_raw_fd(), std::time::Duration::ZERO)? {
            (self.idle)();
        }
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            if wait_readable(self.fd.as_raw_fd(), POLL_SLICE)? {
                break;
            }
        }
        // SAFETY: the buffer pointer and length describe `self.frame`, which outlives the
        // call; MSG_TRUNC makes the return value the frame's full length.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                self.frame.as_mut_ptr().cast(),
                self.frame.len(),
                libc::MSG_TRUNC,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(true)
            } else {
                Err(e)
            };
        }
        let orig = n as usize;
        let cap = orig.min(self.frame.len());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.out.clear();
        self.pos = 0;
        for v in [
            now.as_secs() as u32,
            now.subsec_micros(),
            cap as u32,
            orig as u32,
        ] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&self.frame[..cap]);
        Ok(true)
    }
}

impl Read for LiveCapture {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() && !self.next_frame()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A little-endian microsecond pcap file header.
fn pcap_header(linktype: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&(SNAPLEN as u32).to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

fn if_index(interface: &str) -> io::Result<i32> {
    let name = std::ffi::CString::new(interface)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name has a NUL"))?;
    // SAFETY: `name` is a valid NUL-terminated string for the duration of the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no network interface `{interface}`"),
        ));
    }
    Ok(index as i32)
}

/// Ethernet framing for Ethernet and loopback devices, raw IP for the others (tun).
fn link_type(interface: &str) -> io::Result<u32> {
    let path = format!("/sys/class/net/{interface}/type");
    let kind = std::fs::read_to_string(&path)?;
    // ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772 (with a zero Ethernet header).
    Ok(match kind.trim() {
        "1" | "772" => LINKTYPE_ETHERNET,
        _ => LINKTYPE_RAW,
    })
}

fn bind(fd: &OwnedFd, index: i32, proto_be: u16) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value to fill in.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = proto_be;
    addr.sll_ifindex = index;
    // SAFETY: the pointer and length describe `addr`, a sockaddr_ll that outlives the call.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn promiscuous(fd: &OwnedFd, index: i32) -> io::Result<()> {
    // SAFETY: packet_mreq is plain old data; all-zero is a valid value to fill in.
    let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
    mreq.mr_ifindex = index;
    mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
    // SAFETY: the pointer and length describe `mreq`, which outlives the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            (&raw const mreq).cast(),
            std::mem::size_of::<libc::packet_mreq>() as u32,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_header_is_a_pcap_header_the_reader_accepts() {
        let mut bytes = pcap_header(LINKTYPE_ETHERNET).to_vec();
        // One 60-byte zero frame at t = 1 s.
        for v in [1u32, 0, 60, 60] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&[0u8; 60]);
        let mut r = anomalab_flow::reader::CaptureReader::new(&bytes[..], "live").unwrap();
        match r.next_event().unwrap() {
            anomalab_flow::reader::ReadEvent::Packet(p) => {
                assert_eq!((p.ts_us, p.linktype, p.data.len()), (1_000_000, 1, 60));
            }
            _ => panic!("expected a packet"),
        }
    }
}
