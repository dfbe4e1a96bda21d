#!/usr/bin/env bash
# Capture overhead on the request path at a paced rate (docs/monitoring.md).
# Usage: monitor/bench/capture-overhead.sh [RATE=1000] [SECONDS=30] [DIR=a temp dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q install -Dmaven.test.skip=true -pl engine,monitor
(cd server && mvn -B -o -q test-compile && mvn -B -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp)
exec java -cp "server/target/test-classes:server/target/classes:$(cat server/target/bench.cp)" \
  ai.infer4j.server.inference.CaptureOverheadBench "${1:-1000}" "${2:-30}" ${3:-}
