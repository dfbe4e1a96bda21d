#!/usr/bin/env bash
# One-command peer comparison on this machine's cores: the infer4j server and the Node.js peer (../shared/peers)
# serve the SAME model file, one after the other (alternated ROUNDS times), driven by the same load generators:
#   closed loop: wrk -t1 -cC (C in $CONC), JSON {"text": q} bodies of ../shared/peers/queries.txt
#   open loop:   infer4j bench --url --rate R1,R2,.. (the $RATES ladder in one client JVM), latency from the intended send time
# plus the in-process ceiling (raw ONNX Runtime, ort-raw). Writes OUT/peers.tsv, OUT/peers.md and OUT/index.html:
# rate at the p99 SLO, saturation and batch-1 p50, each as a ratio to the peer and to the ceiling.
#
# Usage: bench/scripts/peers.sh [fp32|int8] [OUT]        (needs wrk: apt-get install wrk; node/npm for the peer)
#   env: ROUNDS=1 DUR=8 WARM=20 (seconds of wrk warm-up per server: the JITs of both runtimes) CONC="1 4 16 64" RATES="..." SLO_MS=(10 int8, 25 fp32) MODEL_DIR=(the peers' export)
#        OPEN_DUR=$DUR OPEN_WARM=2 (seconds measured / not counted per open-loop rung: a p99 over 6 s at 500/s rests on
#        30 requests, so one stall moves it; longer rungs, e.g. OPEN_DUR=15, give steadier per-round knees)
#        INFER4J_MODEL=... serve another model with infer4j (e.g. its own INT8 archive), WORKERS=2 THREADS=1
#        BASE_JAR=path/to/infer4j.jar also measures another build (e.g. before a change) as "infer4j-base"; BASE_OPTS=JVM options
#        for it (e.g. a system property that switches an experiment on, with BASE_JAR=this build's jar)
#        ALT_WORKERS=N ALT_THREADS=M also measures this build with other workers x threads as "infer4j-alt"
#   With ROUNDS > 1 even rounds run the systems in reverse order, and each rung's median over the rounds makes the table; peers.md also lists every round's own ratios
#   (the spread is the honest error bar on this machine). The ceiling's batch-1 latency is measured before every round.
#   Measure on a quiet machine: nothing else building or testing. The load average is printed before and after.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
P=${1:-int8}
OUT=${2:-$root/out/peers-$P}
PH=$("$root/../shared/peers/setup.sh")
MODEL_DIR=${MODEL_DIR:-$PH/models/$P}
INFER4J_MODEL=${INFER4J_MODEL:-$MODEL_DIR}
Q=$PH/queries.txt
ROUNDS=${ROUNDS:-1}; DUR=${DUR:-8}; CONC=${CONC:-"1 4 16 64"}; OPEN_DUR=${OPEN_DUR:-$DUR}; OPEN_WARM=${OPEN_WARM:-2}
WORKERS=${WORKERS:-2}; THREADS=${THREADS:-1}
if [ "$P" = int8 ]; then SLO_MS=${SLO_MS:-10}; RATES=${RATES:-"200 300 400 500 600 700 800 900"};
else SLO_MS=${SLO_MS:-25}; RATES=${RATES:-"100 150 200 250 300 350 400"}; fi
IPORT=18980; NPORT=18990
command -v wrk >/dev/null || { echo "peers.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
mkdir -p "$OUT"; rm -f "$OUT"/raw.tsv
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
log() { echo "[peers] $*" >&2; }
log "machine: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load_before	$(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/machine.tsv"
echo "cpu	$(lscpu | sed -n 's/Model name: *//p') ($(nproc) cores)" >> "$OUT/machine.tsv"
# which model each side serves (the report says "same model file" only when they are the same)
echo "model_peer	$MODEL_DIR" >> "$OUT/machine.tsv"
echo "model_infer4j	$INFER4J_MODEL" >> "$OUT/machine.tsv"
[ -f "$root/cli/target/infer4j.jar" ] || (cd "$root" && mvn -B -q -Dmaven.test.skip=true package)
JAR=$root/cli/target/infer4j.jar
JAVA="java -Dai.djl.offline=true -jar $JAR"
# the load generator's JVM: one GC thread and a small fixed heap, so the client takes as little of the shared cores as it can
CLIENT="java -XX:+UseSerialGC -Xms256m -Xmx256m -Dai.djl.offline=true -jar $JAR"
# the client's first rung is not reported: it warms the client's own JIT. At 50/s (500 requests) its code was still
# being compiled in the measured rungs (perf sched at 600/s, 5 s: client CPU 2.3 s, its C2 0.6 s); after 400/s (4,000
# requests) 0.4 s. Both servers hold these warm rates easily. WARM: after 8 s of wrk the server's C2 still took ~1 s of
# CPU per 5 s at 600/s (HotSpot compiles for longer than V8), so both servers get 20 s.
if [ "$P" = int8 ]; then CLIENT_WARM_RATE=${CLIENT_WARM_RATE:-400}; else CLIENT_WARM_RATE=${CLIENT_WARM_RATE:-200}; fi

wait_up() { for _ in $(seq 1 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"text":"warm up"}' "$1" && return 0; sleep 0.1; done; echo "server at $1 did not come up" >&2; return 1; }

measure() { # system url
  local sys=$1 url=$2 path=${2#http://127.0.0.1:*/}
  QUERIES=$Q WPATH=/$path wrk -t1 -c8 -d${WARM:-20}s -s "$root/../shared/peers/node-embed/wrk-post.lua" "${url%%/${path}}" >/dev/null 2>&1 || true
  for c in $CONC; do
    local line; line=$(QUERIES=$Q WPATH=/$path wrk -t1 -c"$c" -d"${DUR}s" -s "$root/../shared/peers/node-embed/wrk-post.lua" "${url%%/${path}}" | grep RESULT)
    log "$sys closed c=$c: $line"
    echo "$sys	closed	$c	$line round=$ROUND" >> "$OUT/raw.tsv"
  done
  # the open-loop ladder runs in ONE client JVM (warm JIT and connections from the first measured rate on); its first
  # rung (${CLIENT_WARM_RATE}/s, not reported) warms the client itself
  rm -rf "$OUT/$sys-open"
  $CLIENT bench --url "$url" --api torchserve --data "$Q" --rate "$CLIENT_WARM_RATE,$(echo $RATES | tr ' ' ,)" --warmup "${OPEN_WARM}s" \
    --duration "${OPEN_DUR}s" --report "$OUT/$sys-open" >/dev/null 2>&1 || true
  for r in $RATES; do
    local s; s=$(python3 -c "import json,sys; d=json.load(open('$OUT/$sys-open/rate-$r/summary.json')); e=sum(d['errors'].values()); n=d['ok']+e; print('rps=%.1f p50=%.2fms p99=%.2fms ok=%d errors=%d served=%.4f' % (d['throughputRps'], d['p50Ms'], d['p99Ms'], d['ok'], e, d['ok']/max(1,d['sent'])))" 2>/dev/null || echo "rps=0 p50=999999ms p99=999999ms ok=0 errors=0 served=0")  # no report: counts as failing the SLO
    log "$sys open r=$r: $s"
    echo "$sys	open	$r	RESULT $s round=$ROUND" >> "$OUT/raw.tsv"
  done
}

run_infer4j() { # [name jar workers threads jvm-opts]: another build (BASE_JAR, the build before a change) or setting, under another name
  local name=${1:-infer4j} jar=${2:-$JAR} w=${3:-$WORKERS} t=${4:-$THREADS} opts=${5:-}
  # shellcheck disable=SC2086
  java $opts -Dai.djl.offline=true -jar "$jar" serve --models m="$INFER4J_MODEL" --workers "$w" --threads "$t" \
    --inference-address 127.0.0.1:$IPORT --management-address 127.0.0.1:$((IPORT+1)) --metrics-address 127.0.0.1:$((IPORT+2)) \
    > "$OUT/$name-serve.log" 2>&1 &
  local pid=$!
  wait_up "http://127.0.0.1:$IPORT/predictions/m"
  measure "$name" "http://127.0.0.1:$IPORT/predictions/m"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_node() {
  (cd "$PH/node-embed" && MODEL=$MODEL_DIR/model.onnx TOKENIZER=$MODEL_DIR/tokenizer.json PORT=$NPORT WORKERS=$WORKERS INTRA=$THREADS exec node server.mjs) \
    > "$OUT/node.log" 2>&1 &
  local pid=$!
  wait_up "http://127.0.0.1:$NPORT/embed"
  measure node "http://127.0.0.1:$NPORT/embed"
  pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

ORT_RAW="java -Xms1g -Xmx1g -cp $PH/ort-raw/target/ort-baseline-0.1.jar:$PH/ort-raw/target/lib/*"
ceiling_latency() { # batch-1 latency of raw ONNX Runtime (label R): run before every round and after the last, so each
  # round's batch-1 overhead is taken against the ceiling measured minutes apart, not at the end of a long run (the
  # machine's speed drifts: the same forward pass took 1.3 ms in one round and 1.95 ms in the next)
  $ORT_RAW -Dsections=lat -DlatN=1500 -Dout="$OUT/ort.tsv" baseline.Bench "$MODEL_DIR/model.onnx" "$MODEL_DIR/tokenizer.json" "$1" \
    >> "$OUT/ort.log" 2>&1 || log "ort-raw failed: see $OUT/ort.log"
}
rm -f "$OUT/ort.tsv" "$OUT/ort.log"
# the systems of a round, in the order of odd rounds; even rounds run them in reverse, so no system always runs first
# after the ceiling or always last (session 14: this machine has slow phases of a few minutes in which the same server
# loses 10-27% of its throughput; with a fixed order they fell on the first system more often; docs/perf.md)
run_main() { log "round $ROUND: infer4j"; run_infer4j; }
run_base() { log "round $ROUND: infer4j-base ($BASE_JAR)"; run_infer4j infer4j-base "$BASE_JAR" "$WORKERS" "$THREADS" "${BASE_OPTS:-}"; }
run_alt() {
  log "round $ROUND: infer4j-alt (workers ${ALT_WORKERS:-$WORKERS} x threads ${ALT_THREADS:-$THREADS})"
  run_infer4j infer4j-alt "$JAR" "${ALT_WORKERS:-$WORKERS}" "${ALT_THREADS:-$THREADS}"
}
run_peer() { log "round $ROUND: node"; run_node; }
systems=(run_main)
[ -n "${BASE_JAR:-}" ] && systems+=(run_base)
[ -n "${ALT_THREADS:-}${ALT_WORKERS:-}" ] && systems+=(run_alt)
systems+=(run_peer)
for round in $(seq 1 "$ROUNDS"); do
  ROUND=$round
  log "round $round: ceiling batch-1 latency"; ceiling_latency "lat-before-$round"
  order=("${systems[@]}")
  if [ $((round % 2)) = 0 ]; then order=(); for ((i = ${#systems[@]} - 1; i >= 0; i--)); do order+=("${systems[i]}"); done; fi
  for run in "${order[@]}"; do "$run"; done
done
log "ceiling: raw ONNX Runtime in-process (ort-raw): batch-1 latency, then throughput"
ceiling_latency "lat-after-$ROUNDS"
$ORT_RAW -Dsections=tput -DtputSec=4 -DwarmSec=2 -Dout="$OUT/ort.tsv" baseline.Bench "$MODEL_DIR/model.onnx" "$MODEL_DIR/tokenizer.json" "$P" \
  >> "$OUT/ort.log" 2>&1 || log "ort-raw failed: see $OUT/ort.log"
echo "load_after	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$root/bench/scripts/peers_report.py" "$OUT" "$P" "$SLO_MS" "$THREADS"
