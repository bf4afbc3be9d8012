#!/usr/bin/env bash
# Every tool `make test` needs beyond npm and Kafka, each cached under .cache/ and installed
# only when missing: helm and the Kubernetes schemas (test/chart), Prometheus and promtool,
# actionlint, Renovate's config schema.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../chart/install-tools.sh"
bash "$here/install-prometheus.sh" >/dev/null
bash "$here/install-actionlint.sh" >/dev/null
bash "$here/fetch-renovate-schema.sh" >/dev/null
