//! Community ID v1 (the flow hash Zeek, Suricata and most SIEMs put on every flow record,
//! <https://github.com/corelight/community-id-spec>): the same five-tuple gives the same
//! string whichever direction it was seen in, so an alert can be joined with other tools'
//! records of the same connection.
//!
//! `1:` + base64(SHA-1(seed (2 bytes, big-endian) | source address | destination address |
//! protocol | 0 | source port | destination port)), the endpoints ordered smaller address
//! (then smaller port) first. ICMP and ICMPv6 use type and code as ports, a request/reply
//! type pair standing for both directions, as Zeek does; protocols without ports hash none.

use std::net::IpAddr;

use sha1::{Digest, Sha1};

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP6: u8 = 58;
const SCTP: u8 = 132;

/// ICMP types with a counterpart (request <-> reply), as Zeek pairs them.
const ICMP_PAIRS: [(u16, u16); 5] = [(8, 0), (13, 14), (15, 16), (10, 9), (17, 18)];
/// ICMPv6 types with a counterpart.
const ICMP6_PAIRS: [(u16, u16); 6] = [
    (128, 129),
    (130, 131),
    (133, 134),
    (135, 136),
    (139, 140),
    (144, 145),
];

/// The Community ID of a flow; `sport`/`dport` are ICMP type and code for ICMP. Ports are
/// ignored for protocols that have none (everything but TCP, UDP, SCTP, ICMP, ICMPv6).
pub fn community_id(
    seed: u16,
    proto: u8,
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
) -> String {
    let ports = matches!(proto, ICMP | TCP | UDP | ICMP6 | SCTP);
    let (sport, dport, one_way) = port_equivalents(proto, sport, dport);
    let (a, b) = (octets(src), octets(dst));
    let ordered = one_way || a < b || (a == b && sport < dport);
    let (a, sport, b, dport) = if ordered {
        (a, sport, b, dport)
    } else {
        (b, dport, a, sport)
    };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(&a);
    h.update(&b);
    h.update([proto, 0]);
    if ports {
        h.update(sport.to_be_bytes());
        h.update(dport.to_be_bytes());
    }
    format!("1:{}", base64(&h.finalize()))
}

/// Ports as hashed, and whether the tuple is one-way (never reordered): an ICMP type with a
/// counterpart is (type, counterpart type); any other ICMP message is (type, code), one-way.
fn port_equivalents(proto: u8, sport: u16, dport: u16) -> (u16, u16, bool) {
    let pairs: &[(u16, u16)] = match proto {
        ICMP => &ICMP_PAIRS,
        ICMP6 => &ICMP6_PAIRS,
        _ => return (sport, dport, false),
    };
    let counterpart = pairs.iter().find_map(|&(x, y)| {
        if x == sport {
            Some(y)
        } else if y == sport {
            Some(x)
        } else {
            None
        }
    });
    match counterpart {
        Some(c) => (sport, c, false),
        None => (sport, dport, true),
    }
}

fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// Standard base64 with padding (RFC 4648 section 4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (seed, protocol, source, source port, destination, destination port, Community ID),
    /// computed by the Corelight reference implementation (Python `communityid` 1.5.0) with
    /// `scripts/ref_community_id.py`; the first is also the specification's own example.
    #[allow(clippy::type_complexity)]
    const CASES: &[(u16, u8, &str, Option<u16>, &str, Option<u16>, &str)] = &[
        (
            0,
            6,
            "128.232.110.120",
            Some(34855),
            "66.35.250.204",
            Some(80),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        ),
        (
            0,
            6,
            "66.35.250.204",
            Some(80),
            "128.232.110.120",
            Some(34855),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        ),
        (
            1,
            6,
            "128.232.110.120",
            Some(34855),
            "66.35.250.204",
            Some(80),
            "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
        ),
        (
            0,
            17,
            "192.168.1.52",
            Some(54585),
            "8.8.8.8",
            Some(53),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        ),
        (
            0,
            17,
            "10.0.0.1",
            Some(5000),
            "10.0.0.1",
            Some(4000),
            "1:23tA2ab9c5+62ZEGOyIOdl3m7pA=",
        ),
        (
            0,
            6,
            "fe80::200:86ff:fe05:80da",
            Some(1024),
            "fe80::260:97ff:fe07:69ea",
            Some(22),
            "1:O96wQ0zb+nCkjntTNG+y+I1e6B4=",
        ),
        (
            0,
            1,
            "192.168.0.89",
            Some(8),
            "192.168.0.1",
            Some(0),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        ),
        (
            0,
            1,
            "192.168.0.1",
            Some(0),
            "192.168.0.89",
            Some(0),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
        ),
        (
            0,
            1,
            "192.168.0.89",
            Some(3),
            "192.168.0.1",
            Some(1),
            "1:LXCfhMUFbYXe+CEMrQuZCbiLY3o=",
        ),
        (
            0,
            58,
            "fe80::200:86ff:fe05:80da",
            Some(135),
            "fe80::260:97ff:fe07:69ea",
            Some(0),
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
        ),
        (
            0,
            58,
            "3ffe:507:0:1:260:97ff:fe07:69ea",
            Some(1),
            "3ffe:507:0:1:200:86ff:fe05:80da",
            Some(4),
            "1:gTqu7VsUsAmnYtRcECfFr8lTno8=",
        ),
        (
            0,
            132,
            "192.168.170.8",
            Some(7),
            "192.168.170.56",
            Some(7),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        ),
        (
            0,
            47,
            "10.1.2.3",
            None,
            "10.3.2.1",
            None,
            "1:KwyWfR7E6ChbhL5mLYYg9LDeex8=",
        ),
        (
            0,
            0,
            "172.25.105.43",
            None,
            "172.25.105.3",
            None,
            "1:X4z1r5Ehj3UsUSYQqJXJwTTNFo0=",
        ),
    ];

    #[test]
    fn equals_the_reference_implementation() {
        for &(seed, proto, src, sport, dst, dport, want) in CASES {
            let got = community_id(
                seed,
                proto,
                src.parse().unwrap(),
                sport.unwrap_or(0),
                dst.parse().unwrap(),
                dport.unwrap_or(0),
            );
            assert_eq!(
                got, want,
                "{proto} {src}:{sport:?} -> {dst}:{dport:?} seed {seed}"
            );
        }
    }

    #[test]
    fn base64_pads_as_rfc_4648() {
        // RFC 4648 section 10 test vectors.
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }
}
