#!/usr/bin/env python3
"""Calibration study of estimated performance (docs/statistics.md, "Estimated performance
before labels").

A benchmark, not a test: it runs the real `postmarket` binary on many synthetic windows and
measures how close the estimate from calibrated scores (kind `estimated-performance`) comes
to the realized value, how often it warns when nothing changed, and how often the check of
its assumption (kind `calibration-drift`) sees a label-definition change.

    cargo build --release
    pip install -r scripts/requirements.txt        # numpy, scipy, pyarrow
    python3 scripts/calibrate_estimated.py [--seeds 200] [--jobs 2] [--quick] [--bin PATH]

Every window is scored against one baseline snapshot: `synth --tables --scenario none
--cases 10000 --seed 1 --slices 1` (10,000 labelled cases, so the calibration map is
isotonic). Serving windows come from other seeds (disjoint ranges per part), with
`--headers`, so the default subgroups (sex, age bands, manufacturer, thick slices) and the
label-version groups are in the report. Three parts:

  (1) accuracy: `protocol-change` (5 mm slices 8% -> 45% of CT; the score carries less
      signal on slices >= 2.5 mm) and `none`; windows of 1,000 *labelled* cases (synth
      1,600 cases, ~70% of them labelled, and keep 1,000 labelled ones at random, headers
      and inferences alike), so the estimate and the realized value are over the same
      cases. Per metric: estimated - realized (mean, 5th/95th percentile), share of seeds
      within +-0.03 with a 95% Wilson interval, share of seeds whose realized value lies in
      the estimate's 95% interval, and the share within +-0.03 an unbiased estimate would
      reach given the label noise alone (mean of 2*Phi(0.03/se) - 1, se from the reported
      interval): even a perfect calibration map cannot predict which cases turn out positive.
  (1b) calibration-map error: the same 100 labelled 1,000-case windows of `none` and of
      `protocol-change` scored against 8 baselines (seeds 1-8): each baseline's mean `none`
      gap is the error of its map, shared by every night scored against it and not in the
      reported interval; the protocol-change gap minus the none gap (averaged over
      baselines) is the bias the shift adds; and the share within +-0.03 pooled over
      baselines.
  (2) null windows: `none`, 200 and 1,000 cases as synthesized (about 70% labelled; the
      estimated checks do not depend on labels). Share of windows with any
      `estimated-performance` finding (warn or alert), overall or in a subgroup; also the
      share with a `calibration-drift` finding (a false "the scores changed meaning").
  (3) label redefinition: `label-redefinition` at 1,000 cases (from 40% of the window labels
      follow edema-v2, which calls borderline cases positive), labels kept on 500 labelled
      rows chosen at random (label and label_version set null on all others: half the window
      labelled). Share of seeds with a `calibration-drift` finding overall, in any subgroup
      (including the label-version groups), in the `label_version = edema-v2` group.

Parquet post-processing uses pyarrow and keeps the schema. Every draw and selection is
seeded: a rerun gives the same table. Windows are written under bench-data/estimated/work/
(gitignored) and deleted after use; results go to bench-data/estimated/results.json.
The binary runs in that working directory, so no postmarket.yaml applies.
--seeds N: windows per scenario in parts 1 and 3 (default 200); --seeds-null N: windows per
size in part 2 (default 500); --quick: 20 of each (a smoke run, under a minute);
--jobs: binary runs in parallel (default 2); --parts: e.g. 13.
"""

import argparse
import collections
import concurrent.futures as cf
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.stats import norm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
METRICS = ["auroc", "sensitivity", "specificity", "ppv", "npv"]
FINDING = {"warn", "alert"}
TOL = 0.03
BASELINE_CASES = 10_000
# Disjoint seed ranges per part (and scenario), so every serving draw is independent.
SEED_BASE = {"accuracy/protocol-change": 100_001, "accuracy/none": 200_001,
             "null/200": 300_001, "null/1000": 400_001, "relabel": 500_001}


# --------------------------------------------------------------------------- running


