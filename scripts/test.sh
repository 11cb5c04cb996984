#!/usr/bin/env bash
# The whole test suite, as the README gives it. Installs what the tests need
# that cargo cannot: python3's pyarrow, the independent Parquet reader used to
# check our files. Tests whose tools are missing print `SKIPPED: ...` and say
# what to install; this script installs them so nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Independent peers the tests compare against: pyarrow reads our Parquet,
# properscoring checks our CRPS, scipy our likelihoods, jsonschema and prov
# validate our PROV-JSON against the W3C schema, schemathesis fuzzes the
# service's API from its OpenAPI document (any 5xx fails the test).
if ! python3 -c "import pyarrow, properscoring, scipy, jsonschema, prov, rfc3339_validator, schemathesis" 2>/dev/null || ! command -v st >/dev/null 2>&1; then
  echo "installing pyarrow, properscoring, scipy (independent peers used by the tests)"
  python3 -m pip install --quiet --disable-pip-version-check pyarrow properscoring scipy jsonschema prov rfc3339-validator schemathesis
fi

# Headless Chromium renders the HTML report (crates/report/tests/chromium.rs)
# to check what a real browser builds from it, and takes a screenshot.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (headless browser used by the report tests)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# A real MQTT broker for the service's MQTT ingestion test
# (crates/server/tests/mqtt.rs starts its own mosquitto on a free port).
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing mosquitto (MQTT broker used by the service tests)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The API docs build without a broken link or a stray markup warning.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
# One closing line for the whole suite (cargo prints one per test binary,
# and the last is often an empty doc-test run).
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { printf "workspace: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
