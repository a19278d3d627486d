//! Capture labels: rules deserialised from JSON (as the root spec embeds them), first match
//! wins, default label otherwise; per-capture constant labels.

mod common;

use anomalab_flow::{ExtractOptions, Extractor, LabelSpec};
use common::data_dir;

#[test]
fn voip_call_with_scanner_host_as_attack() {
    let Some(d) = data_dir() else { return };
    // MANIFEST: benign SIP call 172.25.105.3 <-> 172.25.105.40, plus the scanner host
    // 172.25.105.43.
    let spec: LabelSpec = serde_json::from_str(
        r#"{"default": "BENIGN",
            "rules": [{"label": "SIP-SCAN", "host": "172.25.105.43", "dst_port": 5060},
                      {"label": "ATTACK", "host": "172.25.105.43/32"}]}"#,
    )
    .unwrap();
    let p = d.join("pcap/honeynet-fc4-voip.pcap");
    let mut ex = Extractor::new(ExtractOptions::reference());
    ex.feed_capture_labeled(std::fs::File::open(&p).unwrap(), "voip", &spec)
        .unwrap();
    let (recs, _) = ex.finish();
    let scanner: std::net::IpAddr = "172.25.105.43".parse().unwrap();
    let involves = |r: &anomalab_flow::FlowRecord| r.src_ip == scanner || r.dst_ip == scanner;
    let mut n_attack = 0;
    for r in &recs {
        let expected = if involves(r) && r.dst_port == 5060 {
            "SIP-SCAN"
        } else if involves(r) {
            "ATTACK"
        } else {
            "BENIGN"
        };
        assert_eq!(&*r.label, expected, "{}", r.flow_id);
        n_attack += usize::from(involves(r));
    }
    assert!(n_attack > 0 && n_attack < recs.len());
    assert!(recs.iter().any(|r| &*r.label == "SIP-SCAN"));
}

#[test]
fn constant_label_per_capture_and_time_window() {
    let Some(d) = data_dir() else { return };
    let mut ex = Extractor::new(ExtractOptions::reference());
    ex.feed_capture_labeled(
        std::fs::File::open(d.join("pcap/chrissanders-synscan.pcapng")).unwrap(),
        "synscan",
        &LabelSpec::constant("SYN-SCAN"),
    )
    .unwrap();
    // test.pcap starts at 1499433600 s (2017-07-07 13:20:00 UTC); S7 (UDP keep-alive) at
    // +22 s gives three flows; the first lasts exactly 120 s (the request at +142 s is not
    // strictly later than 120 s), so the second starts with the reply at +142.001 s (README:
    // "the second flow starts with the responder's packet"). A window [+100, +200) catches
    // only the second.
    let window: LabelSpec = serde_json::from_str(
        r#"{"rules": [{"label": "W", "protocol": 17, "after": 1499433700, "before": 1499433800}]}"#,
    )
    .unwrap();
    ex.feed_capture_labeled(
        std::fs::File::open(d.join("flows-reference/test.pcap")).unwrap(),
        "test",
        &window,
    )
    .unwrap();
    let (recs, _) = ex.finish();
    let scan: Vec<_> = recs.iter().filter(|r| &*r.source == "synscan").collect();
    assert_eq!(scan.len(), 8);
    assert!(scan.iter().all(|r| &*r.label == "SYN-SCAN"));
    let w: Vec<_> = recs.iter().filter(|r| &*r.label == "W").collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].start_us, 1_499_433_600_000_000 + 142_001_000);
    // Inherited orientation: the client stays the source.
    assert_eq!(w[0].src_ip.to_string(), "10.0.0.1");
    assert_eq!(recs.iter().filter(|r| &*r.source == "test").count(), 25);
}

#[test]
fn invalid_rules_are_rejected_with_the_offending_value() {
    let e =
        serde_json::from_str::<LabelSpec>(r#"{"rules": [{"label": "X", "src": "10.0.0.0/33"}]}"#)
            .unwrap_err();
    assert!(e.to_string().contains("10.0.0.0/33"), "{e}");
    let e = serde_json::from_str::<LabelSpec>(r#"{"rules": [{"label": "X", "sauce": 1}]}"#)
        .unwrap_err();
    assert!(e.to_string().contains("sauce"), "{e}");
}
