//! CSV output in the exact layouts of the CIC-IDS2017 files: the 85-column
//! GeneratedLabelledFlows layout (byte-identical header with its stray leading spaces,
//! duplicated `Fwd Header Length` and `CWE Flag Count`) and the 79-column
//! MachineLearningCVE layout. Doubles print like Java's `Double.toString`, integer cells as
//! integers, and `Timestamp` as `dd/MM/yyyy hh:mm:ss` on a 12-hour clock without AM/PM in
//! UTC (or a fixed offset), as the reference does.

use std::io::{self, Write};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::features::FlowRecord;
use crate::javafmt::{JAVA_DOUBLE_ROOM, write_digits, write_java_double};

/// Header line of the 85-column layout (no trailing newline).
pub const CIC85_HEADER: &str = "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean, Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean, Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max, Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total, Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags, Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length, Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count, SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count, ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size, Fwd Header Length,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk, Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets, Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd, min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max, Idle Min, Label";

/// Header line of the 79-column MachineLearningCVE layout (no trailing newline).
pub const MLCVE79_HEADER: &str = " Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean, Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean, Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max, Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total, Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags, Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length, Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count, SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count, ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size, Fwd Header Length,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk, Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets, Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd, min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max, Idle Min, Label";

/// Column layout of the CSV output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvLayout {
    /// 85 columns: Flow ID, Source IP, Source Port, Destination IP, Destination Port,
    /// Protocol, Timestamp, 77 features, Label.
    #[default]
    Cic85,
    /// 79 columns: Destination Port, 77 features, Label.
    Mlcve79,
}

impl CsvLayout {
    /// The header line.
    pub fn header(self) -> &'static str {
        match self {
            CsvLayout::Cic85 => CIC85_HEADER,
            CsvLayout::Mlcve79 => MLCVE79_HEADER,
        }
    }
}

/// Streaming CSV writer: writes the header on creation, then one line per record.
pub struct CsvWriter<W: Write> {
    out: W,
    layout: CsvLayout,
    utc_offset_s: i64,
    line: Vec<u8>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header of `layout` to `out`. Timestamps are printed in UTC.
    pub fn new(out: W, layout: CsvLayout) -> io::Result<Self> {
        Self::with_utc_offset(out, layout, 0)
    }

    /// Like [`CsvWriter::new`] with timestamps shifted by `utc_offset_s` seconds (the JVM
    /// time zone of the reference; UTC−3, as in CICFlowMeter's own sample output, is
    /// -10800).
    pub fn with_utc_offset(mut out: W, layout: CsvLayout, utc_offset_s: i64) -> io::Result<Self> {
        out.write_all(layout.header().as_bytes())?;
        out.write_all(b"\n")?;
        Ok(CsvWriter {
            out,
            layout,
            utc_offset_s,
            line: Vec::with_capacity(4096),
        })
    }

    /// Writes one record.
    pub fn write(&mut self, r: &FlowRecord) -> io::Result<()> {
        // `line` only grows; rows are written into it in place (no per-cell copies).
        let room = row_room(r) + 1;
        if self.line.len() < room {
            self.line.resize(room, 0);
        }
        let mut row = Row::new(&mut self.line);
        write_row(&mut row, r, self.layout, self.utc_offset_s);
        row.byte(b'\n');
        let n = row.len();
        self.out.write_all(&self.line[..n])
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes `records` with a header in `layout` (UTC timestamps) and returns the writer.
pub fn write_csv<W: Write>(records: &[FlowRecord], layout: CsvLayout, out: W) -> io::Result<W> {
    let mut w = CsvWriter::new(out, layout)?;
    for r in records {
        w.write(r)?;
    }
    w.into_inner()
}

/// Appends one CSV row (no newline) for `r`.
pub fn format_row(r: &FlowRecord, layout: CsvLayout, utc_offset_s: i64, out: &mut String) {
    let mut b = Vec::with_capacity(2048);
    format_row_bytes(r, layout, utc_offset_s, &mut b);
    // Every cell is ASCII except the label, which is a `str`: the row is valid UTF-8.
    out.push_str(&String::from_utf8_lossy(&b));
}

/// Appends one CSV row (no newline) for `r` to a byte buffer.
pub fn format_row_bytes(r: &FlowRecord, layout: CsvLayout, utc_offset_s: i64, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + row_room(r), 0);
    let mut row = Row::new(&mut out[start..]);
    write_row(&mut row, r, layout, utc_offset_s);
    let n = row.len();
    out.truncate(start + n);
}

/// An upper bound of the length of `r`'s row: 160 bytes for the identity columns (two
/// IPv6 addresses of at most 45 bytes, ports, protocol, timestamp, commas) plus the Flow
/// ID and label, and the room one value cell may need.
fn row_room(r: &FlowRecord) -> usize {
    160 + r.flow_id.len() + r.label.len() + (JAVA_DOUBLE_ROOM + 1) * r.values.len()
}

fn write_row(row: &mut Row<'_>, r: &FlowRecord, layout: CsvLayout, utc_offset_s: i64) {
    match layout {
        CsvLayout::Cic85 => {
            row.put(r.flow_id.as_bytes());
            row.byte(b',');
            row.ip(r.src_ip);
            row.byte(b',');
            row.digits(r.src_port as u64);
            row.byte(b',');
            row.ip(r.dst_ip);
            row.byte(b',');
            row.digits(r.dst_port as u64);
            row.byte(b',');
            row.digits(r.protocol as u64);
            row.byte(b',');
            row.timestamp(r.start_us, utc_offset_s);
            row.byte(b',');
        }
        CsvLayout::Mlcve79 => {
            row.digits(r.dst_port as u64);
            row.byte(b',');
        }
    }
    for (i, v) in r.values.iter().enumerate() {
        if i < 128 && r.int_mask & (1u128 << i) != 0 {
            row.int(*v as i64);
        } else {
            row.java_double(*v);
        }
        row.byte(b',');
    }
    row.put(r.label.as_bytes());
}

/// Writes cells into a byte slice from its start; every write panics rather than
/// overflow, and the callers size the slice with [`row_room`].
struct Row<'a> {
    b: &'a mut [u8],
    n: usize,
}

