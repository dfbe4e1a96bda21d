#!/usr/bin/env bash
# Regression check for serving speed: re-measures infer4j against the Node peer (a short peers.sh run) and compares the
# ratios with peers-baseline.tsv (measured on the same kind of machine). Exits 1 and names the ratio when one fell by
# more than TOLERANCE (default 0.15 = 15%). Ratios, not absolute numbers: both systems run in the same session.
# Usage: bench/scripts/peers-check.sh [int8|fp32]     (quiet machine; ~3 min)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
P=${1:-int8}; OUT=${OUT:-$here/../../out/peers-check-$P}; TOL=${TOLERANCE:-0.15}
CONC=${CONC:-"1 4 16"} DUR=${DUR:-6} WARM=${WARM:-6} RATES=${RATES:-$( [ "$P" = int8 ] && echo "200 300 400 500" || echo "100 150 200 250")} \
  bash "$here/peers.sh" "$P" "$OUT" > "$OUT.log" 2>&1 || { echo "peers-check: the measurement failed, see $OUT.log" >&2; exit 2; }
python3 - "$here/peers-baseline.tsv" "$OUT/peers.tsv" "$P" "$TOL" <<'PY'
import sys
base_file, now_file, precision, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def ratios(f, prefix=""):
    out = {}
    for line in open(f):
        k, *v = line.rstrip("\n").split("\t")
        if k.startswith(prefix + "ratio_"): out[k[len(prefix):]] = float(v[0])
    return out
base = ratios(base_file, precision + ".")
now = ratios(now_file)
bad = [f"{k}: {now[k]:.2f} < baseline {v:.2f} - {tol:.0%}" for k, v in base.items() if k in now and now[k] < v * (1 - tol)]
for k, v in sorted(now.items()): print(f"{k}\t{v:.2f}\t(baseline {base.get(k, float('nan')):.2f})")
if bad:
    print("REGRESSION: " + "; ".join(bad)); sys.exit(1)
print("ok: no ratio fell by more than %.0f%%" % (100 * tol))
PY
