#!/usr/bin/env python3
"""Reference values from scikit-learn for anomalab's kernel SVMs and the local outlier factor.

Writes crates/anomalab-learn/tests/reference/svm_lof.json, read by
crates/anomalab-learn/tests/svm_lof_reference.rs. Every dataset is generated here with a
fixed numpy seed and stored in the JSON (the Rust test uses exactly these rows), together
with what scikit-learn computed on it:

* svc cases: SVC(**params) on a training set, then on a test set: decision_function
  (default "ovr" shape), decision_function with decision_function_shape="ovo", predict;
  and the fitted support_, n_support_, dual_coef_, intercept_, and the resolved _gamma.
  Cases: two overlapping Gaussian classes (rbf with gamma "scale"; poly degree 3 gamma
  "auto" coef0 1; linear C 0.5; sigmoid gamma 0.05 coef0 -1; rbf with
  class_weight "balanced" on unbalanced classes), and four classes (rbf, C 2).
* svc_probability: SVC(probability=True, random_state=0) on the two- and four-class data:
  probA_, probB_ and predict_proba on the test rows. The cross-validation folds of the
  Platt fit are random, so the Rust test plugs scikit-learn's (A, B) into its own model
  and compares the probabilities (the deterministic part: sigmoid and pairwise coupling).
* platt_objective: for decision values and labels drawn here, the minimum of Platt's
  regularised cross-entropy found by scipy.optimize.minimize (BFGS, gtol 1e-12), an
  independent solution of what libsvm's sigmoid_train minimises.
* one_class_svm: OneClassSVM(**params) on 150 rows (N(0, I_2) plus 8 wide outliers):
  support_, dual_coef_, offset_, decision_function on test rows, for nu 0.5 / gamma
  "scale" (the defaults), nu 0.1 / gamma 0.5, and nu 0.2 with the poly kernel.
* lof: LocalOutlierFactor(novelty=True, n_neighbors=k) on 200 rows of N(0, I_3) with 10
  outliers: score_samples on 40 test rows, and the private _lrd of the training rows, for
  k = 20 (default), 5, and k = 20 on 12 rows (capped to n - 1 = 11).

Run from the repository root:  python3 scripts/ref_svm_lof.py
"""

import json
import os
import warnings

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import SVC, OneClassSVM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "anomalab-learn", "tests", "reference", "svm_lof.json")

warnings.filterwarnings("ignore", category=FutureWarning)


def two_class(seed, n0, n1, d=3):
    g = np.random.default_rng(seed)
    x0 = g.normal(0.0, 1.0, (n0, d))
    x1 = g.normal(1.2, 1.0, (n1, d))
    x = np.vstack([x0, x1])
    y = np.array([0] * n0 + [1] * n1)
    p = g.permutation(len(y))
    return x[p], y[p]


def four_class(seed, n_per=30, d=4):
    g = np.random.default_rng(seed)
    centres = g.normal(0.0, 2.0, (4, d))
    x = np.vstack([c + g.normal(0.0, 1.3, (n_per, d)) for c in centres])
    y = np.repeat(np.arange(4), n_per)
    p = g.permutation(len(y))
    return x[p], y[p]


def svc_case(name, x, y, xt, params):
    m = SVC(**params).fit(x, y)
    ovo = SVC(decision_function_shape="ovo", **params).fit(x, y)
    dec = m.decision_function(xt)
    return {
        "name": name,
        "params": {k: v for k, v in params.items()},
        "x": x.tolist(), "y": y.tolist(), "x_test": xt.tolist(),
        "gamma": float(m._gamma),
        "support": m.support_.tolist(),
        "n_support": m.n_support_.tolist(),
        "dual_coef": m.dual_coef_.tolist(),
        "intercept": m.intercept_.tolist(),
        "decision": (dec[:, None] if dec.ndim == 1 else dec).tolist(),
        "decision_ovo": np.atleast_2d(ovo.decision_function(xt).T).T.tolist(),
        "predict": m.predict(xt).tolist(),
    }


