//! Conformance of `cic2017` with the CICFlowMeter `eaa853d` reference CSVs in
//! `flows-reference/cicflowmeter-2018/` (spec §8), with `count_l2_padding` off, IPv6 off
//! and UTC timestamps: same multiset of flows, exact integer columns, floats within 1e-9
//! relative, same Infinity/NaN cells, and the §6 invariants on every output.

mod common;

use anomalab_flow::{ExtractOptions, SkipReason};
use common::*;

fn check(capture: &str, reference: &str) {
    let Some(d) = data_dir() else { return };
    let (recs, summary) = extract_file(&d.join(capture));
    let reference_rows =
        read_reference(&d.join("flows-reference/cicflowmeter-2018").join(reference));
    let identical = assert_same_flows(capture, &rows_of(&recs), &reference_rows);
    assert_invariants(capture, &recs);
    // All reference rows are also text-identical (Java Double.toString formatting), except
    // where the incremental mean may differ in the last digit (spec §5.6); on this corpus
    // none does.
    assert_eq!(
        identical,
        reference_rows.len(),
        "{capture}: text-identical rows"
    );
    assert_eq!(summary.flows_emitted as usize, reference_rows.len());
}

#[test]
fn test_pcap() {
    check("flows-reference/test.pcap", "test.csv");
}

#[test]
fn test_pcapng_gives_test_csv() {
    check("flows-reference/test.pcapng", "test.csv");
}

#[test]
fn test_sll_gives_test_csv() {
    // Spec §2.1 recommended deviation: SLL decoded like Ethernet.
    check("flows-reference/test_sll.pcap", "test.csv");
}

#[test]
fn sameip() {
    check("flows-reference/test_sameip.pcap", "sameip.csv");
}

#[test]
fn icmp_err_dup() {
    check("flows-reference/test_icmp_err_dup.pcap", "icmp_err_dup.csv");
}

#[test]
fn icmp_errors() {
    // 47 ICMP-error scenarios (gen_icmp_errors.py): only types 3 and 12 quoting a whole
    // UDP header or the fixed 20-byte TCP header are read as the quoted packet; a TCP
    // quote cut at 20 or 21 bytes inside its options is dropped (scenarios 42 and 47).
    check("flows-reference/icmp_errors.pcap", "icmp_errors.csv");
}

#[test]
fn chrissanders_synscan() {
    check(
        "pcap/chrissanders-synscan.pcapng",
        "chrissanders-synscan.csv",
    );
}

#[test]
fn evilfingers_udp_scan() {
    check(
        "pcap/evilfingers-nmap-UDP_SCAN.pcap",
        "evilfingers-nmap-UDP_SCAN.csv",
    );
}

#[test]
fn honeynet_voip() {
    check("pcap/honeynet-fc4-voip.pcap", "honeynet-fc4-voip.csv");
}

#[test]
fn ppa_ftp_crack() {
    check("pcap/ppa-ftp-crack.pcap", "ppa-ftp-crack.csv");
}

#[test]
fn stopddos_synflood() {
    check(
        "pcap/stopddos-pkt.TCP.synflood.spoofed.pcap",
        "stopddos-pkt.TCP.synflood.spoofed.csv",
    );
}

#[test]
fn test_pcap_summary_counts() {
    let Some(d) = data_dir() else { return };
    let (recs, s) = extract_file(&d.join("flows-reference/test.pcap"));
    // README: 106 packets, 25 flows holding 102 of them; the 2 IPv6 packets of S9 are
    // ignored; the unanswered DNS query (S5) and the final ACK of S8 are one-packet flows.
    assert_eq!(s.packets_read, 106);
    assert_eq!(s.skipped.get(&SkipReason::Ipv6Disabled), Some(&2));
    assert_eq!(s.packets_decoded, 104);
    assert_eq!(recs.len(), 25);
    let in_flows: f64 = recs.iter().map(|r| r.values[1] + r.values[2]).sum();
    assert_eq!(in_flows, 102.0);
    assert_eq!(s.flows_too_short, 2);
}

#[test]
fn loopback_capture_is_decoded_not_garbage() {
    // The reference turns this DLT_NULL capture into one garbage flow (spec §2.1); we
    // decode it. MANIFEST: 174 IPv6 TCP packets (HTTP ::1 <-> ::1) + 10 IPv4 ICMP.
    let Some(d) = data_dir() else { return };
    let p = d.join("pcap/hackeire2010-ipv6-loopback-http.pcap");
    let (recs, s) = extract_file(&p);
    assert_eq!(s.packets_read, 184);
    assert_eq!(s.skipped.get(&SkipReason::Ipv6Disabled), Some(&174));
    assert!(recs.iter().all(|r| r.protocol == 0 && r.src_ip.is_ipv4()));
    let with_v6 = ExtractOptions {
        include_ipv6: true,
        ..ExtractOptions::reference()
    };
    let (recs6, s6) = extract(std::fs::File::open(&p).unwrap(), "loopback", with_v6);
    assert_eq!(s6.packets_decoded, 184);
    let tcp6: Vec<_> = recs6.iter().filter(|r| r.protocol == 6).collect();
    assert!(!tcp6.is_empty());
    assert!(
        tcp6.iter()
            .all(|r| r.src_ip.to_string() == "::1" && r.dst_ip.to_string() == "::1")
    );
    // Same-address flows are one-way (spec §3.1): no backward packets.
    assert!(tcp6.iter().all(|r| r.values[2] == 0.0));
}

