"""What `GET /v1/twins/{twin}/skill` costs on a twin that has published a
forecast every day for two months (BENCHMARKS.md, "Live forecast skill").

    python3 bench/service/skill.py [DIDYMOS]

Starts `didymos serve` on a free 127.0.0.1 port with a temporary data
directory and registers the Spain twin (1,000 members, 28-day horizon).
It gets the 2020 admissions to 2020-09-30, then each day from 10-01 to
11-30 on its own, waiting for that day's forecast, so every origin has
one (SKILL_CATCH_UP and SKILL_LAST move those dates). Then it times the
skill request for about eight weeks of origins
(three slightly different questions, each scored afresh), the same
question again (answered from the cache), and once for every origin from
the first day fed alone, and prints what the weekly ensemble, each part
of it alone (the twin's own weekly forecasts, the trend, the lead: cases
are fed too, as the spec's leading series) and the twin's daily forecasts
scored. Standard library
only.
"""

import csv
import datetime
import os
import statistics
import sys
import time

from served import ROOT, add_spain_twin, served

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/didymos")
FIRST = datetime.date(2020, 2, 10)
# SKILL_CATCH_UP / SKILL_LAST move the daily feed (a year of origins:
# SKILL_CATCH_UP=2020-02-29 SKILL_LAST=2020-12-31, about five minutes).
CATCH_UP = datetime.date.fromisoformat(os.environ.get("SKILL_CATCH_UP", "2020-09-30"))
LAST = datetime.date.fromisoformat(os.environ.get("SKILL_LAST", "2020-11-30"))
# The last day of data/spain/twin-2020.toml.
TWIN_END = datetime.date(2020, 12, 31)


def records_by_day():
    out = {}
    with open(os.path.join(ROOT, "data/spain/spain_provinces_covid19_daily_by_age_2020.csv")) as f:
        for r in csv.DictReader(f):
            date = datetime.date.fromisoformat(r["date"])
            if FIRST <= date <= LAST:
                # Cases too: the spec's leading series for admissions, so
                # that the lead companion is forecast and scored.
                for stream, column in [("hosp", "new_hospitalized"), ("cases", "new_cases")]:
                    out.setdefault(date, []).append(
                        {"stream": stream, "time": r["date"], "location": r["province_ine"],
                         "stratum": r["age_group"], "value": int(r[column])})
    return out


def timed(api, path):
    t0 = time.time()
    status, body = api.call("GET", path)
    assert status == 200, body
    return time.time() - t0, body


def main():
    days = records_by_day()
    with served(BIN, "didymos-skill-") as api:
        add_spain_twin(api, "spain")
        api.post_ok("/v1/twins/spain/streams",
                    {"name": "cases", "unit": "persons/day", "observable": "new_cases",
                     "cadence": "1d", "value_type": "count"}, 201)
        t0 = time.time()
        for day in sorted(d for d in days if d <= CATCH_UP):
            api.post_ok("/v1/twins/spain/observations", {"observations": days[day]})
        api.wait_forecast("spain", origin=CATCH_UP.isoformat())
        day = CATCH_UP
        while day < LAST:
            day += datetime.timedelta(1)
            api.post_ok("/v1/twins/spain/observations", {"observations": days[day]})
            # The twin's last day leaves no horizon: no forecast to wait for,
            # only its checkpoint (awaited below).
            if day < TWIN_END:
                api.wait_forecast("spain", origin=day.isoformat())
        print(f"{BIN}: Spain twin, 1000 members, 28-day horizon, a forecast every day "
              f"{CATCH_UP + datetime.timedelta(1)}..{LAST}; fed in {time.time() - t0:.0f} s")
        # The last forecast is out before its checkpoint is recorded.
        while api.call("GET", "/v1/twins/spain/status")[1]["assimilated_through"] != LAST.isoformat():
            time.sleep(0.05)
        # Each distinct question is scored once and then answered from the
        # cache until the twin or its record changes: time both.
        # The first question simulates every baseline fit; the next two
        # share nearly all of them (the same Saturdays and weekly sums) and
        # so cost what a new day's question costs once the fits are kept.
        computed = []
        for k in range(3):
            t, body = timed(api, f"/v1/twins/spain/skill?from=2020-10-0{5 + k}")
            computed.append(t)
        print(f"scored ({len(body['origins'])} origins {body['from']}..{body['to']}, "
              f"scored through {body['scored_through']}): first {computed[0]:.2f} s (baselines fitted), "
              f"then {computed[1]:.2f} s and {computed[2]:.2f} s (fits kept)")
        cached = [timed(api, "/v1/twins/spain/skill?from=2020-10-07")[0] for _ in range(5)]
        print(f"the same question again (cached): median {1000 * statistics.median(cached):.1f} ms")
        first = CATCH_UP + datetime.timedelta(1)
        t, body = timed(api, f"/v1/twins/spain/skill?from={first}&to={LAST}")
        print(f"every origin from {first} ({len(body['origins'])} with a complete day): {t:.2f} s")
        for name, rows in [("ensemble", body["weekly_ensemble"]), ("twin alone", body["weekly_twin"]),
                           ("trend alone", body["weekly_trend"]), ("lead alone", body["weekly_lead"])]:
            for row in rows:
                print(f"  weekly {name:11}, {row['scope']:9} week {row['weeks_ahead']}: n {row['n']:5}  "
                      f"relative WIS {row['relative_wis']:.3f}  cov50 {row['coverage_50']:.2f}  "
                      f"cov90 {row['coverage_90']:.2f}  above median {above_median(row):.2f}  "
                      f"bias {row['bias']:+.2f}")
        week1 = [r for r in body["weekly_by_origin"] if r["scope"] == "locations" and r["weeks_ahead"] == 1]
        print("  weekly ensemble (twin alone), locations, week 1, by origin: " + ", ".join(
            f"{r['origin'][5:]} {r['relative_wis']:.2f} ({r['twin_relative_wis']:.2f})" for r in week1))
        for row in body["daily"]:
            print(f"  twin daily, {row['scope']:9} days {row['days_ahead_from']:2}-{row['days_ahead_to']:2}: "
                  f"n {row['n']:6}  WIS {row['wis']:8.2f}  cov50 {row['coverage_50']:.2f}  "
                  f"cov90 {row['coverage_90']:.2f}  above median {above_median(row):.2f}  "
                  f"bias {row['bias']:+.2f}")


def above_median(row):
    """The share of outcomes above the forecast median (ties half)."""
    return 1 - next(b["share"] for b in row["below_quantile"] if abs(b["level"] - 0.5) < 1e-9)


if __name__ == "__main__":
    main()
