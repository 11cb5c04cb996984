#!/usr/bin/env python3
"""How far simple forecasters get against the Hub baseline on the same targets.

Reads a `didymos backtest` scores.csv (for the exact targets, truths and the
baseline's WIS) and the observation CSV, and scores three families of
forecasters that use only data up to each origin:

- persistence: median = last week's count, log-normal spread sd·√k at k
  weeks ahead;
- damped trend: median = last week × g^(φ + φ² + … + φ^k), with g the last
  week-on-week growth ratio, same spread;
- cases lead: next week's admissions = last week's admissions-to-cases
  ratio (two weeks) × this week's cases, then persistence of that.

The spread sd is chosen on the same targets (an oracle choice, which flatters
these forecasters). Prints relative WIS (sum of WIS / sum of the baseline's)
for provinces, weeks 1-4. Usage:

    python3 bench/skill/ceiling.py out/backtest/scores.csv \
        data/spain/spain_provinces_covid19_daily_by_age_2020.csv
"""
import csv
import collections
import datetime
import math
import sys
from statistics import NormalDist

QUANTILES = [0.01, 0.025] + [i / 20 for i in range(1, 20)] + [0.975, 0.99]
ALPHAS = [0.02, 0.05] + [i / 10 for i in range(1, 10)]


def wis(q, y):
    """The Hub's WIS from a dict quantile level -> value."""
    total = 0.5 * abs(y - q[0.5])
    for a in ALPHAS:
        lo, hi = q[round(a / 2, 3)], q[round(1 - a / 2, 3)]
        total += a / 2 * ((hi - lo) + 2 / a * max(0.0, lo - y) + 2 / a * max(0.0, y - hi))
    return total / (len(ALPHAS) + 0.5)


def lognormal_quantiles(median, sd):
    z = NormalDist()
    return {round(p, 3): math.exp(math.log(median + 1) + sd * z.inv_cdf(p)) - 1 for p in QUANTILES}


def main(scores_path, obs_path):
    hosp = collections.defaultdict(float)
    cases = collections.defaultdict(float)
    for r in csv.DictReader(open(obs_path)):
        key = (r["province_ine"], r["date"])
        hosp[key] += float(r["new_hospitalized"])
        cases[key] += float(r["new_cases"])
    day = datetime.timedelta(days=1)

    def week(series, loc, end):
        return sum(series[(loc, str(end - i * day))] for i in range(7))

    targets = []
    for r in csv.DictReader(open(scores_path)):
        if r["forecaster"] == "baseline" and r["location"] != "total" and r["stream"] == "new_hospitalized":
            targets.append((datetime.date.fromisoformat(r["origin"]), r["location"],
                            int(r["weeks_ahead"]), float(r["truth"]), float(r["wis"])))
    base = collections.defaultdict(float)
    for o, loc, k, y, w in targets:
        base[k] += w

    def medians(kind, o, loc, k):
        last = week(hosp, loc, o)
        if kind == "persistence":
            return last
        if kind.startswith("trend"):
            phi = float(kind.split()[1])
            g = (last + 1) / (week(hosp, loc, o - 7 * day) + 1)
            return last * g ** sum(phi ** i for i in range(1, k + 1))
        if kind == "cases lead":
            ratio = (last + week(hosp, loc, o - 7 * day)) / max(
                1.0, week(cases, loc, o - 7 * day) + week(cases, loc, o - 14 * day))
            return ratio * week(cases, loc, o)
        raise ValueError(kind)

    print(f"{len(targets)} province targets; relative WIS against the baseline, weeks 1-4")
    for kind in ["persistence", "trend 0.25", "trend 0.5", "trend 1.0", "cases lead"]:
        best = None
        for sd in [0.1, 0.15, 0.2, 0.25, 0.3, 0.4]:
            tot = collections.defaultdict(float)
            for o, loc, k, y, _ in targets:
                tot[k] += wis(lognormal_quantiles(medians(kind, o, loc, k), sd * math.sqrt(k)), y)
            rel = [tot[k] / base[k] for k in sorted(base)]
            if best is None or sum(rel) < sum(best[1]):
                best = (sd, rel)
        print(f"  {kind:<12} (best sd {best[0]:.2f}): " + " / ".join(f"{x:.2f}" for x in best[1]))


if __name__ == "__main__":
    main(*sys.argv[1:3])
