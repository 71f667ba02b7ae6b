#!/usr/bin/env bash
# Issue 24 evaluation: three injected events on one night; each should be one change.
# Each seed is an independent night: synth writes its serving cases on one day with every
# scenario active from the start (--serving-days 1 --onset 1), a baseline is built from its
# baseline side, and one audit reads the night. Prints each seed's findings and changes,
# then how many seeds gave exactly one change per event.
# Usage: [SC=a,b,c] [N=8] [CASES=600] [MODE=night|window] bash scripts/eval_changes.sh
#   MODE=window: the older protocol — the whole 28-day serving window in one audit, all
#   scenarios from the same day, so every event's cases are the late cases.
set -u
B=${POSTMARKET_BIN:-target/release/postmarket}
SC=${SC:-scanner-upgrade,demographic-shift,silent-model-swap}
EVENTS=$(echo "$SC" | tr ',' '\n' | grep -vc '^none$')
if [ "${MODE:-night}" = night ]; then DAYS="--serving-days 1 --onset 1"; else DAYS=""; fi
ok=0
for seed in $(seq 1 ${N:-8}); do
  d=${TMPDIR:-/tmp}/eval-changes/s$seed; rm -rf $d
  $B -q synth --tables --scenario $SC --cases ${CASES:-600} $DAYS --seed $seed -o $d >/dev/null 2>&1
  $B -q baseline --headers $d/baseline/headers.parquet --inferences $d/baseline/inferences.parquet -o $d/snap >/dev/null 2>&1
  $B -q audit --baseline $d/snap --headers $d/serving/headers.parquet --inferences $d/serving/inferences.parquet -o $d/out --fail-on never >/dev/null 2>&1
  python3 - "$d/out/report.json" "$seed" "$EVENTS" <<'PY' && ok=$((ok+1))
import json, sys
r = json.load(open(sys.argv[1]))
ch = r['changes']
print('seed %s: %d findings -> %d changes:' % (sys.argv[2], len(r['findings']), len(ch)),
      '; '.join('%s %s [%s] (%d)' % (c['id'], c['category'], ','.join(c['features'][:3]), len(c['findings'])) for c in ch))
sys.exit(0 if len(ch) == int(sys.argv[3]) and len({c['category'] for c in ch}) == len(ch) else 1)
PY
done
echo "one change per event (and no two of one category) in $ok of ${N:-8} seeds"
