//! NetFlow v5, v9 and IPFIX made from the shared captures by Debian's `softflowd`, received
//! by this test on a UDP socket, written into a capture and read back with
//! `read_export_capture`; the same datagrams go to `nfcapd` (nfdump's collector), and
//! `nfdump -o csv` of what it stored is the independent reading: the same records (count,
//! endpoints, protocol, flags, packets, bytes, start second) and the totals of nfdump's
//! own `Summary`. nfdump's CSV of `nfpcapd` (its own flow meter) checks the CSV reader
//! against that file's `Summary`. Without the tools the tests fail naming them, or skip
//! with `ANOMALAB_ALLOW_MISSING_DATA=1`.

mod common;

use std::net::{IpAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anomalab_flow::NetflowRecord;
use anomalab_flow::netflow::{read_export_capture, read_nfdump_csv};
use common::data_dir;

const TOOLS: [&str; 4] = ["softflowd", "nfcapd", "nfdump", "nfpcapd"];

/// The path of tool `name`: on `PATH`, else in /usr/sbin or /sbin (where Debian puts
/// softflowd and nfcapd, outside a user's `PATH`).
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A command running tool `name` (present: [`setup`] checked).
fn run(name: &str) -> Command {
    Command::new(tool(name).unwrap_or_else(|| PathBuf::from(name)))
}

/// The data directory, when the tools and the data are there (else skip or panic).
fn setup() -> Option<PathBuf> {
    let dir = data_dir()?;
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| tool(t).is_none())
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let msg = format!(
        "NetFlow tools not found: {} (Debian packages `softflowd` and `nfdump`: apt-get install softflowd nfdump)",
        missing.join(", ")
    );
    if std::env::var("ANOMALAB_ALLOW_MISSING_DATA").as_deref() == Ok("1") {
        println!("skipped: {msg}");
        return None;
    }
    panic!("{msg}, or set ANOMALAB_ALLOW_MISSING_DATA=1 to skip");
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anomalab-netflow-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// nfcapd listening on a free port of 127.0.0.1, writing into `dir`, once it is ready.
fn start_nfcapd(dir: &Path) -> (std::process::Child, u16) {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = run("nfcapd")
        .args(["-b", "127.0.0.1", "-p", &port.to_string(), "-w"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nfcapd");
    // nfcapd opens its `nfcapd.current.PID` file after binding its socket.
    let t0 = Instant::now();
    while !files_in(dir).iter().any(|f| f.contains("current")) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "nfcapd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// softflowd's export of `capture` as version `v`: the datagrams received (each also sent
/// on to `forward`), and the number of records softflowd says it exported.
fn softflowd(capture: &Path, v: &str, forward: u16, tmp: &Path) -> (Vec<Vec<u8>>, u64) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut child = run("softflowd")
        .args([
            "-d",
            "-c",
            "none",
            "-v",
            v,
            "-n",
            &format!("127.0.0.1:{port}"),
            "-r",
        ])
        .arg(capture)
        .arg("-p")
        .arg(tmp.join("softflowd.pid"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start softflowd");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65535];
    let mut quiet = None;
    loop {
        match sock.recv(&mut buf) {
            Ok(n) => {
                got.push(buf[..n].to_vec());
                sock.send_to(&buf[..n], ("127.0.0.1", forward)).unwrap();
                quiet = None;
            }
            Err(_) if child.try_wait().unwrap().is_some() => {
                let since = *quiet.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
            Err(_) => {}
        }
    }
    let out = child.wait_with_output().unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let (records, packets) = exported(&log);
    assert_eq!(
        packets,
        got.len() as u64,
        "softflowd sent {packets} packets, received {}:\n{log}",
        got.len()
    );
    (got, records)
}

/// `Flows exported: F (R records) in P packets` of softflowd's statistics.
fn exported(log: &str) -> (u64, u64) {
    let line = log
        .lines()
        .find(|l| l.starts_with("Flows exported:"))
        .unwrap_or_else(|| panic!("no statistics from softflowd:\n{log}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[1], nums[2])
}

/// A classic pcap of Ethernet/IPv4/UDP frames carrying `datagrams`.
fn export_capture(datagrams: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend(v.to_le_bytes());
    }
    for (i, d) in datagrams.iter().enumerate() {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00, 0x45, 0]);
        f.extend(((28 + d.len()) as u16).to_be_bytes());
        f.extend([0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 2, 127, 0, 0, 1]);
        f.extend([0x1f, 0x90, 0x08, 0x07]);
        f.extend(((8 + d.len()) as u16).to_be_bytes());
        f.extend([0, 0]);
        f.extend(d);
        for v in [1_700_000_000 + i as u32, 0, f.len() as u32, f.len() as u32] {
            out.extend(v.to_le_bytes());
        }
        out.extend(f);
    }
    out
}

/// `TZ=UTC nfdump -r FILE -o csv` of the one file in `dir` that is not `current`.
fn nfdump_csv(dir: &Path) -> Vec<u8> {
    let file = files_in(dir)
        .into_iter()
        .find(|f| f.starts_with("nfcapd.") && !f.contains("current"))
        .unwrap_or_else(|| panic!("no nfcapd file in {}: {:?}", dir.display(), files_in(dir)));
    let out = run("nfdump")
        .env("TZ", "UTC")
        .arg("-r")
        .arg(dir.join(file))
        .args(["-o", "csv"])
        .output()
        .expect("run nfdump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

type Key = (IpAddr, IpAddr, u16, u16, u8, u8, u64, u64, i64);

/// The records' comparable fields, sorted; the start second only `with_start`.
fn keys(records: &[NetflowRecord], with_start: bool) -> Vec<Key> {
    let mut k: Vec<Key> = records
        .iter()
        .map(|r| {
            let (sp, dp) = (r.src_port, r.dst_port);
            (
                r.src_ip,
                r.dst_ip,
                sp,
                dp,
                r.protocol,
                r.tcp_flags,
                r.packets,
                r.bytes,
                if with_start {
                    r.start_ms.div_euclid(1000)
                } else {
                    0
                },
            )
        })
        .collect();
    k.sort_by_key(|x| format!("{x:?}"));
    k
}

/// Equal sorted records, else a message with the first difference.
fn same_records(tag: &str, ours: &[Key], theirs: &[Key]) {
    if let Some(i) = (0..ours.len().max(theirs.len())).find(|&i| ours.get(i) != theirs.get(i)) {
        panic!(
            "{tag}: records differ from nfdump's ({} vs {}); first at {i}: ours {:?}, nfdump {:?}",
            ours.len(),
            theirs.len(),
            ours.get(i),
            theirs.get(i)
        );
    }
}

fn check_export(capture: &str, version: &str) {
    let Some(d) = setup() else { return };
    let tmp = temp_dir(&format!("{}-{version}", capture.replace('.', "_")));
    let (mut nfcapd, port) = start_nfcapd(&tmp);
    let (datagrams, exported) = softflowd(&d.join("pcap").join(capture), version, port, &tmp);
    let (ours, summary) = read_export_capture(&export_capture(&datagrams)[..], capture).unwrap();
    // nfcapd writes its file when it is told to stop.
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-TERM", &nfcapd.id().to_string()])
        .status()
        .unwrap();
    nfcapd.wait().unwrap();
    let theirs = read_nfdump_csv(&nfdump_csv(&tmp), "nfdump").unwrap();
    let (flows, bytes, packets) = theirs.summary.expect("nfdump's summary");
    let tag = format!("{capture} v{version}");
    assert_eq!(
        ours.len() as u64,
        exported,
        "{tag}: records vs softflowd's count"
    );
    assert_eq!(summary.records, exported, "{tag}");
    assert_eq!(
        ours.len() as u64,
        flows,
        "{tag}: records vs nfdump's summary"
    );
    assert_eq!(
        ours.iter().map(|r| r.bytes).sum::<u64>(),
        bytes,
        "{tag}: bytes"
    );
    assert_eq!(
        ours.iter().map(|r| r.packets).sum::<u64>(),
        packets,
        "{tag}: packets"
    );
    // softflowd reading a capture stamps IPFIX records with uptimes that nfdump turns into
    // negative durations, so their start times are not compared for IPFIX.
    let with_start = version != "10";
    same_records(
        &tag,
        &keys(&ours, with_start),
        &keys(&theirs.records, with_start),
    );
    assert_eq!(
        summary.sets_without_template + summary.not_export,
        0,
        "{tag}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn v5_matches_nfdump() {
    check_export("ppa-ftp-crack.pcap", "5");
    check_export("evilfingers-nmap-UDP_SCAN.pcap", "5");
}

#[test]
fn v9_matches_nfdump() {
    check_export("ppa-ftp-crack.pcap", "9");
    check_export("honeynet-fc4-voip.pcap", "9");
    check_export("evilfingers-nmap-UDP_SCAN.pcap", "9");
}

#[test]
fn ipfix_matches_nfdump() {
    check_export("ppa-ftp-crack.pcap", "10");
    check_export("honeynet-fc4-voip.pcap", "10");
    check_export("chrissanders-synscan.pcapng", "10");
}

/// `nfpcapd -r capture` then `TZ=UTC nfdump -o csv`: the CSV reader's records add up to
/// nfdump's own `Summary` line of the same output.
fn check_nfdump_csv(capture: &str) {
    let Some(d) = setup() else { return };
    let tmp = temp_dir(&format!("csv-{}", capture.replace('.', "_")));
    let st = run("nfpcapd")
        .arg("-r")
        .arg(d.join("pcap").join(capture))
        .arg("-w")
        .arg(&tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run nfpcapd");
    assert!(st.success(), "nfpcapd failed on {capture}");
    let csv = read_nfdump_csv(&nfdump_csv(&tmp), capture).unwrap();
    let (flows, bytes, packets) = csv.summary.expect("nfdump's summary");
    let r = &csv.records;
    assert_eq!(r.len() as u64, flows, "{capture}: records");
    assert_eq!(
        r.iter().map(|x| x.bytes + x.out_bytes).sum::<u64>(),
        bytes,
        "{capture}"
    );
    assert_eq!(
        r.iter().map(|x| x.packets + x.out_packets).sum::<u64>(),
        packets,
        "{capture}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn nfdump_csv_adds_up_to_its_summary() {
    check_nfdump_csv("ppa-ftp-crack.pcap");
    // ICMP port unreachables: `dp` is written as type.code (3.3).
    check_nfdump_csv("evilfingers-nmap-UDP_SCAN.pcap");
    check_nfdump_csv("honeynet-fc4-voip.pcap");
}

/// softflowd's v9 export of the FTP capture, for the malformed-input tests.
fn ftp_v9() -> Option<Vec<Vec<u8>>> {
    let d = setup()?;
    let tmp = temp_dir("ftp-v9");
    let (mut nfcapd, port) = start_nfcapd(&tmp);
    let (datagrams, _) = softflowd(&d.join("pcap/ppa-ftp-crack.pcap"), "9", port, &tmp);
    nfcapd.kill().unwrap();
    nfcapd.wait().unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    Some(datagrams)
}

#[test]
fn data_before_its_template_is_counted_not_read() {
    let Some(datagrams) = ftp_v9() else { return };
    // softflowd sends its templates in the first packet (and again every 16 packets).
    let (all, _) = read_export_capture(&export_capture(&datagrams)[..], "all").unwrap();
    let (rest, s) = read_export_capture(&export_capture(&datagrams[1..])[..], "rest").unwrap();
    assert!(s.sets_without_template > 0);
    assert!(rest.len() < all.len() - 1);
    assert!(
        !rest.is_empty(),
        "records after the repeated templates are read"
    );
}

#[test]
fn malformed_exports_name_the_packet_and_what_was_expected() {
    let Some(datagrams) = ftp_v9() else { return };
    let mut bad = datagrams[..3].to_vec();
    // The first flowset of packet 2 claims more bytes than the packet holds.
    bad[1][22..24].copy_from_slice(&60000u16.to_be_bytes());
    let e = read_export_capture(&export_capture(&bad)[..], "x.pcap").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "x.pcap: packet #2: set 1024 at byte 20 has length 60000, expected 4..={} (the bytes left)",
            bad[1].len() - 20
        )
    );
    let mut cut = datagrams[..1].to_vec();
    cut[0].truncate(10);
    let e = read_export_capture(&export_capture(&cut)[..], "x.pcap").unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.pcap: packet #1: NetFlow v9 packet of 10 bytes, expected at least the 20-byte header"
    );
}
