#!/usr/bin/env bash
# Benchmark of `postmarket scan` against pydicom, GDCM's gdcmscanner and a raw read floor.
#
# Usage (from anywhere in the repository):
#
#     bash scripts/bench_scan.sh [N_FILES]        # default 20000, a multiple of 4
#
# Builds the release binary, generates N_FILES CT-like DICOM files once under
# bench-data/scan-N/ (gitignored; reused when the count matches), warms the page cache and
# measures, in one run:
#   - postmarket scan --jobs 2 -q (and --jobs 1), best of 3: files/s and peak RSS;
#   - postmarket peak RSS on a 5,000-file subset vs all files, and with the folder listed
#     4 and 8 times (4N and 8N rows; memory must stay flat);
#   - pydicom dcmread(stop_before_pixels=True) into dicts, 1 and 2 processes;
#   - the raw floor: open + read every file fully (Python os.open/os.read);
#   - gdcmscanner (Debian libgdcm-tools) with 25 tags, if installed: best of 3;
#   - peak RSS of scanning testdata/dicom/bad/huge_length.dcm (0xFFFFFFF0 length).
# Wall clock for postmarket and gdcmscanner is the whole process, start-up and Parquet
# writing included; the Python scripts time walk + read only (interpreter start-up
# excluded), which flatters them slightly. Peak RSS comes from GNU time (%M).
#
# Needs: cargo, python3 with pydicom (scripts/requirements.txt), GNU time
# (apt-get install -y time). Optional: pyarrow (row-count check), libgdcm-tools,
# valgrind (massif heap peak of the huge-length file).
# POSTMARKET_BIN=/path/to/postmarket skips the build and benchmarks that binary (e.g. one
# built from a clean `git archive HEAD` while the work tree does not compile).
# Results are printed and also written to bench-data/scan-N/results.md.
set -euo pipefail

N=${1:-20000}
SUBSET=5000
RUNS=3
if (( N % 4 != 0 || N < SUBSET )); then
    echo "N_FILES must be a multiple of 4 and at least $SUBSET" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TIME=/usr/bin/time
if ! "$TIME" -f %M true >/dev/null 2>&1; then
    echo "GNU time is missing: apt-get update && apt-get install -y time" >&2
    exit 2
fi

# dicom-object captures a backtrace for every absent tag looked up; RUST_BACKTRACE=1 makes
# scans slower still, so measure the default environment a user has.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

BIN=${POSTMARKET_BIN:-$ROOT/target/release/postmarket}
WORK=$ROOT/bench-data/scan-$N
DATA=$WORK/baseline/dicom
SMALL=$WORK/subset-$SUBSET
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
RESULTS=$WORK/results.md

if [[ -z ${POSTMARKET_BIN:-} ]]; then
    echo "== build" >&2
    cargo build --release --quiet
fi
echo "binary: $BIN ($("$BIN" --version))" >&2

count_files() { find "$1" -type f | wc -l; }

echo "== data" >&2
if [[ ! -d $DATA ]] || [[ $(count_files "$DATA") -ne $N ]]; then
    rm -rf "$WORK"
    "$BIN" -q synth --scenario none -o "$WORK" --cases $((N / 4)) --slices 4 --matrix 64 --seed 1
    rm -rf "$WORK/serving"    # only the baseline side is scanned
fi
have=$(count_files "$DATA")
if [[ $have -ne $N ]]; then
    echo "expected $N files under $DATA, found $have" >&2
    exit 1
fi
if [[ ! -d $SMALL ]] || [[ $(count_files "$SMALL") -ne $SUBSET ]]; then
    rm -rf "$SMALL"
    # Hard links: the same bytes (and cache pages) as the first $SUBSET files in walk order.
    python3 - "$DATA" "$SMALL" "$SUBSET" <<'EOF'
import os, sys
data, small, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
paths = []
for d, dirs, files in os.walk(data):
    dirs.sort()
    paths += [os.path.join(d, f) for f in sorted(files)]
for p in sorted(paths)[:n]:
    q = os.path.join(small, os.path.relpath(p, data))
    os.makedirs(os.path.dirname(q), exist_ok=True)
    os.link(p, q)
EOF
fi
echo "$N files, $(du -sh --apparent-size "$DATA" | cut -f1) under $DATA" >&2

LOAD=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD" 'BEGIN { exit !(l > 0.5) }'; then
    echo "warning: 1-minute load average is $LOAD; other work (a cargo build?) skews the figures" >&2
fi

echo "== warm the page cache" >&2
find "$DATA" -type f -exec cat {} + >/dev/null

