//! Reading one file into raw columns: bytes (gzip decompressed here, so that a truncated
//! stream is reported with the file name), sha256 of the uncompressed content, and the
//! CSV or Parquet parse by polars.
//!
//! CSV cells are read as text (polars, all columns `String`, invalid UTF-8 replaced) and
//! typed later by the loader, which knows which columns must be numeric and can then point
//! at the exact line of a bad cell. Parquet columns keep their types: numeric columns
//! become `f64`, everything else text.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::DataError;
use super::csv_chunks::{self, Keep, LineIndex, Typed};

/// A column as read, before the loader decides numeric vs categorical.
#[derive(Clone)]
pub(crate) enum RawColumn {
    /// Text cells (`None` = empty cell).
    Text(StringChunked),
    /// Already numeric (Parquet); missing = NaN.
    Num(Arc<Vec<f64>>),
}

/// One file, read.
pub(crate) struct RawFile {
    pub path: PathBuf,
    /// Size on disk.
    pub bytes_on_disk: u64,
    /// Size of the uncompressed content.
    pub bytes: u64,
    /// sha256 (hex) of the uncompressed content, unless hashing was off.
    pub sha256: Option<String>,
    /// Column names (deduplicated; trimmed if asked).
    pub names: Vec<String>,
    /// Column names as in the file (before trimming/deduplication).
    pub original_names: Vec<String>,
    pub columns: Vec<RawColumn>,
    pub rows: usize,
    /// CSV only: the line of each record, for error messages.
    lines: Option<LineIndex>,
    /// CSV only: where the records start in the uncompressed content, to read a column's
    /// text again when the column was kept as numbers.
    records_start: Option<usize>,
    /// Without text: the line (or 1-based record) number of record 0.
    first_record_line: usize,
}

impl RawFile {
    /// 1-based line number (in the uncompressed file) of data record `row` (0-based).
    pub(crate) fn line_of(&self, row: usize) -> usize {
        match &self.lines {
            Some(index) => index.line_of(row),
            // Parquet has no lines: the 1-based row; Zeek logs: after the header lines.
            None => row + self.first_record_line,
        }
    }

    /// A file read by another reader (captures, Zeek logs): typed columns with unique
    /// names; record `r` is reported as line `first_record_line + r`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_columns(
        path: &Path,
        bytes_on_disk: u64,
        bytes: u64,
        sha256: Option<String>,
        names: Vec<String>,
        columns: Vec<RawColumn>,
        rows: usize,
        first_record_line: usize,
    ) -> RawFile {
        RawFile {
            path: path.to_path_buf(),
            bytes_on_disk,
            bytes,
            sha256,
            original_names: names.clone(),
            names: dedupe_names(&names, false),
            columns,
            rows,
            lines: None,
            records_start: None,
            first_record_line,
        }
    }

    /// The text of CSV column `j` as in the file, read again (`None` for other files).
    /// A column kept as numbers has lost its text ("1.50" became 1.5), which a categorical
    /// column needs.
    pub(crate) fn text_column(&self, j: usize) -> Result<Option<StringChunked>, DataError> {
        let Some(start) = self.records_start else {
            return Ok(None);
        };
        let parse_err = |e: PolarsError| DataError::Parse {
            path: self.path.clone(),
            format: "CSV",
            message: e.to_string(),
        };
        let (bytes, _) = read_bytes(&self.path)?;
        let text = &bytes[start..];
        let whole = csv_chunks::scan(text, 1, usize::MAX);
        let df = csv_chunks::parse_part(&whole.text(text, 0), &self.names, Some(vec![j]))
            .map_err(parse_err)?;
        let col = df.columns()[0].str().map_err(parse_err)?.clone();
        if col.len() != self.rows {
            return Err(DataError::Parse {
                path: self.path.clone(),
                format: "CSV",
                message: format!(
                    "the file changed while it was read ({} rows, then {})",
                    self.rows,
                    col.len()
                ),
            });
        }
        Ok(Some(col))
    }

    /// Position of the column called `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Cell text (trimmed) of a text column, or the number formatted for a numeric one.
    pub(crate) fn cell_text(&self, col: usize, row: usize) -> Option<String> {
        match &self.columns[col] {
            RawColumn::Text(s) => s.get(row).map(|v| v.trim().to_string()),
            RawColumn::Num(v) => {
                let x = v[row];
                if x.is_nan() {
                    None
                } else {
                    Some(format_number(x))
                }
            }
        }
    }
}

/// A number as label text: integers without a decimal point (`1`, not `1.0`).
pub(crate) fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// How to read a CSV file.
pub(crate) struct CsvOptions<'a> {
    /// Whether the first line is a header.
    pub header: bool,
    /// Names for a file without a header.
    pub names: Option<&'a [String]>,
    /// Trim spaces around header names.
    pub trim_names: bool,
    /// Compute the sha256 of the uncompressed content.
    pub hash: bool,
    /// How each column (by name) is kept; `None`: every column as text.
    pub keep: Option<&'a (dyn Fn(&str) -> Keep + Sync)>,
}

