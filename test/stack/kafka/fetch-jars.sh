#!/bin/sh
# Download Apache Kafka's jars (and their runtime dependencies) from Maven Central into
# a cache dir, once. Idempotent: a marker written only after a complete copy makes later
# runs return at once; an interrupted run leaves no marker and is simply redone.
#
# Usage: fetch-jars.sh [libs-dir]   (default: <repo>/.cache/kafka-3.9.1/libs)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
libs=${1:-"$repo/.cache/kafka-3.9.1/libs"}
marker="$libs/.complete"

if [ -f "$marker" ]; then
  exit 0
fi

# A private local repository keeps the download inside the project cache and independent
# of whatever ~/.m2 holds (or does not hold) on this machine.
m2="$repo/.cache/m2"
tmp="$libs.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp" "$m2"
trap 'rm -rf "$tmp"' EXIT

mvn -B -q -f "$here/pom.xml" \
  -Dmaven.repo.local="$m2" \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp"

count=$(ls "$tmp"/*.jar | wc -l)
if [ "$count" -lt 10 ] || [ ! -f "$tmp/kafka_2.13-3.9.1.jar" ]; then
  echo "fetch-jars: incomplete download ($count jars) in $tmp" >&2
  exit 1
fi

rm -rf "$libs"
mkdir -p "$(dirname "$libs")"
mv "$tmp" "$libs"
date -u +%Y-%m-%dT%H:%M:%SZ > "$marker"
echo "fetch-jars: $count jars in $libs" >&2
