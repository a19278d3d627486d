#!/usr/bin/env python3
"""A whole experiment, anomalab against a scikit-learn script, on two tasks, one after the
other: wall, CPU and peak RSS of each side, and per model fit and predict seconds,
accuracy and F1 macro.

Tasks:
  * NSL-KDD binary, KDDTrain+ -> KDDTest+ (anomalab: `source: nsl_kdd`, `split: official`);
  * UNSW-NB15 10 classes (attack_cat), stratified 70/30 of the 82,332-row partition.

The same nine models on both sides:

| anomalab                                   | scikit-learn script                      |
|--------------------------------------------|------------------------------------------|
| random_forest n_estimators 100             | RandomForestClassifier(100, n_jobs=2)    |
| decision_tree                              | DecisionTreeClassifier()                 |
| logistic_regression max_iter 1000          | LogisticRegression(max_iter=1000)        |
| knn n_neighbors 5                          | KNeighborsClassifier(5, n_jobs=2)        |
| gaussian_nb                                | GaussianNB()                             |
| gradient_boosting 200 rounds (XGBoost's)   | XGBClassifier(200, hist, n_jobs=2)       |
| gradient_boosting as HistGradientBoosting  | HistGradientBoostingClassifier()         |
|   (31 leaves, no L2, 255 bins, and early     |   (its defaults: early stopping is on    |
|   stopping on 10 % held out, as its default) |   above 10,000 rows)                     |
| linear_svm                                 | LinearSVC()                              |
| mlp hidden [64], max_iter 50               | MLPClassifier((64,), max_iter=50)        |

Both sides one-hot encode the symbolic columns and scale (fitted on the training rows).
The scikit-learn script loads with pandas. anomalab runs `anomalab run --jobs 2
--no-cache` on a generated spec. Quality on one split is only indicative: compare over
seeds for claims. XGBoost is skipped when `xgboost` is not installed (`pip install
xgboost`). Run from the repository root:

    python3 scripts/bench_wholerun.py [--tasks nsl,unsw] [--skip-sklearn]
    python3 scripts/bench_wholerun.py --seeds 0,1,2,3,4 [--tasks nsl,unsw]

The second form judges quality rather than speed: for each seed both sides run on the
same rows (UNSW-NB15: a stratified 70/30 split drawn with that seed and written to CSV
files, which anomalab reads as the official train and test files; NSL-KDD: the official
split, the seed changing the models' randomness), and each model's accuracy and F1 macro
are printed as means with ours - scikit-learn and its 95 % t interval over the seeds.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = [
    ("random_forest", "random_forest", {"n_estimators": 100}),
    ("decision_tree", "decision_tree", {}),
    ("logistic_regression", "logistic_regression", {"max_iter": 1000}),
    ("knn", "knn", {"n_neighbors": 5}),
    ("gaussian_nb", "gaussian_nb", {}),
    ("xgboost_hist", "gradient_boosting", {"n_estimators": 200}),
    ("hist_gradient_boosting", "gradient_boosting",
     {"n_estimators": 100, "learning_rate": 0.1, "max_depth": None, "max_leaves": 31,
      "lambda": 0.0, "max_bins": 255, "early_stopping": True, "validation_fraction": 0.1,
      "n_iter_no_change": 10, "tol": 1e-7}),
    ("linear_svm", "linear_svm", {}),
    ("mlp", "mlp", {"hidden": [64], "max_iter": 50}),
]

TASKS = {
    "nsl": ("NSL-KDD binary, KDDTrain+ -> KDDTest+",
            "dataset: {source: nsl_kdd, target: binary}\nsplit: {kind: official}\n"
            "preprocessing:\n  - drop_columns: [num_outbound_cmds]\n"
            "  - encode: {method: onehot, unseen: ignore}\n  - scale: {method: standard}\n"),
    "unsw": ("UNSW-NB15 10 classes, stratified 70/30",
             "dataset: {source: unsw_nb15, target: attack_cat}\n"
             "split: {kind: holdout, test_size: 0.3}\n"
             "preprocessing:\n  - encode: {method: onehot, unseen: ignore}\n"
             "  - scale: {method: standard}\n"),
}


def spec(task, seed=0, split_dir=None):
    """The anomalab spec of a task; with `split_dir`, UNSW-NB15's split is the one written
    there (`tr.csv`, `te.csv`), read as its official train and test files."""
    data = TASKS[task][1]
    if split_dir:
        files = f"{{train: {split_dir}/tr.csv, test: {split_dir}/te.csv}}"
        data = (f"dataset: {{source: unsw_nb15, target: attack_cat, files: {files}}}\n"
                "split: {kind: official}\n" + data.split("\n", 2)[2])
    lines = [f"name: wholerun_{task}", f"seed: {seed}", data.rstrip("\n"), "models:"]
    for name, algorithm, params in MODELS:
        lines.append(f"  - algorithm: {algorithm}\n    name: {name}\n    params: {json.dumps(params)}")
    lines.append("metrics: [accuracy, f1_macro]\nselection: {metric: f1_macro}")
    lines.append("outputs: {save_best: false, report: false}")
    return "\n".join(lines) + "\n"


def run_anomalab(exe, task, data_dir, work, seed=0, split_dir=None):
    path = os.path.join(work, f"{task}.yaml")
    with open(path, "w") as f:
        f.write(spec(task, seed, split_dir))
    t0 = time.perf_counter()
    p = subprocess.Popen([exe, "run", path, "--jobs", "2", "--no-cache", "-q", "--project-dir", work,
                          "--data-dir", data_dir], stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"anomalab run failed:\n{err}")
    with open(os.path.join(work, "reports", f"wholerun_{task}", "results.json")) as f:
        res = json.load(f)
    models = {}
    for t in res["trials"]:
        tm, mean = t["timing"], t.get("mean", {})
        models[t["model"]] = (tm["fit_seconds_mean"], tm["predict_seconds_mean"],
                              mean.get("accuracy"), mean.get("f1_macro"), t.get("error"))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, models


SKLEARN_CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "scripts"))
import bench_classic as bc
from sklearn.ensemble import RandomForestClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
task, data_dir, seed, split_dir = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
t0 = time.perf_counter()
if task == "unsw" and split_dir:
    import numpy as np, pandas as pd
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    tr, te = (pd.read_csv(os.path.join(split_dir, f)) for f in ("tr.csv", "te.csv"))
    cats = sorted(tr["attack_cat"].unique())
    ytr, yte = (d["attack_cat"].map({c: i for i, c in enumerate(cats)}).to_numpy() for d in (tr, te))
    symbolic = ["proto", "service", "state"]
    numeric = [c for c in tr.columns if c not in symbolic + ["id", "attack_cat", "label"]]
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(tr[symbolic])
    mat = lambda d: np.hstack([d[numeric].to_numpy(dtype=np.float64), enc.transform(d[symbolic])])
    sc = StandardScaler().fit(mat(tr))
    xtr, xte = sc.transform(mat(tr)), sc.transform(mat(te))
else:
    xtr, ytr, xte, yte = bc.load_unsw(data_dir) if task == "unsw" else bc.load(data_dir)
models = {
    "random_forest": RandomForestClassifier(100, n_jobs=2, random_state=seed),
    "decision_tree": DecisionTreeClassifier(random_state=seed),
    "logistic_regression": LogisticRegression(max_iter=1000),
    "knn": KNeighborsClassifier(5, n_jobs=2),
    "gaussian_nb": GaussianNB(),
    "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=seed),
    "linear_svm": LinearSVC(random_state=seed),
    "mlp": MLPClassifier((64,), max_iter=50, random_state=seed),
}
try:
    import xgboost
    models["xgboost_hist"] = xgboost.XGBClassifier(n_estimators=200, tree_method="hist", n_jobs=2,
                                                   random_state=seed)
except ImportError:
    pass
out = {}
only = os.environ.get("WHOLERUN_MODELS")
for name, m in models.items():
    if only and name not in only.split(","):
        continue
    a = time.perf_counter(); m.fit(xtr, ytr); b = time.perf_counter(); p = m.predict(xte); c = time.perf_counter()
    out[name] = (b - a, c - b, accuracy_score(yte, p), f1_score(yte, p, average="macro"), None)
    print(f"  done {name}", file=sys.stderr, flush=True)
print(json.dumps({"models": out, "load_s": None}))
"""


