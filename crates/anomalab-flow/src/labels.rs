//! Flow labels for captures: a per-capture constant label, or rules on addresses (CIDR),
//! ports, protocol and a time window, where the first matching rule wins and a default
//! label applies otherwise. [`LabelSpec`] is serde-deserialisable so the experiment spec
//! can embed it, e.g. in YAML:
//!
//! ```yaml
//! default: BENIGN
//! rules:
//!   - { label: ATTACK, host: 172.25.105.43 }
//!   - { label: SCAN, src: 10.0.0.0/8, dst_port: 22, protocol: tcp }
//! ```
//!
//! Rules match a [`FlowKey`] (addresses, ports, protocol, start time), so the same rules
//! label extracted flows ([`FlowRecord`]) and the records of a Zeek `conn.log`.

use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FlowError;
use crate::features::FlowRecord;

/// An address prefix: `10.0.0.0/8`, `2001:db8::/32`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True if `ip` lies in the prefix (an IPv4 prefix never matches an IPv6 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let m = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix as u32)
                };
                u32::from(a) & m == u32::from(b) & m
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let m = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix as u32)
                };
                u128::from(a) & m == u128::from(b) & m
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = FlowError;
    fn from_str(s: &str) -> Result<Self, FlowError> {
        let bad = |why: &str| FlowError::Label(format!("`{s}`: {why}"));
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| bad("not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| bad(&format!("prefix length must be 0..={max}")))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One labelling rule; every field that is set must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRule {
    /// Label given to matching flows.
    pub label: String,
    /// Flow source address (the first packet's sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Cidr>,
    /// Flow destination address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<Cidr>,
    /// Either endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Cidr>,
    /// Source port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// Destination port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<u16>,
    /// Either port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// IP protocol: a number, or `tcp` (6), `udp` (17), `icmp` (1), `icmpv6` (58). The
    /// `cic2017` feature set reports 0 for every protocol other than TCP and UDP (as
    /// CICFlowMeter does), so ICMP flows from captures match `protocol: 0`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_protocol"
    )]
    pub protocol: Option<u8>,
    /// Flow start at or after this time (Unix seconds, fractional allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<f64>,
    /// Flow start strictly before this time (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<f64>,
}

/// The protocol number of a name accepted in rules (`tcp`, `udp`, `icmp`, `icmpv6`, any
/// case), as Zeek writes them in `conn.log`'s `proto` column.
pub fn protocol_number(name: &str) -> Option<u8> {
    match name.trim().to_ascii_lowercase().as_str() {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        "icmpv6" | "icmp6" | "ipv6-icmp" => Some(58),
        other => other.parse().ok(),
    }
}

fn de_protocol<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a protocol number 0..=255 or one of tcp, udp, icmp, icmpv6")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<u8>, E> {
            u8::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("protocol {v} is not in 0..=255")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<u8>, E> {
            u8::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("protocol {v} is not in 0..=255")))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<u8>, E> {
            protocol_number(v).map(Some).ok_or_else(|| {
                E::custom(format!(
                    "unknown protocol `{v}`: give a number 0..=255 or one of tcp, udp, icmp, icmpv6"
                ))
            })
        }
    }
    d.deserialize_any(V)
}

/// What a rule looks at: the endpoints, protocol and start time of a flow or connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowKey {
    /// Source (originator) address.
    pub src_ip: IpAddr,
    pub src_port: u16,
    /// Destination (responder) address.
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    /// IP protocol number as reported (`cic2017`: 6, 17 or 0).
    pub protocol: u8,
    /// Start time, Unix seconds.
    pub start_s: f64,
}

impl From<&FlowRecord> for FlowKey {
    fn from(r: &FlowRecord) -> Self {
        FlowKey {
            src_ip: r.src_ip,
            src_port: r.src_port,
            dst_ip: r.dst_ip,
            dst_port: r.dst_port,
            protocol: r.protocol,
            start_s: r.start_us as f64 / 1e6,
        }
    }
}

impl LabelRule {
    /// True if the rule matches the flow.
    pub fn matches(&self, r: &FlowRecord) -> bool {
        self.matches_key(&FlowKey::from(r))
    }

    /// True if the rule matches the key.
    pub fn matches_key(&self, k: &FlowKey) -> bool {
        let t = k.start_s;
        self.src.is_none_or(|c| c.contains(k.src_ip))
            && self.dst.is_none_or(|c| c.contains(k.dst_ip))
            && self
                .host
                .is_none_or(|c| c.contains(k.src_ip) || c.contains(k.dst_ip))
            && self.src_port.is_none_or(|p| p == k.src_port)
            && self.dst_port.is_none_or(|p| p == k.dst_port)
            && self.port.is_none_or(|p| p == k.src_port || p == k.dst_port)
            && self.protocol.is_none_or(|p| p == k.protocol)
            && self.after.is_none_or(|a| t >= a)
            && self.before.is_none_or(|b| t < b)
    }

