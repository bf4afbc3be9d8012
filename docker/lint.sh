#!/usr/bin/env bash
# hadolint on docker/Dockerfile (config: docker/hadolint.yaml). Exit code is hadolint's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
hadolint=$(bash "$repo/docker/install-hadolint.sh")
"$hadolint" --config "$repo/docker/hadolint.yaml" "$repo/docker/Dockerfile"
echo "hadolint: docker/Dockerfile OK"
