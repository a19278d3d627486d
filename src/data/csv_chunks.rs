//! A CSV file's records in chunks, and its columns typed chunk by chunk.
//!
//! polars reads every CSV cell as a string (the loader types them, so that a bad cell can
//! be named by its line). A string cell costs 16 bytes of view plus its text, so a
//! 2.8-million-row, 79-column file held as text takes several times its size on disk.
//! Here the records are cut into chunks of about [`CHUNK_BYTES`]; each chunk is parsed
//! on its own and each column that the caller may want as numbers is converted at once,
//! so only one chunk is ever held as text. A column that turns out not to be all numbers
//! is read again as text (the earlier chunks once more), which is what the loader would
//! have seen.
//!
//! Blank lines between records are skipped (polars would read each as a record of empty
//! cells). Line numbers survive without the text: [`LineIndex`] records where the record
//! count and the line count part ways (blank lines, newlines inside quotes).

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

use polars::prelude::*;
use rayon::prelude::*;

/// Target size of one chunk of records.
pub(crate) const CHUNK_BYTES: usize = 16 << 20;

/// Parse a numeric cell: surrounding spaces ignored; `inf`, `Infinity`, `-Infinity`, `NaN`
/// (any case) accepted; an empty cell is missing (NaN).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// The line of each record without the text: record `r` is on line
/// `first_line + r + shift`, where `shift` is that of the last entry of `shifts` at or
/// before `r`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineIndex {
    first_line: usize,
    /// `(record, extra lines before it)`, increasing in both.
    shifts: Vec<(usize, usize)>,
}

impl LineIndex {
    /// 1-based line of record `row` (0-based).
    pub(crate) fn line_of(&self, row: usize) -> usize {
        let k = self.shifts.partition_point(|&(r, _)| r <= row);
        let shift = if k == 0 { 0 } else { self.shifts[k - 1].1 };
        self.first_line + row + shift
    }
}

/// Records of a text cut into chunks: chunk `i` is `text[bounds[i]..bounds[i + 1]]`.
pub(crate) struct Chunks {
    pub bounds: Vec<usize>,
    /// Records in each chunk.
    pub records: Vec<usize>,
    pub lines: LineIndex,
    /// Byte ranges of the blank lines between records, left out of the parse (polars
    /// would read each as a record of empty cells).
    pub blanks: Vec<(usize, usize)>,
}

impl Chunks {
    /// The text of chunk `c` without its blank lines (borrowed when it has none).
    pub(crate) fn text<'a>(&self, text: &'a [u8], c: usize) -> Cow<'a, [u8]> {
        let (lo, hi) = (self.bounds[c], self.bounds[c + 1]);
        let first = self.blanks.partition_point(|b| b.0 < lo);
        let inside = &self.blanks[first..self.blanks.partition_point(|b| b.0 < hi)];
        if inside.is_empty() {
            return Cow::Borrowed(&text[lo..hi]);
        }
        let mut out = Vec::with_capacity(hi - lo);
        let mut at = lo;
        for &(b0, b1) in inside {
            out.extend_from_slice(&text[at..b0]);
            at = b1.min(hi);
        }
        out.extend_from_slice(&text[at..hi]);
        Cow::Owned(out)
    }
}

/// Scan `text` (the records after the header, starting on line `first_line`): blank lines
/// are skipped (as polars does) and newlines inside double quotes do not end a record.
/// A text with a quote is one chunk: where polars and a plain quote toggle could disagree
/// on a record's end, cutting there could split a record.
pub(crate) fn scan(text: &[u8], first_line: usize, chunk_bytes: usize) -> Chunks {
    let cut = memchr::memchr(b'"', text).is_none();
    let mut out = Chunks {
        bounds: vec![0],
        records: vec![0],
        lines: LineIndex {
            first_line,
            shifts: Vec::new(),
        },
        blanks: Vec::new(),
    };
    let (mut i, mut record, mut extra) = (0, 0, 0);
    while i < text.len() {
        let eol = memchr_nl(&text[i..]).map_or(text.len(), |p| i + p);
        let content = &text[i..eol];
        if content.is_empty() || content == b"\r" {
            extra += 1;
            out.blanks.push((i, (eol + 1).min(text.len())));
            i = eol + 1;
            continue;
        }
        if cut && i - out.bounds[out.bounds.len() - 1] >= chunk_bytes {
            out.bounds.push(i);
            out.records.push(0);
        }
        if out.lines.shifts.last().map_or(0, |s| s.1) != extra {
            out.lines.shifts.push((record, extra));
        }
        // Without quotes a record is its line.
        i = if cut {
            eol + 1
        } else {
            record_end(text, i, &mut extra)
        };
        record += 1;
        *out.records.last_mut().expect("one chunk at least") += 1;
    }
    out.bounds.push(text.len());
    out
}

