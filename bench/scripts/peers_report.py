#!/usr/bin/env python3
"""Reads peers.sh's raw results (raw.tsv, ort.tsv) and writes peers.tsv, peers.md and index.html: per system the
closed-loop ladder, the highest open-loop rate holding p99 <= SLO with >= 99% served (every lower rate holding it too), saturation and batch-1 p50, each
as a ratio to the Node peer and to the in-process ceiling. Usage: peers_report.py OUT PRECISION SLO_MS"""
import html, re, statistics, sys
from collections import defaultdict

out, precision, slo = sys.argv[1], sys.argv[2], float(sys.argv[3])
threads = sys.argv[4] if len(sys.argv) > 4 else "1"  # intra-op threads per worker: the ceiling's batch-1 row to compare with
runs = defaultdict(list)  # (system, mode, level) -> [dict]
for line in open(f"{out}/raw.tsv"):
    sysname, mode, level, result = line.rstrip("\n").split("\t")
    kv = dict(re.findall(r"(\w+)=([\d.]+)", result))
    runs[(sysname, mode, int(level))].append({k: float(v) for k, v in kv.items()})

def med(rows, key):
    return statistics.median(r[key] for r in rows)

systems = sorted({k[0] for k in runs}, key=lambda s: s != "infer4j")
closed_levels = sorted({k[2] for k in runs if k[1] == "closed"})
open_levels = sorted({k[2] for k in runs if k[1] == "open"})

ceiling_rps, ceiling_lat = float("nan"), {}  # label ("lat-before-2", "lat-after-3", or the precision) -> batch-1 p50 ms
try:
    for line in open(f"{out}/ort.tsv"):
        f = line.rstrip("\n").split("\t")
        if f[1] == "tput": ceiling_rps = max(float(f[8]), ceiling_rps if ceiling_rps == ceiling_rps else 0)
        if f[1] == "lat-e2e" and f[2] == f"b1-intra{threads}": ceiling_lat[f[0]] = float(f[3])
except FileNotFoundError:
    pass
ceiling_p50 = statistics.median(ceiling_lat.values()) if ceiling_lat else float("nan")

def knee(rows_of):  # rows_of(rate) -> rows or None: the highest rate holding the SLO with every lower rate holding it too
    best = 0
    for r in open_levels:
        rows = rows_of(r)
        if not (rows and med(rows, "p99") <= slo and med(rows, "served") >= 0.99): break
        best = r
    return best

summary = {}
for s in systems:
    best_rate = knee(lambda r, s=s: runs.get((s, "open", r)))  # on each rung's median over the rounds
    sat = max([med(runs[(s, "closed", c)], "rps") for c in closed_levels if (s, "closed", c) in runs]
              + [med(runs[(s, "open", r)], "rps") for r in open_levels if (s, "open", r) in runs])
    p50 = med(runs[(s, "closed", 1)], "p50") if (s, "closed", 1) in runs else float("nan")
    summary[s] = dict(rate_at_slo=best_rate, saturation=sat, batch1_p50=p50)

def ratio(a, b):
    return a / b if b else float("nan")

# every round on its own (ROUNDS > 1): the knee ratio and the batch-1 overhead against the ceiling measured just before
# and just after that round
rounds = sorted({int(r["round"]) for rows in runs.values() for r in rows if "round" in r})
per_round = []
for rd in rounds:
    pick = lambda s, mode, lvl: [x for x in runs.get((s, mode, lvl), []) if x.get("round") == rd] or None
    if not all(pick(s, "open", open_levels[0]) for s in ("infer4j", "node")): continue
    k = {s: knee(lambda r, s=s: pick(s, "open", r)) for s in ("infer4j", "node")}
    sat = {s: max([med(pick(s, "closed", c), "rps") for c in closed_levels if pick(s, "closed", c)] or [0]) for s in ("infer4j", "node")}
    near = [ceiling_lat[l] for l in (f"lat-before-{rd}", f"lat-before-{rd + 1}", f"lat-after-{rd}") if l in ceiling_lat]
    ceil = statistics.mean(near) if near else ceiling_p50
    b1 = {s: (med(pick(s, "closed", 1), "p50") - ceil) if pick(s, "closed", 1) else float("nan") for s in ("infer4j", "node")}
    per_round.append(dict(round=rd, knee=k, ratio=ratio(k["infer4j"], k["node"]), sat=sat, ceiling_b1=ceil, over=b1))

def times(a, b):  # "1.50x", or why there is no ratio (no rate held the SLO: start the ladder lower with RATES=)
    return f"{a / b:.2f}x" if b else ("n/a (neither held the SLO)" if not a else "n/a (node held it at no rate)")

lines = [f"precision\t{precision}", f"slo_p99_ms\t{slo:g}", f"ceiling_sentences_per_s\t{ceiling_rps:.1f}", f"ceiling_batch1_p50_ms\t{ceiling_p50:.3f}"]
for s in systems:
    m = summary[s]
    lines.append(f"{s}\trate_at_slo\t{m['rate_at_slo']}\tsaturation\t{m['saturation']:.1f}\tbatch1_p50_ms\t{m['batch1_p50']:.3f}")
