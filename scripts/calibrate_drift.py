#!/usr/bin/env python3
"""Calibration of the drift decision rule (docs/statistics.md, "The drift decision rule").

A benchmark, not a test: it runs the real `postmarket` binary on many synthetic draws and
counts how often the decision rule alerts when nothing changed, stays quiet on trivial
shifts at a million cases, and finds and names real drift at a thousand cases.

    cargo build --release
    pip install -r scripts/requirements.txt        # numpy, pyarrow
    python3 scripts/calibrate_drift.py [--seeds 100] [--seeds-100k 100] [--jobs 2]

Three parts (all with `synth --tables --scenario none --slices 1`, model output included):

  (a) null: a 10k-case baseline (seed 1) against independent serving draws (other seeds)
      of 1k, 10k and 100k cases. Share of runs with any alert / any warn.
  (b) trivial shifts at 1M serving cases against a 100k baseline: age +0.3 years, sex
      50/50 -> 51/49, the 2.5 mm slice-thickness share +1 point (and no shift, as control).
  (c) real drift at 1k serving cases against the 10k baseline: protocol change (40% of CT
      cases to 5 mm), a new scanner model at 3% of cases, age +5 years, sex 50/50 -> 60/40.
      Share of seeds where the injected change is a finding on the right check.

Shifts are injected into the serving headers.parquet with pyarrow, per case and at random
(each case moves with the stated probability, as a real population change would), keeping
the schema unchanged. Every draw and injection is seeded: a rerun gives the same table.
Generated data goes to bench-data/calibration/ (gitignored) and is deleted per run.
POSTMARKET_BIN or --bin picks the binary (default target/release/postmarket). The drift
runs use the working directory bench-data/calibration/, so no postmarket.yaml applies.
"""

import argparse
import collections
import concurrent.futures as cf
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RANK = {"pass": 0, "insufficient": 1, "info": 2, "warn": 3, "alert": 4}


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

    def synth(self, out, cases, seed):
        self.run("synth", "--tables", "--scenario", "none", "-o", out, "--cases", str(cases),
                 "--slices", "1", "--seed", str(seed), "-q")

    def baseline(self, synth_dir, snap):
        self.run("baseline", "--headers", f"{synth_dir}/baseline/headers.parquet",
                 "--inferences", f"{synth_dir}/baseline/inferences.parquet", "-o", snap, "-q")

    def drift(self, snap, headers, inferences, out):
        self.run("drift", "--baseline", snap, "--headers", headers, "--inferences", inferences,
                 "-o", out, "-q", "--fail-on", "never")
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        shutil.rmtree(out, ignore_errors=True)
        return report


def findings(report):
    """(kind, subject, subgroup, severity, effect) of every warn/alert finding."""
    return [(c["kind"], c["subject"], c["subgroup"], c["severity"], c["effect"])
            for c in report["findings"]]


def overall(report, kind, subject):
    """(severity, effect, q) of one overall check, or None."""
    for c in report["checks"]:
        if c["kind"] == kind and c["subject"] == subject and c["subgroup"] is None:
            return c["severity"], c["effect"], c["q_value"]
    return None


# --------------------------------------------------------------------------- shifts


def load(path):
    return pq.read_table(path)


def replace(table, name, values):
    """Replaces a column, keeping its Arrow type (Float64 stays Float64, Utf8 stays Utf8)."""
    i = table.schema.get_field_index(name)
    field = table.schema.field(i)
    return table.set_column(i, field, pa.array(values, type=field.type))


def shift_age(table, rng, years):
    age = table.column("patient_age_years").to_numpy(zero_copy_only=False)
    return replace(table, "patient_age_years", age + years)


def flip_sex(table, rng, female_share):
    """Moves M to F at random so that the expected female share is `female_share`."""
    sex = np.array(table.column("patient_sex").to_pylist(), dtype=object)
    f = np.mean(sex == "F")
    p = (female_share - f) / (1.0 - f)
    flip = (sex == "M") & (rng.random(len(sex)) < p)
    sex[flip] = "F"
    return replace(table, "patient_sex", sex.tolist())


def set_thickness(table, mask, value):
    t = table.column("slice_thickness").to_numpy(zero_copy_only=False).copy()
    t[mask] = value
    table = replace(table, "slice_thickness", t)
    s = table.column("spacing_between_slices").to_numpy(zero_copy_only=False).copy()
    s[mask] = value
    return replace(table, "spacing_between_slices", s)


def protocol_change(table, rng, share=0.40):
    """Each CT case goes to 5 mm slices (thickness and spacing) with probability `share`."""
    ct = np.array(table.column("modality").to_pylist(), dtype=object) == "CT"
    return set_thickness(table, ct & (rng.random(table.num_rows) < share), 5.0)


