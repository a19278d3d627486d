#!/usr/bin/env python3
"""Side-by-side benchmark of anomalab's native tree learners, scikit-learn and XGBoost.

For each dataset prepared by ``scripts/bench_prepare.py`` and each model it fits the peers
and the native learner with the same hyper-parameters and seed, each in its own process
(so that peak memory is per model), back to back, and prints one table:

  dataset, model, impl, fit s (wall), fit CPU s, predict s, predict CPU s, accuracy,
  F1 macro, ROC-AUC (binary; one-vs-rest macro for multiclass), peak RSS MB (by
  /usr/bin/time), model size (anomalab: postcard bytes; scikit-learn: pickle bytes;
  XGBoost: ``save_raw("ubj")`` bytes), and on each peer's row the native learner's
  speed-up over that peer: peer / native fit time (wall and CPU), predict time and peak RSS
  (above 1 = native faster or smaller).

Models and peers (scikit-learn names; the rest are each library's defaults):

* ``decision_tree``: ``DecisionTreeClassifier`` (``max_depth=20`` on the synthetic set,
  the reference measurement; unlimited elsewhere).
* ``random_forest`` / ``extra_trees``: ``RandomForestClassifier`` /
  ``ExtraTreesClassifier(n_estimators=100, n_jobs=THREADS)``.
* ``gradient_boosting``: 200 rounds, depth 6, learning rate 0.1, L2 1, no early stopping,
  against XGBoost ``XGBClassifier(tree_method="hist", max_bin=256, n_jobs=THREADS)`` and
  scikit-learn ``HistGradientBoostingClassifier(max_iter=200, max_depth=6,
  max_leaf_nodes=None, l2_regularization=1, max_bins=255, early_stopping=False)``
  (``OMP_NUM_THREADS=THREADS``; its ``min_samples_leaf`` stays 20).

Metrics are computed here, with scikit-learn, from the test-set probabilities each side
writes, so every implementation is scored by the same code. The native side is the
``cargo bench -p anomalab-learn --bench trees`` target (built here with ``--no-run`` and
run directly). CPU time is shown because the machine may be shared: wall-clock ratios are
only meaningful when both sides ran under the same load, which is why every group runs
back to back, and ``--repeat N`` keeps the fastest of N runs of each, the runs of the
implementations interleaved (native, peer, native, peer, ...) so that a slow spell of a
shared machine falls on every side.

With ``--seeds 0,1,2`` every fit is repeated with each seed (all sides): the table shows
the mean metrics with their standard deviation over the seeds, and median times.

With ``--gbdt-subsample 0.8`` gradient boosting samples rows and columns (``subsample``
and ``colsample_bytree``, native and XGBoost only), so that ``--seeds`` shows how much F1
moves from seed to seed: on small classes (UNSW-NB15's 13 test Worms) one prediction moves
F1 macro by a point.

Usage: scripts/bench_trees.py [--dir DIR] [--datasets a,b] [--models a,b]
       [--impls native,sklearn,xgboost] [--threads 2] [--repeat 1] [--seeds 0]
       [--n-estimators 100] [--rounds 200] [--gbdt-subsample 1.0] [--json-out FILE]
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

MODELS = ["decision_tree", "random_forest", "extra_trees", "gradient_boosting"]
# Who runs each model; the first peer is the one the issue compares with.
PEERS = {"gradient_boosting": ["xgboost", "sklearn"]}
DEFAULT_PEERS = ["sklearn"]


def model_params(dataset, model, args):
    """Hyper-parameters given to every side (anomalab names, which are scikit-learn's for
    the trees and forests; the gradient-boosting workers translate them)."""
    if model == "gradient_boosting":
        p = {"n_estimators": args.rounds, "max_depth": 6, "learning_rate": 0.1,
             "lambda": 1.0, "early_stopping": False}
        if args.gbdt_subsample < 1.0:
            p["subsample"] = p["colsample_bytree"] = args.gbdt_subsample
        return p
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


def peer_estimator(a, params):
    """The peer library's estimator for ``a.model`` with ``params`` (see the docstring)."""
    if a.model == "gradient_boosting":
        if a.impl == "xgboost":
            import xgboost as xgb

            return xgb.XGBClassifier(
                n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                learning_rate=params["learning_rate"], reg_lambda=params["lambda"],
                subsample=params.get("subsample", 1.0),
                colsample_bytree=params.get("colsample_bytree", 1.0),
                tree_method="hist", max_bin=256, n_jobs=a.threads, random_state=a.seed)
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=params["n_estimators"], max_depth=params["max_depth"],
            learning_rate=params["learning_rate"], l2_regularization=params["lambda"],
            max_leaf_nodes=None, max_bins=255, early_stopping=False, random_state=a.seed)
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    if a.model == "decision_tree":
        return DecisionTreeClassifier(random_state=a.seed, **params)
    cls = RandomForestClassifier if a.model == "random_forest" else ExtraTreesClassifier
    return cls(n_jobs=a.threads, random_state=a.seed, **params)


def tree_counts(m, model):
    """(nodes, leaves) of a fitted peer model, None when the library does not say."""
    if model == "decision_tree":
        return m.tree_.node_count, m.get_n_leaves()
    if model in ("random_forest", "extra_trees"):
        return (sum(e.tree_.node_count for e in m.estimators_),
                sum(e.get_n_leaves() for e in m.estimators_))
    if hasattr(m, "get_booster"):
        df = m.get_booster().trees_to_dataframe()
        return len(df), int((df["Feature"] == "Leaf").sum())
    nodes = [p.nodes for per_class in m._predictors for p in per_class]
    return sum(len(n) for n in nodes), sum(int(n["is_leaf"].sum()) for n in nodes)


