#!/usr/bin/env python3
"""Calibration of the decision rules of `drift`, `performance` and `cluster` on independent data.

A benchmark, not a test: it runs the real binary on nightly windows drawn by our own numpy
generator (scripts/nightly_data.py — not `postmarket synth`, so the tool is judged on data it
did not generate) and counts, per command, how often it alerts when nothing changed, whether
it finds real changes in a 200-case night, and whether it keeps quiet on trivial shifts at a
million cases.

    pip install -r scripts/requirements.txt          # numpy, scipy, pyarrow (pinned there)
    python3 scripts/calibrate.py --bin target/release/postmarket --label after
    python3 scripts/calibrate.py --quick             # smoke run, ~30 s
    python3 scripts/calibrate.py --only null --seeds 500

Parts (default config, default subgroups, no postmarket.yaml; every window is seeded and
independent; the baselines are `postmarket baseline` on --baseline-n generated cases, one
per baseline seed, and window i uses baseline i mod --baselines):

  null     windows from the baseline's population at n = 50, 200, 1k, 10k, 100k, --seeds each
           (--seeds-large at 100k). Per command: share of windows with any alert, any warn,
           any finding (warn or alert), and which checks raised them.
  detect   200-case windows (--detect-n), --seeds each, with one change: protocol change
           (5 mm share of CT 5% -> 40%), a new CT scanner model at 3% of cases, sensitivity on
           slices >= 2.5 mm 0.91 -> 0.40 (the model misses 67% of the lesions there), age +8
           years. Detection = a warn or alert on the expected check (kind, subject and
           subgroup all equal; listed in SCENARIOS); alerts counted separately.
  trivial  --trivial-n (1M) serving cases against a --trivial-baseline (100k) baseline,
           --trivial-seeds each: no change (control), age +0.3 years, sex 50/50 -> 51/49.
           Quiet = no warn or alert on a check whose subject is the shifted feature.

Rates come with 95% Wilson intervals. Results: a Markdown report on stdout and all counts in
bench-data/calibration/results-<label>.json (gitignored); the generated data lives under
bench-data/calibration/work-<label>/ and each window is deleted after its runs. At most
--jobs binaries run at once (each window's three commands run one after another).
"""

import argparse
import collections
import concurrent.futures as cf
import dataclasses
import datetime
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nightly_data as nd  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
COMMANDS = ("drift", "performance", "cluster")
SEVERE = ("warn", "alert")

# Seed tuples start with a part code, so no two windows share a draw.
BASELINE, NULL, DETECT, TRIVIAL, TRIVIAL_BASELINE = 1, 2, 3, 4, 5

# name -> (shift, [(command, kind, subject, subgroup)] expected checks; the first is "the right
# check" for the detection rate, the others are reported as secondary ways to see it).
SCENARIOS = {
    "protocol change (5 mm share of CT 5% → 40%)": (
        nd.Shift(ct_5mm_share=0.40),
        [("drift", "feature-drift", "slice_thickness", None),
         ("cluster", "cluster-occupancy", "all clusters", None)]),
    "new scanner model at 3%": (
        nd.Shift(new_scanner_share=0.03),
        [("drift", "new-category", "manufacturer_model_name", None),
         ("cluster", "novel-cases", "beyond the baseline's p99 distance", None)]),
    "sensitivity on thick slices 0.91 → 0.40": (
        nd.Shift(thick_miss=0.67),
        [("performance", "performance", "sensitivity", "thick-slices"),
         ("performance", "performance", "sensitivity", None),
         ("performance", "concept-drift", "performance without input drift", None)]),
    "age +8 years": (
        nd.Shift(age_shift=8.0),
        [("drift", "feature-drift", "patient_age_years", None),
         ("drift", "composition", "mix: patient_age_years", None)]),
}

# name -> (shift, the shifted feature)
TRIVIAL_SHIFTS = {
    "none (control)": (nd.NO_SHIFT, None),
    "age +0.3 years": (nd.Shift(age_shift=0.3), "patient_age_years"),
    "sex 50/50 → 51/49": (nd.Shift(female_share=0.51), "patient_sex"),
}


