#!/usr/bin/env bash
# Speed and memory of `postmarket audit` on a 1M-case night, against `drift` on the same
# tables in the same run (the reference: drift is one of the analyses audit runs).
#
#     bash scripts/bench_audit.sh [SERVING_N] [REPEATS]        # defaults 1000000 3
#
# Data (bench-data/audit-bench/, gitignored, reused): a 100k-case baseline (synth --tables
# --slices 1 --scenario none, seed 1) and a serving window of SERVING_N cases (scenario
# protocol-change, seed 2). Measured, best of REPEATS, whole process under /usr/bin/time -v
# (read, join, every analysis, reports written): drift; audit; audit with --window and
# --history (the history cleared before each run, so each is its first night).
# Default config and subgroups. Prints a Markdown table; check the load average first.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEATS=${2:-3}
BIN=${POSTMARKET_BIN:-target/release/postmarket}
[ -n "${POSTMARKET_BIN:-}" ] || cargo build --release --quiet
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }
DIR=bench-data/audit-bench
mkdir -p "$DIR"
if [ ! -d "$DIR/snap" ]; then
  "$BIN" --quiet synth --tables --slices 1 --scenario none --cases 100000 --seed 1 -o "$DIR/base"
  "$BIN" --quiet baseline --headers "$DIR/base/baseline/headers.parquet" \
      --inferences "$DIR/base/baseline/inferences.parquet" -o "$DIR/snap"
fi
if [ ! -d "$DIR/serve-$N" ]; then
  "$BIN" --quiet synth --tables --slices 1 --scenario protocol-change --cases "$N" --seed 2 \
      -o "$DIR/serve-$N"
fi
H="$DIR/serve-$N/serving/headers.parquet"
I="$DIR/serve-$N/serving/inferences.parquet"
measure() {  # label, then the command; prints "label|best s|peak MiB"
  local label=$1; shift
  local best_s="" best_kb=""
  for _ in $(seq "$REPEATS"); do
    rm -rf "$DIR/out" "$DIR/history"
    /usr/bin/time -v "$@" > /dev/null 2> "$DIR/time.log" || [ $? -eq 1 ]
    local s kb
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); v=0; for(i=1;i<=n;i++) v=v*60+t[i]; print v}' "$DIR/time.log")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/time.log")
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
    if [ -z "$best_kb" ] || [ "$kb" -lt "$best_kb" ]; then best_kb=$kb; fi
  done
  echo "| $label | $best_s | $((best_kb / 1024)) |"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); binary $(sha256sum "$BIN" | cut -c1-16); $N serving cases, 100k baseline"
echo
echo "| command | wall s (best of $REPEATS) | peak RSS MiB |"
echo "|---|---|---|"
measure "drift (reference)" "$BIN" --quiet drift --baseline "$DIR/snap" --headers "$H" --inferences "$I" -o "$DIR/out" --fail-on never
measure "audit" "$BIN" --quiet audit --baseline "$DIR/snap" --headers "$H" --inferences "$I" -o "$DIR/out" --fail-on never
measure "audit --window --history" "$BIN" --quiet audit --baseline "$DIR/snap" --headers "$H" --inferences "$I" -o "$DIR/out" --fail-on never \
    --window 2000-01-01T00:00:00Z..2100-01-01T00:00:00Z --history "$DIR/history"
