#!/usr/bin/env python3
"""Reference outputs of scikit-learn for anomalab's "classic" learners.

What it computes: two fixed, seeded synthetic data sets (binary, 6 features; imbalanced
3-class, 5 features; each split into train and test), and the outputs scikit-learn gives on
the test rows for the estimators anomalab reimplements or wraps: KNeighborsClassifier
(predict_proba), LinearSVC (coef_, intercept_, decision_function), LogisticRegression
(coef_, intercept_, predict_proba), GaussianNB (predict_proba), SVC with the RBF kernel
(predictions), DecisionTreeClassifier and RandomForestClassifier (predictions, accuracy).
Every estimator call is recorded verbatim in the JSON ("call").

Output: crates/anomalab-learn/tests/reference/classic.json (committed; read by
crates/anomalab-learn/tests/classic_reference.rs).

Run from the repository root:
    python3 scripts/ref_classic.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "anomalab-learn",
    "tests",
    "reference",
    "classic.json",
)


def make(seed, n, d, k, weights, sep):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=weights)
    centers = rng.normal(0, sep, (k, d))
    x = centers[y] + rng.normal(0, 1.0, (n, d))
    return x, y


def split(x, y, n_train):
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def main():
    sets = {}
    x, y = make(1, 500, 6, 2, [0.6, 0.4], 1.0)
    sets["binary"] = split(x, y, 300)
    x, y = make(2, 450, 5, 3, [0.6, 0.3, 0.1], 1.3)
    sets["multi"] = split(x, y, 300)

    cases = []

    def record(data, name, call, est, outputs, params):
        xtr, ytr, xte, yte = sets[data]
        est.fit(xtr, ytr)
        out = {}
        for key in outputs:
            if key == "predict_proba":
                out[key] = est.predict_proba(xte).tolist()
            elif key == "decision_function":
                out[key] = np.atleast_1d(est.decision_function(xte)).tolist()
            elif key == "predict":
                out[key] = est.predict(xte).tolist()
            elif key == "coef":
                out[key] = np.atleast_2d(est.coef_).tolist()
                out["intercept"] = np.atleast_1d(est.intercept_).tolist()
        out["accuracy"] = float((est.predict(xte) == yte).mean())
        cases.append({"data": data, "model": name, "call": call, "params": params, "expected": out})

    for data in ("binary", "multi"):
        record(data, "knn", "KNeighborsClassifier(n_neighbors=5)", KNeighborsClassifier(n_neighbors=5),
               ["predict_proba"], {"n_neighbors": 5})
        record(data, "knn", "KNeighborsClassifier(n_neighbors=7, weights='distance')",
               KNeighborsClassifier(n_neighbors=7, weights="distance"), ["predict_proba"],
               {"n_neighbors": 7, "weights": "distance"})
        record(data, "knn", "KNeighborsClassifier(n_neighbors=4, metric='manhattan')",
               KNeighborsClassifier(n_neighbors=4, metric="manhattan"), ["predict_proba"],
               {"n_neighbors": 4, "metric": "manhattan"})
        record(data, "knn", "KNeighborsClassifier(n_neighbors=6, p=3)",
               KNeighborsClassifier(n_neighbors=6, p=3), ["predict_proba"],
               {"n_neighbors": 6, "p": 3.0})
        record(data, "linear_svm",
               "LinearSVC(C=0.5, dual=True, tol=1e-10, max_iter=1000000)",
               LinearSVC(C=0.5, dual=True, tol=1e-10, max_iter=1000000),
               ["coef", "decision_function"],
               {"C": 0.5, "tol": 1e-10, "max_iter": 1000000, "dual": True})
        record(data, "linear_svm",
               "LinearSVC(C=0.5, dual=False, tol=1e-10, max_iter=1000000)",
               LinearSVC(C=0.5, dual=False, tol=1e-10, max_iter=1000000),
               ["coef", "decision_function"],
               {"C": 0.5, "tol": 1e-10, "max_iter": 1000000, "dual": False})
        record(data, "linear_svm",
               "LinearSVC(C=0.2, loss='hinge', dual=True, tol=1e-10, max_iter=1000000)",
               LinearSVC(C=0.2, loss="hinge", dual=True, tol=1e-10, max_iter=1000000),
               ["coef", "decision_function"],
               {"C": 0.2, "loss": "hinge", "tol": 1e-10, "max_iter": 1000000})
        record(data, "logistic_regression",
               "LogisticRegression(C=0.5, tol=1e-10, max_iter=10000)",
               LogisticRegression(C=0.5, tol=1e-10, max_iter=10000),
               ["coef", "predict_proba"], {"C": 0.5, "tol": 1e-10, "max_iter": 10000})
        record(data, "gaussian_nb", "GaussianNB()", GaussianNB(), ["predict_proba"], {})
        record(data, "svc", "OneVsRestClassifier(SVC(C=1.0, gamma='scale'))",
               OneVsRestClassifier(SVC(C=1.0, gamma="scale")), ["predict"], {"C": 1.0})
        record(data, "decision_tree", "DecisionTreeClassifier(max_depth=4, random_state=0)",
               DecisionTreeClassifier(max_depth=4, random_state=0), ["predict"], {"max_depth": 4})
        record(data, "random_forest",
               "RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0)",
               RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0), ["predict"],
               {"n_estimators": 50, "max_depth": 6})
    # Class weights on the imbalanced set.
    record("multi", "linear_svm",
           "LinearSVC(C=0.5, class_weight='balanced', dual=True, tol=1e-10, max_iter=1000000)",
           LinearSVC(C=0.5, class_weight="balanced", dual=True, tol=1e-10, max_iter=1000000),
           ["coef", "decision_function"],
           {"C": 0.5, "class_weight": "balanced", "tol": 1e-10, "max_iter": 1000000, "dual": True})
    record("multi", "logistic_regression",
           "LogisticRegression(C=0.5, class_weight='balanced', tol=1e-10, max_iter=10000)",
           LogisticRegression(C=0.5, class_weight="balanced", tol=1e-10, max_iter=10000),
           ["coef", "predict_proba"],
           {"C": 0.5, "class_weight": "balanced", "tol": 1e-10, "max_iter": 10000})

    out = {
        "generator": "scripts/ref_classic.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "data": {
            name: {"x_train": s[0].tolist(), "y_train": s[1].tolist(), "x_test": s[2].tolist(),
                   "y_test": s[3].tolist()}
            for name, s in sets.items()
        },
        "cases": cases,
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh)
        fh.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")
    for c in cases:
        print(f"{c['data']:7s} {c['model']:20s} acc={c['expected']['accuracy']:.4f}  {c['call']}")


if __name__ == "__main__":
    main()
