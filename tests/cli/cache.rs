//! The trial cache: resuming an interrupted run, reusing stored trials.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// Trial files stored under a cache folder.
fn stored(cache: &Path) -> usize {
    let Ok(fans) = std::fs::read_dir(cache.join("trials")) else {
        return 0;
    };
    fans.flatten()
        .filter_map(|f| std::fs::read_dir(f.path()).ok())
        .map(|files| {
            files
                .flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
                .count()
        })
        .sum()
}

/// Eight forests of 3-fold trials on 4,000 rows: slow enough (a few tenths of a second
/// each) to be interrupted between two trials.
fn slow_spec(p: &Project) {
    p.write("d.csv", &flows_csv(4000));
    let extra = "  - algorithm: random_forest\n    params: {n_estimators: [150, 200, 250, 300, 350, 400, 450], max_depth: [null]}\n";
    let spec = csv_spec("resume", "d.csv", extra)
        .replace("{kind: holdout, test_size: 0.3}", "{kind: kfold, folds: 3}");
    p.write("s.yaml", &spec);
}

#[test]
fn a_run_killed_mid_trial_finishes_only_the_missing_trials_with_the_same_results() {
    let p = Project::new();
    slow_spec(&p);
    p.run(&[
        "run",
        "s.yaml",
        "-q",
        "-j",
        "1",
        "--no-cache",
        "--project-dir",
        "ref",
    ])
    .expect(0);
    let reference = deterministic_part(&p.read("ref/reports/resume/results.json"));
    let total = reference["trials"].as_array().unwrap().len();
    assert_eq!(total, 8);

    let cache = p.path(".anomalab/cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_anomalab"))
        .args(["run", "s.yaml", "-q", "-j", "1"])
        .current_dir(p.path(""))
        .env("ANOMALAB_DATA_DIR", p.path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while stored(&cache) < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was interrupted"
        );
        assert!(Instant::now() < deadline, "no trial stored in 120 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let kept = stored(&cache);
    assert!(
        (3..total).contains(&kept),
        "{kept} of {total} stored when killed"
    );

    let again = p.run(&["run", "s.yaml", "-j", "1"]);
    again.expect(0);
    assert!(
        again.stdout().contains(&format!("reused {kept} trial(s)")),
        "{}",
        again.stdout()
    );
    let resumed = deterministic_part(&p.read("reports/resume/results.json"));
    assert_eq!(
        serde_json::to_string_pretty(&resumed).unwrap(),
        serde_json::to_string_pretty(&reference).unwrap()
    );
    assert_eq!(
        std::fs::read(p.path("models/resume/best.model")).unwrap(),
        std::fs::read(p.path("ref/models/resume/best.model")).unwrap(),
        "the best model refitted from a stored trial is the same"
    );
    let all = p.run(&["run", "s.yaml", "-j", "1"]);
    assert!(
        all.stdout().contains(&format!("reused {total} trial(s)")),
        "{}",
        all.stdout()
    );
    let fresh = p.run(&["run", "s.yaml", "-j", "1", "--fresh"]);
    assert!(!fresh.stdout().contains("reused"), "{}", fresh.stdout());
}

#[test]
fn moving_the_data_keeps_the_stored_trials_and_editing_it_does_not() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(300));
    let extra = "  - algorithm: knn\n    params: {n_neighbors: [1, 3]}\n";
    p.write("s.yaml", &csv_spec("moves", "d.csv", extra));
    p.run(&["run", "s.yaml", "-q"]).expect(0);
    std::fs::create_dir_all(p.path("elsewhere")).unwrap();
    std::fs::rename(p.path("d.csv"), p.path("elsewhere/d.csv")).unwrap();
    p.write("s.yaml", &csv_spec("moves", "elsewhere/d.csv", extra));
    let moved = p.run(&["run", "s.yaml"]);
    assert!(
        moved.stdout().contains("reused 3 trial(s)"),
        "{}",
        moved.stdout()
    );
    let text = p.read("elsewhere/d.csv");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    p.write("elsewhere/d.csv", &(lines.join("\n") + "\n"));
    let edited = p.run(&["run", "s.yaml"]);
    assert!(!edited.stdout().contains("reused"), "{}", edited.stdout());
}
