#!/usr/bin/env bash
# Every 1M-case benchmark of issue 25 in one go, against its target and (for drift) against
# Evidently in the same run; prints one Markdown table (format: docs/performance.md, "All
# benchmarks (bench_all.sh)").
#
#     bash scripts/bench_all.sh [--no-peers] [--repeats N] [--serving-n N]
#
# Binary: POSTMARKET_BIN, or `cargo build --profile dist` (the shipped, fat-LTO binary) and
# target/dist/postmarket. It is copied into the data folder first, so a concurrent build
# cannot swap it mid-run.
#
# Data (bench-data/all-bench/, gitignored, reused), made with the same synth calls as the
# single benchmarks: a 100k-case baseline (synth --tables --slices 1 --scenario none,
# seed 1, as bench_drift.py / bench_audit.sh) and its snapshot (default config, so the
# acquisition clusters are fitted); a serving window of N cases (--scenario none, seed 2,
# --candidate, as bench_performance.py) for drift, gate and cluster; a night of N cases
# with a protocol change (seed 2, as bench_audit.sh) for audit.
#
# Runs, each the whole process under /usr/bin/time -v (read, join, analysis, reports
# written), best wall and highest peak RSS of --repeats (default 3):
#   drift overall         drift with `subgroups: []`                  (≤ 270 MB, ≥ 50× Evidently)
#   drift, subgroups      drift with the default subgroups            (≤ 1.5 s)
#   evidently             DataDriftPreset on the same tables, once     (bench_drift.py --peer)
#   gate --headers        production vs candidate, 10 subgroups (bench_performance.py's config) (≤ 500 MB)
#   cluster               cluster --headers of the serving window       (≤ 400 MB)
#   audit                 audit of the protocol-change night            (≤ 600 MB)
# MB in the table are MiB (GNU time's kilobytes / 1024), as elsewhere in docs/performance.md.
# The 1-minute load average before each command is printed beside it: wall times taken at a
# load above ~1 on this 2-core machine are upper bounds; peak RSS does not depend on it.
# Evidently comes from bench-data/venv-peers (made as bench_drift.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=1
REPEATS=3
N=1000000
while [ $# -gt 0 ]; do
  case $1 in
    --no-peers) PEERS=0 ;;
    --repeats) REPEATS=$2; shift ;;
    --serving-n) N=$2; shift ;;
    *) echo "usage: bash scripts/bench_all.sh [--no-peers] [--repeats N] [--serving-n N]" >&2; exit 2 ;;
  esac
  shift
done
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }
if [ -z "${POSTMARKET_BIN:-}" ]; then
  cargo build --profile dist --quiet
  POSTMARKET_BIN=target/dist/postmarket
fi
DIR=bench-data/all-bench
mkdir -p "$DIR"
BIN=$DIR/postmarket
cp "$POSTMARKET_BIN" "$BIN"
VENV=bench-data/venv-peers
if [ "$PEERS" = 1 ] && ! "$VENV/bin/python" -c 'import evidently' 2> /dev/null; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  grep -E '^(numpy|scipy|pyarrow|pandas|evidently)==' scripts/requirements.txt \
      | xargs "$VENV/bin/pip" install -q
fi

# ---------------------------------------------------------------- data (made once)
if [ ! -f "$DIR/base/baseline/inferences.parquet" ]; then
  "$BIN" --quiet synth --tables --slices 1 --scenario none --cases 100000 --seed 1 -o "$DIR/base"
fi
if [ ! -f "$DIR/snap/manifest.yaml" ]; then
  "$BIN" --quiet baseline --headers "$DIR/base/baseline/headers.parquet" \
      --inferences "$DIR/base/baseline/inferences.parquet" -o "$DIR/snap"
fi
SERVE=$DIR/serve-$N/serving
if [ ! -f "$SERVE/candidate_inferences.parquet" ]; then
  "$BIN" --quiet synth --tables --slices 1 --scenario none --cases "$N" --seed 2 --candidate \
      -o "$DIR/serve-$N"
  rm -rf "$DIR/serve-$N/baseline"
fi
NIGHT=$DIR/night-$N/serving
if [ ! -f "$NIGHT/inferences.parquet" ]; then
  "$BIN" --quiet synth --tables --slices 1 --scenario protocol-change --cases "$N" --seed 2 \
      -o "$DIR/night-$N"
  rm -rf "$DIR/night-$N/baseline"
fi
printf 'subgroups: []\n' > "$DIR/overall.yaml"
printf '{}\n' > "$DIR/default.yaml"
cat > "$DIR/gate.yaml" <<'EOF'
subgroups:
  - {by: patient_sex}
  - {by: patient_age_years, bins: [18, 40, 65]}
  - {name: thick, where: "slice_thickness >= 2.5"}
  - {name: ge, where: 'manufacturer == "GE MEDICAL SYSTEMS"'}
  - {name: siemens, where: 'manufacturer == "SIEMENS"'}
  - {name: philips, where: 'manufacturer == "Philips"'}
  - {name: mr, where: 'modality == "MR"'}
