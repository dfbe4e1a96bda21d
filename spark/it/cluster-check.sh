#!/usr/bin/env bash
# Starts a real Spark standalone cluster on this machine (Master + 2 Workers, 1 core each, Spark's own classes from
# Maven Central on a throwaway SPARK_HOME), submits target/infer4j-spark-app.jar with SparkSubmit, kills one executor
# mid-job, checks the output is complete, not duplicated and equal to local mode row for row, then stops the cluster.
# Test: spark/src/test/java/ai/infer4j/spark/ClusterIT.java. Ports: 18400.. (override: PORT=19000 spark/it/cluster-check.sh).
# Timing: printed at the end and kept in spark/target/cluster-it-timing.txt; logs under spark/target/cluster-it-*/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mvn -B -q -Dstyle.color=never -Pspark-cluster-it -pl spark -am -DskipTests -Dinfer4j.it.port="${PORT:-18400}" verify
cat spark/target/cluster-it-timing.txt
