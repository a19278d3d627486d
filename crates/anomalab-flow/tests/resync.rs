//! Resynchronising capture reading ([`CaptureReader::set_resync`], for `serve`'s live
//! streams): damaged data inserted between the records of a capture is skipped and counted
//! while every valid packet still reads, strict reading still stops on it, a stream cut
//! short stays a counted truncation, and every valid capture reads identically either way.
//!
//! The captures are built here (pcap in both byte orders and both timestamp resolutions,
//! pcapng in both byte orders) and taken from the shared datasets: the small
//! `flows-reference` captures get damage of each kind at fixed places, every capture of
//! `MANIFEST.md` and `flows-reference/` gets seeded damage at random places, and must read
//! unchanged when undamaged. Tests that need the datasets say so when they are missing
//! (see `common::data_dir`).

mod common;

use std::collections::BTreeMap;

use anomalab_flow::reader::{CaptureReader, ReadEvent};
use anomalab_flow::{ExtractOptions, Extractor, FlowError, FlowRecord, SkipReason, Summary};
use common::{SplitMix, data_dir, rows_of, shared_captures};

/// What a reader returned: the packets (timestamp, link type, wire length, bytes), the
/// skips by reason and the bytes skipped, or the error that stopped it.
#[derive(Debug, PartialEq)]
struct Outcome {
    packets: Vec<(i64, u32, u32, Vec<u8>)>,
    skips: BTreeMap<SkipReason, u64>,
    bytes_skipped: u64,
}

fn read(bytes: &[u8], resync: bool) -> Result<Outcome, FlowError> {
    let mut r = CaptureReader::new(bytes, "gen")?;
    r.set_resync(resync);
    let mut out = Outcome {
        packets: Vec::new(),
        skips: BTreeMap::new(),
        bytes_skipped: 0,
    };
    loop {
        match r.next_event()? {
            ReadEvent::Packet(p) => {
                out.packets
                    .push((p.ts_us, p.linktype, p.orig_len, p.data.to_vec()))
            }
            ReadEvent::Skipped(s) => *out.skips.entry(s).or_insert(0) += 1,
            ReadEvent::End => break,
        }
    }
    out.bytes_skipped = r.bytes_skipped();
    Ok(out)
}

/// Asserts two packet lists are equal, naming the first difference (not printing them).
fn assert_same_packets(ctx: &str, got: &Outcome, want: &Outcome) {
    let brief =
        |r: &Outcome| -> Vec<(i64, usize)> { r.packets.iter().map(|p| (p.0, p.3.len())).collect() };
    if let Some(i) = (0..got.packets.len().max(want.packets.len()))
        .find(|&i| got.packets.get(i) != want.packets.get(i))
    {
        let (g, w) = (brief(got), brief(want));
        panic!(
            "{ctx}: {} packets, expected {}; first difference at #{i}: (ts, length) {:?} vs {:?}",
            g.len(),
            w.len(),
            g.get(i),
            w.get(i)
        );
    }
}

fn extract(bytes: &[u8], resync: bool) -> (Result<(), FlowError>, Vec<FlowRecord>, Summary) {
    let mut ex = Extractor::new(ExtractOptions::reference());
    ex.set_resync(resync);
    let r = ex.feed_capture(bytes, "gen");
    let (recs, s) = ex.finish();
    (r, recs, s)
}

// ---- captures built here ----

