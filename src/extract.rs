//! `anomalab extract`: packet captures to a flow CSV (CIC-IDS2017 layouts), using the
//! `anomalab-flow` crate. Flows stream to a temporary file next to the output, which is
//! renamed into place only when every capture was read.

use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor, LabelSpec};
use anyhow::{Context, Result, bail};

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
    let node = crate::spec::yaml::Node::parse(&text).map_err(|e| {
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

pub fn run(s: &ExtractSettings) -> Result<i32> {
    if s.output.extension().is_some_and(|e| e == "parquet") {
        bail!(
            "{}: Parquet output is not supported yet; write .csv",
            s.output.display()
        );
    }
    let to_stdout = s.output.as_os_str() == "-";
    let tmp = if to_stdout {
        None
    } else {
        let dir = s
            .output
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Some(
            tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a file in {}", dir.display()))?,
        )
    };
    let sink: Box<dyn Write> = match &tmp {
        Some(t) => Box::new(BufWriter::with_capacity(1 << 20, t.as_file().try_clone()?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut writer = CsvWriter::new(sink, s.layout)?;
    let mut write_error: Option<std::io::Error> = None;
    let show = !s.quiet && std::io::stderr().is_terminal();
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
            let name = input.display().to_string();
            if input.as_os_str() == "-" {
                bar.set_length(0);
                bar.set_message("stdin".to_string());
                ex.feed_capture_labeled(std::io::stdin().lock(), "-", &s.labels)
                    .with_context(|| "reading standard input".to_string())?;
            } else {
                let file = std::fs::File::open(input).with_context(|| format!("opening {name}"))?;
                bar.set_length(file.metadata().map_or(0, |m| m.len()));
                bar.set_message(name.clone());
                ex.feed_capture_labeled(BufReader::with_capacity(1 << 20, file), &name, &s.labels)
                    .with_context(|| format!("reading {name}"))?;
            }
        }
        let (_, summary) = ex.finish();
        summary
    };
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e).context("writing flows");
    }
    writer.into_inner().context("writing flows")?;
    if let Some(t) = tmp {
        t.persist(&s.output)
            .map_err(|e| e.error)
            .with_context(|| format!("writing {}", s.output.display()))?;
    }
    if !s.quiet {
        eprintln!("{summary}");
        if !to_stdout {
            eprintln!("wrote {}", s.output.display());
        }
    }
    Ok(crate::exit::OK)
}