impl<'a> Row<'a> {
    fn new(b: &'a mut [u8]) -> Self {
        Row { b, n: 0 }
    }

    fn len(&self) -> usize {
        self.n
    }

    #[inline]
    fn byte(&mut self, c: u8) {
        self.b[self.n] = c;
        self.n += 1;
    }

    #[inline]
    fn put(&mut self, s: &[u8]) {
        self.b[self.n..self.n + s.len()].copy_from_slice(s);
        self.n += s.len();
    }

    #[inline]
    fn digits(&mut self, v: u64) {
        if v < 10 {
            // Most integer cells are flags and small counts.
            self.byte(b'0' + v as u8);
        } else {
            self.n += write_digits(v, &mut self.b[self.n..]);
        }
    }

    #[inline]
    fn int(&mut self, v: i64) {
        if v < 0 {
            self.byte(b'-');
        }
        self.digits(v.unsigned_abs());
    }

    #[inline]
    fn java_double(&mut self, x: f64) {
        self.n += write_java_double(x, &mut self.b[self.n..]);
    }

    /// Dotted quad, as `Ipv4Addr`'s `Display`.
    #[inline]
    fn ipv4(&mut self, o: [u8; 4]) {
        self.digits(o[0] as u64);
        for b in &o[1..] {
            self.byte(b'.');
            self.digits(*b as u64);
        }
    }

    /// `IpAddr`'s `Display` (IPv4 without the formatting machinery).
    #[inline]
    fn ip(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(a) => self.ipv4(a.octets()),
            IpAddr::V6(a) => self.put(a.to_string().as_bytes()),
        }
    }

    /// Two digits of `v` < 100.
    #[inline]
    fn two(&mut self, v: i64) {
        self.byte(b'0' + (v / 10) as u8);
        self.byte(b'0' + (v % 10) as u8);
    }

    /// `dd/MM/yyyy hh:mm:ss` (12-hour clock, no AM/PM) of `ts_us` + offset, truncated to
    /// the second.
    fn timestamp(&mut self, ts_us: i64, utc_offset_s: i64) {
        let secs = ts_us.div_euclid(1_000_000) + utc_offset_s;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let h24 = sod / 3600;
        let h12 = if h24 % 12 == 0 { 12 } else { h24 % 12 };
        self.two(d as i64);
        self.byte(b'/');
        self.two(m as i64);
        self.byte(b'/');
        if (0..10_000).contains(&y) {
            self.two(y / 100);
            self.two(y % 100);
        } else {
            self.put(format!("{y:04}").as_bytes());
        }
        self.byte(b' ');
        self.two(h12);
        self.byte(b':');
        self.two((sod / 60) % 60);
        self.byte(b':');
        self.two(sod % 60);
    }
}

/// Runs `f` on a [`Row`] over a stack buffer of `N` bytes and appends what it wrote.
#[inline]
fn append<const N: usize>(out: &mut Vec<u8>, f: impl FnOnce(&mut Row<'_>)) {
    let mut b = [0u8; N];
    let mut row = Row::new(&mut b);
    f(&mut row);
    let n = row.len();
    out.extend_from_slice(&b[..n]);
}

/// Decimal digits of `v`.
pub(crate) fn push_u32(out: &mut Vec<u8>, v: u32) {
    append::<10>(out, |r| r.digits(v as u64));
}

/// `IpAddr`'s `Display`.
pub(crate) fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    append::<64>(out, |r| r.ip(ip));
}

