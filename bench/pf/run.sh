#!/usr/bin/env bash
# Didymos's bootstrap ParticleFilter against the Python `particles` library
# on the same 4-d linear-Gaussian model and data (see BENCHMARKS.md,
# "Particle filter vs Python `particles`").
#
#   bash bench/pf/run.sh            # N = 1e3, 1e4, 1e5; T = 20, 200; 5 runs
#   PF_NS=1000,10000 PF_RUNS=3 bash bench/pf/run.sh   # quicker
#
# Knobs (shared by both sides): PF_NS, PF_TS, PF_RUNS; Rust only: PF_THREADS
# (default 1,2), PF_BATCH (default 256: also time 256 members per model
# batch; empty for the model's own only), PF_THRESHOLD (keep 0.5 = particles'
# default ESSrmin); Python only: PF_RUNS_LARGE (runs when N·T ≥ 5e6,
# default 3). PF_VENV: the virtualenv with `particles` (default
# target/pf-venv, created on first use). It is kept apart from bench/.venv
# because particles 0.4 requires numpy < 2 and would downgrade the numpy
# that bench/mmca_numpy.py is timed with.
#
# Writes target/pf_lg_data.csv (the simulated series), target/pf_lg_rust.csv,
# target/pf_lg_particles.csv and target/pf_lg_report.{txt,md}; exits non-zero
# if a log-likelihood disagrees with the exact Kalman value.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUTDIR="$ROOT/target"
mkdir -p "$OUTDIR"
VENV=${PF_VENV:-$OUTDIR/pf-venv}
NS=${PF_NS:-1000,10000,100000}
TS=${PF_TS:-20,200}
RUNS=${PF_RUNS:-5}

if ! "$VENV/bin/python" -c "import particles" 2>/dev/null; then
  echo "== creating $VENV with particles"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q particles
fi

echo "== building"
cargo bench -p didymos-assim --bench pf_linear_gaussian --no-run

echo "== didymos ParticleFilter"
PF_NS=$NS PF_TS=$TS PF_RUNS=$RUNS PF_BATCH=${PF_BATCH-256} PF_BENCH_DIR="$OUTDIR" \
  cargo bench -q -p didymos-assim --bench pf_linear_gaussian

echo "== particles (Python)"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
  "$VENV/bin/python" bench/pf/particles_lg.py \
    --data "$OUTDIR/pf_lg_data.csv" --out "$OUTDIR/pf_lg_particles.csv" \
    --ns "$NS" --ts "$TS" --runs "$RUNS" --runs-large "${PF_RUNS_LARGE:-3}"

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/pf/report.py "$OUTDIR/pf_lg_rust.csv" "$OUTDIR/pf_lg_particles.csv" --markdown \
  > "$OUTDIR/pf_lg_report.md" || true
python3 bench/pf/report.py "$OUTDIR/pf_lg_rust.csv" "$OUTDIR/pf_lg_particles.csv" \
  | tee "$OUTDIR/pf_lg_report.txt"