def thickness_share_plus(table, rng, value=2.5, points=1.0):
    """Moves CT cases of other thicknesses to `value` so its share rises by `points` pp."""
    ct = np.array(table.column("modality").to_pylist(), dtype=object) == "CT"
    t = table.column("slice_thickness").to_numpy(zero_copy_only=False)
    donors = ct & (t != value)
    p = points / 100.0 * table.num_rows / donors.sum()
    return set_thickness(table, donors & (rng.random(table.num_rows) < p), value)


def new_scanner(table, rng, share=0.03, model="Revolution Apex"):
    names = np.array(table.column("manufacturer_model_name").to_pylist(), dtype=object)
    names[rng.random(len(names)) < share] = model
    return replace(table, "manufacturer_model_name", names.tolist())


TRIVIAL = {
    "none (control)": lambda t, rng: t,
    "age +0.3 years": lambda t, rng: shift_age(t, rng, 0.3),
    "sex 50/50 → 51/49": lambda t, rng: flip_sex(t, rng, 0.51),
    "slice thickness 2.5 mm share +1 pp": lambda t, rng: thickness_share_plus(t, rng),
}
# The overall check each trivial shift moves (kind, subject).
TRIVIAL_CHECK = {
    "age +0.3 years": ("feature-drift", "patient_age_years"),
    "sex 50/50 → 51/49": ("feature-drift", "patient_sex"),
    "slice thickness 2.5 mm share +1 pp": ("feature-drift", "slice_thickness"),
}

# name -> (inject, expected kind, expected subject)
REAL = {
    "protocol change (40% of CT → 5 mm)": (protocol_change, "feature-drift", "slice_thickness"),
    "new scanner model at 3%": (new_scanner, "new-category", "manufacturer_model_name"),
    "age +5 years": (lambda t, rng: shift_age(t, rng, 5.0), "feature-drift", "patient_age_years"),
    "sex 50/50 → 60/40": (lambda t, rng: flip_sex(t, rng, 0.60), "feature-drift", "patient_sex"),
}


# --------------------------------------------------------------------------- parts


def null_run(runner, snap, n, seed):
    d = os.path.join(runner.work, f"null-{n}-{seed}")
    runner.synth(d, n, seed)
    rep = runner.drift(snap, f"{d}/serving/headers.parquet", f"{d}/serving/inferences.parquet",
                       d + "-out")
    shutil.rmtree(d, ignore_errors=True)
    return findings(rep), rep["counts"]["checks"]


def part_a(runner, snap, sizes, seeds_for, jobs):
    rows = []
    for n in sizes:
        seeds = seeds_for(n)
        t0 = time.time()
        with cf.ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(lambda s: null_run(runner, snap, n, s), seeds))
        elapsed = time.time() - t0
        offenders = collections.Counter()
        alert = warn = anything = on_overall = 0
        for found, _ in results:
            sev = {f[3] for f in found}
            alert += "alert" in sev
            warn += "warn" in sev
            anything += bool(found)
            on_overall += any(f[2] is None for f in found)
            for kind, subject, subgroup, severity, _ in found:
                offenders[(kind, subject, subgroup, severity)] += 1
        rows.append({"n": n, "runs": len(seeds), "any_alert": alert, "any_warn": warn,
                     "any_finding": anything, "overall_finding": on_overall,
                     "checks": results[0][1] if results else 0, "seconds": elapsed,
                     "offenders": offenders.most_common(12)})
        print(f"  (a) n={n}: {len(seeds)} runs, any alert {alert}, any warn {warn} "
              f"({elapsed:.0f} s)", flush=True)
    return rows


def shifted_runs(runner, snap, synth_dir, shifts, seed, tag):
    """Runs drift once per shift on the serving draw in synth_dir; returns name -> report."""
    headers = load(f"{synth_dir}/serving/headers.parquet")
    out = {}
    for k, (name, inject) in enumerate(shifts.items()):
        rng = np.random.default_rng([seed, k])
        path = f"{synth_dir}/serving/shifted-{k}.parquet"
        pq.write_table(inject(headers, rng), path)
        rep = runner.drift(snap, path, f"{synth_dir}/serving/inferences.parquet",
                           f"{synth_dir}-{tag}-{k}-out")
        out[name] = rep
        os.remove(path)
    return out