class Runner:
    def __init__(self, binary, work):
        self.bin = binary
        self.work = work
        os.makedirs(work, exist_ok=True)

    def run(self, *args):
        r = subprocess.run([self.bin, *args], cwd=self.work, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"postmarket {' '.join(args)} failed ({r.returncode}): {r.stderr}")

    def synth(self, out, scenario, cases, seed):
        self.run("synth", "--tables", "--scenario", scenario, "-o", out, "--cases", str(cases),
                 "--slices", "1", "--seed", str(seed), "-q")

    def baseline(self, synth_dir, snap):
        self.run("baseline", "--headers", f"{synth_dir}/baseline/headers.parquet",
                 "--inferences", f"{synth_dir}/baseline/inferences.parquet", "-o", snap, "-q")

    def performance(self, snap, headers, inferences, out):
        self.run("performance", "--baseline", snap, "--inferences", inferences,
                 "--headers", headers, "-o", out, "-q", "--fail-on", "never")
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        shutil.rmtree(out, ignore_errors=True)
        return report


def relevant(report):
    """The estimated-performance and calibration-drift checks, reduced to plain dicts."""
    out = []
    for c in report["checks"]:
        if c["kind"] in ("estimated-performance", "calibration-drift"):
            out.append({"kind": c["kind"], "subject": c["subject"], "subgroup": c["subgroup"],
                        "severity": c["severity"], "effect": c.get("effect"),
                        "effect_ci_low": c.get("effect_ci_low"),
                        "effect_ci_high": c.get("effect_ci_high"),
                        "n_serving": c.get("n_serving"),
                        "extra": c.get("extra") or {}})
    return out


# --------------------------------------------------------------------------- windows


def replace(table, name, values):
    """Replaces a column, keeping its Arrow type."""
    i = table.schema.get_field_index(name)
    field = table.schema.field(i)
    return table.set_column(i, field, pa.array(values, type=field.type))


def keep_labelled(d, n, rng):
    """Keeps n labelled serving cases at random (headers and inferences alike)."""
    inf = pq.read_table(f"{d}/serving/inferences.parquet")
    hdr = pq.read_table(f"{d}/serving/headers.parquet")
    labelled = np.flatnonzero(inf.column("label").is_valid().to_numpy(zero_copy_only=False))
    if len(labelled) < n:
        raise RuntimeError(f"{d}: only {len(labelled)} labelled cases, {n} wanted")
    rows = np.sort(rng.choice(labelled, n, replace=False))
    inf = inf.take(pa.array(rows))
    keys = inf.column("key")
    hdr = hdr.filter(pc.is_in(hdr.column("series_instance_uid"), value_set=keys))
    pq.write_table(inf, f"{d}/serving/inferences.parquet")
    pq.write_table(hdr, f"{d}/serving/headers.parquet")


def keep_labels_on(d, n, rng):
    """Keeps labels (and label_version) on n labelled rows at random, nulls them elsewhere."""
    path = f"{d}/serving/inferences.parquet"
    inf = pq.read_table(path)
    labelled = np.flatnonzero(inf.column("label").is_valid().to_numpy(zero_copy_only=False))
    keep = np.zeros(inf.num_rows, bool)
    keep[rng.choice(labelled, min(n, len(labelled)), replace=False)] = True
    label = inf.column("label").to_pylist()
    version = inf.column("label_version").to_pylist()
    inf = replace(inf, "label", [v if k else None for v, k in zip(label, keep)])
    inf = replace(inf, "label_version", [v if k else None for v, k in zip(version, keep)])
    pq.write_table(inf, path)
    return int(keep.sum())


def window(runner, snap, tag, scenario, cases, seed, prepare=None):
    d = os.path.join(runner.work, f"{tag}-{seed}")
    runner.synth(d, scenario, cases, seed)
    info = prepare(d, np.random.default_rng(seed)) if prepare else None
    rep = runner.performance(snap, f"{d}/serving/headers.parquet",
                             f"{d}/serving/inferences.parquet", d + "-out")
    shutil.rmtree(d, ignore_errors=True)
    return {"seed": seed, "checks": relevant(rep), "info": info}


