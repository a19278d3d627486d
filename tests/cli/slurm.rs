//! A real one-node Slurm cluster for the tests of `submit slurm` (issue 19), and a smoke
//! test of the cluster itself: a job array, a failing task, a dependent job.
//!
//! The cluster is `scripts/slurm-local.sh start` in a temporary folder: its own MUNGE key
//! and socket, slurm.conf, state and logs, free ports, nothing read from /etc/slurm. A
//! client only needs [`Slurm::env`] (SLURM_CONF). Without Slurm or root, [`Slurm::start`]
//! returns None and says why, unless ANOMALAB_REQUIRE_SLURM=1 (what ./test.sh exports as
//! root after installing Slurm), which turns that into a failure.
//!
//! Accounting is off (no slurmdbd, so no `sacct`): a finished job is read from the
//! jobcomp/filetxt file, one line per job and per array task (see [`JobRecord`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One cluster per test binary, started by the first [`Slurm::start`] and stopped when
/// the last handle drops. Not one per test: three daemons per parallel test would fight
/// over the 2 CPUs of CI for nothing (jobs of different tests are told apart by their job
/// id anyway), and each start costs a second or more. The mutex also serialises start and
/// stop, so two tests never start two clusters.
static CLUSTER: Mutex<Shared> = Mutex::new(Shared {
    users: 0,
    cluster: None,
});

struct Shared {
    users: usize,
    cluster: Option<Cluster>,
}

struct Cluster {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// A handle on the running test cluster (see [`CLUSTER`]).
pub struct Slurm {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

/// One line of the jobcomp/filetxt file: `Key=Value` fields separated by spaces, e.g.
/// `JobId=5 UserId=root(0) ... Name=wrap JobState=FAILED ... StartTime=2026-12-06T13:21:59
/// EndTime=... ArrayJobId=1 ArrayTaskId=2 DerivedExitCode=0:0 ExitCode=3:0`. Array tasks
/// have their own JobId (the last task run keeps the array's) plus ArrayJobId and
/// ArrayTaskId; a plain job has neither. ExitCode is `status:signal`.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub fields: BTreeMap<String, String>,
}

fn lock() -> MutexGuard<'static, Shared> {
    // A panic while starting leaves `cluster` None: the next test may simply try again.
    CLUSTER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why Slurm cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if find_program("sbatch").is_none() {
        return Some("slurm not installed: sbatch not found".into());
    }
    for daemon in ["slurmctld", "slurmd", "munged"] {
        if find_program(daemon).is_none() {
            return Some(format!("slurm not installed: {daemon} not found"));
        }
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: slurmd must run as root to start job steps".into());
    }
    None
}

/// `name` on PATH or in the sbin folders (a user's PATH on Debian has no /usr/sbin).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-local.sh")
}

fn run_script(action: &str, dir: &Path) -> Output {
    Command::new(script())
        .arg(action)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script().display()))
}

