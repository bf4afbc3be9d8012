#!/usr/bin/env bash
# Debian's buildah and debootstrap, which `make image` needs to build without a Docker engine.
# Installs them with apt-get (as root) only when missing, so a second run costs nothing.
set -euo pipefail
missing=()
for tool in buildah debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-build-tools: ${missing[*]} missing; install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-build-tools: apt-get install ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
