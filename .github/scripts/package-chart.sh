#!/usr/bin/env bash
# package-chart.sh VERSION IMAGE DIGEST OUTDIR: packages charts/ghes-agent as
# OUTDIR/ghes-agent-VERSION.tgz with version and appVersion VERSION and, as its default values,
# the image that was just pushed: image.registry/repository from IMAGE (host/path) and
# image.digest DIGEST (sha256:…), so `helm install` pulls exactly the released bytes
# (IMAGE:VERSION@DIGEST). The repository's chart is left untouched. Needs helm
# (.cache/tools/bin/helm from test/chart/install-tools.sh, or HELM=...).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=${1:?usage: package-chart.sh VERSION IMAGE DIGEST OUTDIR}
image=${2:?image, e.g. ghcr.io/acme/ghes-agent}
digest=${3:?digest, e.g. sha256:...}
out=${4:?output directory}
helm=${HELM:-$repo/.cache/tools/bin/helm}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "package-chart: version $version is not SemVer" >&2; exit 1; }
[[ $digest =~ ^sha256:[a-f0-9]{64}$ ]] || { echo "package-chart: digest $digest is not sha256:<64 hex>" >&2; exit 1; }
[[ $image =~ ^([a-z0-9.-]+(:[0-9]+)?)/([a-z0-9._/-]+)$ ]] || { echo "package-chart: image $image is not registry/repository" >&2; exit 1; }
registry=${BASH_REMATCH[1]}
repository=${BASH_REMATCH[3]}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/charts/ghes-agent" "$work/ghes-agent"
values="$work/ghes-agent/values.yaml"
# Rewrite the three keys of the top-level `image:` block, keeping every comment.
awk -v reg="$registry" -v rep="$repository" -v dig="$digest" '
  /^[^ #]/ { inimage = ($0 ~ /^image:/) }
  inimage && /^  registry:/   { print "  registry: " reg; n++; next }
  inimage && /^  repository:/ { print "  repository: " rep; n++; next }
  inimage && /^  digest:/     { print "  digest: \"" dig "\""; n++; next }
  { print }
  END { if (n != 3) { print "package-chart: image.registry/repository/digest not found in values.yaml" > "/dev/stderr"; exit 1 } }
' "$repo/charts/ghes-agent/values.yaml" > "$values"
mkdir -p "$out"
"$helm" lint --strict "$work/ghes-agent" -f "$repo/test/chart/values-min.yaml" >&2
"$helm" package "$work/ghes-agent" --version "$version" --app-version "$version" --destination "$out" >&2
pkg="$out/ghes-agent-$version.tgz"
# The package says what it should: its default image is the pushed one.
"$helm" show values "$pkg" | grep -qx "  digest: \"$digest\"" || { echo "package-chart: $pkg does not carry the digest" >&2; exit 1; }
echo "$pkg"
