#!/usr/bin/env python3
"""Generate SciPy reference values for the drift-test primitives in src/stats/.

Writes testdata/fixtures/drift_stats.json holding the inputs AND the SciPy outputs, so
`cargo test --lib stats::` needs no Python. Re-run after changing a case:

    pip install -r scripts/requirements.txt
    python3 scripts/fixtures_drift.py

Every case is seeded; running twice gives the same file. Conventions in the JSON:
  * NaN is written as null (JSON has no NaN);
  * `"expect": "none"` means the Rust function must return None for that input;
  * `p_rtol` widens the p-value tolerance where SciPy itself only approximates.
Cases where our documented behaviour differs from SciPy (see docs/statistics.md,
"Drift test primitives") are computed here the way our docs say, from SciPy pieces.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.stats as st
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "fixtures", "drift_stats.json")


def fl(x):
    """JSON-safe float (NaN -> None); keeps full precision via repr."""
    x = float(x)
    return None if math.isnan(x) else x


def rounded(xs, digits):
    # Fewer digits keep the JSON small and make ties on purpose.
    return [round(float(v), digits) for v in xs]


def ks_case(name, a, b, method, p_rtol=1e-9, scipy_method=None):
    r = st.ks_2samp(a, b, method=scipy_method or method)
    n1, n2 = len(a), len(b)
    used = method
    if method == "auto":
        # Our rule (documented): exact iff n1*n2 <= 1_000_000.
        used = "exact" if n1 * n2 <= 1_000_000 else "asymp"
    return {
        "name": name,
        "a": list(a),
        "b": list(b),
        "method": method,
        "method_used": used,
        "statistic": fl(r.statistic),
        "p_value": fl(r.pvalue),
        "p_rtol": p_rtol,
    }


def find_ks_near(target_lo, target_hi, n1, n2, seed):
    """Search shifts until the exact p-value lands in [target_lo, target_hi]."""
    rng = np.random.default_rng(seed)
    for _ in range(2000):
        shift = rng.uniform(1.0, 2.5)
        a = rounded(rng.normal(0.0, 1.0, n1), 6)
        b = rounded(rng.normal(shift, 1.0, n2), 6)
        p = st.ks_2samp(a, b, method="exact").pvalue
        if target_lo <= p <= target_hi:
            return a, b
    raise RuntimeError("no sample found near target p-value")


def ks_cases():
    rng = np.random.default_rng(20240601)
    cases = [
        ks_case("n1_vs_n1_different", [1.0], [2.0], "exact"),
        ks_case("n1_vs_n1_equal", [3.0], [3.0], "exact"),
        ks_case("n1_vs_n2", [0.5], [0.1, 0.9], "exact"),
        ks_case("n2_vs_n2_separated", [1.0, 2.0], [3.0, 4.0], "exact"),
        ks_case("n2_vs_n3_auto", [1.0, 5.0], [2.0, 3.0, 4.0], "auto"),
        ks_case("all_equal_values", [7.0] * 12, [7.0] * 9, "auto"),
    ]
    same = rounded(rng.normal(0, 1, 40), 6)
    cases.append(ks_case("identical_samples", same, list(same), "auto"))
    # Integer-valued data: many ties within and across samples.
    ta = [float(v) for v in rng.integers(0, 6, 30)]
    tb = [float(v) for v in rng.integers(1, 7, 25)]
    cases.append(ks_case("ties_integer_valued_exact", ta, tb, "exact"))
    cases.append(ks_case("ties_integer_valued_asymp", ta, tb, "asymp"))
    ua = rounded(rng.normal(0, 1, 50), 6)
    ub = rounded(rng.normal(0.4, 1.2, 37), 6)
    cases.append(ks_case("unequal_sizes_exact", ua, ub, "exact"))
    cases.append(ks_case("unequal_sizes_asymp", ua, ub, "asymp"))
    cases.append(ks_case("unequal_sizes_auto", ua, ub, "auto"))
    ea = rounded(rng.normal(0, 1, 100), 6)
    eb = rounded(rng.normal(0.3, 1, 100), 6)
    cases.append(ks_case("equal_sizes_exact", ea, eb, "exact"))
    cases.append(ks_case("equal_sizes_asymp", ea, eb, "asymp"))
    # Odd equal sizes: en = n/2 is x.5 and SciPy rounds half to even.
    oa = rounded(rng.normal(0, 1, 25), 6)
    ob = rounded(rng.normal(0.5, 1, 25), 6)
    cases.append(ks_case("odd_equal_sizes_asymp_round_half_even", oa, ob, "asymp"))
    a, b = find_ks_near(1e-13, 1e-11, 80, 60, 7)
    cases.append(ks_case("exact_p_near_1e-12_unequal", a, b, "exact"))
    a, b = find_ks_near(1e-13, 1e-11, 70, 70, 8)
    cases.append(ks_case("exact_p_near_1e-12_equal", a, b, "exact"))
    # Exact sum overshoots 1 by rounding (SciPy then falls back to asymp; p is 1 either way).
    cases.append(ks_case("exact_tail_rounding_above_one", list(range(0, 2000, 2)), list(range(1, 2000, 2)), "exact"))
    # Fully separated equal samples: the smallest exact p-value for n=40.
    cases.append(
        ks_case("exact_fully_separated", [float(i) for i in range(40)], [float(i) + 100 for i in range(40)], "exact")
    )
    # Boundary of our auto rule: 800*1250 = 1e6 -> exact.
    ba = [int(v) for v in np.round(rng.normal(5000, 1000, 800))]
    bb = [int(v) for v in np.round(rng.normal(5100, 1000, 1250))]
    cases.append(ks_case("auto_boundary_product_1e6_is_exact", ba, bb, "auto"))
    # Just above it: we use asymptotic, SciPy's auto would still be exact.
    ca = [int(v) for v in np.round(rng.normal(5000, 1000, 1001))]
    cb = [int(v) for v in np.round(rng.normal(5150, 1000, 1000))]
    cases.append(ks_case("auto_above_product_1e6_is_asymp", ca, cb, "auto", scipy_method="asymp"))
    cases.append(ks_case("above_product_1e6_forced_exact", ca, cb, "exact"))
    # Large samples, asymptotic (kstwo with en = 4000, DMTW / Smirnov regimes).
    la = [int(v) for v in np.round(rng.normal(5000, 1000, 5000))]
    lb = [int(v) for v in np.round(rng.normal(5060, 1000, 20000))]
    cases.append(ks_case("large_5000_vs_20000_auto", la, lb, "auto"))
    return cases


def kstwo_cases():
    """Direct checks of kstwo.sf(d, n) across every branch SciPy's _kolmogn takes."""
    pts = [
        (1, 0.3), (1, 0.7), (5, 0.05), (5, 0.15),  # t <= 0.5 and Ruben-Gambino t <= 1
        (200, 0.004), (200, 0.0045),  # Ruben-Gambino, n > 140 (Stirling branch)
        (10, 0.95), (10, 0.92),  # t >= n - 1
        (10, 0.5), (30, 0.6), (140, 0.55),  # x >= 0.5: 2 * smirnov
        (20, 0.1), (50, 0.1), (140, 0.07),  # n <= 140, n x^2 <= 0.754693: Durbin matrix
        (20, 0.25), (50, 0.2), (100, 0.15), (140, 0.16),  # n <= 140, n x^2 <= 4: Pomeranz
        (20, 0.48), (100, 0.3), (140, 0.4),  # n <= 140, n x^2 > 4: 2 * smirnov (Miller)
        (1000, 0.012), (4000, 0.0075), (30000, 0.0013), (100000, 0.00058),  # n > 140: Durbin
        (1000, 0.03), (1000, 0.04), (4000, 0.02), (4000, 0.023), (30000, 0.005),
        (100000, 0.002), (200000, 0.002), (3000000, 0.0005),  # n > 140: Pelz-Good
        (1000, 0.05), (4000, 0.03), (4000, 0.1), (4000, 0.2), (50000, 0.02),  # 2 * smirnov
        (2000000, 0.0015), (2000000, 0.002),  # smirnov's n > 1e6 approximation
        (1000, 0.7), (500, 0.9),  # n x^2 >= 370 -> 0
    ]
    return [{"n": n, "d": d, "sf": fl(st.kstwo.sf(d, n)), "cdf": fl(st.kstwo.cdf(d, n))} for n, d in pts]


