#!/usr/bin/env bash
# The weekly ensemble's epiweek forecasts from Sunday and Monday origins,
# scored against the 2020 record (see BENCHMARKS.md, "Sunday and Monday
# origins"). From such an origin week 1 is the epiweek under way, whose
# first day or two are observed.
#
#   bash bench/skill/epiweek_origins.sh [DIDYMOS] [OUT]
#
# For every Sunday and Monday from 2020-09-06 whose 28-day horizon fits the
# twin's calendar: `didymos assimilate --until ORIGIN`, then `didymos
# forecast --ensemble --horizon 28`; then prints each weekday's WIS summed
# over provinces and origins, per week ahead, for the ensemble and the twin,
# and the twin's daily targets by weekday (bench/skill/score_hub.py).
# SPEC=other.toml scores another spec.
# About 2.5 minutes on 2 cores; checkpoints (~80 MB each) are kept in
# OUT/ck and reused, so a second binary can be scored on the same
# posteriors: `bash bench/skill/epiweek_origins.sh target/release/didymos
# out/epiweeks-new` after copying OUT/ck there.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/didymos}
OUT=${2:-out/epiweek-origins}
SPEC=${SPEC:-data/spain/twin-2020.toml}
mkdir -p "$OUT/ck" "$OUT/forecasts"
for o in $(python3 -c "
import datetime
d = datetime.date(2020, 9, 6)
while d + datetime.timedelta(29) <= datetime.date(2020, 12, 31):
    print(d); print(d + datetime.timedelta(1)); d += datetime.timedelta(7)"); do
  ck="$OUT/ck/$o"
  [ -f "$ck/checkpoint.bin" ] || "$BIN" assimilate "$SPEC" --until "$o" --out "$ck" > /dev/null
  "$BIN" forecast --checkpoint "$ck/checkpoint.bin" --horizon 28 --ensemble \
    --out "$OUT/forecasts/$o" > /dev/null
done
echo "ensemble (twin + companions):"
python3 bench/skill/score_hub.py data/spain/spain_provinces_covid19_daily_by_age_2020.csv \
  "$OUT"/forecasts/*/*-didymos-ensemble.csv
echo "twin (days and weeks):"
python3 bench/skill/score_hub.py data/spain/spain_provinces_covid19_daily_by_age_2020.csv \
  "$OUT"/forecasts/*/*-didymos-mmca.csv
