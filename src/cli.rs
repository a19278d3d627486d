//! The command line: clap definitions, and the only module that turns arguments into
//! settings. Everything below it takes plain values.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use crate::exit;
use crate::runner::{self, Observer, RunSettings};

#[derive(Debug, Parser)]
#[command(
    name = "anomalab",
    version,
    about = "Reproducible machine-learning network anomaly detection experiments",
    long_about = "anomalab runs declarative YAML experiments (dataset, preprocessing, model grid, metrics) \
and writes results.json, reports and the best model.\n\nExit codes: 0 ok; 1 findings (failed trials, a \
regression, a dataset mismatch); 2 error (invalid spec, arguments or data)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Folder that holds the datasets (e.g. `nsl-kdd/KDDTrain+.txt`).
    #[arg(long, env = "ANOMALAB_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Treat a sha256 mismatch with the dataset catalog as an error.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment: every trial, results.json, reports and the best model.
    Run {
        /// The experiment spec (YAML).
        spec: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// Worker threads for trials (and the models inside them). Default: all cores.
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Folder under which `reports/` and `models/` are written.
        #[arg(long, default_value = ".", value_name = "DIR")]
        project_dir: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Check specs (syntax, types, models, parameters, metrics) without running them.
    Validate {
        #[arg(required = true)]
        specs: Vec<PathBuf>,
    },
    /// List the algorithms, their backends, parameters and defaults.
    Models {
        /// Only this algorithm.
        name: Option<String>,
    },
    /// The dataset catalog.
    Datasets {
        #[command(subcommand)]
        command: DatasetsCommand,
    },
    /// Score a CSV with a saved model.
    Predict {
        /// A `best.model` written by `run`.
        #[arg(long, short = 'm')]
        model: PathBuf,
        /// CSV with a header and the model's input columns.
        #[arg(long, short = 'i')]
        input: PathBuf,
        /// Where to write the predictions (CSV); default: standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Extra input columns to ignore (otherwise extra columns are an error).
        #[arg(long = "ignore", value_name = "COLUMN")]
        ignore: Vec<String>,
    },
    /// Compare a results.json with a baseline: exit 0 pass, 1 regression, 2 could not run.
    Check {
        /// `reports/<experiment>/results.json`.
        results: PathBuf,
        /// Baseline file (YAML).
        #[arg(long, short = 'b')]
        baseline: PathBuf,
        /// Write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Write the Markdown summary here (it is printed to standard output too).
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
        /// Create the baseline from these results instead of checking.
        #[arg(long)]
        write_baseline: bool,
        /// With --write-baseline: the allowed absolute drop of each metric.
        #[arg(long, default_value_t = 0.01, value_name = "X")]
        max_drop: f64,
    },
    /// Extract flows from packet captures (pcap, pcapng, gzip; `-` reads standard input)
    /// into a CSV or Parquet file in a CIC-IDS2017 layout.
    Extract {
        /// Capture files; `-` for standard input (e.g. `tcpdump -w - | anomalab extract -`).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output file: `.parquet`/`.pq` writes Parquet (same columns; ` Timestamp` in µs
        /// since the epoch), anything else CSV; `-` is CSV on standard output.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Feature set (only `cic2017` so far: CICFlowMeter as used for CIC-IDS2017).
        #[arg(long, default_value = "cic2017", value_parser = ["cic2017"])]
        features: String,
        /// Column layout: the 85-column GeneratedLabelledFlows or the 79-column MachineLearningCVE.
        #[arg(long, default_value = "cic85", value_parser = ["cic85", "mlcve79"])]
        layout: String,
        /// Count Ethernet padding as payload, as the published CIC-IDS2017 CSVs do (`off`
        /// reproduces the reference CICFlowMeter outputs).
        #[arg(long, default_value = "on", value_parser = ["on", "off"])]
        count_l2_padding: String,
        /// Also decode IPv6 (the CIC-IDS2017 feature set ignores it by default).
        #[arg(long)]
        include_ipv6: bool,
        /// Cap on flows held at once; beyond it the oldest flow is emitted early (counted).
        #[arg(long, value_name = "N")]
        max_active_flows: Option<usize>,
        /// Label every flow with this text.
        #[arg(long, conflicts_with = "labels")]
        label: Option<String>,
        /// Labelling rules (YAML: `default:` and `rules:` by address, port, protocol, time).
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Re-render the reports of a run from its results.json, without re-running anything.
    Report {
        results: PathBuf,
        /// Output folder (default: the folder of results.json).
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatasetsCommand {
    /// Compare the files in the data directory with the catalog (sha256, rows, columns, classes).
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the catalog: datasets, files, official sources.
    List,
}

/// Entry point for `main` and for tests.
pub fn main_with_args(args: Vec<OsString>) -> Result<i32> {
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return Ok(code);
        }
    };
    let command_line: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    match cli.command {
        Command::Run {
            spec,
            data,
            jobs,
            project_dir,
            quiet,
        } => cmd_run(&spec, data, jobs, project_dir, quiet, command_line),
        Command::Validate { specs } => cmd_validate(&specs),
        Command::Models { name } => cmd_models(name.as_deref()),
        Command::Datasets { command } => match command {
            DatasetsCommand::Verify { data } => cmd_verify(data),
            DatasetsCommand::List => cmd_list(),
        },
        Command::Predict {
            model,
            input,
            output,
            ignore,
        } => crate::predict::run(&model, &input, output.as_deref(), &ignore),
        Command::Check {
            results,
            baseline,
            junit,
            markdown,
            write_baseline,
            max_drop,
        } => cmd_check(
            &results,
            &baseline,
            junit.as_deref(),
            markdown.as_deref(),
            write_baseline,
            max_drop,
        ),
        Command::Report { results, out } => cmd_report(&results, out),
        Command::Extract {
            inputs,
            output,
            features: _,
            layout,
            count_l2_padding,
            include_ipv6,
            max_active_flows,
            label,
            labels,
            quiet,
        } => {
            let mut options = anomalab_flow::ExtractOptions {
                count_l2_padding: count_l2_padding == "on",
                include_ipv6,
                ..Default::default()
            };
            if let Some(n) = max_active_flows {
                options.max_active_flows = n.max(1);
            }
            let labels = match (label, labels) {
                (Some(l), _) => anomalab_flow::LabelSpec::constant(&l),
                (None, Some(path)) => crate::extract::read_label_rules(&path)?,
                (None, None) => anomalab_flow::LabelSpec::default(),
            };
            crate::extract::run(&crate::extract::ExtractSettings {
                inputs,
                output,
                layout: if layout == "mlcve79" {
                    anomalab_flow::CsvLayout::Mlcve79
                } else {
                    anomalab_flow::CsvLayout::Cic85
                },
                options,
                labels,
                quiet,
            })
        }
    }
}

/// Write to standard output; a closed pipe (`anomalab models | head`) is not an error.
pub fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn data_dir(d: &DataArgs) -> PathBuf {
    d.data_dir
        .clone()
        .unwrap_or_else(crate::data::default_data_dir)
}

fn cmd_run(
    spec: &Path,
    data: DataArgs,
    jobs: Option<usize>,
    project_dir: PathBuf,
    quiet: bool,
    command_line: Vec<String>,
) -> Result<i32> {
    let exp = match crate::spec::load(spec) {
        Ok(e) => e,
        Err(e) => {
            eprint!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let settings = RunSettings {
        data_dir: data_dir(&data),
        project_dir,
        jobs,
        strict: data.strict,
        command_line,
    };
    let observer: Box<dyn Observer> = if quiet {
        Box::new(runner::Silent)
    } else if std::io::stderr().is_terminal() {
        Box::new(runner::progress::Bars::new())
    } else {
        Box::new(runner::PlainLines::new())
    };
    let outcome = match runner::run(&exp, &settings, observer.as_ref()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    let report_dir = outcome
        .results_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut written = vec![outcome.results_path.clone()];
    if exp.outputs.report {
        written.extend(
            crate::report::render(&outcome.results, &report_dir).context("rendering the report")?,
        );
    }
    if !quiet {
        let r = &outcome.results;
        if let Some(b) = &r.best {
            println!("best: {} with {} = {:.4}", b.label, b.metric, b.value);
        } else {
            println!("no trial succeeded");
        }
        for p in &written {
            println!("wrote {}", p.display());
        }
        if let Some(m) = &outcome.model_path {
            println!("wrote {}", m.display());
        }
    }
    Ok(if outcome.failed > 0 || outcome.results.best.is_none() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn cmd_validate(specs: &[PathBuf]) -> Result<i32> {
    let mut code = exit::OK;
    for s in specs {
        match crate::spec::load(s) {
            Ok(exp) => println!(
                "{}: ok ({} model(s), {} trial(s))",
                s.display(),
                exp.models.len(),
                exp.n_trials()
            ),
            Err(e) => {
                eprint!("error: {e}");
                code = exit::ERROR;
            }
        }
    }
    Ok(code)
}

fn cmd_models(name: Option<&str>) -> Result<i32> {
    let all = crate::models::algorithms();
    let shown: Vec<_> = all
        .iter()
        .filter(|a| name.is_none_or(|n| a.name == n))
        .collect();
    if shown.is_empty() {
        let n = name.unwrap_or_default();
        match crate::models::find(n, None) {
            Err(e) => {
                eprintln!(
                    "error: {}{}",
                    e.message,
                    e.help
                        .map(|h| format!("\n  = help: {h}"))
                        .unwrap_or_default()
                );
            }
            Ok(_) => eprintln!("error: no algorithm `{n}`"),
        }
        return Ok(exit::ERROR);
    }
    let mut text = String::new();
    for a in shown {
        text.push_str(&format!(
            "{} [{}] ({:?}{})\n  {}",
            a.name,
            a.backend,
            a.role,
            if a.can_predict {
                ""
            } else {
                ", cannot score new data"
            },
            a.summary
        ));
        text.push('\n');
        for p in &a.params {
            text.push_str(&format!(
                "    {:<22} {:<10} {}  [{}]",
                p.name,
                p.default.to_string(),
                p.doc,
                p.kind
            ));
            text.push('\n');
        }

        text.push('\n');
    }
    print_out(&text)?;
    Ok(exit::OK)
}

fn cmd_verify(data: DataArgs) -> Result<i32> {
    let dir = data_dir(&data);
    let report = crate::data::verify_catalog(&dir, data.strict)
        .with_context(|| format!("verifying {}", dir.display()))?;
    print!("{report}");
    Ok(if report.is_ok() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn cmd_list() -> Result<i32> {
    for e in crate::data::catalog::catalog()? {
        println!(
            "{}: {}\n  source: {}\n  obtain: {}",
            e.name, e.title, e.homepage, e.obtain
        );
        for f in &e.files {
            let rows = f
                .rows
                .map_or("rows unknown".to_string(), |r| format!("{r} rows"));
            println!("  - {} ({rows})", f.names.join(" | "));
        }
    }
    Ok(exit::OK)
}

fn cmd_check(
    results: &Path,
    baseline: &Path,
    junit: Option<&Path>,
    markdown: Option<&Path>,
    write_baseline: bool,
    max_drop: f64,
) -> Result<i32> {
    use crate::check;
    let res = match check::read_results(results) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    if write_baseline {
        let b = check::baseline_from(&res, max_drop);
        crate::fsutil::write_atomic(baseline, check::baseline_yaml(&b).as_bytes())
            .with_context(|| format!("writing {}", baseline.display()))?;
        println!("wrote {} ({} rule(s))", baseline.display(), b.rules.len());
        return Ok(exit::OK);
    }
    let base = match check::read_baseline(baseline) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    let outcomes = match check::check(&res, &base) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    let md = check::markdown(&res, &outcomes);
    print_out(&md)?;
    if let Some(p) = markdown {
        crate::fsutil::write_atomic(p, md.as_bytes())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = junit {
        crate::fsutil::write_atomic(p, check::junit(&res, &outcomes).as_bytes())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(if outcomes.iter().all(|o| o.passed) {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn cmd_report(results: &Path, out: Option<PathBuf>) -> Result<i32> {
    let res = match crate::check::read_results(results) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::ERROR);
        }
    };
    let dir = out.unwrap_or_else(|| results.parent().map(Path::to_path_buf).unwrap_or_default());
    for p in crate::report::render(&res, &dir)? {
        println!("wrote {}", p.display());
    }
    Ok(exit::OK)
}
