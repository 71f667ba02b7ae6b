#!/usr/bin/env python3
"""Speed and memory of `postmarket performance` and `postmarket gate` at 250k–1M cases.

A benchmark, not a test. Usage (from anywhere in the repository):

    cargo build --release
    python3 scripts/bench_performance.py [--sizes 250000,500000,1000000] [--repeats 3]

What it measures, per serving size N (synth --tables --scenario none --slices 1 --seed 2
--candidate, so N header rows, N inferences, ~70% labelled, and a candidate model's
inferences on the same N cases):

  - `performance` against a 100k-case baseline (the baseline side of a separate
    synth --tables --cases 100000 --seed 1 run), without --headers (overall + per
    label_version) and with --headers (case table built from N header rows, 10
    subgroups, the full drift engine for the concept-drift check);
  - `gate` of the candidate against production on the same N cases, without --headers
    (overall only) and with --headers (the same 10 subgroups);
  - at the largest N, both --headers runs again with `subgroups: []`, to show what the
    subgroups cost.

The config (postmarket.yaml in the work folder) has `cluster: {k: 1000000}` so the
baseline skips the k-means fit (not measured here), and 10 subgroups: patient_sex (M, F),
age bands at 18/40/65 (no synthetic patient is under 18, so 3 groups), thick slices, GE,
Siemens, Philips, MR. Each figure is the best of --repeats runs: wall time, user+sys CPU
and peak RSS of the whole process from GNU time (`apt-get install -y time`), with the
1-minute load average read just before that run. The machine has 2 cores and other jobs
may be running: a figure taken at a load average above ~1 is an upper bound.

Data goes to bench-data/perf-bench/ (gitignored) and is reused. POSTMARKET_BIN or --bin
picks the binary (default target/release/postmarket; it is copied to the data folder first
so a concurrent `cargo build` cannot swap it mid-run). Results are printed as Markdown and
written to bench-data/perf-bench/results.md.
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

CONFIG = """cluster: {k: 1000000}
subgroups:
  - {by: patient_sex}
  - {by: patient_age_years, bins: [18, 40, 65]}
  - {name: thick, where: "slice_thickness >= 2.5"}
  - {name: ge, where: 'manufacturer == "GE MEDICAL SYSTEMS"'}
  - {name: siemens, where: 'manufacturer == "SIEMENS"'}
  - {name: philips, where: 'manufacturer == "Philips"'}
  - {name: mr, where: 'modality == "MR"'}