# --------------------------------------------------------------------------- running


class Runner:
    def __init__(self, binary, work):
        self.bin = binary
        self.work = work
        os.makedirs(work, exist_ok=True)
        if os.path.exists(os.path.join(work, "postmarket.yaml")):
            sys.exit(f"{work} has a postmarket.yaml: the runs must use the default config")

    def run(self, *args):
        r = subprocess.run([self.bin, *args], cwd=self.work, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            raise RuntimeError(f"postmarket {' '.join(args)} exited {r.returncode}: "
                               f"{r.stderr.strip()[:500]}")

    def baseline(self, seed, n, snap):
        d = snap + "-data"
        h, i = nd.write(d, n, seed, serving=False)
        self.run("baseline", "--headers", h, "--inferences", i, "-o", snap, "-q")
        shutil.rmtree(d, ignore_errors=True)
        return snap

    def command(self, cmd, snap, headers, inferences, out):
        self.run(cmd, "--baseline", snap, "--headers", headers, "--inferences", inferences,
                 "-o", out, "-q", "--fail-on", "never")
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        shutil.rmtree(out, ignore_errors=True)
        return report

    def window(self, snap, n, seed, shift, watch=()):
        """Generates one serving window, runs the three commands on it, deletes it.

        Returns {command: summary} (see `summarise`), or {"error": message}.
        """
        d = os.path.join(self.work, "w-" + "-".join(map(str, seed)))
        try:
            h, i = nd.write(d, n, seed, shift)
            return {cmd: summarise(self.command(cmd, snap, h, i, d + "-" + cmd), watch)
                    for cmd in COMMANDS}
        except Exception as e:  # one failed window is reported, the study goes on
            return {"error": str(e)}
        finally:
            shutil.rmtree(d, ignore_errors=True)


def subject_of(check):
    """Cluster subjects carry the cluster's description; 'cluster 2' is enough to count."""
    s = check["subject"]
    return s.split(":")[0] if s.startswith("cluster ") else s


def summarise(report, watch=()):
    """Findings (kind, subject, subgroup, severity) of one report, and the checks in `watch`
    ((kind, subject, subgroup) -> severity, effect, q_value)."""
    found = [(c["kind"], subject_of(c), c["subgroup"], c["severity"]) for c in report["findings"]]
    watched = {}
    for c in report["checks"]:
        key = (c["kind"], subject_of(c), c["subgroup"])
        if key in watch:
            watched["|".join(map(str, key))] = (c["severity"], c["effect"], c["q_value"])
    return {"findings": found, "watched": watched, "checks": report["counts"]["checks"]}


def distinct(items):
    """Each item once, in first-seen order (a set's order would make ties in the top lists
    change from run to run)."""
    return list(dict.fromkeys(items))


def run_windows(runner, jobs, tasks):
    """tasks: [(snap, n, seed, shift, watch)] -> results in the same order."""
    with cf.ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda t: runner.window(*t), tasks))


# --------------------------------------------------------------------------- statistics


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def rate(k, n):
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else None, "ci": [lo, hi]}


def fmt(r):
    if not r["n"]:
        return "—"
    return (f"{r['k']}/{r['n']} = {100 * r['rate']:.1f}% "
            f"[{100 * r['ci'][0]:.1f}–{100 * r['ci'][1]:.1f}]")


def where(subgroup):
    return subgroup or "overall"


# --------------------------------------------------------------------------- parts


