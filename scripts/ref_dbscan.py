#!/usr/bin/env python3
"""Reference labels of scikit-learn's DBSCAN on cases large enough to cross the native
DBSCAN's work splits (sorted-position tasks of 256 rows, product blocks of 1024 columns).

Cases (numpy default_rng seeds given; values rounded to 4 decimals so the JSON is the data):
* blobs: 2,631 rows x 8 columns: six Gaussian blobs of different spreads (0.3 to 1.2),
  two of them overlapping so that border rows are reachable from two clusters, 200
  uniform noise rows in [-12, 12]^8, 150 exact copies of earlier rows (duplicates are
  common in flow data), and two pairs of line clusters with a border row between them
  that scikit-learn gives to the first-numbered cluster although the other is nearer
  (see `bridges`). DBSCAN(eps=1.1, min_samples=8) and DBSCAN(eps=1.6, min_samples=4).
* onehot: 1,500 rows, 6 numeric columns N(0, 1) plus two one-hot blocks (4 and 7
  categories, skewed frequencies), every column standard-scaled as anomalab's pipeline
  does; DBSCAN(eps=2.0, min_samples=10).

Each case records `labels_` (-1 = noise) and `core_sample_indices_`.
Run from the repository root:  python3 scripts/ref_dbscan.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "anomalab-learn", "tests", "reference", "dbscan.json")


def blobs():
    rng = np.random.default_rng(11)
    centres = rng.uniform(-8, 8, (6, 8))
    centres[1] = centres[0] + 2.5  # overlapping pair: shared border rows
    spreads = [0.6, 0.6, 0.3, 0.9, 1.2, 0.5]
    parts = [rng.normal(c, s, (350, 8)) for c, s in zip(centres, spreads)]
    parts.append(rng.uniform(-12, 12, (200, 8)))
    x = np.vstack(parts)
    x = np.vstack([x, x[rng.choice(len(x), 150, replace=False)]])
    return np.round(np.vstack([x, bridges()]), 4)


def bridges():
    """Two pairs of parallel lines A and B of 20 rows (spacing 0.2 along axis 1, 2.1 apart
    along axis 0, far from the blobs) with a bridge row 1.08 from A's first row and 1.02
    from B's. With eps 1.1 and min_samples 8 the bridge has 6 rows within eps, so it is
    not core, and it lies within eps of a core row of both clusters (A's second row at
    1.098, B's second at 1.039). In the first pair A's rows come first, so A's cluster is
    numbered first and scikit-learn gives the bridge to A although B's core row is nearer;
    in the second pair B's rows come first and both rules give B."""
    rows = []
    for base, a_first in ((20.0, True), (40.0, False)):
        c = np.full(8, base)
        t = np.arange(20)[:, None] * 0.2 * np.eye(8)[1]
        a, b = c + t, c + 2.1 * np.eye(8)[0] + t
        bridge = (c + 1.08 * np.eye(8)[0])[None, :]
        rows += [a, b, bridge] if a_first else [b, a, bridge]
    return np.vstack(rows)


def onehot():
    rng = np.random.default_rng(5)
    n = 1500
    num = rng.normal(0, 1, (n, 6))
    a = rng.choice(4, n, p=[0.7, 0.2, 0.08, 0.02])
    b = rng.choice(7, n, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.04, 0.01])
    x = np.hstack([num, np.eye(4)[a], np.eye(7)[b]])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.round(x, 4)


def case(x, eps, min_samples):
    m = DBSCAN(eps=eps, min_samples=min_samples).fit(x)
    lab = m.labels_
    print(f"eps {eps} min_samples {min_samples}: {lab.max() + 1} clusters, "
          f"{int((lab < 0).sum())} noise, {len(m.core_sample_indices_)} core")
    return {"eps": eps, "min_samples": min_samples, "labels": lab.tolist(),
            "core": m.core_sample_indices_.tolist()}


def main():
    xb, xo = blobs(), onehot()
    out = {
        "sklearn_version": sklearn.__version__,
        "blobs": {"x": xb.tolist(), "cases": [case(xb, 1.1, 8), case(xb, 1.6, 4)]},
        "onehot": {"x": xo.tolist(), "cases": [case(xo, 2.0, 10)]},
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