"""
CONFIG_NO_SUBGROUPS = "cluster: {k: 1000000}\nsubgroups: []\n"
EXPECTED_SUBGROUPS = 10
TARGET_S = 5.0


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(cmd, cwd, ok_codes=(0,)):
    """Runs cmd under GNU time; returns wall s, cpu s, peak RSS MB, load before."""
    load = loadavg()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode not in ok_codes:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")

    def field(name):
        return re.search(re.escape(name) + r": (.*)", p.stderr).group(1).strip()

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return {"wall": secs, "cpu": cpu, "rss": rss, "load": load, "rc": p.returncode}


def best_of(cmd, cwd, repeats, ok_codes=(0,)):
    runs = [timed(cmd, cwd, ok_codes) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["wall"])
    best["all_walls"] = [r["wall"] for r in runs]
    return best


def run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True)


def synth(binary, out, cases, seed, candidate):
    marker = os.path.join(out, "serving", "inferences.parquet")
    if os.path.exists(marker):
        return
    cmd = [binary, "synth", "--tables", "--scenario", "none", "-o", out, "--cases",
           str(cases), "--slices", "1", "--seed", str(seed), "-q"]
    if candidate:
        cmd.append("--candidate")
    run(cmd, ROOT)


def subgroups_in(report_dir):
    with open(os.path.join(report_dir, "report.json")) as f:
        report = json.load(f)
    return {c["subgroup"] for c in report["checks"] if c.get("subgroup")}


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 / 1024
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} CPUs, {model}, {mem:.0f} GiB RAM, Linux {platform.release()}, "
            f"{rustc}, repository at {commit} (the binary may be older: see --bin)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="250000,500000,1000000")
    ap.add_argument("--baseline-n", type=int, default=100000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                     os.path.join(ROOT, "target/release/postmarket")))
    ap.add_argument("--data", default=os.path.join(ROOT, "bench-data/perf-bench"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    os.makedirs(args.data, exist_ok=True)
    binary = os.path.join(args.data, "postmarket")
    shutil.copy2(args.bin, binary)
    work = os.path.join(args.data, "work")
    work_flat = os.path.join(args.data, "work-nosub")
    for folder, text in ((work, CONFIG), (work_flat, CONFIG_NO_SUBGROUPS)):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "postmarket.yaml"), "w") as f:
            f.write(text)

    base_dir = os.path.join(args.data, f"base-{args.baseline_n}")
    synth(binary, base_dir, args.baseline_n, 1, False)
    snap = os.path.join(args.data, f"snap-{args.baseline_n}")
    if not os.path.exists(os.path.join(snap, "manifest.yaml")):
        run([binary, "baseline", "--headers", f"{base_dir}/baseline/headers.parquet",
             "--inferences", f"{base_dir}/baseline/inferences.parquet", "-o", snap, "-q"], work)

    rows = []  # (n, label, result)
    for n in sizes:
        d = os.path.join(args.data, f"serving-{n}")
        synth(binary, d, n, 2, True)
        h, i, c = (f"{d}/serving/headers.parquet", f"{d}/serving/inferences.parquet",
                   f"{d}/serving/candidate_inferences.parquet")
        out = os.path.join(args.data, "out")
        perf = [binary, "performance", "--baseline", snap, "--inferences", i, "-o", out, "-q",
                "--fail-on", "never"]
        gate = [binary, "gate", "--reference", i, "--candidate", c, "-o", out, "-q"]
        cases = [
            ("performance", perf, work),
            ("performance --headers", perf + ["--headers", h], work),
            ("gate", gate, work),
            ("gate --headers", gate + ["--headers", h], work),
        ]
        if n == max(sizes):
            cases += [
                ("performance --headers, subgroups: []", perf + ["--headers", h], work_flat),
                ("gate --headers, subgroups: []", gate + ["--headers", h], work_flat),
            ]
        for label, cmd, cwd in cases:
            # gate exits 1 when the candidate fails (synth's candidate under-calls the 65+).
            ok = (0, 1) if label.startswith("gate") else (0,)
            r = best_of(cmd, cwd, args.repeats, ok)
            if "--headers" in label and "[]" not in label:
                found = subgroups_in(out)
                if len(found) != EXPECTED_SUBGROUPS:
                    sys.exit(f"{label}: expected {EXPECTED_SUBGROUPS} subgroups, got {sorted(found)}")
            rows.append((n, label, r))
            print(f"{n:>9} {label:<40} {r['wall']:6.2f} s  (runs {r['all_walls']}, "
                  f"load {r['load']:.2f})", file=sys.stderr)

    lines = [f"**Machine**: {machine()}", "",
             f"Baseline: {args.baseline_n:,} cases. Best of {args.repeats}; load = 1-minute "
             "load average just before the best run.", "",
             "| serving cases | command | wall s | CPU s (user+sys) | peak RSS MB | load | "
             f"< {TARGET_S:g} s |",
             "| ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    for n, label, r in rows:
        met = "yes" if r["wall"] < TARGET_S else "**no**"
        lines.append(f"| {n:,} | {label} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss']:.0f} | "
                     f"{r['load']:.2f} | {met} |")
    if len(sizes) > 1:
        lines += ["", "Growth (wall time ratio to the smallest size; n log n would give):", "",
                  "| command | " + " | ".join(f"{n:,}" for n in sizes) + " |",
                  "| --- | " + " | ".join("---:" for _ in sizes) + " |"]
        n0 = sizes[0]
        ideal = [n * math.log(n) / (n0 * math.log(n0)) for n in sizes]
        lines.append("| n log n | " + " | ".join(f"{x:.2f}" for x in ideal) + " |")
        labels = [lb for (n, lb, _) in rows if n == n0]
        for lb in labels:
            t = {n: r["wall"] for (n, l2, r) in rows if l2 == lb}
            lines.append(f"| {lb} | " + " | ".join(f"{t[n] / t[n0]:.2f}" for n in sizes) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.data, "results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
