#!/usr/bin/env bash
# How much report.html adds to a nightly audit (issue 14: < 0.5 s on the demo audit).
#
#   bash scripts/bench_html.sh [CASES] [REPEATS]
#
# Runs the release demo (CASES cases, default 1400 as `postmarket demo`), then
# examples/render_html.rs, which audits the demo's last night again through the library
# (history copied, so the trends are drawn) and times each writer on that one Report:
# the median of REPEATS renders (default 20). Also the demo's own wall time, and the size
# of each night's report.html. Figures go in docs/performance.md ("report.html").
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1400}
repeats=${2:-20}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --quiet --example render_html
bin=target/release/postmarket
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s.%N)
SOURCE_DATE_EPOCH=1790000000 "$bin" demo --dir "$dir/demo" --cases "$cases" >/dev/null 2>&1
end=$(date +%s.%N)
echo "demo (synth, scan, logs, baseline, 7 audited nights): $(echo "$end - $start" | bc) s"
echo "report.html per night (bytes):"
for f in "$dir"/demo/out/audit/*/report.html; do
  printf '  %s %s\n' "$(basename "$(dirname "$f")")" "$(stat -c %s "$f")"
done
target/release/examples/render_html "$dir/demo" "$repeats"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