if "infer4j" in summary and "node" in summary:
    i, n = summary["infer4j"], summary["node"]
    lines.append(f"ratio_rate_at_slo_infer4j_over_node\t{ratio(i['rate_at_slo'], n['rate_at_slo']):.2f}")
    lines.append(f"ratio_saturation_infer4j_over_node\t{ratio(i['saturation'], n['saturation']):.2f}")
    lines.append(f"ratio_saturation_infer4j_over_ceiling\t{ratio(i['saturation'], ceiling_rps):.2f}")
    lines.append(f"batch1_p50_overhead_ms_infer4j\t{i['batch1_p50'] - ceiling_p50:.3f}")
    lines.append(f"batch1_p50_overhead_ms_node\t{n['batch1_p50'] - ceiling_p50:.3f}")
    for pr in per_round:
        lines.append(f"round_{pr['round']}\trate_at_slo\t{pr['knee']['infer4j']}\t{pr['knee']['node']}\tratio\t{pr['ratio']:.2f}"
                     f"\tbatch1_overhead_ms\t{pr['over']['infer4j']:.3f}\t{pr['over']['node']:.3f}")
open(f"{out}/peers.tsv", "w").write("\n".join(lines) + "\n")

machine = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{out}/machine.tsv"))
same = machine.get('model_infer4j', '') == machine.get('model_peer', '')
models = "same model file" if same else (f"infer4j serves {machine.get('model_infer4j')}, node and the ceiling "
                                         f"{machine.get('model_peer')}")
md = [f"Peers, {precision}, {models}, {machine.get('cpu', '?')}; load average before {machine.get('load_before', '?')}, after {machine.get('load_after', '?')}", "",
      "| closed loop (wrk -t1) | " + " | ".join(f"{s} req/s, p99" for s in systems) + " |", "|---|" + "---|" * len(systems)]
for c in closed_levels:
    md.append(f"| c={c} | " + " | ".join(
        f"{med(runs[(s, 'closed', c)], 'rps'):.0f}, {med(runs[(s, 'closed', c)], 'p99'):.1f} ms" if (s, "closed", c) in runs else "-" for s in systems) + " |")
md += ["", "| open loop (infer4j bench --rate) | " + " | ".join(f"{s} p99, served" for s in systems) + " |", "|---|" + "---|" * len(systems)]
for r in open_levels:
    md.append(f"| {r}/s | " + " | ".join(
        f"{med(runs[(s, 'open', r)], 'p99'):.1f} ms, {100 * med(runs[(s, 'open', r)], 'served'):.1f}%" if (s, "open", r) in runs else "-" for s in systems) + " |")
md += ["", f"| summary | " + " | ".join(systems) + " | raw ORT in-process |", "|---|" + "---|" * (len(systems) + 1),
       f"| highest open-loop rate with p99 <= {slo:g} ms, >= 99% served | " + " | ".join(str(summary[s]['rate_at_slo']) for s in systems) + " | - |",
       f"| saturation (req/s or sentences/s) | " + " | ".join(f"{summary[s]['saturation']:.0f}" for s in systems) + f" | {ceiling_rps:.0f} |",
       f"| batch-1 p50 (ceiling: 1 session, intra-op {threads}) | " + " | ".join(f"{summary[s]['batch1_p50']:.2f} ms" for s in systems) + f" | {ceiling_p50:.2f} ms |"]
if "infer4j" in summary and "node" in summary:
    i, n = summary["infer4j"], summary["node"]
    md += ["", f"Ratios: rate at SLO infer4j/node **{times(i['rate_at_slo'], n['rate_at_slo'])}**; saturation infer4j/node "
               f"**{ratio(i['saturation'], n['saturation']):.2f}x**, infer4j/ceiling **{ratio(i['saturation'], ceiling_rps):.2f}x**; "
               f"batch-1 p50 over raw: infer4j +{i['batch1_p50'] - ceiling_p50:.2f} ms, node +{n['batch1_p50'] - ceiling_p50:.2f} ms."]
if len(per_round) > 1:
    md += ["", "| round | rate at SLO infer4j / node | ratio | saturation (closed) infer4j / node | ceiling batch-1 p50 | batch-1 p50 over it, infer4j / node |",
           "|---|---|---|---|---|---|"]
    for pr in per_round:
        md.append(f"| {pr['round']} | {pr['knee']['infer4j']} / {pr['knee']['node']} | {times(pr['knee']['infer4j'], pr['knee']['node'])} | "
                  f"{pr['sat']['infer4j']:.0f} / {pr['sat']['node']:.0f} | {pr['ceiling_b1']:.2f} ms | "
                  f"+{pr['over']['infer4j']:.2f} / +{pr['over']['node']:.2f} ms |")
    rs = [pr["ratio"] for pr in per_round if pr["ratio"] == pr["ratio"]]
    if rs:
        md += ["", f"Per round: rate-at-SLO ratio median **{statistics.median(rs):.2f}x** (min {min(rs):.2f}x, max {max(rs):.2f}x); "
                   f"batch-1 over the ceiling measured beside each round, median infer4j "
                   f"+{statistics.median(pr['over']['infer4j'] for pr in per_round):.2f} ms, node "
                   f"+{statistics.median(pr['over']['node'] for pr in per_round):.2f} ms."]
open(f"{out}/peers.md", "w").write("\n".join(md) + "\n")

rows = "".join(f"<p>{html.escape(l)}</p>" if not l.startswith("|") else "" for l in md)
tables, cur = [], []
for l in md + [""]:
    if l.startswith("|"):
        cur.append(l)
    elif cur:
        head, body = cur[0], [x for x in cur[2:]]
        cells = lambda x, t: "".join(f"<{t}>{html.escape(c.strip().replace('**', ''))}</{t}>" for c in x.strip("|").split("|"))
        tables.append("<table><tr>" + cells(head, "th") + "</tr>" + "".join("<tr>" + cells(b, "td") + "</tr>" for b in body) + "</table>")
        cur = []
page = ("<!doctype html><meta charset=utf-8><title>infer4j vs peers</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}</style>"
        f"<h1>infer4j vs the Node peer ({html.escape(precision)})</h1>" + rows + "".join(tables))
open(f"{out}/index.html", "w").write(page)
print("\n".join(md))
