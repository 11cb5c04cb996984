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
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/didymos")
DAYS = int(sys.argv[2]) if len(sys.argv) > 2 else 14
TOKEN = "bench-nowcast-admin-token-0123456789"
FIRST = datetime.date(2020, 2, 10)
CATCH_UP = datetime.date(2020, 11, 30)
REPORTING = [(0, 0.5), (3, 0.85), (10, 1.0)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + TOKEN)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def wait_forecast(self, twin, origin, limit=900):
        start = time.time()
        while time.time() - start < limit:
            status, f = self.call("GET", f"/v1/twins/{twin}/forecasts/latest")
            if status == 200 and f["origin"] == origin:
                return f
            time.sleep(0.01)
        raise SystemExit(f"no forecast from {origin} for {twin} after {limit} s")

    def last_run(self, twin):
        _, runs = self.call("GET", f"/v1/runs?twin={twin}&kind=assimilate&limit=1")
        return runs[0]["result"] if runs else None


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


def main():
    published = issues_by_day()
    tmp = tempfile.mkdtemp(prefix="didymos-nowcast-")
    token_file = os.path.join(tmp, "admin.token")
    with open(token_file, "w") as f:
        f.write(TOKEN)
    port = free_port()
    server = subprocess.Popen(
        [BIN, "serve", "--data-dir", os.path.join(tmp, "data"), "--listen", f"127.0.0.1:{port}",
         "--admin-token-file", token_file],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "serve.log"), "w"),
    )
    api = Api(f"http://127.0.0.1:{port}")
    twins = ("nowcast", "raw")
    try:
        for _ in range(300):
            try:
                if api.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        spec = os.path.join(ROOT, "data/spain/twin-2020.toml")
        for twin in twins:
            s, b = api.call("POST", "/v1/twins", {"id": twin, "spec_path": spec, "members": 1000,
                                                   "horizon_days": 28, "settle_ms": 600000,
                                                   "late_values": "rewind" if twin == "nowcast" else "hold",
                                                   "nowcast": twin == "nowcast"})
            assert s == 201, b
            s, b = api.call("POST", f"/v1/twins/{twin}/streams",
                            {"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                             "cadence": "1d", "value_type": "count"})
            assert s == 201, b
        t0 = time.time()
        for twin in twins:
            for day in sorted(d for d in published if d <= CATCH_UP):
                s, b = api.call("POST", f"/v1/twins/{twin}/observations",
                                {"observations": published[day]})
                assert s == 200, b
            api.wait_forecast(twin, CATCH_UP.isoformat())
        print(f"{BIN}: Spain twin, 1000 members, 28-day horizon; issues to {CATCH_UP} "
              f"taken in {time.time() - t0:.0f} s")
        times = {t: [] for t in twins}
        for k in range(1, DAYS + 1):
            day = CATCH_UP + datetime.timedelta(k)
            for twin in twins:
                t0 = time.time()
                s, b = api.call("POST", f"/v1/twins/{twin}/observations",
                                {"observations": published[day]})
                assert s == 200 and b.get("rewound_to") is None, b
                api.wait_forecast(twin, day.isoformat())
                times[twin].append(time.time() - t0)
            run = api.last_run("nowcast")
            _, fc = api.call("GET", "/v1/runs?twin=nowcast&kind=forecast&limit=1")
            fc = fc[0]["result"]
            print(f"{day}: nowcast {times['nowcast'][-1]:.2f} s "
                  f"(checkpoint through {run['nowcast']['checkpoint_through']}, "
                  f"{run['observations']} rows read; assimilation {run['elapsed_ms']} ms, "
                  f"forecast {fc['simulate_ms']} ms, weekly ensemble {fc['weekly_ensemble_ms']} ms, "
                  f"published at {fc['elapsed_ms']} ms), raw {times['raw'][-1]:.2f} s")
        for twin in twins:
            t = times[twin]
            print(f"{twin}: request to forecast median {statistics.median(t):.2f} s, "
                  f"range {min(t):.2f}-{max(t):.2f} s over {len(t)} days")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
