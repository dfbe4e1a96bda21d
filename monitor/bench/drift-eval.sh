#!/usr/bin/env bash
# Honest evaluation of the drift checks with the default intent model (docs/monitoring.md).
# Usage: monitor/bench/drift-eval.sh [DATA_DIR=../shared/data] [OUT=monitor/target/drift-eval] [WINDOW[,WINDOW...]=600] [WINDOWS=100] [CACHE_DIR]
# Reactor build only (no 'mvn install': it would overwrite the shared ~/.m2 snapshots).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data}; OUT=${2:-monitor/target/drift-eval}; WINDOW=${3:-600}; WINDOWS=${4:-100}; CACHE=${5:-$HOME/.cache/infer4j/embeddings}
# every reactor module writes the file; monitor, built last, leaves its class path (engine as engine/target/classes)
mvn -B -o -q test-compile dependency:build-classpath -pl monitor -am -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/monitor/target/bench.cp"
CP="monitor/target/test-classes:monitor/target/classes:$(cat monitor/target/bench.cp)"
exec java -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$CP" ai.infer4j.monitor.DriftEvaluation "$DATA" "$OUT" "$WINDOW" "$WINDOWS" "$CACHE"
