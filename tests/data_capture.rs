//! `source: pcap` and `source: zeek` on fixtures the tests write themselves: a small
//! Ethernet/IPv4/TCP capture with two hand-built connections, and Zeek conn.logs in the TSV
//! (with the cluster's `_node_name` column) and JSON layouts; `source: netflow` on a capture
//! of one NetFlow v9 packet and one IPFIX message built here (templates, an options record
//! with the exporter's init time) and on nfdump 1.7.1 CSV text. The expected values follow
//! from how the fixtures are built (packets per direction, payload bytes, fields). NetFlow
//! from real tools (softflowd, nfdump) is tested in `crates/anomalab-flow/tests/netflow.rs`.
//! The shared real captures and logs are exercised by `tests/cli/real_data.rs`.

use std::path::Path;

use anomalab::data::spec::Source;
use anomalab::data::{ColumnData, DataError, DatasetSpec, LoadContext, SplitKind, SplitSpec, load};

fn holdout() -> SplitSpec {
    SplitSpec {
        kind: Some(SplitKind::Holdout),
        test_size: Some(0.5),
        stratify: Some(false),
        ..SplitSpec::default()
    }
}

fn spec(source: Source, files: &[&str], extra: serde_json::Value) -> DatasetSpec {
    try_spec(source, files, extra).unwrap()
}

fn try_spec(
    source: Source,
    files: &[&str],
    extra: serde_json::Value,
) -> Result<DatasetSpec, String> {
    let mut v = serde_json::json!({"source": source.as_str(), "files": files});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

fn numeric<'a>(d: &'a anomalab::data::Dataset, name: &str) -> &'a [f64] {
    match &d
        .features
        .column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .data
    {
        ColumnData::Numeric(v) => v,
        ColumnData::Categorical { .. } => panic!("{name} is categorical"),
    }
}

/// One Ethernet/IPv4/TCP frame (checksums zero: the extractor does not check them).
fn tcp_frame(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    flags: u8,
    payload: usize,
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let total = (20 + 20 + payload) as u16;
    f.extend([0x45, 0]);
    f.extend(total.to_be_bytes());
    f.extend([0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend(src);
    f.extend(dst);
    f.extend(sport.to_be_bytes());
    f.extend(dport.to_be_bytes());
    f.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x20, 0x00, 0, 0, 0, 0]);
    f.extend(std::iter::repeat_n(b'x', payload));
    f
}

