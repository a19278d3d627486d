#!/usr/bin/env python3
"""Reference values for anomalab's evaluation metrics, computed with scikit-learn.

What it computes: fixed, seeded test cases (binary with tied scores, imbalanced 3-class,
5-class with a class never predicted and a class absent from y_true, perfect and all-wrong
predictions, a thresholded detector case, two silhouette cases (121 rows: 3 clusters plus
one singleton cluster; 303 rows: 5 overlapping clusters, a singleton, duplicated rows,
sparse label values, some rows mislabelled), and adjusted Rand index cases), and for each
the values scikit-learn gives. The exact scikit-learn call for every value is listed under "calls" in the output.

Output: crates/anomalab-learn/tests/reference/metrics.json (committed; read by
crates/anomalab-learn/tests/metrics_reference.rs, which asserts every value to 1e-9).

Run from the repository root:
    python3 scripts/ref_metrics.py
Needs numpy and scikit-learn (the version used is recorded in the JSON).
"""

import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
    silhouette_score,
)

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "anomalab-learn",
    "tests",
    "reference",
    "metrics.json",
)

CALLS = {
    "confusion": "confusion_matrix(y_true, y_pred, labels=range(n_classes))",
    "accuracy": "accuracy_score(y_true, y_pred)",
    "balanced_accuracy": "balanced_accuracy_score(y_true, y_pred)",
    "<p|r|f1>_<avg>": "precision_score/recall_score/f1_score(y_true, y_pred, labels=range(n_classes), average=avg) for avg in micro, macro, weighted (default zero_division)",
    "per_class": "precision_recall_fscore_support(y_true, y_pred, labels=range(n_classes), average=None)",
    "roc_auc (binary)": "roc_auc_score(y_true, scores[:, 1])",
    "pr_auc (binary)": "average_precision_score(y_true, scores[:, 1])",
    "roc_curve": "roc_curve(y_true, scores[:, 1]) (drop_intermediate=True); threshold inf written as null",
    "pr_curve": "precision_recall_curve(y_true, scores[:, 1])",
    "roc_auc (multiclass)": "mean over classes k present in y_true of roc_auc_score(y_true == k, scores[:, k]); where every class is present also roc_auc_score(y_true, scores, multi_class='ovr', average='macro') as roc_auc_sklearn_ovr",
    "pr_auc (multiclass)": "mean over classes k present in y_true of average_precision_score(y_true == k, scores[:, k])",
    "per_class_roc_auc / per_class_pr_auc": "roc_auc_score / average_precision_score(y_true == k, scores[:, k]) for classes present in y_true, else null",
    "detector": "y_pred = scores >= threshold; precision_score, recall_score, f1_score(y_true, y_pred); false_alarm_rate = FP / (FP + TN) from confusion_matrix(y_true, y_pred, labels=[0, 1]); roc_auc_score, average_precision_score(y_true, scores)",
    "silhouette": "silhouette_score(X, labels, metric='euclidean')",
    "silhouette_large": "silhouette_score(X, labels, metric='euclidean'); the rows come from the generation described in the case (numpy default_rng(seed))",
    "ari": "adjusted_rand_score(labels_true, labels_pred)",
}


def nullable(a):
    return [None if not np.isfinite(v) else float(v) for v in a]


def classification_case(name, y_true, y_pred, n_classes, scores):
    labels = list(range(n_classes))
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    scores = np.asarray(scores, dtype=float)
    exp = {
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
    }
    for avg in ("micro", "macro", "weighted"):
        exp[f"precision_{avg}"] = precision_score(y_true, y_pred, labels=labels, average=avg)
        exp[f"recall_{avg}"] = recall_score(y_true, y_pred, labels=labels, average=avg)
        exp[f"f1_{avg}"] = f1_score(y_true, y_pred, labels=labels, average=avg)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None)
    exp["per_class_precision"] = p.tolist()
    exp["per_class_recall"] = r.tolist()
    exp["per_class_f1"] = f.tolist()
    exp["per_class_support"] = s.tolist()
    present = [k for k in labels if 0 < (y_true == k).sum() < len(y_true)]
    exp["per_class_roc_auc"] = [
        roc_auc_score(y_true == k, scores[:, k]) if k in present else None for k in labels
    ]
    exp["per_class_pr_auc"] = [
        average_precision_score(y_true == k, scores[:, k]) if k in present else None
        for k in labels
    ]
    if n_classes == 2:
        if len(present) == 2:
            exp["roc_auc"] = roc_auc_score(y_true, scores[:, 1])
            exp["pr_auc"] = average_precision_score(y_true, scores[:, 1])
            fpr, tpr, thr = roc_curve(y_true, scores[:, 1])
            exp["roc_curve"] = {"x": fpr.tolist(), "y": tpr.tolist(), "threshold": nullable(thr)}
            prec, rec, thr = precision_recall_curve(y_true, scores[:, 1])
            exp["pr_curve"] = {
                "x": rec.tolist(),
                "y": prec.tolist(),
                "threshold": nullable(thr) + [None],
            }
        else:
            exp["roc_auc"] = None
            exp["pr_auc"] = None
    else:
        exp["roc_auc"] = float(np.mean([exp["per_class_roc_auc"][k] for k in present]))
        exp["pr_auc"] = float(np.mean([exp["per_class_pr_auc"][k] for k in present]))
        if len(present) == n_classes:
            exp["roc_auc_sklearn_ovr"] = roc_auc_score(
                y_true, scores, multi_class="ovr", average="macro"
            )
    return {
        "name": name,
        "n_classes": n_classes,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "scores": scores.tolist(),
        "expected": {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in exp.items()},
    }


