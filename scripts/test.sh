#!/bin/sh
# `npm test`: every check, in order from fastest to slowest, with the time of each phase.
# Runs inside scripts/env.sh, so Node 22 and the dependencies are already in place.
set -eu
TOTAL_START=$(date +%s)
phase() {
  name=$1; shift
  echo ""
  echo "=== $name ==="
  start=$(date +%s)
  "$@"
  echo "--- $name: $(( $(date +%s) - start )) s"
}
phase "types (svelte-check, server, scripts)" sh -c 'svelte-kit sync && svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --threshold warning && tsc -p server/tsconfig.json && tsc -p tsconfig.node.json'
phase "unit tests (vitest)" vitest run
phase "end-to-end tests (playwright, real stack)" playwright test
echo ""
echo "=== npm test passed in $(( $(date +%s) - TOTAL_START )) s ==="
