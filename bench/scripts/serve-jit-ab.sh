#!/usr/bin/env bash
# Steady-state serving speed of one build under two or more JVM option sets (JIT/GC flags a faster start may cost):
# `serve` with the default model and the build's CDS archive, WARM s of closed-loop warm-up (wrk, c=16), then DUR s
# measured at c=16 (throughput) and DUR s at c=1 (batch-1 latency). Option sets alternate, the order reversed every
# round. Run it inside /work/bin/quiet (or any quiet machine); needs wrk and the peers' queries (../shared/peers).
#
# Usage: bench/scripts/serve-jit-ab.sh 'OPTIONS_A' 'OPTIONS_B' [...]      ('' = no extra options)
#   env: ROUNDS=2 WARM=20 DUR=10
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
PH=${PEERS_HOME:-$HOME/.cache/infer4j-peers}
[ -f "$PH/queries.txt" ] || PH=$("$root/../shared/peers/setup.sh")
Q=$PH/queries.txt; LUA=$root/../shared/peers/node-embed/wrk-post.lua; PORT=18990
ROUNDS=${ROUNDS:-2}; WARM=${WARM:-20}; DUR=${DUR:-10}
jar=$root/cli/target/infer4j.jar jsa=$root/cli/target/infer4j.jsa
[ $# -ge 2 ] || { echo "usage: $0 'OPTIONS_A' 'OPTIONS_B' [...]" >&2; exit 2; }
[ -f "$jsa" ] || (cd "$root" && ./infer4j --version >/dev/null)
echo "serve-jit-ab: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)"
one() { # options
  # shellcheck disable=SC2086
  java -XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off $1 -Dai.djl.offline=true -jar "$jar" serve \
    --inference-address 127.0.0.1:$PORT --management-address 127.0.0.1:$((PORT+1)) --metrics-address 127.0.0.1:$((PORT+2)) \
    --grpc-address off >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: text/plain' -d 'warm up' \
    "http://127.0.0.1:$PORT/predictions/intent" && break; sleep 0.1; done
  QUERIES=$Q wrk -t1 -c16 -d"${WARM}s" -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null
  for c in 16 1; do
    echo "  c=$c $(QUERIES=$Q wrk -t1 -c$c -d"${DUR}s" -s "$LUA" "http://127.0.0.1:$PORT" | sed -n 's/^RESULT //p')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
sets=("$@")
for r in $(seq 1 "$ROUNDS"); do
  order=("${sets[@]}"); [ $((r % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${sets[@]}" | tac)
  for o in "${order[@]}"; do echo "round $r: [${o}]"; one "$o"; done
done
echo "serve-jit-ab: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
