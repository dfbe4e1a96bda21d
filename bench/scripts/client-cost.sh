#!/usr/bin/env bash
# The open-loop client's own CPU cost per request, and what the server makes of the CPU it leaves: one server,
# driven in turn (alternated ROUNDS times) by `infer4j bench --rate R` from two builds of the client (A = BASE_JAR,
# B = this build), at each rate of RATES. For every run it reads utime+stime of the client's and the server's
# processes (/proc/PID/stat) over the measured window only (after the client's warm-up) and the run's
# summary.json, and writes OUT/cost.tsv and OUT/cost.md: client CPU per request (us), server CPU per request,
# served p50/p99, served fraction, how late the sends left against their intended time (p50/p99 us, from the
# client's "send lateness" line; builds before session 10 do not print it: -1), and the ratios to A per rate
# (medians over the rounds), also without the JIT compiler's threads (at 600-1200 req/s the per-request code
# reaches C2's thresholds only after 10-20 s, so a short window still pays for compiling it; per-thread CPU of each
# run in OUT/runs/*.threads). CLIENTS="A B C" adds clients: client X runs JAR_X (default this build) with
# CLIENT_JVM_X and CLIENT_ARGS_X, e.g. CLIENT_ARGS_C="--client-io nio"; the order is reversed every other round.
# Optionally (WRK=1) the same server under `wrk -t1 -c4` for the same time, as a reference for a lean C client.
#
# Usage: BASE_JAR=/path/to/old/infer4j.jar bench/scripts/client-cost.sh [int8|fp32|echo] [OUT]
#   int8/fp32: `infer4j serve` (this build) on the peers' model export, WORKERS=2 THREADS=1
#   echo:      a Node.js server that answers every POST with a constant (the client's cost alone, no model)
#   env: RATES="600 900" ROUNDS=2 WARM=6 DUR=8 (seconds) PORT=9400 CLIENT_JVM="-XX:+UseSerialGC -Xms256m -Xmx256m"
#        CLIENT_JVM_A, CLIENT_JVM_B: the two clients' JVM flags when they differ (then BASE_JAR may be this build)
#        CLIENT_ARGS_A, CLIENT_ARGS_B, ...: extra `bench` arguments per client (e.g. "--client-io nio")
# Run it under /work/bin/quiet (or on an otherwise idle machine): the load average is recorded before and after.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
P=${1:-int8}
OUT=${2:-$root/out/client-cost-$P}
: "${BASE_JAR:?set BASE_JAR to the other build infer4j.jar (with its lib/ beside it)}"
JAR=${JAR:-$root/cli/target/infer4j.jar}
RATES=${RATES:-"600 900"}; ROUNDS=${ROUNDS:-2}; WARM=${WARM:-6}; DUR=${DUR:-8}; PORT=${PORT:-9400}
WORKERS=${WORKERS:-2}; THREADS=${THREADS:-1}
CLIENT_JVM=${CLIENT_JVM:-"-XX:+UseSerialGC -Xms256m -Xmx256m"}
CLIENT_JVM_A=${CLIENT_JVM_A:-$CLIENT_JVM}; CLIENT_JVM_B=${CLIENT_JVM_B:-$CLIENT_JVM}
CLIENTS=${CLIENTS:-"A B"}; JAR_A=$BASE_JAR   # any other client X runs JAR_X, default this build
PH=${PH:-$(cat "$root/../.peers_home" 2>/dev/null || "$root/../shared/peers/setup.sh")}
Q=$PH/queries.txt
mkdir -p "$OUT/runs"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
log() { echo "[client-cost] $*" >&2; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }   # utime+stime in clock ticks
# per thread of PID: name (digits dropped, so a pool's threads add up) and utime+stime ticks
thread_ticks() { for t in /proc/"$1"/task/*; do printf '%s\t%s\n' "$(tr -d '0-9#' < "$t/comm")" "$(sed 's/.*) //' "$t/stat" | awk '{print $12+$13}')"; done 2>/dev/null; }
HZ=$(getconf CLK_TCK)
echo "load_before	$(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/machine.tsv"
echo "cpu	$(lscpu | sed -n 's/Model name: *//p') ($(nproc) cores)" >> "$OUT/machine.tsv"

case "$P" in
  echo)
    node -e "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'Content-Type':'application/json'});s.end('{\"ok\":true}')})}).listen($PORT,'127.0.0.1')" &
    URL=http://127.0.0.1:$PORT/predictions/m ;;
  int8|fp32)
    java -Dai.djl.offline=true -jar "$JAR" serve --models m="$PH/models/$P" --workers "$WORKERS" --threads "$THREADS" \
      --inference-address 127.0.0.1:$PORT --management-address 127.0.0.1:$((PORT+1)) --metrics-address 127.0.0.1:$((PORT+2)) \
      > "$OUT/serve.log" 2>&1 &
    URL=http://127.0.0.1:$PORT/predictions/m ;;
  *) echo "usage: $0 [int8|fp32|echo] [OUT]" >&2; exit 2 ;;
