//! Reading the file a model scores. A model is trained on one source (a catalog dataset,
//! CSV or Parquet, packet captures, Zeek logs) and a new file is read by the same loader as
//! the training files were, with the options saved in the model, so NSL-KDD's header-less
//! `KDDTest+.txt` or a capture is scored as it is distributed. The reader is chosen from
//! the file's first bytes and the model's training source ([`InputFormat::Auto`]) or by
//! the caller.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::{ScoreError, Scorer};
use crate::data::source::{Fields, Source, pcap_feature_names};
use crate::data::{ColumnTypes, DataError, Table};

/// How much of the (uncompressed) input is looked at to choose its reader.
const HEAD_BYTES: u64 = 64 * 1024;

/// How to read a file to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// A capture or a Zeek log by its first bytes; otherwise as the model's training
    /// source reads its files when that source is a catalog dataset, CSV or Parquet (a
    /// header-less catalog file with a header line is read as a table); otherwise a table.
    #[default]
    Auto,
    /// CSV (plain or gzip) or Parquet with a header naming the model's columns.
    Table,
    /// As the model's training source reads its files (with the spec's options).
    Source,
    /// A packet capture (pcap, pcapng, gzip of either): flows extracted as `source: pcap`
    /// does, with the model's extraction options when it was trained on captures.
    Capture,
    /// A Zeek conn.log (TSV or JSON lines, plain or gzip), as `source: zeek` reads it.
    Zeek,
}

/// A file read for scoring.
#[derive(Debug, Clone)]
pub struct InputTable {
    pub table: Table,
    /// The reader that was used (never `Auto`).
    pub format: InputFormat,
    /// What the reader noticed (packets skipped, an unknown catalog layout, ...).
    pub notes: Vec<String>,
}

impl Scorer {
    /// Read `path` to score it, with the reader `format` names.
    pub fn read_input(&self, path: &Path, format: InputFormat) -> Result<InputTable, ScoreError> {
        let format = match format {
            InputFormat::Auto => self.choose_format(path)?,
            f => f,
        };
        let input = path.display().to_string();
        let fields = match format {
            InputFormat::Auto | InputFormat::Table => {
                return Ok(InputTable {
                    table: self.read_table(path)?.table,
                    format: InputFormat::Table,
                    notes: vec![],
                });
            }
            InputFormat::Capture => {
                self.check_flow_features(&input)?;
                self.trained_fields_or(Source::Pcap)
            }
            InputFormat::Zeek => self.trained_fields_or(Source::Zeek),
            InputFormat::Source => self.training_fields(&input, path)?,
        };
        let file = crate::data::read_unlabeled(&fields, path, &self.column_types())?;
        Ok(InputTable {
            table: file.table,
            format,
            notes: file.notes,
        })
    }

    /// The reader [`InputFormat::Auto`] stands for, for `path`.
    fn choose_format(&self, path: &Path) -> Result<InputFormat, ScoreError> {
        let head = read_head(path)?;
        let trained = self.header().dataset.as_ref().and_then(|f| f.source);
        // A NetFlow model reads a capture as export packets, not as packets to extract.
        if trained == Some(Source::Netflow) {
            return Ok(InputFormat::Source);
        }
        if is_capture(&head) {
            return Ok(InputFormat::Capture);
        }
        if is_zeek(&head) {
            return Ok(InputFormat::Zeek);
        }
        let Some(kind) = trained else {
            return Ok(InputFormat::Table);
        };
        if matches!(kind, Source::Csv | Source::Parquet) {
            return Ok(InputFormat::Source);
        }
        let Some(name) = kind.catalog_name() else {
            return Ok(InputFormat::Table);
        };
        // A header-less catalog file (NSL-KDD) may also come as a CSV with a header line.
        let headerless = !crate::data::catalog::entry(name)?.format.header;
        if headerless && (head.starts_with(b"PAR1") || self.names_every_input(&head)) {
            return Ok(InputFormat::Table);
        }
        Ok(InputFormat::Source)
    }

    /// Whether the first line of `head`, split at commas, names every model input column.
    fn names_every_input(&self, head: &[u8]) -> bool {
        let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let cells: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let inputs = self.input_columns();
        inputs.iter().all(|n| cells.contains(&n.trim()))
    }

