#!/usr/bin/env bash
# The autumn backtest as it would have run in real time, on a record with
# backfill (see BENCHMARKS.md, "Backtests as issued"). The bundled record is
# consolidated; this gives each day's admissions a reporting history: a
# share S1 of the count on its date, S2 by D2 days later, all of it by D3
# days later (counts rounded down, so small counts arrive late). The same
# backtest then runs on the final record, on the record as issued read as
# if final (`nowcast = false`), and as issued with the last days read as
# incomplete (the default).
#
#   bash bench/skill/backfill.sh [DIDYMOS] [OUT]
#
# Knobs: S1 (0.5), S2 (0.85), D2 (3), D3 (10), FROM/TO (the autumn origins).
# About 45 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/didymos}
OUT=${2:-out/backfill}
S1=${S1:-0.5} S2=${S2:-0.85} D2=${D2:-3} D3=${D3:-10}
FROM=${FROM:-2020-09-01} TO=${TO:-2020-12-15}
mkdir -p "$OUT"
OBS=spain_provinces_covid19_daily_by_age_2020.csv
python3 - "data/spain/$OBS" "$OUT/vintages.csv" "$S1" "$S2" "$D2" "$D3" <<'PY'
import csv, datetime, math, sys
src, dst, s1, s2, d2, d3 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
with open(src) as f, open(dst, "w", newline="") as g:
    r = csv.reader(f); w = csv.writer(g, lineterminator="\n")
    head = next(r); w.writerow(head + ["issued"]); h = head.index("new_hospitalized")
    for row in r:
        y = int(row[h]); date = datetime.date.fromisoformat(row[0])
        issues = [(0, math.floor(s1 * y)), (d2, math.floor(s2 * y)), (d3, y)]
        last = None
        for lag, v in issues:
            if v == last:
                continue
            out = list(row); out[h] = str(v)
            w.writerow(out + ["" if lag == 0 else str(date + datetime.timedelta(lag))])
            last = v
PY
# The spec beside its copy's inputs, reading the record with its issues.
for f in metapopulation_data.csv R_mobility_matrix.csv A0_initial_conditions_seeds.csv kappa0_from_mitma.csv; do
  ln -sf "$(pwd)/data/spain/$f" "$OUT/$f"
done
sed -e "s|$OBS|vintages.csv|" -e 's|^stratum_column = "age_group"|stratum_column = "age_group"\nissued_column = "issued"|' \
  data/spain/twin-2020.toml > "$OUT/twin-issued.toml"
sed -e 's|^issued_column = "issued"|issued_column = "issued"\nnowcast = false|' "$OUT/twin-issued.toml" > "$OUT/twin-issued-raw.toml"
show() { sed -n '1,/^total:/p' | grep -v '^  weeks\|^total:\|^locations:'; }
echo "== final record"
"$BIN" backtest data/spain/twin-2020.toml --from "$FROM" --to "$TO" --every 7d --horizon 28 --out "$OUT/final" | show
echo "== as issued (S1=$S1 on the day, S2=$S2 by +$D2 d, all by +$D3 d), read as final (nowcast = false)"
"$BIN" backtest "$OUT/twin-issued-raw.toml" --from "$FROM" --to "$TO" --every 7d --horizon 28 --out "$OUT/issued-raw" | show
echo "== as issued, the last days read as incomplete (nowcast, the default)"
"$BIN" backtest "$OUT/twin-issued.toml" --from "$FROM" --to "$TO" --every 7d --horizon 28 --out "$OUT/issued" | show
