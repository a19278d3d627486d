#!/usr/bin/env python3
"""Reference Community ID v1 values for crates/anomalab-flow/src/community.rs.

Computed with the Corelight reference implementation (`pip install communityid`, 1.5.0).
Prints one Rust tuple per case: (seed, proto, src, sport, dst, dport, expected).
"""
import communityid

CASES = [
    (0, 6, "128.232.110.120", 34855, "66.35.250.204", 80),
    (0, 6, "66.35.250.204", 80, "128.232.110.120", 34855),
    (1, 6, "128.232.110.120", 34855, "66.35.250.204", 80),
    (0, 17, "192.168.1.52", 54585, "8.8.8.8", 53),
    (0, 17, "10.0.0.1", 5000, "10.0.0.1", 4000),
    (0, 6, "fe80::200:86ff:fe05:80da", 1024, "fe80::260:97ff:fe07:69ea", 22),
    (0, 1, "192.168.0.89", 8, "192.168.0.1", 0),
    (0, 1, "192.168.0.1", 0, "192.168.0.89", 0),
    (0, 1, "192.168.0.89", 3, "192.168.0.1", 1),
    (0, 58, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 0),
    (0, 58, "3ffe:507:0:1:260:97ff:fe07:69ea", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4),
    (0, 132, "192.168.170.8", 7, "192.168.170.56", 7),
    (0, 47, "10.1.2.3", None, "10.3.2.1", None),
    (0, 0, "172.25.105.43", None, "172.25.105.3", None),
]

for seed, proto, src, sport, dst, dport in CASES:
    cid = communityid.CommunityID(seed)
    tpl = communityid.FlowTuple(proto, src, dst, sport, dport)
    print(f'    ({seed}, {proto}, "{src}", {sport if sport is not None else "None"}, "{dst}", '
          f'{dport if dport is not None else "None"}, "{cid.calc(tpl)}"),')
