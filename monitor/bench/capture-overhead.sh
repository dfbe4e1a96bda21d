#!/usr/bin/env bash
# Capture overhead on the request path at a paced rate (docs/monitoring.md).
# Usage: monitor/bench/capture-overhead.sh [RATE=1000] [SECONDS=30] [DIR=a temp dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
# reactor build, no 'mvn install' (it would overwrite the shared ~/.m2 snapshots); server, built last, leaves its class path
mvn -B -o -q test-compile dependency:build-classpath -pl server -am -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/server/target/bench.cp"
exec java -cp "server/target/test-classes:server/target/classes:$(cat server/target/bench.cp)" \
  ai.infer4j.server.inference.CaptureOverheadBench "${1:-1000}" "${2:-30}" ${3:-}
