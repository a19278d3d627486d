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
    /// Protocol number as reported in the flow (6, 17, 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u8>,
    /// Flow start at or after this time (Unix seconds, fractional allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<f64>,
    /// Flow start strictly before this time (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<f64>,
}

impl LabelRule {
    /// True if the rule matches the flow.
    pub fn matches(&self, r: &FlowRecord) -> bool {
        let t = r.start_us as f64 / 1e6;
        self.src.is_none_or(|c| c.contains(r.src_ip))
            && self.dst.is_none_or(|c| c.contains(r.dst_ip))
            && self
                .host
                .is_none_or(|c| c.contains(r.src_ip) || c.contains(r.dst_ip))
            && self.src_port.is_none_or(|p| p == r.src_port)
            && self.dst_port.is_none_or(|p| p == r.dst_port)
            && self.port.is_none_or(|p| p == r.src_port || p == r.dst_port)
            && self.protocol.is_none_or(|p| p == r.protocol)
            && self.after.is_none_or(|a| t >= a)
            && self.before.is_none_or(|b| t < b)
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
        self.rules
            .iter()
            .find(|rule| rule.matches(r))
            .map_or(self.default.as_str(), |rule| rule.label.as_str())
    }
}
