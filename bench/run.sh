#!/usr/bin/env bash
# MMCA benchmarks: builds release, runs each Rust case in its own process
# (peak memory, VmHWM, is per process), the numpy peer on the same instance
# right after it, the cross-check against `didymos run`, and prints a table.
#
#   bench/run.sh            # everything
#   bench/run.sh day        # day52 + day2850 (+ numpy, cross-check), no ensemble
#
# Environment: MMCA_BENCH_REPEATS (day cases, default 7),
# MMCA_BENCH_ENSEMBLE_REPEATS (default 3), NUMPY_REPEATS (default 7),
# BENCH_OUT (default target/bench). The 2,850-zone instance is read from
# ../shared/data/epidemic/mitma_zones (AGPL, never copied here); without it
# those rows say "skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
OUT=${BENCH_OUT:-target/bench}
SPAIN=data/spain
MITMA=../shared/data/epidemic/mitma_zones
NUMPY_REPEATS=${NUMPY_REPEATS:-7}
PY=bench/.venv/bin/python
mkdir -p "$OUT"

if ! "$PY" -c "import numpy, scipy" 2>/dev/null; then
  echo "== creating bench/.venv with numpy and scipy"
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet numpy scipy
fi

# The sources this run measures (commit, hash of uncommitted source changes;
# da39a3ee5e6b = none); checked again at the end, since other people may
# edit the tree while a run is under way.
sources_id() {
  echo "$(git rev-parse --short HEAD) $(git diff HEAD -- crates Cargo.toml Cargo.lock | sha1sum | cut -c1-12)"
}
SOURCES_AT_START=$(sources_id)

