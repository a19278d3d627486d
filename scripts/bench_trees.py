#!/usr/bin/env python3
"""Side-by-side benchmark of anomalab's native tree learners and scikit-learn.

For each dataset prepared by ``scripts/bench_prepare.py`` and each model (decision tree,
random forest of 100 trees, extra trees of 100 trees), it fits scikit-learn's estimator
(``n_jobs`` = ``--threads`` for the forests) and the native one with the same
hyper-parameters and seed, each in its own process so that peak memory is per model, and
prints one table:

  dataset, model, impl, fit s (wall), fit CPU s, predict s, accuracy, F1 macro, ROC-AUC
  (binary; one-vs-rest macro for multiclass), peak RSS MB (by /usr/bin/time), model size
  (postcard bytes / pickle bytes), and the ratios
  scikit-learn / native of fit time, predict time and peak RSS.

Metrics are computed here, with scikit-learn, from the test-set probabilities each side
writes, so both are scored by the same code. The native side is the
``cargo bench -p anomalab-learn --bench trees`` target (built here with ``--no-run`` and
run directly). CPU time is shown because the machine may be shared: wall-clock ratios are
only meaningful when both sides ran under the same load, which is why every pair runs
back to back, and ``--repeat N`` keeps the best of N runs of each.

On the synthetic set the decision tree is limited to ``max_depth=20`` (the reference
measurement), the forests are not (pass ``--rf-max-depth`` to limit them).

With ``--seeds 0,1,2`` every fit is repeated with each seed (both sides): the table shows
the mean metrics with their standard deviation over the seeds, and median times.

Usage: scripts/bench_trees.py [--dir DIR] [--datasets a,b] [--models a,b] [--impls a,b]
       [--threads 2] [--repeat 1] [--seeds 0] [--n-estimators 100] [--json-out FILE]
"""

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_prepare  # noqa: E402

MODELS = ["decision_tree", "random_forest", "extra_trees"]


def model_params(dataset, model, args):
    """Hyper-parameters given to both sides (scikit-learn names; the rest are defaults)."""
    p = {}
    if model == "decision_tree" and dataset == "synthetic":
        p["max_depth"] = 20
    if model != "decision_tree":
        p["n_estimators"] = args.n_estimators
        if args.rf_max_depth:
            p["max_depth"] = args.rf_max_depth
    return p


# ---------------------------------------------------------------- worker (one fit)


def cpu():
    return time.process_time()


def run_sklearn_worker(a):
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    xtr, ytr, xte, _, _ = bench_prepare.load(a.dir, a.dataset)
    params = json.loads(a.params)
    if a.model == "decision_tree":
        m = DecisionTreeClassifier(random_state=a.seed, **params)
    else:
        cls = RandomForestClassifier if a.model == "random_forest" else ExtraTreesClassifier
        m = cls(n_jobs=a.threads, random_state=a.seed, **params)
    t0, c0 = time.perf_counter(), cpu()
    m.fit(xtr, ytr)
    fit_s, fit_cpu = time.perf_counter() - t0, cpu() - c0
    t0, c0 = time.perf_counter(), cpu()
    proba = m.predict_proba(xte)
    predict_s, predict_cpu = time.perf_counter() - t0, cpu() - c0
    t0 = time.perf_counter()
    blob = pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)
    save_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pickle.loads(blob)
    load_s = time.perf_counter() - t0
    np.ascontiguousarray(proba, dtype="<f8").tofile(a.proba_out)
    if a.model == "decision_tree":
        nodes, leaves = m.tree_.node_count, m.get_n_leaves()
    else:
        nodes = sum(e.tree_.node_count for e in m.estimators_)
        leaves = sum(e.get_n_leaves() for e in m.estimators_)
    print(json.dumps({
        "fit_s": fit_s, "fit_cpu_s": fit_cpu, "predict_s": predict_s,
        "predict_cpu_s": predict_cpu, "save_s": save_s, "load_s": load_s,
        "model_bytes": len(blob), "nodes": int(nodes), "leaves": int(leaves),
    }))


