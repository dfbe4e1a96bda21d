#!/usr/bin/env bash
# Steady-state serving speed of one build under two or more JVM option sets (JIT/GC flags a faster start may cost):
# `serve` with the default model (or MODEL) and the build's CDS archive, WARM s of closed-loop warm-up (wrk, c=16), then
# DUR s measured at each closed-loop concurrency in CONC (wrk), then, if RATES is set, an open-loop ladder (`infer4j
# bench --rate`, one WARMRATE rung first, each rung ODUR s after 2 s of warm-up; latency from the intended send time).
# Each run also prints its GC pauses (from -Xlog:gc: count, p50, max, sum). Option sets alternate, the order reversed
# every round. Run it inside /work/bin/quiet (or any quiet machine); needs wrk and the peers' queries (../shared/peers).
#
# Usage: bench/scripts/serve-jit-ab.sh 'OPTIONS_A' 'OPTIONS_B' [...]      ('' = no extra options; leading NAME=VALUE
#        words (capitals) set environment variables for that server, e.g. 'GLIBC_TUNABLES=glibc.malloc.arena_max=1 -Xmx1g')
#   env: ROUNDS=2 WARM=20 DUR=10 CONC="16 1" PORT=18990 BUILD=<checkout with cli/target> (default: this one)
#        MODEL=<model reference> served as `m` with --workers W (2) --threads T (1) instead of the default model
#        RATES="600 800 1000" (open loop, empty: none) WARMRATE=400 ODUR=6
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
PH=${PEERS_HOME:-$HOME/.cache/infer4j-peers}
[ -f "$PH/queries.txt" ] || PH=$("$root/../shared/peers/setup.sh")
Q=$PH/queries.txt; LUA=$root/../shared/peers/node-embed/wrk-post.lua; PORT=${PORT:-18990}
[ -f "$LUA" ] || LUA=/work/shared/peers/node-embed/wrk-post.lua
ROUNDS=${ROUNDS:-2}; WARM=${WARM:-20}; DUR=${DUR:-10}; CONC=${CONC:-16 1}; RATES=${RATES:-}; ODUR=${ODUR:-6}
build=${BUILD:-$root}
jar=$build/cli/target/infer4j.jar jsa=$build/cli/target/infer4j.jsa
[ $# -ge 2 ] || { echo "usage: $0 'OPTIONS_A' 'OPTIONS_B' [...]" >&2; exit 2; }
[ -f "$jsa" ] || (cd "$build" && ./infer4j --version >/dev/null)
model=(); path=/predictions/intent
if [ -n "${MODEL:-}" ]; then model=(--models "m=$MODEL" --workers "${W:-2}" --threads "${T:-1}"); path=/predictions/m; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "serve-jit-ab: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)"
one() { # options
  local r c opts=$1 envs=()
  while [[ $opts =~ ^[A-Z_][A-Z0-9_]*= ]]; do envs+=("${opts%% *}"); if [[ $opts == *" "* ]]; then opts=${opts#* }; else opts=""; fi; done
  rm -f "$tmp/gc.log"
  # shellcheck disable=SC2086
  env ${envs[@]+"${envs[@]}"} java -XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off $opts -Xlog:gc:file="$tmp/gc.log" -Dai.djl.offline=true \
    -jar "$jar" serve ${model[@]+"${model[@]}"} --inference-address 127.0.0.1:$PORT \
    --management-address 127.0.0.1:$((PORT+1)) --metrics-address 127.0.0.1:$((PORT+2)) --grpc-address off >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: text/plain' -d 'warm up' \
    "http://127.0.0.1:$PORT$path" && break; sleep 0.1; done
  QUERIES=$Q WPATH=$path wrk -t1 -c16 -d"${WARM}s" -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null
  for c in $CONC; do
    echo "  c=$c $(QUERIES=$Q WPATH=$path wrk -t1 -c"$c" -d"${DUR}s" -s "$LUA" "http://127.0.0.1:$PORT" | sed -n 's/^RESULT //p')"
  done
  if [ -n "$RATES" ]; then
    rm -rf "$tmp/rep"
    java -XX:+UseSerialGC -Xms256m -Xmx256m -Dai.djl.offline=true -jar "$jar" bench --url "http://127.0.0.1:$PORT$path" \
      --api torchserve --data "$Q" --rate "${WARMRATE:-400},${RATES// /,}" --warmup 2s --duration "${ODUR}s" \
      --report "$tmp/rep" >/dev/null 2>&1 || true
    for r in $RATES; do
      python3 - "$tmp/rep/rate-$r/summary.json" "$r" <<'EOF' || echo "  open r=$r: no report"
import json, sys
d = json.load(open(sys.argv[1]))
print("  open r=%s rps=%.0f p50=%.2f p99=%.2f ok=%d sent=%d served=%.1f%%"
      % (sys.argv[2], d["throughputRps"], d["p50Ms"], d["p99Ms"], d["ok"], d["sent"], 100.0 * d["ok"] / max(1, d["sent"])))
EOF
    done
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -E "Pause" "$tmp/gc.log" | grep -oE '[0-9.]+ms$' | sed 's/ms//' | sort -n | awk '{a[NR]=$1; s+=$1}
    END {if (NR) printf "  gc pauses n=%d p50=%.2fms max=%.1fms sum=%.0fms\n", NR, a[int((NR+1)/2)], a[NR], s; else print "  gc pauses n=0"}'
}
sets=("$@")
for r in $(seq 1 "$ROUNDS"); do
  order=("${sets[@]}"); [ $((r % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${sets[@]}" | tac)
  for o in "${order[@]}"; do echo "round $r: [${o}]"; one "$o"; done
done
echo "serve-jit-ab: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