/// Whether a path names a gzip file (by extension).
fn is_gzip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// The uncompressed content of a file and its size on disk. Gzip files (by extension or
/// magic bytes) are decompressed, all members of a multi-member stream included.
pub(crate) fn read_bytes(path: &Path) -> Result<(Vec<u8>, u64), DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let on_disk = raw.len() as u64;
    if is_gzip(path) || raw.starts_with(&[0x1f, 0x8b]) {
        Ok((gunzip(path, &raw)?, on_disk))
    } else {
        Ok((raw, on_disk))
    }
}

fn gunzip(path: &Path, raw: &[u8]) -> Result<Vec<u8>, DataError> {
    let mut dec = flate2::read::MultiGzDecoder::new(raw);
    let mut out = Vec::with_capacity(raw.len() * 6);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match dec.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(DataError::TruncatedGzip {
                    path: path.to_path_buf(),
                    bytes: out.len() as u64,
                });
            }
            Err(e) => {
                return Err(DataError::CorruptGzip {
                    path: path.to_path_buf(),
                    bytes: out.len() as u64,
                    message: e.to_string(),
                });
            }
        }
    }
}

/// sha256 (lower-case hex) of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Read a CSV file (plain or gzip).
pub(crate) fn read_csv(path: &Path, opts: &CsvOptions) -> Result<RawFile, DataError> {
    let (bytes, on_disk) = read_bytes(path)?;
    let n_bytes = bytes.len() as u64;
    let bom = if bytes.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let empty = |detail: &str| DataError::EmptyFile {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    if bytes[bom..].iter().all(|b| b.is_ascii_whitespace()) {
        return Err(empty(if bytes.is_empty() {
            "0 bytes"
        } else {
            "only whitespace"
        }));
    }
    let (original_names, data_start, first_line) = csv_header(&bytes, bom, opts);
    if bytes[data_start..].iter().all(|b| b.is_ascii_whitespace()) {
        return Err(empty("a header line but no data rows"));
    }
    if !opts.header {
        check_field_count(path, &bytes[data_start..], original_names.len())?;
    }
    let names = dedupe_names(&original_names, opts.trim_names);
    let keep: Vec<Keep> = names
        .iter()
        .map(|n| opts.keep.map_or(Keep::Text, |f| f(n)))
        .collect();
    let (sha256, parsed) = rayon::join(
        || opts.hash.then(|| sha256_hex(&bytes)),
        || parse_csv(path, &bytes[data_start..], first_line, &names, &keep),
    );
    let (columns, rows, lines) = parsed?;
    if rows == 0 {
        return Err(empty("no data rows"));
    }
    Ok(RawFile {
        path: path.to_path_buf(),
        bytes_on_disk: on_disk,
        bytes: n_bytes,
        sha256,
        names,
        original_names,
        columns,
        rows,
        lines: Some(lines),
        records_start: Some(data_start),
        first_record_line: 1,
    })
}

/// The first record of a header-less file must have one field per given name.
fn check_field_count(path: &Path, text: &[u8], expected: usize) -> Result<(), DataError> {
    let (skipped, line) = text
        .split(|&b| b == b'\n')
        .enumerate()
        .find(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
        .unwrap_or((0, &[][..]));
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches('\r');
    let found = split_header(line).len();
    if found == expected {
        return Ok(());
    }
    let first: String = if line.chars().count() > 200 {
        line.chars().take(200).chain("...".chars()).collect()
    } else {
        line.to_string()
    };
    Err(DataError::ColumnCount {
        path: path.to_path_buf(),
        line: skipped + 1,
        expected,
        found,
        first,
        hint: String::new(),
    })
}

/// The column names, the offset of the first record and its line number.
fn csv_header(bytes: &[u8], bom: usize, opts: &CsvOptions) -> (Vec<String>, usize, usize) {
    if opts.header {
        let nl = bytes[bom..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| bom + p);
        let header = String::from_utf8_lossy(&bytes[bom..nl]);
        let names = split_header(header.trim_end_matches('\r'));
        (names, (nl + 1).min(bytes.len()), 2)
    } else {
        let names = opts.names.map(|n| n.to_vec()).unwrap_or_default();
        (names, bom, 1)
    }
}

/// Parse the records of `text` (the file after its header, starting on line
/// `first_line`) into columns named `names`, kept as `keep` says: the columns, the number
/// of rows and the line of each record.
fn parse_csv(
    path: &Path,
    text: &[u8],
    first_line: usize,
    names: &[String],
    keep: &[Keep],
) -> Result<(Vec<RawColumn>, usize, LineIndex), DataError> {
    let parse_err = |e: PolarsError| DataError::Parse {
        path: path.to_path_buf(),
        format: "CSV",
        message: e.to_string(),
    };
    let mut chunks = csv_chunks::scan(text, first_line, csv_chunks::CHUNK_BYTES);
    let typed = match csv_chunks::read_typed(text, &chunks, names, keep).map_err(parse_err)? {
        Some(t) => t,
        None => {
            // polars split the records otherwise than the scan: read the text whole.
            chunks.bounds = vec![0, text.len()];
            chunks.records = vec![0];
            csv_chunks::read_typed(text, &chunks, names, keep)
                .map_err(parse_err)?
                .expect("a single chunk is not compared with the scan")
        }
    };
    let rows = typed.first().map_or(0, Typed::len);
    let columns = typed
        .into_iter()
        .map(|t| match t {
            Typed::Text(s) => RawColumn::Text(s),
            Typed::Num(v) => RawColumn::Num(Arc::new(v)),
        })
        .collect();
    Ok((columns, rows, chunks.lines))
}

/// Read a Parquet file. Numeric and boolean columns become numbers, the rest text.
pub(crate) fn read_parquet(
    path: &Path,
    trim_names: bool,
    hash: bool,
) -> Result<RawFile, DataError> {
    let (bytes, on_disk) = read_bytes(path)?;
    if bytes.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
            detail: "0 bytes".into(),
        });
    }
    let sha256 = hash.then(|| sha256_hex(&bytes));
    let parse_err = |e: PolarsError| DataError::Parse {
        path: path.to_path_buf(),
        format: "Parquet",
        message: e.to_string(),
    };
    let df = ParquetReader::new(Cursor::new(bytes.as_slice()))
        .finish()
        .map_err(parse_err)?;
    let rows = df.height();
    if rows == 0 {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
            detail: "no data rows".into(),
        });
    }
    let original_names: Vec<String> = df.columns().iter().map(|c| c.name().to_string()).collect();
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let dt = c.dtype();
        let col = if dt.is_primitive_numeric() || dt.is_bool() {
            let f = c.cast(&DataType::Float64).map_err(parse_err)?;
            let ca = f.f64().map_err(parse_err)?;
            RawColumn::Num(Arc::new(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
        } else {
            let s = c.cast(&DataType::String).map_err(parse_err)?;
            RawColumn::Text(s.str().map_err(parse_err)?.clone())
        };
        columns.push(col);
    }
    Ok(RawFile {
        path: path.to_path_buf(),
        bytes_on_disk: on_disk,
        bytes: bytes.len() as u64,
        sha256,
        names: dedupe_names(&original_names, trim_names),
        original_names,
        columns,
        rows,
        lines: None,
        records_start: None,
        first_record_line: 1,
    })
}