echo "== building (release)"
cargo build --release --quiet -p didymos-cli
BENCH_BIN=$(cargo bench --quiet -p didymos-epi --bench mmca --no-run --message-format=json 2>/dev/null |
  "$PY" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "mmca":
        print(m["executable"])' | tail -1)
# Frozen copies: every case below runs the same build even if the sources
# change (and cargo would rebuild) in the meantime.
cp "$BENCH_BIN" "$OUT/mmca-bench"
cp "${CARGO_TARGET_DIR:-target}/release/didymos" "$OUT/didymos"

rust_case() { # case -> $OUT/rust_<case>.txt
  echo "== cargo bench -p didymos-epi --bench mmca -- $1   (frozen copy: $OUT/mmca-bench)"
  "$OUT/mmca-bench" "$1" | tee "$OUT/rust_$1.txt"
}

numpy_time() { # label dir config -> $OUT/numpy_<label>.txt
  local label=$1 dir=$2 config=$3
  if [[ ! -f "$dir/$config" ]]; then
    echo "numpy $label: skipped: $dir not found" | tee "$OUT/numpy_$label.txt"
    return
  fi
  echo "== numpy peer, $label zones (single thread)"
  {
    "$PY" bench/mmca_numpy.py time "$dir/$config" "$dir" --repeats "$NUMPY_REPEATS" --label "$label"
    "$PY" bench/mmca_numpy.py time "$dir/$config" "$dir" --repeats 3 --label "$label" --form edges
  } | tee "$OUT/numpy_$label.txt"
}

cross_check() { # label dir config -> $OUT/crosscheck_<label>.txt
  local label=$1 dir=$2 config=$3
  if [[ ! -f "$dir/$config" ]]; then
    echo "cross-check $label: skipped: $dir not found" | tee "$OUT/crosscheck_$label.txt"
    return
  fi
  echo "== cross-check, $label zones: didymos run --episim vs numpy peer"
  rm -rf "$OUT/didymos_$label"
  "$OUT/didymos" run --episim "$dir/$config" --data-dir "$dir" --format csv \
    --out "$OUT/didymos_$label" --quiet
  {
    # factored/edges: two forms of the mobility sums; pow: the reference's
    # infection probability, expm1: the same without its 1 − (≈1)
    # cancellation (shows how much of the difference is the reference's own
    # rounding).
    for variant in factored:pow edges:pow factored:expm1; do
      form=${variant%%:*} pform=${variant##*:}
      totals="$OUT/numpy_totals_${label}_${form}_$pform.csv"
      "$PY" bench/mmca_numpy.py run "$dir/$config" "$dir" --form "$form" --p-form "$pform" --out "$totals"
      echo "variant form=$form p-form=$pform"
      "$PY" bench/mmca_numpy.py compare "$totals" "$OUT/didymos_$label/observables.csv" || true
    done
  } | tee "$OUT/crosscheck_$label.txt"
}

rust_case day52
numpy_time 52 "$SPAIN" config.json
rust_case day2850
numpy_time 2850 "$MITMA" config_MMCACovid19.json
cross_check 52 "$SPAIN" config.json
cross_check 2850 "$MITMA" config_MMCACovid19.json
if [[ "$what" == all ]]; then
  # One batch size per process: peak memory is then per batch size, and no
  # run inherits malloc state (glibc's dynamic mmap threshold) from another.
  rm -f "$OUT"/rust_ensemble*.txt
  ensemble_run() { # tag, then env assignments
    local tag=$1
    shift
    echo "== cargo bench -p didymos-epi --bench mmca -- ensemble ($*)"
    env "$@" "$OUT/mmca-bench" ensemble | tee "$OUT/rust_ensemble_$tag.txt"
  }
  ensemble_run preferred MMCA_BENCH_BATCHES=preferred MMCA_BENCH_OBSERVE=0
  preferred=$(grep -o 'metric=ensemble_total batch=[0-9]*' "$OUT/rust_ensemble_preferred.txt" | head -1 | grep -o '[0-9]*$' || true)
  for b in 8 16 32 64; do
    [[ "$b" == "$preferred" ]] || ensemble_run "b$b" MMCA_BENCH_BATCHES=$b MMCA_BENCH_OBSERVE=0
  done
  ensemble_run observe MMCA_BENCH_BATCHES=preferred MMCA_BENCH_OBSERVE=only
fi

SOURCES_AT_END=$(sources_id)
echo
if [[ "$SOURCES_AT_START" != "$SOURCES_AT_END" ]]; then
  echo "NOTE: the sources changed during the run ($SOURCES_AT_START -> $SOURCES_AT_END);"
  echo "      every figure below is still from the build made at the start ($SOURCES_AT_START)."
fi
echo "== summary ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), build of commit ${SOURCES_AT_START% *}$([[ "${SOURCES_AT_START#* }" == da39a3ee5e6b ]] || echo ', with uncommitted source changes'), $(date -u +%Y-%m-%d))"
"$PY" - "$OUT" <<'EOF'
import re, sys, pathlib
out = pathlib.Path(sys.argv[1])

def kv(line):
    return dict(re.findall(r"(\S+?)=(\S+)", line))

def read(name):
    p = out / name
    return p.read_text().splitlines() if p.exists() else []

def rust(case, metric):
    for l in read(f"rust_{case}.txt"):
        if l.startswith("RESULT") and f"metric={metric} " in l + " ":
            return kv(l)
    return None

def numpy(label, form="factored"):
    for l in read(f"numpy_{label}.txt"):
        if l.startswith("numpy") and f"form={form}" in l:
            return kv(l)
    return None

print()
print("| instance (1 thread) | Didymos ms/day: wall median (min), cpu median | numpy ms/day: wall median (min), cpu median | numpy, edge form: wall median | ratio numpy/Didymos (wall, cpu) | Didymos peak RSS |")
print("|---|---|---|---|---|---|")
for label in ("52", "2850"):
    r, n, e = rust(f"day{label}", "ensemble_step"), numpy(label), numpy(label, "edges")
    mem = rust(f"day{label}", "peak_rss_mib")
    if r is None:
        print(f"| {label} zones | skipped | | | | |")
        continue
    f = lambda d, k: float(d[k])  # noqa: E731
    rcell = f"{f(r, 'median_ms_per_day'):.4f} ({f(r, 'min_ms_per_day'):.4f}), {f(r, 'cpu_median_ms_per_day'):.4f}"
    ncell = (f"{f(n, 'median_ms_per_day'):.4f} ({f(n, 'min_ms_per_day'):.4f}), {f(n, 'cpu_median_ms_per_day'):.4f}"
             if n else "skipped")
    ecell = f"{f(e, 'median_ms_per_day'):.4f}" if e else "skipped"
    ratio = (f"{f(n, 'median_ms_per_day') / f(r, 'median_ms_per_day'):.1f}×, "
             f"{f(n, 'cpu_median_ms_per_day') / f(r, 'cpu_median_ms_per_day'):.1f}×") if n else "-"
    mcell = f"{mem['value']} MiB" if mem else "-"
    print(f"| {label} zones | {rcell} | {ncell} | {ecell} | {ratio} | {mcell} |")

print()
print("| Didymos day breakdown (1 thread, wall medians) | 52 zones ms/day | 2,850 zones ms/day |")
print("|---|---|---|")
for metric in ("ensemble_step", "ensemble_step(observe=true)", "model_step(reused_scratch)", "regime_only", "kernel_rates_derived"):
    cells = []
    for label in ("52", "2850"):
        r = rust(f"day{label}", metric)
        cells.append(f"{float(r['median_ms_per_day']):.4f}" if r else "-")
    print(f"| {metric} | {cells[0]} | {cells[1]} |")

ens_files = sorted(out.glob("rust_ensemble_*.txt"), key=lambda p: (p.stem != "rust_ensemble_preferred", p.stem))
def ens(metric):
    found = []
    for p in ens_files:
        mem = None
        rows = []
        for l in p.read_text().splitlines():
            if l.startswith("RESULT") and f"metric={metric} " in l + " ":
                rows.append(kv(l))
            if l.startswith("RESULT") and "metric=peak_rss_mib" in l:
                mem = kv(l)["value"]
        found += [dict(r, rss=mem) for r in rows]
    return found
rows = ens("ensemble_total") + ens("ensemble_total_observe")
if rows:
    print()
    print("| ensemble 256 × 2,850 × 100 days (one process each) | wall median s | wall min s | cpu median s (all threads) | init s | threads | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        tag = " (preferred)" if r.get("preferred") == "true" else ""
        if "observe" in r["metric"]:
            tag += ", observe=true"
        print(f"| batch {r['batch']}{tag} | {float(r['median_s']):.2f} | {float(r['min_s']):.2f} | "
              f"{float(r['cpu_median_s']):.2f} | {float(r['init_s']):.2f} | {r['threads']} | {r['rss']} MiB |")
    prints = {r["fingerprint"] for r in rows}
    print(f"\nensemble: final states bit-identical across batch sizes and observe: {len(prints) == 1}")
elif any("skipped" in l for p in ens_files for l in p.read_text().splitlines()):
    print("\nensemble: skipped: ../shared/data/epidemic/mitma_zones not found")

print()
for label in ("52", "2850"):
    for l in read(f"crosscheck_{label}.txt"):
        if l.startswith("variant "):
            variant = l[len("variant "):]
        elif l.startswith("compare max_rel_diff"):
            print(f"cross-check {label} zones, numpy {variant}: {l[len('compare '):]}")
        elif "skipped" in l or "FAILED" in l:
            print(f"cross-check {label} zones: {l}")
EOF
