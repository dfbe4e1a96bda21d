#!/usr/bin/env bash
# End-to-end check of capture + monitor on a live server (docs/monitoring.md, "End to end on a live capture").
# A head trained like the built-in one on a label-stratified half A of CLINC150 train + valid; a real server captures
# 100 % of 600 in-scope queries from the other half B (never seen by the head or the baseline); then monitor baseline
# (cross-fitted), label, check. Two steps, each well under 10 minutes, so each runs as its own heavy command:
#
#   /work/bin/heavy monitor/bench/live-e2e.sh prepare [DATA_DIR=../shared/data] [OUT=monitor/target/live-e2e] [PORT=9401] [HEAD_DIR]
#   /work/bin/heavy monitor/bench/live-e2e.sh serve   [DATA_DIR=../shared/data] [OUT=monitor/target/live-e2e] [PORT=9401]
#
# prepare: half A's files and head. With HEAD_DIR (default monitor/target/drift-eval, written by drift-eval.sh) the
#   half-A head that drift-eval.sh trained (IntentTrainer, --cv 5 on A's train and valid rows pooled, the built-in
#   recipe as the only grid point) is reused; without one, `infer4j train --task intent --cv 5` trains a head on the
#   same files with the full grid (about 25 minutes on 2 busy cores: run it on its own). Then archive it and write the
#   cross-fitted baseline of half A's train file.
# serve: start the server (PORT, PORT+1, PORT+2: inference, management, metrics) with live gauges against that
#   baseline (drift_window 500), send 50 events (gauges: too small to judge), then 550 more, scrape the gauges after each part,
#   stop the server, label, check against the train-split baseline and against a valid-split baseline.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STEP=${1:?usage: live-e2e.sh prepare|serve [DATA_DIR] [OUT] [PORT] [HEAD_DIR]}
DATA=$(cd "${2:-../shared/data}" && pwd); OUT=${3:-monitor/target/live-e2e}; PORT=${4:-9401}
HEADS=${5:-monitor/target/drift-eval}
[ -d "$HEADS" ] && HEADS=$(cd "$HEADS" && pwd)
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); cd "$OUT"
J="$ROOT/infer4j"

if [ "$STEP" = prepare ]; then
  if [ -f "$HEADS/half-A-head.json" ]; then
    cp "$HEADS/half-A-train.jsonl" "$HEADS/half-A-valid.jsonl" "$HEADS/half-A-head.json" .
    echo "head: $HEADS/half-A-head.json (trained by drift-eval.sh on these files)"
  else
    python3 - "$DATA/clinc150" <<'PY'
import json, random, collections, sys
rows = []
for split in ('train', 'valid'):
    for l in open(f'{sys.argv[1]}/{split}.jsonl'):
        r = json.loads(l); r['_o'] = split; rows.append(r)
by = collections.defaultdict(list)
for i, r in enumerate(rows): by[r['label']].append(i)
rnd = random.Random(18); a = []
for lab in sorted(by):
    ix = by[lab][:]; rnd.shuffle(ix); a += ix[:len(ix) // 2]
a.sort()
for name, split in (('half-A-train.jsonl', 'train'), ('half-A-valid.jsonl', 'valid')):
    with open(name, 'w') as f:
        for i in a:
            if rows[i]['_o'] == split: f.write(json.dumps({'text': rows[i]['text'], 'label': rows[i]['label']}) + '\n')
PY
    [ -f half-A-head.json ] || "$J" train --task intent --cv 5 --train half-A-train.jsonl --valid half-A-valid.jsonl --out half-A-head.json
  fi
  # traffic: in-scope rows of train + valid that are not in half A (multiset difference), 600 of them in random order
  python3 - "$DATA/clinc150" <<'PY'
import json, random, collections, sys
key = lambda r: (r['text'], r['label'])
a = collections.Counter()
for fn in ('half-A-train.jsonl', 'half-A-valid.jsonl'):
    for l in open(fn): a[key(json.loads(l))] += 1
b = []
for split in ('train', 'valid'):
    for l in open(f'{sys.argv[1]}/{split}.jsonl'):
        r = json.loads(l)
        if a[key(r)] > 0: a[key(r)] -= 1
        else: b.append(r)
inscope = [r for r in b if r['label'] != 'oos']
random.Random(18).shuffle(inscope)
with open('traffic.jsonl', 'w') as f:
    for r in inscope[:600]: f.write(json.dumps({'text': r['text'], 'label': r['label']}) + '\n')
print(f'half B: {len(b)} rows, {len(inscope)} in scope; traffic.jsonl: 600 of them')
PY
  "$J" archive --name intent --head half-A-head.json --out intent-a.mar
  rm -rf base-train
  "$J" monitor baseline --model intent-a.mar --data half-A-train.jsonl --out base-train
  exit 0
fi

[ "$STEP" = serve ] || { echo "unknown step $STEP (prepare or serve)" >&2; exit 2; }
rm -rf capture base-valid report report-valid
printf 'drift_baseline.intent=%s\ndrift_window=500\n' "$OUT/base-train" > live.properties
"$J" serve --config live.properties --models intent=intent-a.mar --inference-address 127.0.0.1:$PORT \
  --management-address 127.0.0.1:$((PORT + 1)) --metrics-address 127.0.0.1:$((PORT + 2)) --capture-dir capture --capture-percent 100 > serve.log 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf 127.0.0.1:$PORT/ping >/dev/null && break; sleep 1; done
send() {  # send traffic rows FROM..TO-1, append their event ids to labels.jsonl
  python3 - "$PORT" "$1" "$2" <<'PY'
import json, sys, urllib.request
port, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in open('traffic.jsonl')][lo:hi]
with open('labels.jsonl', 'a') as lab:
    for r in rows:
        req = urllib.request.Request(f'http://127.0.0.1:{port}/predictions/intent', data=json.dumps({'text': r['text']}).encode(),
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req) as resp:
            lab.write(json.dumps({'event_id': resp.headers['X-Infer4j-Event-Id'], 'label': r['label']}) + '\n')
PY
}
rm -f labels.jsonl
send 0 50
sleep 8   # the live check runs on its own thread
echo "--- live gauges after 50 events"
curl -s 127.0.0.1:$((PORT + 2))/metrics | grep -E '^infer4j_drift_score|^infer4j_capture_(written|dropped)' | tee metrics-50.txt
send 50 600
sleep 8
echo "--- live gauges after 600 events (window: the last 500)"
curl -s 127.0.0.1:$((PORT + 2))/metrics | grep -E '^infer4j_drift_score|^infer4j_capture_(written|dropped)' | tee metrics.txt
kill $SP; wait $SP || true
"$J" monitor label --capture capture --events labels.jsonl
"$J" monitor check --baseline base-train --capture capture/intent/1 --out report || echo "check exit $?"
"$J" monitor baseline --model intent-a.mar --data half-A-valid.jsonl --out base-valid
"$J" monitor check --baseline base-valid --capture capture/intent/1 --out report-valid || echo "check exit $?"
