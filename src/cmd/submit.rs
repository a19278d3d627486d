//! `anomalab submit slurm|k8s`: a spec as a study on a cluster's own scheduler. The plan
//! goes in a study folder with the job files; the array tasks run `run-trial` into the
//! trial cache and a collector job runs `collect`. anomalab schedules nothing itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::args::{K8sArgs, SlurmArgs, StudyArgs, SubmitEngine};
use super::error::{CliError, Status};
use super::output::print_out;
use super::study::write_plan;
use crate::fsutil::write_atomic;
use crate::runner::study::{StudyPlan, make_plan};

/// Slurm's default `MaxArraySize`, when the cluster's cannot be read.
const SLURM_DEFAULT_MAX_ARRAY: usize = 1001;

pub fn run(engine: SubmitEngine) -> Result<Status, CliError> {
    match engine {
        SubmitEngine::Slurm(a) => slurm(&a),
        SubmitEngine::K8s(a) => k8s(&a),
    }
}

/// A planned study and where its files go.
struct Study {
    plan: StudyPlan,
    dir: PathBuf,
    plan_path: PathBuf,
    exe: PathBuf,
}

fn prepare(args: &StudyArgs) -> Result<Study, CliError> {
    let exp = crate::spec::load(&args.input.spec)?;
    let plan = make_plan(&exp, &args.input.settings(vec![]))?;
    let dir = match &args.out {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => plan
            .project_dir
            .join(".anomalab/studies")
            .join(&plan.experiment),
    };
    let plan_path = dir.join("plan.json");
    write_plan(&plan, &plan_path)?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Usage(format!("cannot find the anomalab executable: {e}")))?;
    Ok(Study {
        plan,
        dir,
        plan_path,
        exe,
    })
}

/// Trials per task so that the array has at most `max_tasks` tasks.
pub fn fit_chunk(trials: usize, chunk: usize, max_tasks: usize) -> usize {
    chunk.max(1).max(trials.div_ceil(max_tasks.max(1)))
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    write_atomic(path, text.as_bytes()).map_err(|error| CliError::Write {
        path: path.to_path_buf(),
        error,
    })
}

/// `s` quoted for a POSIX shell.
fn sh(s: &Path) -> String {
    format!("'{}'", s.display().to_string().replace('\'', r"'\''"))
}

