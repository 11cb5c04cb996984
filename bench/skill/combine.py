#!/usr/bin/env python3
"""Ways of combining a backtest's forecasters, scored on the same targets.

Reads the forecasts.csv that `didymos backtest --keep-forecasts` writes
(every scored forecast's 23 quantiles and its truth) and scores, for the
provinces (location != total), per week ahead:

- each forecaster as written (`ensemble` is the product's combination:
  the equal-weight mean of the twin's, the trend's and the lead's quantiles);
- the quantile mean, the quantile median and the geometric mean
  (exp of the mean of ln(1 + q), minus 1) of model + trend + lead, with and
  without the Hub baseline as a fourth member.

Where a target has no lead forecast the combinations go without it, as the
product's does. Prints relative WIS (sum of WIS / sum of the baseline's
over the same targets) and 90% interval coverage. Stdlib only. Usage:

    didymos backtest data/spain/twin-2020.toml --from 2020-09-01 \
        --to 2020-12-15 --every 7d --horizon 28 --keep-forecasts --out out/bt
    python3 bench/skill/combine.py out/bt/forecasts.csv
"""
import collections
import csv
import math
import statistics
import sys


def wis(levels, values, y):
    """WIS as 2/(2K+1) times the summed pinball losses over the 2K+1 levels
    (equal to the Hub's interval form)."""
    total = 0.0
    for tau, q in zip(levels, values):
        total += tau * (y - q) if y >= q else (1 - tau) * (q - y)
    return 2 * total / len(levels)


def combine(parts, how):
    cols = list(zip(*parts))
    if how == "mean":
        return [sum(c) / len(c) for c in cols]
    if how == "median":
        return [statistics.median(c) for c in cols]
    if how == "geo":
        return [math.expm1(sum(math.log1p(max(v, 0.0)) for v in c) / len(c)) for c in cols]
    raise ValueError(how)


def main(path):
    fc = collections.defaultdict(dict)
    truth = {}
    levels = None
    with open(path, newline="") as f:
        rows = collections.defaultdict(list)
        for r in csv.DictReader(f):
            if r["location"] == "total":
                continue
            key = (r["origin"], r["stream"], r["location"], int(r["weeks_ahead"]))
            rows[(key, r["forecaster"])].append((float(r["quantile"]), float(r["value"])))
            truth[key] = float(r["truth"])
    for (key, who), qs in rows.items():
        qs.sort()
        levels = levels or [t for t, _ in qs]
        fc[key][who] = [v for _, v in qs]
    lo, hi = levels.index(0.05), levels.index(0.95)
    candidates = {who: (lambda f, w=who: f.get(w)) for who in
                  ["model", "baseline", "trend", "lead", "ensemble"]}
    for how in ["mean", "median", "geo"]:
        for with_base in [False, True]:
            name = f"{how} of model+trend+lead" + ("+baseline" if with_base else "")
            members = ["model", "trend", "lead"] + (["baseline"] if with_base else [])
            candidates[name] = (lambda f, m=members, h=how:
                                combine([f[w] for w in m if w in f], h))
    streams = sorted({k[1] for k in fc})
    weeks = sorted({k[3] for k in fc})
    for stream in streams:
        print(f"{stream}, provinces: relative WIS (90% coverage) by week {weeks}")
        for name, make in candidates.items():
            cells = []
            for k in weeks:
                s = b = 0.0
                n = covered = 0
                for key, f in fc.items():
                    if key[1] != stream or key[3] != k or "model" not in f or "trend" not in f:
                        continue
                    q = make(f)
                    if q is None:
                        continue
                    y = truth[key]
                    s += wis(levels, q, y)
                    b += wis(levels, f["baseline"], y)
                    n += 1
                    covered += q[lo] <= y <= q[hi]
                cells.append(f"{s / b:.3f} ({covered / n:.2f})" if n else "-")
            print(f"  {name:<36} " + "  ".join(cells))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
