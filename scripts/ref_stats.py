#!/usr/bin/env python3
"""Reference values for anomalab-stats, computed with scipy, scikit-posthocs and statsmodels.

What it computes: fixed, seeded cases for every statistic of crates/anomalab-stats:
rankdata (ties), Friedman (ties, 2 to 30 blocks, 3 to 8 treatments), Nemenyi post-hoc
p-values, Demsar's critical difference, the Wilcoxon signed-rank test in each of the
methods scipy's method='auto' picks (exact: n <= 50 without ties or zeros; permutation:
n <= 13 with ties or zeros; normal approximation: n > 50, or ties/zeros with n > 13),
Holm's adjustment, the paired t-test, the corrected resampled t-test, mean/sd/95 % t
interval, and the distributions underneath (normal, chi-square, Student t, studentized
range with infinite degrees of freedom). The exact call for every value is listed under
"calls" in the output.

- Nemenyi: scikit_posthocs.posthoc_nemenyi_friedman itself. scikit-posthocs is not in the
  base environment and its package __init__ needs matplotlib and seaborn (for plots), so
  the script loads its _posthocs module directly from the installed files; install it
  (and statsmodels, which _posthocs imports for multipletests) without dependencies:
      pip install --target /tmp/skph --no-deps scikit-posthocs statsmodels patsy packaging
      PYTHONPATH=/tmp/skph python3 scripts/ref_stats.py
- Holm: statsmodels.stats.multitest.multipletests(p, method="holm").
- Critical difference: Demsar (2006), q_alpha = studentized_range.ppf(1 - alpha, k, inf)
  / sqrt(2), CD = q_alpha * sqrt(k (k + 1) / (6 N)).
- Corrected resampled t-test (Nadeau & Bengio 2003): no library has it; the statistic is
  written out here from the paper (variance times 1/J + n_test/n_train, J - 1 degrees of
  freedom) and the p-value is scipy.stats.t.sf.
- Rank-biserial effect size (Kerby 2014): (R+ - R-) / (R+ + R-) with R+/R- from
  scipy.stats.rankdata of |d| over the nonzero differences.

Output: crates/anomalab-stats/tests/reference/stats.json (committed; read by
crates/anomalab-stats/tests/stats_reference.rs, which asserts every value to 1e-9,
relative to the value's size where it is below 1e-3 for the distributions).

Run from the repository root (see the PYTHONPATH line above). Versions are recorded in
the JSON.
"""

import importlib.util
import json
import os

import numpy as np
import scipy
from scipy import stats

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "anomalab-stats", "tests",
                   "reference", "stats.json")