/// Ethernet + IPv4 + UDP or TCP frame of flow `i` (10.0.i.1:4000+i -> 10.9.0.2:80) with
/// `n` payload bytes of 0x61, real-looking MAC addresses.
fn frame(i: u8, tcp: bool, n: usize) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x02, 0x00, 0x0c, 0x29, 0x5e, 0x11, i,
    ];
    f.extend_from_slice(&[0x08, 0x00]);
    let l4 = if tcp { 20 } else { 8 };
    let total = (20 + l4 + n) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    let proto = if tcp { 6 } else { 17 };
    f.extend_from_slice(&[0, 0, 0, 0, 64, proto, 0, 0, 10, 0, i, 1, 10, 9, 0, 2]);
    f.extend_from_slice(&(4000 + i as u16).to_be_bytes());
    f.extend_from_slice(&80u16.to_be_bytes());
    if tcp {
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0x10, 0, 0, 0, 0, 0]);
    } else {
        f.extend_from_slice(&((8 + n) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
    }
    f.extend(std::iter::repeat_n(0x61u8, n));
    f
}

/// `count` frames over 6 flows, both directions' worth of sizes, 10 ms apart.
fn frames(count: usize) -> Vec<(u64, Vec<u8>)> {
    (0..count)
        .map(|k| {
            let ts_ns = 1_499_433_600_000_000_000 + k as u64 * 10_000_000 + 999;
            let i = (k % 6) as u8;
            (ts_ns, frame(i, i.is_multiple_of(2), 60 + (k * 37) % 500))
        })
        .collect()
}

/// A classic pcap of `frames`, in either byte order and timestamp resolution.
fn pcap(frames: &[(u64, Vec<u8>)], big: bool, nanos: bool) -> Vec<u8> {
    let w32 = |b: &mut Vec<u8>, v: u32| {
        b.extend_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let mut b = Vec::new();
    w32(&mut b, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    // Version 2.4 (two u16 read as one u32 in the file's byte order), zone, sigfigs, snap
    // length, Ethernet.
    w32(&mut b, if big { 0x0002_0004 } else { 0x0004_0002 });
    for v in [0, 0, 65_535, 1] {
        w32(&mut b, v);
    }
    for (ts_ns, f) in frames {
        let sub = ts_ns % 1_000_000_000;
        let frac = if nanos { sub } else { sub / 1000 };
        let len = f.len() as u32;
        for v in [(ts_ns / 1_000_000_000) as u32, frac as u32, len, len] {
            w32(&mut b, v);
        }
        b.extend_from_slice(f);
    }
    b
}

/// A pcapng of `frames` in either byte order: section header, one Ethernet interface with
/// nanosecond timestamps, one enhanced packet block per frame.
fn pcapng(frames: &[(u64, Vec<u8>)], big: bool) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut b = Vec::new();
    let block = |b: &mut Vec<u8>, btype: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        b.extend_from_slice(&w32(btype));
        b.extend_from_slice(&w32(len));
        b.extend_from_slice(body);
        b.extend_from_slice(&w32(len));
    };
    let mut shb = w32(0x1a2b_3c4d).to_vec();
    shb.extend_from_slice(&w16(1));
    shb.extend_from_slice(&w16(0));
    shb.extend_from_slice(&[0xff; 8]);
    block(&mut b, 0x0a0d_0d0a, &shb);
    // Ethernet, snap length 0, option if_tsresol = 9 (nanoseconds), end of options.
    let mut idb = [w16(1), w16(0)].concat();
    idb.extend_from_slice(&w32(0));
    idb.extend_from_slice(&[w16(9), w16(1)].concat());
    idb.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0]);
    block(&mut b, 1, &idb);
    for (ts_ns, f) in frames {
        let mut body = Vec::new();
        for v in [
            0,
            (ts_ns >> 32) as u32,
            *ts_ns as u32,
            f.len() as u32,
            f.len() as u32,
        ] {
            body.extend_from_slice(&w32(v));
        }
        body.extend_from_slice(f);
        body.resize(body.len().div_ceil(4) * 4, 0);
        block(&mut b, 6, &body);
    }
    b
}

// ---- record boundaries and damage ----

fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    let w = b[at..at + 4].try_into().unwrap();
    if big {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    }
}

/// Whether a capture is pcapng (else classic pcap), and its byte order (true: big endian;
/// for pcapng that of the first section, the only one in the captures used here).
fn layout(cap: &[u8]) -> (bool, bool) {
    let ng = cap[..4] == [0x0a, 0x0d, 0x0d, 0x0a];
    (ng, if ng { cap[8] == 0x1a } else { cap[0] == 0xa1 })
}

/// Offsets where a record (pcap) or block (pcapng) starts, and the end of the capture:
/// the places damage can be inserted between records.
fn boundaries(cap: &[u8]) -> Vec<usize> {
    let (ng, big) = layout(cap);
    let mut out = Vec::new();
    let mut o = if ng { 0 } else { 24 };
    while o < cap.len() {
        out.push(o);
        o += if ng {
            u32_at(cap, o + 4, big) as usize
        } else {
            16 + u32_at(cap, o + 8, big) as usize
        };
    }
    assert_eq!(o, cap.len(), "capture ends on a record boundary");
    out.push(o);
    out
}