def part_b(runner, snap, n, seeds):
    summary = {name: {"runs": 0, "alert": 0, "warn": 0, "offenders": collections.Counter(),
                      "target": []}
               for name in TRIVIAL}
    for seed in seeds:
        d = os.path.join(runner.work, f"trivial-{seed}")
        runner.synth(d, n, seed)
        for name, rep in shifted_runs(runner, snap, d, TRIVIAL, seed, "b").items():
            found = findings(rep)
            s = summary[name]
            if name in TRIVIAL_CHECK:
                s["target"].append(overall(rep, *TRIVIAL_CHECK[name]))
            sev = {f[3] for f in found}
            s["runs"] += 1
            s["alert"] += "alert" in sev
            s["warn"] += "warn" in sev
            for kind, subject, subgroup, severity, effect in found:
                s["offenders"][(kind, subject, subgroup, severity)] += 1
        shutil.rmtree(d, ignore_errors=True)
        print(f"  (b) seed {seed} done", flush=True)
    return summary


def real_seed(runner, snap, n, seed):
    d = os.path.join(runner.work, f"real-{seed}")
    runner.synth(d, n, seed)
    shifts = {name: spec[0] for name, spec in REAL.items()}
    reports = shifted_runs(runner, snap, d, shifts, seed, "c")
    shutil.rmtree(d, ignore_errors=True)
    return {name: findings(rep) for name, rep in reports.items()}


def part_c(runner, snap, n, seeds, jobs):
    with cf.ThreadPoolExecutor(jobs) as pool:
        per_seed = list(pool.map(lambda s: real_seed(runner, snap, n, s), seeds))
    summary = {}
    for name, (_, kind, subject) in REAL.items():
        best = collections.Counter()
        others = collections.Counter()
        for found in per_seed:
            hits = [f[3] for f in found[name] if f[0] == kind and f[1] == subject and f[2] is None]
            best[max(hits, key=RANK.get) if hits else "missed"] += 1
            # Findings on other checks: the same change seen elsewhere (a subgroup, a
            # correlated feature, the mix of a split) or a false alarm.
            for k, sub, g, sev, _ in found[name]:
                if (k, sub, g) != (kind, subject, None):
                    others[(k, sub, g, sev)] += 1
        summary[name] = {"runs": len(per_seed), "check": f"{kind} / {subject} / overall",
                         "alert": best["alert"], "warn": best["warn"], "missed": best["missed"],
                         "others": others}
    return summary


# --------------------------------------------------------------------------- output


def pct(k, n):
    return f"{100.0 * k / n:.1f}% ({k}/{n})" if n else "—"


