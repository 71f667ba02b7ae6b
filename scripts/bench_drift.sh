#!/usr/bin/env bash
# Drift speed benchmark: builds the release binary, puts the peers (Evidently, NannyML,
# SciPy, pandas) at their pinned versions into bench-data/venv-peers, and runs
# scripts/bench_drift.py with any arguments given here. See that file for what it measures.
#
#     bash scripts/bench_drift.sh [--serving-n 250000,1000000,2000000] [--repeats 3]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }
[ -n "${POSTMARKET_BIN:-}" ] || cargo build --release
VENV=bench-data/venv-peers
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
grep -E '^(numpy|scipy|pyarrow|pandas|evidently|nannyml)==' scripts/requirements.txt \
    | xargs "$VENV/bin/pip" install -q
exec "$VENV/bin/python" scripts/bench_drift.py "$@"
