#!/usr/bin/env bash
# Cold start of `serve` with the default model: process start -> first 200 from POST /predictions/intent,
# measured N times per setting, the settings alternated (median and min in ms):
#   first-ever   empty engine cache (native libraries, built-in model and optimised graph all written), no CDS
#   no-cds       warm engine cache, no class-data-sharing archive
#   cds          warm engine cache + the launcher's CDS archive (cli/target/infer4j.jsa; made by ./infer4j)
# Usage: bench/scripts/cold-start.sh [N=5]      Measure on a quiet machine (nothing else building or testing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-5}
jar=$root/cli/target/infer4j.jar
jsa=$root/cli/target/infer4j.jsa
[ -f "$jsa" ] || (cd "$root" && ./infer4j --version >/dev/null)   # builds the jar and records the archive
port=18970
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "cold-start: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

once() { # home [java opts...] -> ms to the first good answer
  local home=$1; shift
  local t0; t0=$(date +%s%N)
  java "$@" -Duser.home="$home" -Dai.djl.offline=true -jar "$jar" serve --inference-address 127.0.0.1:$port \
    --management-address 127.0.0.1:$((port+1)) --metrics-address 127.0.0.1:$((port+2)) --grpc-address 127.0.0.1:$((port+3)) \
    >"$tmp/serve.log" 2>&1 &
  local pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data 'I lost my card' \
      http://127.0.0.1:$port/predictions/intent 2>/dev/null)" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "serve exited: $(tail -3 "$tmp/serve.log")" >&2; return 1; }
    sleep 0.005
  done
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
  kill $pid; wait $pid 2>/dev/null || true
}

declare -A runs
mkdir -p "$tmp/warm"; once "$tmp/warm" >/dev/null   # fill the warm cache once
for i in $(seq 1 "$N"); do
  rm -rf "$tmp/fresh"; mkdir -p "$tmp/fresh"
  runs[first-ever]+="$(once "$tmp/fresh") "
  runs[no-cds]+="$(once "$tmp/warm") "
  runs[cds]+="$(once "$tmp/warm" -XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off) "
done
printf '%-11s %7s %7s   %s\n' setting median min "all (ms)"
for k in first-ever no-cds cds; do
  python3 -c "import sys,statistics as s; v=[int(x) for x in sys.argv[2].split()]; print('%-11s %7d %7d   %s' % (sys.argv[1], s.median(v), min(v), ' '.join(map(str,v))))" "$k" "${runs[$k]}"
done
echo "cold-start: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
