//! The HTTP API of `anomalab serve`, against a real server on a loopback port: models
//! trained here on generated flows, requests over plain sockets (`client.rs`).

mod client;
mod errors;
mod limits;
mod scoring;
mod streams;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use anomalab::score::Scorer;
use anomalab::serve::http::{App, HttpConfig, serve};
use anomalab::serve::state::{ModelInfo, ServeState};
use anomalab::serve::verdict::AlertRule;

/// One generated flow: a long `duration` is an attack.
#[derive(Debug, Clone)]
pub struct Flow {
    pub duration: f64,
    pub bytes: f64,
    pub proto: &'static str,
    pub label: &'static str,
}

pub fn flows(n: usize) -> Vec<Flow> {
    (0..n)
        .map(|i| {
            let attack = i % 4 == 0;
            Flow {
                duration: if attack {
                    5000.0 + (i * 13 % 400) as f64
                } else {
                    100.0 + (i * 7 % 300) as f64
                },
                bytes: ((i * 31) % 50) as f64 / 4.0,
                proto: ["tcp", "udp", "icmp"][i % 3],
                label: if attack { "attack" } else { "normal" },
            }
        })
        .collect()
}

/// The flows as CSV with the columns in `columns` order (`label` last when asked).
pub fn flows_csv(flows: &[Flow], with_proto: bool, with_label: bool) -> String {
    let mut head = vec!["bytes", "duration"];
    if with_proto {
        head.push("proto");
    }
    if with_label {
        head.push("label");
    }
    let mut s = head.join(",") + "\n";
    for f in flows {
        let mut cells = vec![f.bytes.to_string(), f.duration.to_string()];
        if with_proto {
            cells.push(f.proto.into());
        }
        if with_label {
            cells.push(f.label.into());
        }
        s.push_str(&(cells.join(",") + "\n"));
    }
    s
}

/// Train the model of `spec_models` (the spec's `models:` list) on `csv` and return its
/// path.
fn train(dir: &Path, csv: &str, preprocessing: &str, spec_models: &str) -> PathBuf {
    std::fs::write(dir.join("train.csv"), csv).unwrap();
    let spec = format!(
        "name: t\nseed: 3\ndataset: {{source: csv, files: train.csv, label: label}}\n\
         split: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n{preprocessing}\
         models:\n{spec_models}outputs: {{save_best: true, report: false}}\n"
    );
    let spec_path = dir.join("s.yaml");
    std::fs::write(&spec_path, spec).unwrap();
    let exp = anomalab::spec::load(&spec_path).unwrap();
    let settings = anomalab::runner::RunSettings {
        data_dir: dir.to_path_buf(),
        project_dir: dir.to_path_buf(),
        jobs: 1,
        strict: false,
        command_line: vec![],
        cache: None,
    };
    let outcome = anomalab::runner::run(&exp, &settings, &anomalab::runner::Silent).unwrap();
    outcome.model_path.expect("the best model is saved")
}

/// A decision tree on `bytes`, `duration` and the text column `proto` (trained once).
pub fn classifier() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        train(
            dir.path(),
            &flows_csv(&flows(120), true, true),
            "  - encode: {method: onehot, unseen: ignore}\n  - scale: {method: standard}\n",
            "  - algorithm: decision_tree\n",
        )
    })
}

/// An isolation forest on the numeric columns only, trained on normal flows.
pub fn detector() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        train(
            dir.path(),
            &flows_csv(&flows(120), false, true),
            "  - scale: {method: standard}\n",
            "  - algorithm: isolation_forest\n    training: normal_only\n    \
             threshold: {method: percentile, percentile: 95}\n",
        )
    })
}

/// The alert rule `serve` derives from a model's classes.
pub fn rule_of(scorer: &Scorer) -> AlertRule {
    let classes = &scorer.header().class_names;
    AlertRule {
        normal: anomalab::eval::normal_class(classes),
        classes: classes.len() as u32,
    }
}

/// A server on 127.0.0.1 (port chosen by the system), on its own runtime thread.
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn start(model: &Path, config: HttpConfig) -> Server {
        let scorer = Arc::new(Scorer::load(model).unwrap());
        let info = ModelInfo {
            name: "best".into(),
            sha256: "ab".repeat(32),
            role: if scorer.header().threshold.is_some() {
                "detector"
            } else {
                "classifier"
            },
            algorithm: scorer.header().algorithm.clone(),
        };
        let state = Arc::new(ServeState::new(info, 100));
        state.set_ready(true);
        let rule = rule_of(&scorer);
        let app = Arc::new(App::new(scorer, state, rule, config));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let thread = std::thread::spawn(move || {
            rt.block_on(serve(listener, served, async {
                let _ = rx.await;
            }))
        });
        Server {
            addr,
            app,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// Signal shutdown and wait for the server to drain.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("the server thread does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

pub fn config() -> HttpConfig {
    HttpConfig {
        events_interval: std::time::Duration::from_millis(50),
        ..HttpConfig::default()
    }
}