def svc_cases():
    x2, y2 = two_class(1, 40, 40)
    xt2, _ = two_class(2, 15, 15)
    xu, yu = two_class(3, 60, 15)
    x4, y4 = four_class(4)
    xt4, _ = four_class(5, 8)
    return [
        svc_case("binary_rbf_scale", x2, y2, xt2, {}),
        svc_case("binary_poly", x2, y2, xt2, {"kernel": "poly", "degree": 3, "gamma": "auto", "coef0": 1.0}),
        svc_case("binary_linear", x2, y2, xt2, {"kernel": "linear", "C": 0.5}),
        svc_case("binary_sigmoid", x2, y2, xt2, {"kernel": "sigmoid", "gamma": 0.05, "coef0": -1.0}),
        svc_case("binary_balanced", xu, yu, xt2, {"class_weight": "balanced"}),
        svc_case("four_class_rbf", x4, y4, xt4, {"C": 2.0}),
    ]


def probability_cases():
    out = []
    for name, (x, y), (xt, _) in (
        ("binary", two_class(1, 40, 40), two_class(2, 15, 15)),
        ("four_class", four_class(4), four_class(5, 8)),
    ):
        m = SVC(probability=True, random_state=0).fit(x, y)
        out.append({
            "name": name, "x": x.tolist(), "y": y.tolist(), "x_test": xt.tolist(),
            "prob_a": m.probA_.tolist(), "prob_b": m.probB_.tolist(),
            "proba": m.predict_proba(xt).tolist(),
        })
    return out


def platt_objective():
    g = np.random.default_rng(6)
    n = 200
    pos = g.random(n) < 0.4
    dec = np.where(pos, g.normal(0.8, 1.0, n), g.normal(-0.6, 1.0, n))
    n1 = pos.sum()
    n0 = n - n1
    t = np.where(pos, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))

    def f(ab):
        z = dec * ab[0] + ab[1]
        return float(np.sum(np.where(z >= 0, t * z + np.log1p(np.exp(-z)), (t - 1) * z + np.log1p(np.exp(z)))))

    def grad(ab):
        z = dec * ab[0] + ab[1]
        p = 1.0 / (1.0 + np.exp(z))  # P(y=1) under the model
        d = t - p
        return np.array([np.sum(dec * d), np.sum(d)])

    r = minimize(f, np.array([0.0, np.log((n0 + 1.0) / (n1 + 1.0))]), jac=grad, method="BFGS",
                 options={"gtol": 1e-12})
    return {"dec": dec.tolist(), "positive": pos.tolist(), "a": float(r.x[0]), "b": float(r.x[1]),
            "objective": float(r.fun)}


def one_class_cases():
    g = np.random.default_rng(7)
    x = np.vstack([g.normal(0.0, 1.0, (142, 2)), g.uniform(-5.0, 5.0, (8, 2))])
    xt = np.vstack([g.normal(0.0, 1.0, (20, 2)), g.uniform(-5.0, 5.0, (10, 2))])
    out = []
    for params in ({}, {"nu": 0.1, "gamma": 0.5}, {"nu": 0.2, "kernel": "poly", "gamma": "auto", "coef0": 1.0}):
        m = OneClassSVM(**params).fit(x)
        out.append({
            "params": params, "x": x.tolist(), "x_test": xt.tolist(),
            "support": m.support_.tolist(), "dual_coef": m.dual_coef_.ravel().tolist(),
            "offset": float(m.offset_[0] if np.ndim(m.offset_) else m.offset_),
            "decision": m.decision_function(xt).tolist(),
        })
    return out


def lof_cases():
    g = np.random.default_rng(8)
    x = np.vstack([g.normal(0.0, 1.0, (190, 3)), g.uniform(-6.0, 6.0, (10, 3))])
    xt = np.vstack([g.normal(0.0, 1.0, (30, 3)), g.uniform(-6.0, 6.0, (10, 3))])
    out = []
    for k, xs in ((20, x), (5, x), (20, x[:12])):
        m = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(xs)
        out.append({
            "n_neighbors": k, "x": xs.tolist(), "x_test": xt.tolist(),
            "n_neighbors_used": int(m.n_neighbors_),
            "score_samples": m.score_samples(xt).tolist(),
            "training_lrd": m._lrd.tolist(),
            "offset": float(m.offset_),
        })
    return out


def main():
    ref = {
        "generated_by": "scripts/ref_svm_lof.py",
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "svc": svc_cases(),
        "svc_probability": probability_cases(),
        "platt_objective": platt_objective(),
        "one_class_svm": one_class_cases(),
        "lof": lof_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
