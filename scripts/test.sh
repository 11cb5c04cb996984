#!/usr/bin/env bash
# The whole test suite, as the README gives it. Installs what the tests need
# that cargo cannot: python3's pyarrow, the independent Parquet reader used to
# check our files. Tests whose tools are missing print `SKIPPED: ...` and say
# what to install; this script installs them so nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import pyarrow" 2>/dev/null; then
  echo "installing pyarrow (independent Parquet reader for the store tests)"
  python3 -m pip install --quiet --disable-pip-version-check pyarrow
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