    /// True when the rule looks at addresses, ports, protocol or time at all (a rule with
    /// only a label matches everything).
    pub fn needs_key(&self) -> bool {
        self.src.is_some()
            || self.dst.is_some()
            || self.host.is_some()
            || self.src_port.is_some()
            || self.dst_port.is_some()
            || self.port.is_some()
            || self.protocol.is_some()
            || self.after.is_some()
            || self.before.is_some()
    }
}

fn benign() -> String {
    "BENIGN".to_string()
}

/// Labels of one capture: first matching rule wins, else `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// Label of flows no rule matches (`BENIGN` by default, as the reference writes).
    #[serde(default = "benign")]
    pub default: String,
    /// Rules, tried in order.
    #[serde(default)]
    pub rules: Vec<LabelRule>,
}

impl Default for LabelSpec {
    fn default() -> Self {
        LabelSpec {
            default: benign(),
            rules: Vec::new(),
        }
    }
}

impl LabelSpec {
    /// Every flow of the capture gets `label`.
    pub fn constant(label: &str) -> Self {
        LabelSpec {
            default: label.to_string(),
            rules: Vec::new(),
        }
    }

    /// The label of a flow.
    pub fn label_for<'a>(&'a self, r: &FlowRecord) -> &'a str {
        self.label_for_key(&FlowKey::from(r))
    }

    /// The label of a flow or connection given by its key.
    pub fn label_for_key<'a>(&'a self, k: &FlowKey) -> &'a str {
        self.rules
            .iter()
            .find(|rule| rule.matches_key(k))
            .map_or(self.default.as_str(), |rule| rule.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src: &str, sp: u16, dst: &str, dp: u16, proto: u8, t: f64) -> FlowKey {
        FlowKey {
            src_ip: src.parse().unwrap(),
            src_port: sp,
            dst_ip: dst.parse().unwrap(),
            dst_port: dp,
            protocol: proto,
            start_s: t,
        }
    }

    fn spec(json: serde_json::Value) -> Result<LabelSpec, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    #[test]
    fn first_matching_rule_wins_else_default() {
        let s = spec(serde_json::json!({
            "default": "BENIGN",
            "rules": [
                {"label": "SIP scan", "host": "172.25.105.43", "port": 5060, "protocol": "udp"},
                {"label": "web", "src": "172.25.105.0/24", "dst_port": 80, "protocol": 6},
                {"label": "late", "after": 100.0, "before": 200.0},
            ]
        }))
        .unwrap();
        let sip = key("172.25.105.40", 5060, "172.25.105.43", 40000, 17, 1.0);
        assert_eq!(s.label_for_key(&sip), "SIP scan");
        // same hosts, TCP: the first rule's protocol differs, the second matches
        let web = key("172.25.105.43", 40000, "172.25.105.40", 80, 6, 1.0);
        assert_eq!(s.label_for_key(&web), "web");
        // outside 172.25.105.0/24, in the time window [100, 200)
        assert_eq!(
            s.label_for_key(&key("10.0.0.1", 1, "10.0.0.2", 80, 6, 100.0)),
            "late"
        );
        assert_eq!(
            s.label_for_key(&key("10.0.0.1", 1, "10.0.0.2", 80, 6, 200.0)),
            "BENIGN"
        );
        // an IPv4 prefix never matches an IPv6 address
        assert_eq!(s.label_for_key(&key("::1", 1, "::1", 80, 6, 1.0)), "BENIGN");
    }

    #[test]
    fn protocols_by_name_or_number() {
        assert_eq!(protocol_number("TCP"), Some(6));
        assert_eq!(protocol_number("icmp"), Some(1));
        assert_eq!(protocol_number("icmpv6"), Some(58));
        assert_eq!(protocol_number("47"), Some(47));
        assert_eq!(protocol_number("sctp"), None);
        let e =
            spec(serde_json::json!({"rules": [{"label": "x", "protocol": "sctp"}]})).unwrap_err();
        assert!(e.contains("unknown protocol `sctp`"), "{e}");
        let e = spec(serde_json::json!({"rules": [{"label": "x", "protocol": 300}]})).unwrap_err();
        assert!(e.contains("not in 0..=255"), "{e}");
        let e =
            spec(serde_json::json!({"rules": [{"label": "x", "src": "10.0.0.0/33"}]})).unwrap_err();
        assert!(e.contains("prefix length must be 0..=32"), "{e}");
    }
}
