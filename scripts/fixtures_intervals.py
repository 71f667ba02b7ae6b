#!/usr/bin/env python3
"""Reference values for the effect-size intervals in src/stats/interval.rs.

Writes testdata/fixtures/interval_stats.json with the inputs AND the outputs, so
`cargo test --lib stats::interval` needs no Python:

    pip install -r scripts/requirements.txt
    python3 scripts/fixtures_intervals.py

* `wasserstein_ci`: Wasserstein-1 from `scipy.stats.wasserstein_distance`; its delta-method
  interval computed here independently of the Rust merge: both ECDFs evaluated on the merged
  grid with `np.searchsorted`, the sign of their difference, its running integral P(v) by
  `np.cumsum`, then `W1 ± z·sqrt(var(P(X))/n_x + var(P(Y))/n_y)` (ddof = 1), low end at 0.
* `share_change`: every category's change with statsmodels'
  `confint_proportions_2indep(method="newcomb", compare="diff")` at the Bonferroni level
  1 − α/(K − 1), K the categories used on either side; the interval of the largest change
  is [max distance of an interval from 0, max absolute bound].
* `new_category`: the Wilson interval of a serving share (statsmodels `proportion_confint`).

Seeded; running twice gives the same file.
"""

import json
import math
import os

import numpy as np
import scipy.stats as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "fixtures", "interval_stats.json")
Z = st.norm.ppf(0.975)


def w1_interval(a, b, z=Z):
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.unique(np.concatenate([a, b]))
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    sign = np.sign(fa - fb)[:-1]
    widths = np.diff(grid)
    p = np.concatenate([[0.0], np.cumsum(sign * widths)])
    pa = p[np.searchsorted(grid, a)]
    pb = p[np.searchsorted(grid, b)]
    var = lambda x: float(np.var(x, ddof=1)) if len(x) > 1 else 0.0
    se = math.sqrt(var(pa) / len(a) + var(pb) / len(b))
    w = float(st.wasserstein_distance(a, b))
    return w, max(0.0, w - z * se), w + z * se


def share_change(baseline, serving, confidence=0.95):
    nb, ns = sum(baseline), sum(serving)
    used = sum(1 for x, y in zip(baseline, serving) if x > 0 or y > 0)
    alpha = (1 - confidence) / max(1, used - 1)
    best, top, low, high = -1.0, 0, 0.0, 0.0
    for k, (x, y) in enumerate(zip(baseline, serving)):
        lo, hi = confint_proportions_2indep(y, ns, x, nb, method="newcomb", compare="diff", alpha=alpha)
        d = y / ns - x / nb
        if abs(d) > best:
            best, top = abs(d), k
        near = lo if lo > 0 else (-hi if hi < 0 else 0.0)
        low, high = max(low, near), max(high, abs(lo), abs(hi))
    return best, top, low, high


def main():
    rng = np.random.default_rng(20261201)
    cases = []

    def add(name, a, b):
        w, lo, hi = w1_interval(a, b)
        cases.append({"name": name, "a": [float(v) for v in a], "b": [float(v) for v in b],
                      "w1": w, "low": lo, "high": hi})

    add("shift-normal-200-vs-2000", np.round(rng.normal(0, 1, 2000), 3), np.round(rng.normal(0.5, 1, 200), 3))
    add("null-normal-65-vs-1000", np.round(rng.normal(0, 1, 1000), 2), np.round(rng.normal(0, 1, 65), 2))
    add("quantised-thickness", rng.choice([0.625, 1.25, 2.5, 5.0], 800, p=[.3, .5, .15, .05]),
        rng.choice([0.625, 1.25, 2.5, 5.0], 150, p=[.2, .3, .1, .4]))
    add("integer-mas-crossing", rng.poisson(200, 500).astype(float), np.round(rng.normal(200, 30, 120)))
    add("identical", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    add("one-each", [1.0], [3.0])
    add("ties-everywhere", [0.0] * 40 + [1.0] * 60, [0.0] * 70 + [1.0] * 30)

    shares = []
    for name, b, s in [
        ("sex-50-50-to-60-40", [500, 500], [120, 80]),
        ("protocol-5mm", [300, 500, 150, 50], [40, 60, 20, 80]),
        ("no-change", [250, 250, 500], [25, 25, 50]),
        ("zero-column", [100, 0, 300], [30, 0, 70]),
        ("new-only-in-serving", [400, 600], [0, 0]),
    ]:
        if sum(s) == 0:
            shares.append({"name": name, "baseline": b, "serving": s, "expect": "none"})
            continue
        best, top, lo, hi = share_change(b, s)
        shares.append({"name": name, "baseline": b, "serving": s, "effect": best, "top": top,
                       "low": lo, "high": hi})

    wilson = []
    for x, n in [(6, 200), (0, 200), (3, 50), (30, 1000), (200, 200)]:
        lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
        wilson.append({"x": x, "n": n, "low": float(lo), "high": float(hi)})

    with open(OUT, "w") as f:
        json.dump({"wasserstein_ci": cases, "share_change": shares, "new_category": wilson}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