def run_many(runner, snap, tag, scenario, cases, seeds, jobs, prepare=None):
    t0 = time.time()
    with cf.ThreadPoolExecutor(jobs) as pool:
        out = list(pool.map(
            lambda s: window(runner, snap, tag, scenario, cases, s, prepare), seeds))
    print(f"  {tag}: {len(out)} windows of {scenario} ({time.time() - t0:.0f} s)", flush=True)
    return out, time.time() - t0


def map_noise(runner, snaps, windows_n, seeds, jobs):
    """The same labelled windows (`none` and `protocol-change`, `seeds` each) scored against
    every baseline snapshot in `snaps`. Per baseline, the mean `none` gap over the windows
    is that baseline's calibration-map error (common to every night scored against it, and
    not in the reported interval); the `protocol-change` gap minus the `none` gap, both
    averaged over baselines, is the bias the shift itself adds. Also the share within
    +-0.03 pooled over baselines (a random deployment's baseline, not one fixed draw)."""
    def one(job):
        scen, seed = job
        d = os.path.join(runner.work, f"mapnoise-{scen}-{seed}")
        runner.synth(d, scen, 1600, seed)
        keep_labelled(d, windows_n, np.random.default_rng(seed))
        out = {}
        for b, snap in snaps.items():
            rep = runner.performance(snap, f"{d}/serving/headers.parquet",
                                     f"{d}/serving/inferences.parquet", f"{d}-out-{b}")
            out[b] = {c["subject"]: c["extra"] for c in relevant(rep)
                      if c["kind"] == "estimated-performance" and c["subgroup"] is None}
        shutil.rmtree(d, ignore_errors=True)
        return out
    t0 = time.time()
    scenarios = {"none": 600_001, "protocol-change": 700_001}
    jobs_list = [(scen, base + k) for scen, base in scenarios.items() for k in range(seeds)]
    with cf.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(one, jobs_list))
    per = {scen: [r for (sc, _), r in zip(jobs_list, results) if sc == scen]
           for scen in scenarios}
    print(f"  map noise: {seeds} windows x 2 scenarios x {len(snaps)} baselines "
          f"({time.time() - t0:.0f} s)", flush=True)
    z = norm.ppf(0.975)
    out = {}
    for scen, windows in per.items():
        rows = {}
        for m in METRICS:
            by_base, pooled = {}, []
            for b in snaps:
                g = [w[b][m]["estimate"] - w[b][m]["realized"] for w in windows
                     if m in w[b] and "realized" in w[b][m]]
                by_base[b] = float(np.mean(g))
                pooled.extend(g)
            ses = [(w[b][m]["ci_high"] - w[b][m]["ci_low"]) / (2 * z) for w in windows
                   for b in snaps if m in w[b]]
            means = np.array(list(by_base.values()))
            pooled = np.array(pooled)
            rows[m] = {"baselines": len(means), "windows": len(windows),
                       "mean_gap_per_baseline": by_base, "mean_of_means": float(means.mean()),
                       "sd_between_baselines": float(means.std(ddof=1)),
                       "min": float(means.min()), "max": float(means.max()),
                       "mean_se": float(np.mean(ses)),
                       "pooled_within": share(int(np.sum(np.abs(pooled) <= TOL)), len(pooled)),
                       "pooled_p5": float(np.percentile(pooled, 5)),
                       "pooled_p95": float(np.percentile(pooled, 95))}
        out[scen] = rows
    # The shift's bias: per window, the gap averaged over baselines; protocol-change minus
    # none over independent windows, so its se is that of a difference of two means.
    for m in METRICS:
        avg = {scen: np.array([np.mean([w[b][m]["estimate"] - w[b][m]["realized"]
                                        for b in snaps]) for w in per[scen]])
               for scen in per}
        out["protocol-change"][m]["shift_bias"] = float(avg["protocol-change"].mean()
                                                        - avg["none"].mean())
        out["protocol-change"][m]["shift_bias_se"] = float(math.sqrt(
            sum(a.var(ddof=1) / len(a) for a in avg.values())))
    return out, time.time() - t0


