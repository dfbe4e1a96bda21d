#!/usr/bin/env bash
# End-to-end check of capture + monitor on a live server (docs/monitoring.md, "End to end on a live capture").
# A head is trained like the built-in one (--cv 5) on a label-stratified half A of CLINC150 train + valid; the server
# captures 100 % of 600 in-scope queries from the other half B (never seen by the head or the baseline); then
# monitor baseline (cross-fitted), label, check. About 30 min on 2 busy cores, most of it the --cv training.
# Usage: /work/bin/heavy monitor/bench/live-e2e.sh [DATA_DIR=../shared/data] [OUT=monitor/target/live-e2e] [PORT=9301]
#   (PORT, PORT+1 and PORT+2: inference, management, metrics)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DATA=$(cd "${1:-../shared/data}" && pwd); OUT=${2:-monitor/target/live-e2e}; PORT=${3:-9301}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); cd "$OUT"
J="$ROOT/infer4j"
python3 - "$DATA/clinc150" <<'PY'
import json, random, collections, sys
rows = []
for split in ('train', 'valid'):
    for l in open(f'{sys.argv[1]}/{split}.jsonl'):
        r = json.loads(l); r['_o'] = split; rows.append(r)
by = collections.defaultdict(list)
for i, r in enumerate(rows): by[r['label']].append(i)
rnd = random.Random(18); a, b = [], []
for lab in sorted(by):
    ix = by[lab][:]; rnd.shuffle(ix); h = len(ix) // 2; a += ix[:h]; b += ix[h:]
a.sort(); b.sort(); rnd.shuffle(b)
def write(fn, ix, keep=lambda r: True):
    with open(fn, 'w') as f:
        for i in ix:
            if keep(rows[i]): f.write(json.dumps({'text': rows[i]['text'], 'label': rows[i]['label']}) + '\n')
write('a-train.jsonl', [i for i in a if rows[i]['_o'] == 'train'])
write('a-valid.jsonl', [i for i in a if rows[i]['_o'] == 'valid'])
write('traffic.jsonl', [i for i in b if rows[i]['label'] != 'oos'][:600])
PY
[ -f head-a.json ] || "$J" train --task intent --cv 5 --train a-train.jsonl --valid a-valid.jsonl --out head-a.json
"$J" archive --name intent --head head-a.json --out intent-a.mar
rm -rf capture base-train base-valid report report-valid
"$J" monitor baseline --model intent-a.mar --data a-train.jsonl --out base-train
printf 'drift_baseline.intent=%s\ndrift_window=500\n' "$OUT/base-train" > live.properties
"$J" serve --config live.properties --models intent=intent-a.mar --inference-address 127.0.0.1:$PORT \
  --management-address 127.0.0.1:$((PORT + 1)) --metrics-address 127.0.0.1:$((PORT + 2)) --capture-dir capture --capture-percent 100 > serve.log 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf 127.0.0.1:$PORT/ping >/dev/null && break; sleep 1; done
python3 - "$PORT" <<'PY'
import json, sys, urllib.request
with open('labels.jsonl', 'w') as lab:
    for line in open('traffic.jsonl'):
        r = json.loads(line)
        req = urllib.request.Request(f'http://127.0.0.1:{sys.argv[1]}/predictions/intent', data=json.dumps({'text': r['text']}).encode(),
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req) as resp:
            lab.write(json.dumps({'event_id': resp.headers['X-Infer4j-Event-Id'], 'label': r['label']}) + '\n')
PY
sleep 8   # the live check runs on its own thread
curl -s 127.0.0.1:$((PORT + 2))/metrics | grep -E '^infer4j_drift_score|^infer4j_capture_(written|dropped)' | tee metrics.txt
kill $SP; wait $SP || true
"$J" monitor label --capture capture --events labels.jsonl
"$J" monitor check --baseline base-train --capture capture/intent/1 --out report || echo "check exit $?"
"$J" monitor baseline --model intent-a.mar --data a-valid.jsonl --out base-valid
"$J" monitor check --baseline base-valid --capture capture/intent/1 --out report-valid || echo "check exit $?"