/// The offset after the record starting at `i`, counting its inner newlines into `extra`.
fn record_end(text: &[u8], mut i: usize, extra: &mut usize) -> usize {
    let mut quoted = false;
    while i < text.len() {
        let b = text[i];
        i += 1;
        if b == b'"' {
            quoted = !quoted;
        } else if b == b'\n' {
            if !quoted {
                return i;
            }
            *extra += 1;
        }
    }
    i
}

fn memchr_nl(s: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', s)
}

/// How a column is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    Text,
    /// As numbers when every cell of the file parses ([`parse_number`]), else as text.
    NumbersIfAll,
}

/// A column as accumulated over the chunks.
pub(crate) enum Typed {
    Text(StringChunked),
    Num(Vec<f64>),
}

impl Typed {
    pub(crate) fn len(&self) -> usize {
        match self {
            Typed::Text(s) => s.len(),
            Typed::Num(v) => v.len(),
        }
    }
}

/// Parse `text` as headerless records of text columns `names` (only `projection`'s).
pub(crate) fn parse_part(
    text: &[u8],
    names: &[String],
    projection: Option<Vec<usize>>,
) -> PolarsResult<DataFrame> {
    let schema: Schema = names
        .iter()
        .map(|n| Field::new(n.as_str().into(), DataType::String))
        .collect();
    CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_raise_if_empty(false)
        .with_projection(projection.map(Arc::new))
        .map_parse_options(|p| p.with_encoding(CsvEncoding::LossyUtf8))
        .into_reader_with_file_handle(Cursor::new(text))
        .finish()
}

/// Every column of `text`, typed as `keep` asks, chunk by chunk; `None` when polars
/// counted other records in a chunk than the scan (the caller then reads the text as one
/// chunk, which is not compared).
pub(crate) fn read_typed(
    text: &[u8],
    chunks: &Chunks,
    names: &[String],
    keep: &[Keep],
) -> PolarsResult<Option<Vec<Typed>>> {
    let mut cols: Vec<Typed> = keep
        .iter()
        .zip(names)
        .map(|(k, name)| match k {
            Keep::Text => Typed::Text(empty_text(name)),
            Keep::NumbersIfAll => Typed::Num(Vec::new()),
        })
        .collect();
    let n_chunks = chunks.records.len();
    for c in 0..n_chunks {
        let df = parse_part(&chunks.text(text, c), names, None)?;
        if n_chunks > 1 && df.height() != chunks.records[c] {
            return Ok(None);
        }
        let reread = |j: usize| -> PolarsResult<StringChunked> {
            let mut s = empty_text(&names[j]);
            for p in 0..c {
                let part = chunks.text(text, p);
                s.append(parse_part(&part, names, Some(vec![j]))?.columns()[0].str()?)?;
            }
            Ok(s)
        };
        cols.par_iter_mut()
            .zip(df.columns().par_iter())
            .enumerate()
            .try_for_each(|(j, (acc, col))| add_chunk(acc, col.str()?, || reread(j)))?;
    }
    Ok(Some(cols))
}

fn empty_text(name: &str) -> StringChunked {
    StringChunked::new(name.into(), &[] as &[&str])
}

