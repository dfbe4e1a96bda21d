#!/usr/bin/env bash
# Throughput of the batch job on a real Spark standalone cluster on this machine (Master + 2 Workers x 1 core, Spark's
# jars from Maven Central in a throwaway SPARK_HOME, the job's code only in infer4j-spark-app.jar) against the engine
# in-process on the same cores, alternating in one run (ai.infer4j.spark.BatchBench --master). Prints pairs/s and
# pairs per CPU-second (driver + executor JVMs) and the cores 8,800 pairs/s would need.
#   mvn -B -DskipTests package
#   spark/it/cluster-bench.sh PAIRS.jsonl[,MORE.jsonl] [BatchBench options, e.g. --limit 2000 --rounds 2]
# Ports PORT (default 18440) .. PORT+40.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
t="$repo/spark/target"
port="${PORT:-18440}"
opens="$(grep -v '^-Dlog4j2' "$t/spark-jvm.args" | tr '\n' ' ')"
work="$(mktemp -d /tmp/infer4j-cluster-bench.XXXXXX)"
mkdir -p "$work/spark-home/jars"
for j in "$t"/lib/*.jar; do
  case "$(basename "$j")" in infer4j-*|onnxruntime-*|tokenizers-*|api-*|langchain4j-*|jna-*|gson-*) ;; *) ln -s "$j" "$work/spark-home/jars/";; esac
done
export SPARK_HOME="$work/spark-home" SPARK_LOCAL_IP=127.0.0.1 SPARK_SCALA_VERSION=2.13
cp="$SPARK_HOME/jars/*"
pids=()
stop() { for ((i=${#pids[@]}-1; i>=0; i--)); do pkill -TERM -P "${pids[$i]}" 2>/dev/null || true; kill "${pids[$i]}" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
# shellcheck disable=SC2086
java -Xmx512m $opens -cp "$cp" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port $((port + 1)) > "$work/master.log" 2>&1 &
pids+=($!)
for w in 0 1; do
  # shellcheck disable=SC2086
  java -Xmx512m $opens -cp "$cp" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port $((port + 2 + w)) --webui-port $((port + 4 + w)) \
      --cores 1 --memory 1536m --work-dir "$work/worker$w" "spark://127.0.0.1:$port" > "$work/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 300); do [ "$(grep -c 'Registering worker' "$work/master.log" 2>/dev/null || true)" -ge 2 ] && break; sleep 0.2; done
data="$1"; shift
# shellcheck disable=SC2086
java @"$t/spark-jvm.args" -Dspark.driver.host=127.0.0.1 -Dspark.driver.port=$((port + 6)) -Dspark.driver.blockManager.port=$((port + 7)) \
    -Dspark.blockManager.port=$((port + 10)) -Dspark.port.maxRetries=16 -cp "$t/infer4j-spark.jar:$t/lib/*" ai.infer4j.spark.BatchBench \
    "$data" --cores 2 --master "spark://127.0.0.1:$port" --app-jar "$t/infer4j-spark-app.jar" "$@"