def silhouette_large_case(seed):
    """303 rows, 6 features: five overlapping gaussian clusters, one far singleton,
    three exact duplicate rows, label values not 0..k-1, 12 rows given a wrong label,
    rows shuffled."""
    rng = np.random.default_rng(seed)
    sizes = [90, 70, 60, 50, 29]
    n_main = sum(sizes)
    centers = rng.normal(0.0, 2.5, (len(sizes), 6))
    X = np.vstack([c + rng.normal(0.0, 1.0, (m, 6)) for c, m in zip(centers, sizes)])
    cid = np.repeat(np.arange(len(sizes)), sizes)
    # 12 of the clustered rows get a wrong (other) cluster.
    wrong = rng.choice(n_main, size=12, replace=False)
    cid[wrong] = (cid[wrong] + 1 + rng.integers(0, len(sizes) - 1, 12)) % len(sizes)
    # 3 clustered rows duplicated exactly (with their label), then the far singleton.
    dup = rng.choice(n_main, size=3, replace=False)
    X = np.vstack([X, X[dup], np.full((1, 6), 15.0)])
    cid = np.concatenate([cid, cid[dup], [len(sizes)]])
    labels = np.array([4, 0, 9, 2, 7, 5])[cid]
    order = rng.permutation(len(X))
    X, labels = X[order], labels[order]
    return {
        "seed": seed,
        "generation": (
            "rng = np.random.default_rng(seed); cluster sizes 90, 70, 60, 50, 29 (n_main = "
            "299); centres rng.normal(0, 2.5, (5, 6)); rows centre + rng.normal(0, 1, (size, "
            "6)) cluster by cluster; rows rng.choice(299, 12, replace=False) moved to cluster "
            "(c + 1 + rng.integers(0, 4, 12)) % 5; rows rng.choice(299, 3, replace=False) "
            "appended again with their labels; one singleton row (15, ..., 15) appended as "
            "cluster 5; cluster ids 0..5 renamed 4, 0, 9, 2, 7, 5; rows permuted by "
            "rng.permutation(303)"
        ),
        "x": X.tolist(),
        "labels": labels.tolist(),
        "expected": float(silhouette_score(X, labels, metric="euclidean")),
    }


