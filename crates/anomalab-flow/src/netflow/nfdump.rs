//! nfdump's CSV export (`nfdump -r FILE -o csv`): a header line starting
//! `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt`, one line per flow record,
//! then a footer: the line `Summary`, a line of names `flows,bytes,packets,avg_bps,avg_pps,
//! avg_bpp` and their values (nfdump 1.7.1, the Debian 12 package). The columns after
//! `mpls10` differ between versions (early 1.6 releases end with `ra,eng`, later ones with
//! `cl,sl,al,ra,eng,exid,tr`), so columns are found by name: `ts`, `td`, `sa`, `da`, `sp`,
//! `dp`, `pr`, `ipkt`, `ibyt` are needed; `flg`, `stos`, `opkt`, `obyt` are read when
//! present. `-q` drops the header and the footer: such a file is refused with that hint.
//!
//! nfdump prints times in the local time zone of the machine that ran it, without a zone:
//! they are read as UTC (run `TZ=UTC nfdump ...` so that time-based labelling rules see
//! the right times).

use std::net::IpAddr;

use super::NetflowRecord;
use crate::csv::days_from_civil;
use crate::error::FlowError;
use crate::labels::protocol_number;

/// The records of an nfdump CSV export and its footer's totals, when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct NfdumpCsv {
    pub records: Vec<NetflowRecord>,
    /// `flows`, `bytes`, `packets` of the `Summary` footer.
    pub summary: Option<(u64, u64, u64)>,
}

/// Column positions of the fields read.
struct Columns {
    ts: usize,
    td: usize,
    sa: usize,
    da: usize,
    sp: usize,
    dp: usize,
    pr: usize,
    ipkt: usize,
    ibyt: usize,
    flg: Option<usize>,
    stos: Option<usize>,
    opkt: Option<usize>,
    obyt: Option<usize>,
    count: usize,
}

impl Columns {
    fn new(header: &str) -> Result<Self, String> {
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let find = |n: &str| names.iter().position(|x| *x == n);
        let need = |n: &str| {
            find(n).ok_or_else(|| {
                format!(
                    "the header has no column `{n}` (expected nfdump's `-o csv` header, which \
                     starts `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt`; found `{}`)",
                    header.chars().take(120).collect::<String>()
                )
            })
        };
        Ok(Columns {
            ts: need("ts")?,
            td: need("td")?,
            sa: need("sa")?,
            da: need("da")?,
            sp: need("sp")?,
            dp: need("dp")?,
            pr: need("pr")?,
            ipkt: need("ipkt")?,
            ibyt: need("ibyt")?,
            flg: find("flg"),
            stos: find("stos"),
            opkt: find("opkt"),
            obyt: find("obyt"),
            count: names.len(),
        })
    }
}

/// Read an nfdump CSV export. Errors name the file, the line and the field.
pub fn read_nfdump_csv(text: &[u8], name: &str) -> Result<NfdumpCsv, FlowError> {
    let err = |line: usize, message: String| FlowError::NfdumpCsv {
        source_name: name.to_string(),
        line: line as u64,
        message,
    };
    let text = std::str::from_utf8(text)
        .map_err(|e| err(1, format!("not UTF-8 text (byte {})", e.valid_up_to())))?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    let (_, header) = lines
        .next()
        .ok_or_else(|| err(1, "empty file, expected nfdump's CSV header".into()))?;
    if header.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err(
            1,
            "no header line (`nfdump -q` leaves it out): export with `nfdump -r FILE -o csv`, without -q".into(),
        ));
    }
    let cols = Columns::new(header).map_err(|m| err(1, m))?;
    let mut records = Vec::new();
    let mut summary = None;
    while let Some((n, line)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if line == "Summary" {
            summary = footer(&mut lines).map_err(|(l, m)| err(l, m))?;
            break;
        }
        records.push(record(&cols, line).map_err(|m| err(n, m))?);
    }
    Ok(NfdumpCsv { records, summary })
}

