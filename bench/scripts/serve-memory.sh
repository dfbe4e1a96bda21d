#!/usr/bin/env bash
# Memory of one `serve` process (started by the build's ./infer4j, as a user starts it: CDS archive, serve JIT flags)
# after its start and after a steady load from a separate `infer4j bench --url` process: resident set (VmRSS), of it
# anonymous (RssAnon: Java heap, ONNX Runtime's weights and arena, thread stacks, JIT code) and file-backed (RssFile:
# mapped jars, CDS archive, native libraries, the mapped .ort model), the peak (VmHWM), and the Java heap committed.
# Rows: fp32 (the built-in intent model) and, when MODEL_STORE holds intent-int8.mar, --precision int8 (which keeps the
# fp32 version registered beside the int8 default), each with every worker count in WORKERS.
# Usage: bench/scripts/serve-memory.sh [BUILD_DIR]     Run it inside /work/bin/quiet (the load is a benchmark).
#   env: WORKERS="1 2"  LOAD=30s (measured; after a 5 s warm-up)  CONC=16 (bench clients)  MODEL_STORE=DIR
#        OPTS='...' (extra JVM options for serve, e.g. -Xmx512m)  PORT=18980 (the first of four ports)
set -euo pipefail
d=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
port=${PORT:-18980}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
echo "serve-memory: $d nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
mb() { echo $(( ($(kb "$1") + 512) / 1024 )); }
heap() { jcmd "$pid" GC.heap_info 2>/dev/null | sed -n 's/.*total \([0-9]*\)K, used \([0-9]*\)K.*/\1 \2/p' | head -1; }

rows=()
for precision in fp32 int8; do
  extra=()
  if [ "$precision" = int8 ]; then
    [ -n "${MODEL_STORE:-}" ] && [ -f "$MODEL_STORE/intent-int8.mar" ] || { echo "serve-memory: no \$MODEL_STORE/intent-int8.mar: no int8 rows" >&2; continue; }
    extra=(--model-store "$MODEL_STORE" --precision int8)
  fi
  for w in ${WORKERS:-1 2}; do
    INFER4J_JAVA_OPTS="${OPTS:-}" "$d/infer4j" serve --workers "$w" ${extra[@]+"${extra[@]}"} \
      --inference-address 127.0.0.1:$port --management-address 127.0.0.1:$((port+1)) \
      --metrics-address 127.0.0.1:$((port+2)) --grpc-address 127.0.0.1:$((port+3)) >"$tmp/serve.log" 2>&1 &
    pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data 'I lost my card' \
        http://127.0.0.1:$port/predictions/intent 2>/dev/null)" = 200 ]; do
      kill -0 $pid 2>/dev/null || { echo "serve exited: $(tail -3 "$tmp/serve.log")" >&2; exit 1; }
      sleep 0.05
    done
    [ "$precision" = fp32 ] || curl -s http://127.0.0.1:$((port+1))/models/intent | grep -q int8 \
      || echo "serve-memory: warning: no int8 version of intent is registered (see the server's log)" >&2
    sleep 3   # the late listeners and JVM metrics are up
    start="$(mb VmRSS) $(mb RssAnon) $(mb RssFile)"
    read -r htot hused < <(heap)
    start_heap="$(( htot / 1024 ))/$(( hused / 1024 ))"
    "$d/infer4j" bench --url http://127.0.0.1:$port/predictions/intent --concurrency "${CONC:-16}" --warmup 5s \
      --duration "${LOAD:-30s}" >"$tmp/bench.txt" 2>&1 || { cat "$tmp/bench.txt" >&2; exit 1; }
    rps=$(grep -o '[0-9.]* req/s' "$tmp/bench.txt" | head -1 | cut -d' ' -f1)
    loaded="$(mb VmRSS) $(mb RssAnon) $(mb RssFile) $(mb VmHWM)"
    read -r htot hused < <(heap)
    rows+=("$precision $w $start $start_heap $loaded $(( htot / 1024 ))/$(( hused / 1024 )) ${rps:-?}")
    kill $pid; wait $pid 2>/dev/null || true; pid=
  done
done
printf '%-9s %7s | %9s %9s %9s %14s | %9s %9s %9s %9s %14s %9s\n' precision workers "RSS MB" anon file "heap MB c/u" \
  "RSS MB" anon file peak "heap MB c/u" "req/s"
printf '%-9s %7s | %-58s | %s\n' "" "" "after start (first answer + 3 s)" "after ${LOAD:-30s} at c=${CONC:-16} (bench --url, own process)"
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086
  printf '%-9s %7s | %9s %9s %9s %14s | %9s %9s %9s %9s %14s %9s\n' $r
done
echo "serve-memory: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
