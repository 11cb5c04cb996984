"""Taking in a late correction: a twin that rewinds against one that holds
late values and is reassimilated from the start (BENCHMARKS.md, "Rewinding
for late values").

    python3 bench/service/rewind.py [DIDYMOS] [RUNS]

Starts `didymos serve` on a free 127.0.0.1 port with a temporary data
directory, registers the Spain twin twice (1,000 members; `late_values`
`hold` and `rewind`), sends the holding twin the 2020 admissions up to
2020-12-07 in one batch and the rewinding twin those up to 10-31, then
each day to 12-15 on its own (waiting for each forecast, so the rewinding
twin keeps checkpoints as a live twin does). Then, RUNS times (default 3):
a correction for 12-13 (Madrid, the oldest age group) to both twins; the
rewinding twin's time from the request to its new forecast; and the
holding twin's time from a reassimilation request to its new forecast.
Last, the same for a correction for 11-20, weeks back. The two forecasts
must be identical each time. Standard library only.
"""

import csv
import os
import sys
import time

from served import ROOT, add_spain_twin, served

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/didymos")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def records(rows, pred):
    return [
        {"stream": "hosp", "time": d, "location": loc, "stratum": age, "value": v}
        for (d, loc, age, v) in rows
        if pred(d)
    ]


def correct(api, label, day, value):
    """Sends both twins a correction for Madrid's oldest group on `day`:
    the rewinding twin's time to its new forecast, the holding twin's time
    from a reassimilation request to its; the forecasts must agree."""
    fix = {"observations": [{"stream": "hosp", "time": day, "location": "28",
                             "stratum": "O", "value": value}]}
    before = api.latest("rewind")["id"]
    t0 = time.time()
    answer = api.post_ok("/v1/twins/rewind/observations", fix)
    assert answer.get("rewound_to"), answer
    rewound = api.wait_forecast("rewind", newer_than=before)
    t_rewind = time.time() - t0
    b = api.post_ok("/v1/twins/hold/observations", fix)
    assert "rewound_to" not in b, b
    before = api.latest("hold")["id"]
    t0 = time.time()
    api.post_ok("/v1/twins/hold/reassimilate", {}, 202)
    held = api.wait_forecast("hold", newer_than=before)
    t_reassimilate = time.time() - t0
    same = held["targets"] == rewound["targets"] and held["origin"] == rewound["origin"]
    print(f"{label}: correction for {day}: rewind to {answer['rewound_to']} and forecast "
          f"{t_rewind:.2f} s; reassimilate from the start and forecast {t_reassimilate:.2f} s; "
          f"forecasts identical: {same}")
    assert same


def main():
    with open(os.path.join(ROOT, "data/spain/spain_provinces_covid19_daily_by_age_2020.csv")) as f:
        rows = [
            (r["date"], r["province_ine"], r["age_group"], float(r["new_hospitalized"]))
            for r in csv.DictReader(f)
        ]
    with served(BIN, "didymos-rewind-") as api:
        for twin in ("hold", "rewind"):
            add_spain_twin(api, twin, late_values=twin)
        # The rewinding twin runs live from November, a day at a time, so
        # it has checkpoints to go back to weeks later.
        nov = [f"2020-11-{d:02d}" for d in range(1, 31)]
        days = [f"2020-12-{d:02d}" for d in range(1, 16)]
        for twin, batch_to in (("hold", "2020-12-07"), ("rewind", "2020-10-31")):
            api.post_ok(f"/v1/twins/{twin}/observations",
                        {"observations": records(rows, lambda d: "2020-02-10" <= d <= batch_to)})
            api.wait_forecast(twin, origin=batch_to)
            for day in nov + days:
                if day <= batch_to:
                    continue
                api.post_ok(f"/v1/twins/{twin}/observations",
                            {"observations": records(rows, lambda d, day=day: d == day)})
                api.wait_forecast(twin, origin=day)
        print(f"{BIN}: Spain twin, 1000 members, 2020-02-10..12-15")
        for run in range(RUNS):
            correct(api, f"run {run + 1}", "2020-12-13", 40 + run)
        # A correction weeks old: back to the week's kept checkpoint, not
        # to the start.
        correct(api, "weeks back", "2020-11-20", 400)


if __name__ == "__main__":
    main()
