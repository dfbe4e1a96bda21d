#!/usr/bin/env bash
# Cold start of `serve` (default model, warm engine cache, each build's own CDS archive as ./infer4j uses it) for two
# or more builds, alternated N times: process start -> first 200 from POST /predictions/intent (median and min in ms),
# and at that answer the process's CPU (user+system), minor page faults and resident set (anonymous / file-backed, MB).
# A build is a checkout whose cli/target holds a packaged infer4j.jar (its ./infer4j records the archive if missing);
# 'DIR|JAVA OPTIONS' runs that build with extra JVM options (e.g. 'DIR|-XX:TieredStopAtLevel=1'); options that start
# with JAVA=PATH run that java instead (e.g. 'DIR|JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -XX:AOTCache=F'),
# without the build's CDS archive (an archive belongs to the JDK that dumped it); leading NAME=VALUE words (capitals) set
# environment variables for that build's java (e.g. 'DIR|GLIBC_TUNABLES=glibc.malloc.hugetlb=1 -XX:+UseTransparentHugePages').
# Usage: bench/scripts/cold-start-ab.sh N DIR_A DIR_B [DIR_C ...]     Run it inside /work/bin/quiet (or any quiet machine).
#   env: PORT=18970 (the first of four ports the servers bind)
set -euo pipefail
N=$1; shift
port=${PORT:-18970}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "cold-start-ab: nproc=$(nproc) cpu=$(lscpu | sed -n 's/Model name: *//p') load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for b in "$@"; do
  d=${b%%|*}
  # a missing archive, or one older than the jar (the JVM would then skip the app classes silently): ./infer4j records it
  [ -n "$(find "$d/cli/target/infer4j.jsa" -newer "$d/cli/target/infer4j.jar" 2>/dev/null)" ] || (cd "$d" && ./infer4j --version >/dev/null)
done

once() { # build-dir[|options] [attempt] -> "wall_ms cpu_ms minor_faults anon_mb file_mb" at the first good answer
  local d=${1%%|*} opts="" java=java
  [[ $1 == *"|"* ]] && opts=${1#*|}
  if [[ $opts == JAVA=* ]]; then java=${opts%% *}; java=${java#JAVA=}; if [[ $opts == *" "* ]]; then opts=${opts#* }; else opts=""; fi; fi
  local envs=()
  while [[ $opts =~ ^[A-Z_][A-Z0-9_]*= ]]; do envs+=("${opts%% *}"); if [[ $opts == *" "* ]]; then opts=${opts#* }; else opts=""; fi; done
  local jsa=() t0 pid cpu
  [ "$java" = java ] && [ -f "$d/cli/target/infer4j.jsa" ] && jsa=(-XX:SharedArchiveFile="$d/cli/target/infer4j.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  env ${envs[@]+"${envs[@]}"} "$java" ${jsa[@]+"${jsa[@]}"} $opts -Duser.home="$tmp/home" -Dai.djl.offline=true -jar "$d/cli/target/infer4j.jar" serve \
    --inference-address 127.0.0.1:$port --management-address 127.0.0.1:$((port+1)) \
    --metrics-address 127.0.0.1:$((port+2)) --grpc-address 127.0.0.1:$((port+3)) >"$tmp/serve.log" 2>&1 &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data 'I lost my card' \
      http://127.0.0.1:$port/predictions/intent 2>/dev/null)" = 200 ]; do
    if ! kill -0 $pid 2>/dev/null; then
      wait $pid 2>/dev/null || true
      # a port still held (e.g. by a server of another run that is still stopping): this start is not timed but retried
      if grep -q "Address already in use" "$tmp/serve.log" && [ "${2:-0}" -lt 3 ]; then
        echo "serve could not bind (attempt $(( ${2:-0} + 1 ))): $(ss -tan 2>/dev/null | grep -E ":($port|$((port+1))|$((port+2))|$((port+3))) " | head -3 | tr -s ' ' | tr '\n' ';')" >&2
        sleep 1; once "$1" $(( ${2:-0} + 1 )); return
      fi
      echo "serve exited: $(tail -3 "$tmp/serve.log")" >&2; return 1
    fi
    sleep 0.005
  done
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  cpu=$(awk '{print ($14+$15)*1000/100, $10}' /proc/$pid/stat)   # user+system CPU so far (ticks of 10 ms), minor faults
  rss=$(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {printf "%d %d", a/1024, f/1024}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$ms $cpu $rss"   # only now: the caller starts the next server as soon as it reads this line
}

mkdir -p "$tmp/home"
declare -A filled
for b in "$@"; do   # fill the engine cache once per build (each build's jar gets its own head notes)
  [ -n "${filled[${b%%|*}]:-}" ] || { once "$b" >/dev/null; filled[${b%%|*}]=1; }
done
declare -A wall cpu flt anon file
for i in $(seq 1 "$N"); do
  for d in "$@"; do
    read -r w c f a m < <(once "$d")
    wall[$d]+="$w "; cpu[$d]+="$c "; flt[$d]+="$f "; anon[$d]+="$a "; file[$d]+="$m "
  done
done
printf '%-60s %7s %7s %8s %8s %9s   %s\n' build median min "cpu-med" "flt-med" "anon/file" "all wall (ms)"
for d in "$@"; do
  python3 -c "import sys,statistics as s; v=[int(x) for x in sys.argv[2].split()]; c,f,a,m=([float(x) for x in y.split()] for y in sys.argv[3:7]); print('%-60s %7d %7d %8d %8d %4d/%-4d   %s' % ((sys.argv[1].split('|')[0][-18:] + '|' + sys.argv[1].split('|', 1)[1][-41:]) if '|' in sys.argv[1] else sys.argv[1][-60:], s.median(v), min(v), s.median(c), s.median(f), s.median(a), s.median(m), ' '.join(map(str,v))))" "$d" "${wall[$d]}" "${cpu[$d]}" "${flt[$d]}" "${anon[$d]}" "${file[$d]}"
done
echo "cold-start-ab: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