/// The kinds of damage inserted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Damage {
    /// Seeded random bytes of the given length.
    Random(usize),
    /// All 0xff.
    Ones(usize),
    /// All zero (a zero-filled hole).
    Zeros(usize),
    /// A header that looks valid (near timestamp, sane lengths; for pcapng a known block
    /// type with a valid length) followed by this many random bytes; its claimed extent
    /// ends inside the next real record.
    Plausible(usize),
}

/// Bytes of `damage` to insert at boundary `at` of `clean`.
fn garbage(clean: &[u8], at: usize, damage: Damage, rng: &mut SplitMix) -> Vec<u8> {
    match damage {
        Damage::Random(n) => rng.bytes(n),
        Damage::Ones(n) => vec![0xff; n],
        Damage::Zeros(n) => vec![0; n],
        Damage::Plausible(k) => {
            let mut g = plausible_header(clean, at, k);
            g.extend(rng.bytes(k));
            g
        }
    }
}

/// A 16-byte header at boundary `at` whose extent swallows `k` bytes of its own plus the
/// start of the next real record. For pcap it copies the next record's timestamp and
/// claims just enough captured bytes that the header after it falls where the clean
/// capture holds an impossible captured length (a real record's data has such places; a
/// plausible header whose extent ends exactly on another plausible header cannot be told
/// from a real record by any reader). For pcapng it starts an enhanced packet block for
/// interface 0 whose length ends 20 bytes into the next block, so its trailing length
/// copy is read from that block's body.
fn plausible_header(clean: &[u8], at: usize, k: usize) -> Vec<u8> {
    let (ng, big) = layout(clean);
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    if ng {
        let blen = (16 + k + 20).div_ceil(4) * 4;
        let mut g = Vec::new();
        for v in [6, blen as u32, 0, 0] {
            g.extend_from_slice(&w32(v));
        }
        return g;
    }
    let caplen = (k + 1..)
        .find(|&c| {
            let h1 = at + c - k; // the header after the plausible record, in `clean`
            h1 + 12 <= clean.len() && u32_at(clean, h1 + 8, big) > 262_144
        })
        .expect("a landing place with an impossible length");
    let mut g = Vec::new();
    for v in [u32_at(clean, at, big), 0, caplen as u32, caplen as u32] {
        g.extend_from_slice(&w32(v));
    }
    g
}

/// `clean` with `damage` inserted at the given boundary indices; also the number of
/// damaged bytes.
fn damaged(clean: &[u8], at: &[usize], damage: Damage, seed: u64) -> (Vec<u8>, u64) {
    let bounds = boundaries(clean);
    let mut rng = SplitMix(seed);
    let mut out = Vec::new();
    let mut last = 0;
    let mut total = 0;
    for &i in at {
        let b = bounds[i];
        out.extend_from_slice(&clean[last..b]);
        let g = garbage(clean, b, damage, &mut rng);
        total += g.len() as u64;
        out.extend(g);
        last = b;
    }
    out.extend_from_slice(&clean[last..]);
    (out, total)
}

/// Boundary indices to damage: before the first record, before the fourth, in the
/// middle, before the last record and after it. Not at the end when the damage is shorter
/// than a record header or a `Plausible` header: there it is a stream cut inside a record,
/// a truncation. Not again within three records of the start: a pcap record found after
/// damage is confirmed by a timestamp close to the previous record's or, before any
/// record was read, by the two records after it.
fn places(clean: &[u8], damage: Damage) -> Vec<usize> {
    let n = boundaries(clean).len() - 1;
    let first = usize::from(layout(clean).0) * 2; // after the pcapng SHB and IDB
    let mut v = vec![first, first + 3, n / 2, n - 1];
    let len = match damage {
        Damage::Random(n) | Damage::Ones(n) | Damage::Zeros(n) => n,
        Damage::Plausible(_) => 0,
    };
    if len >= 16 {
        v.push(n);
    }
    v
}

