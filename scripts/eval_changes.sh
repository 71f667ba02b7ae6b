#!/usr/bin/env bash
# Issue 24 evaluation: three injected events per window; each should be one change.
# Prints each seed's findings and changes. Usage: [SC=a,b,c] [N=8] [CASES=600] bash scripts/eval_changes.sh
set -u
B=${POSTMARKET_BIN:-target/release/postmarket}
SC=${SC:-scanner-upgrade,demographic-shift,silent-model-swap}
for seed in $(seq 1 ${N:-8}); do
  d=${TMPDIR:-/tmp}/eval-changes/s$seed; rm -rf $d
  $B -q synth --tables --scenario $SC --cases ${CASES:-600} --seed $seed -o $d >/dev/null 2>&1
  $B -q baseline --headers $d/baseline/headers.parquet --inferences $d/baseline/inferences.parquet -o $d/snap >/dev/null 2>&1
  $B -q audit --baseline $d/snap --headers $d/serving/headers.parquet --inferences $d/serving/inferences.parquet -o $d/out --fail-on never >/dev/null 2>&1
  python3 -c "
import json,sys
r=json.load(open('$d/out/report.json'))
ch=r['changes']
print('seed $seed: %d findings -> %d changes:'%(len(r['findings']),len(ch)), '; '.join('%s %s [%s] (%d)'%(c['id'],c['category'],','.join(c['features'][:3]),len(c['findings'])) for c in ch))
"
done