# --------------------------------------------------------------------------- statistics


def wilson(k, n, z=1.959964):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def share(k, n):
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "share": k / n if n else float("nan"), "wilson_low": lo,
            "wilson_high": hi}


def find(checks, kind, subject, subgroup):
    for c in checks:
        if c["kind"] == kind and c["subject"] == subject and c["subgroup"] == subgroup:
            return c
    return None


def accuracy_summary(windows, subgroup):
    rows = {}
    z = norm.ppf(0.975)
    for m in METRICS:
        gaps, inside, achievable, est, real, ses = [], 0, [], [], [], []
        for w in windows:
            c = find(w["checks"], "estimated-performance", m, subgroup)
            if c is None or "estimate" not in c["extra"] or "realized" not in c["extra"]:
                continue
            e = c["extra"]
            gaps.append(e["estimate"] - e["realized"])
            est.append(e["estimate"])
            real.append(e["realized"])
            inside += e["ci_low"] <= e["realized"] <= e["ci_high"]
            se = (e["ci_high"] - e["ci_low"]) / (2 * z)
            ses.append(se)
            achievable.append(2 * norm.cdf(TOL / se) - 1 if se > 0 else 1.0)
        g = np.array(gaps)
        n = len(g)
        if n == 0:
            continue
        rows[m] = {
            "windows": n,
            "mean_estimate": float(np.mean(est)), "mean_realized": float(np.mean(real)),
            "mean_gap": float(g.mean()), "sd_gap": float(g.std(ddof=1)) if n > 1 else 0.0,
            "p5_gap": float(np.percentile(g, 5)), "p95_gap": float(np.percentile(g, 95)),
            "within": share(int(np.sum(np.abs(g) <= TOL)), n),
            "realized_in_ci": share(int(inside), n),
            "achievable_within": float(np.mean(achievable)),
            "mean_se": float(np.mean(ses)),
            "gaps": [round(x, 5) for x in g.tolist()],
        }
    return rows


def calibration_findings(windows):
    """Per window: calibration-drift findings (subgroup -> severity, effect in pp)."""
    out = []
    for w in windows:
        out.append({c["subgroup"]: (c["severity"], c["effect"]) for c in w["checks"]
                    if c["kind"] == "calibration-drift" and c["severity"] in FINDING})
    return out


def null_summary(windows):
    n = len(windows)
    any_est = overall_est = any_cal = 0
    offenders = collections.Counter()
    cal_offenders = collections.Counter()
    details = []
    for w in windows:
        est = [c for c in w["checks"]
               if c["kind"] == "estimated-performance" and c["severity"] in FINDING]
        cal = [c for c in w["checks"]
               if c["kind"] == "calibration-drift" and c["severity"] in FINDING]
        any_est += bool(est)
        overall_est += any(c["subgroup"] is None for c in est)
        any_cal += bool(cal)
        for c in est:
            offenders[(c["subject"], c["subgroup"] or "overall", c["severity"])] += 1
            e = c["extra"]
            details.append({"seed": w["seed"], "metric": c["subject"],
                            "group": c["subgroup"] or "overall", "cases": c["n_serving"],
                            "estimate": e.get("estimate"), "ci_low": e.get("ci_low"),
                            "ci_high": e.get("ci_high"), "baseline": e.get("baseline"),
                            "realized": e.get("realized")})
        for c in cal:
            cal_offenders[(c["subgroup"] or "overall", c["severity"])] += 1
    checks = sum(c["kind"] == "estimated-performance" for c in windows[0]["checks"]) if n else 0
    # Under the null the estimate moves from window to window by case sampling; the test
    # assumes it moves by its reported se. sd(estimate) / mean(se) > 1: anti-conservative.
    spread = collections.defaultdict(lambda: ([], []))
    z = norm.ppf(0.975)
    for w in windows:
        for c in w["checks"]:
            e = c["extra"]
            if c["kind"] == "estimated-performance" and "estimate" in e:
                est, ses = spread[(c["subject"], c["subgroup"] or "overall")]
                est.append(e["estimate"])
                ses.append((e["ci_high"] - e["ci_low"]) / (2 * z))
    variability = [{"metric": m, "group": g, "windows": len(e), "mean_estimate": float(np.mean(e)),
                    "sd_estimate": float(np.std(e, ddof=1)), "mean_se": float(np.mean(se)),
                    "ratio": float(np.std(e, ddof=1) / np.mean(se))}
                   for (m, g), (e, se) in spread.items() if len(e) > 2 and np.mean(se) > 0]
    return {"windows": n, "estimated_checks_per_window": checks, "variability": variability,
            "any_estimated_finding": share(any_est, n),
            "overall_estimated_finding": share(overall_est, n),
            "any_calibration_drift_finding": share(any_cal, n),
            "estimated_offenders": [[list(k), v] for k, v in offenders.most_common(10)],
            "calibration_offenders": [[list(k), v] for k, v in cal_offenders.most_common(10)],
            "estimated_findings": details}