/// A classic little-endian microsecond pcap of `frames` (one per second from t0).
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(65_535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend((1_500_000_000u32 + i as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
    }
    out
}

const SYN: u8 = 0x02;
const SYN_ACK: u8 = 0x12;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

fn two_connections(dir: &Path) {
    let client = [10, 0, 0, 1];
    let server = [10, 0, 0, 2];
    let scanner = [10, 0, 0, 3];
    let frames = vec![
        // web: 3 packets forward (SYN, ACK, 100-byte request), 1 backward (SYN-ACK)
        tcp_frame(client, 40_000, server, 80, SYN, 0),
        tcp_frame(server, 80, client, 40_000, SYN_ACK, 0),
        tcp_frame(client, 40_000, server, 80, ACK, 0),
        tcp_frame(client, 40_000, server, 80, PSH_ACK, 100),
        // scan: SYN and SYN-ACK, no payload
        tcp_frame(scanner, 50_000, server, 22, SYN, 0),
        tcp_frame(server, 22, scanner, 50_000, SYN_ACK, 0),
    ];
    std::fs::write(dir.join("two.pcap"), pcap(&frames)).unwrap();
}

#[test]
fn pcap_source_extracts_labelled_flows_with_the_cic_ids2017_feature_names() {
    let dir = tempfile::tempdir().unwrap();
    two_connections(dir.path());
    let s = spec(
        Source::Pcap,
        &["two.pcap"],
        serde_json::json!({"labels": {"default": "BENIGN",
            "rules": [{"label": "scan", "host": "10.0.0.3", "protocol": "tcp"}]}}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    let t = &d.train;
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.features.n_cols(), 78);
    assert_eq!(t.features.columns[0].name, "Destination Port");
    assert!(t.features.column("Fwd Header Length.1").is_some());
    assert_eq!(t.class_names, ["normal", "attack"]);
    // flows are emitted at the end of the capture in the order they started
    let port = numeric(t, "Destination Port");
    let row = |p: f64| port.iter().position(|&x| x == p).unwrap();
    let (web, scan) = (row(80.0), row(22.0));
    assert_eq!((t.raw_labels[web].as_str(), t.y[web]), ("BENIGN", 0));
    assert_eq!((t.raw_labels[scan].as_str(), t.y[scan]), ("scan", 1));
    assert_eq!(numeric(t, "Total Fwd Packets")[web], 3.0);
    assert_eq!(numeric(t, "Total Backward Packets")[web], 1.0);
    assert_eq!(numeric(t, "Total Length of Fwd Packets")[web], 100.0);
    assert_eq!(numeric(t, "Total Fwd Packets")[scan], 1.0);
    // first to last packet of the web flow: 0 s .. 3 s, in microseconds
    assert_eq!(numeric(t, "Flow Duration")[web], 3_000_000.0);
    assert!(d.description.contains("6 packets"), "{}", d.description);
    assert_eq!(d.files[0].rows, 2);
    assert!(d.files[0].sha256.is_some());
}

#[test]
fn per_file_labels_and_their_typos() {
    let dir = tempfile::tempdir().unwrap();
    two_connections(dir.path());
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::copy(
        dir.path().join("two.pcap"),
        dir.path().join("sub/attack.pcap"),
    )
    .unwrap();
    // a per-file key may be the name as written or its last component
    let s = spec(
        Source::Pcap,
        &["two.pcap", "sub/attack.pcap"],
        serde_json::json!({"target": "multiclass", "labels": {"files": {"attack.pcap": "DoS"}}}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    assert_eq!(d.train.class_names, ["BENIGN", "DoS"]);
    assert_eq!(d.train.class_counts(), [2, 2]);

    let bad = spec(
        Source::Pcap,
        &["two.pcap", "attack.pcap"],
        serde_json::json!({"labels": {"files": {"atack.pcap": "DoS"}, "rules": [{"label": " "}]},
            "extract": {"include_ipv6": true}}),
    );
    let err = load(&bad, &holdout(), &LoadContext::new(dir.path())).unwrap_err();
    let DataError::Spec { problems } = err else {
        panic!("{err}")
    };
    let msgs: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("dataset.labels.files")
            && m.contains("`atack.pcap` is not one of the files")
            && m.contains("did you mean `attack.pcap`?")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("dataset.labels.rules[0].label:")),
        "{msgs:#?}"
    );
    // options of other sources are unknown fields of this one
    for (field, value) in [
        ("label", serde_json::json!("x")),
        ("categorical", serde_json::json!(["Protocol"])),
    ] {
        let e = try_spec(
            Source::Pcap,
            &["two.pcap"],
            serde_json::json!({ field: value }),
        )
        .unwrap_err();
        assert!(
            e.starts_with(&format!("unknown field `{field}` for source `pcap`")),
            "{e}"
        );
    }
    // `extract` is fine for pcap, refused for csv (and so is `labels`)
    for field in ["extract", "labels"] {
        let e = try_spec(
            Source::Csv,
            &["a.csv"],
            serde_json::json!({"label": "y", field: {}}),
        )
        .unwrap_err();
        assert!(
            e.starts_with(&format!("unknown field `{field}` for source `csv`")),
            "{e}"
        );
    }
}

#[test]
fn a_corrupt_capture_is_named_and_an_empty_one_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("junk.pcap"),
        b"this is not a capture at all",
    )
    .unwrap();
    let s = spec(Source::Pcap, &["junk.pcap"], serde_json::json!({}));
    let msg = load(&s, &holdout(), &LoadContext::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("junk.pcap") && msg.contains("cannot parse packet capture"),
        "{msg}"
    );
    // a valid capture whose only connection has one packet: no flow to learn from
    let one = pcap(&[tcp_frame([10, 0, 0, 1], 1, [10, 0, 0, 2], 2, SYN, 0)]);
    std::fs::write(dir.path().join("one.pcap"), one).unwrap();
    let s = spec(Source::Pcap, &["one.pcap"], serde_json::json!({}));
    let msg = load(&s, &holdout(), &LoadContext::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("one.pcap: empty file (no flows: 1 packets read")
            && msg.contains("1 one-packet flows not emitted"),
        "{msg}"
    );
}

