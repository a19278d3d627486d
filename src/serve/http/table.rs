//! From what a client sent (JSON cells, CSV text) to the [`Table`] the scoring core takes:
//! the columns checked against the model's (missing, unexpected, given twice), every row
//! of the same width, every cell of the kind its column needs. Each refusal names the
//! column and the row (or the CSV line).

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::error::HttpError;
use crate::data::table::MISSING;
use crate::data::{Column, ColumnData, Table};
use crate::preprocess::InputColumn;
use crate::score::Scorer;

/// One value as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Num(f64),
    Text(String),
    Bool(bool),
    Null,
}

impl Cell {
    /// What the value is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Num(_) => "a number",
            Cell::Text(_) => "a string",
            Cell::Bool(_) => "a boolean",
            Cell::Null => "null",
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a string, a boolean or null")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
        Ok(Cell::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
        Ok(Cell::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
        Ok(Cell::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
        Ok(Cell::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
        Ok(Cell::Text(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cell, E> {
        Ok(Cell::Text(v))
    }
    fn visit_unit<E>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }
    fn visit_none<E>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }
}

/// A JSON object of cells, keys in the order sent (a record of `dataframe_records`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record(pub Vec<(String, Cell)>);

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of column name to value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut cells = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((k, v)) = map.next_entry::<String, Cell>()? {
            cells.push((k, v));
        }
        Ok(Record(cells))
    }
}

/// What the model expects of an input table.
#[derive(Debug, Clone)]
pub struct ModelColumns {
    /// The model's input columns, in its order.
    pub columns: Vec<InputColumn>,
    /// Columns that may be sent and are ignored (the training label, identifiers).
    pub skip: Vec<String>,
    /// Trim spaces around the sent names (the rule `predict` applies to a CSV header).
    pub trim_names: bool,
}

impl ModelColumns {
    pub fn of(scorer: &Scorer) -> Self {
        let h = scorer.header();
        ModelColumns {
            columns: h.input_columns.clone(),
            skip: h.non_feature_columns.clone(),
            trim_names: scorer.names_are_trimmed(),
        }
    }
}

/// Named columns of cells, as sent, before they are checked against the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub names: Vec<String>,
    pub columns: Vec<Vec<Cell>>,
    /// CSV input: the line each row starts on (rows are named by line, not by index).
    pub lines: Option<Vec<usize>>,
}

impl Frame {
    /// Columns from rows (`dataframe_split`'s `data`, CSV records); every row must have
    /// one value per name.
    pub fn from_rows(names: Vec<String>, rows: Vec<Vec<Cell>>) -> Result<Self, HttpError> {
        let mut frame = Frame::empty(names, rows.len());
        frame.push_rows(rows)?;
        Ok(frame)
    }

    fn empty(names: Vec<String>, n_rows: usize) -> Self {
        let columns = names.iter().map(|_| Vec::with_capacity(n_rows)).collect();
        Frame {
            names,
            columns,
            lines: None,
        }
    }

    fn push_rows(&mut self, rows: Vec<Vec<Cell>>) -> Result<(), HttpError> {
        let expected = self.names.len();
        for (i, row) in rows.into_iter().enumerate() {
            if row.len() != expected {
                return Err(HttpError::Width {
                    row: self.row_name(i),
                    got: row.len(),
                    expected,
                });
            }
            for (col, cell) in self.columns.iter_mut().zip(row) {
                col.push(cell);
            }
        }
        Ok(())
    }

    /// Columns from records (objects of name to value); every record must have the same
    /// keys, so that a misspelt key is an error rather than a silently missing value.
    pub fn from_records(records: Vec<Record>) -> Result<Self, HttpError> {
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for Record(cells) in &records {
            for (k, _) in cells {
                if !index.contains_key(k) {
                    index.insert(k.clone(), names.len());
                    names.push(k.clone());
                }
            }
        }
        let mut frame = Frame::empty(names, records.len());
        for (i, Record(cells)) in records.into_iter().enumerate() {
            let mut row = vec![None; frame.names.len()];
            for (k, v) in cells {
                let slot = &mut row[index[&k]];
                if slot.is_some() {
                    return Err(HttpError::Duplicate(k));
                }
                *slot = Some(v);
            }
            for (j, cell) in row.into_iter().enumerate() {
                let Some(cell) = cell else {
                    return Err(HttpError::Cell {
                        column: frame.names[j].clone(),
                        row: frame.row_name(i),
                        problem: "missing (every record needs the same keys; send null for \
                                  a missing value)"
                            .into(),
                    });
                };
                frame.columns[j].push(cell);
            }
        }
        Ok(frame)
    }

