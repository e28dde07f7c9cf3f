#!/bin/sh
# `npm test`: every check, in order from fastest to slowest, with the time of each phase.
# Runs inside scripts/env.sh, so Node 22 and the dependencies are already in place.
#
# The browser engines (Chromium, Firefox, the WebKit suite) are projects of one Playwright
# run, so the stack starts once for all of them; the run prints each engine's time.
# MICROCLIMATE_BROWSERS=chromium,firefox,webkit (any of them) picks engines; arguments go
# to Playwright, e.g. `npm test -- --project=firefox`.
#
# The default is all three: the whole suite in Chromium and again in Firefox, the WebKit
# suite, and the Chromium <-> Firefox call (run by the Chromium project).
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
projects=""
for engine in $(echo "${MICROCLIMATE_BROWSERS:-chromium,firefox,webkit}" | tr ',' ' '); do
  case $engine in
    chromium|firefox|webkit) projects="$projects --project=$engine" ;;
    *) echo "MICROCLIMATE_BROWSERS: unknown engine '$engine' (use chromium, firefox, webkit)" >&2; exit 2 ;;
  esac
done
phase "types (svelte-check, server, scripts)" sh -c 'svelte-kit sync && svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --threshold warning && tsc -p server/tsconfig.json && tsc -p tsconfig.node.json'
# Promises nobody awaits or handles (eslint.config.js: typescript-eslint's type-aware
# no-floating-promises and no-misused-promises over server/ and src/, Svelte files too).
phase "lint (eslint, type-aware promise rules)" eslint
# The contract: buf's STANDARD lint, and no breaking change against the last released
# contract (proto/released.binpb, a committed buf image; README "Changing the contract").
phase "contract (buf lint, buf breaking against proto/released.binpb)" sh -c 'buf lint && buf breaking --against proto/released.binpb'
phase "tools (Envoy, LiveKit into .tools: built once on a fresh clone)" tsx scripts/stack/install-tools.ts
phase "unit tests (vitest)" vitest run
# shellcheck disable=SC2086 # $projects is a list of options
if [ $# -gt 0 ]; then set -- "$@"; else set -- $projects; fi
phase "end-to-end tests (playwright, real stack: $(echo "${MICROCLIMATE_BROWSERS:-chromium,firefox,webkit}" | tr ',' ' ') — per-engine times above)" playwright test "$@"
# The replicated stack (Redis, 2 API replicas, 2 LiveKit nodes; README "Running more than one
# of each"), started once for its own suite (every file in tests/scale) after the main
# suite's stack is down.
phase "scale tests (playwright, replicated stack, Chromium)" playwright test -c playwright.scale.config.ts
# The production rehearsal (`npm start -- --production`: https names behind one front door
# on 443, a local CA, the app as a discoverable OAuth client, no dev mode; README
# "Deploying"), started once for its own suite (tests/production). Binding 443 needs root
# (CI is) or `sudo sysctl -w net.ipv4.ip_unprivileged_port_start=443`.
# Chromium and Firefox (of MICROCLIMATE_BROWSERS; WebKit cannot make calls here), one stack.
production_projects=""
for engine in $(echo "${MICROCLIMATE_BROWSERS:-chromium,firefox}" | tr ',' ' '); do
  case $engine in chromium|firefox) production_projects="$production_projects --project=$engine" ;; esac
done
if [ -n "$production_projects" ]; then
  # shellcheck disable=SC2086 # a list of options
  phase "production rehearsal tests (playwright, production-shaped stack:$(echo "$production_projects" | sed 's/--project=/ /g'))" playwright test -c playwright.production.config.ts $production_projects
fi
echo ""
echo "=== npm test passed in $(( $(date +%s) - TOTAL_START )) s ==="
