#!/usr/bin/env python3
"""How much quantile binning alone costs scikit-learn's decision tree on NSL-KDD
(KDDTrain+ -> KDDTest+): F1 macro over seeds 0-4 of `DecisionTreeClassifier` on the
bench matrices, exact, and with every feature that has more than 255 distinct training
values replaced by its bin among 255 quantile bins (`np.quantile` cut points fitted on
the training rows; the idea of anomalab's tree bins, not its exact rule).

    python3 scripts/check_tree_binning.py [--data-dir DIR]
"""
import argparse
import os
import sys

import numpy as np
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_classic as bc  # noqa: E402


def binned(xtr, xte, n_bins=255):
    """Both matrices with the many-valued features replaced by quantile bin numbers."""
    a, b = xtr.copy(), xte.copy()
    for j in range(xtr.shape[1]):
        if len(np.unique(xtr[:, j])) <= n_bins:
            continue
        cuts = np.unique(np.quantile(xtr[:, j], np.linspace(0, 1, n_bins + 1)[1:-1]))
        a[:, j] = np.searchsorted(cuts, xtr[:, j], side="left")
        b[:, j] = np.searchsorted(cuts, xte[:, j], side="left")
    return a, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("ANOMALAB_DATA_DIR", "../shared/datasets"))
    a = ap.parse_args()
    xtr, ytr, xte, yte = bc.load(a.data_dir)
    for name, (tr, te) in {"exact": (xtr, xte), "255 quantile bins": binned(xtr, xte)}.items():
        f1 = [f1_score(yte, DecisionTreeClassifier(random_state=s).fit(tr, ytr).predict(te),
                       average="macro") for s in range(5)]
        print(f"{name}: F1 macro mean {np.mean(f1):.4f} ({', '.join(f'{v:.4f}' for v in f1)})")


if __name__ == "__main__":
    main()