const DAMAGES: [Damage; 10] = [
    Damage::Random(1),
    Damage::Random(3),
    Damage::Random(16),
    Damage::Random(37),
    Damage::Random(4099),
    Damage::Ones(37),
    Damage::Zeros(5),
    Damage::Zeros(1000),
    Damage::Plausible(3),
    Damage::Plausible(21),
];

/// Resync reading of `dirty` gives the packets of the clean capture (`want`), one
/// malformed-record skip more per damaged run, and skips exactly the damaged bytes.
fn check_resync(ctx: &str, dirty: &[u8], want: &Outcome, runs: usize, damaged_bytes: u64) {
    let got = read(dirty, true).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_same_packets(ctx, &got, want);
    let mut skips = want.skips.clone();
    *skips.entry(SkipReason::MalformedRecord).or_insert(0) += runs as u64;
    assert_eq!(got.skips, skips, "{ctx}: skips");
    assert_eq!(got.bytes_skipped, damaged_bytes, "{ctx}: bytes skipped");
}

/// Each kind of damage at several places of `clean`: in resync mode every packet and flow
/// of the clean capture comes back, each damaged run is one malformed-record skip, the
/// skipped bytes are exactly the damage and the summary shows them; strict reading does
/// not get through ([`check_strict`]).
fn check_damage(what: &str, clean: &[u8]) {
    let want = read(clean, false).expect("clean capture reads");
    let (r, want_recs, want_s) = extract(clean, false);
    r.expect("clean capture extracts");
    for (seed, damage) in DAMAGES.into_iter().enumerate() {
        let at = places(clean, damage);
        let (dirty, total) = damaged(clean, &at, damage, seed as u64);
        let ctx = format!("{what}, {damage:?} at boundaries {at:?}");
        check_resync(&ctx, &dirty, &want, at.len(), total);
        let (r, recs, s) = extract(&dirty, true);
        r.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(rows_of(&recs) == rows_of(&want_recs), "{ctx}: flows differ");
        assert_eq!(s.packets_decoded, want_s.packets_decoded, "{ctx}");
        assert_eq!(s.bytes_skipped, total, "{ctx}: summary bytes skipped");
        assert!(
            s.to_string().contains(&format!("skipped {total} bytes")),
            "{s}"
        );
        check_strict(&ctx, &dirty, &want, damage);
    }
}

/// Strict reading stops on random or all-ones damage of a header's length or more with a
/// corrupt-record error. Shorter damage only shifts the framing, zeros read as empty pcap
/// records, and a plausible header is read as a record, so there strict reading may go on
/// with wrong records (into an error or a truncation): it must not give the clean packets.
fn check_strict(ctx: &str, dirty: &[u8], want: &Outcome, damage: Damage) {
    let tolerated = match damage {
        Damage::Random(n) | Damage::Ones(n) => n < 16,
        Damage::Zeros(_) | Damage::Plausible(_) => true,
    };
    match read(dirty, false) {
        Err(FlowError::CorruptRecord { .. }) => {}
        Ok(got) if tolerated => assert!(got.packets != want.packets, "{ctx}: strict"),
        Ok(_) => panic!("{ctx}: strict reading did not stop"),
        Err(e) => panic!("{ctx}: strict reading: {e}"),
    }
}

#[test]
fn damage_in_built_pcaps_is_skipped_and_counted() {
    let f = frames(40);
    for (big, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        check_damage(
            &format!("pcap big={big} nanos={nanos}"),
            &pcap(&f, big, nanos),
        );
    }
}

#[test]
fn damage_in_built_pcapng_is_skipped_and_counted() {
    for big in [false, true] {
        check_damage(&format!("pcapng big={big}"), &pcapng(&frames(40), big));
    }
}

#[test]
fn damage_in_reference_captures_is_skipped_and_counted() {
    let Some(d) = data_dir() else { return };
    for name in [
        "test.pcap",
        "test.pcapng",
        "test_sll.pcap",
        "icmp_errors.pcap",
    ] {
        let p = d.join("flows-reference").join(name);
        let clean = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        check_damage(name, &clean);
    }
}

