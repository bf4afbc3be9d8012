#!/usr/bin/env bash
# Runs a command in the built image the way Kubernetes runs the chart's pod, without a
# container engine: from the image's root filesystem, as uid/gid 10001, with
#   - the root filesystem mounted READ-ONLY, and a fresh tmpfs on /tmp (the only writable place);
#   - the agent's YAML config mounted read-only at /etc/ghes-agent/config/agent.yaml;
#   - a directory of secret files mounted read-only at /etc/ghes-agent/secrets/;
#   - optionally a CA bundle at /etc/ghes-agent/ca/ca.crt with NODE_EXTRA_CA_CERTS set;
#   - the image's Env and WorkingDir, plus GHES_AGENT_* / NODE_* variables passed with -e.
# It shares the host's network namespace, so the agent reaches services on 127.0.0.1 (a local
# Kafka, the GHES simulator, a fake Port API) and its /metrics is on the host's loopback.
#
# Usage: run-image.sh [-i IMAGE] [-c CONFIG.yaml] [-s SECRETS_DIR] [-a CA.pem] [-e NAME=VALUE]... -- CMD [ARGS...]
#        (CMD defaults to the image's: node dist/agent/main.js)
# Needs root (mount namespaces) and the image built by docker/build-image.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/docker/buildah-env.sh"

version=$(node -p "require('$repo/package.json').version")
image=${IMAGE:-localhost/ghes-agent:$version}
config="" secrets="" ca="" extra_env=()
while getopts "i:c:s:a:e:" opt; do
  case $opt in
    i) image=$OPTARG ;;
    c) config=$(realpath "$OPTARG") ;;
    s) secrets=$(realpath "$OPTARG") ;;
    a) ca=$(realpath "$OPTARG") ;;
    e) extra_env+=("$OPTARG") ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

buildah_cmd inspect --type image "$image" >/dev/null 2>&1 \
  || { echo "run-image: image $image not found; run: bash docker/build-image.sh" >&2; exit 1; }
img_env=$(buildah_cmd inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$image")
workdir=$(buildah_cmd inspect --type image --format '{{.OCIv1.Config.WorkingDir}}' "$image")
user=$(buildah_cmd inspect --type image --format '{{.OCIv1.Config.User}}' "$image")
if [ $# -eq 0 ]; then
  mapfile -t cmd < <(buildah_cmd inspect --type image --format '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image")
  set -- "${cmd[@]}"
fi

ctr=$(buildah_cmd from --pull=never --quiet "$image")
cleanup() { buildah_cmd rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
root=$(buildah_cmd mount "$ctr")
# Mount points exist in the container's own layer (the image is untouched).
mkdir -p "$root/etc/ghes-agent/config" "$root/etc/ghes-agent/secrets" "$root/etc/ghes-agent/ca" "$root/proc" "$root/dev" "$root/tmp"

env_args=()
while IFS= read -r line; do [ -n "$line" ] && env_args+=("$line"); done <<<"$img_env"
[ -n "$config" ] && env_args+=("GHES_AGENT_CONFIG=/etc/ghes-agent/config/agent.yaml")
[ -n "$ca" ] && env_args+=("NODE_EXTRA_CA_CERTS=/etc/ghes-agent/ca/ca.crt")
env_args+=("${extra_env[@]}")

# Everything below happens in a private mount namespace: nothing leaks to the host's mounts.
# unshare, the inner bash, chroot, env and sh all exec, so $child ends up being the command
# itself (node): SIGTERM/SIGINT sent to this script are forwarded to it, as a kubelet would.
unshare --mount --propagation private -- /bin/bash -euo pipefail -s -- "$root" "$config" "$secrets" "$ca" "$workdir" "${user:-10001:10001}" "${#env_args[@]}" "${env_args[@]}" "$@" <<'INNER' &
root=$1 config=$2 secrets=$3 ca=$4 workdir=$5 user=$6 nenv=$7
shift 7
envs=("${@:1:$nenv}")
shift "$nenv"
mount --bind "$root" "$root"
mount --rbind /dev "$root/dev"
mount --rbind /proc "$root/proc"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$root/tmp"
[ -n "$config" ] && { touch "$root/etc/ghes-agent/config/agent.yaml"; mount --bind -o ro "$config" "$root/etc/ghes-agent/config/agent.yaml"; }
[ -n "$secrets" ] && mount --bind -o ro "$secrets" "$root/etc/ghes-agent/secrets"
[ -n "$ca" ] && { touch "$root/etc/ghes-agent/ca/ca.crt"; mount --bind -o ro "$ca" "$root/etc/ghes-agent/ca/ca.crt"; }
# Name resolution as the kubelet (or docker) provides it: the host's hosts and resolv.conf, read-only.
for f in hosts resolv.conf; do
  [ -f "/etc/$f" ] && { touch "$root/etc/$f"; mount --bind -o ro "/etc/$f" "$root/etc/$f"; }
done
# Last: the root itself read-only, as readOnlyRootFilesystem does.
mount -o remount,bind,ro "$root"
exec chroot --userspec="$user" "$root" /usr/bin/env -i "${envs[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "${workdir:-/}" "$@"
INNER
child=$!
forwarded=""
trap 'forwarded=1; kill -TERM "$child" 2>/dev/null' TERM
trap 'forwarded=1; kill -INT "$child" 2>/dev/null' INT
# A trapped signal interrupts `wait` (status > 128) while the child runs on: wait again, and
# report the child's own exit status, not the interruption's.
while :; do
  rc=0; wait "$child" || rc=$?  # (|| keeps set -e from exiting on the interruption)
  if [ "$rc" -gt 128 ] && [ -n "$forwarded" ]; then
    if kill -0 "$child" 2>/dev/null; then continue; fi
    again=0; wait "$child" 2>/dev/null || again=$?
    [ "$again" != 127 ] && rc=$again
  fi
  break
done
exit "$rc"
