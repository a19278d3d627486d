//! Alerts and flow records in Suricata's EVE JSON shape, so that pipelines built for
//! Suricata (Filebeat's suricata module, Tenzir `read_suricata`, Elastic, Splunk) take them
//! unchanged: one object per line, `event_type` `alert` or `flow`, the 5-tuple under
//! Suricata's names, `community_id`, and `alert.metadata` as lists of strings.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anomalab_flow::cic2017::FEATURE_NAMES;
use anomalab_flow::{EndReason, FlowRecord};
use serde::Serialize;

use super::state::{AlertRecord, ModelInfo};

/// Generator id of every anomalab alert (Suricata's `gid` for rule-based alerts).
pub const GID: u32 = 1;
/// `signature_id` of the first class; class `i` of the model is `SID_BASE + i`, so a
/// SIEM rule can key on one number per label.
pub const SID_BASE: u32 = 9_000_000;

/// What is known of one scored connection, whatever it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowFacts {
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dest_ip: IpAddr,
    pub dest_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// First and last packet, µs since the epoch.
    pub start_us: i64,
    pub end_us: i64,
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    /// Why the flow ended (`fin`, `timeout`, `end_of_input`, `evicted`, `logged`).
    pub reason: &'static str,
    /// The source's own key: CICFlowMeter's `Flow ID`, or Zeek's `uid`.
    pub key: String,
    /// Zeek's own `community_id` field when the log has it.
    pub community_id: Option<String>,
}

/// The model's verdict on one flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Predicted label (`attack` for a detector's anomaly).
    pub label: String,
    /// Index of the label among the model's classes (for `signature_id`).
    pub class: u32,
    pub alert: bool,
    /// The predicted class's probability or score, the anomaly score, or the cluster's
    /// anomaly score.
    pub score: f64,
    /// The detector's threshold.
    pub threshold: Option<f64>,
    /// 1 (high) to 3 (low).
    pub severity: u8,
}

#[derive(Serialize)]
struct Event<'a> {
    timestamp: String,
    flow_id: u64,
    event_type: &'static str,
    src_ip: String,
    src_port: u16,
    dest_ip: String,
    dest_port: u16,
    proto: String,
    community_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: Option<Alert<'a>>,
    flow: Flow,
    anomalab: Extra<'a>,
}

#[derive(Serialize)]
struct Alert<'a> {
    action: &'static str,
    gid: u32,
    signature_id: u32,
    rev: u32,
    signature: String,
    category: &'static str,
    severity: u8,
    metadata: BTreeMap<&'static str, Vec<String>>,
    #[serde(skip)]
    _model: std::marker::PhantomData<&'a ()>,
}

#[derive(Serialize)]
struct Flow {
    pkts_toserver: u64,
    pkts_toclient: u64,
    bytes_toserver: u64,
    bytes_toclient: u64,
    start: String,
    end: String,
    age: i64,
    reason: &'static str,
    alerted: bool,
}

/// anomalab's own fields (EVE consumers keep unknown top-level objects).
#[derive(Serialize)]
struct Extra<'a> {
    prediction: &'a str,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    flow_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed_before: Option<u64>,
}

/// One `event_type: "alert"` line (no newline). `suppressed` counts the alerts of the
/// same (source, destination, label) suppressed since the last one written.
pub fn alert_line(f: &FlowFacts, v: &Verdict, model: &ModelInfo, suppressed: u64) -> String {
    let mut metadata = BTreeMap::new();
    metadata.insert("anomalab_score", vec![fmt_f64(v.score)]);
    if let Some(t) = v.threshold {
        metadata.insert("anomalab_threshold", vec![fmt_f64(t)]);
    }
    metadata.insert("anomalab_model", vec![model.name.clone()]);
    metadata.insert("anomalab_model_sha256", vec![model.sha256.clone()]);
    metadata.insert("anomalab_algorithm", vec![model.algorithm.clone()]);
    let alert = Alert {
        action: "allowed",
        gid: GID,
        signature_id: SID_BASE + v.class,
        rev: 1,
        signature: format!("anomalab {}", v.label),
        category: "Network anomaly",
        severity: v.severity,
        metadata,
        _model: std::marker::PhantomData,
    };
    line(
        f,
        v,
        "alert",
        Some(alert),
        (suppressed > 0).then_some(suppressed),
    )
}

