//! Zeek `conn.log` reader (spec §11): the TSV layout (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#fields`, `#types` headers, optional extra columns such
//! as the cluster's leading `_node_name`, a `#close` trailer, `-` unset and `(empty)`
//! fields) and JSON lines (`LogAscii::use_json=T`, unset fields absent), plain or gzip.
//! Columns are addressed by name, never by position, and returned typed: numeric for the
//! Zeek types `time`, `interval`, `count`, `int`, `double`, `port` (and, in JSON, for keys
//! whose values are all numbers), text otherwise. Errors name the file and line.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use crate::error::FlowError;

/// One typed column.
#[derive(Debug, Clone, PartialEq)]
pub enum ZeekColumn {
    /// Numeric values; `None` for unset fields.
    Numeric(Vec<Option<f64>>),
    /// Text values; `None` for unset fields, `Some("")` for `(empty)` sets.
    Text(Vec<Option<String>>),
}

impl ZeekColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ZeekColumn::Numeric(v) => v.len(),
            ZeekColumn::Text(v) => v.len(),
        }
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed log: column names, Zeek types and typed columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeekLog {
    /// Field names in file order (`ts`, `id.orig_h`, ...).
    pub names: Vec<String>,
    /// Zeek type per field (`time`, `addr`, ...; for JSON `number`, `string`, `bool`,
    /// `array`).
    pub types: Vec<String>,
    /// Columns, in `names` order.
    pub columns: Vec<ZeekColumn>,
    /// Number of records.
    pub rows: usize,
    /// The `#path` header (TSV) or `_path` value of the first record (JSON), if any.
    pub path: Option<String>,
}

impl ZeekLog {
    /// The column named `name`, if present.
    pub fn column(&self, name: &str) -> Option<&ZeekColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }
}

/// True for Zeek types read as numbers.
pub fn is_numeric_type(t: &str) -> bool {
    matches!(t, "time" | "interval" | "count" | "int" | "double" | "port")
}

/// Reads a conn.log (TSV or JSON lines, optionally gzip-compressed).
pub fn read_conn_log<'r>(reader: impl Read + 'r, source_name: &str) -> Result<ZeekLog, FlowError> {
    let mut br = BufReader::new(reader);
    let head = br.fill_buf().map_err(|e| io_err(source_name, e))?;
    let gz = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let mut br: Box<dyn BufRead + 'r> = if gz {
        Box::new(BufReader::new(MultiGzDecoder::new(br)))
    } else {
        Box::new(br)
    };
    let head = br.fill_buf().map_err(|e| io_err(source_name, e))?;
    let first = head.iter().find(|c| !c.is_ascii_whitespace()).copied();
    if first == Some(b'{') {
        read_json(br, source_name)
    } else {
        read_tsv(br, source_name)
    }
}

fn io_err(source_name: &str, error: std::io::Error) -> FlowError {
    FlowError::Io {
        source_name: source_name.to_string(),
        error,
    }
}

fn zerr(source_name: &str, line: u64, message: impl Into<String>) -> FlowError {
    FlowError::Zeek {
        source_name: source_name.to_string(),
        line,
        message: message.into(),
    }
}

/// Decodes `\xHH` escapes of the `#separator` line.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            let hexval = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hexval(b[i + 2]), hexval(b[i + 3])) {
                out.push((h * 16 + l) as u8);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_tsv(mut br: Box<dyn BufRead + '_>, name: &str) -> Result<ZeekLog, FlowError> {
    let mut sep = "\t".to_string();
    let mut empty = "(empty)".to_string();
    let mut unset = "-".to_string();
    let mut path = None;
    let mut names: Vec<String> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let mut columns: Vec<ZeekColumn> = Vec::new();
    let mut rows = 0usize;
    let mut line = String::new();
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = br.read_line(&mut line).map_err(|e| io_err(name, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let l = line.trim_end_matches(['\n', '\r']);
        if l.is_empty() {
            continue;
        }
        if let Some(h) = l.strip_prefix('#') {
            if let Some(v) = h.strip_prefix("separator ") {
                sep = unescape(v);
                continue;
            }
            let (key, val) = h.split_once(sep.as_str()).unwrap_or((h, ""));
            match key {
                "empty_field" => empty = val.to_string(),
                "unset_field" => unset = val.to_string(),
                "path" => path = Some(val.to_string()),
                "fields" => {
                    if !names.is_empty() && rows > 0 {
                        return Err(zerr(name, lineno, "a second #fields header after records"));
                    }
                    names = val.split(sep.as_str()).map(str::to_string).collect();
                }
                "types" => types = val.split(sep.as_str()).map(str::to_string).collect(),
                _ => {}
            }
            continue;
        }
        if names.is_empty() {
            return Err(zerr(name, lineno, "record before the #fields header"));
        }
        if columns.is_empty() {
            if types.len() != names.len() {
                return Err(zerr(
                    name,
                    lineno,
                    format!(
                        "#types has {} entries, #fields has {}; expected one type per field",
                        types.len(),
                        names.len()
                    ),
                ));
            }
            columns = types
                .iter()
                .map(|t| {
                    if is_numeric_type(t) {
                        ZeekColumn::Numeric(Vec::new())
                    } else {
                        ZeekColumn::Text(Vec::new())
                    }
                })
                .collect();
        }
        let fields: Vec<&str> = l.split(sep.as_str()).collect();
        if fields.len() != names.len() {
            return Err(zerr(
                name,
                lineno,
                format!(
                    "{} fields, expected {} (from #fields)",
                    fields.len(),
                    names.len()
                ),
            ));
        }
        for (i, (f, col)) in fields.iter().zip(columns.iter_mut()).enumerate() {
            match col {
                ZeekColumn::Numeric(v) => {
                    if *f == unset {
                        v.push(None);
                    } else {
                        let x: f64 = f.parse().map_err(|_| {
                            zerr(
                                name,
                                lineno,
                                format!(
                                    "field `{}` ({}): `{f}` is not a number",
                                    names[i], types[i]
                                ),
                            )
                        })?;
                        v.push(Some(x));
                    }
                }
                ZeekColumn::Text(v) => {
                    if *f == unset {
                        v.push(None);
                    } else if *f == empty {
                        v.push(Some(String::new()));
                    } else {
                        v.push(Some((*f).to_string()));
                    }
                }
            }
        }
        rows += 1;
    }
    if names.is_empty() {
        return Err(zerr(
            name,
            lineno.max(1),
            "no #fields header: not a Zeek TSV log",
        ));
    }
    if columns.is_empty() {
        columns = types
            .iter()
            .map(|t| {
                if is_numeric_type(t) {
                    ZeekColumn::Numeric(Vec::new())
                } else {
                    ZeekColumn::Text(Vec::new())
                }
            })
            .collect();
        if columns.len() != names.len() {
            columns = names.iter().map(|_| ZeekColumn::Text(Vec::new())).collect();
        }
    }
    Ok(ZeekLog {
        names,
        types,
        columns,
        rows,
        path,
    })
}

/// A JSON object with its keys in file order (serde_json's `Map` sorts them unless the
/// workspace-wide `preserve_order` feature is on).
struct OrderedObject(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<OrderedObject, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, serde_json::Value>()? {
                    v.push((k, x));
                }
                Ok(OrderedObject(v))
            }
        }
        d.deserialize_map(V)
    }
}

