#!/usr/bin/env bash
# release-version.sh vX.Y.Z: prints X.Y.Z when the tag is the version the repository
# declares, and refuses otherwise. One version for everything released: package.json's
# version, the chart's version and appVersion, and a dated CHANGELOG.md section ## [X.Y.Z].
# Bump them together in one pull request (the release checklist in docs/releases.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:?usage: release-version.sh vX.Y.Z}
if ! [[ $tag =~ ^v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]]; then
  echo "release-version: tag $tag is not vMAJOR.MINOR.PATCH[-PRERELEASE]" >&2; exit 1
fi
version=${BASH_REMATCH[1]}
pkg=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json" | head -1)
chart=$(sed -n 's/^version: *\(.*\)$/\1/p' "$repo/charts/ghes-agent/Chart.yaml")
app=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$repo/charts/ghes-agent/Chart.yaml")
fail=0
for pair in "package.json version:$pkg" "Chart.yaml version:$chart" "Chart.yaml appVersion:$app"; do
  if [ "${pair##*:}" != "$version" ]; then echo "release-version: ${pair%%:*} is ${pair##*:}, the tag says $version" >&2; fail=1; fi
done
if ! grep -Eq "^## \[$(printf '%s' "$version" | sed 's/[.]/\\./g')\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" "$repo/CHANGELOG.md"; then
  echo "release-version: CHANGELOG.md has no dated section '## [$version] - YYYY-MM-DD'" >&2; fail=1
fi
[ "$fail" = 0 ] || exit 1
echo "$version"