# ---------------------------------------------------------------- driver


def build_native():
    out = subprocess.run(
        ["cargo", "bench", "-p", "anomalab-learn", "--bench", "trees", "--no-run",
         "--message-format=json"],
        cwd=HERE.parent, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    exe = None
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "trees":
            exe = msg.get("executable") or exe
    if not exe:
        sys.exit("could not find the native benchmark executable")
    return exe


def run_measured(cmd):
    """Run `cmd`, return (its JSON line, peak RSS in MB of that process).

    The peak is measured by /usr/bin/time when it exists: `ru_maxrss` of a child started
    from Python also counts the pages of the Python process it was forked from (Linux
    carries the high-water mark over `exec`), which would inflate both sides."""
    timer = "/usr/bin/time"
    rss_file = None
    if os.path.exists(timer):
        fd, rss_file = tempfile.mkstemp(prefix="anomalab-rss-")
        os.close(fd)
        cmd = [timer, "-f", "%M", "-o", rss_file] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(cmd)}")
    if rss_file:
        with open(rss_file) as fh:
            rss_kb = float(fh.read().split()[-1])
        os.unlink(rss_file)
    else:
        rss_kb = ru.ru_maxrss
    line = [ln for ln in out.splitlines() if ln.startswith("{")][-1]
    return json.loads(line), rss_kb / 1024.0


def metrics(proba, y, n_classes):
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    pred = proba.argmax(axis=1)
    acc = accuracy_score(y, pred)
    f1 = f1_score(y, pred, average="macro", labels=list(range(n_classes)), zero_division=0)
    try:
        if n_classes == 2:
            auc = roc_auc_score(y, proba[:, 1])
        else:
            present = np.unique(y)
            p = proba[:, present]
            p = p / np.clip(p.sum(axis=1, keepdims=True), 1e-300, None)
            auc = roc_auc_score(y, p, multi_class="ovr", average="macro", labels=present)
    except ValueError:
        auc = float("nan")
    return acc, f1, auc


