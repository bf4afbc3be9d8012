#!/usr/bin/env bash
# Checks the built image the way the chart runs it (see run-image.sh): uid 10001, read-only
# root, config as a mounted YAML file, secrets as mounted files. Prints one line per check and
# "N passed, N failed"; exits non-zero on any failure.
#   bash docker/build-image.sh && bash test/image/run-image-test.sh
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/docker/buildah-env.sh"
version=$(node -p "require('$repo/package.json').version")
export IMAGE=${IMAGE:-localhost/ghes-agent:$version}
run="$repo/test/image/run-image.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Secret values that must never show up in output.
port_secret="port-secret-$RANDOM$RANDOM"
gh_token="ghs_token_$RANDOM$RANDOM"
kafka_pw="kafka-pw-$RANDOM$RANDOM"
mkdir -p "$work/secrets"
printf '%s' "$port_secret" >"$work/secrets/port-client-secret"
printf '%s' "$gh_token" >"$work/secrets/github-token"
printf '%s' "$kafka_pw" >"$work/secrets/kafka-password"
# As Kubernetes mounts them with fsGroup 10001 and defaultMode 0440: root-owned, group-readable.
chown -R 0:10001 "$work/secrets" && chmod 0550 "$work/secrets" && chmod 0440 "$work/secrets"/*
cat >"$work/agent.yaml" <<YAML
port:
  orgId: org_imagetest
  clientId: image-test-client
  apiUrl: http://127.0.0.1:1
kafka:
  brokers: ["127.0.0.1:1"]
  username: org_imagetest
  ssl: false
github:
  url: http://127.0.0.1:2
policy:
  allow:
    - org: acme
      repo: "*"
      workflow: "*.yml"
server:
  host: 127.0.0.1
  port: 19090
YAML
chmod 0444 "$work/agent.yaml"
secret_env=(-e GHES_AGENT_PORT_CLIENT_SECRET_FILE=/etc/ghes-agent/secrets/port-client-secret
  -e GHES_AGENT_GITHUB_TOKEN_FILE=/etc/ghes-agent/secrets/github-token
  -e GHES_AGENT_KAFKA_PASSWORD_FILE=/etc/ghes-agent/secrets/kafka-password)
in_image() { bash "$run" -c "$work/agent.yaml" -s "$work/secrets" "${secret_env[@]}" -- "$@"; }

passed=0 failed=0
check() { # check NAME EXPECTED-EXIT COMMAND...  (output kept in $out)
  local name=$1 want=$2; shift 2
  out=$("$@" 2>&1); local rc=$?
  if [ "$rc" = "$want" ]; then passed=$((passed + 1)); echo "ok - $name"
  else failed=$((failed + 1)); echo "not ok - $name (exit $rc, wanted $want)"; echo "$out" | sed 's/^/    /' | tail -20; fi
}
expect() { # expect NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok - $name"; else failed=$((failed + 1)); echo "not ok - $name"; echo "$out" | sed 's/^/    /' | tail -20; fi
}

check "image $IMAGE exists" 0 buildah_cmd inspect --type image "$IMAGE"
# buildah 1.28's --format has no json function: read the whole inspect document with node.
meta=$(buildah_cmd inspect --type image "$IMAGE" 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const c = JSON.parse(s).OCIv1.config;
    const l = c.Labels || {};
    console.log([l["org.opencontainers.image.version"], l["org.opencontainers.image.source"] ? "source" : "", l["org.opencontainers.image.revision"] ? "revision" : "", c.User, JSON.stringify(c.Cmd)].join("|"));
  });')
out=$meta
expect "OCI labels version/source/revision set" [ "$(cut -d'|' -f1-3 <<<"$meta")" = "$version|source|revision" ]
expect "image USER is numeric 10001" [ "$(cut -d'|' -f4 <<<"$meta")" = "10001:10001" ]
expect "CMD starts node directly" [ "$(cut -d'|' -f5 <<<"$meta")" = '["node","dist/agent/main.js"]' ]

check "runs as uid/gid 10001" 0 in_image sh -c 'test "$(id -u):$(id -g)" = 10001:10001'
check "root filesystem is read-only" 1 in_image sh -c 'touch /app/x 2>/dev/null || touch /x 2>/dev/null'
check "/tmp is writable" 0 in_image sh -c 'echo x > /tmp/probe && test -s /tmp/probe'
check "app holds only dist, node_modules, package.json" 0 in_image sh -c 'test "$(ls /app | tr "\n" " ")" = "dist node_modules package.json "'
check "application files are owned by root" 0 in_image sh -c 'test -z "$(find /app ! -user 0 -print -quit)"'
check "no dev dependencies in node_modules" 0 in_image sh -c 'for d in typescript tsx @types/node @octokit/openapi; do test ! -e node_modules/$d || { echo "found $d"; exit 1; }; done'
node_version=$(tr -d ' \t\r\n' <"$repo/.nvmrc")
check "node is v${node_version#v}, the version of .nvmrc the tests run on" 0 in_image sh -c "test \"\$(node --version)\" = v${node_version#v}"
check "production dependencies resolve" 0 in_image node -e 'for (const m of ["kafkajs","convict","prom-client","winston","yaml","undici","@octokit/core"]) import(m).catch((e) => { console.error(m, e.message); process.exit(1); })'
check "secrets readable by uid 10001" 0 in_image sh -c 'cat /etc/ghes-agent/secrets/port-client-secret >/dev/null'
check "dist/agent/main.js is in the image" 0 in_image test -f dist/agent/main.js
check "the V8 heap is bounded for 10,000 runs in flight (NODE_OPTIONS)" 0 in_image node -e 'const mb = require("node:v8").getHeapStatistics().heap_size_limit / 2 ** 20; if (mb < 150 || mb > 200) { console.error(mb); process.exit(1); }'
check "glibc malloc thresholds are fixed" 0 in_image sh -c 'test "$MALLOC_MMAP_THRESHOLD_" = 131072 && test "$MALLOC_TRIM_THRESHOLD_" = 131072'

failed_before_print=$failed
check "--print-config runs as uid 10001 with mounted config and secret files" 0 in_image node dist/agent/main.js --print-config
printed=$out print_ok=$([ "$failed" -eq "$failed_before_print" ] && echo yes)
expect "--print-config shows the mounted config" grep -q org_imagetest <<<"$printed"
expect "--print-config shows the secrets came from the mounted files" grep -q /etc/ghes-agent/secrets/port-client-secret <<<"$printed"
# Only meaningful when it printed something: an empty output would pass vacuously.
expect "--print-config masks every secret" bash -c '[ "$4" = yes ] && ! grep -qF -e "$1" -e "$2" -e "$3" <<<"$0"' "$printed" "$port_secret" "$gh_token" "$kafka_pw" "$print_ok"

# The agent itself, started as the pod starts it (image CMD), with Kafka/Port/GHES pointing at
# closed loopback ports: it must serve /livez (200), /readyz (503: not ready without its
# dependencies) and /metrics on loopback, and exit 0 promptly on SIGTERM.
http_get() { node -e 'fetch(process.argv[1]).then(async (r) => { console.log(r.status); console.log(await r.text()); }, () => { console.log("000"); })' "$1"; }
bash "$run" -c "$work/agent.yaml" -s "$work/secrets" "${secret_env[@]}" >"$work/agent.log" 2>&1 &
agent=$!
live=000
for _ in $(seq 1 50); do live=$(http_get http://127.0.0.1:19090/livez | head -1); [ "$live" = 200 ] && break; sleep 0.2; done
out=$(cat "$work/agent.log"); expect "agent serves /livez on loopback" [ "$live" = 200 ]
ready=$(http_get http://127.0.0.1:19090/readyz | head -1)
out=$ready; expect "/readyz is 503 while Kafka/Port/GHES are unreachable" [ "$ready" = 503 ]
metrics=$(http_get http://127.0.0.1:19090/metrics)
out=$metrics; expect "/metrics exposes ghes_agent_build_info and process metrics" bash -c 'grep -q "^ghes_agent_build_info{" <<<"$0" && grep -q "^process_resident_memory_bytes" <<<"$0"' "$metrics"
kill -TERM "$agent"
for _ in $(seq 1 100); do kill -0 "$agent" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$agent" 2>/dev/null; then kill -KILL "$agent"; stopped=hung; else wait "$agent"; stopped=$?; fi
out="exit: $stopped"$'\n'$(tail -5 "$work/agent.log"); expect "agent exits 0 within 20 s of SIGTERM" [ "$stopped" = 0 ]
expect "agent logs never contain a secret" bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$0"' "$work/agent.log" "$port_secret" "$gh_token" "$kafka_pw"

echo "image: $passed passed, $failed failed"
[ "$failed" = 0 ]
