#!/usr/bin/env bash
# Debian's prometheus package (the Prometheus server and promtool) for the monitoring tests,
# unpacked into .cache/prometheus-<version>/ and never installed system-wide: `apt-get install`
# would start a Prometheus service on this machine, and the tests start their own. The .deb
# comes from Debian's mirror with apt-get (as root; `apt-get update` once when the package
# lists are missing). Idempotent: prints the bin directory; does nothing when it is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.env"
upstream=${PROMETHEUS_DEB_VERSION%%+*}
dest="$repo/.cache/prometheus-$upstream"
if [ -x "$dest/bin/prometheus" ] && [ -x "$dest/bin/promtool" ]; then
  echo "$dest/bin"; exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"   # apt's _apt user writes the download here
download() { (cd "$tmp" && apt-get download -q "$@" >/dev/null 2>&1); }
# The pinned build first; Debian keeps only the newest build of a release on its mirror, so a
# security rebuild of the same upstream version (…+deb12uN) is accepted too, never another one.
if ! download "prometheus=$PROMETHEUS_DEB_VERSION" && ! download prometheus; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-prometheus: apt-get cannot download prometheus; run as root (apt-get update is needed)" >&2; exit 1
  fi
  echo "install-prometheus: apt-get update" >&2
  apt-get update -qq
  download "prometheus=$PROMETHEUS_DEB_VERSION" || download prometheus || {
    echo "install-prometheus: Debian's mirror has no prometheus package" >&2; exit 1; }
fi
deb=$(ls "$tmp"/prometheus_*.deb)
got=$(dpkg-deb -f "$deb" Version)
if [ "${got%%+*}" != "$upstream" ]; then
  echo "install-prometheus: the mirror serves prometheus $got, not $upstream; update PROMETHEUS_DEB_VERSION in test/tools/versions.env" >&2
  exit 1
fi
[ "$got" = "$PROMETHEUS_DEB_VERSION" ] || echo "install-prometheus: using Debian's rebuild $got of $upstream" >&2
dpkg-deb -x "$deb" "$tmp/root"
mkdir -p "$dest.partial/bin"
cp "$tmp/root/usr/bin/prometheus" "$tmp/root/usr/bin/promtool" "$dest.partial/bin/"
echo "$got" > "$dest.partial/deb-version"
rm -rf "$dest"
mv "$dest.partial" "$dest"
"$dest/bin/prometheus" --version 2>&1 | head -1 >&2
echo "$dest/bin"
