"""gen_stats_fixtures.py: reference values for src/eval/stats.c from scipy.

Writes tests/fixtures/stats.wsfx: for each data set dK (fixed data, many
ties): dK_x, dK_y, dK_ref = [kendall tau-b, spearman rho, pearson r,
P@1%, P@5%, P@10%, P@50%] computed with scipy.stats (kendalltau variant
'b', spearmanr, pearsonr) and numpy (P@K: k = max(1, floor(frac n)), the
fraction of the k highest y that are among the k highest x, ties broken
by position).  Run with /usr/bin/python3 (Debian's python3-scipy):
    /usr/bin/python3 tests/gen_stats_fixtures.py
"""
import os
import sys

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(__file__))
import wsfx  # noqa: E402

FRACS = [0.01, 0.05, 0.10, 0.50]


def patk(x, y, frac):
    n = len(x)
    k = max(1, int(np.floor(frac * n)))
    top_y = set(np.argsort(-y, kind="stable")[:k].tolist())
    top_x = np.argsort(-x, kind="stable")[:k].tolist()
    return sum(1 for i in top_x if i in top_y) / k


def refs(x, y):
    tau = stats.kendalltau(x, y, variant="b").statistic
    rho = stats.spearmanr(x, y).statistic
    r = stats.pearsonr(x, y).statistic
    return [tau, rho, r] + [patk(x, y, f) for f in FRACS]


def main():
    rng = np.random.default_rng(20261128)
    sets = {}
    # d0: small, hand-written, ties in x, in y and in both.
    sets["d0"] = (np.array([1, 2, 2, 3, 3, 3, 4, 5, 5, 1], float),
                  np.array([2, 1, 1, 3, 3, 4, 4, 6, 2, 2], float))
    # d1: heavy ties (integers 0..4 vs 0..5).
    sets["d1"] = (rng.integers(0, 5, 30).astype(float), rng.integers(0, 6, 30).astype(float))
    # d2: accuracy-like, correlated, rounded (one-shot to 1 decimal, truth to 2).
    t = rng.uniform(10, 94, 200)
    o = t * 0.5 + rng.normal(0, 8, 200)
    sets["d2"] = (np.round(o, 1), np.round(t, 2))
    # d3: anti-correlated with ties, n = 1000.
    a = rng.integers(0, 50, 1000).astype(float)
    sets["d3"] = (a, np.round(-a + rng.normal(0, 10, 1000)))
    out = {}
    for name, (x, y) in sets.items():
        out[name + "_x"] = x
        out[name + "_y"] = y
        out[name + "_ref"] = np.array(refs(x, y))
        print(name, out[name + "_ref"])
    wsfx.write(os.path.join(os.path.dirname(__file__), "fixtures", "stats.wsfx"), out)


if __name__ == "__main__":
    main()