    /// The model's training `dataset:` section when it is of source `kind`, else that
    /// source with its defaults (a capture scored with a model trained on extracted CSVs).
    fn trained_fields_or(&self, kind: Source) -> Fields {
        match &self.header().dataset {
            Some(f) if f.source == Some(kind) => f.clone(),
            _ => Fields {
                source: Some(kind),
                ..Fields::default()
            },
        }
    }

    /// The model's training `dataset:` section, for reading `path` as its source does
    /// (CSV or Parquet by the file's extension, for a model trained on either; header names
    /// trimmed when the model's are, as for a table, so CICFlowMeter's ` Flow Duration`
    /// still matches).
    fn training_fields(&self, input: &str, path: &Path) -> Result<Fields, ScoreError> {
        let refuse = |why: &str| ScoreError::NoSourceReader {
            input: input.to_string(),
            model: self.model_path().to_string(),
            why: why.to_string(),
        };
        let mut f = self.header().dataset.clone().ok_or_else(|| {
            refuse("it was saved without its training source (by an older anomalab)")
        })?;
        match f.source {
            Some(Source::Synthetic) => Err(refuse(
                "it was trained on generated data (`source: synthetic`), which has no file format",
            )),
            Some(Source::Csv | Source::Parquet) => {
                f.source = Some(if is_parquet_name(path) {
                    Source::Parquet
                } else {
                    Source::Csv
                });
                if self.names_are_trimmed() {
                    f.trim_column_names = Some(true);
                }
                Ok(f)
            }
            _ => Ok(f),
        }
    }

    /// A capture gives the flow features only: refuse a model that needs other columns.
    fn check_flow_features(&self, input: &str) -> Result<(), ScoreError> {
        let flow = pcap_feature_names();
        let missing: Vec<String> = self
            .input_columns()
            .into_iter()
            .filter(|c| !flow.iter().any(|f| f == c))
            .map(String::from)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ScoreError::NotFlowFeatures {
            input: input.to_string(),
            model: self.model_path().to_string(),
            missing,
        })
    }

    /// The model's input columns by kind, typed as in training.
    fn column_types(&self) -> ColumnTypes {
        let mut types = ColumnTypes::default();
        for c in &self.header().input_columns {
            let list = if c.categorical {
                &mut types.categorical
            } else {
                &mut types.numeric
            };
            list.push(c.name.clone());
        }
        types
    }
}

/// The first bytes of a file, decompressed when it is gzip.
fn read_head(path: &Path) -> Result<Vec<u8>, DataError> {
    let io = |e| DataError::io(path, e);
    let mut head = Vec::new();
    File::open(path)
        .map_err(io)?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(io)?;
    if !head.starts_with(&[0x1f, 0x8b]) {
        return Ok(head);
    }
    let mut inner = Vec::new();
    let gz = MultiGzDecoder::new(BufReader::new(File::open(path).map_err(io)?));
    // A damaged stream keeps what was decoded; the reader of the whole file reports it.
    let _ = gz.take(HEAD_BYTES).read_to_end(&mut inner);
    Ok(inner)
}

/// pcap (micro- or nanosecond, either byte order) or pcapng magic.
fn is_capture(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    MAGICS.iter().any(|m| head.starts_with(m))
}

/// A Zeek log: TSV starts with its `#separator` line; JSON lines of conn.log carry the
/// connection's originator address.
fn is_zeek(head: &[u8]) -> bool {
    if head.starts_with(b"#separator") {
        return true;
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(first);
    text.trim_start().starts_with('{') && text.contains("\"id.orig_h\"")
}

/// Parquet by extension, as [`crate::data::read_file`] decides.
fn is_parquet_name(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    ext.eq_ignore_ascii_case("parquet") || ext.eq_ignore_ascii_case("pq")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_and_zeek_logs_are_known_by_their_first_bytes() {
        assert!(is_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]));
        assert!(is_capture(&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c]));
        assert!(!is_capture(b"duration,protocol_type"));
        assert!(is_zeek(b"#separator \\x09\n#set_separator\t,\n"));
        assert!(is_zeek(
            b"{\"ts\": 1.5, \"uid\": \"C1\", \"id.orig_h\": \"10.0.0.1\"}\n"
        ));
        assert!(!is_zeek(b"{\"a\": 1}\n{\"id.orig_h\": 2}\n"));
        assert!(!is_zeek(b"0,tcp,ftp_data,SF,491,0\n"));
        assert!(is_parquet_name(Path::new("x/flows.PQ")));
        assert!(!is_parquet_name(Path::new("flows.csv")));
    }
}
