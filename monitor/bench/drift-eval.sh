#!/usr/bin/env bash
# Honest evaluation of the drift checks with the default intent model (docs/monitoring.md).
# Usage: monitor/bench/drift-eval.sh [DATA_DIR=../shared/data] [OUT=monitor/target/drift-eval] [WINDOW=500] [WINDOWS=100] [--train-baseline]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data}; OUT=${2:-monitor/target/drift-eval}; WINDOW=${3:-500}; WINDOWS=${4:-100}; EXTRA=${5:-}
mvn -B -o -q install -Dmaven.test.skip=true -pl engine,monitor
(cd monitor && mvn -B -o -q test-compile && mvn -B -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp)
exec java -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "monitor/target/test-classes:monitor/target/classes:$(cat monitor/target/bench.cp)" \
  ai.infer4j.monitor.DriftEvaluation "$DATA" "$OUT" "$WINDOW" "$WINDOWS" $EXTRA
