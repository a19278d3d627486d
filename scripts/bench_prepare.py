#!/usr/bin/env python3
"""Build the benchmark matrices of the native learners once, into a cache directory.

Every benchmark (trees, gradient boosting, ...) reads the same prepared matrices, so that
anomalab's learners and scikit-learn see exactly the same numbers.

Datasets written (NAME):

* ``nslkdd_binary`` / ``nslkdd_5class``: NSL-KDD, KDDTrain+ -> KDDTest+. One-hot encoding
  of protocol_type, service and flag fitted on train (test categories unseen in train are
  ignored, i.e. all-zero), standard scaling of the 38 numeric columns fitted on train (the
  one-hot columns stay 0/1). Labels: binary = normal vs attack; 5 classes = normal, dos,
  probe, r2l, u2r with the mapping in ``NSL_KDD_CATEGORY`` (it covers the test-only attack
  names). 122 features.
* ``unsw_10class``: UNSW-NB15, the shared 82,332-row partition; ``id`` and ``label``
  dropped, target ``attack_cat`` (10 classes), stratified 70/30 split with seed 42
  (scikit-learn ``train_test_split(stratify=y, random_state=42)``), then one-hot of proto,
  service and state fitted on train (unseen test categories ignored) and standard scaling
  of the numeric columns fitted on train.
* ``synthetic``: ``make_classification(n_samples=120_000, n_features=40,
  n_informative=20, n_redundant=10, n_classes=2, flip_y=0.01, random_state=0)``, split
  80/20 with ``train_test_split(random_state=0)``, no scaling.

Format (all little-endian), for each NAME and PART in {train, test}:

* ``NAME.PART.x.f64``: the feature matrix, float64, row-major (row after row);
* ``NAME.PART.y.u32``: the class index of each row, uint32;
* ``NAME.json``: ``{"name", "n_train", "n_test", "n_features", "n_classes",
  "class_names", "feature_names", "x": "f64le row-major", "y": "u32le",
  "description"}``.

Usage: ``scripts/bench_prepare.py [--data-dir DIR] [--out DIR] [--force]
[--unsw-split-seed N] [NAME ...]`` (another split seed belongs in another output directory:
``scripts/bench_split_seeds.py`` does that).
The data directory holds ``nsl-kdd/`` and ``unsw-nb15/`` (default: ``$ANOMALAB_DATA_DIR``, or
the first ``shared/datasets`` or ``datasets`` directory with those sub-directories found
next to the repository or above it). The output directory defaults to
``$ANOMALAB_BENCH_DIR`` or ``/var/tmp/anomalab-bench``. Existing outputs are kept unless
``--force``.
"""

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DEFAULT_OUT = "/var/tmp/anomalab-bench"

# NSL-KDD attack name -> category. The 22 training names follow the dataset's
# attack_types.csv; the 17 names that only occur in KDDTest+ use the usual mapping
# (Tavallaee et al. 2009; the DARPA 1998/99 attack taxonomy).
NSL_KDD_CATEGORY = {
    "normal": "normal",
    # denial of service
    "back": "dos",
    "land": "dos",
    "neptune": "dos",
    "pod": "dos",
    "smurf": "dos",
    "teardrop": "dos",
    "apache2": "dos",
    "mailbomb": "dos",
    "processtable": "dos",
    "udpstorm": "dos",
    # probing
    "ipsweep": "probe",
    "nmap": "probe",
    "portsweep": "probe",
    "satan": "probe",
    "mscan": "probe",
    "saint": "probe",
    # remote to local
    "ftp_write": "r2l",
    "guess_passwd": "r2l",
    "imap": "r2l",
    "multihop": "r2l",
    "phf": "r2l",
    "spy": "r2l",
    "warezclient": "r2l",
    "warezmaster": "r2l",
    "sendmail": "r2l",
    "named": "r2l",
    "snmpgetattack": "r2l",
    "snmpguess": "r2l",
    "xlock": "r2l",
    "xsnoop": "r2l",
    "worm": "r2l",
    # user to root
    "buffer_overflow": "u2r",
    "loadmodule": "u2r",
    "perl": "u2r",
    "rootkit": "u2r",
    "httptunnel": "u2r",
    "ps": "u2r",
    "sqlattack": "u2r",
    "xterm": "u2r",
}
NSL_KDD_CLASSES_5 = ["normal", "dos", "probe", "r2l", "u2r"]
NSL_KDD_SYMBOLIC = ["protocol_type", "service", "flag"]
UNSW_SYMBOLIC = ["proto", "service", "state"]

ALL = ["nslkdd_binary", "nslkdd_5class", "unsw_10class", "synthetic"]