/// A conn.log in Zeek's TSV layout with the cluster's leading `_node_name` column.
fn zeek_tsv(rows: &[&str]) -> String {
    let mut s = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
         #open\t2024-04-19-00-00-01\n\
         #fields\t_node_name\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tconn_state\n\
         #types\tstring\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tstring\n",
    );
    for r in rows {
        s.push_str(&r.replace(' ', "\t"));
        s.push('\n');
    }
    s.push_str("#close\t2024-04-19-01-00-00\n");
    s
}

#[test]
fn zeek_tsv_with_node_name_is_typed_and_labelled_by_rules() {
    let dir = tempfile::tempdir().unwrap();
    let log = zeek_tsv(&[
        "w1 1713484795.9 C1 167.94.138.145 25320 64.225.56.201 6008 tcp - 0.000064 0 REJ",
        "w1 1713484796.0 C2 73.54.23.243 51000 64.225.56.201 80 tcp http 1.5 320 SF",
        "w1 1713484797.0 C3 2001:db8::1 5353 64.225.56.201 53 udp dns - - S0",
        "w1 1713484798.0 C4 73.54.23.243 51001 64.225.56.201 80 tcp http 1.25 318 SF",
    ]);
    std::fs::write(dir.path().join("conn.log"), &log).unwrap();
    let s = spec(
        Source::Zeek,
        &["conn.log"],
        serde_json::json!({"normal_labels": ["background"],
            "labels": {"default": "background",
                "rules": [{"label": "beacon", "src": "73.54.23.243", "dst_port": 80}]}}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    let all = {
        let mut names = d.train.features.names();
        names.sort();
        names
    };
    // identifiers and the originator port are not features; the responder port is
    assert_eq!(
        all,
        [
            "conn_state",
            "duration",
            "id.resp_p",
            "orig_bytes",
            "proto",
            "service"
        ]
    );
    // (`load` returns every row; the split is made later) the beacon rows are the 2nd and
    // 4th; unset durations are NaN
    let dur = numeric(&d.train, "duration");
    assert_eq!(
        d.train.raw_labels,
        ["background", "beacon", "background", "beacon"]
    );
    assert_eq!(d.train.y, [0, 1, 0, 1]);
    assert_eq!(&dur[..2], [0.000064, 1.5]);
    assert!(dur[2].is_nan());
    let total: usize = d.files.iter().map(|f| f.rows).sum();
    assert_eq!(total, 4);
    assert!(matches!(
        d.train.features.column("proto").unwrap().data,
        ColumnData::Categorical { .. }
    ));
    assert!(d.description.contains("4 connections"), "{}", d.description);

    // a rule needs the endpoints: a bad address is reported with its line (8 header lines)
    let broken = log.replace("73.54.23.243\t51001", "not-an-ip\t51001");
    std::fs::write(dir.path().join("broken.log"), broken).unwrap();
    let s2 = spec(
        Source::Zeek,
        &["broken.log"],
        serde_json::json!({
        "labels": {"rules": [{"label": "beacon", "host": "73.54.23.243"}]}}),
    );
    let msg = load(&s2, &holdout(), &LoadContext::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("broken.log")
            && msg
                .contains("line 12: field `id.orig_h`: expected an IP address, found `not-an-ip`"),
        "{msg}"
    );
}

#[test]
fn zeek_json_lines_with_a_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..6 {
        let label = if i % 3 == 0 { "Malicious" } else { "Benign" };
        text.push_str(&format!(
            "{{\"_path\":\"conn\",\"ts\":{}.5,\"uid\":\"C{i}\",\"id.orig_h\":\"10.0.0.{i}\",\"id.orig_p\":{},\
             \"id.resp_h\":\"10.0.1.1\",\"id.resp_p\":443,\"proto\":\"tcp\",\"duration\":{}.25,\
             \"orig_pkts\":{},\"label\":\"{label}\"}}\n",
            1_700_000_000 + i,
            40_000 + i,
            i,
            3 + i
        ));
    }
    std::fs::write(dir.path().join("conn.json"), text).unwrap();
    let s = spec(
        Source::Zeek,
        &["conn.json"],
        serde_json::json!({"label": "label", "target": "multiclass"}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    assert_eq!(d.train.class_names, ["Benign", "Malicious"]);
    let mut names = d.train.features.names();
    names.sort();
    assert_eq!(names, ["duration", "id.resp_p", "orig_pkts", "proto"]);
    assert_eq!((d.files[0].rows, d.train.n_rows()), (6, 6));
    assert_eq!(d.train.class_counts(), [4, 2]);
    // the label column and `labels` rules exclude each other
    let both = spec(
        Source::Zeek,
        &["conn.json"],
        serde_json::json!({"label": "label", "labels": {"default": "x"}}),
    );
    let DataError::Spec { problems } =
        load(&both, &holdout(), &LoadContext::new(dir.path())).unwrap_err()
    else {
        panic!()
    };
    assert!(problems[0].message.contains("not both"), "{problems:?}");
}

/// An Ethernet/IPv4/UDP frame 192.0.2.1:2055 -> 192.0.2.9:9995 carrying `payload`.
fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0,
    ];
    f.extend(((28 + payload.len()) as u16).to_be_bytes());
    f.extend([0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 9]);
    f.extend([0x08, 0x07, 0x26, 0x13]);
    f.extend(((8 + payload.len()) as u16).to_be_bytes());
    f.extend([0, 0]);
    f.extend(payload);
    f
}

/// A set (flowset) with its id and length.
fn set(id: u16, body: &[u8]) -> Vec<u8> {
    let mut s = id.to_be_bytes().to_vec();
    s.extend(((4 + body.len()) as u16).to_be_bytes());
    s.extend(body);
    s
}

/// Field specifiers (type, length) of a template.
fn fields(list: &[(u16, u16)]) -> Vec<u8> {
    list.iter()
        .flat_map(|(t, l)| [t.to_be_bytes(), l.to_be_bytes()].concat())
        .collect()
}

/// NetFlow v9, exporter uptime 10 s at export time 1_500_000_100 s: template 256, then
/// web 10.0.0.1:40000 -> 10.0.0.2:80 (10 packets, 5000 bytes, uptime 6 s .. 8 s) and a
/// probe 10.0.0.3:50000 -> 10.0.0.2:22 (1 packet, 40 bytes, at 9 s).
fn v9_packet() -> Vec<u8> {
    let mut tmpl = vec![0x01, 0x00, 0, 11];
    let spec = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (5, 1)];
    tmpl.extend(fields(&spec));
    tmpl.extend(fields(&[(2, 4), (1, 4), (22, 4), (21, 4)]));
    let mut data = Vec::new();
    for (src, sport, dport, flags, pkts, bytes, first, last) in [
        (
            [10, 0, 0, 1],
            40_000u16,
            80u16,
            0x1bu8,
            10u32,
            5000u32,
            6000u32,
            8000u32,
        ),
        ([10, 0, 0, 3], 50_000, 22, 0x02, 1, 40, 9000, 9000),
    ] {
        data.extend(src);
        data.extend([10, 0, 0, 2]);
        data.extend(sport.to_be_bytes());
        data.extend(dport.to_be_bytes());
        data.extend([6, flags, 0]);
        for v in [pkts, bytes, first, last] {
            data.extend(v.to_be_bytes());
        }
    }
    data.extend([0, 0, 0]); // padding to 32 bits
    let mut p = vec![0, 9, 0, 3];
    for v in [10_000u32, 1_500_000_100, 0, 1] {
        p.extend(v.to_be_bytes());
    }
    p.extend(set(0, &tmpl));
    p.extend(set(256, &data));
    p
}

