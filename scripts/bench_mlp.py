#!/usr/bin/env python3
"""anomalab's MLP classifier against scikit-learn's MLPClassifier over seeds.

A benchmark, not a test: it prints a table, nothing asserts a time. For each task and
seed it fits both sides on the same prepared matrices and reports fit wall and CPU seconds
(CPU = user + system of the whole process, all threads) and test accuracy and F1 macro;
then, over the seeds, the mean paired difference (ours - scikit-learn) of each quality
metric with a 95 % t interval ("equal" when the interval contains zero or favours ours).

Models: ours `mlp` (native) with hidden [64], max_iter 50 and its defaults (relu, adam,
lr 1e-3, batch min(200, n), alpha 1e-4, tol 1e-4, n_iter_no_change 10, no early
stopping), fit seed = the seed; scikit-learn `MLPClassifier((64,), max_iter=50,
random_state=seed)` with the same defaults. Seeds change the initial weights and the
batch order only; the split is fixed.

Tasks (matrices from ``bench_prepare.py``, see its header): ``nsl`` = ``nslkdd_binary``
(KDDTrain+ -> KDDTest+, 122 features), ``unsw`` = ``unsw_10class`` (stratified 70/30,
190 features, 10 classes).

The Rust side is the example ``bench_classic`` of crates/anomalab-learn (built here in
release mode); scikit-learn runs in this process with its BLAS limited to
--sklearn-blas-threads threads (default 1, through threadpoolctl): on a shared 2-core
machine OpenBLAS's threads spin while they wait and multiply the CPU seconds (measured
here: 268 s CPU for a fit of 22 s wall), and the 200-row batch products gain little from a
second thread. Ours is single-threaded by design (one fit, fixed order).
Run from the repository root:

    python3 scripts/bench_mlp.py [--bench-dir DIR] [--seeds 0,1,2,3,4] [--tasks nsl,unsw]
        [--threads N] [--json-out FILE] [--sklearn-cache FILE] [--sklearn-blas-threads N]

--sklearn-cache keeps scikit-learn's results per task and seed in FILE and reuses them
(its fits are deterministic given the seed): for re-running ours after a change. The
times it reuses were measured when the file was written.

$BENCH_CLASSIC_EXE, when set, is the driver binary to use instead (e.g. a copy built from
an older commit, for a before/after table). DIR defaults to $ANOMALAB_BENCH_DIR or /var/tmp/anomalab-bench (missing matrices are
built there with bench_prepare.py).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {"nsl": "nslkdd_binary", "unsw": "unsw_10class"}
HIDDEN, MAX_ITER = 64, 50


def load(bench_dir, name):
    meta_path = os.path.join(bench_dir, name + ".json")
    if not os.path.exists(meta_path):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench_prepare.py"),
                        "--out", bench_dir, name], check=True)
    with open(meta_path) as f:
        meta = json.load(f)
    d = meta["n_features"]

    def part(p):
        x = np.fromfile(os.path.join(bench_dir, f"{name}.{p}.x.f64"), "<f8").reshape(-1, d)
        y = np.fromfile(os.path.join(bench_dir, f"{name}.{p}.y.u32"), "<u4")
        return x, y

    return part("train"), part("test")


def write_amx(path, x):
    with open(path, "wb") as f:
        f.write(b"AMX1")
        f.write(np.array(x.shape, "<u8").tobytes())
        f.write(np.ascontiguousarray(x, "<f8").tobytes())


def quality(y, pred):
    from sklearn.metrics import accuracy_score, f1_score
    return accuracy_score(y, pred), f1_score(y, pred, average="macro")


def ours(exe, files, seed, threads):
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    pred_path = files["pred"]
    out = subprocess.run(
        [exe, "fit", "mlp", "native", files["xtr"], files["ytr"], files["xte"], pred_path,
         f"hidden=[{HIDDEN}]", f"max_iter={MAX_ITER}", f"seed={seed}"],
        env=env, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    return r["fit_s"], r["fit_cpu_s"], np.fromfile(pred_path, "<i8")


def sklearn_fit(x, y, xt, seed, blas_threads):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits
    m = MLPClassifier((HIDDEN,), max_iter=MAX_ITER, random_state=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(), threadpool_limits(blas_threads):
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(x, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, m.predict(xt), m.n_iter_


def interval(d):
    d = np.asarray(d, float)
    if len(d) < 2:
        return float(d.mean()), float("nan"), float("nan")
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - h), float(d.mean() + h)


def run_task(task, exe, bench_dir, seeds, a, tmp, cache):
    (x, y), (xt, yt) = load(bench_dir, TASKS[task])
    files = {k: os.path.join(tmp, f"{task}.{k}") for k in ("xtr", "ytr", "xte", "pred")}
    write_amx(files["xtr"], x)
    write_amx(files["xte"], xt)
    y.astype("<i8").tofile(files["ytr"])
    rows = []
    for s in seeds:
        ow, oc, op = ours(exe, files, s, a.threads)
        key = f"{task}/{s}/blas{a.sklearn_blas_threads}"
        if key not in cache:
            sw, sc, sp, sn = sklearn_fit(x, y, xt, s, a.sklearn_blas_threads)
            cache[key] = [sw, sc, *quality(yt, sp), int(sn)]
        sw, sc, sa, sf, sn = cache[key]
        oa, of = quality(yt, op)
        rows.append({"task": task, "seed": s, "ours_fit_s": ow, "ours_cpu_s": oc,
                     "sk_fit_s": sw, "sk_cpu_s": sc, "sk_n_iter": sn,
                     "ours_acc": oa, "sk_acc": sa, "ours_f1": of, "sk_f1": sf})
        r = rows[-1]
        print(f"{task:5} seed {s}: ours {ow:6.2f} s wall {oc:6.2f} s CPU acc {oa:.4f} "
              f"F1 {of:.4f} | sklearn {sw:6.2f} s wall {sc:6.2f} s CPU acc {sa:.4f} "
              f"F1 {sf:.4f} ({sn} epochs)", flush=True)
    return rows


def summary(task, rows):
    m = lambda k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    acc = interval([r["ours_acc"] - r["sk_acc"] for r in rows])
    f1 = interval([r["ours_f1"] - r["sk_f1"] for r in rows])
    print(f"| {task} | {m('ours_fit_s'):.2f} / {m('ours_cpu_s'):.2f} | "
          f"{m('sk_fit_s'):.2f} / {m('sk_cpu_s'):.2f} | "
          f"{m('sk_fit_s') / m('ours_fit_s'):.2f}x / {m('sk_cpu_s') / m('ours_cpu_s'):.2f}x | "
          f"{m('ours_acc'):.4f} vs {m('sk_acc'):.4f}: {100 * acc[0]:+.2f} "
          f"[{100 * acc[1]:+.2f}, {100 * acc[2]:+.2f}] | "
          f"{m('ours_f1'):.4f} vs {m('sk_f1'):.4f}: {100 * f1[0]:+.2f} "
          f"[{100 * f1[1]:+.2f}, {100 * f1[2]:+.2f}] |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench-dir", default=os.environ.get("ANOMALAB_BENCH_DIR",
                                                          "/var/tmp/anomalab-bench"))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--tasks", default="nsl,unsw")
    ap.add_argument("--threads", type=int, default=0, help="RAYON_NUM_THREADS for ours")
    ap.add_argument("--json-out")
    ap.add_argument("--sklearn-cache")
    ap.add_argument("--sklearn-blas-threads", type=int, default=1)
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    exe = os.environ.get("BENCH_CLASSIC_EXE")
    if not exe:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "anomalab-learn",
                        "--example", "bench_classic"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "examples", "bench_classic")
    import sklearn
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    cache = {}
    if a.sklearn_cache and os.path.exists(a.sklearn_cache):
        with open(a.sklearn_cache) as f:
            cache = json.load(f)
    all_rows = []
    with tempfile.TemporaryDirectory(prefix="anomalab-mlp-") as tmp:
        for task in a.tasks.split(","):
            all_rows += run_task(task, exe, a.bench_dir, seeds, a, tmp, cache)
    if a.sklearn_cache:
        with open(a.sklearn_cache, "w") as f:
            json.dump(cache, f, indent=1)
    print(f"\nload average {os.getloadavg()[0]:.2f}; fit seconds are means over "
          f"{len(seeds)} seeds; quality differences (ours - sklearn) in points, "
          "mean [95 % t interval]\n")
    print("| task | ours fit s wall / CPU | sklearn fit s wall / CPU | speed-up wall / CPU "
          "| accuracy | F1 macro |")
    print("|---|---|---|---|---|---|")
    for task in a.tasks.split(","):
        summary(task, [r for r in all_rows if r["task"] == task])
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(all_rows, f, indent=1)


if __name__ == "__main__":
    main()
