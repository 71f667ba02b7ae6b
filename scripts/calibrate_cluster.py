#!/usr/bin/env python3
"""Calibration of acquisition clustering (docs/statistics.md, "Acquisition clustering").

A benchmark, not a test: it runs the real `postmarket` binary (`baseline`, then `cluster`)
on many synthetic draws and counts how often the occupancy and novel-case checks fire when
nothing changed, and how often they find a real change of acquisition protocol or scanner.

    cargo build --release
    pip install -r scripts/requirements.txt        # numpy
    python3 scripts/calibrate_cluster.py [--null-seeds 100] [--shift-seeds 20] [--jobs 2]

Parts (all `synth --tables --slices 1`, model output included, default cluster config):

  (k) auto-k stability: baselines of 10k cases from a few seeds; the k chosen and the
      clusters' shares (only the first one is used below).
  (a) null: a 10k-case baseline (seed 1, scenario none) against independent serving draws of
      10k cases (`synth --scenario none`, seeds 1001, 1002, ...). Novel rate (mean, 5th-95th
      percentile; 1% by construction), share of seeds with any occupancy / novel / score
      alert and warn.
  (b) shift: serving draws of `protocol-change` and `scanner-upgrade` at 1k and 10k cases
      against the same baseline. Share of seeds with an occupancy alert, an occupancy
      finding (warn or alert), a novel-cases finding, and either.

Generated data goes to bench-data/calibration-cluster/ (gitignored); each serving draw is
deleted after its run. The runs use that folder as working directory, so no
postmarket.yaml applies. POSTMARKET_BIN or --bin picks the binary. Results are printed as
Markdown and written to bench-data/calibration-cluster/results.json.
"""

import argparse
import concurrent.futures as cf
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RANK = {"pass": 0, "insufficient": 1, "info": 2, "warn": 3, "alert": 4}


class Runner:
    def __init__(self, binary, work):
        self.bin = binary
        self.work = work
        os.makedirs(work, exist_ok=True)

    def run(self, *args):
        r = subprocess.run([self.bin, *args], cwd=self.work, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"postmarket {' '.join(args)} failed ({r.returncode}): {r.stderr}")

    def synth(self, out, cases, seed, scenario="none"):
        self.run("synth", "--tables", "--scenario", scenario, "-o", out, "--cases", str(cases),
                 "--slices", "1", "--seed", str(seed), "-q")

    def baseline(self, synth_dir, snap):
        self.run("baseline", "--headers", f"{synth_dir}/baseline/headers.parquet",
                 "--inferences", f"{synth_dir}/baseline/inferences.parquet", "-o", snap, "-q")
        with open(os.path.join(snap, "cluster.json")) as f:
            return json.load(f)

    def cluster(self, snap, synth_dir, out):
        self.run("cluster", "--baseline", snap,
                 "--headers", f"{synth_dir}/serving/headers.parquet",
                 "--inferences", f"{synth_dir}/serving/inferences.parquet",
                 "-o", out, "-q", "--fail-on", "never")
        with open(os.path.join(out, "report.json")) as f:
            return json.load(f)


def summarise(report):
    """The per-kind worst severity, the novel rate and the occupancy figures of one report."""
    worst = {"cluster-occupancy": 0, "novel-cases": 0, "model-output": 0}
    row = {}
    for c in report["checks"]:
        worst[c["kind"]] = max(worst.get(c["kind"], 0), RANK[c["severity"]])
        if c["kind"] == "novel-cases":
            row["novel_p"] = c["p_value"]
            n_novel = int(c["summary"].split(" of ")[0])
            row["novel_rate"] = n_novel / c["n_serving"]
        elif c["kind"] == "cluster-occupancy" and c["subject"] == "all clusters":
            row["chi2_p"] = c["p_value"]
            row["max_share_pp"] = c["effect"]
        elif c["kind"] == "cluster-occupancy":
            row.setdefault("shares", []).append(c["n_serving"])
    row["worst"] = worst
    return row


def one_run(runner, snap, scenario, cases, seed):
    tag = f"{scenario}-{cases}-{seed}"
    synth_dir = os.path.join(runner.work, "s-" + tag)
    out = os.path.join(runner.work, "o-" + tag)
    try:
        runner.synth(synth_dir, cases, seed, scenario)
        return summarise(runner.cluster(snap, synth_dir, out))
    finally:
        shutil.rmtree(synth_dir, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


def run_many(runner, snap, scenario, cases, seeds, jobs):
    with cf.ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda s: one_run(runner, snap, scenario, cases, s), seeds))


def share(rows, pred):
    return sum(1 for r in rows if pred(r)) / len(rows)