    /// Columns given as name -> values; all of the same length.
    pub fn from_columns(columns: Vec<(String, Vec<Cell>)>) -> Result<Self, HttpError> {
        if let Some((first, rest)) = columns.split_first() {
            for (name, values) in rest {
                if values.len() != first.1.len() {
                    return Err(HttpError::Shape(format!(
                        "column `{name}` has {} values but `{}` has {}",
                        values.len(),
                        first.0,
                        first.1.len()
                    )));
                }
            }
        }
        let (names, columns) = columns.into_iter().unzip();
        Ok(Frame {
            names,
            columns,
            lines: None,
        })
    }

    /// A CSV document with a header line (RFC 4180 quoting).
    pub fn from_csv(text: &str) -> Result<Self, HttpError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = csv_records(text)?.into_iter();
        let Some((_, header)) = records.next() else {
            return Err(HttpError::Empty("the CSV body is empty".into()));
        };
        let (lines, rows): (Vec<usize>, Vec<Vec<Cell>>) = records
            .map(|(line, fields)| (line, fields.into_iter().map(Cell::Text).collect()))
            .unzip();
        let mut frame = Frame::empty(header, rows.len());
        frame.lines = Some(lines);
        frame.push_rows(rows)?;
        Ok(frame)
    }

    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// How row `i` (from 0) is named in messages: its CSV line, or its number counted
    /// from 1 (as `anomalab predict` and the preprocessing messages count rows).
    pub fn row_name(&self, i: usize) -> String {
        match &self.lines {
            Some(lines) => format!("line {}", lines[i]),
            None => format!("row {}", i + 1),
        }
    }

    /// The model's columns, in the model's order, typed as the model needs them.
    pub fn into_table(mut self, model: &ModelColumns) -> Result<Table, HttpError> {
        if model.trim_names {
            for n in &mut self.names {
                *n = n.trim().to_string();
            }
        }
        // A CSV header names a repeated column `x`, `x.1`, as the CSV reader of `predict`
        // and training do (CICFlowMeter writes `Fwd Header Length` twice).
        if self.lines.is_some() {
            self.names = crate::data::dedupe_names(&self.names, false);
        }
        if self.names.is_empty() {
            return Err(HttpError::Empty("no columns were sent".into()));
        }
        if self.n_rows() == 0 {
            return Err(HttpError::Empty("0 rows were sent".into()));
        }
        let positions = self.plan(model)?;
        let mut columns = Vec::with_capacity(positions.len());
        for (col, &j) in model.columns.iter().zip(&positions) {
            let cells = std::mem::take(&mut self.columns[j]);
            let data = if col.categorical {
                self.text_column(&col.name, cells)?
            } else {
                self.numeric_column(&col.name, cells)?
            };
            columns.push(Column {
                name: col.name.clone(),
                data,
            });
        }
        Ok(Table { columns })
    }