# timed LABEL CMD...: runs CMD under GNU time; sets SECS (wall), RSS_KB, CPU_S (user+sys)
# and RC. A non-zero exit stops the benchmark unless ALLOW_FAIL=1.
timed() {
    local label=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    RC=0
    "$TIME" -f '%M %U %S' -o "$OUT/time" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err" || RC=$?
    t1=$(date +%s%N)
    if (( RC != 0 )) && [[ ${ALLOW_FAIL:-0} != 1 ]]; then
        echo "$label failed (exit $RC):" >&2; cat "$OUT/$label.err" >&2; exit 1
    fi
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    read -r RSS_KB U S < <(tail -1 "$OUT/time")
    CPU_S=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
}

# best LABEL CMD...: best (lowest wall) of $RUNS; sets BEST_SECS, BEST_RSS_KB (max over runs), BEST_CPU_S.
best() {
    local label=$1; shift
    BEST_SECS=""; BEST_RSS_KB=0; BEST_CPU_S=""
    for _ in $(seq "$RUNS"); do
        timed "$label" "$@"
        if [[ -z $BEST_SECS ]] || awk -v a="$SECS" -v b="$BEST_SECS" 'BEGIN { exit !(a < b) }'; then
            BEST_SECS=$SECS; BEST_CPU_S=$CPU_S
        fi
        if (( RSS_KB > BEST_RSS_KB )); then BEST_RSS_KB=$RSS_KB; fi
    done
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
json_field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read())[sys.argv[2]])" "$1" "$2"; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); echo "$1: $2 files/s, $3 s, peak RSS $4 MB, CPU $5 s" >&2; }

echo "== postmarket: correctness" >&2
timed pm-check "$BIN" scan "$DATA" -o "$OUT/headers.parquet" --jobs 2
summary_rows=$(grep -Eo 'headers read[^0-9]*[0-9]+' "$OUT/pm-check.err" | grep -Eo '[0-9]+$' || true)
if python3 -c 'import pyarrow' 2>/dev/null; then
    parquet_rows=$(python3 -c 'import sys, pyarrow.parquet as pq; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)' "$OUT/headers.parquet")
else
    parquet_rows=$summary_rows
fi
echo "summary line: headers read = ${summary_rows:-?}; Parquet rows = $parquet_rows; files = $N" >&2
if [[ $parquet_rows -ne $N ]]; then
    echo "row count $parquet_rows != file count $N" >&2
    exit 1
fi

echo "== postmarket scan --jobs 2" >&2
best pm2 "$BIN" -q scan "$DATA" -o "$OUT/headers.parquet" --jobs 2
PM2=$(rate "$N" "$BEST_SECS"); PM2_RSS=$BEST_RSS_KB
row "postmarket scan --jobs 2 (best of $RUNS)" "$PM2" "$BEST_SECS" "$(mb "$PM2_RSS")" "$BEST_CPU_S"

echo "== postmarket scan --jobs 1" >&2
best pm1 "$BIN" -q scan "$DATA" -o "$OUT/headers.parquet" --jobs 1
PM1=$(rate "$N" "$BEST_SECS")
row "postmarket scan --jobs 1 (best of $RUNS)" "$PM1" "$BEST_SECS" "$(mb "$BEST_RSS_KB")" "$BEST_CPU_S"

echo "== postmarket scan --jobs 2 on $SUBSET files" >&2
best pm-small "$BIN" -q scan "$SMALL" -o "$OUT/small.parquet" --jobs 2
PM_SMALL_RSS=$BEST_RSS_KB
row "postmarket scan --jobs 2, $SUBSET files" "$(rate "$SUBSET" "$BEST_SECS")" "$BEST_SECS" "$(mb "$PM_SMALL_RSS")" "$BEST_CPU_S"

echo "== postmarket peak RSS with the folder listed 4 and 8 times (same files, more rows)" >&2
for k in 4 8; do
    inputs=()
    for _ in $(seq "$k"); do inputs+=("$DATA"); done
    timed "pm-x$k" "$BIN" -q scan "${inputs[@]}" -o "$OUT/repeat.parquet" --jobs 2
    row "postmarket scan --jobs 2, folder ×$k ($((k * N)) rows, 1 run)" "$(rate $((k * N)) "$SECS")" "$SECS" "$(mb "$RSS_KB")" "$CPU_S"
    eval "PM_X${k}_RSS=$RSS_KB"
done

echo "== pydicom" >&2
timed py1 python3 scripts/bench_pydicom.py "$DATA"
PY1=$(json_field "$OUT/py1.out" files_per_s); PY1_ROWS=$(json_field "$OUT/py1.out" rows)
row "pydicom dcmread(stop_before_pixels), 1 process" "${PY1%.*}" "$(json_field "$OUT/py1.out" seconds)" "$(mb "$RSS_KB")" "$CPU_S"
timed py2 python3 scripts/bench_pydicom.py "$DATA" --procs 2
PY2=$(json_field "$OUT/py2.out" files_per_s)
row "pydicom, 2 processes" "${PY2%.*}" "$(json_field "$OUT/py2.out" seconds)" "$(mb "$RSS_KB") (parent)" "$CPU_S"
if [[ $PY1_ROWS -ne $N ]]; then echo "pydicom read $PY1_ROWS rows of $N" >&2; fi