/// Dotted quad of four octets.
pub(crate) fn push_ipv4(out: &mut Vec<u8>, o: [u8; 4]) {
    append::<15>(out, |r| r.ipv4(o));
}

/// `dd/MM/yyyy hh:mm:ss` (12-hour clock, no AM/PM) of `ts_us` + offset, truncated to the
/// second like the reference (`flowStartTime / 1000` then a date format).
pub fn push_timestamp(out: &mut String, ts_us: i64, utc_offset_s: i64) {
    let mut b = Vec::with_capacity(24);
    push_timestamp_bytes(&mut b, ts_us, utc_offset_s);
    out.push_str(&String::from_utf8_lossy(&b));
}

/// [`push_timestamp`] into a byte buffer.
pub fn push_timestamp_bytes(out: &mut Vec<u8>, ts_us: i64, utc_offset_s: i64) {
    append::<32>(out, |r| r.timestamp(ts_us, utc_offset_s));
}

/// Proleptic Gregorian date (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's algorithm): the one calendar conversion of the workspace.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date: the inverse of
/// [`civil_from_days`] (same algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Names of [`FlowRecord::model_vector`]'s entries: the MachineLearningCVE header of
/// CIC-IDS2017 without its label, trimmed, the second `Fwd Header Length` called
/// `Fwd Header Length.1` (pandas' rule for a repeated name). These are the names the
/// `cic_ids2017` loader gives the same columns, so a model trained on either source
/// scores the other.
pub fn model_feature_names() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in MLCVE79_HEADER.split(',').map(str::trim) {
        if name == "Label" {
            continue;
        }
        let mut unique = name.to_string();
        let mut k = 1;
        while out.contains(&unique) {
            unique = format!("{name}.{k}");
            k += 1;
        }
        out.push(unique);
    }
    out
}