def null_part(runner, snaps, sizes, seeds_for, jobs):
    out = []
    for n in sizes:
        t0 = time.time()
        tasks = [(snaps[s % len(snaps)], n, (NULL, n, s), nd.NO_SHIFT, ())
                 for s in range(seeds_for(n))]
        results = run_windows(runner, jobs, tasks)
        errors = [r["error"] for r in results if "error" in r]
        ok = [r for r in results if "error" not in r]
        for cmd in COMMANDS:
            alert = warn = anything = overall = 0
            raised = collections.Counter()      # (kind, subject, subgroup) -> windows
            raised_alert = collections.Counter()
            by_subgroup = collections.Counter()
            alert_windows = []
            for seed, r in enumerate(results):
                if "error" in r:
                    continue
                found = r[cmd]["findings"]
                sev = {f[3] for f in found}
                alert += "alert" in sev
                warn += "warn" in sev
                anything += bool(found)
                overall += any(f[2] is None for f in found)
                if "alert" in sev:
                    alert_windows.append(seed)
                for key in distinct(f[:3] for f in found):
                    raised[key] += 1
                for key in distinct(f[:3] for f in found if f[3] == "alert"):
                    raised_alert[key] += 1
                for g in distinct(f[2] for f in found):
                    by_subgroup[where(g)] += 1
            m = len(ok)
            out.append({
                "command": cmd, "n": n, "windows": m, "errors": len(errors),
                "checks_per_window": ok[0][cmd]["checks"] if ok else None,
                "any_alert": rate(alert, m), "any_warn": rate(warn, m),
                "any_finding": rate(anything, m), "finding_on_overall": rate(overall, m),
                "raised_by": [[list(k), v, raised_alert[k]] for k, v in raised.most_common(15)],
                "alerts_by": [[list(k), v] for k, v in raised_alert.most_common(15)],
                "alert_windows": alert_windows,
                "by_subgroup": by_subgroup.most_common(10),
            })
        seconds = time.time() - t0
        for row in out[-len(COMMANDS):]:
            row["seconds_for_n"] = seconds
        print(f"  null n={n}: {len(tasks)} windows in {seconds:.0f} s; any alert "
              + ", ".join(f"{r['command']} {r['any_alert']['k']}" for r in out[-3:])
              + (f"; {len(errors)} errors: {errors[0]}" if errors else ""),
              file=sys.stderr, flush=True)
    return out