def reduce_table(t):
    t = np.asarray(t, dtype=float)
    t = t[t.sum(axis=1) > 0]
    if t.size:
        t = t[:, t.sum(axis=0) > 0]
    return t


def chi2_contingency_case(name, table):
    red = reduce_table(table)
    case = {"name": name, "table": table}
    if red.shape[0] < 2:
        case["expect"] = "none"
        return case
    r = st.chi2_contingency(red, correction=False)
    case.update(statistic=fl(r.statistic), p_value=fl(r.pvalue), dof=int(r.dof))
    return case


def chi2_contingency_cases():
    rng = np.random.default_rng(11)
    big = rng.multinomial(5000, [0.2, 0.3, 0.1, 0.25, 0.15]).tolist()
    big2 = rng.multinomial(4000, [0.22, 0.28, 0.1, 0.24, 0.16]).tolist()
    cases = [
        chi2_contingency_case("two_by_two", [[10, 20], [30, 25]]),
        chi2_contingency_case("two_by_five_large_counts", [big, big2]),
        chi2_contingency_case("three_by_four", [[5, 9, 13, 2], [8, 4, 10, 7], [12, 3, 6, 9]]),
        chi2_contingency_case("zero_column_dropped", [[10, 0, 20, 5], [30, 0, 25, 9]]),
        chi2_contingency_case("zero_row_dropped", [[10, 20, 5], [0, 0, 0], [30, 25, 9]]),
        chi2_contingency_case("one_category_only", [[40, 0, 0], [55, 0, 0]]),
        chi2_contingency_case("empty_serving", [[40, 12, 7], [0, 0, 0]]),
        chi2_contingency_case("all_zero", [[0, 0], [0, 0]]),
        chi2_contingency_case("new_category_in_serving", [[50, 50, 0], [45, 40, 15]]),
        chi2_contingency_case("fractional_counts", [[1.5, 2.25, 7.0], [3.5, 0.75, 1.0]]),
        chi2_contingency_case("p_near_1e-12", [[200, 200], [105, 295]]),
        chi2_contingency_case("p_near_1e-12_2x3", [[150, 150, 100], [71, 200, 179]]),
        chi2_contingency_case("p_tiny_1e-100", [[1000, 200, 300], [300, 1000, 250]]),
        chi2_contingency_case("identical_rows", [[10, 20, 30], [10, 20, 30]]),
    ]
    return cases


