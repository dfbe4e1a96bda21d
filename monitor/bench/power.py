#!/usr/bin/env python3
"""Power calculation of the unfamiliarity signal for small admixtures (docs/monitoring.md, "Why 5 % at 600 is out of reach").

Reads the (confidence, novelty) pairs that `drift-eval.sh ... select` writes to OUT/select-*.csv: the half-A baseline
(out-of-fold), half B (same-domain traffic) and 3,000 rows of Banking77's train split (the selection data, never the
evaluation's valid split), all predicted by the half-A head. Scores every event as DriftCheck.UnfamiliarScorer does
and prints the normal-approximation power of a one-sided test of the window's mean score at the strictest Holm level
(0.01 / 10), the window size and admixture share that 90 % power needs, and the same for the best simple tail rates.
Needs numpy and scipy.  Usage: python3 monitor/bench/power.py OUT
"""
import sys

import numpy as np
from scipy import stats

d = sys.argv[1] if len(sys.argv) > 1 else 'monitor/target/drift-eval'


def load(f):
    a = np.loadtxt(f'{d}/{f}', delimiter=',', skiprows=1, ndmin=2)
    return a[:, 0], a[:, 1]


bc, bn = load('select-baseline.csv')
hc, hn = load('select-half-b.csv')
kc, kn = load('select-banking77-train.csv')
sc, sn = np.sort(bc), np.sort(bn)


def unfamiliarity(c, n):  # mean of the lower-tail share of the confidence and the upper-tail share of the novelty
    return ((len(sc) - np.searchsorted(sc, c, 'right')) / len(sc) + np.searchsorted(sn, n, 'left') / len(sn)) / 2


ub = np.sort(unfamiliarity(bc, bn))
N = len(ub)


def score(u, in_baseline=False, tail=0.2):  # max(0, ln(tail / p)), p = events at least as unfamiliar over N + 1
    at = N - np.searchsorted(ub, u, 'left') + (0 if in_baseline else 1)
    return np.maximum(0, np.log(tail / (at / (N + 1))))


sb, sh, sk = score(ub, True), score(unfamiliarity(hc, hn)), score(unfamiliarity(kc, kn))
print(f'mean score: baseline {sb.mean():.4f} (s.d. {sb.std():.3f}), half B {sh.mean():.4f}, Banking77 train {sk.mean():.3f} (s.d. {sk.std():.3f})')
zc = stats.norm.isf(0.01 / 10)
z90 = zc + stats.norm.isf(0.10)
print(f'one-sided critical z at 0.01 / 10: {zc:.2f}; 90 % power needs a shift of {z90:.2f} standard errors')


def shift(eps):
    m = (1 - eps) * sh.mean() + eps * sk.mean()
    v = (1 - eps) * (sh ** 2).mean() + eps * (sk ** 2).mean() - m ** 2
    return m - sb.mean(), v


for n in [200, 600, 1000, 2000]:
    row = []
    for eps in [0.05, 0.10]:
        m, v = shift(eps)
        power = stats.norm.sf((zc * sb.std() / np.sqrt(n) - m) / np.sqrt(v / n))
        row.append(f'{eps:.0%}: shift {m / (sb.std() / np.sqrt(n)):.2f} s.e., power {power:.2f}')
    print(f'window {n:5d}: ' + '; '.join(row))
m, _ = shift(0.05)
print(f'5 %: 90 % power from a window of about {(z90 * sb.std() / m) ** 2:.0f} events')
for eps in np.arange(0.05, 0.30, 0.005):
    m, _ = shift(eps)
    if m / (sb.std() / np.sqrt(600)) >= z90:
        print(f'600 events: 90 % power from an admixture of about {eps:.1%}')
        break
for q in [0.90, 0.95]:
    t = np.quantile(ub, q)
    t0, th, tb = (ub > t).mean(), (unfamiliarity(hc, hn) > t).mean(), (unfamiliarity(kc, kn) > t).mean()
    extra, sd = 600 * 0.05 * (tb - th), np.sqrt(600 * t0 * (1 - t0))
    print(f'simple tail {1 - q:.2f}: share baseline {t0:.3f}, half B {th:.3f}, Banking77 {tb:.3f}; in 600 events 5 % (30 foreign events) '
          f'add {extra:.1f} to {600 * th:.1f} tail events (null s.d. {sd:.1f}): {extra / sd:.2f} s.d.')
