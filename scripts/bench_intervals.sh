#!/usr/bin/env bash
# Cost of the interval decision rule: `drift` of a 100k baseline against 1M serving cases,
# run by two binaries in alternation on the same tables (a ratio in one session, so the
# machine's load affects both alike). Each binary builds its own snapshot.
#
#     bash scripts/bench_intervals.sh BEFORE_BIN AFTER_BIN [REPEATS]
#
# Data: `synth --tables --scenario none --slices 1` (baseline seed 1, 100k cases; serving
# seed 2, 1M cases) under bench-data/intervals/, made once and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(realpath "$1"); after=$(realpath "$2"); repeats=${3:-3}
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }
out=bench-data/intervals
mkdir -p "$out"
if [ ! -f "$out/base/baseline/inferences.parquet" ]; then
  "$after" synth --tables --scenario none -o "$out/base" --cases 100000 --slices 1 --seed 1 -q
fi
if [ ! -f "$out/serving/serving/inferences.parquet" ]; then
  "$after" synth --tables --scenario none -o "$out/serving" --cases 1000000 --slices 1 --seed 2 -q
  rm -rf "$out/serving/baseline"
fi
for side in before after; do
  bin=$before; [ "$side" = after ] && bin=$after
  rm -rf "$out/snap-$side"
  (cd "$out" && "$bin" baseline --headers base/baseline/headers.parquet \
      --inferences base/baseline/inferences.parquet -o "snap-$side" -q)
done
cat "$out"/serving/serving/*.parquet "$out"/base/baseline/*.parquet > /dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| run | binary | wall s | user s | max RSS MB | checks |\n|---|---|---|---|---|---|\n'
for r in $(seq 1 "$repeats"); do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    log=$(mktemp)
    (cd "$out" && /usr/bin/time -v "$bin" drift --baseline "snap-$side" \
        --headers serving/serving/headers.parquet --inferences serving/serving/inferences.parquet \
        -o "report-$side" -q --fail-on never) 2> "$log"
    wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
    user=$(grep 'User time' "$log" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$log" | awk '{printf "%.0f", $NF/1024}')
    checks=$(python3 -c "import json;print(json.load(open('$out/report-$side/report.json'))['counts']['checks'])")
    echo "| $r | $side | $wall | $user | $rss | $checks |"
    rm -f "$log"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