esac
SPID=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: text/plain' -d 'warm up' "$URL" && break; sleep 0.1; done
# the server's JIT: 15 s of closed-loop load before anything is measured
wrk -t1 -c4 -d15s -s "$root/../shared/peers/node-embed/wrk-post.lua" "${URL%/predictions/m}" >/dev/null 2>&1 || true
export QUERIES=$Q WPATH=/predictions/m

run() { # name rate round
  local name=$1 r=$2 round=$3 dir="$OUT/runs/$1-$2-$3" jar jvm args
  jar=$(eval echo "\${JAR_$name:-$JAR}"); jvm=$(eval echo "\${CLIENT_JVM_$name:-$CLIENT_JVM}"); args=$(eval echo "\${CLIENT_ARGS_$name:-}")
  rm -rf "$dir"
  # shellcheck disable=SC2086
  java $jvm -Dai.djl.offline=true -jar "$jar" bench --url "$URL" --api torchserve --data "$Q" --rate "$r" \
    --warmup "${WARM}s" --duration "${DUR}s" --report "$dir" $args > "$dir.log" 2>&1 &
  local cpid=$!
  sleep $((WARM + 2))    # JVM start (~1 s) + warm-up, then 1 s into the measured window
  local c0 s0 t0 c1 s1 t1
  c0=$(ticks $cpid); s0=$(ticks $SPID); t0=$(date +%s.%N); thread_ticks $cpid > "$dir.threads0"
  sleep $((DUR - 2))
  c1=$(ticks $cpid); s1=$(ticks $SPID); t1=$(date +%s.%N); thread_ticks $cpid > "$dir.threads1"
  wait $cpid || true
  # where the client's window CPU went, by thread name (us per request): OUT/runs/NAME-RATE-ROUND.threads
  python3 - "$dir.threads0" "$dir.threads1" "$r" "$t0" "$t1" "$HZ" > "$dir.threads" <<'EOF'
import collections, sys
f0, f1, r, t0, t1, hz = sys.argv[1:]
def read(f):
    d = collections.Counter()
    for line in open(f):
        name, _, t = line.rstrip("\n").rpartition("\t")
        if t: d[name.strip()] += int(t)
    return d
a, b = read(f0), read(f1); n = float(r) * (float(t1) - float(t0))
for name, t in sorted(((k, b[k] - a.get(k, 0)) for k in b), key=lambda x: -x[1]):
    if t > 0: print("%s\t%.1f" % (name, t / int(hz) / n * 1e6))
EOF
  python3 - "$name" "$r" "$round" "$c0" "$c1" "$s0" "$s1" "$t0" "$t1" "$HZ" "$dir/summary.json" "$dir.log" "$dir.threads" >> "$OUT/cost.tsv" <<'EOF'
import json, re, sys
name, r, rnd, c0, c1, s0, s1, t0, t1, hz, summ, logf, thr = sys.argv[1:]
win = float(t1) - float(t0); n = float(r) * win
d = json.load(open(summ)); e = sum(d['errors'].values())
m = re.search(r"send lateness\s+p50 (\d+)\s+p99 (\d+)", open(logf, errors="replace").read())
late = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
jit = sum(float(l.split("\t")[1]) for l in open(thr) if "Compiler" in l)  # the JIT's threads: still busy at ~10 s
print("%s\t%s\t%s\t%.1f\t%.1f\t%.3f\t%.3f\t%.4f\t%d\t%.1f\t%d\t%d\t%.1f" % (name, r, rnd,
    (int(c1) - int(c0)) / int(hz) / n * 1e6, (int(s1) - int(s0)) / int(hz) / n * 1e6,
    d['p50Ms'], d['p99Ms'], d['ok'] / max(1, d['sent']), e, d['throughputRps'], late[0], late[1], jit))
EOF
  log "$(tail -1 "$OUT/cost.tsv")"
  log "threads: $(head -4 "$dir.threads" | tr '\t\n' '= ')"
}

