#!/usr/bin/env python3
"""How honest are threshold alerts from each forecaster? Brier scores and
reliability of exceedance probabilities on a backtest's kept forecasts.

An alert rule asks "is P(next week's admissions > T) above p?". This script
reads the forecasts.csv that `didymos backtest --keep-forecasts` writes and,
for the provinces (location != total) and each week ahead, takes thresholds
relative to the level at the origin: T = r × (the baseline's median, which
is the last observed weekly sum), for r in 0.75 (a fall of a quarter),
1.25 and 1.5 (rises). Each forecaster's P(Y > T) is read off its 23
quantiles exactly as the service's ensemble rules read it (straight lines
through (quantile, level), the outer levels' bounds outside them), and
scored against whether the truth exceeded T:

- Brier score (mean of (P − event)²; lower is better) and its skill
  against the baseline's (1 − BS / BS_baseline);
- reliability: the observed event rate in bins of forecast probability.

Stdlib only. Usage:

    didymos backtest data/spain/twin-2020.toml --from 2020-09-01 \
        --to 2020-12-15 --every 7d --horizon 28 --keep-forecasts --out out/bt
    python3 bench/skill/exceedance.py out/bt/forecasts.csv
"""
import collections
import csv
import sys

RATIOS = (0.75, 1.25, 1.5)
BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001)


def exceedance(levels, values, x):
    """P(Y > x) from the quantiles, as QuantileForecast::exceedance."""
    above = sum(1 for v in values if v <= x)
    if above == 0:
        return 1 - levels[0]
    if above == len(values):
        return 1 - levels[-1]
    q0, q1 = values[above - 1], values[above]
    t0, t1 = levels[above - 1], levels[above]
    return 1 - (t0 + (t1 - t0) * (x - q0) / (q1 - q0))


def main(path):
    fc = collections.defaultdict(list)
    truth = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["location"] == "total":
                continue
            key = (row["origin"], row["location"], int(row["weeks_ahead"]))
            fc[key + (row["forecaster"],)].append((float(row["quantile"]), float(row["value"])))
            truth[key] = float(row["truth"])
    forecasters = sorted({k[3] for k in fc})
    brier = collections.defaultdict(lambda: [0.0, 0])
    bins = collections.defaultdict(lambda: [0, 0])
    for key, y in truth.items():
        base = fc.get(key + ("baseline",))
        if not base:
            continue
        last = dict(base)[0.5]
        for r in RATIOS:
            t = r * last
            event = 1.0 if y > t else 0.0
            for name in forecasters:
                q = fc.get(key + (name,))
                if not q:
                    continue
                q.sort()
                p = exceedance([a for a, _ in q], [b for _, b in q], t)
                cell = brier[(name, r, key[2])]
                cell[0] += (p - event) ** 2
                cell[1] += 1
                b = next(i for i in range(len(BINS) - 1) if BINS[i] <= p < BINS[i + 1])
                bins[(name, b)][0] += 1
                bins[(name, b)][1] += event
    weeks = sorted({k[2] for k in truth})
    print("Brier score of P(Y > r × last week), provinces (skill vs baseline)")
    for r in RATIOS:
        print(f"r = {r}")
        print("  forecaster   " + "".join(f"  week {w}        " for w in weeks))
        for name in forecasters:
            cells = []
            for w in weeks:
                s, n = brier[(name, r, w)]
                sb, nb = brier[("baseline", r, w)]
                if n == 0:
                    cells.append(" " * 17)
                    continue
                bs, bsb = s / n, sb / nb
                cells.append(f"  {bs:.3f} ({1 - bs / bsb:+.2f}) ")
            print(f"  {name:<12}" + "".join(cells))
    print("reliability (all r and weeks): forecast P bin -> n, observed rate")
    for name in forecasters:
        parts = []
        for b in range(len(BINS) - 1):
            n, e = bins[(name, b)]
            if n:
                parts.append(f"[{BINS[b]:.1f},{min(BINS[b + 1], 1):.1f}): {n} {e / n:.2f}")
        print(f"  {name:<12} " + "; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/backtest/forecasts.csv")