impl Cluster {
    fn start() -> Cluster {
        // A short path: the MUNGE socket inside it must fit in sun_path (108 bytes).
        let dir = tempfile::Builder::new()
            .prefix("anomalab-slurm-")
            .tempdir_in("/tmp")
            .expect("temp dir for slurm");
        let out = run_script("start", dir.path());
        if !out.status.success() {
            // The script stops what it started when it fails, but not if it dies
            // halfway; the daemons must not outlive their removed folder.
            run_script("stop", dir.path());
            panic!(
                "scripts/slurm-local.sh start failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env = read_env(&dir.path().join("env"));
        Cluster { dir, env }
    }

    fn stop(self) {
        let out = run_script("stop", self.dir.path());
        if !out.status.success() {
            eprintln!(
                "scripts/slurm-local.sh stop failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The `export KEY=VALUE` lines the script writes to DIR/env.
fn read_env(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let env: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(
        env.iter().any(|(k, _)| k == "SLURM_CONF"),
        "{path:?} has no SLURM_CONF: {text}"
    );
    env
}

impl Slurm {
    /// The shared test cluster, started if no test holds it; None (with the reason on
    /// stderr) when Slurm cannot run here and ANOMALAB_REQUIRE_SLURM is not 1.
    pub fn start() -> Option<Slurm> {
        if let Some(why) = unavailable() {
            if std::env::var("ANOMALAB_REQUIRE_SLURM").as_deref() == Ok("1") {
                panic!("{why}; ANOMALAB_REQUIRE_SLURM=1 says Slurm must run here");
            }
            eprintln!(
                "skipped: {why} (./test.sh installs Slurm; ANOMALAB_REQUIRE_SLURM=1 makes this a failure)"
            );
            return None;
        }
        let mut shared = lock();
        let cluster = shared.cluster.get_or_insert_with(Cluster::start);
        let slurm = Slurm {
            dir: cluster.dir.path().to_path_buf(),
            env: cluster.env.clone(),
        };
        shared.users += 1;
        Some(slurm)
    }

    /// What a client of this cluster needs in its environment (SLURM_CONF).
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    /// `program` with this cluster's environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// `sbatch --parsable ARGS`; the job id, or a panic with sbatch's stderr.
    pub fn sbatch(&self, args: &[&str]) -> String {
        let out = self.command("sbatch").arg("--parsable").args(args).output();
        let out = out.expect("run sbatch");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "sbatch {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // --parsable prints "id" or "id;cluster".
        stdout.trim().split(';').next().unwrap_or("").to_string()
    }

    /// Waits until job `job_id` (a whole array for an array's id) has left the queue, then
    /// returns its finished records (one per array task, by task index). Panics with the
    /// queue and the daemons' logs after `timeout`.
    pub fn wait_job(&self, job_id: &str, timeout: Duration) -> Vec<JobRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            let queued = self.in_queue(job_id);
            let records = self.finished(job_id);
            // The record is written when the job starts completing, before it leaves
            // the queue; asking for both only guards against reading between the two.
            if queued.is_empty() && !records.is_empty() {
                return records;
            }
            assert!(
                Instant::now() < deadline,
                "job {job_id} not finished after {timeout:?}; still queued: {queued:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The queue entries of `job_id` (an array shows as `ID_[0-3]` and `ID_2`).
    fn in_queue(&self, job_id: &str) -> Vec<String> {
        let states = "--states=PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED";
        let args = ["--noheader", "--format=%i", states];
        let out = self.command("squeue").args(args).output();
        let out = out.expect("run squeue");
        assert!(
            out.status.success(),
            "squeue failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        let task_prefix = format!("{job_id}_");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|id| *id == job_id || id.starts_with(&task_prefix))
            .map(String::from)
            .collect()
    }

    /// Every record of `job_id` in the jobcomp file so far, array tasks by index.
    pub fn finished(&self, job_id: &str) -> Vec<JobRecord> {
        let text = std::fs::read_to_string(self.jobcomp_file()).unwrap_or_default();
        let mut records: Vec<JobRecord> = text
            .lines()
            .map(JobRecord::parse)
            .filter(|r| r.belongs_to(job_id))
            .collect();
        records.sort_by_key(|r| r.task());
        records
    }

    /// JobCompLoc of this cluster's slurm.conf.
    fn jobcomp_file(&self) -> PathBuf {
        let conf = self.dir.join("etc/slurm.conf");
        let text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("{conf:?}: {e}"));
        let loc = text.lines().find_map(|l| l.strip_prefix("JobCompLoc="));
        PathBuf::from(loc.unwrap_or_else(|| panic!("{conf:?} has no JobCompLoc")))
    }

    /// The end of the daemons' logs, for a failure message.
    fn logs(&self) -> String {
        let mut s = String::new();
        for name in ["slurmctld.log", "slurmd.log"] {
            let path = self.dir.join("log").join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            s.push_str(&format!("--- {} (end)\n", path.display()));
            tail.iter()
                .rev()
                .for_each(|l| s.push_str(&format!("{l}\n")));
        }
        s
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let mut shared = lock();
        shared.users -= 1;
        if shared.users == 0
            && let Some(cluster) = shared.cluster.take()
        {
            cluster.stop();
        }
    }
}

impl JobRecord {
    /// Splits on spaces; a word without `Key=` continues the previous value (a job name
    /// with spaces).
    pub fn parse(line: &str) -> JobRecord {
        let mut fields = BTreeMap::new();
        let mut last: Option<String> = None;
        for word in line.split_whitespace() {
            match word.split_once('=') {
                Some((k, v)) if k.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    fields.insert(k.to_string(), v.to_string());
                    last = Some(k.to_string());
                }
                _ => {
                    if let Some(v) = last.as_ref().and_then(|k| fields.get_mut(k)) {
                        v.push(' ');
                        v.push_str(word);
                    }
                }
            }
        }
        JobRecord { fields }
    }

    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", String::as_str)
    }

    /// COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
    pub fn state(&self) -> &str {
        self.get("JobState")
    }

    /// The array task index, None for a plain job.
    pub fn task(&self) -> Option<u32> {
        self.fields.get("ArrayTaskId")?.parse().ok()
    }

    /// The job's exit status (ExitCode is `status:signal`).
    pub fn exit_status(&self) -> Option<i32> {
        self.get("ExitCode").split(':').next()?.parse().ok()
    }

    /// True for the job `id`, a task of the array `id`, or the task `id` = `ARRAY_TASK`.
    fn belongs_to(&self, id: &str) -> bool {
        match self.fields.get("ArrayJobId") {
            Some(array) => array == id || format!("{array}_{}", self.get("ArrayTaskId")) == id,
            None => self.get("JobId") == id,
        }
    }
}

/// A job array with one failing task, then a job that depends on the whole array.
#[test]
fn slurm_array_failed_task_and_dependency() {
    let Some(slurm) = Slurm::start() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let chdir = format!("--chdir={}", work.path().display());
    // %a in --output is the task index: each task's stdout is its own file.
    let script = r#"echo "$SLURM_ARRAY_TASK_ID"; [ "$SLURM_ARRAY_TASK_ID" != 2 ] || exit 3"#;
    let array = slurm.sbatch(&["--array=0-3", &chdir, "--output=out_%a", "--wrap", script]);
    let after = format!("--dependency=afterany:{array}");
    let wrap = "cat out_0 out_1 out_2 out_3 > dep_saw";
    let dep = slurm.sbatch(&[&after, &chdir, "--output=dep.log", "--wrap", wrap]);

    let tasks = slurm.wait_job(&array, Duration::from_secs(120));
    let summary: Vec<_> = tasks
        .iter()
        .map(|t| (t.task(), t.state(), t.exit_status()))
        .collect();
    let ok = |i| (Some(i), "COMPLETED", Some(0));
    let expected = vec![ok(0), ok(1), (Some(2), "FAILED", Some(3)), ok(3)];
    assert_eq!(summary, expected, "{tasks:#?}");
    for i in 0..4 {
        let out = std::fs::read_to_string(work.path().join(format!("out_{i}"))).unwrap();
        assert_eq!(out, format!("{i}\n"), "stdout of task {i}");
    }

    let dep_records = slurm.wait_job(&dep, Duration::from_secs(60));
    assert_eq!(dep_records.len(), 1, "{dep_records:#?}");
    let dep_record = &dep_records[0];
    assert_eq!((dep_record.state(), dep_record.task()), ("COMPLETED", None));
    // It ran after every task ended (afterany: the failed one included) and saw them all.
    let last_end = tasks.iter().map(|t| t.get("EndTime")).max().unwrap();
    assert!(
        dep_record.get("StartTime") >= last_end,
        "{dep_record:?} vs {tasks:#?}"
    );
    let saw = std::fs::read_to_string(work.path().join("dep_saw")).unwrap();
    assert_eq!(saw, "0\n1\n2\n3\n");
}

/// Two handles share one cluster, which outlives the first handle.
#[test]
fn slurm_handles_share_one_cluster() {
    let Some(first) = Slurm::start() else { return };
    let second = Slurm::start().expect("a second handle");
    assert_eq!(first.env(), second.env());
    drop(first);
    let ping = second.command("scontrol").arg("ping").output().unwrap();
    let text = String::from_utf8_lossy(&ping.stdout);
    assert!(ping.status.success() && text.contains("UP"), "{text}");
}

/// A jobcomp/filetxt line as Slurm 22.05 writes it, and one whose name has spaces.
#[test]
fn slurm_jobcomp_line_is_parsed() {
    let line = "JobId=5 UserId=root(0) GroupId=root(0) Name=wrap JobState=FAILED \
        Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-06T13:21:59 \
        EndTime=2026-12-06T13:21:59 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/sj \
        ReservationName= Tres=cpu=1,mem=1M,node=1,billing=1 Account= QOS= WcKey= \
        Cluster=unknown SubmitTime=2026-12-06T13:21:55 EligibleTime=2026-12-06T13:21:56 \
        ArrayJobId=1 ArrayTaskId=2 DerivedExitCode=0:0 ExitCode=3:0 ";
    let r = JobRecord::parse(line);
    assert_eq!(
        (r.state(), r.task(), r.exit_status()),
        ("FAILED", Some(2), Some(3))
    );
    assert_eq!(r.get("Tres"), "cpu=1,mem=1M,node=1,billing=1");
    assert!(r.belongs_to("1") && r.belongs_to("1_2") && !r.belongs_to("5"));
    let plain = JobRecord::parse("JobId=7 Name=my job JobState=COMPLETED ExitCode=0:0");
    assert_eq!((plain.get("Name"), plain.task()), ("my job", None));
    assert!(plain.belongs_to("7") && !plain.belongs_to("7_0"));
}

/// `anomalab` in project `p` as a client of `slurm` (the project is the data folder).
fn anomalab(slurm: &Slurm, p: &super::Project, args: &[&str]) -> Output {
    let out = slurm
        .command(env!("CARGO_BIN_EXE_anomalab"))
        .args(args)
        .current_dir(p.path(""))
        .env("ANOMALAB_DATA_DIR", p.path(""))
        .output()
        .expect("run anomalab");
    assert!(
        out.status.success(),
        "anomalab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every log of the study's jobs, for a failure message.
fn study_logs(p: &super::Project) -> String {
    let dir = p.path(".anomalab/studies/study/logs");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|f| f.path()).collect())
        .unwrap_or_default();
    logs.sort();
    logs.iter()
        .map(|f| {
            format!(
                "== {}\n{}",
                f.display(),
                std::fs::read_to_string(f).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn a_study_submitted_to_slurm_collects_what_a_local_run_gives() {
    let Some(slurm) = Slurm::start() else { return };
    let p = super::study::local_study();
    let out = anomalab(&slurm, &p, &["submit", "slurm", "s.yaml", "--chunk", "2"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // "submitted array job 12 and collector job 13 (after it)"
    let ids: Vec<&str> = text
        .split("submitted array job ")
        .nth(1)
        .and_then(|rest| rest.split(" (after it)").next())
        .map(|s| s.split(" and collector job ").collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 2, "{text}");
    let (array, collector) = (ids[0], ids[1]);
    let tasks = slurm.wait_job(array, Duration::from_secs(300));
    let states: Vec<_> = tasks.iter().map(|t| (t.task(), t.state())).collect();
    let ok = [
        (Some(0), "COMPLETED"),
        (Some(1), "COMPLETED"),
        (Some(2), "COMPLETED"),
    ];
    assert_eq!(states, ok, "{}", study_logs(&p));
    let collected = slurm.wait_job(collector, Duration::from_secs(300));
    assert_eq!(collected[0].state(), "COMPLETED", "{collected:#?}");
    super::study::assert_same_as_local(&p);
}

#[test]
fn a_failed_array_task_is_listed_by_collect_then_resubmitted() {
    let Some(slurm) = Slurm::start() else { return };
    let p = super::study::local_study();
    anomalab(
        &slurm,
        &p,
        &["submit", "slurm", "s.yaml", "--chunk", "2", "--dry-run"],
    );
    let dir = p.path(".anomalab/studies/study");
    let array = dir.join("array.sbatch");
    let collect = dir.join("collect.sbatch");
    // Task 1 dies before it starts, as on a failing node.
    let script = std::fs::read_to_string(&array).unwrap();
    let failing = script.replacen(
        "exec ",
        "[ \"$SLURM_ARRAY_TASK_ID\" != 1 ] || exit 3\nexec ",
        1,
    );
    let broken = dir.join("array-task-1-fails.sbatch");
    std::fs::write(&broken, failing).unwrap();
    let first = slurm.sbatch(&[broken.to_str().unwrap()]);
    let after = format!("--dependency=afterany:{first}");
    let collector = slurm.sbatch(&[&after, collect.to_str().unwrap()]);
    slurm.wait_job(&first, Duration::from_secs(300));
    let record = slurm.wait_job(&collector, Duration::from_secs(300));
    assert_eq!(
        (record[0].state(), record[0].exit_status()),
        ("FAILED", Some(1))
    );
    let log = std::fs::read_to_string(dir.join(format!("logs/collect-{collector}.out"))).unwrap();
    assert!(log.contains("2 of 6 trials have no stored result"), "{log}");
    assert!(log.contains("--array=1"), "{log}");

    let again = slurm.sbatch(&["--array=1", array.to_str().unwrap()]);
    let tasks = slurm.wait_job(&again, Duration::from_secs(300));
    assert_eq!((tasks[0].task(), tasks[0].state()), (Some(1), "COMPLETED"));
    let last = slurm.sbatch(&[collect.to_str().unwrap()]);
    let done = slurm.wait_job(&last, Duration::from_secs(300));
    assert_eq!(done[0].state(), "COMPLETED", "{done:#?}");
    super::study::assert_same_as_local(&p);
}