    /// For each model column, its index among the sent ones.
    fn plan(&self, model: &ModelColumns) -> Result<Vec<usize>, HttpError> {
        let mut seen = HashMap::with_capacity(self.names.len());
        for (j, n) in self.names.iter().enumerate() {
            if seen.insert(n.as_str(), j).is_some() {
                return Err(HttpError::Duplicate(n.clone()));
            }
        }
        let missing: Vec<String> = model
            .columns
            .iter()
            .filter(|c| !seen.contains_key(c.name.as_str()))
            .map(|c| c.name.clone())
            .collect();
        let extra: Vec<String> = self
            .names
            .iter()
            .filter(|n| !model.columns.iter().any(|c| &c.name == *n) && !model.skip.contains(n))
            .cloned()
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(HttpError::Columns { missing, extra });
        }
        Ok(model
            .columns
            .iter()
            .map(|c| seen[c.name.as_str()])
            .collect())
    }

    fn numeric_column(&self, name: &str, cells: Vec<Cell>) -> Result<ColumnData, HttpError> {
        let mut values = Vec::with_capacity(cells.len());
        for (i, cell) in cells.into_iter().enumerate() {
            values.push(match cell {
                Cell::Num(x) => x,
                Cell::Null => f64::NAN,
                Cell::Bool(b) => f64::from(u8::from(b)),
                // The rule of a CSV cell read by `predict`: trimmed, empty is missing, and
                // `inf`/`Infinity`/`NaN` are numbers (JSON has no literal for them).
                Cell::Text(s) => {
                    crate::data::loader::parse_number(&s).ok_or_else(|| HttpError::Cell {
                        column: name.to_string(),
                        row: self.row_name(i),
                        problem: format!("{s:?} is not a number (the model reads numbers here)"),
                    })?
                }
            });
        }
        Ok(ColumnData::Numeric(values))
    }

    fn text_column(&self, name: &str, cells: Vec<Cell>) -> Result<ColumnData, HttpError> {
        let mut levels: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut codes = Vec::with_capacity(cells.len());
        for (i, cell) in cells.into_iter().enumerate() {
            let text = match cell {
                Cell::Text(s) => s.trim().to_string(),
                // How the fitted pipeline itself reads a number in a text column.
                Cell::Num(x) => format!("{x}"),
                Cell::Null => String::new(),
                Cell::Bool(_) => {
                    return Err(HttpError::Cell {
                        column: name.to_string(),
                        row: self.row_name(i),
                        problem: "a boolean, but this is a text column (send a string)".into(),
                    });
                }
            };
            if text.is_empty() {
                codes.push(MISSING);
                continue;
            }
            let next = levels.len() as u32;
            let code = *index.entry(text).or_insert_with_key(|t| {
                levels.push(t.clone());
                next
            });
            codes.push(code);
        }
        Ok(ColumnData::Categorical { codes, levels })
    }
}

/// The records of a CSV document with the line each starts on. Blank lines are skipped
/// (as pandas does); a quoted field may hold commas, newlines and doubled quotes.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, HttpError> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        loop {
            match chars.next() {
                None => break,
                Some('\n') => {
                    line += 1;
                    break;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some(',') => fields.push(std::mem::take(&mut field)),
                Some('"') if field.trim().is_empty() => {
                    field.clear();
                    line = quoted_field(&mut chars, &mut field, line)?;
                }
                Some(c) => field.push(c),
            }
        }
        fields.push(field);
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push((start, fields));
        }
    }
    Ok(records)
}

