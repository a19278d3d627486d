//! Zeek conn.log reader on the real logs of `datasets/zeek/`. Expected counts are those
//! recorded in `datasets/MANIFEST.md` (computed there from the source logs).

mod common;

use std::collections::BTreeMap;

use anomalab_flow::zeek::{ZeekColumn, read_conn_log};
use common::data_dir;

fn text(c: &ZeekColumn) -> &[Option<String>] {
    match c {
        ZeekColumn::Text(v) => v,
        ZeekColumn::Numeric(_) => panic!("expected a text column"),
    }
}

fn proto_state_counts(log: &anomalab_flow::zeek::ZeekLog) -> BTreeMap<String, usize> {
    let proto = text(log.column("proto").unwrap());
    let state = text(log.column("conn_state").unwrap());
    let mut m = BTreeMap::new();
    for (p, s) in proto.iter().zip(state) {
        *m.entry(format!(
            "{}/{}",
            p.as_deref().unwrap_or("-"),
            s.as_deref().unwrap_or("-")
        ))
        .or_insert(0) += 1;
    }
    m
}

#[test]
fn tsv_gz_with_node_name_column() {
    let Some(d) = data_dir() else { return };
    let p = d.join("zeek/rita-missing_host-2024-04-19-conn.00_00_00-01_00_00.log.gz");
    let log = read_conn_log(std::fs::File::open(&p).unwrap(), "missing_host").unwrap();
    // MANIFEST: 1,765 records; first column `_node_name` before `ts`.
    assert_eq!(log.rows, 1765);
    assert_eq!(&log.names[..2], &["_node_name", "ts"]);
    assert_eq!(log.path.as_deref(), Some("conn"));
    assert!(matches!(log.column("ts"), Some(ZeekColumn::Numeric(_))));
    assert!(matches!(
        log.column("id.resp_p"),
        Some(ZeekColumn::Numeric(_))
    ));
    assert!(matches!(log.column("id.orig_h"), Some(ZeekColumn::Text(_))));
    let c = proto_state_counts(&log);
    // MANIFEST: tcp/REJ 943, tcp/SF 504, icmp/OTH 200, udp/SF 61, tcp/OTH 25, udp/S0 17.
    assert_eq!(c["tcp/REJ"], 943);
    assert_eq!(c["tcp/SF"], 504);
    assert_eq!(c["icmp/OTH"], 200);
    assert_eq!(c["udp/SF"], 61);
    assert_eq!(c["tcp/OTH"], 25);
    assert_eq!(c["udp/S0"], 17);
    // Unset `-` becomes None in numeric columns (REJ connections have no duration in
    // many rows; the last record of the file has duration `-`).
    let ZeekColumn::Numeric(dur) = log.column("duration").unwrap() else {
        panic!()
    };
    assert_eq!(dur.last(), Some(&None));
    assert_eq!(dur[0], Some(0.000064));
    // `tunnel_parents` is `-` throughout this log.
    assert!(
        text(log.column("tunnel_parents").unwrap())
            .iter()
            .all(Option::is_none)
    );
}

#[test]
fn tsv_gz_proxy_rolling() {
    let Some(d) = data_dir() else { return };
    let p = d.join("zeek/rita-proxy_rolling-conn.16_00_00-17_00_00.log.gz");
    let log = read_conn_log(std::fs::File::open(&p).unwrap(), "proxy_rolling").unwrap();
    // MANIFEST: 7,260 records; udp/SF 3,110, tcp/SF 3,017, icmp/OTH 754, udp/S0 183,
    // tcp/RSTR 93, tcp/S0 49; 1,578 records with IPv6 originators.
    assert_eq!(log.rows, 7260);
    let c = proto_state_counts(&log);
    assert_eq!(c["udp/SF"], 3110);
    assert_eq!(c["tcp/SF"], 3017);
    assert_eq!(c["icmp/OTH"], 754);
    assert_eq!(c["udp/S0"], 183);
    assert_eq!(c["tcp/RSTR"], 93);
    assert_eq!(c["tcp/S0"], 49);
    let v6 = text(log.column("id.orig_h").unwrap())
        .iter()
        .filter(|a| a.as_deref().is_some_and(|a| a.contains(':')))
        .count();
    assert_eq!(v6, 1578);
    for c in &log.columns {
        assert_eq!(c.len(), 7260);
    }
}

#[test]
fn json_lines() {
    let Some(d) = data_dir() else { return };
    let p = d.join("zeek/rita-json_with_all_fields-conn.log");
    let log = read_conn_log(std::fs::File::open(&p).unwrap(), "json").unwrap();
    // MANIFEST: 29 records, keys ts, uid, id.orig_h, ... _path; no tunnel_parents key.
    assert_eq!(log.rows, 29);
    assert_eq!(log.names[0], "ts");
    assert_eq!(log.path.as_deref(), Some("conn"));
    assert!(log.column("tunnel_parents").is_none());
    let ZeekColumn::Numeric(ts) = log.column("ts").unwrap() else {
        panic!("ts numeric")
    };
    // First line of the file: "ts": 1517422326.539915.
    assert_eq!(ts[0], Some(1517422326.539915));
    assert_eq!(
        text(log.column("id.orig_h").unwrap())[0].as_deref(),
        Some("10.55.100.100")
    );
    assert_eq!(
        text(log.column("local_orig").unwrap())[0].as_deref(),
        Some("T")
    );
    for c in &log.columns {
        assert_eq!(c.len(), 29);
    }
}

#[test]
fn bad_json_line_names_file_and_line() {
    let e = read_conn_log(&b"{\"ts\": 1.0}\n{\"ts\": \n"[..], "bad.json").unwrap_err();
    assert!(
        e.to_string().starts_with("bad.json:2: not a JSON object"),
        "{e}"
    );
}