/// One `event_type: "flow"` line (no newline) with the flow's prediction.
pub fn flow_line(f: &FlowFacts, v: &Verdict) -> String {
    line(f, v, "flow", None, None)
}

fn line(
    f: &FlowFacts,
    v: &Verdict,
    event_type: &'static str,
    alert: Option<Alert<'_>>,
    suppressed_before: Option<u64>,
) -> String {
    let community_id = f.community_id.clone().unwrap_or_else(|| {
        anomalab_flow::community_id(0, f.proto, f.src_ip, f.src_port, f.dest_ip, f.dest_port)
    });
    let event = Event {
        timestamp: timestamp(f.end_us),
        flow_id: flow_id(&f.key, f.start_us),
        event_type,
        src_ip: f.src_ip.to_string(),
        src_port: f.src_port,
        dest_ip: f.dest_ip.to_string(),
        dest_port: f.dest_port,
        proto: proto_name(f.proto),
        community_id,
        alert,
        flow: Flow {
            pkts_toserver: f.pkts_toserver,
            pkts_toclient: f.pkts_toclient,
            bytes_toserver: f.bytes_toserver,
            bytes_toclient: f.bytes_toclient,
            start: timestamp(f.start_us),
            end: timestamp(f.end_us),
            age: (f.end_us - f.start_us).div_euclid(1_000_000),
            reason: f.reason,
            alerted: v.alert,
        },
        anomalab: Extra {
            prediction: &v.label,
            score: v.score,
            threshold: v.threshold,
            flow_key: &f.key,
            suppressed_before,
        },
    };
    serde_json::to_string(&event).expect("an EVE event is plain data")
}

/// What the dashboard's alert table shows of an alert: the keys of its EVE line that the
/// table reads, at the same paths, about a fifth of the whole line. A page streams
/// every alert, most never opened; an opened one is fetched whole. Written without
/// intermediate strings: under a flood it is encoded tens of thousands of times a second.
#[derive(Serialize)]
struct Brief<'a> {
    #[serde(serialize_with = "as_display")]
    timestamp: Timestamp,
    src_ip: IpAddr,
    src_port: u16,
    dest_ip: IpAddr,
    dest_port: u16,
    #[serde(serialize_with = "as_display")]
    proto: Proto,
    alert: BriefAlert<'a>,
    anomalab: BriefExtra<'a>,
}

#[derive(Serialize)]
struct BriefAlert<'a> {
    #[serde(serialize_with = "as_display")]
    signature: Signature<'a>,
    severity: u8,
}

#[derive(Serialize)]
struct BriefExtra<'a> {
    prediction: &'a str,
    score: f64,
}

struct Signature<'a>(&'a str);

impl std::fmt::Display for Signature<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "anomalab {}", self.0)
    }
}

fn as_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Paths of the EVE line kept by the brief view, for a record that has only its line.
const BRIEF_PATHS: [&[&str]; 10] = [
    &["timestamp"],
    &["src_ip"],
    &["src_port"],
    &["dest_ip"],
    &["dest_port"],
    &["proto"],
    &["alert", "signature"],
    &["alert", "severity"],
    &["anomalab", "prediction"],
    &["anomalab", "score"],
];

/// The brief view of an alert as one JSON object (no newline).
pub fn brief_line(r: &AlertRecord) -> String {
    let mut out = Vec::new();
    write_brief(&mut out, r);
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`brief_line`] appended to `out`.
pub fn write_brief(out: &mut Vec<u8>, r: &AlertRecord) {
    let Some(b) = &r.brief else {
        let v = project(&r.json, &BRIEF_PATHS);
        return serde_json::to_writer(out, &v).expect("a JSON value writes to memory");
    };
    let brief = Brief {
        timestamp: Timestamp(b.end_us),
        src_ip: r.src,
        src_port: b.src_port,
        dest_ip: r.dest,
        dest_port: r.dest_port,
        proto: Proto(b.proto),
        alert: BriefAlert {
            signature: Signature(&r.label),
            severity: b.severity,
        },
        anomalab: BriefExtra {
            prediction: &r.label,
            score: b.score,
        },
    };
    serde_json::to_writer(out, &brief).expect("a brief alert is plain data");
}