/// A message for a line number.
type LineError = (usize, String);

/// The totals after `Summary`: a names line and a values line.
fn footer<'a>(
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
) -> Result<Option<(u64, u64, u64)>, LineError> {
    let Some((n, names)) = lines.next() else {
        return Ok(None);
    };
    let names: Vec<&str> = names.split(',').collect();
    let Some((m, values)) = lines.next() else {
        return Err((n + 1, "the summary has no values line".into()));
    };
    let values: Vec<&str> = values.split(',').collect();
    let get = |k: &str| -> Result<u64, LineError> {
        let i = names
            .iter()
            .position(|x| x.trim() == k)
            .ok_or_else(|| (n, format!("the summary names no `{k}`")))?;
        values
            .get(i)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| (m, format!("summary `{k}`: expected a count")))
    };
    Ok(Some((get("flows")?, get("bytes")?, get("packets")?)))
}

fn record(c: &Columns, line: &str) -> Result<NetflowRecord, String> {
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    if cells.len() != c.count {
        return Err(format!(
            "{} fields, expected {} (the header's)",
            cells.len(),
            c.count
        ));
    }
    let num = |i: usize, what: &str| -> Result<u64, String> {
        cells[i]
            .parse()
            .map_err(|_| format!("field `{what}`: expected a count, found `{}`", cells[i]))
    };
    let opt = |i: Option<usize>, what: &str| i.map_or(Ok(0), |i| num(i, what));
    let duration_s: f64 = cells[c.td]
        .parse()
        .ok()
        .filter(|d: &f64| d.is_finite())
        .ok_or_else(|| format!("field `td`: expected seconds, found `{}`", cells[c.td]))?;
    Ok(NetflowRecord {
        start_ms: timestamp_ms(cells[c.ts]).ok_or_else(|| {
            format!(
                "field `ts`: expected `YYYY-MM-DD hh:mm:ss[.fff]`, found `{}`",
                cells[c.ts]
            )
        })?,
        // Exporters with broken clocks give nfdump negative durations: none, here.
        duration_ms: (duration_s * 1000.0).round().max(0.0) as i64,
        src_ip: ip(cells[c.sa], "sa")?,
        dst_ip: ip(cells[c.da], "da")?,
        src_port: port(cells[c.sp], "sp")?,
        dst_port: port(cells[c.dp], "dp")?,
        protocol: protocol(cells[c.pr])?,
        tcp_flags: match c.flg {
            Some(i) => flags(cells[i])?,
            None => 0,
        },
        tos: opt(c.stos, "stos")?.min(255) as u8,
        packets: num(c.ipkt, "ipkt")?,
        bytes: num(c.ibyt, "ibyt")?,
        out_packets: opt(c.opkt, "opkt")?,
        out_bytes: opt(c.obyt, "obyt")?,
    })
}

fn ip(s: &str, what: &str) -> Result<IpAddr, String> {
    s.parse()
        .map_err(|_| format!("field `{what}`: expected an IP address, found `{s}`"))
}

/// A port, or nfdump's ICMP `type.code` (type × 256 + code, as NetFlow carries it).
fn port(s: &str, what: &str) -> Result<u16, String> {
    let bad =
        || format!("field `{what}`: expected a port 0..=65535 or ICMP type.code, found `{s}`");
    match s.split_once('.') {
        Some((t, c)) => {
            let t: u8 = t.parse().map_err(|_| bad())?;
            let c: u8 = c.parse().map_err(|_| bad())?;
            Ok(u16::from(t) << 8 | u16::from(c))
        }
        None => s.parse().map_err(|_| bad()),
    }
}