def main():
    cases = []

    # Binary with many tied scores (scores rounded to one decimal), imbalanced 70/30.
    rng = np.random.default_rng(20240101)
    n = 200
    y = (rng.random(n) < 0.3).astype(int)
    s1 = np.clip(np.round(0.35 + 0.3 * y + rng.normal(0, 0.2, n), 1), 0, 1)
    scores = np.column_stack([1 - s1, s1])
    pred = (s1 >= 0.5).astype(int)
    cases.append(classification_case("binary_ties", y, pred, 2, scores))

    # Imbalanced 3-class, class 2 never predicted.
    rng = np.random.default_rng(7)
    n = 300
    y = rng.choice(3, size=n, p=[0.7, 0.25, 0.05])
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), y] += 1.5
    logits[:, 2] -= 3.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    assert (pred == 2).sum() == 0, "class 2 must never be predicted"
    cases.append(classification_case("imbalanced_3class_never_predicted", y, pred, 3, proba))

    # 5 classes: class 3 never predicted, class 4 absent from y_true (but predicted).
    rng = np.random.default_rng(11)
    n = 400
    y = rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05])
    logits = rng.normal(0, 1, (n, 5))
    logits[np.arange(n), y] += 1.2
    logits[:, 3] -= 4.0
    logits[:, 4] += 0.3
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    assert (pred == 3).sum() == 0 and (pred == 4).sum() > 0 and (y == 4).sum() == 0
    cases.append(classification_case("five_class_absent_and_never_predicted", y, pred, 5, proba))

    # 4 classes where class 3 is absent from both y_true and y_pred (labels=range(4)).
    rng = np.random.default_rng(5)
    n = 120
    y = rng.choice(3, size=n)
    pred = np.where(rng.random(n) < 0.7, y, rng.choice(3, size=n))
    proba = rng.dirichlet(np.ones(4), size=n)
    cases.append(classification_case("class_absent_everywhere", y, pred, 4, proba))

    # Perfect and all-wrong predictions (3 classes).
    rng = np.random.default_rng(3)
    y = rng.choice(3, size=60)
    onehot = np.eye(3)[y]
    cases.append(classification_case("perfect", y, y, 3, 0.8 * onehot + 0.2 / 3))
    wrong = (y + 1) % 3
    cases.append(classification_case("all_wrong", y, wrong, 3, 0.8 * np.eye(3)[wrong] + 0.2 / 3))

    # Binary, only one class present in y_true: AUCs undefined.
    y = np.zeros(10, dtype=int)
    pred = np.array([0, 1] * 5)
    sc = np.column_stack([np.linspace(1, 0, 10), np.linspace(0, 1, 10)])
    cases.append(classification_case("one_class_present", y, pred, 2, sc))

    # Detector case: 500 rows, 10% anomalies, tied scores, threshold 0.6.
    rng = np.random.default_rng(99)
    n = 500
    yd = (rng.random(n) < 0.1).astype(int)
    sd = np.round(rng.normal(0.3, 0.15, n) + 0.4 * yd, 2)
    thr = 0.6
    yp = (sd >= thr).astype(int)
    tn, fp, fn, tp = confusion_matrix(yd, yp, labels=[0, 1]).ravel()
    detector = {
        "is_anomaly": yd.tolist(),
        "scores": sd.tolist(),
        "threshold": thr,
        "expected": {
            "tp": int(tp),
            "fp": int(fp),
            "tn": int(tn),
            "fn": int(fn),
            "precision": precision_score(yd, yp),
            "recall": recall_score(yd, yp),
            "f1": f1_score(yd, yp),
            "false_alarm_rate": fp / (fp + tn),
            "roc_auc": roc_auc_score(yd, sd),
            "pr_auc": average_precision_score(yd, sd),
        },
    }

    # Silhouette: three gaussian blobs and one singleton cluster far away.
    rng = np.random.default_rng(42)
    centers = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 3.0]])
    xs = [c + rng.normal(0, 1.0, (40, 3)) for c in centers]
    xs.append(np.array([[20.0, -5.0, 7.0]]))
    X = np.vstack(xs)
    labels = np.repeat([0, 1, 2, 3], [40, 40, 40, 1])
    # A few points deliberately mislabelled so some silhouettes are negative.
    labels[[0, 45, 90]] = [1, 2, 0]
    silhouette = {
        "x": X.tolist(),
        "labels": labels.tolist(),
        "expected": float(silhouette_score(X, labels, metric="euclidean")),
    }

    # Silhouette, larger case: a few hundred rows in 6 dimensions.
    silhouette_large = silhouette_large_case(seed=20250611)

    # ARI: random labelings of different sizes and label sets.
    ari = []
    rng = np.random.default_rng(8)
    for n, ka, kb in [(50, 3, 4), (1000, 5, 5), (200, 2, 7)]:
        a = rng.choice(ka, size=n)
        b = np.where(rng.random(n) < 0.6, a, rng.choice(kb, size=n))
        ari.append({"a": a.tolist(), "b": b.tolist(), "expected": adjusted_rand_score(a, b)})
    ari.append({"a": [0, 0, 1, 1], "b": [0, 0, 1, 2], "expected": adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2])})
    ari.append({"a": [0, 0, 1, 1], "b": [1, 1, 0, 0], "expected": adjusted_rand_score([0, 0, 1, 1], [1, 1, 0, 0])})

    out = {
        "generator": "scripts/ref_metrics.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "calls": CALLS,
        "classification": cases,
        "detector": detector,
        "silhouette": silhouette,
        "silhouette_large": silhouette_large,
        "ari": ari,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1, default=float)
        fh.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