def markdown(a, b, c, args, bin_sha, started):
    lines = []
    add = lines.append
    add(f"Measured {started:%Y-%m-%d} with `python3 scripts/calibrate_drift.py "
        f"--seeds {args.seeds} --seeds-100k {args.seeds_100k} --trivial-seeds "
        f"{args.trivial_seeds} --sizes {args.sizes} --parts {args.parts} --jobs {args.jobs}` "
        f"(binary sha256 {bin_sha}).")
    add("")
    if a:
        add("**(a) No drift** — 10k-case baseline (seed 1) against independent serving draws; "
            "target: any alert ≤ 1% at every n.")
        add("")
        add("| serving n | runs | checks per run | any alert | any warn | any finding | a finding on an overall check | wall time |")
        add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in a:
            add(f"| {r['n']:,} | {r['runs']} | {r['checks']} | {pct(r['any_alert'], r['runs'])} "
                f"| {pct(r['any_warn'], r['runs'])} | {pct(r['any_finding'], r['runs'])} "
                f"| {pct(r['overall_finding'], r['runs'])} | {r['seconds']:.0f} s |")
        add("")
        offenders = [(r["n"], o) for r in a for o in r["offenders"]]
        if offenders:
            add("Null-run findings (n, kind, subject, subgroup, severity: runs):")
            add("")
            for n, ((kind, subject, subgroup, sev), k) in offenders:
                add(f"- n={n:,}: {kind} / {subject} / {subgroup or 'overall'} / {sev}: {k}")
            add("")
    if b:
        add(f"**(b) Trivial shifts** at {args.trivial_n:,} serving cases against a "
            f"{args.trivial_baseline:,}-case baseline; target: no alert.")
        add("")
        add("| shift | runs | any alert | any warn | the shifted feature's overall check: severity, effect (max), q (max) | findings (kind / subject / subgroup / severity: runs) |")
        add("| --- | ---: | ---: | ---: | --- | --- |")
        for name, s in b.items():
            found = "; ".join(f"{k} / {sub} / {g or 'overall'} / {sev}: {m}"
                              for (k, sub, g, sev), m in s["offenders"].most_common(6)) or "none"
            target = [t for t in s["target"] if t]
            if target:
                sevs = collections.Counter(t[0] for t in target)
                target = (", ".join(f"{v}× {k}" for k, v in sevs.most_common())
                          + f"; effect ≤ {max(t[1] or 0 for t in target):.3g}"
                          + f"; q ≤ {max(t[2] if t[2] is not None else 1 for t in target):.2g}")
            else:
                target = "—"
            add(f"| {name} | {s['runs']} | {pct(s['alert'], s['runs'])} "
                f"| {pct(s['warn'], s['runs'])} | {target} | {found} |")
        add("")
    if c:
        add(f"**(c) Real drift** at {args.real_n:,} serving cases against the 10k baseline; "
            "target: the change is a finding (warn or alert) on the right check in ≥ 95% of seeds.")
        add("")
        add("| shift | expected check | runs | found (warn or alert) | as alert | as warn | missed |")
        add("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for name, s in c.items():
            add(f"| {name} | {s['check']} | {s['runs']} "
                f"| {pct(s['alert'] + s['warn'], s['runs'])} | {pct(s['alert'], s['runs'])} "
                f"| {pct(s['warn'], s['runs'])} | {pct(s['missed'], s['runs'])} |")
        add("")
        add("Other findings in the same runs (kind / subject / subgroup / severity: runs):")
        add("")
        for name, s in c.items():
            found = "; ".join(f"{k} / {sub} / {g or 'overall'} / {sev}: {m}"
                              for (k, sub, g, sev), m in s["others"].most_common(6)) or "none"
            add(f"- {name}: {found}")
        add("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=100, help="null runs per n, and real-drift seeds")
    p.add_argument("--seeds-100k", type=int, default=None,
                   help="null runs at 100k serving cases (default: --seeds)")
    p.add_argument("--trivial-seeds", type=int, default=5)
    p.add_argument("--trivial-n", type=int, default=1_000_000)
    p.add_argument("--trivial-baseline", type=int, default=100_000)
    p.add_argument("--real-n", type=int, default=1_000)
    p.add_argument("--sizes", default="1000,10000,100000", help="serving sizes of part (a)")
    p.add_argument("--parts", default="abc", help="which parts to run, e.g. 'a' or 'bc'")
    p.add_argument("--jobs", type=int, default=2, help="drift runs in parallel")
    p.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                   os.path.join(ROOT, "target/release/postmarket")))
    p.add_argument("--work", default=os.path.join(ROOT, "bench-data", "calibration"))
    p.add_argument("--json", help="also write the raw results here")
    args = p.parse_args()
    args.seeds_100k = args.seeds if args.seeds_100k is None else args.seeds_100k
    if not os.path.exists(args.bin):
        sys.exit(f"no binary at {args.bin}: run `cargo build --release` or pass --bin")
    started = datetime.datetime.now(datetime.timezone.utc)
    bin_sha = subprocess.run(["sha256sum", args.bin], capture_output=True,
                             text=True).stdout[:16]
    runner = Runner(os.path.abspath(args.bin), os.path.abspath(args.work))

    # Seed ranges are disjoint per part and size, so every serving draw is independent.
    a = b = c = None
    if "a" in args.parts or "c" in args.parts:
        runner.synth(os.path.join(runner.work, "base10k"), 10_000, 1)
        runner.baseline(os.path.join(runner.work, "base10k"), os.path.join(runner.work, "snap10k"))
    snap10k = os.path.join(runner.work, "snap10k")
    if "a" in args.parts:
        seeds_for = lambda n: range(n // 1000 * 100_000 + 1,
                                    n // 1000 * 100_000 + 1 +
                                    (args.seeds_100k if n >= 100_000 else args.seeds))
        sizes = [int(n) for n in args.sizes.split(",")]
        a = part_a(runner, snap10k, sizes, seeds_for, args.jobs)
    if "b" in args.parts:
        base = os.path.join(runner.work, "base-trivial")
        runner.synth(base, args.trivial_baseline, 2)
        runner.baseline(base, base + "-snap")
        shutil.rmtree(base, ignore_errors=True)
        b = part_b(runner, base + "-snap", args.trivial_n,
                   range(900_001, 900_001 + args.trivial_seeds))
    if "c" in args.parts:
        c = part_c(runner, snap10k, args.real_n, range(800_001, 800_001 + args.seeds), args.jobs)
        print("  (c) done", flush=True)

    md = markdown(a, b, c, args, bin_sha, started)
    print()
    print(md)
    if args.json:
        def plain(x):
            if isinstance(x, collections.Counter):
                return [[list(k), v] for k, v in x.most_common()]
            if isinstance(x, dict):
                return {str(k): plain(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [plain(v) for v in x]
            return x
        with open(args.json, "w") as f:
            json.dump(plain({"a": a, "b": b, "c": c}), f, indent=1)


if __name__ == "__main__":
    main()
