#!/usr/bin/env bash
# End-to-end check of the Spark example (run by tests/it/spark.rs, so by CI):
#
#     bash examples/spark/check.sh [POSTMARKET_BIN]     # default: $POSTMARKET_BIN or postmarket
#
# In a temp folder: `postmarket synth --cases 60 --slices 3` (180 DICOM files a side), a baseline
# snapshot, then examples/spark/scan_job.py with 3 partitions in local mode on
# serving/dicom (with its audit step), and a plain `postmarket scan` of the same folder.
# Asserts that
#   1. the parts' sop_instance_uid are exactly the plain scan's, none twice;
#   2. the audit of the parts folder (`audit --headers parts/`) and the audit of the plain
#      scan (`audit --headers plain.parquet`), both at SOURCE_DATE_EPOCH=1790000000, write
#      byte-identical report.json and report.md.
# Needs Java 17+, python3 with pyspark 4 and pyarrow (.ci/install_spark.sh installs them).
# Exits non-zero with a message on the first mismatch. About 30 s on 2 cores.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${POSTMARKET_BIN:-postmarket}}
if [[ "$BIN" != */* ]]; then
  BIN=$(command -v "$BIN") || { echo "spark check: $1 not found on PATH" >&2; exit 2; }
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "spark check: $BIN is not an executable" >&2; exit 2; }

fail() { echo "spark check: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

"$BIN" scan --help | grep -q -- '--files-from' || fail "$BIN scan has no --files-from"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The temp folder is the working directory: no postmarket.yaml of the caller's is read.
cd "$tmp"
unset POSTMARKET_KEY
export NO_COLOR=1
EPOCH=1790000000
start=$SECONDS

step "synth --cases 60 --slices 3"
"$BIN" synth -o s --cases 60 --slices 3 -q
files=$(find s/serving/dicom -type f | wc -l)
(( files >= 100 )) || fail "synth wrote only $files files under s/serving/dicom"

step "baseline snapshot (plain scan of baseline/dicom + logs)"
"$BIN" scan s/baseline/dicom -o base_headers.parquet -q
"$BIN" logs s/baseline/inferences.jsonl -o base_inferences.parquet -q
"$BIN" baseline --headers base_headers.parquet --inferences base_inferences.parquet \
  -o snap -q
"$BIN" logs s/serving/inferences.jsonl -o inferences.parquet -q

step "Spark job: 3 partitions over serving/dicom ($files files), then its audit of parts/"
# The job's audit step is `postmarket audit --headers parts/ ... --fail-on never`.
if ! SOURCE_DATE_EPOCH=$EPOCH python3 "$HERE/scan_job.py" s/serving/dicom --parts parts \
    --partitions 3 --postmarket "$BIN" \
    --baseline snap --inferences inferences.parquet --audit-out audit_parts \
    >spark.log 2>&1; then
  tail -n 60 spark.log >&2
  fail "the Spark job failed (the end of its log above; the cause is in the last lines)"
fi
grep -E '^(scanned|audit status)' spark.log
[ -f parts/_SUCCESS ] || fail "no parts/_SUCCESS"
nparts=$(find parts -name 'part-*.parquet' | wc -l)
(( nparts == 3 )) || fail "expected 3 parts, found $nparts"

step "plain scan of serving/dicom and its audit"
"$BIN" scan s/serving/dicom -o plain.parquet -q
SOURCE_DATE_EPOCH=$EPOCH "$BIN" audit --baseline snap --headers plain.parquet \
  --inferences inferences.parquet -o audit_plain --fail-on never -q

step "compare the rows: parts/ vs plain.parquet"
python3 - <<'EOF' || fail "the parts' rows are not the plain scan's (see above)"
import collections, glob, sys
import pyarrow.parquet as pq

def uids(path):
    return pq.read_table(path, columns=["sop_instance_uid"]).column(0).to_pylist()

parts = sorted(glob.glob("parts/part-*.parquet"))
spark = [u for p in parts for u in uids(p)]
plain = uids("plain.parquet")
twice = [u for u, n in collections.Counter(spark).items() if n > 1]
missing, extra = set(plain) - set(spark), set(spark) - set(plain)
print(f"parts: {len(spark)} rows in {len(parts)} files; plain scan: {len(plain)} rows")
bad = False
for what, found in (("in two parts or twice", twice), ("missing from the parts", missing),
                    ("only in the parts", extra)):
    if found:
        bad = True
        print(f"{len(found)} uid(s) {what}, e.g. {sorted(found)[:3]}", file=sys.stderr)
if len(plain) != len(set(plain)) or not plain:
    bad = True
    print("the plain scan itself has no rows or repeats a uid", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

step "compare the reports: audit_parts/ vs audit_plain/"
# report.json names no input file (its inputs appear only as counts, and the baseline as
# its snapshot's manifest and file digests, the same snapshot for both), and the time
# fields come from SOURCE_DATE_EPOCH, so the two reports must be byte-identical: nothing
# is stripped before comparing. Should a later report name its --headers paths, strip that
# field here (and say so) rather than loosening the whole comparison.
# The job's parts are contiguous runs of the sorted folders, read back in part order, so
# the rows also come in the plain scan's order. (Parts from `scan --shard`, which
# interleave folders, audit to the same report.md, but some estimated-performance and
# calibration statistics in report.json then differ in the last digits: float sums in row
# order.)
for f in report.json report.md; do
  if ! cmp -s "audit_parts/$f" "audit_plain/$f"; then
    diff "audit_plain/$f" "audit_parts/$f" | head -40 >&2 || true
    fail "audit_parts/$f differs from audit_plain/$f (diff above: < plain, > parts)"
  fi
done

step "profiles: each part a site; postmarket merge against a Spark SQL GROUP BY"
# Three 'sites' (the three parts with the night's inferences), profiled with --min-cell 5.
sites=()
i=0
for part in parts/part-*.parquet; do
  i=$((i + 1))
  "$BIN" profile --baseline snap --headers "$part" --inferences inferences.parquet \
    --site "site-$i" -o "site-$i.parquet" -q
  sites+=("site-$i.parquet")
done
"$BIN" merge "${sites[@]}" -o merged.parquet -q
if ! python3 "$HERE/merge_profiles.py" "${sites[@]}" --out sqlmerged >sql.log 2>&1; then
  tail -n 40 sql.log >&2
  fail "the Spark SQL merge failed"
fi
for m in merged.parquet sqlmerged; do
  SOURCE_DATE_EPOCH=$EPOCH "$BIN" drift --baseline snap --profile "$m" \
    -o "drift_$(basename "$m" .parquet)" --fail-on never -q
done
python3 - <<'EOF' || fail "drift on the SQL merge differs from drift on postmarket merge"
import json, sys
a = json.load(open("drift_merged/report.json"))
b = json.load(open("drift_sqlmerged/report.json"))
if a["checks"] != b["checks"] or a["status"] != b["status"]:
    diff = [x["subject"] for x, y in zip(a["checks"], b["checks"]) if x != y]
    print(f"{len(a['checks'])} vs {len(b['checks'])} checks; differing: {diff[:5]}", file=sys.stderr)
    sys.exit(1)
print(f"drift from merged profiles: {a['status']}, {len(a['checks'])} checks; the same from the SQL merge")
EOF

echo "spark check: OK ($files files, $nparts parts, identical reports, SQL merge = merge) in $((SECONDS - start)) s"