V2 = "label_version = edema-v2"


def relabel_summary(windows):
    n = len(windows)
    per = calibration_findings(windows)
    overall = sum(None in f for f in per)
    sub = sum(any(g is not None for g in f) for f in per)
    v2 = sum(V2 in f for f in per)
    anywhere = sum(bool(f) for f in per)
    non_version = sum(any(g is not None and not g.startswith("label_version") for g in f)
                      for f in per)
    sev = collections.Counter(f[None][0] for f in per if None in f)
    sev_v2 = collections.Counter(f[V2][0] for f in per if V2 in f)
    # Effects and how far the (unchanged) estimate is from the realized value.
    eff = collections.defaultdict(list)
    gaps = collections.defaultdict(list)
    labelled = [w["info"] for w in windows if w["info"] is not None]
    for w in windows:
        for c in w["checks"]:
            if c["kind"] == "calibration-drift" and c["subgroup"] in (None, V2) \
                    and c["effect"] is not None:
                eff[c["subgroup"] or "overall"].append(c["effect"])
                eff[(c["subgroup"] or "overall") + " ci_low"].append(c["effect_ci_low"] or 0.0)
            if c["kind"] == "estimated-performance" and c["subject"] == "sensitivity" \
                    and c["subgroup"] in (None, V2) and "realized" in c["extra"]:
                gaps[c["subgroup"] or "overall"].append(c["extra"]["estimate"]
                                                        - c["extra"]["realized"])
    est_findings = sum(any(c["kind"] == "estimated-performance" and c["severity"] in FINDING
                           for c in w["checks"]) for w in windows)
    missed = [w["seed"] for w, f in zip(windows, per) if not f]
    return {"windows": n, "labelled_per_window": float(np.mean(labelled)) if labelled else None,
            "overall": share(overall, n), "any_subgroup": share(sub, n),
            "label_version_v2": share(v2, n), "non_version_subgroup": share(non_version, n),
            "overall_or_subgroup": share(anywhere, n),
            "overall_severity": dict(sev), "v2_severity": dict(sev_v2),
            "mean_effect_pp": {k: float(np.mean(v)) for k, v in eff.items()},
            "sensitivity_gap_mean": {k: float(np.mean(v)) for k, v in gaps.items()},
            "estimated_finding": share(est_findings, n),
            "missed_seeds": missed[:20]}


# --------------------------------------------------------------------------- output


def pct(s):
    return (f"{100 * s['share']:.1f}% ({s['k']}/{s['n']}; "
            f"{100 * s['wilson_low']:.1f}–{100 * s['wilson_high']:.1f})")


