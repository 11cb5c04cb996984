"""What nowcasting costs a live twin per update (BENCHMARKS.md, "Live
nowcasting").

    python3 bench/service/nowcast.py [DIDYMOS] [DAYS]

Starts `didymos serve` on a free 127.0.0.1 port with a temporary data
directory and registers the Spain twin twice (1,000 members, 28-day
horizon): one nowcasting (`late_values` `rewind`), one not (`hold`: its
late values wait, as a rewind to the start per day would). The 2020
admissions are given a reporting history, as in bench/skill/backfill.sh:
half of each count on its date, 85% three days later, all of it ten days
later (rounded down), each record with its `issued` date. Both twins get
every issue up to 2020-11-30, then, for DAYS days from 12-01 (default 14),
each day's issue on its own: the time from the request to the twin's new
forecast, one twin at a time. Standard library only.
"""

import csv
import datetime
import math
import os
import statistics
import sys
import time

from served import ROOT, add_spain_twin, served

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/didymos")
DAYS = int(sys.argv[2]) if len(sys.argv) > 2 else 14
FIRST = datetime.date(2020, 2, 10)
CATCH_UP = datetime.date(2020, 11, 30)
REPORTING = [(0, 0.5), (3, 0.85), (10, 1.0)]


def issues_by_day():
    """Records as published, by issue date."""
    out = {}
    with open(os.path.join(ROOT, "data/spain/spain_provinces_covid19_daily_by_age_2020.csv")) as f:
        for r in csv.DictReader(f):
            date = datetime.date.fromisoformat(r["date"])
            if date < FIRST:
                continue
            y, last = int(r["new_hospitalized"]), None
            for lag, share in REPORTING:
                v = math.floor(share * y)
                if v == last:
                    continue
                last = v
                issued = date + datetime.timedelta(lag)
                out.setdefault(issued, []).append(
                    {"stream": "hosp", "time": r["date"], "location": r["province_ine"],
                     "stratum": r["age_group"], "value": v, "issued": issued.isoformat()})
    return out


def last_result(api, twin, kind):
    _, runs = api.call("GET", f"/v1/runs?twin={twin}&kind={kind}&limit=1")
    return runs[0]["result"]


def main():
    published = issues_by_day()
    twins = ("nowcast", "raw")
    with served(BIN, "didymos-nowcast-") as api:
        add_spain_twin(api, "nowcast", late_values="rewind", nowcast=True)
        add_spain_twin(api, "raw", late_values="hold")
        t0 = time.time()
        for twin in twins:
            for day in sorted(d for d in published if d <= CATCH_UP):
                api.post_ok(f"/v1/twins/{twin}/observations", {"observations": published[day]})
            api.wait_forecast(twin, origin=CATCH_UP.isoformat())
        print(f"{BIN}: Spain twin, 1000 members, 28-day horizon; issues to {CATCH_UP} "
              f"taken in {time.time() - t0:.0f} s")
        times = {t: [] for t in twins}
        for k in range(1, DAYS + 1):
            day = CATCH_UP + datetime.timedelta(k)
            for twin in twins:
                t0 = time.time()
                b = api.post_ok(f"/v1/twins/{twin}/observations", {"observations": published[day]})
                assert b.get("rewound_to") is None, b
                api.wait_forecast(twin, origin=day.isoformat())
                times[twin].append(time.time() - t0)
            run = last_result(api, "nowcast", "assimilate")
            fc = last_result(api, "nowcast", "forecast")
            print(f"{day}: nowcast {times['nowcast'][-1]:.2f} s "
                  f"(checkpoint through {run['nowcast']['checkpoint_through']}, "
                  f"{run['observations']} rows read; assimilation {run['elapsed_ms']} ms, "
                  f"forecast {fc['simulate_ms']} ms, weekly ensemble {fc['weekly_ensemble_ms']} ms, "
                  f"published at {fc['elapsed_ms']} ms), raw {times['raw'][-1]:.2f} s")
        for twin in twins:
            t = times[twin]
            print(f"{twin}: request to forecast median {statistics.median(t):.2f} s, "
                  f"range {min(t):.2f}-{max(t):.2f} s over {len(t)} days")


if __name__ == "__main__":
    main()