/// Columns of the extract layouts that are never model features: the flow's identity
/// (`Flow ID`, addresses, source port, protocol, timestamp) and its `Label`, trimmed as
/// [`model_feature_names`] are. A CSV written by `anomalab extract` carries them; scoring it
/// ignores them.
pub fn identity_columns() -> Vec<String> {
    let features = model_feature_names();
    let mut out: Vec<String> = Vec::new();
    for name in CIC85_HEADER.split(',').map(str::trim) {
        if !features.iter().any(|f| f == name) && !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn identity_columns_are_the_cic85_columns_that_are_not_features() {
        let ids = identity_columns();
        let expected = [
            "Flow ID",
            "Source IP",
            "Source Port",
            "Destination IP",
            "Protocol",
            "Timestamp",
            "Label",
        ];
        assert_eq!(ids, expected);
        // Every CIC85 column is either a feature or an identity column.
        let features = model_feature_names();
        let n_cic85 = CIC85_HEADER.split(',').count();
        assert_eq!(n_cic85, features.len() + ids.len());
    }

    #[test]
    fn model_names_are_the_78_trimmed_mlcve_columns() {
        let names = model_feature_names();
        assert_eq!(names.len(), 78);
        assert_eq!(names[0], "Destination Port");
        assert_eq!(names[1], "Flow Duration");
        assert_eq!(names.last().map(String::as_str), Some("Idle Min"));
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("Fwd Header Length"))
                .count(),
            2
        );
        assert!(names.contains(&"Fwd Header Length.1".to_string()));
    }

    use super::*;

    #[test]
    fn timestamp_is_12_hour_without_marker() {
        // 2017-07-07 13:20:00 UTC = 1499433600 s (gen_big.py's T0); the reference prints
        // it as `07/07/2017 01:20:00` (flows-reference README, test.csv first row).
        let mut s = String::new();
        push_timestamp(&mut s, 1_499_433_600_000_000, 0);
        assert_eq!(s, "07/07/2017 01:20:00");
        s.clear();
        // `date -u -d @1231042114` = Sun Jan 4 04:08:34 UTC 2009 (icmp_err_dup.csv row).
        push_timestamp(&mut s, 1_231_042_114_500_000, 0);
        assert_eq!(s, "04/01/2009 04:08:34");
        s.clear();
        // Midnight and noon both print as 12.
        push_timestamp(&mut s, 0, 0);
        assert_eq!(s, "01/01/1970 12:00:00");
    }

    #[test]
    fn byte_formatters_match_display() {
        // Every octet value in every position, against `Ipv4Addr`'s `Display`.
        for v in 0..=255u8 {
            for pos in 0..4 {
                let mut o = [10, 0, 1, 255];
                o[pos] = v;
                let mut b = Vec::new();
                push_ipv4(&mut b, o);
                assert_eq!(b, std::net::Ipv4Addr::from(o).to_string().as_bytes());
            }
        }
        let v6: IpAddr = "fe80::1:2".parse().unwrap();
        let mut b = Vec::new();
        push_ip(&mut b, v6);
        assert_eq!(b, b"fe80::1:2");
        for v in [0i64, 9, 10, 99, 100, -1, -10, 65_535, i64::MIN, i64::MAX] {
            let mut b = [0u8; 20];
            let mut row = Row::new(&mut b);
            row.int(v);
            let n = row.len();
            assert_eq!(&b[..n], v.to_string().as_bytes());
        }
        for v in [0u32, 9, 10, 443, 65_535, u32::MAX] {
            let mut b = Vec::new();
            push_u32(&mut b, v);
            assert_eq!(b, v.to_string().as_bytes());
        }
    }

    #[test]
    fn timestamp_digits_match_formatted_fields() {
        // The byte formatter against `format!` of the same calendar fields, over dates from
        // before 1970 to after 9999 and every hour of a day.
        let mut t: i64 = -2_000_000_000_000_000;
        while t < 400_000_000_000_000_000 {
            for off in [0, -10_800, 3_600 * 13] {
                let secs = t.div_euclid(1_000_000) + off;
                let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
                let sod = secs.rem_euclid(86_400);
                let h24 = sod / 3600;
                let h12 = if h24 % 12 == 0 { 12 } else { h24 % 12 };
                let want = format!(
                    "{d:02}/{m:02}/{y:04} {h12:02}:{:02}:{:02}",
                    (sod / 60) % 60,
                    sod % 60
                );
                let mut b = Vec::new();
                push_timestamp_bytes(&mut b, t, off);
                assert_eq!(String::from_utf8(b).unwrap(), want, "{t} {off}");
            }
            t += 3_599_999_999_937;
        }
    }

    #[test]
    fn widest_rows_fit_and_match_cell_by_cell() {
        // Longest cells everywhere: full-length IPv6 addresses, a long non-ASCII label,
        // 25-byte doubles, 20-byte integers; the row must equal the cells formatted one
        // by one (std `Display` for identity and integer cells, the general path of
        // `javafmt` for doubles).
        let wide: IpAddr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap();
        let mapped: IpAddr = "::ffff:255.255.255.255".parse().unwrap();
        let doubles = [
            -1.2345678901234567e-300,
            f64::NEG_INFINITY,
            f64::NAN,
            -0.0,
            -9_999_999.5,
            f64::MIN_POSITIVE,
        ];
        let mut values = Vec::new();
        let mut int_mask = 0u128;
        for i in 0..130 {
            if i % 2 == 0 && i < 128 {
                int_mask |= 1 << i;
                values.push(if i % 4 == 0 { -9.2e18 } else { 65_535.0 });
            } else {
                values.push(doubles[i % doubles.len()]);
            }
        }
        let r = FlowRecord {
            flow_id: format!("{wide}-{mapped}-65535-65535-255"),
            src_ip: wide,
            src_port: 65_535,
            dst_ip: mapped,
            dst_port: 65_535,
            protocol: 255,
            start_us: i64::MIN / 2,
            source: "s".into(),
            label: "Web Attack – Brute Force ".repeat(20).into(),
            end_reason: crate::features::EndReason::Fin,
            values,
            int_mask,
        };
        let mut want = vec![
            r.flow_id.clone(),
            wide.to_string(),
            "65535".into(),
            mapped.to_string(),
            "65535".into(),
            "255".into(),
        ];
        let mut ts = String::new();
        push_timestamp(&mut ts, r.start_us, 0);
        want.push(ts);
        for (i, v) in r.values.iter().enumerate() {
            if i < 128 && int_mask & (1 << i) != 0 {
                want.push((*v as i64).to_string());
            } else {
                let mut s = String::new();
                crate::javafmt::push_java_double_general(&mut s, *v);
                want.push(s);
            }
        }
        want.push(r.label.to_string());
        let mut row = String::new();
        format_row(&r, CsvLayout::Cic85, 0, &mut row);
        assert_eq!(row, want.join(","));
        let mut w = CsvWriter::new(Vec::new(), CsvLayout::Mlcve79).unwrap();
        w.write(&r).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, format!("65535,{}", want[7..].join(",")));
    }

    #[test]
    fn headers_have_the_reference_widths() {
        assert_eq!(CIC85_HEADER.split(',').count(), 85);
        assert_eq!(MLCVE79_HEADER.split(',').count(), 79);
        assert!(CIC85_HEADER.starts_with("Flow ID, Source IP"));
        assert!(MLCVE79_HEADER.starts_with(" Destination Port"));
    }
}