def markdown(res, cmd):
    lines = []
    add = lines.append
    add(f"Measured {res['started']} with `{cmd}` (binary sha256 {res['binary_sha256']}), "
        f"{res['runtime_s']:.0f} s wall, load average {res['load_start']:.1f} at start and "
        f"{res['load_end']:.1f} at the end (2 cores, shared). Baseline: one 10,000-case `none` "
        "draw (seed 1), isotonic calibration map. Shares are with 95% Wilson intervals.")
    add("")
    acc = res.get("accuracy")
    if acc:
        add("**(1) Accuracy of the estimate** — 1,000 labelled serving cases per window; "
            "gap = estimate − realized on the same cases; target: |gap| ≤ 0.03 in ≥ 90% of "
            "windows. \"Reachable\" is the share an unbiased estimate would reach given the "
            "label noise alone (2Φ(0.03/se) − 1, se from the reported interval).")
        add("")
        add("| scenario | group | metric | windows | mean estimate | mean realized | mean gap | gap 5th / 95th pct | within ±0.03 | reachable | realized in the 95% interval |")
        add("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for scen, groups in acc.items():
            for group, rows in groups.items():
                for m, r in rows.items():
                    add(f"| {scen} | {group} | {m} | {r['windows']} | {r['mean_estimate']:.3f} "
                        f"| {r['mean_realized']:.3f} | {r['mean_gap']:+.4f} "
                        f"| {r['p5_gap']:+.3f} / {r['p95_gap']:+.3f} | {pct(r['within'])} "
                        f"| {100 * r['achievable_within']:.0f}% | {pct(r['realized_in_ci'])} |")
        for scen, r in res.get("accuracy_calibration_drift", {}).items():
            add(f"- {scen}: calibration-drift finding (labelled window) in "
                f"{pct(r['any_calibration_drift_finding'])} of windows; estimated-performance "
                f"finding in {pct(r['any_estimated_finding'])}.")
        add("")
    mn = res.get("map_noise")
    if mn:
        k = mn["none"]["auroc"]
        add(f"**(1b) Calibration-map error**: the same {k['windows']} labelled 1,000-case windows "
            f"per scenario against {k['baselines']} baselines (10,000 `none` cases each, seeds "
            f"1–{k['baselines']}). Per baseline, the mean `none` gap over the windows is its "
            "map's error, shared by every night scored against it and not in the interval. "
            "Bias from the shift: the `protocol-change` gap minus the `none` gap, both averaged "
            "over the baselines. Pooled: every window against every baseline.")
        add("")
        add("| scenario | metric | mean gap over baselines | sd between baselines | range over baselines | bias from the shift (± se) | pooled within ±0.03 | pooled gap 5th / 95th pct | mean se of one night |")
        add("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for scen, rows in mn.items():
            for m, r in rows.items():
                shift = (f"{r['shift_bias']:+.4f} ± {r['shift_bias_se']:.4f}"
                         if "shift_bias" in r else "—")
                add(f"| {scen} | {m} | {r['mean_of_means']:+.4f} | {r['sd_between_baselines']:.4f} "
                    f"| {r['min']:+.3f} … {r['max']:+.3f} | {shift} | {pct(r['pooled_within'])} "
                    f"| {r['pooled_p5']:+.3f} / {r['pooled_p95']:+.3f} | {r['mean_se']:.4f} |")
        add("")
    nul = res.get("null")
    if nul:
        add("**(2) Null windows** (`none`, as synthesized, ~70% labelled); target: any "
            "estimated-performance finding ≤ 1%.")
        add("")
        add("| serving n | windows | estimated checks per window | any estimated-performance finding | … on the overall group | any calibration-drift finding |")
        add("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for n, r in nul.items():
            add(f"| {int(n):,} | {r['windows']} | {r['estimated_checks_per_window']} "
                f"| {pct(r['any_estimated_finding'])} | {pct(r['overall_estimated_finding'])} "
                f"| {pct(r['any_calibration_drift_finding'])} |")
        add("")
        add("Window-to-window spread of the estimate against its reported se (sd(estimate) / "
            "mean se; the test assumes 1 or less):")
        add("")
        add("| serving n | metric | overall | median over subgroups | largest (group) |")
        add("| ---: | --- | ---: | ---: | --- |")
        for n, r in nul.items():
            for m in METRICS:
                rows = [v for v in r["variability"] if v["metric"] == m]
                if not rows:
                    continue
                ov = [v["ratio"] for v in rows if v["group"] == "overall"]
                sub = [v for v in rows if v["group"] != "overall"]
                top = max(sub, key=lambda v: v["ratio"]) if sub else None
                add(f"| {int(n):,} | {m} | {ov[0]:.2f} | "
                    f"{np.median([v['ratio'] for v in sub]):.2f} | "
                    + (f"{top['ratio']:.2f} ({top['group']})" if top else "—") + " |")
        add("")
        for n, r in nul.items():
            off = "; ".join(f"{' / '.join(k)}: {v}" for k, v in r["estimated_offenders"]) or "none"
            cal = "; ".join(f"{' / '.join(k)}: {v}" for k, v in r["calibration_offenders"]) \
                or "none"
            add(f"- n={int(n):,}: estimated-performance findings (metric / group / severity: "
                f"windows): {off}. Calibration-drift findings: {cal}.")
        add("")
        for n, r in nul.items():
            if r["estimated_findings"]:
                add(f"The findings at n={int(n):,} (seed: metric, group, cases in the group, "
                    "estimate [95% interval], baseline, realized on the window's labelled cases):")
                add("")
                for d in r["estimated_findings"]:
                    real = f"{d['realized']:.2f}" if d["realized"] is not None else "—"
                    add(f"- {d['seed']}: {d['metric']}, {d['group']}, {d['cases']} cases, "
                        f"{d['estimate']:.2f} [{d['ci_low']:.2f}, {d['ci_high']:.2f}], "
                        f"baseline {d['baseline']:.2f}, realized {real}")
                add("")
    rel = res.get("relabel")
    if rel:
        add(f"**(3) Label redefinition**, 1,000 cases, labels kept on "
            f"{rel['labelled_per_window']:.0f} cases per window; target: a calibration-drift "
            "finding in ≥ 90% of seeds.")
        add("")
        add("| calibration-drift finding | share of seeds |")
        add("| --- | ---: |")
        add(f"| overall | {pct(rel['overall'])} |")
        add(f"| in any subgroup (incl. label-version groups) | {pct(rel['any_subgroup'])} |")
        add(f"| in `{V2}` | {pct(rel['label_version_v2'])} |")
        add(f"| in a header subgroup (sex, age, manufacturer, thick slices) "
            f"| {pct(rel['non_version_subgroup'])} |")
        add(f"| overall or in a subgroup | {pct(rel['overall_or_subgroup'])} |")
        add("")
        eff = rel["mean_effect_pp"]
        gaps = rel["sensitivity_gap_mean"]
        add(f"Mean |label − calibrated score|: overall {eff.get('overall', float('nan')):.1f} pp "
            f"(interval's near end {eff.get('overall ci_low', float('nan')):.1f}), "
            f"`{V2}` {eff.get(V2, float('nan')):.1f} pp "
            f"(near end {eff.get(V2 + ' ci_low', float('nan')):.1f}); overall severities "
            f"{rel['overall_severity']}, `{V2}` {rel['v2_severity']}. Estimated − realized "
            f"sensitivity: overall {gaps.get('overall', float('nan')):+.3f}, `{V2}` "
            f"{gaps.get(V2, float('nan')):+.3f}. Windows with an estimated-performance "
            f"finding: {pct(rel['estimated_finding'])}.")
        add("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=200,
                   help="windows per scenario in parts 1 and 3")
    p.add_argument("--seeds-null", type=int, default=500,
                   help="null windows per size in part 2 (0/500 bounds the rate below 0.8%%)")
    p.add_argument("--map-baselines", type=int, default=8,
                   help="baselines in the calibration-map error part (1b; 0 skips it)")
    p.add_argument("--map-windows", type=int, default=100,
                   help="windows per scenario scored against every one of those baselines")
    p.add_argument("--parts", default="123", help="which parts to run, e.g. '1' or '23'")
    p.add_argument("--jobs", type=int, default=2, help="binary runs in parallel")
    p.add_argument("--quick", action="store_true", help="20 windows per part (smoke run)")
    p.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                   os.path.join(ROOT, "target/release/postmarket")))
    p.add_argument("--work", default=os.path.join(ROOT, "bench-data", "estimated", "work"))
    p.add_argument("--json", default=os.path.join(ROOT, "bench-data", "estimated",
                                                  "results.json"))
    args = p.parse_args()
    if args.quick:
        args.seeds = args.seeds_null = 20
        args.map_baselines, args.map_windows = 3, 10
    if not os.path.exists(args.bin):
        sys.exit(f"no binary at {args.bin}: run `cargo build --release` or pass --bin")
    t0 = time.time()
    load_start = os.getloadavg()[0]
    started = datetime.datetime.now(datetime.timezone.utc)
    bin_sha = subprocess.run(["sha256sum", args.bin], capture_output=True, text=True).stdout[:16]
    runner = Runner(os.path.abspath(args.bin), os.path.abspath(args.work))
    base = os.path.join(runner.work, "base10k")
    snap = os.path.join(runner.work, "snap10k")
    shutil.rmtree(snap, ignore_errors=True)
    runner.synth(base, "none", BASELINE_CASES, 1)
    runner.baseline(base, snap)
    shutil.rmtree(base, ignore_errors=True)

    res = {"started": f"{started:%Y-%m-%d %H:%M} UTC", "binary_sha256": bin_sha,
           "args": vars(args), "timing_s": {}}
    seeds = lambda key, k: range(SEED_BASE[key], SEED_BASE[key] + k)
    if "1" in args.parts:
        res["accuracy"] = {}
        prepare = lambda d, rng: keep_labelled(d, 1000, rng)
        for scen in ["protocol-change", "none"]:
            key = f"accuracy/{scen}"
            w, dt = run_many(runner, snap, key.replace("/", "-"), scen, 1600,
                             seeds(key, args.seeds), args.jobs, prepare)
            res["timing_s"][key] = dt
            res["accuracy"][scen] = {"overall": accuracy_summary(w, None),
                                     "thick-slices": accuracy_summary(w, "thick-slices")}
            res.setdefault("accuracy_calibration_drift", {})[scen] = null_summary(w)
        if args.map_baselines > 1:
            snaps = {1: snap}
            for b in range(2, args.map_baselines + 1):
                d = os.path.join(runner.work, f"base10k-{b}")
                runner.synth(d, "none", BASELINE_CASES, b)
                runner.baseline(d, f"{d}-snap")
                shutil.rmtree(d, ignore_errors=True)
                snaps[b] = f"{d}-snap"
            res["map_noise"], res["timing_s"]["map_noise"] = map_noise(
                runner, snaps, 1000, args.map_windows, args.jobs)
            for b, d in snaps.items():
                if b != 1:
                    shutil.rmtree(d, ignore_errors=True)
    if "2" in args.parts:
        res["null"] = {}
        for n in (200, 1000):
            key = f"null/{n}"
            w, dt = run_many(runner, snap, key.replace("/", "-"), "none", n,
                             seeds(key, args.seeds_null), args.jobs)
            res["timing_s"][key] = dt
            res["null"][str(n)] = null_summary(w)
    if "3" in args.parts:
        w, dt = run_many(runner, snap, "relabel", "label-redefinition", 1000,
                         seeds("relabel", args.seeds), args.jobs,
                         lambda d, rng: keep_labels_on(d, 500, rng))
        res["timing_s"]["relabel"] = dt
        res["relabel"] = relabel_summary(w)
    shutil.rmtree(snap, ignore_errors=True)
    res["runtime_s"] = time.time() - t0
    res["load_start"] = load_start
    res["load_end"] = os.getloadavg()[0]

    cmd = "python3 scripts/calibrate_estimated.py" + (
        " --quick" if args.quick else f" --seeds {args.seeds} --seeds-null {args.seeds_null}") + (
        f" --parts {args.parts}" if args.parts != "123" else "") + (
        f" --map-baselines {args.map_baselines} --map-windows {args.map_windows}"
        if not args.quick and (args.map_baselines, args.map_windows) != (8, 100) else "") + (
        f" --jobs {args.jobs}")
    md = markdown(res, cmd)
    print()
    print(md)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    res["markdown"] = md
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