fn slurm(args: &SlurmArgs) -> Result<Status, CliError> {
    let max = args.max_array_size.or_else(slurm_max_array_size);
    let study = prepare(&args.study)?;
    let n = study.plan.trials.len();
    let chunk = fit_chunk(n, args.study.chunk, max.unwrap_or(SLURM_DEFAULT_MAX_ARRAY));
    let tasks = n.div_ceil(chunk);
    std::fs::create_dir_all(study.dir.join("logs")).map_err(|error| CliError::Write {
        path: study.dir.join("logs"),
        error,
    })?;
    let array = study.dir.join("array.sbatch");
    let collect = study.dir.join("collect.sbatch");
    write(&array, &array_script(&study, args, chunk, tasks))?;
    write(&collect, &collect_script(&study, args, chunk))?;
    let mut text = format!(
        "wrote {} ({n} trials), {} ({tasks} tasks of {chunk} trial(s)) and {}\n",
        study.plan_path.display(),
        array.display(),
        collect.display()
    );
    if args.study.dry_run {
        text.push_str(&format!(
            "submit with:\n  id=$(sbatch --parsable {})\n  sbatch --dependency=afterany:${{id%%;*}} {}\n",
            sh(&array),
            sh(&collect)
        ));
    } else {
        let array_id = sbatch(&[array.as_os_str().to_str().unwrap_or_default()])?;
        let dep = format!("--dependency=afterany:{array_id}");
        let collect_id = sbatch(&[&dep, collect.to_str().unwrap_or_default()])?;
        text.push_str(&format!(
            "submitted array job {array_id} and collector job {collect_id} (after it)\nresults: {}\n",
            study
                .plan
                .project_dir
                .join("reports")
                .join(&study.plan.experiment)
                .join("results.json")
                .display()
        ));
    }
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

fn sbatch_header(study: &Study, args: &SlurmArgs, name: &str, log: &str) -> String {
    let mut s = format!(
        "#!/bin/bash\n#SBATCH --job-name={name}\n#SBATCH --cpus-per-task={}\n#SBATCH --output={}\n",
        args.study.cpus.max(1),
        study.dir.join("logs").join(log).display()
    );
    if let Some(p) = &args.partition {
        s.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &args.time {
        s.push_str(&format!("#SBATCH --time={t}\n"));
    }
    s
}

fn array_script(study: &Study, args: &SlurmArgs, chunk: usize, tasks: usize) -> String {
    let name = format!("anomalab-{}", study.plan.experiment);
    let mut s = sbatch_header(study, args, &name, "trial-%A_%a.out");
    let throttle = args
        .study
        .array_parallelism
        .map(|p| format!("%{p}"))
        .unwrap_or_default();
    s.push_str(&format!(
        "#SBATCH --array=0-{}{throttle}\n",
        tasks.saturating_sub(1)
    ));
    s.push_str(&format!(
        "# Task I runs trials I*{chunk} .. I*{chunk}+{} of the plan into the trial cache;\n\
         # run again with `sbatch --array=LIST {}` for the tasks `collect` lists.\n\
         exec {} run-trial {} --chunk {chunk} --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        chunk - 1,
        study.dir.join("array.sbatch").display(),
        sh(&study.exe),
        sh(&study.plan_path)
    ));
    s
}

fn collect_script(study: &Study, args: &SlurmArgs, chunk: usize) -> String {
    let name = format!("anomalab-{}-collect", study.plan.experiment);
    let mut s = sbatch_header(study, args, &name, "collect-%j.out");
    s.push_str(&format!(
        "# Runs after every array task (afterany): merges the stored trials, or lists the\n\
         # missing ones as an --array expression and exits 1.\n\
         exec {} collect {} --chunk {chunk} --wait 60 --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        sh(&study.exe),
        sh(&study.plan_path)
    ));
    s
}

/// Submit with `sbatch --parsable`; its job id.
fn sbatch(args: &[&str]) -> Result<String, CliError> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| {
            CliError::Usage(format!(
                "cannot run sbatch ({e}); is Slurm installed here? --dry-run writes the files only"
            ))
        })?;
    if !out.status.success() {
        return Err(CliError::Usage(format!(
            "sbatch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `id` or `id;cluster`.
    Ok(text
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string())
}

/// The cluster's `MaxArraySize` from `scontrol show config`, when Slurm answers.
fn slurm_max_array_size() -> Option<usize> {
    let out = Command::new("scontrol")
        .args(["show", "config"])
        .output()
        .ok()?;
    parse_max_array_size(&String::from_utf8_lossy(&out.stdout))
}

pub fn parse_max_array_size(config: &str) -> Option<usize> {
    config.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "MaxArraySize").then(|| v.trim().parse().ok())?
    })
}

fn k8s(args: &K8sArgs) -> Result<Status, CliError> {
    let study = prepare(&args.study)?;
    let root = &study.plan.project_dir;
    for (what, dir) in [
        ("data", &study.plan.data_dir),
        ("cache", &study.plan.cache_dir),
        ("study", &study.dir),
    ] {
        if !dir.starts_with(root) {
            return Err(CliError::Usage(format!(
                "the {what} folder {} is not under the project folder {}: the volume `{}` is mounted at the project folder, so everything a pod reads must be under it",
                dir.display(),
                root.display(),
                args.pvc
            )));
        }
    }
    let n = study.plan.trials.len();
    let chunk = args.study.chunk.max(1);
    let tasks = n.div_ceil(chunk);
    let jobs = k8s_jobs(&study, args, chunk, tasks);
    let path = study.dir.join("k8s.yaml");
    let text: Vec<String> = jobs.iter().map(to_yaml).collect();
    write(&path, &text.join("---\n"))?;
    print_out(&format!(
        "wrote {} ({n} trials) and {} (an Indexed Job of {tasks} tasks of {chunk} trial(s), and its collector)\napply with: kubectl apply -f {}\n",
        study.plan_path.display(),
        path.display(),
        path.display()
    ))
    .map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

/// The Indexed Job of `run-trial` and the collector Job (which waits for the stored
/// trials: Kubernetes has no dependency between Jobs).
fn k8s_jobs(study: &Study, args: &K8sArgs, chunk: usize, tasks: usize) -> [Value; 2] {
    let root = study.plan.project_dir.display().to_string();
    let plan = study.plan_path.display().to_string();
    let cpus = args.study.cpus.max(1);
    let name = format!(
        "anomalab-{}",
        study.plan.experiment.replace('_', "-").to_lowercase()
    );
    let pod = |container: &str, command: Vec<String>| {
        json!({
            "restartPolicy": "Never",
            "containers": [{
                "name": container,
                "image": args.image,
                "command": command,
                "resources": {"requests": {"cpu": cpus.to_string()}},
                "volumeMounts": [{"name": "study", "mountPath": root}],
            }],
            "volumes": [{"name": "study", "persistentVolumeClaim": {"claimName": args.pvc}}],
        })
    };
    let trial = vec![
        "anomalab".into(),
        "run-trial".into(),
        plan.clone(),
        "--chunk".into(),
        chunk.to_string(),
        "--jobs".into(),
        cpus.to_string(),
    ];
    let collect = vec![
        "anomalab".into(),
        "collect".into(),
        plan,
        "--chunk".into(),
        chunk.to_string(),
        "--wait".into(),
        "86400".into(),
    ];
    [
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": format!("{name}-trials"), "namespace": args.namespace},
            "spec": {
                "completionMode": "Indexed",
                "completions": tasks,
                "parallelism": args.study.array_parallelism.unwrap_or(tasks).min(tasks),
                "backoffLimitPerIndex": 2,
                "template": {"spec": pod("trial", trial)},
            },
        }),
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": format!("{name}-collect"), "namespace": args.namespace},
            "spec": {"backoffLimit": 0, "template": {"spec": pod("collect", collect)}},
        }),
    ]
}