/// Read a quoted field after its opening quote up to the closing one; returns the line
/// the reader is on afterwards.
fn quoted_field(
    chars: &mut std::iter::Peekable<std::str::Chars>,
    field: &mut String,
    mut line: usize,
) -> Result<usize, HttpError> {
    let opened = line;
    loop {
        match chars.next() {
            None => {
                return Err(HttpError::Csv(format!(
                    "line {opened}: a quoted field is not closed"
                )));
            }
            Some('"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            Some('"') => break,
            Some(c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    match chars.peek() {
        None | Some(',' | '\n' | '\r') => Ok(line),
        Some(c) => Err(HttpError::Csv(format!(
            "line {line}: unexpected {c:?} after a closing quote"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelColumns {
        ModelColumns {
            columns: vec![
                InputColumn {
                    name: "a".into(),
                    categorical: false,
                },
                InputColumn {
                    name: "proto".into(),
                    categorical: true,
                },
            ],
            skip: vec!["label".into()],
            trim_names: true,
        }
    }

    fn num(x: f64) -> Cell {
        Cell::Num(x)
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn a_csv_header_names_a_repeated_column_like_the_csv_reader() {
        let mut m = model();
        m.columns[1] = InputColumn {
            name: "a.1".into(),
            categorical: false,
        };
        let t = Frame::from_csv(" a ,a\n1,2\n")
            .unwrap()
            .into_table(&m)
            .unwrap();
        assert_eq!(t.names(), vec!["a", "a.1"]);
        assert_eq!(t.columns[1].data, ColumnData::Numeric(vec![2.0]));
    }

    #[test]
    fn rows_become_model_columns_in_model_order() {
        let f = Frame::from_rows(
            vec!["proto".into(), " a ".into(), "label".into()],
            vec![
                vec![text("tcp"), num(1.5), text("x")],
                vec![num(6.0), Cell::Null, Cell::Null],
                vec![text("tcp"), text("Infinity"), Cell::Null],
            ],
        )
        .unwrap();
        let t = f.into_table(&model()).unwrap();
        assert_eq!(t.names(), vec!["a", "proto"]);
        let ColumnData::Numeric(a) = &t.columns[0].data else {
            panic!("numeric")
        };
        assert_eq!(a[0], 1.5);
        assert!(a[1].is_nan());
        assert_eq!(a[2], f64::INFINITY);
        assert_eq!(
            t.columns[1].data,
            ColumnData::Categorical {
                codes: vec![0, 1, 0],
                levels: vec!["tcp".into(), "6".into()],
            }
        );
    }

    #[test]
    fn every_refusal_names_the_problem() {
        let err = |names: &[&str], rows: Vec<Vec<Cell>>| {
            let names = names.iter().map(|s| s.to_string()).collect();
            Frame::from_rows(names, rows)
                .and_then(|f| f.into_table(&model()))
                .unwrap_err()
                .to_string()
        };
        let e = err(&["a", "b"], vec![vec![num(1.0), num(2.0)]]);
        assert!(e.contains("missing column(s) `proto`"), "{e}");
        assert!(e.contains("unexpected column(s) `b`"), "{e}");
        let e = err(&["a", "proto"], vec![vec![num(1.0)]]);
        assert_eq!(e, "row 1 has 1 values, expected 2 (one per column)");
        let e = err(&["a", "proto"], Vec::new());
        assert_eq!(e, "no rows to score: 0 rows were sent");
        let e = err(
            &["a", "proto"],
            vec![vec![num(1.0), text("x")], vec![text("fast"), text("x")]],
        );
        assert_eq!(
            e,
            "column `a`, row 2: \"fast\" is not a number (the model reads numbers here)"
        );
        let e = err(
            &["a", "proto", "a"],
            vec![vec![num(1.0), text("x"), num(2.0)]],
        );
        assert_eq!(e, "column `a` is given twice");
        let e = err(&["a", "proto"], vec![vec![num(1.0), Cell::Bool(true)]]);
        assert!(e.starts_with("column `proto`, row 1: a boolean"), "{e}");
    }

    #[test]
    fn records_must_share_their_keys() {
        let rec = |cells: Vec<(&str, Cell)>| {
            Record(cells.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let f = Frame::from_records(vec![
            rec(vec![("a", num(1.0)), ("proto", text("tcp"))]),
            rec(vec![("proto", text("udp")), ("a", num(2.0))]),
        ])
        .unwrap();
        assert_eq!(f.columns[0], vec![num(1.0), num(2.0)]);
        let e = Frame::from_records(vec![
            rec(vec![("a", num(1.0)), ("proto", text("tcp"))]),
            rec(vec![("a", num(2.0))]),
        ])
        .unwrap_err();
        assert!(e.to_string().starts_with("column `proto`, row 2: missing"));
    }

    #[test]
    fn csv_quotes_lines_and_widths() {
        let f = Frame::from_csv("\u{feff}a,proto\r\n1,\"t,c\"\"p\"\n\n2,\"multi\nline\"\n3,x\n")
            .unwrap();
        assert_eq!(f.names, vec!["a", "proto"]);
        assert_eq!(f.columns[1][0], text("t,c\"p"));
        assert_eq!(f.columns[1][1], text("multi\nline"));
        assert_eq!(f.lines, Some(vec![2, 4, 6]));
        let e = Frame::from_csv("a,proto\n1,x\n2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3 has 1 values, expected 2 (one per column)"
        );
        let e = Frame::from_csv("a,proto\n1,\"x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad CSV: line 2: a quoted field is not closed"
        );
        let e = Frame::from_csv("a,proto\n1,\"x\"y\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad CSV: line 2: unexpected 'y' after a closing quote"
        );
        let e = Frame::from_csv("a,proto\nx,tcp\n")
            .unwrap()
            .into_table(&model())
            .unwrap_err();
        assert!(e.to_string().starts_with("column `a`, line 2:"), "{e}");
    }
}