/// Append one chunk's cells to a column; a numeric column meeting a cell that is not a
/// number becomes text, its earlier chunks taken from `earlier`.
fn add_chunk(
    acc: &mut Typed,
    cells: &StringChunked,
    earlier: impl FnOnce() -> PolarsResult<StringChunked>,
) -> PolarsResult<()> {
    if let Typed::Num(v) = acc {
        let start = v.len();
        v.reserve(cells.len());
        for cell in cells.iter() {
            match cell.map_or(Some(f64::NAN), parse_number) {
                Some(x) => v.push(x),
                None => {
                    v.truncate(start);
                    *acc = Typed::Text(earlier()?);
                    break;
                }
            }
        }
    }
    if let Typed::Text(s) = acc {
        s.append(cells)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every record by a plain count over the text.
    fn lines_by_hand(text: &str, first: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let (mut line, mut quoted, mut at_start) = (first, false, true);
        for raw in text.split_inclusive('\n') {
            let blank = raw.trim_end_matches(['\n', '\r']).is_empty();
            if at_start && !quoted && blank {
                line += 1;
                continue;
            }
            if at_start && !quoted {
                out.push(line);
            }
            quoted ^= raw.matches('"').count() % 2 == 1;
            at_start = !quoted;
            line += 1;
        }
        out
    }

    #[test]
    fn line_index_matches_a_count_with_blank_lines_and_quoted_newlines() {
        let text = "1,a\n\n2,b\r\n3,\"x\ny\"\n\n\n4,c\n5,d";
        let chunks = scan(text.as_bytes(), 2, 1);
        let want = lines_by_hand(text, 2);
        assert_eq!(want, vec![2, 4, 5, 9, 10]);
        let got: Vec<usize> = (0..5).map(|r| chunks.lines.line_of(r)).collect();
        assert_eq!(got, want);
        // a quote anywhere: one chunk
        assert_eq!(chunks.bounds, vec![0, text.len()]);
        // the blank lines are left out of what is parsed
        assert_eq!(
            &*chunks.text(text.as_bytes(), 0),
            b"1,a\n2,b\r\n3,\"x\ny\"\n4,c\n5,d"
        );
    }

    #[test]
    fn chunks_cut_at_record_starts_and_count_records() {
        let text = "1,a\n2,b\n\n3,c\n4,d\n";
        let chunks = scan(text.as_bytes(), 1, 6);
        // the blank line stays with the chunk before it
        assert_eq!(chunks.bounds, vec![0, 9, text.len()]);
        assert_eq!(chunks.records, vec![2, 2]);
        assert_eq!(chunks.lines.line_of(2), 4);
    }

    #[test]
    fn a_column_with_text_in_a_later_chunk_is_text_from_the_first_row() {
        let text = b"1,x\n2,y\n3,z\nfour,w\n5,v\n";
        let chunks = scan(text, 1, 4);
        assert!(chunks.records.len() >= 4, "{:?}", chunks.records);
        let names = vec!["a".to_string(), "b".to_string()];
        let keep = [Keep::NumbersIfAll, Keep::NumbersIfAll];
        let cols = read_typed(text, &chunks, &names, &keep).unwrap().unwrap();
        let Typed::Text(a) = &cols[0] else {
            panic!("column a should be text")
        };
        let a: Vec<Option<&str>> = a.iter().collect();
        assert_eq!(
            a,
            [Some("1"), Some("2"), Some("3"), Some("four"), Some("5")]
        );
        assert!(matches!(&cols[1], Typed::Text(_)));
    }

    #[test]
    fn numeric_columns_parse_every_chunk_in_order() {
        let text = b"1, Infinity\n2,\n3,-1e3\n";
        let chunks = scan(text, 1, 1);
        let names = vec!["a".to_string(), "b".to_string()];
        let cols = read_typed(
            text,
            &chunks,
            &names,
            &[Keep::NumbersIfAll, Keep::NumbersIfAll],
        )
        .unwrap()
        .unwrap();
        let Typed::Num(a) = &cols[0] else { panic!() };
        assert_eq!(a, &[1.0, 2.0, 3.0]);
        let Typed::Num(b) = &cols[1] else { panic!() };
        assert_eq!(b[0], f64::INFINITY);
        assert!(b[1].is_nan());
        assert_eq!(b[2], -1000.0);
    }
}
