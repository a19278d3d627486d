//! Packet captures to flows: capture readers (pcap, pcapng, gzip, stdin), link/network/
//! transport decoding, a bounded flow table, and flow feature sets (CIC-IDS2017-exact
//! `cic2017` first).
