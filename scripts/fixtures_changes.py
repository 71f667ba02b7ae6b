#!/usr/bin/env python3
"""Reference values for the carriers' overlap test in src/analysis/changes/carriers.rs.

Writes testdata/fixtures/changes_overlap.json with the inputs AND the outputs, so
`cargo test --lib analysis::changes` needs no Python:

    pip install -r scripts/requirements.txt
    python3 scripts/fixtures_changes.py

For two sets of sizes a and b among n serving cases with c in common, the overlap under
independence is hypergeometric: `scipy.stats.hypergeom(M=n, n=a, N=b)`; z is
(c - mean) / sqrt(var). `strength` is (c / min(a, b) - max(a, b) / n) / (1 - max(a, b) / n).
"""

import json
import math
import os

import scipy.stats as st

CASES = [
    # n, a, b, c
    (217, 133, 140, 112),  # the demo's kvp and exposure_mas
    (217, 145, 116, 113),  # the demo's slice_thickness and clusters
    (217, 133, 145, 89),  # the demo's kvp and slice_thickness (apart)
    (200, 80, 70, 70),
    (200, 80, 100, 40),
    (60, 12, 30, 9),
    (1000, 50, 400, 21),
]

rows = []
for n, a, b, c in CASES:
    h = st.hypergeom(M=n, n=a, N=b)
    z = (c - h.mean()) / math.sqrt(h.var())
    small, large = min(a, b), max(a, b)
    strength = (c / small - large / n) / (1 - large / n)
    rows.append({"n": n, "a": a, "b": b, "c": c, "z": z, "strength": strength})

out = os.path.join(os.path.dirname(__file__), "..", "testdata", "fixtures", "changes_overlap.json")
with open(out, "w") as f:
    import scipy  # noqa: E402
    json.dump({"generator": f"scipy {scipy.__version__} stats.hypergeom", "cases": rows}, f, indent=1)
    f.write("\n")
