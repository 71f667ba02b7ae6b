#!/usr/bin/env bash
# The release gate, as the CI jobs beside this script run it: the candidate model against
# production on the same labelled cases (postmarket gate). Writes gate/report.json,
# gate/report.md and gate/junit.xml (one test case per check), then exits with gate's code:
#   0 pass — release may proceed     1 fail — do not release (the JUnit names the checks)
#   2 configuration error            3 unreadable or inconsistent input
#
# Environment:
#   REFERENCE   production's inferences.parquet on the evaluation cases, with labels
#   CANDIDATE   the candidate's inferences.parquet on the same cases (paired by key)
#   HEADERS     optional headers.parquet of those cases: adds the configured subgroups
#   CONFIG      optional postmarket.yaml (gate margins, minimum counts, subgroups)
#   OUT         output folder (default: gate)
#   POSTMARKET  the binary (default: postmarket on PATH)
set -euo pipefail

: "${REFERENCE:?set REFERENCE to production's inferences.parquet}"
: "${CANDIDATE:?set CANDIDATE to the candidate's inferences.parquet}"
out="${OUT:-gate}"

args=()
if [[ -n "${CONFIG:-}" ]]; then args+=(--config "$CONFIG"); fi
args+=(gate --reference "$REFERENCE" --candidate "$CANDIDATE" -o "$out" --junit "$out/junit.xml")
if [[ -n "${HEADERS:-}" ]]; then args+=(--headers "$HEADERS"); fi

mkdir -p "$out"
exec "${POSTMARKET:-postmarket}" --color never "${args[@]}"
