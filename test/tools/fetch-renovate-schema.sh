#!/usr/bin/env bash
# Renovate's JSON schema for its configuration (renovate-schema.json, shipped in the npm
# package `renovate`), fetched with `npm pack` (the package alone, none of its dependencies)
# into .cache/renovate-schema-<version>.json. Idempotent: prints the file's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.env"
out="$repo/.cache/renovate-schema-$RENOVATE_VERSION.json"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$(cd "$tmp" && npm pack --silent "renovate@$RENOVATE_VERSION")
tar -xzf "$tmp/$tgz" -C "$tmp" package/renovate-schema.json
mkdir -p "$(dirname "$out")"
mv "$tmp/package/renovate-schema.json" "$out"
echo "$out"
