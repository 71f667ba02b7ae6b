#!/usr/bin/env python3
"""Reference values for src/stats/{roc,proportion,calibration,changepoint}.rs.

Writes seeded inputs *and* reference outputs to testdata/fixtures/performance_stats.json so
that `cargo test` never needs Python. References:

- AUROC: sklearn.metrics.roc_auc_score.
- DeLong (single and paired): our own numpy fast DeLong (Sun & Xu 2014, midranks), checked
  here against a naive O(n^2) placement-value definition before anything is written.
- Wilson / Newcombe / McNemar: statsmodels.  Binomial test: scipy.stats.binomtest.
- Paired Wald difference: the closed-form formula, evaluated here.
- Brier: sklearn.metrics.brier_score_loss.  Reliability: sklearn.calibration.calibration_curve
  (strategy="uniform") for the non-empty bins, numpy for ECE.
- Page-Hinkley: our own recursion, cross-checked against river.drift.PageHinkley when river is
  installed.  CUSUM: our own recursion.  ARL0 / detection delay: seeded simulation, stored
  under "simulation" for docs/statistics.md (not asserted by tests).

Usage: python scripts/fixtures_performance.py  (Python 3.11, see scripts/requirements.txt)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

OUT = Path(__file__).resolve().parent.parent / "testdata" / "fixtures" / "performance_stats.json"
rng = np.random.default_rng(20240611)


def fnum(x):
    """JSON-safe float: NaN/inf become null so Rust sees `None`."""
    x = float(x)
    return x if np.isfinite(x) else None


# ----------------------------------------------------------------------------------- ROC ----


def delong_components(scores: np.ndarray, labels: np.ndarray):
    """Fast DeLong structural components via midranks: O(n log n)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    m, n = len(pos), len(neg)
    tx = stats.rankdata(pos)  # midranks within positives
    ty = stats.rankdata(neg)  # midranks within negatives
    tz = stats.rankdata(np.concatenate([pos, neg]))  # midranks in the pooled sample
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:m] - tx) / n  # fraction of negatives each positive beats (ties count 1/2)
    v01 = 1.0 - (tz[m:] - ty) / m  # fraction of positives that beat each negative
    return auc, v10, v01