def run_peer_worker(a):
    xtr, ytr, xte, _, _ = bench_prepare.load(a.dir, a.dataset)
    m = peer_estimator(a, json.loads(a.params))
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
    nodes, leaves = tree_counts(m, a.model)
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


def run_measured(cmd, threads):
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
    # OpenMP (scikit-learn's histogram gradient boosting, XGBoost) and rayon get the same
    # thread count as the estimators' n_jobs.
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
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
    if impl != "native":
        cmd = [sys.executable, __file__, "--worker", "--impl", impl, "--dir", str(args.dir),
               "--dataset", dataset, "--model", model, "--threads", str(args.threads),
               "--seed", str(seed), "--params", json.dumps(params), "--proba-out", proba_path]
    else:
        cmd = [exe, "--dir", str(args.dir), "--dataset", dataset, "--model", model,
               "--threads", str(args.threads), "--seed", str(seed), "--proba-out", proba_path]
        for k, v in params.items():
            cmd += ["--param", f"{k}={v}"]
    return run_measured(cmd, args.threads)


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
    ap.add_argument("--impls", default="native,sklearn,xgboost",
                    help="implementations to run (peers run only for the models they have)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--seeds", default="0",
                    help="comma-separated seeds: metrics are averaged over them (mean, sd)")
    ap.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    ap.add_argument("--n-estimators", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=200, help="gradient-boosting rounds")
    ap.add_argument("--gbdt-subsample", type=float, default=1.0,
                    help="row and column sampling of gradient boosting (native and XGBoost "
                         "only): with --seeds, shows the spread of F1 over seeds")
    ap.add_argument("--rf-max-depth", type=int, default=None)
    ap.add_argument("--json-out", type=Path)
    # worker mode
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--impl", default="sklearn", help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--proba-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_peer_worker(args)
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
            peers = PEERS.get(model, DEFAULT_PEERS)
            if model == "gradient_boosting" and args.gbdt_subsample < 1.0:
                # HistGradientBoostingClassifier has no row sampling.
                peers = [x for x in peers if x != "sklearn"]
            # Native first, then its peers, in the order the issue names them. The repeats
            # are interleaved (native, peer, native, peer, ...) and each keeps its fastest
            # run, so that a slow spell of a shared machine falls on both sides.
            order = [i for i in ["native", *peers] if i in impls]
            runs = {impl: [] for impl in order}
            for seed in seeds:
                best = {impl: None for impl in order}
                for _ in range(args.repeat):
                    for impl in order:
                        path = os.path.join(tmp, f"{dataset}.{model}.{impl}.proba")
                        r, rss = one_run(impl, exe, dataset, model, params, args, path, seed)
                        r["rss_mb"] = rss
                        if best[impl] is None or r["fit_s"] < best[impl]["fit_s"]:
                            proba = np.fromfile(path, dtype="<f8").reshape(len(yte), nc)
                            r["accuracy"], r["f1_macro"], r["roc_auc"] = metrics(proba, yte, nc)
                            best[impl] = r
                        os.unlink(path)
                for impl in order:
                    b = best[impl]
                    b.update(dataset=dataset, model=model, impl=impl, params=params, seed=seed)
                    print(json.dumps(b), file=sys.stderr, flush=True)
                    runs[impl].append(b)
            for impl in order:
                row = summarise(runs[impl])
                res[impl] = row
                rows.append(row)
            n = res.get("native")
            for peer in peers:
                if n is not None and peer in res:
                    s = res[peer]
                    s["fit_ratio"] = s["fit_s"] / n["fit_s"]
                    s["fit_cpu_ratio"] = s["fit_cpu_s"] / max(n["fit_cpu_s"], 1e-3)
                    s["predict_ratio"] = s["predict_s"] / n["predict_s"]
                    s["predict_cpu_ratio"] = s["predict_cpu_s"] / max(n["predict_cpu_s"], 1e-3)
                    s["rss_ratio"] = s["rss_mb"] / n["rss_mb"]

    sd = len(seeds) > 1
    hdr = ("dataset", "model", "impl", "fit s", "fit CPU s", "predict s", "predict CPU s",
           "accuracy" + (" (sd)" if sd else ""), "F1 macro" + (" (sd)" if sd else ""),
           "ROC-AUC", "peak RSS MB", "model size",
           "native fit x", "fit CPU x", "predict x", "predict CPU x", "RSS x")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        ratio = lambda k: f"{r[k]:.2f}" if k in r else ""  # noqa: E731
        print("| " + " | ".join([
            r["dataset"], r["model"], r["impl"], f"{r['fit_s']:.3f}", f"{r['fit_cpu_s']:.2f}",
            f"{r['predict_s']:.3f}", f"{r['predict_cpu_s']:.3f}", metric(r, "accuracy", sd),
            metric(r, "f1_macro", sd), metric(r, "roc_auc", False), f"{r['rss_mb']:.0f}",
            fmt_size(r["model_bytes"]), ratio("fit_ratio"), ratio("fit_cpu_ratio"),
            ratio("predict_ratio"), ratio("predict_cpu_ratio"), ratio("rss_ratio"),
        ]) + " |")
    load = os.getloadavg()
    print(f"# load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at end; ratios (on each "
          f"peer's row) are peer / native (above 1 = native faster or smaller)")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
