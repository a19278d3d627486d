#!/usr/bin/env python3
"""Reference cluster profiles computed with pandas, for the report's cluster profiles.

What it computes: a fixed, seeded table of 90 rows (numeric `bytes` (log-normal, large),
`rate` (in [0, 1]) and `const` (constant); categorical `proto`, `flag` and `service`, the
last `ecr_i` on exactly the rows of cluster 1), a class per row
(normal / neptune / smurf) and a cluster per row (0, 1, 2, or noise), the clusters tied to
the features as a SYN flood, a ping flood and normal traffic would be. For each cluster and
for the noise rows, the values pandas gives:
  - size: len(group); composition: group["class"].value_counts()
  - centre: group[numeric].mean() for each numeric column; for each categorical column
    group[col].value_counts(): the most frequent value and its share (no ties, asserted)
  - smd: for every model feature (each numeric column, and each one-hot level `col=level`
    as a 0/1 column), (mean in the cluster - mean of all other rows) / pooled standard
    deviation, pooled = sqrt(((n1 - 1) var1 + (n0 - 1) var0) / (n1 + n0 - 2)) with
    var = Series.var(ddof=1); features constant over all rows are left out; a feature
    constant in both groups at different values (pooled = 0) is "complete" and its smd is
    the difference over the feature's standard deviation over all rows (ddof=1).
Output: tests/reference/cluster_profile.json (committed; read by the unit test of
src/runner/trial/profile.rs, which fits the project's own one-hot + standard-scaling
pipeline on the rows and asserts every value to 1e-9).

Run from the repository root:
    python3 scripts/ref_cluster_profile.py
Needs numpy and pandas (versions recorded in the JSON).
"""

import json
import os

import numpy as np
import pandas as pd

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference", "cluster_profile.json"
)
NUMERIC = ["bytes", "rate", "const"]
CATEGORICAL = ["proto", "flag", "service"]


def make_rows(rng):
    rows = []
    # cluster: (count, proto weights tcp/udp/icmp, flag weights S0/SF/REJ, bytes mu, rate lo, class weights)
    spec = {
        0: (30, [0.9, 0.1, 0.0], [0.8, 0.1, 0.1], 3.0, 0.8, [0.1, 0.9, 0.0]),
        1: (25, [0.05, 0.05, 0.9], [0.0, 0.9, 0.1], 7.0, 0.5, [0.2, 0.0, 0.8]),
        2: (28, [0.5, 0.4, 0.1], [0.1, 0.8, 0.1], 9.0, 0.0, [0.9, 0.05, 0.05]),
        None: (7, [0.3, 0.3, 0.4], [0.3, 0.2, 0.5], 12.0, 0.0, [0.3, 0.4, 0.3]),
    }
    for cluster, (n, pw, fw, mu, lo, cw) in spec.items():
        for _ in range(n):
            rows.append(
                {
                    "bytes": float(np.round(rng.lognormal(mu, 1.0), 3)),
                    "rate": float(np.round(rng.uniform(lo, min(lo + 0.5, 1.0)), 4)),
                    "const": 5.0,
                    "proto": str(rng.choice(["tcp", "udp", "icmp"], p=pw)),
                    "flag": str(rng.choice(["S0", "SF", "REJ"], p=fw)),
                    "service": "ecr_i" if cluster == 1 else str(rng.choice(["http", "smtp"], p=[0.7, 0.3])),
                    "class": str(rng.choice(["normal", "neptune", "smurf"], p=cw)),
                    "cluster": cluster,
                }
            )
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def model_features(df):
    out = {c: df[c].astype(float) for c in NUMERIC}
    for c in CATEGORICAL:
        for level in sorted(df[c].unique()):
            out[f"{c}={level}"] = (df[c] == level).astype(float)
    return pd.DataFrame(out)


def profile(df, feats, key):
    inside = df["key"] == key
    g = df[inside]
    n1, n0 = int(inside.sum()), int((~inside).sum())
    centre = {c: float(g[c].mean()) for c in NUMERIC}
    for c in CATEGORICAL:
        vc = g[c].value_counts()
        assert len(vc) == 1 or vc.iloc[0] > vc.iloc[1], f"tie in {c} of {key}"
        centre[c] = {"mode": str(vc.index[0]), "share": float(vc.iloc[0] / n1)}
    smd = {}
    for f in feats.columns:
        a, b = feats[f][inside], feats[f][~inside]
        pooled = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n0 - 1) * b.var(ddof=1)) / (n1 + n0 - 2))
        overall = feats[f].std(ddof=1)
        if overall > 0:
            complete = bool(pooled == 0)
            smd[f] = {
                "smd": float((a.mean() - b.mean()) / (overall if complete else pooled)),
                "cluster_mean": float(a.mean()),
                "rest_mean": float(b.mean()),
                "complete": complete,
            }
    return {
        "cluster": key,
        "size": n1,
        "composition": {k: int(v) for k, v in g["class"].value_counts().items()},
        "centre": centre,
        "smd": smd,
    }


def main():
    rng = np.random.default_rng(20261206)
    rows = make_rows(rng)
    df = pd.DataFrame(rows)
    df["key"] = df["cluster"].map(lambda c: "noise" if c is None or pd.isna(c) else str(int(c)))
    feats = model_features(df)
    out = {
        "generator": "scripts/ref_cluster_profile.py",
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "class_names": ["normal", "neptune", "smurf"],
        "rows": rows,
        "profiles": [profile(df, feats, k) for k in ["0", "1", "2", "noise"]],
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
