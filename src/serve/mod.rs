//! `anomalab serve`: a saved model scoring live traffic (captures, a followed Zeek log),
//! writing Suricata-EVE-shaped alerts, and answering scoring requests over HTTP.

pub mod eve;
pub mod http;
pub mod input;
pub mod sink;
pub mod state;
pub mod verdict;