def chisquare_case(name, obs, exp):
    obs_a, exp_a = np.asarray(obs, float), np.asarray(exp, float)
    case = {"name": name, "observed": obs, "expected": exp}
    keep = (obs_a > 0) | (exp_a > 0)
    if obs_a.sum() <= 0 or exp_a.sum() <= 0:
        case["expect"] = "none"
        return case
    o, e = obs_a[keep], exp_a[keep]
    e = e * (o.sum() / e.sum())  # our documented rescaling; SciPy insists the sums agree
    if len(o) < 2:
        case.update(statistic=0.0, p_value=1.0, dof=0)
        return case
    r = st.chisquare(o, e)
    case.update(statistic=fl(r.statistic), p_value=fl(r.pvalue), dof=len(o) - 1)
    return case


def chisquare_cases():
    return [
        chisquare_case("uniform_expected", [16, 18, 16, 14, 12, 12], [1, 1, 1, 1, 1, 1]),
        chisquare_case("expected_as_proportions", [30, 14, 34, 45, 57, 20], [0.1, 0.1, 0.2, 0.2, 0.25, 0.15]),
        chisquare_case("expected_already_same_total", [10, 20, 30], [20, 20, 20]),
        chisquare_case("zero_zero_bin_dropped", [10, 0, 20, 30], [20, 0, 20, 20]),
        chisquare_case("single_category", [0, 25, 0], [0, 3, 0]),
        chisquare_case("empty_observed", [0, 0, 0], [1, 2, 3]),
        chisquare_case("p_near_1e-12", [129, 271], [1, 1]),
        chisquare_case("p_tiny", [900, 100, 300], [1, 1, 1]),
    ]


def wasserstein_cases():
    rng = np.random.default_rng(21)
    a = rounded(rng.normal(0, 1, 500), 6)
    b = rounded(rng.gamma(2.0, 1.0, 700), 6)
    t1 = [float(v) for v in rng.integers(0, 5, 60)]
    t2 = [float(v) for v in rng.integers(1, 8, 45)]
    s = rounded(rng.normal(0, 1, 30), 6)
    pairs = [
        ("normal_vs_gamma_unequal_sizes", a, b),
        ("ties_integer_valued", t1, t2),
        ("constant_shift_equals_shift", s, [v + 2.5 for v in s]),
        ("identical_samples", s, list(s)),
        ("n1_vs_n1", [1.0], [4.0]),
        ("all_equal_values", [3.0] * 5, [3.0] * 8),
        ("n1_vs_n3", [0.0], [1.0, 2.0, 6.0]),
    ]
    cases = [{"name": n, "a": x, "b": y, "distance": fl(st.wasserstein_distance(x, y))} for n, x, y in pairs]
    cases.append({"name": "empty_serving", "a": [1.0, 2.0], "b": [], "expect": "none"})
    return cases


