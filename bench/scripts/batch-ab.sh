#!/usr/bin/env bash
# Closed-loop A/B of infer4j builds with what the batcher did: each build serves the same model under wrk at each
# concurrency (10 s warm-up, DUR s measured); the server's own metrics (infer4j_batch_size, infer4j_model_time_seconds,
# infer4j_padding_ratio), read before and after the window, give the mean batch, forward ms per sentence and padding.
# Builds alternate, the order reversed every round. Measure on a quiet machine (nothing else building or testing).
#
# Usage: bench/scripts/batch-ab.sh JAR_A [JAR_B ...]     (each an infer4j.jar with its lib/ beside it; needs wrk)
#   env: ROUNDS=3 DUR=10 CONC="4 16 64" MODEL=(the peers' int8 export) WORKERS=2 THREADS=1
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
PH=$("$root/../shared/peers/setup.sh")
MODEL=${MODEL:-$PH/models/int8}; Q=$PH/queries.txt; PORT=18980
ROUNDS=${ROUNDS:-3}; DUR=${DUR:-10}; CONC=${CONC:-"4 16 64"}
[ $# -ge 1 ] || { echo "usage: $0 JAR_A [JAR_B ...]" >&2; exit 2; }
echo "machine: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)"
metrics() { curl -s "http://127.0.0.1:$((PORT+2))/metrics" | python3 -c '
import re, sys
d = {}
for l in sys.stdin:
    m = re.match(r"(infer4j_(batch_size|model_time_seconds|padding_ratio)_(sum|count))(\{[^}]*\})? ([0-9.eE+-]+)", l)
    if m: d[m.group(1)] = d.get(m.group(1), 0) + float(m.group(5))
print(" ".join("%s=%r" % kv for kv in sorted(d.items())))'; }
one() { # jar
  java -Dai.djl.offline=true -jar "$1" serve --models m="$MODEL" --workers "${WORKERS:-2}" --threads "${THREADS:-1}" \
    --inference-address 127.0.0.1:$PORT --management-address 127.0.0.1:$((PORT+1)) --metrics-address 127.0.0.1:$((PORT+2)) >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"text":"warm up"}' \
    "http://127.0.0.1:$PORT/predictions/m" && break; sleep 0.1; done
  for c in $CONC; do
    QUERIES=$Q WPATH=/predictions/m wrk -t1 -c"$c" -d10s -s "$root/../shared/peers/node-embed/wrk-post.lua" "http://127.0.0.1:$PORT" >/dev/null
    local before; before=$(metrics)
    local line; line=$(QUERIES=$Q WPATH=/predictions/m wrk -t1 -c"$c" -d"${DUR}s" -s "$root/../shared/peers/node-embed/wrk-post.lua" "http://127.0.0.1:$PORT" | grep RESULT)
    local after; after=$(metrics)
    python3 - "$c" "$line" "$before" "$after" <<'PY'
import sys
c, line, a, b = sys.argv[1:]
a = dict(kv.split("=") for kv in a.split()); b = dict(kv.split("=") for kv in b.split())
d = {k: float(b[k]) - float(a.get(k, 0)) for k in b}
n = d["infer4j_batch_size_count"]
print("  c=%s %s | mean batch %.2f, forward %.3f ms/sentence, padding %.3f" % (c, line.replace("RESULT ", ""),
      d["infer4j_batch_size_sum"] / n, 1000 * d["infer4j_model_time_seconds_sum"] / d["infer4j_batch_size_sum"],
      d["infer4j_padding_ratio_sum"] / d["infer4j_padding_ratio_count"]))
PY
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
jars=("$@")
for r in $(seq 1 "$ROUNDS"); do
  order=("${jars[@]}"); [ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${jars[@]}" | tac))
  for j in "${order[@]}"; do echo "round $r: $j"; one "$j"; done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
