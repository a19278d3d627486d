//! Typed errors of the flow crate: capture files whose header or framing cannot be read
//! (named with what was expected), I/O failures, and Zeek log parse errors (named with the
//! file and line). Per-packet problems are not errors: they are counted skips
//! ([`crate::SkipReason`]).

use thiserror::Error;

/// An error that stops reading one capture or log.
#[derive(Debug, Error)]
pub enum FlowError {
    /// Reading the underlying stream failed.
    #[error("{source_name}: read error: {error}")]
    Io {
        /// The capture or log being read.
        source_name: String,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
    /// The input is not a capture this crate reads.
    #[error(
        "{source_name}: not a capture file: first bytes are {found}, expected a pcap magic \
         (a1b2c3d4 / a1b23c4d in either byte order), a pcapng section header (0a0d0d0a) \
         or gzip (1f8b)"
    )]
    BadMagic {
        /// The capture being read.
        source_name: String,
        /// The first bytes found, in hex.
        found: String,
    },
    /// The input ended before the file header was complete.
    #[error("{source_name}: file header truncated: {got} of {expected} bytes present")]
    TruncatedHeader {
        /// The capture being read.
        source_name: String,
        /// Bytes present.
        got: usize,
        /// Bytes a complete header needs.
        expected: usize,
    },
    /// The file header is complete but its content is impossible.
    #[error("{source_name}: corrupt file header: {message}")]
    CorruptHeader {
        /// The capture being read.
        source_name: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A record header is impossible, so the rest of the file cannot be framed.
    #[error("{source_name}: corrupt record #{index} at byte {offset}: {message}")]
    CorruptRecord {
        /// The capture being read.
        source_name: String,
        /// 0-based record (block) index.
        index: u64,
        /// Byte offset of the record in the (decompressed) stream.
        offset: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A Zeek log line could not be parsed.
    #[error("{source_name}:{line}: {message}")]
    Zeek {
        /// The log being read.
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A NetFlow/IPFIX export packet inside a capture is malformed.
    #[error("{source_name}: packet #{packet}: {message}")]
    NetflowExport {
        /// The capture being read.
        source_name: String,
        /// 1-based record number in the capture.
        packet: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A line of an nfdump CSV export could not be read.
    #[error("{source_name}:{line}: {message}")]
    NfdumpCsv {
        /// The file being read.
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A label rule is invalid (bad CIDR, bad protocol name, ...).
    #[error("label rule: {0}")]
    Label(String),
}
