#!/usr/bin/env bash
# release-notes.sh X.Y.Z: the CHANGELOG.md section of that version, without its heading.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=${1:?usage: release-notes.sh X.Y.Z}
awk -v v="$version" '
  index($0, "## [" v "]") == 1 { on = 1; next }
  on && /^## \[/ { exit }
  on { print }
' "$repo/CHANGELOG.md" | sed '/./,$!d'