def run_sklearn(task, data_dir, seed=0, split_dir=None):
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", SKLEARN_CHILD, ROOT, task, data_dir, str(seed),
                          split_dir or ""], stdout=subprocess.PIPE)
    text = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"the scikit-learn script failed ({status})")
    models = {k: tuple(v) for k, v in json.loads(text)["models"].items()}
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, models


def fmt(v, spec):
    """`v` formatted, or a dash as wide."""
    return format(v, spec) if isinstance(v, (int, float)) else format("-", ">" + spec.split(".")[0])


def table(task, ours, theirs):
    print(f"\n{TASKS[task][0]}")
    print(f"{'':24} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}")
    print(f"{'scikit-learn script':24} {theirs[0]:8.1f} {theirs[1]:8.1f} {theirs[2]:9.0f}" if theirs else "")
    print(f"{'anomalab run':24} {ours[0]:8.1f} {ours[1]:8.1f} {ours[2]:9.0f}")
    if theirs:
        print(f"ratio (wall): {theirs[0] / ours[0]:.2f}x, CPU {theirs[1] / ours[1]:.2f}x")
    print(f"{'model':24} {'fit':>7} {'pred':>7} {'skl fit':>8} {'skl pred':>8} {'acc':>7} {'skl acc':>7} "
          f"{'F1':>7} {'skl F1':>7}")
    for name, _, _ in MODELS:
        o = ours[3].get(name, (None,) * 5)
        t = theirs[3].get(name, (None,) * 5) if theirs else (None,) * 5
        print(f"{name:24} {fmt(o[0], '7.2f')} {fmt(o[1], '7.2f')} {fmt(t[0], '8.2f')} {fmt(t[1], '8.2f')} "
              f"{fmt(o[2], '7.4f')} {fmt(t[2], '7.4f')} {fmt(o[3], '7.4f')} {fmt(t[3], '7.4f')}"
              + (f"  error: {o[4]}" if o[4] else ""))


