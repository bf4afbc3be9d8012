#!/usr/bin/env bash
# `make image`: builds docker/Dockerfile with buildah (no Docker engine needed).
#
#   1. docker/build-base.sh builds (once, cached) a LOCAL STAND-IN for the pinned base image,
#      tagged with the Dockerfile's name:tag, and prints name:tag@<its own digest>;
#   2. buildah bud --isolation chroot builds the real Dockerfile against it, passing that
#      reference as NODE_IMAGE (everything else in the Dockerfile is what release builds use).
#
# Result: localhost/ghes-agent:<package.json version> (override with IMAGE=...), in the
# buildah storage under .cache/containers (see docker/buildah-env.sh). Needs root and
# Debian's buildah + debootstrap.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/docker/buildah-env.sh"

version=$(node -p "require('$repo/package.json').version")
image=${IMAGE:-localhost/ghes-agent:$version}
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)

[ -f "$repo/package-lock.json" ] || { echo "build-image: package-lock.json is required (npm ci)" >&2; exit 1; }

# Build hosts behind a TLS-intercepting proxy trust an extra CA; npm inside the build needs it
# too. It is passed as a build secret (mounted for the npm steps only, not kept in the image).
build_ca=${BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}
secret_args=()
[ -s "$build_ca" ] && secret_args=(--secret "id=build_ca,src=$build_ca")

base=$(bash "$repo/docker/build-base.sh")
echo "build-image: base stand-in $base" >&2

buildah_cmd bud \
  --isolation chroot \
  --pull=never \
  "${secret_args[@]}" \
  --build-arg "NODE_IMAGE=$base" \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --file "$repo/docker/Dockerfile" \
  --tag "$image" \
  "$repo" >&2
# vfs keeps a full copy per layer: drop the intermediate stages' leftovers.
buildah_cmd rmi --prune >/dev/null 2>&1 || true
echo "$image"
