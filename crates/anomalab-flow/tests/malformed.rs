//! Malformed captures generated here: each ends with a clear typed error or a counted
//! skip, never a panic. Also a seeded random-input driver (random bytes, and random byte
//! flips / truncations of valid pcap and pcapng captures) that stands in for the cargo-fuzz
//! target in CI.

mod common;

use anomalab_flow::{ExtractOptions, Extractor, FlowError, SkipReason, Summary};
use common::SplitMix;

fn run(bytes: &[u8]) -> (Result<(), FlowError>, Summary) {
    let mut ex = Extractor::new(ExtractOptions::reference());
    let r = ex.feed_capture(bytes, "gen");
    let (_, s) = ex.finish();
    (r, s)
}

fn pcap_header(snaplen: u32, linktype: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&snaplen.to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    h
}

fn record(ts: u32, data: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&ts.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(data);
    r
}

/// Ethernet + IPv4 + UDP 10.0.0.1:1000 -> 10.0.0.2:53 with `n` payload bytes.
fn udp_frame(n: usize) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (28 + n) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&1000u16.to_be_bytes());
    f.extend_from_slice(&53u16.to_be_bytes());
    f.extend_from_slice(&((8 + n) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend(std::iter::repeat_n(0x61u8, n));
    f
}

#[test]
fn empty_input_is_bad_magic() {
    let (r, _) = run(&[]);
    let e = r.unwrap_err();
    assert!(matches!(e, FlowError::BadMagic { .. }), "{e}");
    assert!(e.to_string().contains("empty input"), "{e}");
}

#[test]
fn bad_magic_names_what_was_expected() {
    let (r, _) = run(b"GET / HTTP/1.1\r\n\r\n");
    let e = r.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, FlowError::BadMagic { .. }));
    assert!(
        msg.contains("47 45 54 20") && msg.contains("pcapng"),
        "{msg}"
    );
}