def write_unsw_split(data_dir, seed, out):
    """UNSW-NB15's rows split 70/30 stratified by attack_cat with `seed`, written as
    `tr.csv` and `te.csv` (the original columns) for both sides to read."""
    import pandas as pd
    from sklearn.model_selection import train_test_split
    df = pd.read_csv(os.path.join(data_dir, "unsw-nb15", "UNSW_NB15_training-set.csv.gz"),
                     encoding="utf-8-sig")
    tr, te = train_test_split(df, test_size=0.3, stratify=df["attack_cat"], random_state=seed)
    os.makedirs(out, exist_ok=True)
    tr.to_csv(os.path.join(out, "tr.csv"), index=False)
    te.to_csv(os.path.join(out, "te.csv"), index=False)


T975 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365, 9: 2.306, 10: 2.262}


def interval(d):
    """Mean of the paired differences `d` and the half-width of its 95 % t interval."""
    n = len(d)
    m = sum(d) / n
    if n < 2:
        return m, float("nan")
    sd = (sum((x - m) ** 2 for x in d) / (n - 1)) ** 0.5
    return m, T975.get(n, 1.96) * sd / n ** 0.5


def quality(task, seeds, exe, data_dir, work, skip_sklearn):
    """Accuracy and F1 macro of every model over `seeds`, both sides on the same rows
    (UNSW-NB15: one stratified split per seed; NSL-KDD: the official split, the seed
    changes the models' randomness), and ours - scikit-learn with a 95 % interval."""
    runs = []
    for seed in seeds:
        split_dir = None
        if task == "unsw":
            split_dir = os.path.join(work, f"unsw-split-{seed}")
            write_unsw_split(data_dir, seed, split_dir)
        theirs = None if skip_sklearn else run_sklearn(task, data_dir, seed, split_dir)
        ours = run_anomalab(exe, task, data_dir, work, seed, split_dir)
        runs.append((ours, theirs))
        print(f"  {task} seed {seed}: anomalab {ours[0]:.1f} s"
              + (f", scikit-learn {theirs[0]:.1f} s" if theirs else ""), file=sys.stderr, flush=True)
    print(f"\n{TASKS[task][0]}: quality over seeds {','.join(map(str, seeds))} "
          "(mean; ours - scikit-learn in points, 95 % t interval)")
    print(f"{'model':24} {'acc':>7} {'skl acc':>7} {'diff (CI)':>18} {'F1':>7} {'skl F1':>7} "
          f"{'diff (CI)':>18}")
    for name, _, _ in MODELS:
        row = f"{name:24}"
        for k in (2, 3):
            o = [r[0][3][name][k] for r in runs if r[0][3].get(name) and r[0][3][name][k] is not None]
            t = [r[1][3][name][k] for r in runs if r[1] and r[1][3].get(name)]
            mo = sum(o) / len(o) if o else None
            mt = sum(t) / len(t) if t else None
            diff = "-"
            if o and len(o) == len(t):
                m, h = interval([100 * (a - b) for a, b in zip(o, t)])
                diff = f"{m:+.2f} ({m - h:+.2f},{m + h:+.2f})"
            row += f" {fmt(mo, '7.4f')} {fmt(mt, '7.4f')} {diff:>18}"
        print(row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default="nsl,unsw")
    ap.add_argument("--skip-sklearn", action="store_true")
    ap.add_argument("--seeds", help="quality over these seeds (e.g. 0,1,2,3,4) instead of timing")
    ap.add_argument("--models", help="only these models (names of the table, comma-separated)")
    ap.add_argument("--data-dir", default=os.environ.get("ANOMALAB_DATA_DIR")
                    or os.path.join(ROOT, "..", "shared", "datasets"))
    a = ap.parse_args()
    if a.models:
        keep = a.models.split(",")
        unknown = [m for m in keep if m not in [n for n, _, _ in MODELS]]
        if unknown:
            sys.exit(f"unknown model(s) {unknown}; the models are {[n for n, _, _ in MODELS]}")
        MODELS[:] = [m for m in MODELS if m[0] in keep]
        os.environ["WHOLERUN_MODELS"] = a.models
    subprocess.run(["cargo", "build", "--release", "-q"], check=True, cwd=ROOT)
    exe = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                       "release", "anomalab")
    work = tempfile.mkdtemp(prefix="anomalab-bench-wholerun-")
    if a.seeds:
        for task in a.tasks.split(","):
            quality(task, [int(x) for x in a.seeds.split(",")], exe, a.data_dir, work,
                    a.skip_sklearn)
        return
    for task in a.tasks.split(","):
        theirs = None if a.skip_sklearn else run_sklearn(task, a.data_dir)
        ours = run_anomalab(exe, task, a.data_dir, work)
        table(task, ours, theirs)
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
