#!/usr/bin/env python3
"""Calibration of `audit --history` and its sequential rule on independent nights.

A benchmark, not a test. Nights are drawn by our own numpy generator (scripts/nightly_data.py,
not `postmarket synth`), each night's headers and inferences are audited with the real
binary against one baseline, night after night, into one history — as cron would run it —
and the script counts the nights at alert:

  null      --null-nights (365) nights of --cases (200) from the baseline's population:
            alerts in total (target <= 2), warns, and which checks raised them.
  scenarios --repeats sequences per scenario: --pre (3) ordinary nights, then --post (5)
            nights with one change from the onset: protocol change (5 mm share of CT
            5% -> 40%), a new CT scanner model at 3% of cases, sensitivity on slices
            >= 2.5 mm 0.91 -> 0.40. Delay = nights from the onset to the first alert (the
            onset night is 1); targets: protocol <= 2, new scanner <= 3, thick slices <= 3.

The pure CUSUM (no data) is simulated too: its in-control run length per check and its
delay for a shift of the nightly evidence, against Siegmund's approximation.

    pip install -r scripts/requirements.txt
    cargo build --release
    python3 scripts/calibrate_sequential.py --bin target/release/postmarket
    python3 scripts/calibrate_sequential.py --quick          # ~1 min smoke run

Output: Markdown on stdout; all counts in bench-data/sequential/results.json (gitignored).
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

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nightly_data as nd  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SCENARIOS = {
    "protocol change (5 mm 5% -> 40%)": (nd.Shift(ct_5mm_share=0.40), 2),
    "new scanner at 3%": (nd.Shift(new_scanner_share=0.03), 3),
    "thick-slice sensitivity 0.91 -> 0.40": (nd.Shift(thick_miss=0.67), 3),
}
DAY = datetime.timedelta(days=1)


def run(cmd, env=None):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {done.returncode}\n{done.stderr}")
    return done


def window(night):
    """The audit window of night `night`: noon to noon around its 20:00-06:00 night."""
    start = nd.NIGHT_START.replace(hour=12) + night * DAY
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{fmt(start)}..{fmt(start + DAY)}"


def make_baseline(binary, work, n, seed):
    d = os.path.join(work, "baseline")
    h, i = nd.write(d, n, (6, seed), serving=False)
    snap = os.path.join(work, "snapshot")
    run([binary, "baseline", "--headers", h, "--inferences", i, "-o", snap])
    return snap


def sequence(binary, snapshot, work, tag, shifts, cases, seed):
    """Audits one sequence of nights (a Shift per night) into one history; returns, per
    night, (status, [kind: subject (subgroup) of each alert])."""
    root = os.path.join(work, tag)
    shutil.rmtree(root, ignore_errors=True)
    history = os.path.join(root, "history")
    out = []
    env = dict(os.environ, SOURCE_DATE_EPOCH="1764547200")
    for night, shift in enumerate(shifts):
        d = os.path.join(root, f"night-{night}")
        h, i = nd.write(d, cases, (7, seed, night), shift, serving=True, night=night)
        o = os.path.join(d, "out")
        run([binary, "audit", "--baseline", snapshot, "--headers", h, "--inferences", i,
             "-o", o, "--history", history, "--window", window(night), "--fail-on", "never"],
            env)
        with open(os.path.join(o, "report.json")) as f:
            report = json.load(f)
        alerts = [
            f"{c['kind']}: {c['subject']}" + (f" ({c['subgroup']})" if c.get("subgroup") else "")
            for c in report["findings"] if c["severity"] == "alert"
        ]
        if alerts and os.environ.get("CALIBRATE_DUMP"):
            with open(os.path.join(work, "alerts.jsonl"), "a") as f:
                for c in report["findings"]:
                    if c["severity"] == "alert":
                        keep = {k: c.get(k) for k in ("kind", "subject", "subgroup", "test", "p_value",
                                "q_value", "effect", "effect_ci_low", "effect_ci_high", "n_baseline",
                                "n_serving", "summary", "sequential", "trend")}
                        f.write(json.dumps(dict(keep, tag=tag, night=night)) + "\n")
        # What the night's own rule said, before the sequential rule (a check it did not
        # touch kept its severity).
        night_alert = any(
            (c.get("sequential") or {}).get("night_severity", c["severity"]) == "alert"
            or (c["kind"] == "concept-drift" and c["severity"] != "pass"
                and "not yet confirmed" in c.get("summary", ""))
            for c in report["checks"])
        out.append((report["status"], alerts, night_alert))
        shutil.rmtree(d)
    shutil.rmtree(root, ignore_errors=True)
    return out


def cusum_simulation(k, h, seed=3):
    """In-control ARL per check (Siegmund, as it is too long to simulate) and, by
    simulation, nights to signal for a constant shift mu of the nightly evidence."""
    rng = np.random.default_rng(seed)
    b = h + 1.166
    arl0 = (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)
    delays = {}
    for mu in (1.5, 2.0, 3.0, 4.0, 6.0):
        runs = []
        for _ in range(4000):
            s, n = 0.0, 0
            while True:
                n += 1
                z = min(mu + rng.standard_normal(), h + k)
                s = min(max(0.0, s + z - k), 2 * h)
                if s >= h:
                    break
            runs.append(n)
        delays[mu] = (float(np.median(runs)), float(np.percentile(runs, 90)))
    return arl0, delays


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/postmarket"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench-data/sequential"))
    ap.add_argument("--baseline-n", type=int, default=5000)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--null-nights", type=int, default=365)
    ap.add_argument("--null-sequences", type=int, default=1,
                    help="independent null histories of --null-nights each")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--pre", type=int, default=3)
    ap.add_argument("--post", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.null_nights, a.repeats = 30, 3
    os.makedirs(a.work, exist_ok=True)
    binary = os.path.abspath(a.bin)
    snapshot = make_baseline(binary, a.work, a.baseline_n, 1)

    jobs = []
    with cf.ThreadPoolExecutor(a.jobs) as pool:
        # The null year is split into chunks that run side by side; each chunk is its own
        # history, so the rule restarts at each chunk's start (a conservative count: the
        # first nights of a sequence have the least evidence, not the most).
        chunks = max(1, a.jobs)
        per = math.ceil(a.null_nights / chunks)
        for s in range(a.null_sequences):
            for c in range(chunks):
                n = min(per, a.null_nights - c * per)
                if n > 0:
                    jobs.append(("null", None, pool.submit(
                        sequence, binary, snapshot, a.work, f"null-{s}-{c}",
                        [nd.NO_SHIFT] * n, a.cases, 1000 * s + c)))
        for name, (shift, _) in SCENARIOS.items():
            for r in range(a.repeats):
                shifts = [nd.NO_SHIFT] * a.pre + [shift] * a.post
                tag = f"{abs(hash(name)) % 10_000}-{r}"
                jobs.append(("scenario", name, pool.submit(
                    sequence, binary, snapshot, a.work, tag, shifts, a.cases,
                    100_000 + 100 * list(SCENARIOS).index(name) + r)))
        null_nights, null_alerts, null_warn_nights, why = 0, 0, 0, collections.Counter()
        null_night_rule = 0
        delays = collections.defaultdict(list)
        pre_alerts = collections.Counter()
        detected = collections.defaultdict(collections.Counter)
        for part, name, fut in jobs:
            nights = fut.result()
            if part == "null":
                null_nights += len(nights)
                for status, alerts, night_alert in nights:
                    null_night_rule += bool(night_alert)
                    null_alerts += status == "alert"
                    null_warn_nights += status == "warn"
                    why.update(alerts)
            else:
                pre_alerts[name] += sum(st == "alert" for st, _, _ in nights[:a.pre])
                post = nights[a.pre:]
                first = next((k for k, (st, _, _) in enumerate(post) if st == "alert"), None)
                delays[name].append(None if first is None else first + 1)
                if first is not None:
                    detected[name].update(post[first][1][:1])

    arl0, sim = cusum_simulation(1.0, 5.0)
    print(f"## Sequential rule calibration ({a.cases} cases a night, baseline {a.baseline_n})\n")
    print(f"Null: {null_alerts} night(s) at alert in {null_nights} nights "
          f"({null_warn_nights} at warn); target <= 2 per 365. The night's own rule alone "
          f"would have alerted on {null_night_rule}.")
    for check, count in why.most_common(10):
        print(f"  - {check}: {count}")
    print("\n| scenario | target (nights) | median delay | p90 delay | detected by night "
          "3 | missed by the last night | alerts before onset | first alert on |")
    print("|---|---|---|---|---|---|---|---|")
    results = {"null": {"nights": null_nights, "alert_nights": null_alerts,
                        "warn_nights": null_warn_nights,
                        "night_rule_alert_nights": null_night_rule, "alerts_by_check": dict(why)},
               "scenarios": {}, "cusum": {"arl0_per_check_siegmund": arl0,
                                          "delay_by_shift": sim}}
    for name, (_, target) in SCENARIOS.items():
        d = delays[name]
        hit = sorted(x for x in d if x is not None)
        med = float(np.median(hit)) if hit else None
        p90 = float(np.percentile(hit, 90)) if hit else None
        by3 = sum(1 for x in hit if x <= 3) / len(d)
        missed = sum(1 for x in d if x is None) / len(d)
        top = ", ".join(f"{w} ({c})" for w, c in detected[name].most_common(2))
        print(f"| {name} | {target} | {med} | {p90} | {by3:.0%} | {missed:.0%} | "
              f"{pre_alerts[name]} of {a.pre * len(d)} | {top} |")
        results["scenarios"][name] = {"target": target, "delays": d, "median": med,
                                      "p90": p90, "pre_onset_alerts": pre_alerts[name]}
    print(f"\nCUSUM alone (k 1, h 5): in-control run length per check ≈ {arl0:,.0f} nights "
          "(Siegmund); nights to signal for a constant nightly evidence shift mu "
          "(median, p90): " + ", ".join(f"mu {m}: {v[0]:.0f}, {v[1]:.0f}" for m, v in sim.items()))
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