#[test]
fn damage_read_in_small_pieces_gives_the_same_result() {
    // Pipes hand over a few KiB at a time: the scan must carry a candidate across reads.
    struct Trickle<'a>(&'a [u8], SplitMix);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf
                .len()
                .min(self.0.len())
                .min(1 + (self.1.next() % 3000) as usize);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let clean = pcap(&frames(200), false, false);
    for damage in [Damage::Random(9000), Damage::Ones(3), Damage::Zeros(40)] {
        let (dirty, total) = damaged(&clean, &places(&clean, damage), damage, 7);
        let mut ex = Extractor::new(ExtractOptions::reference());
        ex.set_resync(true);
        ex.feed_capture(Trickle(&dirty, SplitMix(3)), "pipe")
            .unwrap();
        let (recs, s) = ex.finish();
        let (_, want, _) = extract(&clean, false);
        assert!(rows_of(&recs) == rows_of(&want), "{damage:?}: flows differ");
        assert_eq!(s.bytes_skipped, total, "{damage:?}");
    }
}

#[test]
fn long_damage_is_scanned_in_linear_time() {
    // 32 MiB of random bytes between two records: a quadratic scan would take minutes.
    let clean = pcap(&frames(4), false, false);
    let (dirty, total) = damaged(&clean, &[2], Damage::Random(32 << 20), 11);
    let started = std::time::Instant::now();
    let got = read(&dirty, true).unwrap();
    assert_eq!(got.packets.len(), 4);
    assert_eq!(got.bytes_skipped, total);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn a_stream_cut_short_is_a_truncation_in_both_modes() {
    for clean in [pcap(&frames(10), false, false), pcapng(&frames(10), false)] {
        let bounds = boundaries(&clean);
        let last = bounds[bounds.len() - 2];
        // Inside the last record's header, and inside its data.
        for cut in [last + 5, last + 40] {
            for resync in [false, true] {
                let got = read(&clean[..cut], resync).unwrap();
                assert_eq!(got.packets.len(), 9, "cut {cut} resync {resync}");
                let skips = BTreeMap::from([(SkipReason::TruncatedRecord, 1)]);
                assert_eq!(got.skips, skips, "cut {cut} resync {resync}");
                assert_eq!(got.bytes_skipped, 0);
            }
        }
    }
}

#[test]
fn random_damage_never_errors_in_resync_mode() {
    // Random bit flips, overwrites and cuts of valid captures: resync mode never stops on a
    // record (only a damaged file header can still be an error) and the counters add up.
    let bases = [pcap(&frames(30), false, false), pcapng(&frames(30), false)];
    let mut rng = SplitMix(20_250_101);
    for round in 0..2000 {
        let mut buf = bases[round % 2].clone();
        for _ in 0..1 + rng.next() % 6 {
            let i = 32 + (rng.next() % (buf.len() as u64 - 32)) as usize;
            let n = (1 + rng.next() % 24).min((buf.len() - i) as u64) as usize;
            if rng.next().is_multiple_of(2) {
                buf[i] ^= 1 << (rng.next() % 8);
            } else {
                buf[i..i + n].copy_from_slice(&rng.bytes(n));
            }
        }
        if rng.next().is_multiple_of(4) {
            let cut = (rng.next() % buf.len() as u64) as usize;
            buf.truncate(cut.max(32));
        }
        let (r, _, s) = extract(&buf, true);
        r.unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(s.packets_read, s.packets_decoded + s.packets_skipped());
        assert!(s.bytes_skipped <= buf.len() as u64);
    }
}

// ---- valid captures read identically ----

#[test]
fn every_shared_capture_reads_identically_in_resync_mode() {
    let Some(d) = data_dir() else { return };
    let captures = shared_captures(&d);
    for p in &captures {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("missing {}: {e}", p.display()));
        let name = p.display();
        let strict = read(&bytes, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        let resync = read(&bytes, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!strict.packets.is_empty(), "{name}");
        assert_same_packets(&name.to_string(), &resync, &strict);
        assert_eq!(resync.skips, strict.skips, "{name}: skips");
        assert_eq!(resync.bytes_skipped, 0, "{name}: bytes skipped");
        let (r1, recs1, mut s1) = extract(&bytes, false);
        let (r2, recs2, mut s2) = extract(&bytes, true);
        r1.and(r2).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(rows_of(&recs2) == rows_of(&recs1), "{name}: flows differ");
        (s1.elapsed, s2.elapsed) = Default::default();
        assert_eq!(s2, s1, "{name}: summary");
    }
    println!("{} shared captures read identically", captures.len());
}

#[test]
fn damage_at_random_places_in_real_captures() {
    // Seeded damage of every kind and many lengths at three random record boundaries (from
    // the second record on; see `places`) of every shared capture and of built ones.
    let Some(d) = data_dir() else { return };
    let mut captures: Vec<(String, Vec<u8>)> = shared_captures(&d)
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).expect("capture")))
        .filter(|(_, c)| boundaries(c).len() > 10)
        .collect();
    captures.push(("built pcap".into(), pcap(&frames(300), false, false)));
    captures.push(("built pcapng".into(), pcapng(&frames(300), true)));
    let lengths = [1, 2, 3, 5, 8, 15, 16, 17, 33, 100, 1000, 70_000];
    for (name, clean) in &captures {
        let want = read(clean, false).expect("clean capture reads");
        let n = boundaries(clean).len() - 1;
        let first = usize::from(layout(clean).0) * 2 + 1;
        for seed in 0..60u64 {
            let mut rng = SplitMix(seed);
            let len = lengths[(rng.next() % lengths.len() as u64) as usize];
            let damage = match rng.next() % 5 {
                0 | 1 => Damage::Random(len),
                2 => Damage::Zeros(len),
                3 => Damage::Ones(len),
                _ => Damage::Plausible(len % 40),
            };
            let mut at: Vec<usize> = (0..3)
                .map(|_| first + (rng.next() % (n - first) as u64) as usize)
                .collect();
            at.sort_unstable();
            at.dedup();
            let (dirty, total) = damaged(clean, &at, damage, seed);
            let ctx = format!("{name}, {damage:?} at boundaries {at:?}");
            check_resync(&ctx, &dirty, &want, at.len(), total);
        }
    }
}

