#!/usr/bin/env python3
"""Speed and memory of `postmarket drift` against Evidently, NannyML and plain SciPy.

A benchmark, not a test. Usage (from anywhere in the repository):

    cargo build --release
    python3 -m venv bench-data/venv-peers
    bench-data/venv-peers/bin/pip install -r scripts/requirements.txt   # the peers' pins
    python3 scripts/bench_drift.py [--serving-n 250000,1000000,2000000] [--repeats 3]

or `bash scripts/bench_drift.sh`, which does the three steps. What it measures, in one run:

  - `postmarket baseline` on 100k synthetic cases (synth --tables --slices 1, seed 1);
  - `postmarket drift` of that baseline against serving windows of each --serving-n
    (seed 2), default features and subgroups, model output included: wall time and peak
    RSS of the whole process (read, join, every check, report written), best of --repeats;
  - the same at the largest main size (1M) with `subgroups: []` (overall checks only), to
    show what the subgroups cost;
  - the peers on the SAME 100k vs 1M tables, each in its own process (peak RSS of that
    process, from GNU time): Evidently's DataDriftPreset, NannyML's
    UnivariateDriftCalculator (chunk_number=10), and SciPy per column (ks_2samp for
    numeric, chi2_contingency for categorical), overall only. They get the 12 numeric and
    10 categorical header features plus score and prediction, from the same Parquet files
    (headers joined to inferences on the series UID, as postmarket does).

Peer wall time is the whole process (interpreter start, imports, Parquet read, join,
compute); the compute part alone is printed too. Peak RSS comes from `/usr/bin/time -v`
(apt-get install -y time). Data goes to bench-data/drift-bench/ (gitignored) and is reused.
POSTMARKET_BIN or --bin picks the binary; --peer-python the interpreter with the peers.
Results are printed as Markdown and written to bench-data/drift-bench/results.md.

Internal mode: `bench_drift.py --peer NAME --reference DIR --current DIR` runs one peer
and prints one JSON line; the driver calls it under /usr/bin/time.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

NUMERIC = ["patient_age_years", "slice_thickness", "spacing_between_slices",
           "pixel_spacing_row", "pixel_spacing_col", "rows", "columns", "kvp", "exposure_mas",
           "magnetic_field_strength", "repetition_time", "echo_time"]
CATEGORICAL = ["modality", "manufacturer", "manufacturer_model_name", "software_versions",
               "station_name", "body_part_examined", "convolution_kernel", "patient_sex",
               "contrast_agent", "transfer_syntax_uid"]


# --------------------------------------------------------------------------- peers


def load_cases(folder):
    """headers.parquet joined to inferences.parquet on the series UID, one row per case."""
    import pandas as pd

    h = pd.read_parquet(os.path.join(folder, "headers.parquet"),
                        columns=["series_instance_uid"] + NUMERIC + CATEGORICAL)
    i = pd.read_parquet(os.path.join(folder, "inferences.parquet"),
                        columns=["key", "score", "prediction"])
    df = h.merge(i, left_on="series_instance_uid", right_on="key", how="left")
    df = df.drop(columns=["series_instance_uid", "key"])
    # Booleans and the 0/1 prediction are categories, as postmarket treats them.
    df["contrast_agent"] = df["contrast_agent"].map({True: "yes", False: "no"})
    df["prediction"] = df["prediction"].astype("Int64").astype(str)
    for c in NUMERIC + ["score"]:
        df[c] = df[c].astype("float64")
    return df


def peer_scipy(ref, cur, numeric, categorical):
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2_contingency, ks_2samp

    out = {}
    for c in numeric:
        a, b = ref[c].dropna().to_numpy(), cur[c].dropna().to_numpy()
        out[c] = float(ks_2samp(a, b).pvalue)
    for c in categorical:
        counts = pd.concat([ref[c].value_counts(), cur[c].value_counts()], axis=1).fillna(0)
        counts = counts[(counts.sum(axis=1) > 0)]
        out[c] = float(chi2_contingency(counts.to_numpy().T, correction=False).pvalue) \
            if len(counts) > 1 else 1.0
    return sum(p < 0.05 for p in out.values())


def peer_evidently(ref, cur, numeric, categorical):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    r = Dataset.from_pandas(ref, data_definition=definition)
    c = Dataset.from_pandas(cur, data_definition=definition)
    snapshot = Report(metrics=[DataDriftPreset()]).run(current_data=c, reference_data=r)
    result = snapshot.dict()
    return len(result.get("metrics", []))


def peer_nannyml(ref, cur, numeric, categorical):
    import nannyml as nml

    calc = nml.UnivariateDriftCalculator(
        column_names=numeric + categorical,
        treat_as_categorical=categorical,
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2", "jensen_shannon"],
        chunk_number=10,
    )
    calc.fit(ref)
    result = calc.calculate(cur)
    return int(result.to_df().shape[0])


PEERS = {"scipy": peer_scipy, "evidently": peer_evidently, "nannyml": peer_nannyml}


def run_peer(name, reference, current):
    t0 = time.perf_counter()
    ref, cur = load_cases(reference), load_cases(current)
    t1 = time.perf_counter()
    n = PEERS[name](ref, cur, NUMERIC + ["score"], CATEGORICAL + ["prediction"])
    t2 = time.perf_counter()
    print(json.dumps({"peer": name, "load_s": t1 - t0, "compute_s": t2 - t1, "result": n,
                      "rows": [len(ref), len(cur)]}))


# --------------------------------------------------------------------------- measuring


def timed(cmd, cwd=None, timeout=None):
    """Runs cmd under GNU time: (wall seconds, peak RSS MB, stdout, CPU seconds)."""
    # The peers phone home unless told not to; offline, the retries would be timed.
    env = dict(os.environ, DO_NOT_TRACK="1", NML_DISABLE_USAGE_LOGGING="1")
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True,
                       text=True, timeout=timeout, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", r.stderr).group(1))
              for k in ("User", "System"))
    return wall, rss / 1024.0, r.stdout, cpu


LOADS = []


def best_of(n, cmd, cwd=None, timeout=None):
    LOADS.append(os.getloadavg())
    runs = [timed(cmd, cwd, timeout) for _ in range(n)]
    wall = min(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    # Wall times are listed with the CPU time (user + system) of the same run: on a shared
    # machine the CPU time is the steadier figure.
    return wall, rss, runs[-1][2], [(r[0], r[3]) for r in runs]


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} GB RAM, {platform.system()} {platform.release()}"


def load_note(loads):
    """Other processes share the machine; say how busy it was while we measured."""
    one = [l[0] for l in loads]
    return f"1-min load average {min(one):.1f}–{max(one):.1f} during the run"


# --------------------------------------------------------------------------- driver


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline-n", type=int, default=100_000)
    p.add_argument("--serving-n", default="250000,1000000,2000000",
                   help="serving sizes; the peers run at 1M (or the largest below it)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--peer-repeats", type=int, default=1)
    p.add_argument("--peers", default="scipy,evidently,nannyml")
    p.add_argument("--peer-timeout", type=int, default=1800)
    p.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                   os.path.join(ROOT, "target/release/postmarket")))
    p.add_argument("--peer-python",
                   default=os.path.join(ROOT, "bench-data", "venv-peers", "bin", "python"))
    p.add_argument("--out", default=os.path.join(ROOT, "bench-data", "drift-bench"))
    p.add_argument("--peer", help=argparse.SUPPRESS)
    p.add_argument("--reference", help=argparse.SUPPRESS)
    p.add_argument("--current", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.peer:
        return run_peer(args.peer, args.reference, args.current)

    binary = os.path.abspath(args.bin)
    if not os.path.exists(binary):
        sys.exit(f"no binary at {binary}: run `cargo build --release` or pass --bin")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("GNU time missing: apt-get install -y time")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    sizes = [int(s) for s in args.serving_n.split(",")]
    peer_n = max([s for s in sizes if s <= 1_000_000] or sizes[:1])
    pm = lambda *a: subprocess.run([binary, *a], cwd=out, check=True)
    started = datetime.datetime.now(datetime.timezone.utc)

    # Data, reused across runs: baseline side of seed 1, serving side of seed 2 (and 3, 4…).
    base = os.path.join(out, f"synth-{args.baseline_n}-seed1")
    if not os.path.exists(os.path.join(base, "baseline", "inferences.parquet")):
        pm("synth", "--tables", "--scenario", "none", "-o", base, "--cases",
           str(args.baseline_n), "--slices", "1", "--seed", "1", "-q")
    serving = {}
    for k, n in enumerate(sizes):
        d = os.path.join(out, f"synth-{n}-seed{k + 2}")
        if not os.path.exists(os.path.join(d, "serving", "inferences.parquet")):
            pm("synth", "--tables", "--scenario", "none", "-o", d, "--cases", str(n),
               "--slices", "1", "--seed", str(k + 2), "-q")
            shutil.rmtree(os.path.join(d, "baseline"), ignore_errors=True)
        serving[n] = os.path.join(d, "serving")
    # Warm the page cache so the first timed run is not a cold read.
    for d in [os.path.join(base, "baseline")] + list(serving.values()):
        for f in os.listdir(d):
            with open(os.path.join(d, f), "rb") as fh:
                while fh.read(1 << 24):
                    pass

    loads = [os.getloadavg()]
    rows = []  # (what, serving n, wall, rss, note)
    snap = os.path.join(out, "snapshot")
    shutil.rmtree(snap, ignore_errors=True)
    bcmd = [binary, "baseline", "--headers", f"{base}/baseline/headers.parquet",
            "--inferences", f"{base}/baseline/inferences.parquet", "-o", snap, "-q"]
    wall, rss, _, walls = best_of(args.repeats, bcmd, cwd=out)
    rows.append(("postmarket baseline", args.baseline_n, wall, rss, walls, ""))
    print(f"baseline {args.baseline_n}: {wall:.2f} s, {rss:.0f} MB", flush=True)

    def drift_cmd(n, config=None):
        cmd = [binary, "drift", "--baseline", snap, "--headers", f"{serving[n]}/headers.parquet",
               "--inferences", f"{serving[n]}/inferences.parquet",
               "-o", os.path.join(out, "report"), "-q", "--fail-on", "never"]
        return cmd + (["--config", config] if config else [])

    checks = {}
    for n in sizes:
        wall, rss, _, walls = best_of(args.repeats, drift_cmd(n), cwd=out)
        with open(os.path.join(out, "report", "report.json")) as f:
            counts = json.load(f)["counts"]
        checks[n] = counts["checks"]
        rows.append(("postmarket drift", n, wall, rss, walls, f"{counts['checks']} checks"))
        print(f"drift {n}: {wall:.2f} s, {rss:.0f} MB ({counts})", flush=True)
    no_sub = os.path.join(out, "no-subgroups.yaml")
    with open(no_sub, "w") as f:
        f.write("subgroups: []\n")
    wall, rss, _, walls = best_of(args.repeats, drift_cmd(peer_n, no_sub), cwd=out)
    with open(os.path.join(out, "report", "report.json")) as f:
        n_checks = json.load(f)["counts"]["checks"]
    rows.append(("postmarket drift, `subgroups: []`", peer_n, wall, rss, walls,
                 f"{n_checks} checks"))
    print(f"drift {peer_n} without subgroups: {wall:.2f} s, {rss:.0f} MB", flush=True)

    peer_rows = []
    for name in [s for s in args.peers.split(",") if s]:
        cmd = [args.peer_python, os.path.abspath(__file__), "--peer", name,
               "--reference", f"{base}/baseline", "--current", serving[peer_n]]
        try:
            wall, rss, stdout, walls = best_of(args.peer_repeats, cmd, cwd=out,
                                               timeout=args.peer_timeout)
            info = json.loads(stdout.strip().splitlines()[-1])
            note = f"load+join {info['load_s']:.1f} s, compute {info['compute_s']:.1f} s"
            peer_rows.append((name, peer_n, wall, rss, walls, note))
            print(f"{name} {peer_n}: {wall:.2f} s, {rss:.0f} MB ({note})", flush=True)
        except Exception as e:  # a peer that fails is a result too
            msg = str(e).strip().splitlines()
            note = "failed: " + (msg[-1] if msg else type(e).__name__)
            peer_rows.append((name, peer_n, None, None, [], note[:300]))
            print(f"{name}: {note}", flush=True)

    loads.extend(LOADS + [os.getloadavg()])
    ref = next(r for r in rows if r[0] == "postmarket drift" and r[1] == peer_n)
    lines = [f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; binary sha256 "
             f"{subprocess.run(['sha256sum', binary], capture_output=True, text=True).stdout[:16]}.",
             f"Command: `python3 scripts/bench_drift.py --serving-n {args.serving_n} "
             f"--repeats {args.repeats} --peer-repeats {args.peer_repeats}`. "
             f"Baseline {args.baseline_n:,} cases; {load_note(loads)}.", "",
             "| tool | serving cases | wall (best) | all runs: wall / CPU s | peak RSS | × postmarket wall | × postmarket RSS | note |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"]
    for what, n, wall, rss, walls, note in rows + peer_rows:
        if wall is None:
            lines.append(f"| {what} | {n:,} | — | — | — | — | — | {note} |")
            continue
        ratio = (f"{wall / ref[2]:.1f}×", f"{rss / ref[3]:.1f}×") if n == peer_n else ("", "")
        lines.append(f"| {what} | {n:,} | {wall:.2f} s | {', '.join(f'{w:.1f}/{c:.1f}' for w, c in walls)} "
                     f"| {rss:.0f} MB | {ratio[0]} | {ratio[1]} | {note} |")
    drift_rows = [r for r in rows if r[0] == "postmarket drift"]
    if len(drift_rows) >= 2:
        lines.append("")
        lines.append("Scaling of `postmarket drift` with serving size (n log n predicts "
                     "time ratio ≈ size ratio × log ratio):")
        lines.append("")
        import math
        (_, n0, w0, r0, _, _) = drift_rows[0]
        for (_, n, w, r, _, _) in drift_rows[1:]:
            pred = n / n0 * math.log(n) / math.log(n0)
            lines.append(f"- {n0:,} → {n:,} ({n / n0:.0f}×): wall {w / w0:.2f}× "
                         f"(n log n bound {pred:.2f}×), RSS {r / r0:.2f}×")
    text = "\n".join(lines)
    print()
    print(text)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
