#!/usr/bin/env python3
"""WIS of Forecast Hub CSVs (`didymos forecast` output) against the daily
record, summed over provinces (not the total) and origins: weekly targets
per weekday of the origin and week ahead, daily targets per weekday of the
target day (and in all). Stdlib only.

    python3 bench/skill/score_hub.py OBSERVATIONS.csv FORECAST.csv...

OBSERVATIONS: the daily table (date, province_ine, age_group,
new_hospitalized); a weekly target's truth is the sum over the 7 days
ending on its target_end_date (the Hub's epiweeks end on Saturdays), a
daily one's the value on that date.
"""
import collections
import csv
import datetime
import sys

from combine import wis  # the Hub's WIS, in pinball form (same folder)


def main(observations, files):
    daily = collections.defaultdict(float)
    with open(observations, newline="") as f:
        for r in csv.DictReader(f):
            daily[(r["date"], r["province_ine"])] += float(r["new_hospitalized"] or 0)

    def truth(end, loc):
        e = datetime.date.fromisoformat(end)
        return sum(daily[(str(e - datetime.timedelta(i)), loc)] for i in range(7))

    sums = collections.defaultdict(lambda: collections.defaultdict(float))
    daily_sums = collections.defaultdict(float)
    for path in files:
        fc = collections.defaultdict(list)
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if r["type"] == "quantile" and r["location"] != "total":
                    k, unit = r["target"].split()[:2]
                    key = (r["forecast_date"], unit, int(k), r["target_end_date"], r["location"])
                    fc[key].append((float(r["quantile"]), float(r["value"])))
        for (origin, unit, k, end, loc), pairs in fc.items():
            pairs.sort()
            levels, values = [t for t, _ in pairs], [q for _, q in pairs]
            if unit == "wk":
                day = datetime.date.fromisoformat(origin).strftime("%A")
                sums[day][k] += wis(levels, values, truth(end, loc))
            else:
                day = datetime.date.fromisoformat(end).strftime("%A")
                daily_sums[day] += wis(levels, values, daily[(end, loc)])
    for day, by_week in sorted(sums.items()):
        cells = "  ".join(f"week {k}: {v:9.1f}" for k, v in sorted(by_week.items()))
        print(f"origin {day:<9} {cells}")
    if daily_sums:
        cells = "  ".join(f"{d[:3]} {v:8.1f}" for d, v in sorted(daily_sums.items()))
        print(f"daily targets by weekday: {cells}  all {sum(daily_sums.values()):9.1f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