#[test]
fn a_restarted_writer_in_the_stream_is_skipped() {
    // `tcpdump -w -` restarted into the same pipe writes a new file header between two
    // records: resync mode skips its 24 bytes and reads on.
    let f = frames(20);
    let (a, b) = (pcap(&f[..10], false, false), pcap(&f[10..], false, false));
    let joined = [&a[..], &b[..]].concat();
    let got = read(&joined, true).unwrap();
    assert_eq!(
        got.packets,
        read(&pcap(&f, false, false), false).unwrap().packets
    );
    assert_eq!(got.bytes_skipped, 24);
    assert_eq!(
        got.skips,
        BTreeMap::from([(SkipReason::MalformedRecord, 1)])
    );
}

#[test]
fn a_short_interface_description_keeps_the_interface_numbers() {
    // Interface 0's description is too short to use, interface 1's is fine: strict reading
    // stops; resync mode counts the damaged block and reads interface 1's packets, while
    // interface 0's count as undescribed.
    let clean = pcapng(&frames(4), false);
    let bounds = boundaries(&clean);
    let (idb, epbs) = (&clean[bounds[1]..bounds[2]], &clean[bounds[2]..]);
    let mut short_idb = [1u32, 16, 1].map(u32::to_le_bytes).concat();
    short_idb.extend_from_slice(&16u32.to_le_bytes());
    let mut on_iface_1 = epbs.to_vec();
    // Every packet block but the first moves to interface 1.
    for &o in &bounds[3..bounds.len() - 1] {
        let at = o - bounds[2] + 8;
        on_iface_1[at..at + 4].copy_from_slice(&1u32.to_le_bytes());
    }
    let capture = [&clean[..bounds[1]], &short_idb, idb, &on_iface_1].concat();
    let e = read(&capture, false).unwrap_err();
    assert!(e.to_string().contains("too short"), "{e}");
    let got = read(&capture, true).unwrap();
    assert_eq!(got.packets.len(), 3);
    let skips = BTreeMap::from([
        (SkipReason::MalformedRecord, 1),
        (SkipReason::UnknownInterface, 1),
    ]);
    assert_eq!(got.skips, skips);
    assert_eq!(got.bytes_skipped, 0);
}
