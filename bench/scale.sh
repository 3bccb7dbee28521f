#!/usr/bin/env bash
# Scale benchmark (issue 13): ingest as the store grows to PEOPLE people, then reports over HTTP on
# the grown store. The embedded SQLite store by default; PostgreSQL with PG_URL set to a server
# where the script may create a database (e.g. `PG_URL=$(bench/pg.sh start /tmp/pg 55440)`).
#
#   bench/scale.sh              # 1,000,000 people, 24 months
#   bench/scale.sh 100000       # a smaller run
#
# 1. Builds the release binary; simulates PEOPLE people over MONTHS months (seed SEED).
# 2. Ingests the furnisher files in delivery order (by month, then furnisher) in ten slices of
#    the file list, one `openbureau ingest` each, and prints for each slice its account-months,
#    seconds, rate and peak RSS; then the whole run's rate, the last slice's rate as a share of
#    the first's, the store's bytes and bytes per stored account-month, and the peak RSS.
# 3. Adds a lender with an inquiry consent from every person and runs bench/load.sh on the grown
#    store (reports/s and latency percentiles over HTTP, DURATION long).
#
# Variables (defaults): MONTHS (24) SEED (42) END_MONTH (2026-10) DURATION (60s) BENCH_DIR
# (target/bench-scale) KEEP_SIM (unset: the simulated files are removed after the ingest) BIN
# (skip the build and use this binary) SKIP_LOAD (unset: when set, step 3 is skipped) PG_URL
# (unset: SQLite; set: a database openbureau_scale_PEOPLE is made anew on that server and used,
# and the server runs WORKERS bureau workers, default 8) JOBS (unset: one batch at a time; set:
# `ingest --jobs JOBS`, batches of different furnishers at once, PostgreSQL only).
#
# The simulated people's document numbers are written only under BENCH_DIR (git-ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEOPLE=${1:-${PEOPLE:-1000000}}
MONTHS=${MONTHS:-24}
SEED=${SEED:-42}
END_MONTH=${END_MONTH:-2026-10}
DURATION=${DURATION:-60s}
BENCH_DIR=$(realpath -m "${BENCH_DIR:-$ROOT/target/bench-scale}") # absolute: the ingest runs from the simulation folder
SLICES=10
source "$ROOT/bench/lib.sh"

command -v /usr/bin/time >/dev/null || { echo "bench/scale.sh needs /usr/bin/time (Debian: time)" >&2; exit 2; }
# Step 3 needs wrk: say so before an hour of ingest, not after.
[[ -n ${SKIP_LOAD:-} ]] || command -v wrk >/dev/null || { echo "bench/scale.sh needs wrk for its report load (Debian: wrk), or SKIP_LOAD=1" >&2; exit 2; }
BIN=$(release_binary)

STORE=$BENCH_DIR/store-$PEOPLE
SIM=$BENCH_DIR/sim-$PEOPLE
rm -rf "$STORE"
mkdir -p "$STORE" "$BENCH_DIR"
DATA=$STORE/data

if [[ -n ${PG_URL:-} ]]; then
  command -v psql >/dev/null || { echo "bench/scale.sh with PG_URL needs psql" >&2; exit 2; }
  db=openbureau_scale_$PEOPLE
  psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  export OPENBUREAU_STORE=${PG_URL%/*}/$db
  log "store: PostgreSQL database $db"
fi

if [[ -f $SIM/done && $(cat "$SIM/done") == "$PEOPLE $MONTHS $SEED $END_MONTH $(git -C "$ROOT" rev-parse HEAD:crates/sim)" ]]; then
  log "simulated files cached at $SIM"
else
  log "simulating $PEOPLE people, $MONTHS months to $END_MONTH, seed $SEED"
  rm -rf "$SIM"
  /usr/bin/time -f 'simulate: %e s, peak RSS %M kB' \
    "$BIN" --data "$DATA" simulate --people "$PEOPLE" --months "$MONTHS" --seed "$SEED" --end-month "$END_MONTH" --out "$SIM"
  echo "$PEOPLE $MONTHS $SEED $END_MONTH $(git -C "$ROOT" rev-parse HEAD:crates/sim)" >"$SIM/done"
fi

mapfile -t files < <(delivery_order "$SIM")
n=${#files[@]}
log "ingesting $n files in $SLICES slices"
echo "slice  files  account-months  seconds  rate/s  peak_rss_kB"
total_months=0 total_seconds=0 peak=0 first_rate=0 last_rate=0
for ((s = 0; s < SLICES; s++)); do
  from=$((s * n / SLICES)) to=$(((s + 1) * n / SLICES))
  slice=("${files[@]:from:to-from}")
  months=$(cd "$SIM" && cat -- "${slice[@]}" | grep -c '"kind":"month"' || true)
  (cd "$SIM" && /usr/bin/time -o "$STORE/time.txt" -f '%e %M' "$BIN" --data "$DATA" ingest ${JOBS:+--jobs "$JOBS"} "${slice[@]}") >>"$STORE/ingest.txt"
  read -r seconds rss <"$STORE/time.txt"
  rate=$(awk -v m="$months" -v t="$seconds" 'BEGIN {printf "%d", m / (t > 0 ? t : 0.01)}')
  printf '%5d  %5d  %14d  %7.1f  %6d  %11d\n' $((s + 1)) $((to - from)) "$months" "$seconds" "$rate" "$rss"
  total_months=$((total_months + months))
  total_seconds=$(awk -v a="$total_seconds" -v b="$seconds" 'BEGIN {print a + b}')
  ((rss > peak)) && peak=$rss
  ((s == 0)) && first_rate=$rate
  last_rate=$rate
done
if [[ -n ${OPENBUREAU_STORE:-} ]]; then
  # Tables with their indexes and TOAST, after a VACUUM has set the visibility map as it would be.
  psql -q "$OPENBUREAU_STORE" -c 'VACUUM ANALYZE'
  stored=$(psql -At "$OPENBUREAU_STORE" -c 'SELECT count(*) FROM account_months')
  bytes=$(psql -At "$OPENBUREAU_STORE" -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'")
else
  stored=$(sqlite3 "$DATA/openbureau.sqlite" 'SELECT count(*) FROM account_months')
  sqlite3 "$DATA/openbureau.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  bytes=$(stat -c %s "$DATA/openbureau.sqlite")
fi
echo "ingest: $total_months account-months in $total_seconds s = $(awk -v m="$total_months" -v t="$total_seconds" 'BEGIN {printf "%d", m / t}')/s;" \
  "last slice at $(awk -v a="$last_rate" -v b="$first_rate" 'BEGIN {printf "%d", 100 * a / b}') % of the first's rate; peak RSS $peak kB"
echo "store: $bytes bytes, $stored account-months stored, $(awk -v b="$bytes" -v m="$stored" 'BEGIN {printf "%.1f", b / m}') bytes per account-month"
tail -n 3 "$STORE/ingest.txt" | sed 's/^/  /'

[[ -n ${SKIP_LOAD:-} ]] && exit 0
log "a lender with an inquiry consent from every person"
add_load_lender "$BIN" "$DATA" "$SIM" "$STORE"
[[ -n ${KEEP_SIM:-} ]] || rm -rf "$SIM"
STORE_DIR=$STORE BIN=$BIN DURATION=$DURATION BENCH_DIR=$BENCH_DIR "$ROOT/bench/load.sh"
