#!/usr/bin/env python3
"""Generate scikit-learn reference values for the k-means and silhouette code in
src/analysis/cluster/.

Writes testdata/fixtures/cluster.json holding the inputs AND the scikit-learn outputs, so
`cargo test --lib analysis::cluster` needs no Python. Re-run after changing a case:

    pip install -r scripts/requirements.txt
    python3 scripts/fixtures_cluster.py

Every case is seeded; running twice gives the same file. Inputs are rounded before they are
used, so the JSON holds exactly the numbers scikit-learn saw.

k-means cases start from GIVEN centroids (`init`), run Lloyd with n_init=1 and tol=0 (stop
when no label changes), and record the final centroids, labels, inertia and `predict` on
serving points. Silhouette cases record `silhouette_score` (euclidean) for a few labelings,
including one with a singleton cluster (scikit-learn scores its member 0) and one on
integer data with duplicated rows (so scikit-learn's dot-product distances are exact).
"""

import json
import os
import platform

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "fixtures", "cluster.json")


def blobs(rng, centers, n_per, sd, digits):
    centers = np.asarray(centers, dtype=float)
    xs = [c + sd * rng.standard_normal((n_per, centers.shape[1])) for c in centers]
    truth = np.repeat(np.arange(len(centers)), n_per)
    x = np.round(np.vstack(xs), digits)
    order = rng.permutation(len(x))
    return x[order], truth[order]


def kmeans_case(name, x, init, serving, max_iter=300):
    km = KMeans(
        n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=max_iter
    )
    km.fit(x)
    return {
        "name": name,
        "max_iter": max_iter,
        "x": x.tolist(),
        "init": init.tolist(),
        "centroids": km.cluster_centers_.tolist(),
        "labels": km.labels_.tolist(),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "serving": serving.tolist(),
        "serving_labels": km.predict(serving).tolist(),
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    sil = []

    # 1. Three well-separated blobs, 300 x 4; init from three data points.
    x, truth = blobs(rng, [[0, 0, 0, 0], [8, 8, 0, 0], [0, 8, 8, -4]], 100, 1.0, 4)
    init = x[rng.choice(len(x), 3, replace=False)]
    serving, _ = blobs(rng, [[0, 0, 0, 0], [8, 8, 0, 0], [0, 8, 8, -4]], 20, 1.5, 4)
    cases.append(kmeans_case("separated_blobs_300x4", x, init, serving))
    sil.append({"name": "separated_blobs_truth", "x": "separated_blobs_300x4",
                "labels": truth.tolist(), "score": float(silhouette_score(x, truth))})
    rand_labels = rng.integers(0, 3, len(x))
    sil.append({"name": "separated_blobs_random_labels", "x": "separated_blobs_300x4",
                "labels": rand_labels.tolist(), "score": float(silhouette_score(x, rand_labels))})
    single = truth.copy()
    single[0] = 3  # a singleton cluster
    sil.append({"name": "separated_blobs_singleton", "x": "separated_blobs_300x4",
                "labels": single.tolist(), "score": float(silhouette_score(x, single))})

    # 2. Overlapping blobs, 500 x 6, k = 4; init from random data points.
    centers = rng.normal(0, 1.6, (4, 6))
    x, _ = blobs(rng, centers, 125, 1.0, 3)
    init = x[rng.choice(len(x), 4, replace=False)]
    serving = np.round(rng.normal(0, 2.0, (100, 6)), 3)
    case = kmeans_case("overlapping_blobs_500x6", x, init, serving)
    cases.append(case)
    sil.append({"name": "overlapping_blobs_kmeans", "x": "overlapping_blobs_500x6",
                "labels": case["labels"], "score": float(silhouette_score(x, case["labels"]))})

    # 3. Integer grid with many duplicated rows (ties), 160 x 2, k = 3.
    base = np.vstack([
        rng.integers(0, 4, (60, 2)),
        rng.integers(10, 13, (60, 2)),
        np.column_stack([rng.integers(0, 3, 40), rng.integers(9, 12, 40)]),
    ]).astype(float)
    x = base[rng.permutation(len(base))]
    init = np.array([[1.0, 1.0], [11.0, 11.0], [1.0, 10.0]])
    serving = rng.integers(-2, 15, (60, 2)).astype(float)
    case = kmeans_case("integer_ties_160x2", x, init, serving)
    cases.append(case)
    sil.append({"name": "integer_ties_kmeans", "x": "integer_ties_160x2",
                "labels": case["labels"], "score": float(silhouette_score(x, case["labels"]))})

    out = {
        "generated_by": "scripts/fixtures_cluster.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__},
        "kmeans": cases,
        "silhouette": sil,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