/// The values of `json` at `paths` (those it has), at the same paths.
fn project(json: &str, paths: &[&[&str]]) -> serde_json::Value {
    let whole: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut out = serde_json::Value::Object(Default::default());
    for path in paths {
        let Some(v) = path.iter().try_fold(&whole, |v, k| v.get(k)) else {
            continue;
        };
        let mut at = &mut out;
        for k in &path[..path.len() - 1] {
            at = at
                .as_object_mut()
                .expect("built from objects")
                .entry(*k)
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
        }
        at[path[path.len() - 1]] = v.clone();
    }
    out
}

/// Suricata's protocol spelling: `TCP`, `UDP`, `ICMP`, `IPv6-ICMP`, else the number.
pub fn proto_name(proto: u8) -> String {
    Proto(proto).to_string()
}

struct Proto(u8);

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            6 => f.write_str("TCP"),
            17 => f.write_str("UDP"),
            1 => f.write_str("ICMP"),
            58 => f.write_str("IPv6-ICMP"),
            132 => f.write_str("SCTP"),
            p => write!(f, "{p}"),
        }
    }
}

/// `2017-07-03T15:06:09.123456+0000`: EVE's RFC 3339 form, UTC, microseconds.
pub fn timestamp(us: i64) -> String {
    Timestamp(us).to_string()
}

/// A time in µs since the epoch, displayed as [`timestamp`] gives it.
struct Timestamp(i64);

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = anomalab_flow::civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}+0000",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }
}

/// A flow id as EVE carries it: a non-negative integer, stable for one flow (its key
/// and start), below 2^51 so that JSON readers that parse numbers as doubles keep it.
pub fn flow_id(key: &str, start_us: i64) -> u64 {
    // FNV-1a: stable across runs and machines, unlike the standard library's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain(start_us.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h & ((1 << 51) - 1)
}

/// A number as metadata carries it (shortest round-trip form).
fn fmt_f64(x: f64) -> String {
    format!("{x}")
}

/// Positions of the values EVE's `flow` object needs, in the `cic2017` feature values.
struct Positions {
    duration: usize,
    fwd_pkts: usize,
    bwd_pkts: usize,
    fwd_bytes: usize,
    bwd_bytes: usize,
    fwd_hdr: usize,
    bwd_hdr: usize,
}

fn positions() -> &'static Positions {
    static P: std::sync::OnceLock<Positions> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let at = |name: &str| {
            FEATURE_NAMES
                .iter()
                .position(|n| *n == name)
                .expect("a cic2017 feature name")
        };
        Positions {
            duration: at("Flow Duration"),
            fwd_pkts: at("Total Fwd Packets"),
            bwd_pkts: at("Total Backward Packets"),
            fwd_bytes: at("Total Length of Fwd Packets"),
            bwd_bytes: at("Total Length of Bwd Packets"),
            fwd_hdr: at("Fwd Header Length"),
            bwd_hdr: at("Bwd Header Length"),
        }
    })
}