def delong_components_naive(scores, labels):
    """Definition: psi(x, y) = 1 if x > y, 1/2 if tied, 0 otherwise; O(m n)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)


def zcrit(conf):
    return stats.norm.ppf(1 - (1 - conf) / 2)


def delong_ref(scores, labels, conf):
    m, n = int(labels.sum()), int((1 - labels).sum())
    if m < 2 or n < 2:
        return None  # sample variance of the components needs two cases per class
    auc, v10, v01 = delong_components(scores, labels)
    auc_n, v10_n, v01_n = delong_components_naive(scores, labels)
    assert np.isclose(auc, auc_n, rtol=1e-12) and np.allclose(v10, v10_n) and np.allclose(v01, v01_n)
    assert np.isclose(auc, roc_auc_score(labels, scores), rtol=1e-12)
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    var_naive = np.var(v10_n, ddof=1) / m + np.var(v01_n, ddof=1) / n
    assert np.isclose(var, var_naive, rtol=1e-10, atol=1e-15)
    se = np.sqrt(var)
    z = zcrit(conf)
    return dict(auc=auc, variance=var, se=se, low=max(0.0, auc - z * se), high=min(1.0, auc + z * se))


def delong_paired_ref(sa, sb, labels, conf):
    m, n = int(labels.sum()), int((1 - labels).sum())
    if m < 2 or n < 2:
        return None
    auc_a, v10a, v01a = delong_components(sa, labels)
    auc_b, v10b, v01b = delong_components(sb, labels)
    _, v10a_n, v01a_n = delong_components_naive(sa, labels)
    _, v10b_n, v01b_n = delong_components_naive(sb, labels)
    assert np.allclose(v10a, v10a_n) and np.allclose(v10b, v10b_n)
    assert np.allclose(v01a, v01a_n) and np.allclose(v01b, v01b_n)
    s10 = np.cov(np.vstack([v10a, v10b]), ddof=1)
    s01 = np.cov(np.vstack([v01a, v01b]), ddof=1)
    contrast = np.array([1.0, -1.0])
    var_diff = max(0.0, contrast @ s10 @ contrast / m + contrast @ s01 @ contrast / n)
    diff = auc_a - auc_b
    se = np.sqrt(var_diff)
    if se > 0:
        zstat = diff / se
    else:  # degenerate: both components constant; documented in roc.rs
        zstat = 0.0 if diff == 0 else np.copysign(np.inf, diff)
    p = 2 * stats.norm.sf(abs(zstat))
    zc = zcrit(conf)
    return dict(
        auc_a=auc_a, auc_b=auc_b, diff=diff, var_diff=var_diff, se_diff=se,
        z=fnum(zstat),  # null: infinite, with the sign of diff
        p_value=p, low=max(-1.0, diff - zc * se), high=min(1.0, diff + zc * se),
    )


def roc_cases():
    cases = []

    def add(name, scores, labels, scores_b=None, conf=0.95):
        scores = np.asarray(scores, float)
        labels = np.asarray(labels, int)
        has_both = labels.min() != labels.max() if len(labels) else False
        c = dict(name=name, scores=scores.tolist(), labels=labels.tolist(), confidence=conf)
        c["auroc"] = roc_auc_score(labels, scores) if has_both else None
        c["delong"] = delong_ref(scores, labels, conf) if has_both else None
        if scores_b is not None:
            scores_b = np.asarray(scores_b, float)
            c["scores_b"] = scores_b.tolist()
            c["auroc_b"] = roc_auc_score(labels, scores_b) if has_both else None
            c["delong_paired"] = delong_paired_ref(scores, scores_b, labels, conf) if has_both else None
        cases.append(c)

    add("small_with_ties", [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.7, 0.2, 0.9, 0.35, 0.6, 0.1],
        [0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1],
        scores_b=[0.2, 0.3, 0.3, 0.7, 0.5, 0.3, 0.6, 0.2, 0.9, 0.5, 0.5, 0.4])
    add("all_positive", [0.2, 0.5, 0.9], [1, 1, 1], scores_b=[0.1, 0.2, 0.3])
    add("all_negative", [0.2, 0.5, 0.9], [0, 0, 0])
    add("one_positive", rng.random(20).round(3), [0] * 7 + [1] + [0] * 12, scores_b=rng.random(20).round(3))
    add("perfect_separation", [0.1, 0.2, 0.3, 0.7, 0.8, 0.95], [0, 0, 0, 1, 1, 1],
        scores_b=[0.5] * 6)
    add("perfectly_wrong", [0.9, 0.8, 0.7, 0.3, 0.2], [0, 0, 0, 1, 1])
    add("all_scores_tied", [0.5] * 8, [0, 1, 0, 1, 1, 0, 0, 1], scores_b=[0.5] * 8)
    add("identical_models", [0.1, 0.6, 0.4, 0.8, 0.3, 0.9, 0.5], [0, 1, 1, 1, 0, 1, 0],
        scores_b=[0.1, 0.6, 0.4, 0.8, 0.3, 0.9, 0.5])
    # Model a is nearly reversed, b perfect: both Wald intervals need clipping at the bottom.
    add("clipped_intervals", [0.9, 0.8, 0.3, 0.7, 0.2, 0.6], [0, 0, 0, 1, 1, 1],
        scores_b=[0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    add("two_per_class_conf90", [0.3, 0.6, 0.6, 0.9], [0, 1, 0, 1], conf=0.90)
    # Realistic monitoring sizes: a weak and a stronger model on the same cases.
    for n, prev, conf in [(200, 0.3, 0.95), (5000, 0.12, 0.99)]:
        y = (rng.random(n) < prev).astype(int)
        latent = rng.normal(size=n)
        sa = 1 / (1 + np.exp(-(1.4 * y - 0.7 + latent)))
        sb = 1 / (1 + np.exp(-(1.1 * y - 0.5 + 0.8 * latent + 0.6 * rng.normal(size=n))))
        # four decimals: keeps the JSON small and creates many ties, as logged scores do
        add(f"random_n{n}", sa.round(4), y, scores_b=sb.round(4), conf=conf)
    return cases


# ---------------------------------------------------------------------------- proportions ----


def wilson_cases():
    out = []
    for x, n, conf in [(0, 10, 0.95), (10, 10, 0.95), (0, 1, 0.95), (1, 1, 0.9), (5, 20, 0.95),
                       (93, 100, 0.95), (93, 100, 0.99), (0, 5000, 0.95), (4990, 5000, 0.95),
                       (412, 5000, 0.9), (1, 3, 0.8), (0, 50, 0.9), (3, 3, 0.95), (13, 13, 0.99)]:
        low, high = proportion_confint(x, n, alpha=1 - conf, method="wilson")
        out.append(dict(x=x, n=n, confidence=conf, low=low, high=high))
    return out


def newcombe_cases():
    out = []
    for x1, n1, x2, n2, conf in [(45, 50, 47, 50, 0.95), (0, 10, 0, 12, 0.95), (10, 10, 0, 10, 0.95),
                                 (88, 100, 180, 200, 0.9), (430, 500, 4400, 5000, 0.95),
                                 (1, 1, 0, 1, 0.95), (3, 7, 5, 9, 0.99)]:
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                               alpha=1 - conf)
        out.append(dict(x1=x1, n1=n1, x2=x2, n2=n2, confidence=conf, diff=x1 / n1 - x2 / n2,
                        low=low, high=high))
    return out


def mcnemar_cases():
    out = []
    for b, c in [(0, 0), (1, 0), (0, 9), (3, 7), (10, 10), (25, 12), (100, 150), (400, 380)]:
        for exact in (True, False):
            if b + c == 0 and not exact:
                stat = p = None  # statsmodels divides by zero here; we return None
            else:
                r = mcnemar(np.array([[0, b], [c, 0]]), exact=exact, correction=True)
                stat, p = float(r.statistic), float(r.pvalue)
            out.append(dict(b=b, c=c, exact=exact, statistic=stat, p_value=p))
    return out


def paired_wald_cases():
    out = []
    for b, c, n, conf in [(12, 5, 200, 0.95), (0, 0, 50, 0.95), (3, 0, 3, 0.95), (40, 61, 5000, 0.9),
                          (7, 2, 30, 0.99)]:
        d = (b - c) / n
        var = ((b + c) / n - d**2) / n
        h = zcrit(conf) * np.sqrt(var)
        out.append(dict(b=b, c=c, n=n, confidence=conf, diff=d,
                        low=max(-1.0, d - h), high=min(1.0, d + h)))
    return out


def binom_cases():
    out = []
    for k, n, p in [(0, 100, 0.01), (1, 100, 0.01), (5, 100, 0.01), (3, 300, 0.01), (7, 10, 0.5),
                    (5, 10, 0.5), (0, 1, 0.5), (50, 5000, 0.01), (72, 5000, 0.01), (2, 1000, 0.01),
                    (30, 40, 0.6), (1, 20, 0.3), (0, 10, 0.0), (3, 10, 0.0), (10, 10, 1.0),
                    (4, 10, 1.0), (3, 10, 0.5), (13, 40, 0.5), (27, 40, 0.5), (60, 100, 0.5),
                    (41, 100, 0.5), (2, 9, 0.5), (1, 8, 0.25), (5, 12, 1 / 3)]:
        for alt in ("two-sided", "greater", "less"):
            out.append(dict(k=k, n=n, p=p, alternative=alt,
                            p_value=stats.binomtest(k, n, p, alternative=alt).pvalue))
    return out


# ---------------------------------------------------------------------------- calibration ----


def calibration_cases(roc):
    out = []

    def add(name, scores, labels, n_bins):
        scores = np.asarray(scores, float)
        labels = np.asarray(labels, int)
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        ids = np.searchsorted(edges[1:-1], scores)  # same rule as calibration_curve
        counts = np.bincount(ids, minlength=n_bins)
        sums = np.bincount(ids, weights=scores, minlength=n_bins)
        pos = np.bincount(ids, weights=labels, minlength=n_bins)
        nz = counts > 0
        frac, mean = calibration_curve(labels, scores, n_bins=n_bins, strategy="uniform")
        assert np.allclose(frac, pos[nz] / counts[nz]) and np.allclose(mean, sums[nz] / counts[nz])
        ece = float(np.sum(counts[nz] / len(scores) * np.abs(frac - mean)))
        out.append(dict(
            name=name, scores=scores.tolist(), labels=labels.tolist(), n_bins=n_bins,
            brier=brier_score_loss(labels, scores), ece=ece, bin_counts=counts.tolist(),
            frac_positive=frac.tolist(), mean_score=mean.tolist(),
        ))

    add("edges_and_endpoints", [0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.55, 0.7, 0.9, 1.0, 1.0, 0.05],
        [0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0], 10)
    add("edges_five_bins", [0.0, 0.2, 0.4, 0.4, 0.6, 0.8, 1.0, 0.15], [0, 0, 1, 0, 1, 1, 1, 0], 5)
    add("one_bin", [0.1, 0.9, 0.4], [0, 1, 1], 1)
    add("all_negative", [0.05, 0.2, 0.12, 0.0], [0, 0, 0, 0], 10)
    s = rng.beta(2, 5, size=300)
    add("random_n300_15_bins", s.round(6), (rng.random(300) < s * 1.2).astype(int), 15)
    big = next(c for c in roc if c["name"] == "random_n5000")
    add("random_n5000_10_bins", big["scores"], big["labels"], 10)
    return out


# ---------------------------------------------------------------------------- changepoint ----


def page_hinkley(xs, delta, lam, min_samples):
    """Classic Page-Hinkley for an increase in mean (no fading factor)."""
    mean, m, m_min = 0.0, 0.0, np.inf
    for t, x in enumerate(xs):
        n = t + 1
        mean += (x - mean) / n
        m += x - mean - delta
        m_min = min(m_min, m)
        if n >= min_samples and m - m_min > lam:
            return t
    return None


def river_page_hinkley(xs, delta, lam, min_samples):
    try:
        from river.drift import PageHinkley
    except ImportError:
        return "river not installed"
    ph = PageHinkley(min_instances=min_samples, delta=delta, threshold=lam, alpha=1.0, mode="up")
    for t, x in enumerate(xs):
        ph.update(float(x))
        if ph.drift_detected:
            return t
    return None


def cusum(xs, k, h, mean=None, sd=None, burn_in=0):
    xs = np.asarray(xs, float)
    if mean is None:
        mean, sd = xs[:burn_in].mean(), xs[:burn_in].std(ddof=1)
    s = 0.0
    for t in range(burn_in, len(xs)):
        s = max(0.0, s + (xs[t] - mean) / sd - k)
        if s > h:
            return t
    return None


PH_DEFAULT = dict(delta=0.01, lam=25.0, min_samples=30)
CUSUM_DEFAULT = dict(k=0.25, h=24.0)


def changepoint_cases():
    bern = lambda p, n: (rng.random(n) < p).astype(int)  # noqa: E731
    streams = {
        "in_control_bernoulli_0.1_n4000": bern(0.1, 4000),
        "bernoulli_0.1_to_0.3_at_1000": np.concatenate([bern(0.1, 1000), bern(0.3, 1000)]),
        "bernoulli_0.1_to_0.2_at_1500": np.concatenate([bern(0.1, 1500), bern(0.2, 1500)]),
        # absolute errors |label - score| of a model whose calibration degrades at case 800
        "abs_error_shift_at_800": np.concatenate(
            [rng.beta(1, 6, 800), rng.beta(1.6, 4, 700)]).round(4),
    }
    ph, cs = [], []
    for name, xs in streams.items():
        for delta, lam, mins in [(PH_DEFAULT["delta"], PH_DEFAULT["lam"], PH_DEFAULT["min_samples"]),
                                 (0.005, 50.0, 30), (0.05, 5.0, 10)]:
            ours = page_hinkley(xs, delta, lam, mins)
            theirs = river_page_hinkley(xs, delta, lam, mins)
            assert theirs == "river not installed" or theirs == ours, (name, ours, theirs)
            ph.append(dict(stream=name, delta=delta, lambda_=lam, min_samples=mins, alarm=ours,
                           river_alarm=theirs))
        cs.append(dict(stream=name, k=CUSUM_DEFAULT["k"], h=CUSUM_DEFAULT["h"], mean=0.1,
                       sd=float(np.sqrt(0.09)), burn_in=None,
                       alarm=cusum(xs, CUSUM_DEFAULT["k"], CUSUM_DEFAULT["h"], 0.1, np.sqrt(0.09))))
        cs.append(dict(stream=name, k=0.5, h=8.0, mean=None, sd=None, burn_in=500,
                       alarm=cusum(xs, 0.5, 8.0, burn_in=500)))
    return {k: v.tolist() for k, v in streams.items()}, ph, cs


def simulate(p0=0.1, p1=0.2, reps=400, cap=400_000, change_at=1000, seed=7):
    """ARL0 and detection delay of the defaults on Bernoulli error streams, vectorised over reps.

    Run lengths are censored at `cap`; the reported ARL0 is the mean of censored run lengths,
    hence a lower bound when anything was censored.
    """
    r = np.random.default_rng(seed)

    def run(p_before, p_after, change):
        ph_alarm = np.full(reps, -1)
        cs_alarm = np.full(reps, -1)
        mean = np.zeros(reps)
        m = np.zeros(reps)
        m_min = np.full(reps, np.inf)
        s = np.zeros(reps)
        sd = np.sqrt(p0 * (1 - p0))
        for t in range(cap):
            p = p_before if t < change else p_after
            x = (r.random(reps) < p).astype(float)
            n = t + 1
            mean += (x - mean) / n
            m += x - mean - PH_DEFAULT["delta"]
            m_min = np.minimum(m_min, m)
            hit = (n >= PH_DEFAULT["min_samples"]) & (m - m_min > PH_DEFAULT["lam"]) & (ph_alarm < 0)
            ph_alarm[hit] = t
            s = np.maximum(0.0, s + (x - p0) / sd - CUSUM_DEFAULT["k"])
            hit = (s > CUSUM_DEFAULT["h"]) & (cs_alarm < 0)
            cs_alarm[hit] = t
            if (ph_alarm >= 0).all() and (cs_alarm >= 0).all():
                break
        return ph_alarm, cs_alarm

    def summary(alarms, change):
        censored = int((alarms < 0).sum())
        rl = np.where(alarms < 0, cap, alarms + 1)
        return dict(mean=float(rl.mean()), median=float(np.median(rl)), censored=censored,
                    false_alarm_before_change=int(((alarms >= 0) & (alarms < change)).sum()),
                    delay_median=float(np.median(rl - change)),
                    delay_p90=float(np.percentile(rl - change, 90)))

    def textbook_cusum_arl0(k=0.5, h=5.0, max_steps=20_000):
        """ARL0 of the normal-theory k = 0.5, h = 5 CUSUM on the same skewed 0/1 stream."""
        alarm, s, sd = np.full(reps, -1), np.zeros(reps), np.sqrt(p0 * (1 - p0))
        for t in range(max_steps):
            s = np.maximum(0.0, s + ((r.random(reps) < p0) - p0) / sd - k)
            alarm[(s > h) & (alarm < 0)] = t
            if (alarm >= 0).all():
                break
        return float(np.where(alarm < 0, max_steps, alarm + 1).mean())

    ph0, cs0 = run(p0, p0, cap)
    ph1, cs1 = run(p0, p1, change_at)
    return dict(
        stream=f"Bernoulli({p0}) errors; shift to Bernoulli({p1}) at case {change_at}",
        reps=reps, cap=cap, seed=seed, textbook_cusum_k05_h5_arl0=textbook_cusum_arl0(),
        page_hinkley=dict(params=PH_DEFAULT, arl0=summary(ph0, cap)["mean"],
                          arl0_median=summary(ph0, cap)["median"],
                          arl0_censored=summary(ph0, cap)["censored"], shift=summary(ph1, change_at)),
        cusum=dict(params=dict(CUSUM_DEFAULT, mean=p0, sd=float(np.sqrt(p0 * (1 - p0)))),
                   arl0=summary(cs0, cap)["mean"], arl0_median=summary(cs0, cap)["median"],
                   arl0_censored=summary(cs0, cap)["censored"], shift=summary(cs1, change_at)),
    )


def main():
    roc = roc_cases()
    streams, ph, cs = changepoint_cases()
    doc = dict(
        generator="scripts/fixtures_performance.py",
        roc=roc, wilson=wilson_cases(), newcombe=newcombe_cases(), mcnemar=mcnemar_cases(),
        paired_wald=paired_wald_cases(), binom_test=binom_cases(),
        calibration=calibration_cases(roc),
        streams=streams, page_hinkley=ph, cusum=cs, simulation=simulate(),
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # Compact separators keep the file small; repr-exact floats (json default) keep precision.
    OUT.write_text(json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")
    print(json.dumps(doc["simulation"], indent=1))


if __name__ == "__main__":
    main()
