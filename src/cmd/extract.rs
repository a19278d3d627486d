//! `anomalab extract`: packet captures to flows in the CIC-IDS2017 layouts, as CSV or
//! Parquet (by the output's extension), using the `anomalab-flow` crate. Flows stream to a
//! temporary file next to the output, which is renamed into place only when every capture
//! was read.

use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor, FlowRecord, LabelSpec};
use anyhow::{Context, Result, bail};

use super::args::ExtractArgs;
use super::error::{CliError, Status};
use polars::prelude::{
    Column as PlColumn, DataFrame, IntoColumn, NamedFrom, ParquetWriter, Series,
};

/// Where extracted flows go, one record at a time.
pub trait FlowExporter {
    fn write(&mut self, flow: &FlowRecord) -> Result<()>;
    /// Writes what is buffered and the file's trailer.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// CSV in a CIC-IDS2017 layout (byte-exact as the reference writes it).
struct CsvExporter<W: Write>(CsvWriter<W>);

impl<W: Write> FlowExporter for CsvExporter<W> {
    fn write(&mut self, flow: &FlowRecord) -> Result<()> {
        Ok(self.0.write(flow)?)
    }
    fn finish(self: Box<Self>) -> Result<()> {
        self.0.into_inner()?;
        Ok(())
    }
}

/// Rows per Parquet row group (memory stays bounded by one group of flows).
const PARQUET_ROW_GROUP: usize = 65_536;

/// Column names of `layout` as the CSV header writes them (leading spaces kept), the
/// second ` Fwd Header Length` renamed ` Fwd Header Length.1` (Parquet needs unique names;
/// the loaders use the same name for that column).
pub fn layout_column_names(layout: CsvLayout) -> Vec<String> {
    let names: Vec<String> = layout.header().split(',').map(String::from).collect();
    crate::data::dedupe_names(&names, false)
}

/// `anomalab extract`: the arguments as settings, then the extraction.
pub fn run(args: ExtractArgs) -> Result<Status, CliError> {
    settings(args)
        .and_then(|s| extract(&s))
        .map_err(CliError::Extract)?;
    Ok(Status::Ok)
}

fn settings(args: ExtractArgs) -> Result<ExtractSettings> {
    let mut options = ExtractOptions {
        count_l2_padding: args.count_l2_padding.is_on(),
        include_ipv6: args.include_ipv6,
        ..Default::default()
    };
    if let Some(n) = args.max_active_flows {
        options.max_active_flows = n.max(1);
    }
    let labels = match (args.label, args.labels) {
        (Some(l), _) => LabelSpec::constant(&l),
        (None, Some(path)) => read_label_rules(&path)?,
        (None, None) => LabelSpec::default(),
    };
    Ok(ExtractSettings {
        inputs: args.inputs,
        output: args.output,
        layout: args.layout.into(),
        options,
        labels,
        quiet: args.quiet,
    })
}

/// Flows buffered column by column until the next Parquet row group.
struct ParquetBuffer {
    layout: CsvLayout,
    names: Vec<String>,
    flow_id: Vec<String>,
    src_ip: Vec<String>,
    src_port: Vec<i64>,
    dst_ip: Vec<String>,
    dst_port: Vec<i64>,
    protocol: Vec<i64>,
    start_us: Vec<i64>,
    values: Vec<Vec<f64>>,
    label: Vec<String>,
}

impl ParquetBuffer {
    fn new(layout: CsvLayout) -> Self {
        let names = layout_column_names(layout);
        let fixed = match layout {
            CsvLayout::Cic85 => 7,
            CsvLayout::Mlcve79 => 1,
        };
        ParquetBuffer {
            layout,
            values: vec![Vec::new(); names.len() - fixed - 1],
            names,
            flow_id: vec![],
            src_ip: vec![],
            src_port: vec![],
            dst_ip: vec![],
            dst_port: vec![],
            protocol: vec![],
            start_us: vec![],
            label: vec![],
        }
    }

    fn len(&self) -> usize {
        self.label.len()
    }

    fn push(&mut self, r: &FlowRecord) -> Result<()> {
        if r.values.len() != self.values.len() {
            bail!(
                "flow with {} feature values, the layout has {}",
                r.values.len(),
                self.values.len()
            );
        }
        if self.layout == CsvLayout::Cic85 {
            self.flow_id.push(r.flow_id.clone());
            self.src_ip.push(r.src_ip.to_string());
            self.src_port.push(i64::from(r.src_port));
            self.dst_ip.push(r.dst_ip.to_string());
            self.protocol.push(i64::from(r.protocol));
            self.start_us.push(r.start_us);
        }
        self.dst_port.push(i64::from(r.dst_port));
        for (c, v) in self.values.iter_mut().zip(&r.values) {
            c.push(*v);
        }
        self.label.push(r.label.to_string());
        Ok(())
    }

    /// The buffered rows as a frame (the buffer is emptied).
    fn take_frame(&mut self) -> Result<DataFrame> {
        let mut names = self.names.iter().map(|n| n.as_str());
        let mut next = || names.next().unwrap_or_default();
        let mut cols: Vec<PlColumn> = Vec::with_capacity(self.names.len());
        let text = |name: &str, v: &mut Vec<String>| {
            Series::new(name.into(), std::mem::take(v)).into_column()
        };
        let int = |name: &str, v: &mut Vec<i64>| {
            Series::new(name.into(), std::mem::take(v)).into_column()
        };
        if self.layout == CsvLayout::Cic85 {
            cols.push(text(next(), &mut self.flow_id));
            cols.push(text(next(), &mut self.src_ip));
            cols.push(int(next(), &mut self.src_port));
            cols.push(text(next(), &mut self.dst_ip));
            cols.push(int(next(), &mut self.dst_port));
            cols.push(int(next(), &mut self.protocol));
            cols.push(int(next(), &mut self.start_us));
        } else {
            cols.push(int(next(), &mut self.dst_port));
        }
        for v in &mut self.values {
            cols.push(Series::new(next().into(), std::mem::take(v)).into_column());
        }
        cols.push(text(next(), &mut self.label));
        Ok(DataFrame::new_infer_height(cols)?)
    }
}

/// Parquet with the columns of a CIC-IDS2017 layout: identifiers as text, ports and
/// protocol as integers, ` Timestamp` as microseconds since the Unix epoch (UTC, integer;
/// the CSV's `dd/MM/yyyy hh:mm:ss` text drops the sub-second part and the AM/PM), every
/// feature as a double, ` Label` as text. Zstd-compressed, one row group per 65,536 flows,
/// so memory stays bounded by one group.
struct ParquetExporter<W: Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
    buf: ParquetBuffer,
}

