#!/usr/bin/env bash
# actionlint (github.com/rhysd/actionlint), built from source with `go install` into
# .cache/go/bin; its module downloads are kept in .cache/go/mod. Idempotent: prints the
# binary's path and does nothing when the pinned version is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.env"
bin="$repo/.cache/go/bin/actionlint"
if [ -x "$bin" ] && [ "$("$bin" --version | head -1)" = "$ACTIONLINT_VERSION" ]; then
  echo "$bin"; exit 0
fi
# Go's own install puts it in /usr/local/go/bin, which a non-login shell may not have on PATH.
command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "install-actionlint: Go 1.24 or later is required (https://go.dev/doc/install)" >&2; exit 1; }
GOBIN="$repo/.cache/go/bin" GOMODCACHE="$repo/.cache/go/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
echo "$bin"