/// IPFIX, observation domain 7: an options record with systemInitTimeMilliseconds
/// 1_500_000_000_000, then 10.0.0.3:50001 -> 10.0.0.2:23 (2 packets, 80 bytes, 64-bit
/// counters) at uptime 150 s .. 151 s.
fn ipfix_message() -> Vec<u8> {
    let mut opt = vec![0x01, 0x2c, 0, 2, 0, 1];
    opt.extend(fields(&[(149, 4), (160, 8)]));
    let mut opt_data = 7u32.to_be_bytes().to_vec();
    opt_data.extend(1_500_000_000_000u64.to_be_bytes());
    let mut tmpl = vec![0x01, 0x2d, 0, 9];
    tmpl.extend(fields(&[(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)]));
    tmpl.extend(fields(&[(2, 8), (1, 8), (22, 4), (21, 4)]));
    let mut data = vec![10, 0, 0, 3, 10, 0, 0, 2];
    data.extend(50_001u16.to_be_bytes());
    data.extend(23u16.to_be_bytes());
    data.push(6);
    data.extend(2u64.to_be_bytes());
    data.extend(80u64.to_be_bytes());
    data.extend(150_000u32.to_be_bytes());
    data.extend(151_000u32.to_be_bytes());
    let body = [
        set(3, &opt),
        set(300, &opt_data),
        set(2, &tmpl),
        set(301, &data),
    ]
    .concat();
    let mut m = vec![0, 10];
    m.extend(((16 + body.len()) as u16).to_be_bytes());
    for v in [1_500_000_200u32, 0, 7] {
        m.extend(v.to_be_bytes());
    }
    m.extend(body);
    m
}

