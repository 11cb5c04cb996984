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
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/didymos")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
TOKEN = "bench-rewind-admin-token-0123456789"


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

    def latest(self, twin):
        status, body = self.call("GET", f"/v1/twins/{twin}/forecasts/latest")
        return body if status == 200 else None

    def wait_forecast(self, twin, newer_than=None, origin=None, limit=600):
        start = time.time()
        while time.time() - start < limit:
            f = self.latest(twin)
            if f and (newer_than is None or f["id"] > newer_than) and (origin is None or f["origin"] == origin):
                return f
            time.sleep(0.02)
        raise SystemExit(f"no forecast for {twin} after {limit} s")


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
    s, answer = api.call("POST", "/v1/twins/rewind/observations", fix)
    assert s == 200 and answer.get("rewound_to"), answer
    rewound = api.wait_forecast("rewind", newer_than=before)
    t_rewind = time.time() - t0
    s, b = api.call("POST", "/v1/twins/hold/observations", fix)
    assert s == 200 and "rewound_to" not in b, b
    before = api.latest("hold")["id"]
    t0 = time.time()
    s, b = api.call("POST", "/v1/twins/hold/reassimilate", {})
    assert s == 202, b
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
    tmp = tempfile.mkdtemp(prefix="didymos-rewind-")
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
    try:
        for _ in range(300):
            try:
                if api.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        spec = os.path.join(ROOT, "data/spain/twin-2020.toml")
        for twin, late in (("hold", "hold"), ("rewind", "rewind")):
            s, b = api.call("POST", "/v1/twins", {"id": twin, "spec_path": spec, "members": 1000,
                                                   "horizon_days": 28, "settle_ms": 600000,
                                                   "late_values": late})
            assert s == 201, b
            s, b = api.call("POST", f"/v1/twins/{twin}/streams",
                            {"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                             "cadence": "1d", "value_type": "count"})
            assert s == 201, b
        # The rewinding twin runs live from November, a day at a time, so
        # it has checkpoints to go back to weeks later.
        nov = [f"2020-11-{d:02d}" for d in range(1, 31)]
        days = [f"2020-12-{d:02d}" for d in range(1, 16)]
        for twin, batch_to in (("hold", "2020-12-07"), ("rewind", "2020-10-31")):
            s, b = api.call("POST", f"/v1/twins/{twin}/observations",
                            {"observations": records(rows, lambda d: "2020-02-10" <= d <= batch_to)})
            assert s == 200, b
            api.wait_forecast(twin, origin=batch_to)
            for day in nov + days:
                if day <= batch_to:
                    continue
                s, b = api.call("POST", f"/v1/twins/{twin}/observations",
                                {"observations": records(rows, lambda d, day=day: d == day)})
                assert s == 200, b
                api.wait_forecast(twin, origin=day)
        print(f"{BIN}: Spain twin, 1000 members, 2020-02-10..12-15")
        for run in range(RUNS):
            correct(api, f"run {run + 1}", "2020-12-13", 40 + run)
        # A correction weeks old: back to the week's kept checkpoint, not
        # to the start.
        correct(api, "weeks back", "2020-11-20", 400)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        # The twins' checkpoints take some 400 MB.
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
