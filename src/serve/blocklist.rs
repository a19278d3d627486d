//! `--blocklist FILE`: the source addresses of alerts at or above a severity, each with an
//! expiry, in a file that `nft -f` or `ipset restore` loads. anomalab never touches the
//! firewall: the operator's own rule or timer loads the file. Written atomically
//! (temporary file, then rename), at most once a second while alerts come; the file holds
//! nothing but addresses, timeouts and comment lines with times.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The loader the file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BlocklistFormat {
    /// `nft -f FILE`: sets `blocklist_v4` / `blocklist_v6` in table `inet anomalab`.
    Nft,
    /// `ipset restore < FILE`: sets `anomalab_v4` / `anomalab_v6` (hash:ip with timeout).
    Ipset,
}

/// Which addresses are listed, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct BlocklistConfig {
    pub path: PathBuf,
    pub format: BlocklistFormat,
    /// Alerts of this severity or more severe (1 is the most severe) list their source.
    pub severity: u8,
    /// How long an address stays listed after its last alert.
    pub ttl: Duration,
}

/// The listed addresses and when each expires.
#[derive(Debug)]
pub struct Blocklist {
    cfg: BlocklistConfig,
    entries: BTreeMap<IpAddr, SystemTime>,
    dirty: bool,
    written: Option<Instant>,
}

/// Least time between two writes while alerts keep coming.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

impl Blocklist {
    pub fn new(cfg: BlocklistConfig) -> Self {
        Blocklist {
            cfg,
            entries: BTreeMap::new(),
            dirty: true,
            written: None,
        }
    }

    /// An alert from `src` of `severity`: listed (or its expiry renewed) when severe enough.
    pub fn note(&mut self, src: IpAddr, severity: u8, now: SystemTime) {
        if severity <= self.cfg.severity {
            self.entries.insert(src, now + self.cfg.ttl);
            self.dirty = true;
        }
    }

    /// Write the file when it changed (or an entry expired); `force` ignores the
    /// once-a-second limit (at shutdown).
    pub fn write(&mut self, now: SystemTime, force: bool) -> std::io::Result<()> {
        let before = self.entries.len();
        self.entries.retain(|_, until| *until > now);
        self.dirty |= self.entries.len() != before;
        let recent = self.written.is_some_and(|t| t.elapsed() < MIN_INTERVAL);
        if !self.dirty || (recent && !force) {
            return Ok(());
        }
        crate::fsutil::write_atomic(&self.cfg.path, self.render(now).as_bytes())?;
        self.dirty = false;
        self.written = Some(Instant::now());
        Ok(())
    }

    /// The file's text at `now` (timeouts are what remains of each entry).
    pub fn render(&self, now: SystemTime) -> String {
        let remaining =
            |until: &SystemTime| until.duration_since(now).map_or(1, |d| d.as_secs().max(1));
        let (v4, v6): (Vec<_>, Vec<_>) = self.entries.iter().partition(|(ip, _)| ip.is_ipv4());
        let mut out = format!(
            "# anomalab blocklist, written {}: {} address(es) with alerts of severity {} or more severe\n",
            crate::serve::eve::timestamp(unix_us(now)),
            self.entries.len(),
            self.cfg.severity
        );
        match self.cfg.format {
            BlocklistFormat::Nft => {
                out.push_str("table inet anomalab {\n");
                out.push_str("\tset blocklist_v4 { type ipv4_addr; flags timeout; }\n");
                out.push_str("\tset blocklist_v6 { type ipv6_addr; flags timeout; }\n}\n");
                out.push_str("flush set inet anomalab blocklist_v4\n");
                out.push_str("flush set inet anomalab blocklist_v6\n");
                for (set, list) in [("blocklist_v4", &v4), ("blocklist_v6", &v6)] {
                    for (ip, until) in list {
                        let _ = writeln!(
                            out,
                            "add element inet anomalab {set} {{ {ip} timeout {}s }}",
                            remaining(until)
                        );
                    }
                }
            }
            BlocklistFormat::Ipset => {
                let ttl = self.cfg.ttl.as_secs().max(1);
                let _ = writeln!(
                    out,
                    "create anomalab_v4 hash:ip family inet timeout {ttl} -exist"
                );
                let _ = writeln!(
                    out,
                    "create anomalab_v6 hash:ip family inet6 timeout {ttl} -exist"
                );
                out.push_str("flush anomalab_v4\nflush anomalab_v6\n");
                for (set, list) in [("anomalab_v4", &v4), ("anomalab_v6", &v6)] {
                    for (ip, until) in list {
                        let _ = writeln!(out, "add {set} {ip} timeout {}", remaining(until));
                    }
                }
            }
        }
        out
    }
}

fn unix_us(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(format: BlocklistFormat, path: PathBuf) -> Blocklist {
        Blocklist::new(BlocklistConfig {
            path,
            format,
            severity: 2,
            ttl: Duration::from_secs(600),
        })
    }

    #[test]
    fn severe_sources_are_listed_with_their_remaining_time_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("block.nft");
        let mut b = list(BlocklistFormat::Nft, path.clone());
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        b.note("10.0.0.1".parse().unwrap(), 1, t0);
        b.note("10.0.0.2".parse().unwrap(), 3, t0); // not severe enough
        b.note(
            "2001:db8::1".parse().unwrap(),
            2,
            t0 + Duration::from_secs(300),
        );
        b.write(t0 + Duration::from_secs(60), true).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("add element inet anomalab blocklist_v4 { 10.0.0.1 timeout 540s }"));
        assert!(
            text.contains("add element inet anomalab blocklist_v6 { 2001:db8::1 timeout 840s }")
        );
        assert!(!text.contains("10.0.0.2"));
        // Past the first expiry only the IPv6 address is left.
        b.write(t0 + Duration::from_secs(700), true).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("10.0.0.1") && text.contains("2001:db8::1 timeout 200s"));
    }

    #[test]
    fn the_ipset_form_has_only_set_commands_addresses_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = list(BlocklistFormat::Ipset, dir.path().join("block.ipset"));
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        b.note("192.0.2.7".parse().unwrap(), 1, t0);
        let text = b.render(t0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "create anomalab_v4 hash:ip family inet timeout 600 -exist",
                "create anomalab_v6 hash:ip family inet6 timeout 600 -exist",
                "flush anomalab_v4",
                "flush anomalab_v6",
                "add anomalab_v4 192.0.2.7 timeout 600",
            ]
        );
        assert!(
            lines[0].starts_with("# anomalab blocklist, written 2027-01-15T08:00:00.000000+0000")
        );
    }
}
