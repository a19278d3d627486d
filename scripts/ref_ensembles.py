#!/usr/bin/env python3
"""Reference outputs of scikit-learn's VotingClassifier, StackingClassifier and
BaggingClassifier for anomalab's `voting`, `stacking` and `bagging`.

What it computes, on two fixed, seeded synthetic data sets (binary, 6 features; imbalanced
3-class, 5 features; the generator of scripts/ref_classic.py, each split into train and
test):

* deterministic cases, with members whose fit has no randomness and whose outputs anomalab
  reproduces to 1e-6 (LogisticRegression at tol=1e-10, GaussianNB, KNeighborsClassifier on
  continuous data without distance ties, LinearSVC at tol=1e-10): predict_proba (or
  predict) on the test rows of
  - VotingClassifier, soft and hard, with and without weights (hard voting with two
    members that disagree exercises the tie rule: the lower class wins);
  - StackingClassifier (cv=5, not shuffled, so the folds are fixed), with the default
    stack_method, with passthrough, and with stack_method="predict";
  - BaggingClassifier with bootstrap=False and max_samples=max_features=1.0: every
    estimator sees every row and feature, so the result is deterministic (GaussianNB: the
    averaged probabilities; LinearSVC, which has no predict_proba: the vote fractions);
* random cases (bootstrap draws, which cannot match between two random generators):
  BaggingClassifier(DecisionTreeClassifier()) test accuracy and out-of-bag score, mean
  and standard deviation over random_state 0..19, for two configurations.

Every estimator call is recorded verbatim in the JSON ("call"), next to the anomalab
parameters of the same configuration ("params").

Output: crates/anomalab-learn/tests/reference/ensembles.json (committed; read by
crates/anomalab-learn/tests/ensemble_reference.rs).

Run from the repository root:
    python3 scripts/ref_ensembles.py
"""

import json
import os

import numpy as np
import sklearn
import sklearn.base
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "anomalab-learn",
    "tests",
    "reference",
    "ensembles.json",
)

SEEDS = list(range(20))


def make(seed, n, d, k, weights, sep):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=weights)
    centers = rng.normal(0, sep, (k, d))
    x = centers[y] + rng.normal(0, 1.0, (n, d))
    return x, y


def split(x, y, n_train):
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# The members, as scikit-learn estimators and as anomalab model entries.
def lr():
    return LogisticRegression(tol=1e-10, max_iter=10000)


LR = {"algorithm": "logistic_regression", "params": {"tol": 1e-10, "max_iter": 10000}}
NB = {"algorithm": "gaussian_nb"}
KNN = {"algorithm": "knn", "params": {"n_neighbors": 5}}
SVM = {"algorithm": "linear_svm", "params": {"tol": 1e-10, "max_iter": 1000000, "dual": True}}
TREE = {"algorithm": "decision_tree"}


def three():
    return [("lr", lr()), ("nb", GaussianNB()), ("knn", KNeighborsClassifier(n_neighbors=5))]


def deterministic_cases():
    """(model, call, estimator factory, output, anomalab params)."""
    return [
        ("voting", "VotingClassifier([lr, nb, knn], voting='soft')",
         lambda: VotingClassifier(three(), voting="soft"), "predict_proba",
         {"estimators": [LR, NB, KNN], "voting": "soft"}),
        ("voting", "VotingClassifier([lr, nb, knn], voting='soft', weights=[2, 1, 0.5])",
         lambda: VotingClassifier(three(), voting="soft", weights=[2, 1, 0.5]), "predict_proba",
         {"estimators": [LR, NB, KNN], "voting": "soft", "weights": [2, 1, 0.5]}),
        ("voting", "VotingClassifier([lr, nb, knn], voting='hard')",
         lambda: VotingClassifier(three(), voting="hard"), "predict",
         {"estimators": [LR, NB, KNN], "voting": "hard"}),
        ("voting", "VotingClassifier([knn, nb], voting='hard')",
         lambda: VotingClassifier([("knn", KNeighborsClassifier(n_neighbors=5)),
                                   ("nb", GaussianNB())], voting="hard"), "predict",
         {"estimators": [KNN, NB], "voting": "hard"}),
        ("voting", "VotingClassifier([lr, nb, knn], voting='hard', weights=[1, 1, 3])",
         lambda: VotingClassifier(three(), voting="hard", weights=[1, 1, 3]), "predict",
         {"estimators": [LR, NB, KNN], "voting": "hard", "weights": [1, 1, 3]}),
        ("stacking", "StackingClassifier([lr, nb, knn], final_estimator=lr, cv=5)",
         lambda: StackingClassifier(three(), final_estimator=lr(), cv=5), "predict_proba",
         {"estimators": [LR, NB, KNN], "final_estimator": LR, "cv": 5}),
        ("stacking", "StackingClassifier([nb, knn], final_estimator=lr, cv=3, passthrough=True)",
         lambda: StackingClassifier([("nb", GaussianNB()), ("knn", KNeighborsClassifier(n_neighbors=5))],
                                    final_estimator=lr(), cv=3, passthrough=True), "predict_proba",
         {"estimators": [NB, KNN], "final_estimator": LR, "cv": 3, "passthrough": True}),
        ("stacking", "StackingClassifier([lr, nb, knn], final_estimator=lr, cv=5, stack_method='predict')",
         lambda: StackingClassifier(three(), final_estimator=lr(), cv=5, stack_method="predict"),
         "predict_proba",
         {"estimators": [LR, NB, KNN], "final_estimator": LR, "cv": 5, "stack_method": "predict"}),
        ("bagging", "BaggingClassifier(GaussianNB(), n_estimators=5, bootstrap=False, random_state=0)",
         lambda: BaggingClassifier(GaussianNB(), n_estimators=5, bootstrap=False, random_state=0),
         "predict_proba",
         {"estimator": NB, "n_estimators": 5, "bootstrap": False}),
        ("bagging", "BaggingClassifier(LinearSVC(tol=1e-10, max_iter=1000000), n_estimators=3, bootstrap=False, random_state=0)",
         lambda: BaggingClassifier(LinearSVC(tol=1e-10, max_iter=1000000), n_estimators=3,
                                   bootstrap=False, random_state=0), "predict_proba",
         {"estimator": SVM, "n_estimators": 3, "bootstrap": False}),
    ]