def js_cases():
    pairs = [
        ("counts", [10, 20, 30, 40], [25, 25, 25, 25]),
        ("proportions", [0.1, 0.4, 0.5], [0.3, 0.3, 0.4]),
        ("zero_in_one_side", [0, 10, 20], [5, 10, 5]),
        ("disjoint_support_is_one", [1, 1, 0, 0], [0, 0, 3, 1]),
        ("identical", [3, 4, 5], [3, 4, 5]),
        ("unnormalised_same_shape", [1, 2, 3], [10, 20, 30]),
        ("single_bin", [4], [9]),
        ("near_identical", [1000000, 1000001, 999999], [1000000, 1000000, 1000000]),
    ]
    cases = [{"name": n, "p": p, "q": q, "distance": fl(jensenshannon(p, q, base=2))} for n, p, q in pairs]
    cases.append({"name": "all_zero_side", "p": [0, 0], "q": [1, 2], "expect": "none"})
    cases.append({"name": "length_mismatch", "p": [1, 2], "q": [1, 2, 3], "expect": "none"})
    return cases


PSI_EPS = 1e-4


def psi_case(name, baseline, serving, n_bins):
    base = np.sort(np.asarray(baseline, float))
    serv = np.sort(np.asarray(serving, float))
    qs = np.arange(1, n_bins) / n_bins
    cuts = np.unique(np.quantile(base, qs, method="linear")) if n_bins > 1 else np.array([])

    def counts(x):
        upto = np.searchsorted(x, cuts, side="right")  # bins are (lo, hi]
        return np.diff(np.concatenate([[0], upto, [len(x)]])).astype(float)

    cb, cs = counts(base), counts(serv)
    e = np.maximum(cb / cb.sum(), PSI_EPS)
    a = np.maximum(cs / cs.sum(), PSI_EPS)
    value = float(np.sum((a - e) * np.log(a / e)))
    return {
        "name": name,
        "baseline": list(baseline),
        "serving": list(serving),
        "n_bins": n_bins,
        "edges": [float(c) for c in cuts],
        "baseline_counts": cb.tolist(),
        "serving_counts": cs.tolist(),
        "psi": value,
    }


def psi_cases():
    rng = np.random.default_rng(31)
    base = rounded(rng.normal(0, 1, 1000), 4)
    shifted = rounded(rng.normal(0.3, 1.1, 800), 4)
    same = rounded(rng.normal(0, 1, 900), 4)
    tied = [0.0] * 500 + rounded(rng.exponential(1.0, 500), 3)
    tied_serv = [0.0] * 200 + rounded(rng.exponential(1.3, 600), 3)
    return [
        psi_case("deciles_shifted_serving", base, shifted, 10),
        psi_case("deciles_same_distribution", base, same, 10),
        psi_case("quintiles", base, shifted, 5),
        psi_case("many_ties_edges_deduplicated", tied, tied_serv, 10),
        psi_case("serving_outside_baseline_range_empty_bins", base, [v + 10.0 for v in shifted[:100]], 10),
        psi_case("tiny_baseline_n2", [1.0, 2.0], [0.5, 1.5, 1.7, 3.0], 10),
        psi_case("single_bin", base[:50], shifted[:40], 1),
    ]


def bh_case(name, p):
    arr = np.asarray([np.nan if v is None else v for v in p], float)
    ok = ~np.isnan(arr)
    q = np.full_like(arr, np.nan)
    if ok.any():
        # SciPy rejects NaN; our documented rule is to adjust the finite ones among themselves.
        q[ok] = st.false_discovery_control(arr[ok], method="bh")
    return {"name": name, "p": p, "q": [fl(v) for v in q]}


def bh_cases():
    rng = np.random.default_rng(41)
    rand = [float(v) for v in rng.uniform(0, 1, 15)] + [float(v) for v in rng.uniform(0, 0.01, 5)]
    return [
        bh_case("twenty_mixed", rand),
        bh_case("ties", [0.01, 0.02, 0.02, 0.02, 0.5, 0.01]),
        bh_case("with_nan", [0.04, None, 0.001, 0.3, None, 0.02]),
        bh_case("all_nan", [None, None]),
        bh_case("empty", []),
        bh_case("zero_and_one", [0.0, 1.0, 0.5]),
        bh_case("tiny_p_1e-12", [1e-12, 3e-12, 0.2, 0.04]),
        bh_case("single", [0.03]),
    ]


def main():
    # Expected for the "exact_tail_rounding_above_one" case; documented in statistics.md.
    warnings.filterwarnings("ignore", message="ks_2samp: Exact calculation unsuccessful")
    data = {
        "generated_by": "scripts/fixtures_drift.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
        "ks": ks_cases(),
        "kstwo": kstwo_cases(),
        "chi2_contingency": chi2_contingency_cases(),
        "chisquare": chisquare_cases(),
        "wasserstein": wasserstein_cases(),
        "jensenshannon": js_cases(),
        "psi": psi_cases(),
        "bh": bh_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