echo "== raw read floor" >&2
timed raw1 python3 scripts/bench_raw.py "$DATA"
RAW1=$(json_field "$OUT/raw1.out" files_per_s)
row "raw open+read (Python os.read), 1 process" "${RAW1%.*}" "$(json_field "$OUT/raw1.out" seconds)" "$(mb "$RSS_KB")" "$CPU_S"
timed raw2 python3 scripts/bench_raw.py "$DATA" --procs 2
RAW2=$(json_field "$OUT/raw2.out" files_per_s)
row "raw open+read, 2 processes" "${RAW2%.*}" "$(json_field "$OUT/raw2.out" seconds)" "$(mb "$RSS_KB") (parent)" "$CPU_S"

GDCM=""
if command -v gdcmscanner >/dev/null; then
    echo "== gdcmscanner" >&2
    tags=()
    for t in 0002,0010 0008,0018 0020,000E 0020,000D 0008,0060 0008,0070 0008,1090 \
             0018,1020 0008,1010 0018,0015 0018,1210 0010,0040 0010,1010 0010,0030 \
             0008,0020 0018,0050 0018,0088 0028,0030 0028,0010 0028,0011 0018,0060 \
             0018,1152 0018,0010 0018,0087 0018,0080 0018,0081; do
        tags+=(-t "$t")
    done
    best gdcm gdcmscanner -d "$DATA" -r "${tags[@]}"
    GDCM=$(rate "$N" "$BEST_SECS")
    row "gdcmscanner -r, $(( ${#tags[@]} / 2 )) tags (1 thread, best of $RUNS)" "$GDCM" "$BEST_SECS" "$(mb "$BEST_RSS_KB")" "$BEST_CPU_S"
else
    echo "gdcmscanner not installed (apt-get install -y libgdcm-tools); skipped" >&2
fi

echo "== huge_length.dcm" >&2
HUGE=testdata/dicom/bad/huge_length.dcm
ALLOW_FAIL=1 timed huge "$BIN" scan "$HUGE" -o "$OUT/huge.parquet" --rejects "$OUT/huge-rejects.parquet"
HUGE_RSS=$RSS_KB
HUGE_REASON=$(python3 -c 'import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]).to_pylist(); print(t[0]["kind"], "-", t[0]["reason"])' "$OUT/huge-rejects.parquet" 2>/dev/null || grep -m1 -i 'length' "$OUT/huge.err" || echo "?")
HUGE_HEAP=""
if command -v valgrind >/dev/null; then
    valgrind --tool=massif --massif-out-file="$OUT/massif.out" \
        "$BIN" -q scan "$HUGE" -o "$OUT/huge2.parquet" >/dev/null 2>&1 || true
    HUGE_HEAP=$(awk -F= '/^mem_heap_B/ { h = $2 } /^mem_heap_extra_B/ { if (h + $2 > m) m = h + $2 } END { printf "%.2f", m / 1048576 }' "$OUT/massif.out")
fi
echo "huge_length.dcm: peak RSS $(mb "$HUGE_RSS") MB, massif heap peak ${HUGE_HEAP:-n/a} MB; reject: $HUGE_REASON" >&2

{
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GiB RAM; load average $LOAD at start, $(cut -d' ' -f1 /proc/loadavg) at end"
    echo
    echo "Command: \`${POSTMARKET_BIN:+POSTMARKET_BIN=$POSTMARKET_BIN }bash scripts/bench_scan.sh $N\` — $N files, $(du -sh --apparent-size "$DATA" | cut -f1), warm cache"
    echo
    echo "| run | files/s | wall s | peak RSS MB | CPU s (user+sys) |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    gdcm_ratio() { if [[ -n $GDCM ]]; then echo "$(ratio "$1" "$GDCM")×"; else echo "n/a"; fi; }
    echo "Ratios (postmarket --jobs 2): /pydicom 1 proc $(ratio "$PM2" "$PY1")×, /pydicom 2 procs $(ratio "$PM2" "$PY2")×," \
         "/gdcmscanner $(gdcm_ratio "$PM2"), /raw 1 proc $(ratio "$PM2" "$RAW1")×, /raw 2 procs $(ratio "$PM2" "$RAW2")×;" \
         "postmarket --jobs 1 /gdcmscanner $(gdcm_ratio "$PM1")."
    echo
    echo "Peak RSS: $(mb "$PM_SMALL_RSS") MB at $SUBSET files, $(mb "$PM2_RSS") MB at $N files," \
         "$(mb "$PM_X4_RSS") MB at $((4 * N)) rows, $(mb "$PM_X8_RSS") MB at $((8 * N)) rows." \
         "huge_length.dcm: $(mb "$HUGE_RSS") MB peak RSS, massif heap peak ${HUGE_HEAP:-n/a} MB ($HUGE_REASON)."
} >"$RESULTS"
echo >&2
cat "$RESULTS"