def random_cases():
    return [
        ("BaggingClassifier(DecisionTreeClassifier(), n_estimators=50, oob_score=True, random_state=s)",
         lambda s: BaggingClassifier(DecisionTreeClassifier(), n_estimators=50, oob_score=True,
                                     random_state=s),
         {"estimator": TREE, "n_estimators": 50, "oob_score": True}),
        ("BaggingClassifier(DecisionTreeClassifier(), n_estimators=50, max_samples=0.5, max_features=0.5, oob_score=True, random_state=s)",
         lambda s: BaggingClassifier(DecisionTreeClassifier(), n_estimators=50, max_samples=0.5,
                                     max_features=0.5, oob_score=True, random_state=s),
         {"estimator": TREE, "n_estimators": 50, "max_samples": 0.5, "max_features": 0.5,
          "oob_score": True}),
    ]


def solver_spread(est, xtr, ytr, xte):
    """How well the final logistic regression is determined: the largest difference of
    test probabilities between scikit-learn's lbfgs (the reference) and newton-cg at
    tol=1e-14 on the same out-of-fold features. With passthrough the raw features sit next
    to probabilities and the two solvers differ by about 1e-6."""
    other = sklearn.base.clone(est).set_params(
        final_estimator=LogisticRegression(solver="newton-cg", tol=1e-14, max_iter=10000))
    other.fit(xtr, ytr)
    return float(np.abs(other.predict_proba(xte) - est.predict_proba(xte)).max())


def main():
    sets = {}
    x, y = make(1, 500, 6, 2, [0.6, 0.4], 1.0)
    sets["binary"] = split(x, y, 300)
    x, y = make(2, 450, 5, 3, [0.6, 0.3, 0.1], 1.3)
    sets["multi"] = split(x, y, 300)

    cases = []
    for data, (xtr, ytr, xte, yte) in sets.items():
        for model, call, factory, output, params in deterministic_cases():
            est = factory().fit(xtr, ytr)
            out = getattr(est, output)(xte)
            case = {
                "data": data, "model": model, "call": call, "params": params,
                "expected": {output: out.tolist(),
                             "accuracy": float((est.predict(xte) == yte).mean())},
            }
            if model == "stacking":
                case["solver_spread"] = solver_spread(est, xtr, ytr, xte)
            cases.append(case)
        for call, factory, params in random_cases():
            acc, oob = [], []
            for s in SEEDS:
                est = factory(s).fit(xtr, ytr)
                acc.append(float((est.predict(xte) == yte).mean()))
                oob.append(float(est.oob_score_))
            cases.append({
                "data": data, "model": "bagging", "call": call, "params": params,
                "seeds": SEEDS,
                "expected": {"accuracy_mean": float(np.mean(acc)), "accuracy_std": float(np.std(acc)),
                             "oob_mean": float(np.mean(oob)), "oob_std": float(np.std(oob))},
            })

    out = {
        "generator": "scripts/ref_ensembles.py",
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
        e = c["expected"]
        acc = e.get("accuracy", e.get("accuracy_mean"))
        print(f"{c['data']:7s} {c['model']:9s} acc={acc:.4f}  {c['call']}")


if __name__ == "__main__":
    main()
