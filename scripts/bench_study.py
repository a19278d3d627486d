#!/usr/bin/env python3
"""Overhead of sharding a run: 200 small trials run locally, through `run-trial` one
process per trial, and through `run-trial --chunk 20` (10 processes).

Each way runs in a fresh project folder (no stored trials), on one core (`taskset -c 0`,
`--jobs 1`), the three ways interleaved, `--repeat` times. The table gives the wall and
CPU seconds of each (median), and the overhead per trial against the local run: what a
worker pays to start, read the plan, load and preprocess the data for its trials, and
what `collect` adds. The data: anomalab's synthetic flow records (2,000 rows), so it runs
offline. Run from the repository root:

    python3 scripts/bench_study.py [--repeat 3] [--trials 200] [--chunk 20]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spec(trials):
    grid = ", ".join(str(1 + i) for i in range(trials))
    return (
        "name: overhead\nseed: 1\ndataset: {source: synthetic, rows: 2000}\n"
        "split: {kind: holdout, test_size: 0.3}\npreprocessing:\n  - clean: {non_finite: median}\n  - encode: {method: onehot}\n  - scale: {method: standard}\n"
        f"models:\n  - algorithm: decision_tree\n    params: {{max_depth: [{grid}]}}\n"
        "outputs: {report: false}\n"
    )


def timed(argvs, cwd):
    """Wall and CPU seconds of running `argvs` one after the other."""
    wall, cpu = time.perf_counter(), 0.0
    for argv in argvs:
        p = subprocess.Popen(["taskset", "-c", "0", *argv], cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        err = p.stderr.read().decode()
        _, status, ru = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"{' '.join(argv)} failed ({status}):\n{err}")
        cpu += ru.ru_utime + ru.ru_stime
    return time.perf_counter() - wall, cpu


def one(way, exe, spec_path, trials, chunk, work):
    project = tempfile.mkdtemp(dir=work)
    try:
        if way == "local":
            return timed([[exe, "run", spec_path, "-q", "-j", "1", "--no-cache"]], project)
        plan = os.path.join(project, "plan.json")
        k = 1 if way == "one process per trial" else chunk
        argvs = [[exe, "plan", spec_path, "-o", plan]]
        argvs += [[exe, "run-trial", plan, "--index", str(i), "--chunk", str(k), "-j", "1", "-q"]
                  for i in range((trials + k - 1) // k)]
        argvs.append([exe, "collect", plan, "-q", "-j", "1"])
        return timed(argvs, project)
    finally:
        shutil.rmtree(project, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=20)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q"], check=True, cwd=REPO)
    exe = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target"),
                       "release", "anomalab")
    work = tempfile.mkdtemp(prefix="anomalab-bench-study-")
    spec_path = os.path.join(work, "overhead.yaml")
    with open(spec_path, "w") as f:
        f.write(spec(args.trials))
    ways = ["local", "one process per trial", f"chunks of {args.chunk}"]
    runs = {w: [] for w in ways}
    for _ in range(args.repeat):
        for w in ways:
            runs[w].append(one(w, exe, spec_path, args.trials, args.chunk, work))
    med = {w: tuple(sorted(r[i] for r in v)[len(v) // 2] for i in range(2)) for w, v in runs.items()}
    print(f"{args.trials} decision-tree trials on 2,000 synthetic rows, one core, median of "
          f"{args.repeat} interleaved runs")
    print(f"{'way':26} {'wall s':>7} {'CPU s':>7} {'overhead ms/trial (wall)':>25} {'(CPU)':>8}")
    base_wall, base_cpu = med["local"]
    for w in ways:
        wall, cpu = med[w]
        print(f"{w:26} {wall:7.2f} {cpu:7.2f} {1000 * (wall - base_wall) / args.trials:25.1f} "
              f"{1000 * (cpu - base_cpu) / args.trials:8.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