#[test]
fn truncated_file_header() {
    let h = pcap_header(65535, 1);
    let (r, _) = run(&h[..10]);
    match r.unwrap_err() {
        FlowError::TruncatedHeader { got, expected, .. } => assert_eq!((got, expected), (10, 24)),
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn wrong_pcap_version_is_corrupt_header() {
    let mut h = pcap_header(65535, 1);
    h[4] = 9;
    let (r, _) = run(&h);
    let e = r.unwrap_err();
    assert!(matches!(e, FlowError::CorruptHeader { .. }) && e.to_string().contains("expected 2"));
}

#[test]
fn truncated_last_packet_is_a_counted_skip() {
    let mut b = pcap_header(65535, 1);
    b.extend(record(1, &udp_frame(10)));
    b.extend(record(2, &udp_frame(20)));
    let full = b.len();
    b.extend(record(3, &udp_frame(30)));
    b.truncate(full + 30); // header of the 3rd record + part of its data
    let (r, s) = run(&b);
    r.unwrap();
    assert_eq!(s.packets_read, 3);
    assert_eq!(s.packets_decoded, 2);
    assert_eq!(s.skipped.get(&SkipReason::TruncatedRecord), Some(&1));
    assert_eq!(s.flows_emitted, 1);
}

#[test]
fn zero_length_and_snaplen_cut_records_are_counted() {
    let mut b = pcap_header(65535, 1);
    b.extend(record(1, &[]));
    let f = udp_frame(100);
    b.extend(record(2, &f[..30])); // cut inside the IP header
    b.extend(record(3, &f[..40])); // cut inside the UDP header
    b.extend(record(4, &f[..60])); // cut inside the payload: decoded, payload = bytes present
    let (r, s) = run(&b);
    r.unwrap();
    assert_eq!(s.skipped.get(&SkipReason::TruncatedLinkHeader), Some(&1));
    assert_eq!(s.skipped.get(&SkipReason::TruncatedIpHeader), Some(&1));
    assert_eq!(
        s.skipped.get(&SkipReason::TruncatedTransportHeader),
        Some(&1)
    );
    assert_eq!(s.packets_decoded, 1);
}

#[test]
fn absurd_header_snaplen_is_accepted_absurd_record_length_is_an_error() {
    let mut b = pcap_header(u32::MAX, 1);
    b.extend(record(1, &udp_frame(5)));
    b.extend(record(2, &udp_frame(5)));
    let (r, s) = run(&b);
    r.unwrap();
    assert_eq!(s.flows_emitted, 1);
    let mut c = pcap_header(65535, 1);
    c.extend(record(1, &udp_frame(5)));
    let mut bad = record(2, &udp_frame(5));
    bad[8..12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    c.extend(bad);
    let (r, s) = run(&c);
    let e = r.unwrap_err();
    // Second record at byte 24 (file header) + 16 (record header) + 47 (14 + 28 + 5).
    assert!(
        matches!(
            e,
            FlowError::CorruptRecord {
                index: 1,
                offset: 87,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(s.packets_decoded, 1);
}

#[test]
fn unsupported_link_type_and_non_ip_are_counted() {
    let mut b = pcap_header(65535, 147);
    b.extend(record(1, &udp_frame(5)));
    let (r, s) = run(&b);
    r.unwrap();
    assert_eq!(s.skipped.get(&SkipReason::UnsupportedLinkType), Some(&1));
    let mut arp = udp_frame(5);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    let mut c = pcap_header(65535, 1);
    c.extend(record(1, &arp));
    let (r, s) = run(&c);
    r.unwrap();
    assert_eq!(s.skipped.get(&SkipReason::NonIp), Some(&1));
}

fn pcapng_minimal(bad_iface: bool, bad_len: bool) -> Vec<u8> {
    let mut b = Vec::new();
    // SHB, little endian, 28 bytes.
    b.extend_from_slice(&0x0a0d0d0au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    // IDB, Ethernet, if_tsresol = 9 (nanoseconds).
    let opts: [u8; 12] = [9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0];
    let idb_len = 20 + opts.len() as u32;
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&idb_len.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&opts);
    b.extend_from_slice(&idb_len.to_le_bytes());
    for (i, ts_ns) in [1_000_000_999u64, 1_500_000_999].into_iter().enumerate() {
        let f = udp_frame(10 + i);
        let pad = (4 - f.len() % 4) % 4;
        let len = (32 + f.len() + pad) as u32;
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&(if bad_len && i == 1 { 13 } else { len }).to_le_bytes());
        b.extend_from_slice(&(if bad_iface && i == 1 { 7u32 } else { 0 }).to_le_bytes());
        b.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&f);
        b.extend(std::iter::repeat_n(0u8, pad));
        b.extend_from_slice(&len.to_le_bytes());
    }
    b
}

#[test]
fn pcapng_nanosecond_interface_and_damaged_blocks() {
    let mut ex = Extractor::new(ExtractOptions::reference());
    ex.feed_capture(&pcapng_minimal(false, false)[..], "ok.pcapng")
        .unwrap();
    let (recs, s) = ex.finish();
    assert_eq!(s.packets_decoded, 2);
    assert_eq!(recs.len(), 1);
    // 1.000000999 s and 1.500000999 s truncate to 1,000,000 and 1,500,000 µs.
    assert_eq!(recs[0].start_us, 1_000_000);
    assert_eq!(recs[0].values[0], 500_000.0);
    let (r, s) = run(&pcapng_minimal(true, false));
    r.unwrap();
    assert_eq!(s.skipped.get(&SkipReason::UnknownInterface), Some(&1));
    let (r, _) = run(&pcapng_minimal(false, true));
    let e = r.unwrap_err();
    assert!(
        matches!(e, FlowError::CorruptRecord { .. }) && e.to_string().contains("multiple of 4"),
        "{e}"
    );
}

fn assert_accounted(r: &Result<(), FlowError>, s: &Summary) {
    // Whatever happens, the counters add up: every record read was decoded or skipped.
    if r.is_ok() {
        assert_eq!(s.packets_read, s.packets_decoded + s.packets_skipped());
    }
}

#[test]
fn random_inputs_never_panic() {
    // Stand-in fuzz driver (the cargo-fuzz target in fuzz/ runs the same entry point):
    // random bytes behind each magic, and random mutations of valid captures.
    let mut valid_pcap = pcap_header(65535, 1);
    for i in 0..40 {
        valid_pcap.extend(record(i, &udp_frame(i as usize * 3)));
    }
    let valid_ng = pcapng_minimal(false, false);
    let magics: [&[u8]; 6] = [
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
        &[0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4],
        &[0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0],
        &[0x0a, 0x0d, 0x0d, 0x0a],
        &[0x1f, 0x8b],
        &[],
    ];
    let mut rng = SplitMix(20_240_601);
    for seed in 0..3000u64 {
        let kind = seed % 4;
        let mut buf: Vec<u8> = match kind {
            0 => {
                let m = magics[(rng.next() % magics.len() as u64) as usize];
                let n = (rng.next() % 600) as usize;
                let mut v = m.to_vec();
                v.extend((0..n).map(|_| rng.next() as u8));
                v
            }
            1 => valid_pcap.clone(),
            2 => valid_ng.clone(),
            _ => {
                let mut v = valid_pcap.clone();
                v[20..24].copy_from_slice(&[113, 0, 0, 0][..]); // SLL view of Ethernet bytes
                v
            }
        };
        if kind != 0 {
            let flips = 1 + rng.next() % 8;
            for _ in 0..flips {
                let i = (rng.next() % buf.len() as u64) as usize;
                buf[i] ^= 1 << (rng.next() % 8);
            }
            if rng.next().is_multiple_of(3) {
                let cut = (rng.next() % buf.len() as u64) as usize;
                buf.truncate(cut);
            }
        }
        let (r, s) = run(&buf);
        assert_accounted(&r, &s);
    }
}
