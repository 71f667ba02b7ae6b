#!/usr/bin/env python3
"""Speed of acquisition clustering against scikit-learn (docs/performance.md, "cluster").

A benchmark, not a test.

    cargo build --release
    pip install -r scripts/requirements.txt        # numpy, scikit-learn, pyarrow
    python3 scripts/bench_cluster.py [--repeats 3] [--baseline-cases 100000] [--serving-cases 1000000]

Data: `postmarket synth --tables --scenario none --slices 1` (the baseline side of a
100k-case draw, seed 11; the serving side of a 1M-case draw, seed 12), under
bench-data/bench-cluster/ (gitignored; kept between runs).

postmarket, default features (numeric slice_thickness, pixel_spacing_row, kvp,
exposure_mas; categorical modality, manufacturer_model_name, convolution_kernel):
  - `baseline` on 100k cases with postmarket.yaml `cluster: {k: 8}` (fit on the default
    20k-row sample, 4 k-means++ restarts), with `cluster: {k: 8, sample: 100000}` (fit on
    every row), and with `cluster: {k: 1000000}` (validation fails, the fit is skipped
    with a note): the differences isolate the clustering cost (fit + assigning every
    baseline row + quantiles) from reading Parquet, building cases and writing the snapshot.
  - `cluster` on 1M serving cases (headers only): reads Parquet, builds cases, assigns,
    tests, writes report.json/report.md and novel.parquet.

scikit-learn on the same feature space, built in numpy exactly as postmarket builds it
(numeric: median imputation, standardised with mean and population SD; categorical: one-hot
over the baseline's categories, each column worth 0.5/sqrt(2)); d = 4 + the number of
categories (24 on the synthetic data). `KMeans(n_clusters=8, n_init=1, random_state=0)` fit
on the 100k x d matrix (also n_init=4 on a 20k sample, postmarket's default work); `predict`
on the 1M x d matrix alone, and including `pyarrow.parquet.read_table` and the matrix
construction. Every figure is the median of --repeats runs; the 1-minute load average is
printed with each (the machine is shared).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import numpy as np
import pyarrow.parquet as pq
import sklearn
from sklearn.cluster import KMeans

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NUMERIC = ["slice_thickness", "pixel_spacing_row", "kvp", "exposure_mas"]
CATEGORICAL = ["modality", "manufacturer_model_name", "convolution_kernel"]
WEIGHT = 0.5


def load():
    return os.getloadavg()[0]


def timed(fn, repeats):
    """Median wall time of `repeats` calls, the load average before each, and the last result."""
    times, loads, out = [], [], None
    for _ in range(repeats):
        loads.append(load())
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(loads), out


def run(binary, cwd, *args):
    r = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"postmarket {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


# ------------------------------------------------------------------ scikit-learn side


def read(path):
    return pq.read_table(path, columns=NUMERIC + CATEGORICAL)


def fit_scaler(table):
    """postmarket's scaler: mean, population SD and median of the finite values; the 64
    most frequent categories of each categorical column."""
    numeric = []
    for name in NUMERIC:
        x = table.column(name).to_numpy(zero_copy_only=False).astype(float)
        x = x[np.isfinite(x)]
        numeric.append((name, x.mean(), x.std(), np.median(x)))
    categorical = []
    for name in CATEGORICAL:
        counts = table.column(name).value_counts().to_pylist()
        counts = [c for c in counts if c["values"] is not None]
        counts.sort(key=lambda c: -c["counts"])
        categorical.append((name, [c["values"] for c in counts[:64]]))
    return numeric, categorical


def matrix(table, scaler):
    numeric, categorical = scaler
    w = WEIGHT / np.sqrt(2)
    cols = []
    for name, mean, sd, median in numeric:
        x = table.column(name).to_numpy(zero_copy_only=False).astype(float)
        x = np.where(np.isfinite(x), x, median)
        cols.append((x - mean) / sd)
    for name, categories in categorical:
        # dictionary-encode once, then one-hot by index: a vectorised lookup
        d = table.column(name).combine_chunks().dictionary_encode()
        idx = d.indices.to_numpy(zero_copy_only=False)
        idx = np.where(np.isnan(idx.astype(float)), -1, idx).astype(np.int64) if d.null_count else idx.astype(np.int64)
        dictionary = d.dictionary.to_pylist()
        for c in categories:
            code = dictionary.index(c) if c in dictionary else -2
            cols.append(np.where(idx == code, w, 0.0))
    return np.ascontiguousarray(np.column_stack(cols))


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("POSTMARKET_BIN",
                                                     os.path.join(ROOT, "target/release/postmarket")))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-cases", type=int, default=100_000)
    ap.add_argument("--serving-cases", type=int, default=1_000_000)
    ap.add_argument("--work", default=os.path.join(ROOT, "bench-data/bench-cluster"))
    args = ap.parse_args()
    work, binary = args.work, os.path.abspath(args.bin)
    os.makedirs(work, exist_ok=True)
    nb, ns = args.baseline_cases, args.serving_cases
    res = {"date": datetime.date.today().isoformat(),
           "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                    capture_output=True, text=True).stdout.strip(),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
           "sklearn": sklearn.__version__, "numpy": np.__version__,
           "repeats": args.repeats, "rows": []}

    def row(what, seconds, load_, note=""):
        res["rows"].append({"what": what, "seconds": seconds, "load": load_, "note": note})
        print(f"| {what} | {seconds:.3f} | {load_:.2f} | {note} |", flush=True)

    base = os.path.join(work, f"synth-{nb}")
    serv = os.path.join(work, f"synth-{ns}")
    for d, n, seed in ((base, nb, 11), (serv, ns, 12)):
        if not os.path.exists(os.path.join(d, "serving/headers.parquet")):
            run(binary, work, "synth", "--tables", "--scenario", "none", "-o", d, "--cases", str(n),
                "--slices", "1", "--seed", str(seed), "-q")
    bh, bi = f"{base}/baseline/headers.parquet", f"{base}/baseline/inferences.parquet"
    sh = f"{serv}/serving/headers.parquet"

    print("| step | wall s (median) | load avg 1 min (max) | note |\n|---|---|---|---|")
    configs = {"k8": "cluster: {k: 8}\n",
               "k8-all": f"cluster: {{k: 8, sample: {nb}}}\n",
               "nofit": "cluster: {k: 1000000}\n"}
    for name, yaml in configs.items():
        wd = os.path.join(work, f"wd-{name}")
        os.makedirs(wd, exist_ok=True)
        with open(os.path.join(wd, "postmarket.yaml"), "w") as f:
            f.write(yaml)
        snap = os.path.join(wd, "snap")
        t, l, _ = timed(lambda: run(binary, wd, "baseline", "--headers", bh, "--inferences", bi,
                                    "-o", snap, "-q"), args.repeats)
        has_model = os.path.exists(os.path.join(snap, "cluster.json"))
        note = yaml.strip()
        if has_model:
            with open(os.path.join(snap, "cluster.json")) as f:
                m = json.load(f)
            note += f"; k={m['k']}, fit_rows={m['fit_rows']}, n_runs={m['n_runs']}, inertia={m['inertia']:.0f}"
        else:
            with open(os.path.join(snap, "manifest.yaml")) as f:
                note += "; " + next((ln.strip() for ln in f if "cluster_note" in ln), "no cluster model")
        row(f"postmarket baseline {nb:,} cases", t, l, note)
        res[f"baseline_{name}"] = t
    res["fit_cost"] = res["baseline_k8"] - res["baseline_nofit"]
    res["fit_cost_all"] = res["baseline_k8-all"] - res["baseline_nofit"]
    row("  → clustering cost (k8 − nofit)", res["fit_cost"], load(), "fit on 20k sample ×4 restarts + assign 100k + quantiles")
    row("  → clustering cost (k8-all − nofit)", res["fit_cost_all"], load(), "fit on 100k ×4 restarts + assign 100k + quantiles")

    snap = os.path.join(work, "wd-k8", "snap")
    out = os.path.join(work, "cluster-out")
    t, l, _ = timed(lambda: run(binary, work, "cluster", "--baseline", snap, "--headers", sh,
                                "-o", out, "-q", "--fail-on", "never"), args.repeats)
    with open(os.path.join(out, "report.json")) as f:
        novel = next(c["summary"] for c in json.load(f)["checks"] if c["kind"] == "novel-cases")
    row(f"postmarket cluster {ns:,} cases", t, l, "read Parquet, build cases, assign, tests, write report + novel.parquet; " + novel.split(" lie")[0])
    res["cluster"] = t

    # scikit-learn
    t_read_b, l, tb = timed(lambda: read(bh), args.repeats)
    scaler = fit_scaler(tb)
    t_mat_b, _, Xb = timed(lambda: matrix(tb, scaler), args.repeats)
    row(f"sklearn-side read baseline + build {Xb.shape[0]:,}×{Xb.shape[1]} matrix", t_read_b + t_mat_b, l,
        f"read {t_read_b:.3f} + matrix {t_mat_b:.3f}")
    t, l, km = timed(lambda: KMeans(n_clusters=8, n_init=1, random_state=0).fit(Xb), args.repeats)
    row(f"sklearn KMeans(8, n_init=1).fit {Xb.shape[0]:,}×{Xb.shape[1]}", t, l, f"inertia {km.inertia_:.0f}, {km.n_iter_} iterations")
    res["sk_fit"] = t
    t, l, km4 = timed(lambda: KMeans(n_clusters=8, n_init=4, random_state=0).fit(Xb), args.repeats)
    row(f"sklearn KMeans(8, n_init=4).fit {Xb.shape[0]:,}×{Xb.shape[1]}", t, l, f"inertia {km4.inertia_:.0f}")
    res["sk_fit4"] = t
    sample = np.random.default_rng(0).choice(Xb.shape[0], min(20_000, Xb.shape[0]), replace=False)
    t, l, _ = timed(lambda: KMeans(n_clusters=8, n_init=4, random_state=0).fit(Xb[sample]), args.repeats)
    row("sklearn KMeans(8, n_init=4).fit 20k sample", t, l, "postmarket's default work, without assigning all rows")
    res["sk_fit4_20k"] = t

    t_read_s, l, ts = timed(lambda: read(sh), args.repeats)
    t_mat_s, _, Xs = timed(lambda: matrix(ts, scaler), args.repeats)
    t_pred, l2, labels = timed(lambda: km.predict(Xs), args.repeats)
    row(f"sklearn predict {Xs.shape[0]:,}×{Xs.shape[1]}", t_pred, l2, "matrix in memory")
    row(f"sklearn read + matrix + predict {Xs.shape[0]:,}", t_read_s + t_mat_s + t_pred, max(l, l2),
        f"read {t_read_s:.3f} + matrix {t_mat_s:.3f} + predict {t_pred:.3f}")
    res["sk_predict"] = t_pred
    res["sk_predict_io"] = t_read_s + t_mat_s + t_pred
    # distances + p99 flags too, as postmarket computes them (transform = all k distances)
    t_tr, l3, _ = timed(lambda: km.transform(Xs).min(axis=1), args.repeats)
    row(f"sklearn transform(...).min(1) {Xs.shape[0]:,}", t_tr, l3, "nearest-centroid distance, as needed for novelty")

    print("\nratios (postmarket / scikit-learn; < 1 means postmarket is faster)")
    ratios = {
        "fit: clustering cost (20k×4) / sklearn fit 100k n_init=1": res["fit_cost"] / res["sk_fit"],
        "fit: clustering cost (100k×4) / sklearn fit 100k n_init=1": res["fit_cost_all"] / res["sk_fit"],
        "fit: clustering cost (100k×4) / sklearn fit 100k n_init=4": res["fit_cost_all"] / res["sk_fit4"],
        "assign: cluster command / sklearn predict (in memory)": res["cluster"] / res["sk_predict"],
        "assign: cluster command / sklearn read+matrix+predict": res["cluster"] / res["sk_predict_io"],
    }
    for k, v in ratios.items():
        print(f"  {k}: {v:.2f}")
    res["ratios"] = ratios
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(f"\n{res['machine']}; scikit-learn {sklearn.__version__}, numpy {np.__version__}; commit {res['commit']}")


if __name__ == "__main__":
    main()
