#!/usr/bin/env python3
"""What open-loop rate can ANY server hold at a p99 SLO, given the model's own forward-pass time on this machine?

Simulates Poisson arrivals (what `infer4j bench --rate` sends) to CORES single-threaded servers, each request needing one
forward pass whose time is drawn from the measured batch-1 distribution (p50, p90, p99 of raw ONNX Runtime: ort-raw's
lat-model row, or peers.sh's ceiling), and reports, per rate, the p99 of the time in the system for two disciplines:

  routed  each request is bound to one core at random and waits for that core (a server process per core with its own
          connections, like the Node peer: a request on a busy process waits even while the other core is idle)
  shared  one queue for all cores, the next free core takes the next request (the best a server that never batches can
          do; infer4j's event loops share one queue, but a request read by a busy loop is read only after its pass)
  batched (with --batch B:MS, the p50 of a batch-B pass) one queue, and a free core takes everything queued, up to B
          requests, in one pass whose time grows linearly from the batch-1 draw to MS x (draw / p50) at B: greedy dynamic
          batching with no added wait, the best a batching server can do on this pass-time curve

The highest rate whose p99 stays under the SLO is the bound for each. Nothing here is infer4j-specific: it says how much
of a rate-at-SLO goal is reachable by scheduling alone, before batching or a faster forward pass.

With --batch it also reports the batched saturation (B / pass time per core) and the p99 at 0.8x of it: the issue's
"p99 < 10 ms at 0.8x saturation" asked of a perfect scheduler on this machine's measured pass times.

Usage: queue_bound.py --p50 5.0 --p90 6.5 --p99 9.0 --slo 25 [--cores 2] [--rates 100,150,...] [--n 200000]
                      [--batch 8:12.3]
"""
import argparse
import random


def service_sampler(p50, p90, p99, rnd):
    """Piecewise-uniform draw matching the three quantiles (below p50 down to 0.8 x p50; above p99 up to 1.3 x p99)."""
    def draw():
        u = rnd.random()
        if u < 0.5:
            return p50 * (0.8 + 0.2 * u / 0.5)
        if u < 0.9:
            return p50 + (p90 - p50) * (u - 0.5) / 0.4
        if u < 0.99:
            return p90 + (p99 - p90) * (u - 0.9) / 0.09
        return p99 * (1 + 0.3 * (u - 0.99) / 0.01)
    return draw


def p99_in_system(rate, cores, shared, p50, p90, p99, n, seed=1):
    rnd = random.Random(seed)
    draw = service_sampler(p50, p90, p99, rnd)
    free = [0.0] * cores
    t, lat = 0.0, []
    for _ in range(n):
        t += rnd.expovariate(rate / 1000.0)  # ms
        k = min(range(cores), key=free.__getitem__) if shared else rnd.randrange(cores)
        done = max(t, free[k]) + draw()
        free[k] = done
        lat.append(done - t)
    lat.sort()
    return lat[int(0.99 * n)]


def batch_factor(b, max_batch, batch_ms, p50):
    """Pass time of a batch of b relative to batch 1: linear from 1 at b = 1 to batch_ms / p50 at max_batch."""
    return 1.0 + (batch_ms / p50 - 1.0) * (b - 1) / max(1, max_batch - 1)


def p99_batched(rate, cores, max_batch, batch_ms, p50, p90, p99, n, seed=1):
    """One queue; whenever a core is free it takes every queued request (up to max_batch) in one pass."""
    rnd = random.Random(seed)
    draw = service_sampler(p50, p90, p99, rnd)
    arrivals, t = [], 0.0
    for _ in range(n):
        t += rnd.expovariate(rate / 1000.0)
        arrivals.append(t)
    free = [0.0] * cores
    lat, i = [], 0
    while i < n:
        k = min(range(cores), key=free.__getitem__)
        start = max(free[k], arrivals[i])
        j = i
        while j < n and j - i < max_batch and arrivals[j] <= start:
            j += 1
        done = start + draw() * batch_factor(j - i, max_batch, batch_ms, p50)
        free[k] = done
        lat.extend(done - a for a in arrivals[i:j])
        i = j
    lat.sort()
    return lat[int(0.99 * len(lat))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p50", type=float, required=True, help="batch-1 forward pass p50, ms")
    ap.add_argument("--p90", type=float, required=True)
    ap.add_argument("--p99", type=float, required=True)
    ap.add_argument("--slo", type=float, required=True, help="p99 SLO, ms")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--rates", default=None, help="comma-separated req/s (default: 10%% to 95%% of capacity)")
    ap.add_argument("--n", type=int, default=200_000, help="simulated requests per rate")
    ap.add_argument("--batch", default=None, help="B:MS, the p50 of a batch-B forward pass (e.g. ort-raw's b8 row)")
    a = ap.parse_args()
    mean = (0.5 * 0.9 * a.p50 + 0.4 * (a.p50 + a.p90) / 2 + 0.09 * (a.p90 + a.p99) / 2 + 0.01 * 1.15 * a.p99)
    capacity = 1000.0 * a.cores / mean
    rates = [float(r) for r in a.rates.split(",")] if a.rates else [round(capacity * f / 10) * 10 for f in
                                                                        (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)]
    print(f"service p50/p90/p99 {a.p50}/{a.p90}/{a.p99} ms (mean {mean:.2f}), {a.cores} cores: capacity {capacity:.0f} req/s; "
          f"SLO p99 <= {a.slo:g} ms")
    print("rate\tutil\trouted_p99_ms\tshared_p99_ms")
    best = {"routed": 0.0, "shared": 0.0}
    held = {"routed": True, "shared": True}
    for r in rates:
        row = {}
        for name, shared in (("routed", False), ("shared", True)):
            row[name] = p99_in_system(r, a.cores, shared, a.p50, a.p90, a.p99, a.n)
            if held[name] and row[name] <= a.slo:
                best[name] = r
            else:
                held[name] = False
        print(f"{r:g}\t{r / capacity:.2f}\t{row['routed']:.1f}\t{row['shared']:.1f}")
    ratio = best["shared"] / best["routed"] if best["routed"] else float("nan")
    print(f"highest rate at the SLO: routed {best['routed']:g}, shared {best['shared']:g} req/s "
          f"(shared / routed = {ratio:.2f}x: what one queue can buy over per-core queues without batching)")
    if a.batch:
        b, ms = a.batch.split(":")
        b, ms = int(b), float(ms)
        sat = 1000.0 * a.cores * b / (mean * batch_factor(b, b, ms, a.p50))
        print(f"batched (greedy, up to {b} per pass, batch-{b} pass p50 {ms:g} ms): saturation {sat:.0f} req/s")
        print("rate\tfraction_of_batched_saturation\tbatched_p99_ms")
        for r in rates:
            print(f"{r:g}\t{r / sat:.2f}\t{p99_batched(r, a.cores, b, ms, a.p50, a.p90, a.p99, a.n):.1f}")
        print(f"p99 at 0.8x of the batched saturation ({0.8 * sat:.0f} req/s): "
              f"{p99_batched(0.8 * sat, a.cores, b, ms, a.p50, a.p90, a.p99, a.n):.1f} ms")


if __name__ == "__main__":
    main()