#[test]
fn netflow_source_reads_v9_and_ipfix_exports_with_labels_by_rules() {
    let dir = tempfile::tempdir().unwrap();
    let frames = [udp_frame(&v9_packet()), udp_frame(&ipfix_message())];
    std::fs::write(dir.path().join("export.pcap"), pcap(&frames)).unwrap();
    let s = spec(
        Source::Netflow,
        &["export.pcap"],
        serde_json::json!({"target": "multiclass", "labels": {"default": "BENIGN", "rules": [
            {"label": "scan", "host": "10.0.0.3", "before": 1_500_000_140},
            {"label": "late scan", "after": 1_500_000_140}]}}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    let t = &d.train;
    assert_eq!(t.n_rows(), 3);
    assert_eq!(t.features.names(), anomalab_flow::NETFLOW_FEATURES);
    assert_eq!(t.raw_labels, ["BENIGN", "scan", "late scan"]);
    assert_eq!(numeric(t, "Dst Port"), [80.0, 22.0, 23.0]);
    assert_eq!(numeric(t, "Duration"), [2.0, 0.0, 1.0]);
    assert_eq!(numeric(t, "Packets"), [10.0, 1.0, 2.0]);
    assert_eq!(numeric(t, "Bytes"), [5000.0, 40.0, 80.0]);
    assert_eq!(numeric(t, "SYN"), [1.0, 1.0, 0.0]);
    assert_eq!(numeric(t, "FIN"), [1.0, 0.0, 0.0]);
    // 5000 bytes in 2 s; a record of zero duration has rate 0, not infinity
    assert_eq!(numeric(t, "Bytes/s"), [2500.0, 0.0, 80.0]);
    assert_eq!(numeric(t, "Bytes/Packet"), [500.0, 40.0, 40.0]);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    // The data set (after the 20-byte header and the 52-byte template set) claims more
    // bytes than the 69 left in the packet (4 + 2 records of 31 + 3 padding).
    let mut bad = v9_packet();
    bad[74..76].copy_from_slice(&999u16.to_be_bytes());
    let frames = [udp_frame(&ipfix_message()), udp_frame(&bad)];
    std::fs::write(dir.path().join("bad.pcap"), pcap(&frames)).unwrap();
    let s = spec(Source::Netflow, &["bad.pcap"], serde_json::json!({}));
    let msg = load(&s, &holdout(), &LoadContext::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with(
            "bad.pcap: cannot parse NetFlow/IPFIX export capture: capture record #2: set 256 \
             at byte 72 has length 999, expected 4..=69 (the bytes left)"
        ),
        "{msg}"
    );
}

/// nfdump 1.7.1's `-o csv` header, as it writes it.
const NFDUMP_HEADER: &str = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";

/// One row in nfdump's layout: `head` holds `ts,td,sa,da,sp,dp,pr,flg`, `counts` the
/// packets and bytes.
fn nfdump_row(head: [&str; 8], counts: (u64, u64)) -> String {
    let [ts, td, sa, da, sp, dp, pr, flg] = head;
    let tail = "0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,0.0.0.0,0/0,0,1970-01-01 00:00:00.000";
    format!(
        "{ts},{ts},{td},{sa},{da},{sp},{dp},{pr},{flg},0,0,{},{},0,0,{tail}",
        counts.0, counts.1
    )
}

#[test]
fn netflow_source_reads_nfdump_csv_and_checks_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        nfdump_row(
            [
                "2009-01-04 04:08:34",
                "0.000",
                "192.168.1.25",
                "192.168.1.10",
                "0",
                "3.3",
                "ICMP",
                "........",
            ],
            (1, 56),
        ),
        nfdump_row(
            [
                "2009-01-04 04:08:36",
                "0.903",
                "192.168.1.10",
                "192.168.1.25",
                "500",
                "500",
                "UDP",
                "........",
            ],
            (3, 336),
        ),
    ];
    let text = |flows: u64| {
        format!(
            "{NFDUMP_HEADER}\n{}\n{}\nSummary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n{flows},392,4,0,0,0\n",
            rows[0], rows[1]
        )
    };
    std::fs::write(dir.path().join("ok.csv"), text(2)).unwrap();
    std::fs::write(dir.path().join("cut.csv"), text(3)).unwrap();
    let s = spec(
        Source::Netflow,
        &["ok.csv", "cut.csv"],
        serde_json::json!({"labels": {"rules": [{"label": "unreachable", "protocol": "icmp"}]}}),
    );
    let d = load(&s, &holdout(), &LoadContext::new(dir.path())).unwrap();
    let t = &d.train;
    assert_eq!(
        t.raw_labels,
        ["unreachable", "BENIGN", "unreachable", "BENIGN"]
    );
    // ICMP type 3 code 3 as NetFlow carries it: 3 * 256 + 3
    assert_eq!(numeric(t, "Dst Port")[..2], [771.0, 500.0]);
    assert_eq!(numeric(t, "Protocol")[..2], [1.0, 17.0]);
    assert_eq!(numeric(t, "Duration")[1], 0.903);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(
        d.warnings[0].starts_with("cut.csv: the records add up to 2 flows, 392 bytes, 4 packets, the file's summary says 3, 392, 4"),
        "{:?}",
        d.warnings
    );
    std::fs::write(
        dir.path().join("bad.csv"),
        format!("{NFDUMP_HEADER}\n{}\n", rows[0].replace("ICMP", "ICMPX")),
    )
    .unwrap();
    let s = spec(Source::Netflow, &["bad.csv"], serde_json::json!({}));
    let msg = load(&s, &holdout(), &LoadContext::new(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("bad.csv: cannot parse nfdump CSV: line 2: field `pr`: expected a protocol number or name (TCP, UDP, ICMP, ICMP6, GRE, ...), found `ICMPX`"),
        "{msg}"
    );
}