def summarise(runs):
    """One table row from the runs of several seeds: median times and sizes, mean metrics
    (with their standard deviation over seeds)."""
    out = dict(runs[0])
    for k in ("fit_s", "fit_cpu_s", "predict_s", "predict_cpu_s", "rss_mb", "model_bytes",
              "save_s", "load_s"):
        out[k] = float(np.median([r[k] for r in runs]))
    for k in ("accuracy", "f1_macro", "roc_auc"):
        v = np.array([r[k] for r in runs])
        out[k] = float(v.mean())
        out[k + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    out["seeds"] = [r["seed"] for r in runs]
    return out


def one_run(impl, exe, dataset, model, params, args, proba_path, seed):
    if impl == "sklearn":
        cmd = [sys.executable, __file__, "--worker", "--dir", str(args.dir), "--dataset", dataset,
               "--model", model, "--threads", str(args.threads), "--seed", str(seed),
               "--params", json.dumps(params), "--proba-out", proba_path]
    else:
        cmd = [exe, "--dir", str(args.dir), "--dataset", dataset, "--model", model,
               "--threads", str(args.threads), "--seed", str(seed), "--proba-out", proba_path]
        for k, v in params.items():
            cmd += ["--param", f"{k}={v}"]
    return run_measured(cmd)


def metric(r, k, sd):
    return f"{r[k]:.4f} ({r[k + '_sd']:.4f})" if sd else f"{r[k]:.4f}"


def fmt_size(b):
    return f"{b / 1e6:.2f} MB" if b >= 1e5 else f"{b / 1e3:.1f} kB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path,
                    default=Path(os.environ.get("ANOMALAB_BENCH_DIR", bench_prepare.DEFAULT_OUT)))
    ap.add_argument("--datasets", default=",".join(bench_prepare.ALL))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--impls", default="sklearn,native")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--seeds", default="0",
                    help="comma-separated seeds: metrics are averaged over them (mean, sd)")
    ap.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    ap.add_argument("--n-estimators", type=int, default=100)
    ap.add_argument("--rf-max-depth", type=int, default=None)
    ap.add_argument("--json-out", type=Path)
    # worker mode
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--proba-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_sklearn_worker(args)
        return

    datasets = args.datasets.split(",")
    models = args.models.split(",")
    impls = args.impls.split(",")
    missing = [d for d in datasets if not (args.dir / f"{d}.json").exists()]
    if missing:
        subprocess.run([sys.executable, str(HERE / "bench_prepare.py"), "--out", str(args.dir),
                        *missing], check=True)
    tmp = tempfile.mkdtemp(prefix="anomalab-bench-trees-")
    exe = None
    if "native" in impls:
        # A private copy, so that a rebuild during a long run cannot change what is measured.
        exe = os.path.join(tmp, "trees-bench")
        shutil.copy2(build_native(), exe)
    load = os.getloadavg()
    print(f"# {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"at start; threads={args.threads}, repeat={args.repeat}, seeds={args.seeds}",
          flush=True)

    rows = []
    seeds = [int(x) for x in args.seeds.split(",")]
    for dataset in datasets:
        _, _, _, yte, meta = bench_prepare.load(args.dir, dataset)
        nc = meta["n_classes"]
        for model in models:
            params = model_params(dataset, model, args)
            res = {}
            for impl in impls:
                runs = []
                for seed in seeds:
                    best = None
                    for _ in range(args.repeat):
                        path = os.path.join(tmp, f"{dataset}.{model}.{impl}.proba")
                        r, rss = one_run(impl, exe, dataset, model, params, args, path, seed)
                        r["rss_mb"] = rss
                        if best is None or r["fit_s"] < best["fit_s"]:
                            proba = np.fromfile(path, dtype="<f8").reshape(len(yte), nc)
                            r["accuracy"], r["f1_macro"], r["roc_auc"] = metrics(proba, yte, nc)
                            best = r
                        os.unlink(path)
                    best.update(dataset=dataset, model=model, impl=impl, params=params, seed=seed)
                    print(json.dumps(best), file=sys.stderr, flush=True)
                    runs.append(best)
                row = summarise(runs)
                res[impl] = row
                rows.append(row)
            if "sklearn" in res and "native" in res:
                s, n = res["sklearn"], res["native"]
                n["fit_ratio"] = s["fit_s"] / n["fit_s"]
                n["fit_cpu_ratio"] = s["fit_cpu_s"] / max(n["fit_cpu_s"], 1e-3)
                n["predict_ratio"] = s["predict_s"] / n["predict_s"]
                n["rss_ratio"] = s["rss_mb"] / n["rss_mb"]

    sd = len(seeds) > 1
    hdr = ("dataset", "model", "impl", "fit s", "fit CPU s", "predict s",
           "accuracy" + (" (sd)" if sd else ""), "F1 macro" + (" (sd)" if sd else ""), "ROC-AUC", "peak RSS MB", "model size", "fit x", "fit CPU x", "predict x", "RSS x")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        ratio = lambda k: f"{r[k]:.2f}" if k in r else ""  # noqa: E731
        print("| " + " | ".join([
            r["dataset"], r["model"], r["impl"], f"{r['fit_s']:.3f}", f"{r['fit_cpu_s']:.2f}",
            f"{r['predict_s']:.3f}", metric(r, "accuracy", sd), metric(r, "f1_macro", sd),
            metric(r, "roc_auc", False), f"{r['rss_mb']:.0f}", fmt_size(r["model_bytes"]),
            ratio("fit_ratio"), ratio("fit_cpu_ratio"), ratio("predict_ratio"), ratio("rss_ratio"),
        ]) + " |")
    load = os.getloadavg()
    print(f"# load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at end; ratios are "
          f"scikit-learn / native (above 1 = native faster or smaller)")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
