"""What the service benches share: `didymos serve` on a free 127.0.0.1
port with a temporary data directory (removed afterwards: checkpoints take
hundreds of MB), a small JSON client, and the Spain twin with a `hosp`
stream. Standard library only.

    with served(BIN, "didymos-rewind-") as api:
        add_spain_twin(api, "hold", late_values="hold")
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "bench-service-admin-token-0123456789"


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

    def wait_forecast(self, twin, newer_than=None, origin=None, limit=900):
        """The twin's latest forecast once it is newer than the forecast id
        `newer_than` and from `origin` (either may be None)."""
        start = time.time()
        while time.time() - start < limit:
            f = self.latest(twin)
            if f and (newer_than is None or f["id"] > newer_than) and (origin is None or f["origin"] == origin):
                return f
            time.sleep(0.01)
        raise SystemExit(f"no forecast for {twin} after {limit} s")

    def post_ok(self, path, body, status=200):
        s, b = self.call("POST", path, body)
        assert s == status, b
        return b


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(binary, prefix):
    tmp = tempfile.mkdtemp(prefix=prefix)
    token_file = os.path.join(tmp, "admin.token")
    with open(token_file, "w") as f:
        f.write(TOKEN)
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--data-dir", os.path.join(tmp, "data"), "--listen", f"127.0.0.1:{port}",
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
        yield api
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def add_spain_twin(api, twin, **settings):
    """The 2020 Spain twin with 1,000 members, a 28-day horizon and a
    `hosp` stream of admissions; `settings` add to or override those."""
    body = {"id": twin, "spec_path": os.path.join(ROOT, "data/spain/twin-2020.toml"),
            "members": 1000, "horizon_days": 28, "settle_ms": 600000, **settings}
    api.post_ok("/v1/twins", body, 201)
    api.post_ok(f"/v1/twins/{twin}/streams",
                {"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                 "cadence": "1d", "value_type": "count"}, 201)
