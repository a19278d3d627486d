//! Binary-level tests: run the real `anomalab` executable in a temporary project folder.
//! Fixtures are generated here; real datasets are read from `ANOMALAB_DATA_DIR` or
//! `<repo>/../shared/datasets`.

mod bad_input;
mod benchmark;
mod cache;
mod check;
mod dashboard;
mod extract;
mod predict;
mod real_data;
mod repeats;
mod run;
mod serve;
mod slurm;
mod study;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary project folder with helpers to write files and run the binary in it.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Run `anomalab ARGS` in the project folder, with the project folder as data dir.
    pub fn run(&self, args: &[&str]) -> Out {
        let out = Command::new(env!("CARGO_BIN_EXE_anomalab"))
            .args(args)
            .current_dir(self.dir.path())
            .env("ANOMALAB_DATA_DIR", self.dir.path())
            .env_remove("RUST_LOG")
            .output()
            .expect("run anomalab");
        Out(out)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

pub struct Out(pub Output);

impl Out {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).to_string()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).to_string()
    }
    /// Assert the exit code, showing both streams when it differs.
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code(),
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The real datasets folder, or a clear failure (skip only when explicitly allowed).
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ANOMALAB_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    if dir.join("MANIFEST.md").exists() || dir.join("nsl-kdd").exists() {
        return Some(dir);
    }
    if std::env::var("ANOMALAB_ALLOW_MISSING_DATA").as_deref() == Ok("1") {
        eprintln!(
            "skipped: real datasets not found at {} (ANOMALAB_ALLOW_MISSING_DATA=1)",
            dir.display()
        );
        return None;
    }
    panic!(
        "real datasets not found at {}: set ANOMALAB_DATA_DIR to the folder that holds nsl-kdd/, unsw-nb15/, ... \
         (or ANOMALAB_ALLOW_MISSING_DATA=1 to skip the tests that need them)",
        dir.display()
    );
}

/// The repository root (to reach `experiments/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small labelled CSV with a categorical column, generated deterministically.
pub fn flows_csv(rows: usize) -> String {
    let mut s = String::from("proto,bytes,packets,rate,label\n");
    for i in 0..rows {
        let attack = i % 3 == 0;
        let proto = ["tcp", "udp", "icmp"][i % 3 / 2 + usize::from(i % 7 == 0)];
        let bytes = if attack {
            40 + (i * 7) % 20
        } else {
            500 + (i * 37) % 900
        };
        let packets = if attack { 1 + i % 2 } else { 5 + i % 11 };
        s.push_str(&format!(
            "{proto},{bytes},{packets},{:.3},{}\n",
            bytes as f64 / packets as f64,
            if attack { "attack" } else { "normal" }
        ));
    }
    s
}

/// results.json without the fields that depend on the clock or the machine.
pub fn deterministic_part(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("manifest");
    for t in v["trials"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("timing");
    }
    v
}

/// A spec over a CSV in the project folder.
pub fn csv_spec(name: &str, file: &str, extra: &str) -> String {
    format!(
        "name: {name}\nseed: 1\ndataset:\n  source: csv\n  files: {file}\n  label: label\nsplit: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n  - encode: {{method: onehot}}\n  - scale: {{method: standard}}\nmodels:\n  - algorithm: dummy\n{extra}"
    )
}
