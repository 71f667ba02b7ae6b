#!/usr/bin/env bash
# Scale check of `postmarket scan --shard I/N` on a ~20,000-file archive.
#
#     bash scripts/check_shards.sh [POSTMARKET_BIN]     # default: target/release/postmarket
#
# In a temp folder (removed at the end): `synth --cases 2000 --slices 10` (20,000 serving
# DICOM files, 2,000 series folders), a warm-up read of every file, one full
# `scan serving/dicom -j 2`, then the 4 shards `--shard 1/4` .. `4/4`, one after the other,
# each `-j 2` on the same PATH; each timing is the best of RUNS (default 3) runs.
# Asserts with python3 + pyarrow that
#   - no sop_instance_uid is in two shards (or twice in one),
#   - the union of the shards' uids is the full scan's,
#   - the shards' row counts add up to the full scan's.
# Prints the load average before the start and the timings as a Markdown table for the
# docs: full scan, the sum of the 4 shard scans, the slowest shard. Each shard walks the
# whole tree but reads only its own files, so sum/full above 1 is the cost of the walk
# repeated per shard. CASES, SLICES and RUNS (environment) change the size.
# Exits non-zero on any mismatch. Under a minute on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/release/postmarket}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
CASES=${CASES:-2000}
SLICES=${SLICES:-10}
SHARDS=4
JOBS=2
RUNS=${RUNS:-3}
[ -x "$BIN" ] || { echo "check_shards: $BIN is not an executable (build with cargo build --release)" >&2; exit 2; }
fail() { echo "check_shards: FAIL: $*" >&2; exit 1; }
"$BIN" scan --help | grep -q -- '--shard' || fail "$BIN scan has no --shard"

loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before start (1, 5, 15 min): $loadavg"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"   # no postmarket.yaml of the caller's is read
unset POSTMARKET_KEY

echo "== synth --cases $CASES --slices $SLICES"
"$BIN" synth -o s --cases "$CASES" --slices "$SLICES" -q
ARCHIVE=s/serving/dicom
files=$(find "$ARCHIVE" -type f | wc -l)
folders=$(find "$ARCHIVE" -mindepth 1 -type d | wc -l)
(( files == CASES * SLICES )) || fail "expected $((CASES * SLICES)) files under $ARCHIVE, found $files"
echo "$files files in $folders folders under $ARCHIVE"
# Every scan below then reads from the page cache, the first as much as the last.
find "$ARCHIVE" -type f -print0 | xargs -0 cat >/dev/null

now() { date +%s%N; }   # nanoseconds, integer arithmetic (no bc)
# Best of $RUNS wall-clock runs of a command, in nanoseconds, into $best.
timed() {
  local t0 t _
  best=
  for _ in $(seq 1 "$RUNS"); do
    t0=$(now)
    "$@"
    t=$(( $(now) - t0 ))
    if [ -z "$best" ] || (( t < best )); then best=$t; fi
  done
}
echo "== full scan (best of $RUNS)"
timed "$BIN" scan "$ARCHIVE" -o full.parquet -q -j "$JOBS"
full=$best
shard_times=()
for i in $(seq 1 "$SHARDS"); do
  echo "== shard $i/$SHARDS (best of $RUNS)"
  timed "$BIN" scan "$ARCHIVE" --shard "$i/$SHARDS" -o "shard-$i.parquet" -q -j "$JOBS"
  shard_times+=("$best")
done

python3 - "$files" "$loadavg" "$RUNS" "$full" "${shard_times[@]}" <<'EOF' || fail "the shards are not the full scan (see above)"
import collections, sys
import pyarrow.parquet as pq

files, loadavg, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
full, times = int(sys.argv[4]) / 1e9, [int(t) / 1e9 for t in sys.argv[5:]]

def uids(path):
    return pq.read_table(path, columns=["sop_instance_uid"]).column(0).to_pylist()

whole = uids("full.parquet")
shards = [uids(f"shard-{i}.parquet") for i in range(1, len(times) + 1)]
seen = collections.Counter(u for s in shards for u in s)
problems = []
if len(whole) != files:
    problems.append(f"the full scan has {len(whole)} rows for {files} files")
if len(set(whole)) != len(whole):
    problems.append("the full scan itself repeats a uid")
twice = [u for u, n in seen.items() if n > 1]
if twice:
    problems.append(f"{len(twice)} uid(s) in two shards or twice, e.g. {sorted(twice)[:3]}")
if set(seen) != set(whole):
    problems.append(f"{len(set(whole) - set(seen))} uid(s) in no shard, "
                    f"{len(set(seen) - set(whole))} only in shards")
if sum(map(len, shards)) != len(whole):
    problems.append(f"shard rows {[len(s) for s in shards]} add up to "
                    f"{sum(map(len, shards))}, not {len(whole)}")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)

slowest = max(range(len(times)), key=times.__getitem__)
n = len(times)
print(f"""
shards OK: {n} shards, {len(whole)} rows, no uid twice, union = full scan

| `postmarket scan`, {files:,} files, `-j 2`, best of {runs} | seconds |
| --- | ---: |
| full scan | {full:.2f} |
| {n} shards, sum (one after the other) | {sum(times):.2f} ({sum(times) / full:.2f}x the full scan) |
| slowest shard ({slowest + 1}/{n}, {len(shards[slowest]):,} rows) | {max(times):.2f} |
| each shard | {' / '.join(f'{t:.2f}' for t in times)} |

Shard rows: {' / '.join(f'{len(s):,}' for s in shards)}. Load average before the start
(1, 5, 15 min): {loadavg}; {files:,} files from page cache.""")
EOF