echo -e "client\trate\tround\tclient_us_per_req\tserver_us_per_req\tp50_ms\tp99_ms\tserved\terrors\tok_rps\tlate_p50_us\tlate_p99_us\tclient_jit_us_per_req" > "$OUT/cost.tsv"
for round in $(seq 1 "$ROUNDS"); do
  order=$CLIENTS
  [ $((round % 2)) = 0 ] && order=$(echo "$CLIENTS" | tr ' ' '\n' | tac | tr '\n' ' ')
  for r in $RATES; do
    for c in $order; do run "$c" "$r" "$round"; done
  done
done
if [ "${WRK:-0}" = 1 ]; then
  s0=$(ticks $SPID)
  line=$( { /usr/bin/time -f "wrk_cpu_s=%U+%S" wrk -t1 -c4 -d"${DUR}s" -s "$root/../shared/peers/node-embed/wrk-post.lua" "${URL%/predictions/m}"; } 2>&1 | grep -E 'RESULT|wrk_cpu' | tr '\n' ' ')
  s1=$(ticks $SPID)
  echo "wrk	$line server_ticks=$((s1 - s0))" >> "$OUT/wrk.tsv"; log "wrk: $line server_ticks=$((s1 - s0))"
fi
echo "load_after	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
python3 - "$OUT" <<'EOF'
import csv, statistics as st, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/cost.tsv"), delimiter="\t"))
m = {}
for r in rows: m.setdefault((r["client"], r["rate"]), []).append(r)
med = lambda rs, k: st.median(float(x[k]) for x in rs)
clients = sorted({r["client"] for r in rows})
nojit = lambda rs: st.median(float(x["client_us_per_req"]) - float(x["client_jit_us_per_req"]) for x in rs)
lines = ["| rate | client | client us/req (per round) | / A | without the JIT's threads | / A | server us/req | p50, p99 ms | served | send late p50, p99 us |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for rate in sorted({r["rate"] for r in rows}, key=float):
    a = m.get(("A", rate), [])
    for c in clients:
        b = m.get((c, rate), [])
        if not b: continue
        ratio = "%.2f" % (med(b, "client_us_per_req") / med(a, "client_us_per_req")) if a else "-"
        late = "%.0f, %.0f" % (med(b, "late_p50_us"), med(b, "late_p99_us")) if med(b, "late_p50_us") >= 0 else "-"
        ratio2 = "%.2f" % (nojit(b) / nojit(a)) if a else "-"
        lines.append("| %s | %s | %.0f (%s) | %s | %.0f | %s | %.0f | %.2f, %.2f | %.4f | %s |" % (rate, c, med(b, "client_us_per_req"),
            ", ".join("%.0f" % float(x["client_us_per_req"]) for x in b), ratio, nojit(b), ratio2, med(b, "server_us_per_req"),
            med(b, "p50_ms"), med(b, "p99_ms"), med(b, "served"), late))
open(out + "/cost.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