/// nfdump's protocol names (its `protolist`) or a number.
fn protocol(s: &str) -> Result<u8, String> {
    if let Ok(n) = s.parse() {
        return Ok(n);
    }
    let lower = s.to_ascii_lowercase();
    let named = match lower.as_str() {
        "igmp" => Some(2),
        "ipip" | "ipv4" => Some(4),
        "ipv6" => Some(41),
        "gre" => Some(47),
        "esp" => Some(50),
        "ah" => Some(51),
        "ospf" => Some(89),
        "pim" => Some(103),
        "sctp" => Some(132),
        other => protocol_number(other),
    };
    named.ok_or_else(|| format!("field `pr`: expected a protocol number or name (TCP, UDP, ICMP, ICMP6, GRE, ...), found `{s}`"))
}

/// nfdump's flag string (`...AP.SF`: one letter per set flag, `.` for unset) or a hex
/// value (`0x1b`).
fn flags(s: &str) -> Result<u8, String> {
    if let Some(h) = s.strip_prefix("0x") {
        return u8::from_str_radix(h, 16)
            .map_err(|_| format!("field `flg`: expected TCP flags, found `{s}`"));
    }
    s.chars().try_fold(0u8, |acc, ch| {
        let bit = match ch {
            'C' => 0x80,
            'E' => 0x40,
            'U' => 0x20,
            'A' => 0x10,
            'P' => 0x08,
            'R' => 0x04,
            'S' => 0x02,
            'F' => 0x01,
            '.' => 0,
            _ => {
                return Err(format!(
                    "field `flg`: expected letters of CEUAPRSF or `.`, found `{s}`"
                ));
            }
        };
        Ok(acc | bit)
    })
}

/// `YYYY-MM-DD hh:mm:ss[.fff]` read as UTC, in Unix milliseconds.
fn timestamp_ms(s: &str) -> Option<i64> {
    let (date, time) = s.split_once(' ')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let ms = if frac.is_empty() {
        0
    } else {
        let f: String = frac.chars().chain("000".chars()).take(3).collect();
        f.parse::<i64>().ok()?
    };
    let days = days_from_civil(y, m as u32, day as u32);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_as_nfdump_writes_them() {
        assert_eq!(flags("...AP.SF").unwrap(), 0x1b);
        assert_eq!(flags("........").unwrap(), 0);
        assert_eq!(flags("0x12").unwrap(), 0x12);
        assert_eq!(port("3.3", "dp").unwrap(), 771);
        assert_eq!(protocol("ICMP").unwrap(), 1);
        assert_eq!(protocol("ICMP6").unwrap(), 58);
        assert_eq!(protocol("47").unwrap(), 47);
        // `date -u -d '2009-01-04 04:08:34' +%s` = 1231042114.
        assert_eq!(timestamp_ms("2009-01-04 04:08:34"), Some(1_231_042_114_000));
        assert_eq!(
            timestamp_ms("2009-01-04 04:08:34.25"),
            Some(1_231_042_114_250)
        );
        assert!(timestamp_ms("2009-13-04 04:08:34").is_none());
    }

    #[test]
    fn bad_cells_name_the_line_and_field() {
        let text = "ts,te,td,sa,da,sp,dp,pr,flg,stos,ipkt,ibyt\n\
                    2009-01-04 04:08:34,2009-01-04 04:08:34,0.000,10.0.0.1,10.0.0.2,1,2,TCP,....S.,0,1,60\n\
                    2009-01-04 04:08:34,2009-01-04 04:08:34,0.000,10.0.0.1,nope,1,2,TCP,....S.,0,1,60\n";
        let e = read_nfdump_csv(text.as_bytes(), "f.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "f.csv:3: field `da`: expected an IP address, found `nope`"
        );
        let e = read_nfdump_csv(&text.as_bytes()[text.find('\n').unwrap() + 1..], "f.csv")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.csv:1: no header line (`nfdump -q`"), "{e}");
        let e = read_nfdump_csv(b"a,b\n", "f.csv").unwrap_err().to_string();
        assert!(
            e.starts_with("f.csv:1: the header has no column `ts`"),
            "{e}"
        );
    }
}