/// `v` as block-style YAML (strings double-quoted, as JSON writes them: valid YAML).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    yaml_into(v, 0, &mut out);
    out
}

fn yaml_into(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_into(item, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_into(item, indent, out);
                    }
                    scalar => out.push_str(&format!("{pad}{k}: {scalar}\n")),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let mut inner = String::new();
                yaml_into(item, indent + 2, &mut inner);
                let body = match item {
                    Value::Object(m) if !m.is_empty() => inner,
                    Value::Array(a) if !a.is_empty() => inner,
                    scalar => format!("{}{scalar}\n", " ".repeat(indent + 2)),
                };
                // The first line's indent becomes the "- ".
                out.push_str(&format!("{pad}- {}", &body[indent + 2..]));
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_study_is_chunked_to_fit_the_array_limit() {
        assert_eq!(fit_chunk(200, 1, 1001), 1);
        assert_eq!(fit_chunk(5000, 1, 1001), 5);
        assert_eq!(fit_chunk(5000, 8, 1001), 8);
        assert_eq!(5000usize.div_ceil(fit_chunk(5000, 1, 1001)), 1000);
    }

    #[test]
    fn max_array_size_is_read_from_scontrol() {
        let config = "JobCompType             = jobcomp/filetxt\nMaxArraySize            = 77\nMaxJobCount = 10000\n";
        assert_eq!(parse_max_array_size(config), Some(77));
        assert_eq!(parse_max_array_size("nothing"), None);
    }

    #[test]
    fn yaml_round_trips_through_a_yaml_parser() {
        let v = json!({"a": 1, "b": {"c": ["x", "y z"], "d": [{"e": true, "f": {"g": "h: i"}}]}, "k": [], "l": [[1, 2]]});
        let text = to_yaml(&v);
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        let y = &docs[0];
        assert_eq!(y["a"].as_i64(), Some(1));
        assert_eq!(y["b"]["c"][1].as_str(), Some("y z"));
        assert_eq!(y["b"]["d"][0]["e"].as_bool(), Some(true));
        assert_eq!(y["b"]["d"][0]["f"]["g"].as_str(), Some("h: i"));
        assert!(y["k"].as_vec().unwrap().is_empty());
        assert_eq!(y["l"][0][1].as_i64(), Some(2));
    }
}