/// Split a header line on commas (double quotes group, `""` is a quote).
fn split_header(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Trim (if asked), name empty headers `column_<i>` (1-based), and make repeated names
/// unique the pandas way: the second `x` becomes `x.1`, the third `x.2`.
/// Column names made unique the way pandas does (`a`, `a.1`, `a.2`), optionally trimmed;
/// an empty name becomes `column_N`.
pub fn dedupe_names(names: &[String], trim: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let base = if trim {
            n.trim().to_string()
        } else {
            n.clone()
        };
        let base = if base.is_empty() {
            format!("column_{}", i + 1)
        } else {
            base
        };
        let mut name = base.clone();
        let mut k = 1;
        while out.contains(&name) {
            name = format!("{base}.{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

/// `n` with a comma every three digits.
pub(crate) fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The last component of a path (the whole path when it has none).
pub(crate) fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |s| s.to_string_lossy().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separator() {
        assert_eq!(thousands(82332), "82,332");
        assert_eq!(thousands(125973), "125,973");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn header_split_and_dedupe() {
        assert_eq!(split_header(r#"a, "b,c","d""e""#), ["a", " b,c", "d\"e"]);
        let n: Vec<String> = [" Fwd Header Length", "x", " Fwd Header Length", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            dedupe_names(&n, true),
            ["Fwd Header Length", "x", "Fwd Header Length.1", "column_4"]
        );
        assert_eq!(dedupe_names(&n, false)[2], " Fwd Header Length.1");
    }

    #[test]
    fn record_lines_skip_blank_lines_and_quoted_newlines() {
        // line 2: record 0; line 3: blank; lines 4-5: record 1 (quoted newline); line 6: record 2
        let text = b"a,1\n\n\"x\ny\",2\r\nb,3\n";
        let lines = csv_chunks::scan(text, 2, csv_chunks::CHUNK_BYTES).lines;
        assert_eq!(lines.line_of(0), 2);
        assert_eq!(lines.line_of(1), 4);
        assert_eq!(lines.line_of(2), 6);
    }

    #[test]
    fn sha256_of_known_input() {
        // printf 'abc' | sha256sum
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