enum JsonCol {
    /// Values so far, kept as JSON until the type is known.
    Values(Vec<Option<serde_json::Value>>),
}

fn read_json(mut br: Box<dyn BufRead + '_>, name: &str) -> Result<ZeekLog, FlowError> {
    let mut names: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut cols: Vec<JsonCol> = Vec::new();
    let mut rows = 0usize;
    let mut path = None;
    let mut line = String::new();
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = br.read_line(&mut line).map_err(|e| io_err(name, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let OrderedObject(obj) = serde_json::from_str(l)
            .map_err(|e| zerr(name, lineno, format!("not a JSON object: {e}")))?;
        if path.is_none()
            && let Some((_, serde_json::Value::String(p))) = obj.iter().find(|(k, _)| k == "_path")
        {
            path = Some(p.clone());
        }
        for (k, v) in obj {
            let i = match index.get(&k) {
                Some(i) => *i,
                None => {
                    names.push(k.clone());
                    cols.push(JsonCol::Values(vec![None; rows]));
                    index.insert(k, names.len() - 1);
                    names.len() - 1
                }
            };
            let JsonCol::Values(c) = &mut cols[i];
            // A repeated key keeps its first value.
            if c.len() == rows {
                c.push(if v.is_null() { None } else { Some(v) });
            }
        }
        rows += 1;
        for JsonCol::Values(c) in cols.iter_mut() {
            if c.len() < rows {
                c.push(None);
            }
        }
    }
    let mut types = Vec::new();
    let mut columns = Vec::new();
    for JsonCol::Values(c) in cols {
        let numeric = c.iter().flatten().all(|v| v.is_number());
        if numeric {
            types.push("number".to_string());
            columns.push(ZeekColumn::Numeric(
                c.iter()
                    .map(|v| v.as_ref().and_then(|x| x.as_f64()))
                    .collect(),
            ));
        } else {
            let kind = c
                .iter()
                .flatten()
                .next()
                .map(|v| match v {
                    serde_json::Value::Bool(_) => "bool",
                    serde_json::Value::Array(_) => "array",
                    _ => "string",
                })
                .unwrap_or("string");
            types.push(kind.to_string());
            columns.push(ZeekColumn::Text(
                c.into_iter().map(|v| v.map(json_text)).collect(),
            ));
        }
    }
    Ok(ZeekLog {
        names,
        types,
        columns,
        rows,
        path,
    })
}

/// Text form of a JSON value: strings as-is, booleans as Zeek's `T`/`F`, arrays joined
/// with `,` (Zeek's set separator), anything else as JSON.
fn json_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Bool(b) => if b { "T" } else { "F" }.to_string(),
        serde_json::Value::Array(a) => a.into_iter().map(json_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_escape() {
        assert_eq!(unescape("\\x09"), "\t");
        assert_eq!(unescape("\\x2c"), ",");
    }

    #[test]
    fn field_count_error_names_file_and_line() {
        let log = "#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\n1.5\tA\n2.5\n";
        let e = read_conn_log(log.as_bytes(), "x.log").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.log:5: 1 fields, expected 2 (from #fields)"
        );
        let log = "#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\nabc\tA\n";
        let e = read_conn_log(log.as_bytes(), "y.log").unwrap_err();
        assert!(
            e.to_string().starts_with("y.log:4: field `ts` (time)"),
            "{e}"
        );
    }
}
