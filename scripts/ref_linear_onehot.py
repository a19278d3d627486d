#!/usr/bin/env python3
"""scikit-learn reference coefficients for the one-hot tests of anomalab-learn's linear
models (crates/anomalab-learn/src/linear/{logistic,svm}.rs). The data are the formulas of
`design::onehot_case` (90 rows, two numeric columns, two one-hot blocks, three classes).

Run: python3 scripts/ref_linear_onehot.py   (numbers recorded with scikit-learn 1.9.1)
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC


def onehot_case(n=90):
    x = np.zeros((n, 13))
    y = np.zeros(n, dtype=int)
    for i in range(n):
        a, b = (i * 5 + i // 7) % 5, (i * 3 + i // 4) % 6
        x[i, 0] = ((i * 13) % 11) / 5 - 1
        x[i, 1] = ((i * 7 + 3) % 17) / 8 - 1
        for j in range(5):
            x[i, 2 + j] = 2.0 - 0.25 * j if a == j else -0.4 + 0.1 * j
        for j in range(6):
            x[i, 7 + j] = 1.0 if b == j else 0.0
        y[i] = (a + (1 if x[i, 0] > 0 else 0) + i // 11) % 3
    return x, y


def main():
    x, y = onehot_case()
    np.set_printoptions(precision=17, floatmode="unique", linewidth=120)
    lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(x, y)
    print("LogisticRegression(C=1.0, tol=1e-10, max_iter=10000): [coef | intercept]")
    print(repr(np.hstack([lr.coef_, lr.intercept_[:, None]])))
    sv = LinearSVC(C=1.0, dual=False, tol=1e-10, max_iter=100000).fit(x, (y == 1).astype(int))
    print("LinearSVC(C=1.0, dual=False, tol=1e-10, max_iter=100000) on y == 1: [coef | intercept]")
    print(repr(np.hstack([sv.coef_, sv.intercept_[:, None]])))


if __name__ == "__main__":
    main()
