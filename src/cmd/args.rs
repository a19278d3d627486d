//! Every command-line argument, in one place (clap derive). Closed choices are enums, so
//! nothing below matches strings clap already validated.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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

impl DataArgs {
    /// `--data-dir`, else `ANOMALAB_DATA_DIR`, else the default beside the checkout.
    pub fn dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(crate::data::default_data_dir)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment: every trial, results.json, reports and the best model.
    Run(RunArgs),
    /// Run the same models on several datasets (a benchmark file listing one spec per
    /// dataset) and compare them across the datasets: ranks, Friedman, Nemenyi with the
    /// critical difference, pairwise Wilcoxon with Holm.
    Benchmark(BenchmarkArgs),
    /// Check specs (syntax, types, models, parameters, metrics) without running them.
    Validate(ValidateArgs),
    /// List the algorithms, their backends, parameters and defaults.
    Models(ModelsArgs),
    /// The dataset catalog.
    Datasets {
        #[command(subcommand)]
        command: DatasetsCommand,
    },
    /// Score a file with a saved model: CSV or Parquet, a file as the model's training
    /// source reads it (e.g. NSL-KDD's header-less KDDTest+.txt), a capture or a Zeek log.
    Predict(PredictArgs),
    /// Compare a results.json with a baseline: exit 0 pass, 1 regression, 2 could not run.
    Check(CheckArgs),
    /// Extract flows from packet captures (pcap, pcapng, gzip; `-` reads standard input)
    /// into a CSV or Parquet file in a CIC-IDS2017 layout.
    Extract(ExtractArgs),
    /// Re-render the reports of a run from its results.json, without re-running anything.
    Report(ReportArgs),
    /// Detect with a saved model: score captures (files or `-` for a `tcpdump -w -`
    /// stream) or a followed Zeek log, write Suricata-EVE alerts, serve a scoring API.
    Serve(Box<ServeArgs>),
    /// Write a plan file: every trial of a spec with its index and key (for sharding).
    Plan(PlanArgs),
    /// Run trials of a plan by index into the trial cache (one array task of a study).
    RunTrial(RunTrialArgs),
    /// Merge a plan's stored trials into results.json, save the best model, render the
    /// reports; exit 1 listing the missing trials as an `--array=` expression.
    Collect(CollectArgs),
    /// Submit a spec as a study to a cluster's own scheduler (Slurm job array, Kubernetes
    /// Indexed Job) with a collector job after it.
    Submit {
        #[command(subcommand)]
        engine: SubmitEngine,
    },
    /// The trial cache: what is stored, why a trial was not reused, removing old entries.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

/// A spec with its data and project folders, to plan it.
#[derive(Debug, Clone, clap::Args)]
pub struct SpecInput {
    /// The experiment spec (YAML).
    pub spec: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Folder under which `reports/`, `models/` and the cache are.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub project_dir: PathBuf,
    /// Trial cache folder the workers write to (under --project-dir when relative; on a
    /// cluster, on the shared filesystem).
    #[arg(long, default_value = crate::runner::cache::DEFAULT_CACHE_DIR, value_name = "DIR")]
    pub cache: PathBuf,
}

impl SpecInput {
    /// How the spec is planned (one thread: planning reads the data, runs nothing).
    pub fn settings(&self, command_line: Vec<String>) -> crate::runner::RunSettings {
        crate::runner::RunSettings {
            data_dir: self.data.dir(),
            project_dir: self.project_dir.clone(),
            jobs: 1,
            strict: self.data.strict,
            command_line,
            cache: Some((self.cache.clone(), crate::runner::Reuse::Cached)),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: SpecInput,
    /// Where to write the plan.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RunTrialArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Array task index. Default: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX (Kubernetes)
    /// or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "I")]
    pub index: Option<usize>,
    /// Trials per task: task I runs trials I*K .. I*K+K-1.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub chunk: usize,
    /// Worker threads. Default: SLURM_CPUS_PER_TASK, else all cores.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Data folder, when it is not where the plan says (another mount point).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Wait up to this many seconds for stored trials to appear (a shared filesystem may
    /// show a worker's file late).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub wait: u64,
    /// Trials per array task, to list missing trials as task indexes.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub chunk: usize,
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum SubmitEngine {
    /// An sbatch job array of `run-trial` and a collector job (`afterany`).
    Slurm(SlurmArgs),
    /// A Kubernetes Indexed Job of `run-trial` and a collector Job, as manifests.
    K8s(K8sArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct StudyArgs {
    #[command(flatten)]
    pub input: SpecInput,
    /// Folder for the plan, the job files and the logs. Default:
    /// <project>/.anomalab/studies/<experiment>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Trials per array task (raised when the array would exceed the engine's limit).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub chunk: usize,
    /// CPUs per task.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub cpus: usize,
    /// At most this many tasks at once.
    #[arg(long, value_name = "N")]
    pub array_parallelism: Option<usize>,
    /// Only write the files.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Time limit per task (Slurm's format, e.g. 1:00:00).
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// The cluster's MaxArraySize. Default: read from `scontrol show config`, else 1001.
    #[arg(long, value_name = "N")]
    pub max_array_size: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct K8sArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    /// Container image with anomalab on its PATH.
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// PersistentVolumeClaim (ReadWriteMany) mounted at the same path as here, holding the
    /// project, the plan, the cache and the data.
    #[arg(long, value_name = "NAME")]
    pub pvc: String,
    /// Kubernetes namespace.
    #[arg(long, default_value = "default")]
    pub namespace: String,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List the stored trials: key, algorithm, parameters, selection metric, when.
    Ls(CacheDirArgs),
    /// For each trial of a spec: stored, or which part of its key differs from the
    /// closest stored trial of the same model.
    Explain(SpecInput),
    /// Remove stored trials that none of the given specs references.
    Gc(CacheGcArgs),
}

#[derive(Debug, clap::Args)]
pub struct CacheDirArgs {
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub project_dir: PathBuf,
    #[arg(long, default_value = crate::runner::cache::DEFAULT_CACHE_DIR, value_name = "DIR")]
    pub cache: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CacheGcArgs {
    /// The specs whose trials are kept.
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub dir: CacheDirArgs,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct BenchmarkArgs {
    /// The benchmark file (YAML): `benchmark:`, `experiments:` (spec paths), `metric:`.
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Worker threads for trials (and the models inside them). Default: all cores.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Folder under which `reports/` and `models/` are written.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub project_dir: PathBuf,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The experiment spec (YAML).
    pub spec: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Worker threads for trials (and the models inside them). Default: all cores.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Folder under which `reports/` and `models/` are written.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub project_dir: PathBuf,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Where finished trials are stored, and whether stored ones are taken.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheArgs {
    /// Trial cache folder (under --project-dir when relative).
    #[arg(long, default_value = crate::runner::cache::DEFAULT_CACHE_DIR, value_name = "DIR")]
    pub cache: PathBuf,
    /// Run every trial again, ignoring stored results (the new ones are stored).
    #[arg(long, conflicts_with = "no_cache")]
    pub fresh: bool,
    /// Neither read nor write the trial cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    pub fn setting(&self) -> Option<(PathBuf, crate::runner::Reuse)> {
        use crate::runner::Reuse;
        let reuse = if self.fresh {
            Reuse::Fresh
        } else {
            Reuse::Cached
        };
        (!self.no_cache).then(|| (self.cache.clone(), reuse))
    }
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    /// Only this algorithm.
    pub name: Option<String>,
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

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A `best.model` written by `run`.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// The file to score: CSV or Parquet with a header naming the model's input columns,
    /// a file in the layout of the model's training data (e.g. NSL-KDD's KDDTest+.txt as
    /// distributed), a packet capture (pcap, pcapng, gzip) or a Zeek conn.log.
    #[arg(long, short = 'i')]
    pub input: PathBuf,
    /// How to read the input. `auto`: a capture or a Zeek log by its first bytes; else as
    /// the model's training source reads its files when it was trained on a catalog
    /// dataset, CSV or Parquet (a header-less dataset's file with a header line is read as
    /// a table); else a table. `table`: CSV (plain or gzip) or Parquet with a header.
    /// `source`: as the training source reads its files, with the spec's options.
    /// `capture`: flows extracted as `source: pcap` does (with the model's extraction
    /// options). `zeek`: a conn.log (TSV or JSON lines).
    #[arg(long, value_enum, default_value = "auto", value_name = "FORMAT")]
    pub input_format: InputFormat,
    /// Where to write the predictions (CSV); default: standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Extra input columns to ignore (otherwise extra columns are an error).
    #[arg(long = "ignore", value_name = "COLUMN")]
    pub ignore: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// `reports/<experiment>/results.json`.
    pub results: PathBuf,
    /// Baseline file (YAML).
    #[arg(long, short = 'b')]
    pub baseline: PathBuf,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the Markdown summary here (it is printed to standard output too).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Create the baseline from these results instead of checking.
    #[arg(long)]
    pub write_baseline: bool,
    /// With --write-baseline: the allowed absolute drop of each metric.
    #[arg(long, default_value_t = 0.01, value_name = "X")]
    pub max_drop: f64,
}

/// The CSV column layouts of CIC-IDS2017.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    // GeneratedLabelledFlows: 85 columns with the flow identifiers.
    Cic85,
    // MachineLearningCVE: 79 columns, `Destination Port`, features and label.
    Mlcve79,
}

impl From<Layout> for anomalab_flow::CsvLayout {
    fn from(l: Layout) -> Self {
        match l {
            Layout::Cic85 => anomalab_flow::CsvLayout::Cic85,
            Layout::Mlcve79 => anomalab_flow::CsvLayout::Mlcve79,
        }
    }
}

/// How `predict` reads its input (see [`crate::score::InputFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Auto,
    Table,
    Source,
    Capture,
    Zeek,
}

impl From<InputFormat> for crate::score::InputFormat {
    fn from(f: InputFormat) -> Self {
        use crate::score::InputFormat as F;
        match f {
            InputFormat::Auto => F::Auto,
            InputFormat::Table => F::Table,
            InputFormat::Source => F::Source,
            InputFormat::Capture => F::Capture,
            InputFormat::Zeek => F::Zeek,
        }
    }
}

/// A switch given as a word (`on` / `off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Switch::On
    }
}

#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// Capture files; `-` for standard input (e.g. `tcpdump -w - | anomalab extract -`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output file: `.parquet`/`.pq` writes Parquet (same columns; ` Timestamp` in µs
    /// since the epoch), anything else CSV; `-` is CSV on standard output.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Column layout: the 85-column GeneratedLabelledFlows or the 79-column MachineLearningCVE.
    #[arg(long, value_enum, default_value = "cic85")]
    pub layout: Layout,
    /// Count Ethernet padding as payload, as the published CIC-IDS2017 CSVs do (`off`
    /// reproduces the reference CICFlowMeter outputs).
    #[arg(long, value_enum, default_value = "on")]
    pub count_l2_padding: Switch,
    /// Also decode IPv6 (the CIC-IDS2017 feature set ignores it by default).
    #[arg(long)]
    pub include_ipv6: bool,
    /// Cap on flows held at once; beyond it the oldest flow is emitted early (counted).
    #[arg(long, value_name = "N")]
    pub max_active_flows: Option<usize>,
    /// Label every flow with this text.
    #[arg(long, conflicts_with = "labels")]
    pub label: Option<String>,
    /// Labelling rules (YAML: `default:` and `rules:` by address, port, protocol, time).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    pub results: PathBuf,
    /// Output folder (default: the folder of results.json).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn closed_choices_parse_to_enums() {
        let cli = Cli::try_parse_from([
            "anomalab",
            "extract",
            "a.pcap",
            "-o",
            "f.csv",
            "--layout",
            "mlcve79",
            "--count-l2-padding",
            "off",
        ])
        .unwrap();
        let Command::Extract(e) = cli.command else {
            panic!("extract")
        };
        assert_eq!(e.layout, Layout::Mlcve79);
        assert!(!e.count_l2_padding.is_on());
        assert!(
            Cli::try_parse_from(["anomalab", "extract", "a", "-o", "f", "--layout", "x"]).is_err()
        );
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
tcpdump -U -i eth0 -w - | anomalab serve -m models/pcap_flows/best.model - --alerts alerts.json\n  \
anomalab serve -m M capture.pcap more.pcapng.gz --alerts - --flows\n  \
anomalab serve -m M --interface eth0 --alerts alerts.json   (AF_PACKET: root or CAP_NET_RAW)\n  \
anomalab serve -m M --zeek-log /opt/zeek/logs/current/conn.log --follow --alerts alerts.json\n  \
anomalab serve -m M --http 127.0.0.1:8080\n\n\
SIGINT/SIGTERM: stop reading, score every open flow, flush, print a summary, exit 0.\n\
SIGHUP: reopen the alerts file (log rotation).")]
pub struct ServeArgs {
    /// A `best.model` written by `run`.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Captures to score in turn (pcap, pcapng, gzip of either); `-` reads standard input.
    #[arg(value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,
    /// A network interface to read live (AF_PACKET; needs CAP_NET_RAW), after the captures.
    #[cfg(all(feature = "live", target_os = "linux"))]
    #[arg(long, value_name = "NAME")]
    pub interface: Vec<String>,
    /// A Zeek conn.log (TSV or JSON) to score, for a model trained on `source: zeek`.
    #[arg(long, value_name = "FILE")]
    pub zeek_log: Option<PathBuf>,
    /// Keep reading the Zeek log as it grows and is rotated, until stopped.
    #[arg(long, requires = "zeek_log")]
    pub follow: bool,
    /// Where alerts go, one EVE JSON object per line: a file (appended) or `-` (standard
    /// output, the default).
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// Also write an `event_type: "flow"` record with the prediction of every flow.
    #[arg(long)]
    pub flows: bool,
    /// Most flows held at once; beyond it the oldest is scored early and counted as
    /// evicted. Default: the model's training setting (1,000,000).
    #[arg(long, value_name = "N")]
    pub max_active_flows: Option<usize>,
    /// Replay capture files at X times their capture pace (for demos and latency tests).
    #[arg(long, value_name = "X")]
    pub replay_speed: Option<f64>,
    /// Write one alert per (source, destination, label) per this many seconds of traffic;
    /// the others are counted (0: write every alert).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub suppress: f64,
    /// The class that is not an alert, when no class is `normal` or `benign`.
    #[arg(long, value_name = "CLASS")]
    pub normal_class: Option<String>,
    /// Serve the scoring API, metrics and live events on this address (loopback unless
    /// a token file is given).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
    /// A file holding the bearer token HTTP clients must send (required off loopback).
    #[arg(long, value_name = "FILE", requires = "http")]
    pub token_file: Option<PathBuf>,
    /// Largest HTTP request body, in bytes.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Longest time one HTTP request may take, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub request_timeout: f64,
    /// Most HTTP requests handled at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_concurrency: usize,
    /// Keep analyst feedback from the dashboard as JSON lines in this file (appended; read
    /// back at start).
    #[arg(long, value_name = "FILE", requires = "http")]
    pub feedback: Option<PathBuf>,
    /// Keep a file of the source addresses of severe alerts, each with an expiry, for
    /// `nft -f` or `ipset restore` (anomalab never changes the firewall itself).
    #[arg(long, value_name = "FILE")]
    pub blocklist: Option<PathBuf>,
    /// The loader the blocklist is written for.
    #[arg(long, value_enum, default_value = "nft", requires = "blocklist")]
    pub blocklist_format: crate::serve::blocklist::BlocklistFormat,
    /// List sources of alerts of this severity or more severe (1 most severe, 3 least).
    #[arg(long, default_value_t = 1, value_name = "1-3", value_parser = clap::value_parser!(u8).range(1..=3), requires = "blocklist")]
    pub block_severity: u8,
    /// How long an address stays listed after its last alert, in seconds.
    #[arg(
        long,
        default_value_t = 3600,
        value_name = "SECONDS",
        requires = "blocklist"
    )]
    pub block_ttl: u64,
    /// Recent alerts kept for `GET /alerts`.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub alert_ring: usize,
}