def find_data_dir():
    env = os.environ.get("ANOMALAB_DATA_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for d in [here, *here.parents]:
        for cand in (d / "shared" / "datasets", d / "datasets"):
            if (cand / "nsl-kdd").is_dir():
                return cand
    return None


def encode(train, test, symbolic):
    """One-hot `symbolic` (fitted on train, unseen ignored) + standard scaling of the rest."""
    numeric = [c for c in train.columns if c not in symbolic]
    scaler = StandardScaler().fit(train[numeric].to_numpy(np.float64))
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
    enc.fit(train[symbolic].astype(str))
    names = numeric + list(enc.get_feature_names_out(symbolic))

    def apply(df):
        num = scaler.transform(df[numeric].to_numpy(np.float64))
        cat = enc.transform(df[symbolic].astype(str))
        return np.ascontiguousarray(np.hstack([num, cat]), dtype="<f8")

    return apply(train), apply(test), names


def read_nsl_kdd(data_dir):
    fields = pd.read_csv(data_dir / "nsl-kdd" / "field_names.csv", header=None)[0].tolist()
    cols = fields + ["attack", "difficulty"]
    with gzip.open(data_dir / "nsl-kdd" / "KDDTrain+.txt.gz", "rt") as fh:
        train = pd.read_csv(fh, header=None, names=cols)
    test = pd.read_csv(data_dir / "nsl-kdd" / "KDDTest+.txt", header=None, names=cols)
    for df in (train, test):
        unknown = sorted(set(df["attack"]) - set(NSL_KDD_CATEGORY))
        if unknown:
            sys.exit(f"NSL-KDD attack names without a category: {unknown}")
    return train, test


def nsl_kdd(data_dir, five_class):
    train, test = read_nsl_kdd(data_dir)
    if five_class:
        classes = NSL_KDD_CLASSES_5
        lab = lambda df: df["attack"].map(NSL_KDD_CATEGORY).map(classes.index)  # noqa: E731
    else:
        classes = ["normal", "attack"]
        lab = lambda df: (df["attack"] != "normal").astype(int)  # noqa: E731
    ytr, yte = lab(train).to_numpy(), lab(test).to_numpy()
    feats = [c for c in train.columns if c not in ("attack", "difficulty")]
    xtr, xte, names = encode(train[feats], test[feats], NSL_KDD_SYMBOLIC)
    desc = "NSL-KDD KDDTrain+ -> KDDTest+, one-hot protocol_type/service/flag, scaled numerics"
    return xtr, ytr, xte, yte, classes, names, desc


def unsw(data_dir, split_seed=42):
    path = data_dir / "unsw-nb15" / "UNSW_NB15_training-set.csv.gz"
    df = pd.read_csv(path, encoding="utf-8-sig")
    df = df.drop(columns=["id", "label"])
    classes = sorted(df["attack_cat"].unique())
    y = df["attack_cat"].map(classes.index).to_numpy()
    x = df.drop(columns=["attack_cat"])
    xtr, xte, ytr, yte = train_test_split(
        x, y, test_size=0.3, stratify=y, random_state=split_seed
    )
    xtr, xte, names = encode(xtr, xte, UNSW_SYMBOLIC)
    desc = f"UNSW-NB15 82,332-row partition, attack_cat, stratified 70/30 seed {split_seed}"
    return xtr, ytr, xte, yte, classes, names, desc


def synthetic():
    x, y = make_classification(
        n_samples=120_000,
        n_features=40,
        n_informative=20,
        n_redundant=10,
        n_classes=2,
        flip_y=0.01,
        random_state=0,
    )
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0)
    names = [f"f{i}" for i in range(x.shape[1])]
    desc = "make_classification 120000x40 (20 informative, 10 redundant), 80/20 seed 0"
    return xtr, ytr, xte, yte, ["0", "1"], names, desc


def write(out, name, xtr, ytr, xte, yte, classes, names, desc):
    for part, x, y in (("train", xtr, ytr), ("test", xte, yte)):
        np.ascontiguousarray(x, dtype="<f8").tofile(out / f"{name}.{part}.x.f64")
        np.ascontiguousarray(y, dtype="<u4").tofile(out / f"{name}.{part}.y.u32")
    meta = {
        "name": name,
        "n_train": int(xtr.shape[0]),
        "n_test": int(xte.shape[0]),
        "n_features": int(xtr.shape[1]),
        "n_classes": len(classes),
        "class_names": [str(c) for c in classes],
        "feature_names": [str(n) for n in names],
        "x": "f64le row-major",
        "y": "u32le",
        "description": desc,
    }
    (out / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{name}: train {xtr.shape}, test {xte.shape}, {len(classes)} classes -> {out}")


def load(out, name):
    """Read a prepared dataset back: (xtr, ytr, xte, yte, meta). Used by the bench scripts."""
    out = Path(out)
    meta = json.loads((out / f"{name}.json").read_text())
    nf = meta["n_features"]
    parts = []
    for part in ("train", "test"):
        x = np.fromfile(out / f"{name}.{part}.x.f64", dtype="<f8").reshape(-1, nf)
        y = np.fromfile(out / f"{name}.{part}.y.u32", dtype="<u4").astype(np.int64)
        parts += [x, y]
    return (*parts, meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help=f"datasets to build (default: {' '.join(ALL)})")
    ap.add_argument("--data-dir", type=Path, help="directory holding nsl-kdd/ and unsw-nb15/")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("ANOMALAB_BENCH_DIR", DEFAULT_OUT)))
    ap.add_argument("--force", action="store_true", help="rebuild existing outputs")
    ap.add_argument("--unsw-split-seed", type=int, default=42,
                    help="seed of the UNSW-NB15 70/30 split (the benchmark's is 42)")
    args = ap.parse_args()
    names = args.names or ALL
    for n in names:
        if n not in ALL:
            sys.exit(f"unknown dataset `{n}`: expected one of {', '.join(ALL)}")
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir or find_data_dir()
    for n in names:
        if (args.out / f"{n}.json").exists() and not args.force:
            print(f"{n}: already in {args.out} (use --force to rebuild)")
            continue
        if n != "synthetic" and data_dir is None:
            sys.exit("cannot find the datasets: pass --data-dir or set ANOMALAB_DATA_DIR")
        if n == "nslkdd_binary":
            r = nsl_kdd(data_dir, five_class=False)
        elif n == "nslkdd_5class":
            r = nsl_kdd(data_dir, five_class=True)
        elif n == "unsw_10class":
            r = unsw(data_dir, args.unsw_split_seed)
        else:
            r = synthetic()
        write(args.out, n, *r)


if __name__ == "__main__":
    main()