def load_posthocs():
    spec = importlib.util.find_spec("scikit_posthocs")
    if spec is None:
        raise SystemExit("scikit-posthocs not found: see the install line in this script's docstring")
    path = os.path.join(os.path.dirname(spec.origin), "_posthocs.py")
    module_spec = importlib.util.spec_from_file_location("skph_posthocs", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    version = "unknown"
    for line in open(spec.origin):
        if line.startswith("__version__"):
            version = line.split("=")[1].strip().strip('"')
    return module, version


def fl(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def rank_cases(rng):
    cases = [[3, 1, 3, 2], [1, 1, 1, 1], [0.5], [5, 4, 3, 2, 1], [2, 2, 1, 1, 3, 3, 3]]
    cases.append(list(rng.integers(0, 6, size=40)))
    cases.append(fl(rng.normal(size=25)))
    return [{"x": fl(c), "expected": fl(stats.rankdata(c))} for c in cases]


def block_matrices(rng):
    out = {
        "skph_docstring": np.array([[31, 27, 24], [31, 28, 31], [45, 29, 46], [21, 18, 48],
                                    [42, 36, 46], [32, 17, 40]], dtype=float),
        "two_blocks_k3": np.array([[0.9, 0.8, 0.7], [0.7, 0.9, 0.8]]),
        "ties_k4_n10": np.round(rng.uniform(0.6, 0.9, size=(10, 4)), 1),
        "k5_n4_scores": rng.uniform(0.7, 0.99, size=(4, 5)),
        "k8_n30_separated": rng.normal(size=(30, 8)) + np.linspace(0, 2, 8),
        "k3_n12_one_tied_block": np.vstack([rng.normal(size=(11, 3)), [[1.0, 1.0, 1.0]]]),
    }
    return out


def friedman_cases(rng, posthocs):
    cases = []
    for name, m in block_matrices(rng).items():
        stat, p = stats.friedmanchisquare(*[m[:, j] for j in range(m.shape[1])])
        nem = posthocs.posthoc_nemenyi_friedman(m)
        ranks = np.array([stats.rankdata(row) for row in m])
        cases.append({
            "name": name,
            "data": [fl(row) for row in m],
            "statistic": float(stat),
            "p_value": float(p),
            "mean_ranks": fl(ranks.mean(axis=0)),
            "nemenyi": [fl(row) for row in nem.to_numpy()],
        })
    return cases


def cd_cases():
    cases = []
    for k in [2, 3, 4, 5, 8, 10]:
        for n in [2, 4, 14, 30]:
            for alpha in [0.05, 0.10]:
                q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
                cd = q * np.sqrt(k * (k + 1) / (6.0 * n))
                cases.append({"k": k, "n": n, "alpha": alpha, "q_alpha": float(q),
                              "cd": float(cd)})
    return cases


def wilcoxon_cases(rng):
    raw = {
        "exact_n6": (rng.normal(size=6) + 1, np.zeros(6)),
        "exact_n20": (rng.normal(size=20) + 0.3, rng.normal(size=20)),
        "exact_n50_all_positive": (np.arange(1, 51) * 0.01 + 1.0, np.ones(50)),
        "permutation_ties_n10": (np.round(rng.normal(size=10), 1) + 0.2, np.zeros(10)),
        "permutation_zeros_n8": (np.array([0.1, 0.2, 0.0, -0.1, 0.3, 0.0, 0.4, 0.25]), np.zeros(8)),
        "permutation_n13_ties": (np.round(rng.normal(size=13), 1), np.zeros(13)),
        "normal_ties_n20": (np.round(rng.normal(size=20), 1) + 0.3, np.zeros(20)),
        "normal_zeros_n30": (np.concatenate([rng.normal(size=27) + 0.4, np.zeros(3)]), np.zeros(30)),
        "normal_n60": (rng.normal(size=60) + 0.2, rng.normal(size=60)),
        "normal_n200_ties_zeros": (np.round(rng.normal(size=200), 1) + 0.1, np.zeros(200)),
        "paired_scores_n5": (np.array([0.91, 0.88, 0.93, 0.90, 0.89]),
                             np.array([0.90, 0.87, 0.92, 0.91, 0.86])),
    }
    cases = []
    for name, (x, y) in raw.items():
        res = stats.wilcoxon(x, y)
        d = np.asarray(x, float) - np.asarray(y, float)
        nz = d[d != 0]
        r = stats.rankdata(np.abs(nz))
        rp, rm = r[nz > 0].sum(), r[nz < 0].sum()
        cases.append({"name": name, "x": fl(x), "y": fl(y), "statistic": float(res.statistic),
                      "p_value": float(res.pvalue), "rank_biserial": float((rp - rm) / (rp + rm))})
    return cases


def holm_cases(rng):
    from statsmodels.stats.multitest import multipletests
    inputs = [[0.01, 0.04, 0.03, 0.2], [0.5], [0.001, 0.001, 0.9, 0.02, 0.3, 0.049],
              fl(rng.uniform(0, 0.2, size=15))]
    return [{"p": fl(p), "expected": fl(multipletests(p, method="holm")[1])} for p in inputs]


def ttest_cases(rng):
    cases = []
    for name, n, shift, n_train, n_test in [("n5", 5, 0.01, 800.0, 200.0),
                                            ("n15_kfold", 15, 0.005, 4000.0, 1000.0),
                                            ("n31", 31, -0.002, 700.0, 300.0),
                                            ("n2", 2, 0.1, 90.0, 10.0)]:
        x = rng.normal(0.9, 0.01, size=n)
        y = x - shift + rng.normal(0, 0.01, size=n)
        t = stats.ttest_rel(x, y)
        d = x - y
        j = len(d)
        tc = d.mean() / np.sqrt((1.0 / j + n_test / n_train) * d.var(ddof=1))
        pc = 2 * stats.t.sf(abs(tc), j - 1)
        cases.append({"name": name, "x": fl(x), "y": fl(y), "n_train": n_train, "n_test": n_test,
                      "t": float(t.statistic), "p": float(t.pvalue),
                      "corrected_t": float(tc), "corrected_p": float(pc)})
    return cases


def summary_cases(rng):
    cases = []
    for x in [[0.9, 0.92], fl(rng.normal(0.8, 0.02, size=5)), fl(rng.normal(0.5, 0.1, size=31))]:
        x = np.asarray(x)
        sem = x.std(ddof=1) / np.sqrt(len(x))
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sem)
        cases.append({"x": fl(x), "mean": float(x.mean()), "sd": float(x.std(ddof=1)),
                      "ci_low": float(lo), "ci_high": float(hi)})
    return cases


def distribution_cases():
    out = {"normal_sf": [], "chi2_sf": [], "t_sf": [], "t_ppf": [], "sr_sf": [], "sr_cdf": []}
    for z in [-3.0, -0.5, 0.0, 0.3, 1.96, 5.0, 10.0]:
        out["normal_sf"].append({"z": z, "expected": float(stats.norm.sf(z))})
    for x, df in [(0.5, 1), (3.2, 2), (10.0, 4), (40.0, 7), (1e-3, 3), (80.0, 5)]:
        out["chi2_sf"].append({"x": x, "df": df, "expected": float(stats.chi2.sf(x, df))})
    for t, df in [(0.1, 1), (-2.0, 3), (2.5, 4), (12.0, 9), (1.0, 30), (40.0, 14)]:
        out["t_sf"].append({"t": t, "df": df, "expected": float(stats.t.sf(t, df))})
    for p, df in [(0.975, 1), (0.975, 4), (0.975, 30), (0.9, 2), (0.025, 9)]:
        out["t_ppf"].append({"p": p, "df": df, "expected": float(stats.t.ppf(p, df))})
    for q, k in [(0.5, 2), (2.0, 3), (3.3, 4), (4.0, 8), (6.0, 5), (1.0, 10)]:
        out["sr_sf"].append({"q": q, "k": k, "expected": float(stats.studentized_range.sf(q, k, np.inf))})
        out["sr_cdf"].append({"q": q, "k": k, "expected": float(stats.studentized_range.cdf(q, k, np.inf))})
    return out


def main():
    rng = np.random.default_rng(21)
    posthocs, skph_version = load_posthocs()
    import statsmodels
    result = {
        "scipy_version": scipy.__version__,
        "scikit_posthocs_version": skph_version,
        "statsmodels_version": statsmodels.__version__,
        "numpy_version": np.__version__,
        "calls": {
            "rankdata": "scipy.stats.rankdata(x)",
            "friedman": "scipy.stats.friedmanchisquare(*columns); mean_ranks: rankdata per row, mean",
            "nemenyi": "scikit_posthocs.posthoc_nemenyi_friedman(data) (rows are blocks)",
            "cd": "studentized_range.ppf(1 - alpha, k, inf) / sqrt(2) * sqrt(k (k+1) / (6 n))",
            "wilcoxon": "scipy.stats.wilcoxon(x, y) (defaults); rank_biserial from rankdata",
            "holm": "statsmodels.stats.multitest.multipletests(p, method='holm')[1]",
            "paired_t": "scipy.stats.ttest_rel(x, y)",
            "corrected_t": "mean(d) / sqrt((1/J + n_test/n_train) var(d, ddof=1)); 2 t.sf(|t|, J-1)",
            "summary": "mean, std(ddof=1), scipy.stats.t.interval(0.95, n-1, mean, sem)",
            "distributions": "scipy.stats norm.sf, chi2.sf, t.sf, t.ppf, studentized_range.sf/cdf(q, k, inf)",
        },
        "rankdata": rank_cases(rng),
        "friedman": friedman_cases(rng, posthocs),
        "critical_difference": cd_cases(),
        "wilcoxon": wilcoxon_cases(rng),
        "holm": holm_cases(rng),
        "ttest": ttest_cases(rng),
        "summary": summary_cases(rng),
        "distributions": distribution_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
