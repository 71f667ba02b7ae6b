#!/usr/bin/env bash
# False alarms of drift from merged count profiles on independent null nights
# (docs/scale.md): each night is three sites' serving tables from `synth --scenario none`
# with their own seeds, against one baseline; drift runs on the pooled rows and on the
# merged profiles at each --min-cell, and the alerts and warnings are counted.
#
#     bash scripts/profile_null.sh [BIN] [NIGHTS] [CASES_PER_SITE...]   # defaults: target/release/postmarket 30 70 200
#
# With SCENARIO=protocol-change (any synth scenario) the second site's night carries that
# change and the table counts detections (power) instead of false alarms.
set -euo pipefail
BIN=$(realpath "${1:-target/release/postmarket}")
NIGHTS=${2:-30}
shift 2 2>/dev/null || true
SIZES=("${@:-70 200}")
read -r -a SIZES <<<"${SIZES[*]}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export NO_COLOR=1 SOURCE_DATE_EPOCH=1790000000
"$BIN" -q synth --tables -o base --cases 4000 --seed 1
"$BIN" -q baseline --headers base/baseline/headers.parquet --inferences base/baseline/inferences.parquet -o snap
count() { python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['counts']; print(c['alert'], c['warn'])" "$1"; }
echo "scenario at site 2: ${SCENARIO:-none}"
echo "| cases a site (3 sites) | nights | pooled rows: nights with alert / warn | merged, --min-cell 1 | merged, --min-cell 5 | merged, --min-cell 11 |"
echo "| ---: | ---: | --- | --- | --- | --- |"
for n in "${SIZES[@]}"; do
  declare -A alert=() warn=()
  for night in $(seq 1 "$NIGHTS"); do
    rm -rf site-* ./*.parquet out-*
    for s in 1 2 3; do
      scenario=none
      [ "$s" = 2 ] && scenario=${SCENARIO:-none}
      "$BIN" -q synth --tables -o "site-$s" --cases "$n" --seed $((100000 + n * 1000 + night * 3 + s)) \
        --scenario "$scenario"
    done
    "$BIN" -q drift --baseline snap --headers site-{1,2,3}/serving/headers.parquet \
      --inferences site-{1,2,3}/serving/inferences.parquet -o out-pooled --fail-on never
    read -r a w < <(count out-pooled/report.json)
    alert[pooled]=$(( ${alert[pooled]:-0} + (a > 0) )); warn[pooled]=$(( ${warn[pooled]:-0} + (w > 0) ))
    for m in 1 5 11; do
      for s in 1 2 3; do
        "$BIN" -q profile --baseline snap --headers "site-$s/serving/headers.parquet" \
          --inferences "site-$s/serving/inferences.parquet" --site "site-$s" --min-cell "$m" -o "p$s.parquet"
      done
      "$BIN" -q drift --baseline snap --profile p1.parquet p2.parquet p3.parquet -o "out-$m" --fail-on never
      read -r a w < <(count "out-$m/report.json")
      alert[$m]=$(( ${alert[$m]:-0} + (a > 0) )); warn[$m]=$(( ${warn[$m]:-0} + (w > 0) ))
    done
  done
  echo "| $n | $NIGHTS | ${alert[pooled]} / ${warn[pooled]} | ${alert[1]} / ${warn[1]} | ${alert[5]} / ${warn[5]} | ${alert[11]} / ${warn[11]} |"
  unset alert warn
done