#[test]
fn padding_switch_adds_six_bytes_per_padded_frame() {
    // README: test.pcap has 16 padded frames (54-byte TCP segments without payload padded
    // to 60). With count_l2_padding on, each counts 6 payload bytes (spec §4, §8.7).
    let Some(d) = data_dir() else { return };
    let p = d.join("flows-reference/test.pcap");
    let (off, _) = extract_file(&p);
    let (on, _) = extract(
        std::fs::File::open(&p).unwrap(),
        "test",
        ExtractOptions::default(),
    );
    assert_eq!(off.len(), on.len());
    let total = |rs: &[anomalab_flow::FlowRecord]| -> f64 {
        rs.iter().map(|r| r.values[3] + r.values[4]).sum()
    };
    let padded_in_flows = 16.0;
    assert_eq!(total(&on) - total(&off), 6.0 * padded_in_flows);
    // Some flow now has a 6-byte minimum backward length where the reference has 0.
    assert!(on.iter().any(|r| r.values[10] == 6.0));
    assert_invariants("padding on", &on);
}

#[test]
fn pcap_and_pcapng_give_identical_records() {
    let Some(d) = data_dir() else { return };
    let (a, _) = extract_file(&d.join("flows-reference/test.pcap"));
    let (b, _) = extract_file(&d.join("flows-reference/test.pcapng"));
    assert_eq!(rows_of(&a), rows_of(&b));
}

#[test]
fn pipe_and_gzip_streams_give_the_same_flows_as_the_file() {
    let Some(d) = data_dir() else { return };
    let p = d.join("pcap/ppa-ftp-crack.pcap");
    let (file_recs, _) = extract_file(&p);
    // Through a pipe (like `tcpdump -w - | anomalab extract -`).
    let mut child = std::process::Command::new("cat")
        .arg(&p)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let stdout = child.stdout.take().expect("stdout");
    let (pipe_recs, _) = extract(stdout, "-", ExtractOptions::reference());
    child.wait().expect("cat exits");
    assert_eq!(rows_of(&file_recs), rows_of(&pipe_recs));
    // Gzip-compressed in memory.
    let raw = std::fs::read(&p).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    let gz = gz.finish().unwrap();
    let (gz_recs, s) = extract(&gz[..], "x.pcap.gz", ExtractOptions::reference());
    assert_eq!(rows_of(&file_recs), rows_of(&gz_recs));
    assert_eq!(s.bytes_read, raw.len() as u64);
}

/// Rewrites a little-endian microsecond pcap as big-endian and/or nanosecond pcap (the
/// nanosecond fraction gets +999 ns, which must be truncated away).
fn rewrite_pcap(le_us: &[u8], big: bool, nanos: bool) -> Vec<u8> {
    let rd = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let wr32 = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let wr16 = |out: &mut Vec<u8>, v: u16| {
        out.extend_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    assert_eq!(
        rd(le_us, 0),
        0xa1b2c3d4,
        "input must be a little-endian us pcap"
    );
    let mut out = Vec::with_capacity(le_us.len());
    wr32(&mut out, if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 });
    wr16(&mut out, 2);
    wr16(&mut out, 4);
    wr32(&mut out, 0);
    wr32(&mut out, 0);
    wr32(&mut out, rd(le_us, 16));
    wr32(&mut out, rd(le_us, 20));
    let mut o = 24;
    while o + 16 <= le_us.len() {
        let (sec, us, cap, len) = (
            rd(le_us, o),
            rd(le_us, o + 4),
            rd(le_us, o + 8),
            rd(le_us, o + 12),
        );
        wr32(&mut out, sec);
        wr32(&mut out, if nanos { us * 1000 + 999 } else { us });
        wr32(&mut out, cap);
        wr32(&mut out, len);
        out.extend_from_slice(&le_us[o + 16..o + 16 + cap as usize]);
        o += 16 + cap as usize;
    }
    out
}

#[test]
fn pcap_byte_orders_and_nanosecond_resolution_give_the_same_flows() {
    let Some(d) = data_dir() else { return };
    let raw = std::fs::read(d.join("flows-reference/test.pcap")).unwrap();
    let (base, _) = extract(&raw[..], "le-us", ExtractOptions::reference());
    for (big, nanos) in [(true, false), (false, true), (true, true)] {
        let v = rewrite_pcap(&raw, big, nanos);
        let (recs, s) = extract(&v[..], "variant", ExtractOptions::reference());
        assert_eq!(s.packets_read, 106);
        assert_eq!(
            rows_of(&recs),
            rows_of(&base),
            "big-endian {big}, nanoseconds {nanos}"
        );
    }
}