/// EVE's view of a flow record. Bytes are transport-layer bytes (headers and payloads),
/// what the flow features count; EVE's own counts also include IP and link headers.
pub fn flow_facts(f: &FlowRecord) -> FlowFacts {
    let p = positions();
    let v = |i: usize| f.values[i];
    let n = |i: usize| f.values[i].max(0.0) as u64;
    FlowFacts {
        src_ip: f.src_ip,
        src_port: f.src_port,
        dest_ip: f.dst_ip,
        dest_port: f.dst_port,
        proto: f.protocol,
        start_us: f.start_us,
        end_us: f.start_us + v(p.duration) as i64,
        pkts_toserver: n(p.fwd_pkts),
        pkts_toclient: n(p.bwd_pkts),
        bytes_toserver: n(p.fwd_bytes) + n(p.fwd_hdr),
        bytes_toclient: n(p.bwd_bytes) + n(p.bwd_hdr),
        reason: match f.end_reason {
            EndReason::Fin => "fin",
            EndReason::Timeout => "timeout",
            EndReason::EndOfInput => "end_of_input",
            EndReason::Evicted => "evicted",
        },
        key: f.flow_id.clone(),
        community_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn facts() -> FlowFacts {
        FlowFacts {
            src_ip: "192.168.10.5".parse().unwrap(),
            src_port: 51000,
            dest_ip: "104.16.207.165".parse().unwrap(),
            dest_port: 443,
            proto: 6,
            start_us: 1_499_094_369_123_456,
            end_us: 1_499_094_371_000_001,
            pkts_toserver: 5,
            pkts_toclient: 3,
            bytes_toserver: 420,
            bytes_toclient: 1200,
            reason: "fin",
            key: "192.168.10.5-104.16.207.165-51000-443-6".into(),
            community_id: None,
        }
    }

    fn model() -> ModelInfo {
        ModelInfo {
            name: "best".into(),
            sha256: "0".repeat(64),
            role: "classifier",
            algorithm: "random_forest".into(),
        }
    }

    fn verdict() -> Verdict {
        Verdict {
            label: "DoS Hulk".into(),
            class: 2,
            alert: true,
            score: 0.97,
            threshold: None,
            severity: 1,
        }
    }

    #[test]
    fn timestamps_are_eve_rfc3339_with_microseconds() {
        // 1499094369 s is 2017-07-03 15:06:09 UTC (`date -u -d @1499094369`).
        assert_eq!(
            timestamp(1_499_094_369_123_456),
            "2017-07-03T15:06:09.123456+0000"
        );
        assert_eq!(timestamp(-1), "1969-12-31T23:59:59.999999+0000");
    }

    #[test]
    fn alert_has_the_eve_fields_and_types() {
        let model = model();
        let v = verdict();
        let json: serde_json::Value =
            serde_json::from_str(&alert_line(&facts(), &v, &model, 4)).unwrap();
        assert_eq!(json["event_type"], "alert");
        assert_eq!(json["timestamp"], "2017-07-03T15:06:11.000001+0000");
        assert_eq!(json["proto"], "TCP");
        assert_eq!(json["src_port"], 51000);
        assert_eq!(json["alert"]["signature_id"], SID_BASE + 2);
        assert_eq!(json["alert"]["signature"], "anomalab DoS Hulk");
        assert_eq!(json["alert"]["action"], "allowed");
        assert_eq!(json["alert"]["metadata"]["anomalab_score"][0], "0.97");
        assert_eq!(json["flow"]["pkts_toclient"], 3);
        assert_eq!(json["flow"]["age"], 1);
        assert_eq!(json["anomalab"]["suppressed_before"], 4);
        assert!(json["flow_id"].as_u64().unwrap() < 1 << 51);
        // The Corelight reference implementation (`pip install communityid==1.5.0`):
        // CommunityID(0).calc(FlowTuple(6, "192.168.10.5", "104.16.207.165", 51000, 443)).
        assert_eq!(json["community_id"], "1:aikh8t1i5w60osVIs7nf/vMV3LE=");
    }

    #[test]
    fn the_brief_view_is_the_eve_line_cut_to_the_table_columns() {
        let model = model();
        let f = facts();
        let v = verdict();
        let line: std::sync::Arc<str> = alert_line(&f, &v, &model, 0).into();
        let typed = AlertRecord {
            brief: Some(crate::serve::state::Brief {
                end_us: f.end_us,
                src_port: f.src_port,
                proto: f.proto,
                severity: v.severity,
                score: v.score,
            }),
            ..AlertRecord::from_eve(line.clone())
        };
        let from_typed: serde_json::Value = serde_json::from_str(&brief_line(&typed)).unwrap();
        let from_line: serde_json::Value =
            serde_json::from_str(&brief_line(&AlertRecord::from_eve(line.clone()))).unwrap();
        assert_eq!(from_typed, from_line, "typed and projected agree");
        let whole: serde_json::Value = serde_json::from_str(&line).unwrap();
        for path in BRIEF_PATHS {
            let at =
                |v: &serde_json::Value| path.iter().try_fold(v.clone(), |v, k| v.get(k).cloned());
            assert_eq!(at(&from_typed), at(&whole), "{path:?}");
            assert!(at(&whole).is_some(), "{path:?} is in the EVE line");
        }
        assert_eq!(
            from_typed.as_object().unwrap().len(),
            8,
            "nothing else at the top"
        );
        assert!(brief_line(&typed).len() * 3 < line.len());
    }
}
