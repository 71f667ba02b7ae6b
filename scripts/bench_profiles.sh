#!/usr/bin/env bash
# Sizing of count profiles (docs/scale.md): three sites' nights against one baseline,
# drift on the pooled rows against drift on the merged profiles, and the profiles' size.
#
#     bash scripts/bench_profiles.sh [BIN] [CASES_PER_SITE]    # defaults: target/release/postmarket 100000
#
# Prints the load average first (measure on a quiet machine) and a Markdown table.
set -euo pipefail
BIN=$(realpath "${1:-target/release/postmarket}")
N=${2:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export NO_COLOR=1 SOURCE_DATE_EPOCH=1790000000
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" -q synth --tables -o base --cases 20000 --seed 1
"$BIN" -q baseline --headers base/baseline/headers.parquet --inferences base/baseline/inferences.parquet -o snap
for s in a b c; do
  seed=$((RANDOM % 1000 + 10))
  scenario=none; [ "$s" = b ] && scenario=protocol-change
  "$BIN" -q synth --tables -o "site-$s" --cases "$N" --seed "$seed" --scenario "$scenario"
done
# seconds and peak RSS (MB) of one command, best of 3
measure() {
  local best=999999 rss=0 t r
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o t.txt "$@" >/dev/null 2>&1 || true
    read -r t r < t.txt
    if (( $(echo "$t < $best" | bc) )); then best=$t; rss=$r; fi
  done
  echo "$best $((rss / 1024))"
}
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
echo
echo "| step ($N cases a site, 3 sites, 20,000-case baseline) | seconds (best of 3) | peak RSS MB |"
echo "| --- | ---: | ---: |"
read -r t r < <(measure "$BIN" -q profile --baseline snap --headers site-a/serving/headers.parquet \
  --inferences site-a/serving/inferences.parquet --site site-a -o a.parquet)
row "profile, one site" "$t" "$r"
for s in b c; do
  "$BIN" -q profile --baseline snap --headers "site-$s/serving/headers.parquet" \
    --inferences "site-$s/serving/inferences.parquet" --site "site-$s" -o "$s.parquet"
done
read -r t r < <(measure "$BIN" -q merge a.parquet b.parquet c.parquet -o merged.parquet)
row "merge, 3 profiles" "$t" "$r"
read -r t r < <(measure "$BIN" -q drift --baseline snap --profile merged.parquet -o dm --fail-on never)
row "drift --profile merged" "$t" "$r"
read -r t r < <(measure "$BIN" -q drift --baseline snap --headers site-{a,b,c}/serving/headers.parquet \
  --inferences site-{a,b,c}/serving/inferences.parquet -o dp --fail-on never)
row "drift on the pooled rows" "$t" "$r"
echo
for f in a.parquet merged.parquet; do
  cells=$(python3 -c "import pyarrow.parquet as pq; print(pq.read_metadata('$f').num_rows)" 2>/dev/null || echo "?")
  echo "$f: $(stat -c %s "$f") bytes, $cells cells"
done
echo "rows: site-a headers $(stat -c %s site-a/serving/headers.parquet) bytes + inferences $(stat -c %s site-a/serving/inferences.parquet) bytes"
python3 - <<'PY'
import json
a = json.load(open("dm/report.json")); b = json.load(open("dp/report.json"))
print(f"merged: {a['status']} ({a['counts']}); pooled: {b['status']} ({b['counts']})")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
