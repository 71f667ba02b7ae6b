#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with an optimised build.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...] [--seed N]
# Targets: header values charset log-row expr. Failing inputs land in fuzz-failures/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
exec cargo run --quiet --release --example fuzz -- "$seconds" "$@"
