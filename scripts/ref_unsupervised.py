#!/usr/bin/env python3
"""Reference values from scikit-learn for anomalab's native unsupervised learners.

Writes crates/anomalab-learn/tests/reference/unsupervised.json, read by
crates/anomalab-learn/tests/unsupervised_reference.rs. Every dataset is generated here
with a fixed numpy seed and stored in the JSON (so the Rust test uses exactly the same
rows), together with what scikit-learn computed on it:

* isolation_forest: 400 inliers N(0, I_4) + 40 outliers N(0, 3^2 I_4) (they overlap, so
  the AUC is informative, not 1.0). ROC-AUC (outlier = positive, score =
  -IsolationForest(n_estimators=100, random_state=s).fit(X).score_samples(X)) for
  s = 0..19 and its mean.
* kmeans: make_blobs(n_samples=500, centers=4, n_features=5, cluster_std=1.5,
  random_state=0); KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).inertia_ for
  k = 2..6.
* kmeans_same_init: make_blobs(n_samples=600, centers=5, n_features=6, cluster_std=2.0,
  random_state=7) (overlapping, so runs take several iterations); for k = 2..7 the start
  centres C_k = kmeans_plusplus(X, k, random_state=k)[0] and, for algorithm in lloyd and
  elkan, KMeans(n_clusters=k, init=C_k, n_init=1, algorithm=algorithm).fit(X): labels_,
  cluster_centers_, inertia_, n_iter_ (default tol=1e-4, max_iter=300). The Rust side runs
  the same iterations from the same centres and must give the same labels and n_iter.
* dbscan: make_moons(n_samples=300, noise=0.06, random_state=1) plus 15 uniform points
  in [-1.5, 2.5] x [-1, 1.5] (numpy seed 2); DBSCAN(eps=0.15, min_samples=5).labels_.
* mlp: make_blobs(n_samples=600, centers=3, n_features=2, cluster_std=2.0,
  random_state=3) split 400 train / 200 test in order; test accuracy of
  MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=s) for s = 0..4, plus
  the accuracy of LinearDiscriminantAnalysis (near the Bayes rate for equal-covariance
  blobs) as the level both should reach.
* gmm: the kmeans data; GaussianMixture(n_components=4, covariance_type=c,
  random_state=0) mean log-likelihood .score(X) and .bic(X) for c in full, diag.

Run from the repository root:  python3 scripts/ref_unsupervised.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN, KMeans, kmeans_plusplus
from sklearn.datasets import make_blobs, make_moons
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.neural_network import MLPClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "anomalab-learn", "tests", "reference", "unsupervised.json")


def main():
    out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__}

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (400, 4)), rng.normal(0, 3, (40, 4))])
    y = np.r_[np.zeros(400), np.ones(40)].astype(int)
    aucs = [roc_auc_score(y, -IsolationForest(n_estimators=100, random_state=s).fit(x).score_samples(x))
            for s in range(20)]
    out["isolation_forest"] = {"x": x.tolist(), "y": y.tolist(), "auc_per_seed": aucs,
                               "auc_mean": float(np.mean(aucs))}

    xb, _ = make_blobs(n_samples=500, centers=4, n_features=5, cluster_std=1.5, random_state=0)
    inertia = {str(k): float(KMeans(n_clusters=k, n_init=10, random_state=0).fit(xb).inertia_) for k in range(2, 7)}
    out["kmeans"] = {"x": xb.tolist(), "inertia": inertia}

    xs, _ = make_blobs(n_samples=600, centers=5, n_features=6, cluster_std=2.0, random_state=7)
    runs = []
    for k in range(2, 8):
        c, _ = kmeans_plusplus(xs, k, random_state=k)
        fits = {}
        for alg in ["lloyd", "elkan"]:
            m = KMeans(n_clusters=k, init=c, n_init=1, algorithm=alg).fit(xs)
            fits[alg] = {"labels": m.labels_.tolist(), "centres": m.cluster_centers_.tolist(),
                         "inertia": float(m.inertia_), "n_iter": int(m.n_iter_)}
        runs.append({"k": k, "init": c.tolist(), "sklearn": fits})
    out["kmeans_same_init"] = {"x": xs.tolist(), "runs": runs}

    gm = {}
    for c in ["full", "diag"]:
        g = GaussianMixture(n_components=4, covariance_type=c, random_state=0).fit(xb)
        gm[c] = {"mean_log_likelihood": float(g.score(xb)), "bic": float(g.bic(xb))}
    out["gmm"] = {"n_components": 4, "by_covariance": gm}

    xm, _ = make_moons(n_samples=300, noise=0.06, random_state=1)
    r2 = np.random.default_rng(2)
    noise = np.c_[r2.uniform(-1.5, 2.5, 15), r2.uniform(-1.0, 1.5, 15)]
    xd = np.vstack([xm, noise])
    lab = DBSCAN(eps=0.15, min_samples=5).fit(xd).labels_
    out["dbscan"] = {"x": xd.tolist(), "eps": 0.15, "min_samples": 5, "labels": lab.tolist()}

    xc, yc = make_blobs(n_samples=600, centers=3, n_features=2, cluster_std=2.0, random_state=3)
    xtr, ytr, xte, yte = xc[:400], yc[:400], xc[400:], yc[400:]
    accs = [float((MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=s)
                   .fit(xtr, ytr).predict(xte) == yte).mean()) for s in range(5)]
    lda = float((LinearDiscriminantAnalysis().fit(xtr, ytr).predict(xte) == yte).mean())
    out["mlp"] = {"x_train": xtr.tolist(), "y_train": ytr.tolist(), "x_test": xte.tolist(),
                  "y_test": yte.tolist(), "sklearn_test_accuracy": accs,
                  "sklearn_mean_accuracy": float(np.mean(accs)), "lda_test_accuracy": lda}

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print(f"wrote {OUT}")
    print("iforest mean AUC", out["isolation_forest"]["auc_mean"])
    print("kmeans inertia", inertia)
    print("kmeans same init n_iter", [(r["k"], r["sklearn"]["lloyd"]["n_iter"]) for r in runs])
    print("gmm", gm)
    print("dbscan clusters", lab.max() + 1, "noise", int((lab < 0).sum()))
    print("mlp acc", accs, "lda", lda)


if __name__ == "__main__":
    main()