def pct(x):
    return f"{100 * x:.0f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                     os.path.join(ROOT, "target/release/postmarket")))
    ap.add_argument("--null-seeds", type=int, default=100)
    ap.add_argument("--shift-seeds", type=int, default=20)
    ap.add_argument("--k-seeds", type=int, default=5, help="baselines fitted for auto-k stability")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(ROOT, "bench-data/calibration-cluster"))
    args = ap.parse_args()

    runner = Runner(args.bin, args.work)
    t0 = time.time()
    load = os.getloadavg()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    results = {"date": datetime.date.today().isoformat(), "commit": commit,
               "argv": sys.argv[1:], "load_start": load}

    # (k) auto-k stability over baseline seeds; seed 1 is the baseline used below.
    models = {}
    for seed in range(1, args.k_seeds + 1):
        d = os.path.join(runner.work, f"base-{seed}")
        runner.synth(d, 10_000, seed)
        models[seed] = runner.baseline(d, os.path.join(runner.work, f"snap-{seed}"))
    results["k_stability"] = [
        {"seed": s, "k": m["k"], "fit_rows": m["fit_rows"],
         "silhouettes": [round(x["silhouette"], 4) for x in m["k_selection"]],
         "shares": [round(c["share"], 4) for c in m["clusters"]],
         "labels": [c["label"] for c in m["clusters"]],
         "p99": [round(c["distance_p99"], 3) for c in m["clusters"]]}
        for s, m in models.items()]
    snap = os.path.join(runner.work, "snap-1")
    print(f"# auto-k over {args.k_seeds} baseline seeds (10k cases each)")
    for r in results["k_stability"]:
        print(f"seed {r['seed']}: k={r['k']} shares={r['shares']} p99={r['p99']}")
        print(f"    silhouettes k=2..: {r['silhouettes']}")

    # (a) null
    null = run_many(runner, snap, "none", 10_000, range(1001, 1001 + args.null_seeds), args.jobs)
    rates = np.array([r["novel_rate"] for r in null])
    results["null"] = {
        "seeds": len(null),
        "novel_rate_mean": float(rates.mean()),
        "novel_rate_p5": float(np.percentile(rates, 5)),
        "novel_rate_p95": float(np.percentile(rates, 95)),
        "max_share_pp_max": max(r["max_share_pp"] for r in null),
        "chi2_p_below_0.05": share(null, lambda r: r["chi2_p"] is not None and r["chi2_p"] < 0.05),
        "novel_p_below_0.05": share(null, lambda r: r["novel_p"] is not None and r["novel_p"] < 0.05),
    }
    for kind in ("cluster-occupancy", "novel-cases", "model-output"):
        for sev in ("alert", "warn"):
            results["null"][f"{kind}_{sev}+"] = share(null, lambda r: r["worst"][kind] >= RANK[sev])
        results["null"][f"{kind}_info+"] = share(null, lambda r: r["worst"][kind] >= RANK["info"])
    results["null_runs"] = null
    a = results["null"]
    print(f"\n# (a) null: baseline 10k (seed 1) vs serving 10k, {a['seeds']} seeds; "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"novel rate mean {100 * a['novel_rate_mean']:.2f}%, 5th-95th percentile "
          f"{100 * a['novel_rate_p5']:.2f}-{100 * a['novel_rate_p95']:.2f}%; "
          f"largest share change {a['max_share_pp_max']:.2f} pp")
    print(f"raw p < 0.05: chi2 {pct(a['chi2_p_below_0.05'])}, novel binomial {pct(a['novel_p_below_0.05'])}")
    print("| check | any alert | any warn+ | any info+ |\n|---|---|---|---|")
    for kind in ("cluster-occupancy", "novel-cases", "model-output"):
        print(f"| {kind} | {pct(a[kind + '_alert+'])} | {pct(a[kind + '_warn+'])} | {pct(a[kind + '_info+'])} |")

    # (b) shifts
    results["shift"] = []
    print(f"\n# (b) shift vs the same baseline, {args.shift_seeds} seeds")
    print("| scenario | n | occupancy alert | occupancy warn+ | novel warn+ | either (alert or novel warn+) | novel rate (mean) |")
    print("|---|---|---|---|---|---|---|")
    for scenario in ("protocol-change", "scanner-upgrade"):
        for n in (1_000, 10_000):
            rows = run_many(runner, snap, scenario, n, range(2001, 2001 + args.shift_seeds), args.jobs)
            occ = lambda r: r["worst"]["cluster-occupancy"]
            nov = lambda r: r["worst"]["novel-cases"]
            row = {
                "scenario": scenario, "n": n, "seeds": len(rows),
                "occupancy_alert": share(rows, lambda r: occ(r) >= RANK["alert"]),
                "occupancy_warn+": share(rows, lambda r: occ(r) >= RANK["warn"]),
                "novel_warn+": share(rows, lambda r: nov(r) >= RANK["warn"]),
                "either": share(rows, lambda r: occ(r) >= RANK["alert"] or nov(r) >= RANK["warn"]),
                "novel_rate_mean": float(np.mean([r["novel_rate"] for r in rows])),
                "max_share_pp_mean": float(np.mean([r["max_share_pp"] for r in rows])),
                "load": os.getloadavg()[0],
            }
            results["shift"].append(row)
            print(f"| {scenario} | {n:,} | {pct(row['occupancy_alert'])} | {pct(row['occupancy_warn+'])} | "
                  f"{pct(row['novel_warn+'])} | {pct(row['either'])} | "
                  f"{100 * row['novel_rate_mean']:.1f}% (share change {row['max_share_pp_mean']:.1f} pp) |")

    results["seconds"] = time.time() - t0
    results["load_end"] = os.getloadavg()
    with open(os.path.join(runner.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"\n{results['seconds']:.0f} s; load average at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, "
          f"at end {results['load_end'][0]:.2f}/{results['load_end'][1]:.2f}/{results['load_end'][2]:.2f}; "
          f"commit {commit}")


if __name__ == "__main__":
    main()