def detect_part(runner, snaps, n, seeds, jobs):
    out = []
    for si, (name, (shift, expected)) in enumerate(SCENARIOS.items()):
        t0 = time.time()
        watch = {e[1:] for e in expected}
        tasks = [(snaps[s % len(snaps)], n, (DETECT, si, s), shift, watch) for s in range(seeds)]
        results = run_windows(runner, jobs, tasks)
        ok = [r for r in results if "error" not in r]
        errors = [r["error"] for r in results if "error" in r]
        m = len(ok)
        matches = []
        for cmd, kind, subject, subgroup in expected:
            key = "|".join(map(str, (kind, subject, subgroup)))
            got = [r[cmd]["watched"].get(key, ("absent",))[0] if "error" not in r else None
                   for r in results]
            sev = collections.Counter(g for g in got if g is not None)
            effects = [r[cmd]["watched"][key][1] for r in ok
                       if key in r[cmd]["watched"] and r[cmd]["watched"][key][1] is not None]
            matches.append({
                "command": cmd, "check": [kind, subject, subgroup],
                "found": rate(sev["warn"] + sev["alert"], m), "alert": rate(sev["alert"], m),
                "warn": rate(sev["warn"], m), "severities": dict(sev),
                "effect_median": sorted(effects)[len(effects) // 2] if effects else None,
                "missed_windows": [w for w, g in enumerate(got) if g not in (None,) + SEVERE],
            })
        others = {cmd: collections.Counter() for cmd in COMMANDS}
        any_alert = {cmd: 0 for cmd in COMMANDS}
        for r in ok:
            for cmd in COMMANDS:
                found = r[cmd]["findings"]
                any_alert[cmd] += any(f[3] == "alert" for f in found)
                for key in distinct(f[:3] for f in found):
                    others[cmd][key] += 1
        out.append({
            "scenario": name, "n": n, "windows": m, "errors": len(errors),
            "shift": dataclasses.asdict(shift), "matches": matches,
            "any_alert": {cmd: rate(any_alert[cmd], m) for cmd in COMMANDS},
            "findings": {cmd: [[list(k), v] for k, v in c.most_common(10)]
                         for cmd, c in others.items()},
            "seconds": time.time() - t0,
        })
        print(f"  detect {name}: found {matches[0]['found']['k']}/{m} "
              f"({time.time() - t0:.0f} s)" + (f"; errors: {errors[0]}" if errors else ""),
              file=sys.stderr, flush=True)
    return out


def trivial_part(runner, snap, n, seeds, jobs):
    out = []
    for si, (name, (shift, feature)) in enumerate(TRIVIAL_SHIFTS.items()):
        t0 = time.time()
        watch = {("feature-drift", feature, None)} if feature else set()
        tasks = [(snap, n, (TRIVIAL, si, s), shift, watch) for s in range(seeds)]
        results = run_windows(runner, jobs, tasks)
        ok = [r for r in results if "error" not in r]
        errors = [r["error"] for r in results if "error" in r]
        m = len(ok)
        row = {"shift": name, "n": n, "windows": m, "errors": len(errors), "feature": feature,
               "seconds": None, "per_command": {}}
        for cmd in COMMANDS:
            on_feature = sum(any(f[1] == feature and f[3] in SEVERE for f in r[cmd]["findings"])
                             for r in ok) if feature else 0
            found = collections.Counter()
            for r in ok:
                for key in distinct(r[cmd]["findings"]):
                    found[key] += 1
            row["per_command"][cmd] = {
                "finding_on_feature": rate(on_feature, m),
                "any_alert": rate(sum(any(f[3] == "alert" for f in r[cmd]["findings"])
                                      for r in ok), m),
                "any_warn": rate(sum(any(f[3] == "warn" for f in r[cmd]["findings"])
                                     for r in ok), m),
                "findings": [[list(k), v] for k, v in found.most_common(10)],
            }
        if feature:
            key = f"feature-drift|{feature}|None"
            row["overall_check"] = [r["drift"]["watched"].get(key) for r in ok]
        row["seconds"] = time.time() - t0
        out.append(row)
        print(f"  trivial {name}: {m} windows ({row['seconds']:.0f} s)"
              + (f"; errors: {errors[0]}" if errors else ""), file=sys.stderr, flush=True)
    return out


# --------------------------------------------------------------------------- output


def markdown(res):
    lines = []
    add = lines.append
    meta = res["meta"]
    add(f"Binary `{meta['bin']}` (sha256 {meta['bin_sha256'][:16]}…), label `{meta['label']}`, "
        f"{meta['started']}; `{meta['command']}`; load average {meta['load_start'][0]:.2f} at "
        f"the start, {meta['load_end'][0]:.2f} at the end; {meta['seconds'] / 60:.1f} min.")
    add("")
    if res.get("null"):
        add(f"**Null windows** (no change; {meta['baselines']} baselines of "
            f"{meta['baseline_n']:,} cases). Rates are windows with at least one such check, "
            "95% Wilson interval in brackets. Target: any alert ≤ 1% at every n.")
        add("")
        add("| command | serving n | windows | checks | any alert | any warn | any finding "
            "| a finding on an overall check |")
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in sorted(res["null"], key=lambda r: (COMMANDS.index(r["command"]), r["n"])):
            add(f"| {r['command']} | {r['n']:,} | {r['windows']} | {r['checks_per_window']} "
                f"| {fmt(r['any_alert'])} | {fmt(r['any_warn'])} | {fmt(r['any_finding'])} "
                f"| {fmt(r['finding_on_overall'])} |")
        add("")
        add("Checks that raised the null findings (kind / subject / subgroup: windows with a "
            "warn or alert there, of which alert):")
        add("")
        for r in sorted(res["null"], key=lambda r: (COMMANDS.index(r["command"]), r["n"])):
            if r["raised_by"]:
                top = "; ".join(f"{k} / {s} / {where(g)}: {v} ({a})"
                                for (k, s, g), v, a in r["raised_by"][:6])
                add(f"- {r['command']}, n = {r['n']:,}: {top}")
        add("")
        add("Checks that raised the null **alerts** (windows with an alert there):")
        add("")
        for r in sorted(res["null"], key=lambda r: (COMMANDS.index(r["command"]), r["n"])):
            if r["alerts_by"]:
                top = "; ".join(f"{k} / {s} / {where(g)}: {v}"
                                for (k, s, g), v in r["alerts_by"][:6])
                add(f"- {r['command']}, n = {r['n']:,}: {top}")
        add("")
    if res.get("detect"):
        add(f"**Detection** at {res['detect'][0]['n']} serving cases. Found = warn or alert on "
            "the expected check (kind, subject and subgroup equal); the first row of each "
            "scenario is the detection rate, the others are other places the change shows. "
            "Target: ≥ 95%.")
        add("")
        add("| scenario | command | check (kind / subject / subgroup) | windows | found "
            "| as alert | median effect |")
        add("| --- | --- | --- | ---: | ---: | ---: | ---: |")
        for r in res["detect"]:
            for j, m in enumerate(r["matches"]):
                kind, subject, subgroup = m["check"]
                eff = m["effect_median"]
                add(f"| {r['scenario'] if j == 0 else ''} | {m['command']} "
                    f"| {kind} / {subject} / {where(subgroup)} | {r['windows']} "
                    f"| {'**' + fmt(m['found']) + '**' if j == 0 else fmt(m['found'])} "
                    f"| {fmt(m['alert'])} | {'—' if eff is None else f'{eff:.3g}'} |")
        add("")
        add("Other findings in the detection windows (top 5 per command; windows):")
        add("")
        for r in res["detect"]:
            parts = []
            for cmd in COMMANDS:
                top = ", ".join(f"{k} / {s} / {where(g)}: {v}"
                                for (k, s, g), v in r["findings"][cmd][:5])
                if top:
                    parts.append(f"{cmd}: {top}")
            add(f"- {r['scenario']}: " + ("; ".join(parts) or "none"))
        add("")
    if res.get("trivial"):
        t0 = res["trivial"][0]
        add(f"**Trivial shifts** at {t0['n']:,} serving cases against a "
            f"{meta['trivial_baseline']:,}-case baseline. Quiet = no warn or alert on a check "
            "of the shifted feature (any subgroup). Target: quiet in every window.")
        add("")
        add("| shift | command | windows | warn/alert on the shifted feature | any alert "
            "| any warn | overall check of the feature (drift): severities, max effect, max q |")
        add("| --- | --- | ---: | ---: | ---: | ---: | --- |")
        for r in res["trivial"]:
            for j, cmd in enumerate(COMMANDS):
                pc = r["per_command"][cmd]
                overall = "—"
                if cmd == "drift" and r.get("overall_check"):
                    got = [c for c in r["overall_check"] if c]
                    sev = collections.Counter(c[0] for c in got)
                    overall = (", ".join(f"{v}× {k}" for k, v in sev.most_common())
                               + f"; effect ≤ {max((c[1] or 0) for c in got):.3g}"
                               + f"; q ≤ {max((c[2] if c[2] is not None else 1) for c in got):.2g}")
                add(f"| {r['shift'] if j == 0 else ''} | {cmd} | {r['windows']} "
                    f"| {fmt(pc['finding_on_feature']) if r['feature'] else '—'} "
                    f"| {fmt(pc['any_alert'])} | {fmt(pc['any_warn'])} | {overall} |")
        add("")
        for r in res["trivial"]:
            for cmd in COMMANDS:
                top = ", ".join(f"{k} / {s} / {where(g)} / {sev}: {v}"
                                for (k, s, g, sev), v in r["per_command"][cmd]["findings"][:5])
                if top:
                    add(f"- {r['shift']}, {cmd}: {top}")
        add("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=os.environ.get(
        "POSTMARKET_BIN", os.path.join(ROOT, "target/release/postmarket")),
                   help="the postmarket binary (default: $POSTMARKET_BIN or target/release)")
    p.add_argument("--label", default="run", help="names the results file and work folder")
    p.add_argument("--seeds", type=int, default=200,
                   help="null windows per n (below 100k) and detection windows per scenario")
    p.add_argument("--seeds-large", type=int, default=None,
                   help="null windows at n >= 100k (default: --seeds)")
    p.add_argument("--sizes", default="50,200,1000,10000,100000", help="null serving sizes")
    p.add_argument("--detect-n", type=int, default=200)
    p.add_argument("--baselines", type=int, default=4, help="baseline seeds, used in turn")
    p.add_argument("--baseline-n", type=int, default=10_000)
    p.add_argument("--trivial-seeds", type=int, default=5)
    p.add_argument("--trivial-n", type=int, default=1_000_000)
    p.add_argument("--trivial-baseline", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=2, help="binaries running at once")
    p.add_argument("--only", choices=["null", "detect", "trivial"], action="append",
                   help="run only this part (repeatable)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 10 seeds (5 at 100k), 2 baselines, trivial 200k vs 20k")
    p.add_argument("--work", default=os.path.join(ROOT, "bench-data", "calibration"),
                   help="results-<label>.json goes here; generated data in work-<label>/")
    args = p.parse_args()
    if args.quick:
        args.seeds, args.seeds_large, args.baselines = 10, 5, 2
        args.trivial_seeds, args.trivial_n, args.trivial_baseline = 1, 200_000, 20_000
    args.seeds_large = args.seeds if args.seeds_large is None else args.seeds_large
    parts = args.only or ["null", "detect", "trivial"]
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {binary}: build it or pass --bin")

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.time()
    with open(binary, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    work = os.path.join(os.path.abspath(args.work), f"work-{args.label}")
    shutil.rmtree(work, ignore_errors=True)
    runner = Runner(binary, work)
    res = {"meta": {
        "label": args.label, "bin": args.bin, "bin_sha256": sha, "version": version,
        "started": started.strftime("%Y-%m-%d %H:%M UTC"), "command": "python3 "
        + " ".join(["scripts/calibrate.py"] + sys.argv[1:]), "load_start": os.getloadavg(),
        "cpus": os.cpu_count(), "jobs": args.jobs, "parts": parts,
        "baselines": args.baselines, "baseline_n": args.baseline_n,
        "trivial_baseline": args.trivial_baseline, "seconds_per_part": {}}}

    if "null" in parts or "detect" in parts:
        snaps = [runner.baseline((BASELINE, b), args.baseline_n,
                                 os.path.join(work, f"snap-{b}")) for b in range(args.baselines)]
        with open(os.path.join(snaps[0], "cluster.json")) as f:
            res["meta"]["cluster_k"] = json.load(f)["k"]
    if "null" in parts:
        t = time.time()
        sizes = [int(s) for s in args.sizes.split(",")]
        res["null"] = null_part(runner, snaps, sizes,
                                lambda n: args.seeds_large if n >= 100_000 else args.seeds,
                                args.jobs)
        res["meta"]["seconds_per_part"]["null"] = time.time() - t
    if "detect" in parts:
        t = time.time()
        res["detect"] = detect_part(runner, snaps, args.detect_n, args.seeds, args.jobs)
        res["meta"]["seconds_per_part"]["detect"] = time.time() - t
    if "trivial" in parts:
        t = time.time()
        snap = runner.baseline((TRIVIAL_BASELINE, 0), args.trivial_baseline,
                               os.path.join(work, "snap-trivial"))
        res["trivial"] = trivial_part(runner, snap, args.trivial_n, args.trivial_seeds,
                                      args.jobs)
        res["meta"]["seconds_per_part"]["trivial"] = time.time() - t
    res["meta"]["seconds"] = time.time() - t0
    res["meta"]["load_end"] = os.getloadavg()
    shutil.rmtree(work, ignore_errors=True)

    path = os.path.join(os.path.abspath(args.work), f"results-{args.label}.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(markdown(res))
    print(f"\n(results: {os.path.relpath(path, ROOT)})")


if __name__ == "__main__":
    main()
