#!/usr/bin/env python3
"""Reference numbers for the NSL-KDD acceptance checks, computed with scikit-learn.

Reproduces experiments/nsl_kdd_binary.yaml's preprocessing exactly:
  KDDTrain+ -> KDDTest+ (official split), drop `num_outbound_cmds` and `difficulty`,
  one-hot of protocol_type/service/flag fitted on the training rows (unseen test categories
  -> all zeros), StandardScaler fitted on the training rows (population std, constant
  columns left centred), label binary: normal vs attack.
Then, for seeds 0..4, either
  rf:      fits RandomForestClassifier(n_estimators=100, n_jobs=2) and reports accuracy,
           F1 macro and ROC-AUC on KDDTest+, or
  iforest: fits IsolationForest(n_estimators=100, max_samples=256) on the *normal* rows
           of KDDTrain+ only (semi-supervised novelty detection) and reports the ROC-AUC of
           -score_samples on KDDTest+ (attack = positive),
with the means over the seeds.

Usage: python3 scripts/ref_nsl_kdd.py [rf|iforest] [DATA_DIR] > tests/reference/nsl_kdd_{rf,iforest}.json
DATA_DIR defaults to $ANOMALAB_DATA_DIR or ../shared/datasets.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FIELDS = [
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
    "label", "difficulty",
]
CATEGORICAL = ["protocol_type", "service", "flag"]


def load(path):
    df = pd.read_csv(path, header=None, names=FIELDS)
    y = (df["label"] != "normal").astype(int).to_numpy()
    return df.drop(columns=["label", "difficulty", "num_outbound_cmds"]), y


def main():
    args = sys.argv[1:]
    model = args.pop(0) if args and args[0] in ("rf", "iforest") else "rf"
    data = args[0] if args else os.environ.get("ANOMALAB_DATA_DIR", "../shared/datasets")
    train, y_train = load(os.path.join(data, "nsl-kdd", "KDDTrain+.txt.gz"))
    test, y_test = load(os.path.join(data, "nsl-kdd", "KDDTest+.txt"))
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train[CATEGORICAL])
    numeric = [c for c in train.columns if c not in CATEGORICAL]

    def matrix(df):
        return np.hstack([enc.transform(df[CATEGORICAL]), df[numeric].to_numpy(dtype=float)])

    scaler = StandardScaler().fit(matrix(train))
    x_train, x_test = scaler.transform(matrix(train)), scaler.transform(matrix(test))
    if model == "iforest":
        runs = []
        for seed in [0, 1, 2, 3, 4]:
            f = IsolationForest(n_estimators=100, max_samples=256, random_state=seed)
            f.fit(x_train[y_train == 0])
            runs.append({"seed": seed, "roc_auc": roc_auc_score(y_test, -f.score_samples(x_test))})
        out = {
            "source": "scripts/ref_nsl_kdd.py iforest",
            "sklearn_version": sklearn.__version__,
            "model": "IsolationForest(n_estimators=100, max_samples=256, random_state=seed) "
                     "fitted on the normal rows of KDDTrain+",
            "features": int(x_train.shape[1]),
            "train_rows": int((y_train == 0).sum()),
            "runs": runs,
            "roc_auc_mean": float(np.mean([r["roc_auc"] for r in runs])),
            "roc_auc_std": float(np.std([r["roc_auc"] for r in runs])),
        }
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    runs = []
    for seed in [0, 1, 2, 3, 4]:
        rf = RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=seed).fit(x_train, y_train)
        pred = rf.predict(x_test)
        runs.append({
            "seed": seed,
            "accuracy": accuracy_score(y_test, pred),
            "f1_macro": f1_score(y_test, pred, average="macro"),
            "roc_auc": roc_auc_score(y_test, rf.predict_proba(x_test)[:, 1]),
        })
    out = {
        "source": "scripts/ref_nsl_kdd.py",
        "sklearn_version": sklearn.__version__,
        "model": "RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=seed)",
        "features": int(x_train.shape[1]),
        "runs": runs,
        "accuracy_mean": float(np.mean([r["accuracy"] for r in runs])),
        "f1_macro_mean": float(np.mean([r["f1_macro"] for r in runs])),
    }
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