EOF
# Warm the page cache: the first timed run should not be a cold read.
cat "$DIR"/base/baseline/*.parquet "$SERVE"/*.parquet "$NIGHT"/*.parquet > /dev/null

# ---------------------------------------------------------------- measuring
ROWS=()
WALL=""; RSS=""; LOAD=""
measure() {  # repeats, then the command; sets WALL (best s), RSS (highest MiB), LOAD
  local repeats=$1; shift
  WALL=""; RSS=0; LOAD=$(cut -d' ' -f1 /proc/loadavg)
  for _ in $(seq "$repeats"); do
    rm -rf "$DIR/out"
    local rc=0
    DO_NOT_TRACK=1 /usr/bin/time -v "$@" > "$DIR/stdout.log" 2> "$DIR/time.log" || rc=$?
    # gate exits 1 when the candidate fails (synth's candidate under-calls the 65+).
    if [ "$rc" -gt 1 ]; then
      echo "failed ($rc): $*" >&2; tail -20 "$DIR/time.log" >&2; exit 1
    fi
    local s kb
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); v=0; for(i=1;i<=n;i++) v=v*60+t[i]; print v}' "$DIR/time.log")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/time.log")
    if [ -z "$WALL" ] || awk "BEGIN{exit !($s < $WALL)}"; then WALL=$s; fi
    if [ "$kb" -gt "$RSS" ]; then RSS=$kb; fi
  done
  RSS=$((RSS / 1024))
}
met() {  # value, op, limit → yes/no
  awk -v v="$1" -v l="$3" "BEGIN{print (v $2 l) ? \"yes\" : \"**no**\"}"
}
row() {  # command, target text, met, ratio
  ROWS+=("| $1 | $WALL | $RSS | $LOAD | $2 | $3 | ${4:-} |")
  echo "$1: $WALL s, $RSS MiB (load $LOAD)" >&2
}
SNAP=$DIR/snap
OUT=$DIR/out
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

measure "$REPEATS" "$BIN" --quiet --config "$DIR/overall.yaml" drift --baseline "$SNAP" \
    --headers "$SERVE/headers.parquet" --inferences "$SERVE/inferences.parquet" -o "$OUT" --fail-on never
D_WALL=$WALL; D_RSS=$RSS; D_LOAD=$LOAD
measure "$REPEATS" "$BIN" --quiet --config "$DIR/default.yaml" drift --baseline "$SNAP" \
    --headers "$SERVE/headers.parquet" --inferences "$SERVE/inferences.parquet" -o "$OUT" --fail-on never
S_WALL=$WALL; S_RSS=$RSS; S_LOAD=$LOAD
E_WALL=""
if [ "$PEERS" = 1 ]; then
  measure 1 "$VENV/bin/python" scripts/bench_drift.py --peer evidently \
      --reference "$DIR/base/baseline" --current "$SERVE"
  E_WALL=$WALL; E_RSS=$RSS; E_LOAD=$LOAD
fi
WALL=$D_WALL; RSS=$D_RSS; LOAD=$D_LOAD
if [ -n "$E_WALL" ]; then
  RATIO=$(awk -v e="$E_WALL" -v d="$D_WALL" 'BEGIN{printf "%.1f×", e / d}')
  FAST=$(awk -v e="$E_WALL" -v d="$D_WALL" 'BEGIN{print (e / d >= 50) ? "yes" : "**no**"}')
else
  RATIO="(--no-peers)"; FAST="?"
fi
row "drift overall (\`subgroups: []\`)" "≤ 270 MB, ≥ 50× Evidently" "$(met "$RSS" "<=" 270) / $FAST" "$RATIO"
WALL=$S_WALL; RSS=$S_RSS; LOAD=$S_LOAD
row "drift, default subgroups" "≤ 1.5 s" "$(met "$WALL" "<=" 1.5)" \
    "$([ -n "$E_WALL" ] && awk -v e="$E_WALL" -v d="$S_WALL" 'BEGIN{printf "%.1f×", e / d}')"
if [ -n "$E_WALL" ]; then
  WALL=$E_WALL; RSS=$E_RSS; LOAD=$E_LOAD
  row "Evidently 0.7 DataDriftPreset (same tables)" "peer" "" "1.0×"
fi
measure "$REPEATS" "$BIN" --quiet --config "$DIR/gate.yaml" gate \
    --reference "$SERVE/inferences.parquet" --candidate "$SERVE/candidate_inferences.parquet" \
    --headers "$SERVE/headers.parquet" -o "$OUT"
row "gate --headers (10 subgroups)" "≤ 500 MB" "$(met "$RSS" "<=" 500)"
measure "$REPEATS" "$BIN" --quiet --config "$DIR/default.yaml" cluster --baseline "$SNAP" \
    --headers "$SERVE/headers.parquet" -o "$OUT" --fail-on never
row "cluster" "≤ 400 MB" "$(met "$RSS" "<=" 400)"
measure "$REPEATS" "$BIN" --quiet --config "$DIR/default.yaml" audit --baseline "$SNAP" \
    --headers "$NIGHT/headers.parquet" --inferences "$NIGHT/inferences.parquet" -o "$OUT" --fail-on never
row "audit of a night (protocol change)" "≤ 600 MB" "$(met "$RSS" "<=" 600)"

echo
echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $(nproc) cores; binary sha256 $(sha256sum "$BIN" | cut -c1-16);" \
     "$N serving cases, 100k baseline; best wall / highest RSS of $REPEATS (Evidently: 1 run);" \
     "load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall s | peak RSS MiB | load | target | met? | Evidently ÷ this (wall) |"
echo "|---|---:|---:|---:|---|---|---:|"
printf '%s\n' "${ROWS[@]}"