impl<W: Write> ParquetExporter<W> {
    fn new(out: W, layout: CsvLayout) -> Result<Self> {
        let mut buf = ParquetBuffer::new(layout);
        let schema = buf.take_frame()?.schema().as_ref().clone();
        let writer = ParquetWriter::new(out)
            .batched(&schema)
            .context("starting the Parquet file")?;
        Ok(ParquetExporter { writer, buf })
    }

    fn flush(&mut self) -> Result<()> {
        if self.buf.len() > 0 {
            let df = self.buf.take_frame()?;
            self.writer.write_batch(&df)?;
        }
        Ok(())
    }
}

impl<W: Write> FlowExporter for ParquetExporter<W> {
    fn write(&mut self, flow: &FlowRecord) -> Result<()> {
        self.buf.push(flow)?;
        if self.buf.len() >= PARQUET_ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush()?;
        self.writer.finish()?;
        Ok(())
    }
}

/// What `extract` was asked to do (from the command line).
#[derive(Debug, Clone)]
pub struct ExtractSettings {
    /// Capture files; `-` is standard input.
    pub inputs: Vec<PathBuf>,
    /// Output CSV; `-` is standard output.
    pub output: PathBuf,
    pub layout: CsvLayout,
    pub options: ExtractOptions,
    /// Label of every flow (`--label`), or rules from a YAML file (`--labels`).
    pub labels: LabelSpec,
    pub quiet: bool,
}

/// Labelling rules from a YAML file (the `LabelSpec` fields: `default`, `rules`).
pub fn read_label_rules(path: &Path) -> Result<LabelSpec> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let node = crate::diag::yaml::Node::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: {}",
            path.display(),
            e.pos.line,
            e.pos.col,
            e.message
        )
    })?;
    serde_path_to_error::deserialize(node.to_json())
        .map_err(|e| anyhow::anyhow!("{}: {}: {}", path.display(), e.path(), e.inner()))
}

/// Extract every capture of `s` into its output file.
pub fn extract(s: &ExtractSettings) -> Result<()> {
    let to_stdout = s.output.as_os_str() == "-";
    let tmp = if to_stdout {
        None
    } else {
        let t = crate::fsutil::temp_beside(&s.output)
            .with_context(|| format!("creating a file beside {}", s.output.display()))?;
        Some(t)
    };
    let sink: Box<dyn Write> = match &tmp {
        Some(t) => Box::new(BufWriter::with_capacity(1 << 20, t.as_file().try_clone()?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut writer: Box<dyn FlowExporter> = if is_parquet(&s.output) {
        Box::new(ParquetExporter::new(sink, s.layout)?)
    } else {
        Box::new(CsvExporter(CsvWriter::new(sink, s.layout)?))
    };
    let mut write_error: Option<anyhow::Error> = None;
    let bar = progress_bar(!s.quiet && std::io::stderr().is_terminal());
    let summary = {
        let mut ex = Extractor::with_sink(s.options.clone(), |flow| {
            if write_error.is_none()
                && let Err(e) = writer.write(&flow)
            {
                write_error = Some(e);
            }
        });
        let progress_bar = bar.clone();
        ex.set_progress(move |p| progress_bar.set_position(p.capture_bytes));
        for input in &s.inputs {
            feed(&mut ex, input, &s.labels, &bar)?;
        }
        ex.finish().1
    };
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e).context("writing flows");
    }
    writer.finish().context("writing flows")?;
    if let Some(t) = tmp {
        crate::fsutil::commit(t, &s.output)
            .with_context(|| format!("writing {}", s.output.display()))?;
    }
    if !s.quiet {
        eprintln!("{summary}");
        if !to_stdout {
            eprintln!("wrote {}", s.output.display());
        }
    }
    Ok(())
}

/// `.parquet` / `.pq` (any case) selects Parquet; anything else is CSV.
fn is_parquet(output: &Path) -> bool {
    output
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

/// A byte-progress bar on standard error, or a hidden one.
fn progress_bar(show: bool) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::hidden();
    if show {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    bar
}

/// Feed one capture (`-`: standard input) to the extractor.
fn feed(
    ex: &mut Extractor<'_>,
    input: &Path,
    labels: &LabelSpec,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    if input.as_os_str() == "-" {
        bar.set_length(0);
        bar.set_message("stdin".to_string());
        ex.feed_capture_labeled(std::io::stdin().lock(), "-", labels)
            .with_context(|| "reading standard input".to_string())?;
    } else {
        let name = input.display().to_string();
        let file = std::fs::File::open(input).with_context(|| format!("opening {name}"))?;
        bar.set_length(file.metadata().map_or(0, |m| m.len()));
        bar.set_message(name.clone());
        ex.feed_capture_labeled(BufReader::with_capacity(1 << 20, file), &name, labels)
            .with_context(|| format!("reading {name}"))?;
    }
    Ok(())
}
