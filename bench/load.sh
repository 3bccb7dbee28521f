#!/usr/bin/env bash
# Load benchmark of the HTTP API (issue 8): sustained POST /v1/reports on loopback.
#
#   bench/load.sh                       # 100,000 people, 300 s
#   DURATION=30s bench/load.sh          # a quick run
#
# Builds the release binary; builds (once, then cached while its inputs are unchanged) a store of
# PEOPLE simulated people with a lender holding an inquiry consent (purpose 02, loan approval)
# from each of them; copies that store for the run (so every run starts from the same store);
# creates the lender's API key in the copy; serves on 127.0.0.1 (a free port); runs wrk with
# bench/report.lua, each request naming the consent it relies on (consent_ref); samples the
# server's VmRSS every SAMPLE seconds; fails if any response was not 2xx or the count of reports
# the server produced is off.
#
# Variables (defaults): PEOPLE (100000) MONTHS (24) SEED (42) DURATION (300s) CONNECTIONS (32)
# WRK_THREADS (1) SAMPLE (10) RATE (1000000: the lender key's rate limit, requests a second and
# burst, set high so that the server, not the limiter, is measured) BENCH_DIR
# (target/bench-load) CARGO_LOCK (unset: when set, cargo runs under `flock $CARGO_LOCK`) BIN
# (skip the build and use this binary) STORE_DIR (unset: when set, a store built elsewhere, e.g.
# by bench/scale.sh — STORE_DIR/data with the lender, STORE_DIR/documents.txt — is used as is).
#
# The document numbers of the simulated people are written only under BENCH_DIR (git-ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEOPLE=${PEOPLE:-100000}
MONTHS=${MONTHS:-24}
SEED=${SEED:-42}
DURATION=${DURATION:-300s}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
SAMPLE=${SAMPLE:-10}
RATE=${RATE:-1000000}
BENCH_DIR=${BENCH_DIR:-$ROOT/target/bench-load}
source "$ROOT/bench/lib.sh"

for tool in wrk jq curl; do
  command -v "$tool" >/dev/null || { echo "bench/load.sh needs $tool" >&2; exit 2; }
done

# 1. The release binary.
BIN=$(release_binary)

# 2. The store, cached. The simulated window ends with the last month delivered by the 5th of
# this month (the simulator's own default), so the key changes once a month.
today=$(date -u +%F)
if (( 10#$(date -u +%d) >= 5 )); then
  END_MONTH=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
else
  END_MONTH=$(date -u -d "$(date -u +%Y-%m-01) -2 month" +%Y-%m)
fi
tree() { git -C "$ROOT" rev-parse "HEAD:$1" 2>/dev/null || echo "no-git"; }
KEY="people=$PEOPLE months=$MONTHS seed=$SEED end=$END_MONTH sim=$(tree crates/sim) store=$(tree crates/store) bureau=$(tree crates/bureau) script=3"
STORE=$BENCH_DIR/store-$PEOPLE
mkdir -p "$BENCH_DIR"

if [[ -n ${STORE_DIR:-} ]]; then
  STORE=$STORE_DIR
  log "store built elsewhere: $STORE"
elif [[ -f $STORE/stamp && $(cat "$STORE/stamp") == "$KEY" ]]; then
  log "store of $PEOPLE people cached at $STORE"
  head -n 1 "$STORE/simulate.txt"
else
  log "building the store: $PEOPLE people, $MONTHS months to $END_MONTH, seed $SEED"
  rm -rf "$STORE"
  mkdir -p "$STORE"
  sim=$STORE/sim
  start=$SECONDS
  "$BIN" --data "$STORE/data" simulate --people "$PEOPLE" --months "$MONTHS" --seed "$SEED" \
    --end-month "$END_MONTH" --out "$sim" | tee "$STORE/simulate.txt"
  mapfile -t files < <(delivery_order "$sim")
  log "ingesting ${#files[@]} files"
  (cd "$sim" && "$BIN" --data "$STORE/data" ingest "${files[@]}") >"$STORE/ingest.txt"
  tail -n 1 "$STORE/ingest.txt" >&2
  add_load_lender "$BIN" "$STORE/data" "$sim" "$STORE"
  rm -rf "$sim"
  echo "$KEY" >"$STORE/stamp"
  log "store built in $((SECONDS - start)) s"
fi

# 3. A fresh copy of the store for this run, the lender's key, the server.
RUN=$BENCH_DIR/run
rm -rf "$RUN"
mkdir -p "$RUN"
cp -a "$STORE/data" "$RUN/data"
API_KEY=$("$BIN" --data "$RUN/data" org key --code "$LENDER" --label load-benchmark 2>/dev/null)

# Over PostgreSQL (OPENBUREAU_STORE set) the copy is of the key only: the database is shared, and
# the server runs WORKERS bureau workers.
workers=()
[[ ${OPENBUREAU_STORE:-} == postgres* ]] && workers=(--workers "${WORKERS:-8}")
"$BIN" --data "$RUN/data" serve --listen 127.0.0.1:0 --rate-per-key "$RATE" --burst-per-key "$RATE" "${workers[@]}" \
  2>"$RUN/server.log" &
SERVER=$!
SAMPLER=
cleanup() {
  [[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null || true
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -INT "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
}
trap cleanup EXIT

addr=
for _ in $(seq 1 300); do
  addr=$(head -n 1 "$RUN/server.log" | jq -r 'select(.event == "listening") | .addr' 2>/dev/null || true)
  [[ -n $addr ]] && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$RUN/server.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $addr ]] || { echo "the server did not start" >&2; exit 1; }
URL=http://$addr
log "server $SERVER on $URL"

# One report by hand: the setup works before any load.
read -r first ref < "$STORE/documents.txt"
status=$(curl -s -o "$RUN/first.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"document_type\":\"prc_resident_id\",\"document_number\":\"$first\",\"purpose\":\"02\",\"consent_ref\":\"$ref\"}" \
  "$URL/v1/reports")
[[ $status == 200 ]] || { echo "a first report answered $status: $(cat "$RUN/first.json")" >&2; exit 1; }
echo "one report: $(wc -c <"$RUN/first.json") bytes of JSON"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$SERVER/stat"; }

echo "machine: $(nproc) cores; $(uptime)"
echo "wrk: $WRK_THREADS threads, $CONNECTIONS connections, $DURATION; server RSS before: $(rss) kB"
(
  t=0
  while sleep "$SAMPLE"; do
    t=$((t + SAMPLE))
    echo "rss t=${t}s $(rss) kB; load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
) &
SAMPLER=$!

# wrk shares the machine with the server: its own CPU time is printed after its report.
TIMEFORMAT='wrk CPU: %U s user, %S s system'
time (OB_KEY=$API_KEY OB_DOCS=$STORE/documents.txt \
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s --latency \
  -s "$ROOT/bench/report.lua" "$URL/v1/reports" | tee "$RUN/wrk.txt")

kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
SAMPLER=
echo "server after: RSS $(rss) kB, peak $(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status") kB, CPU $(cpu_seconds) s"
# CPU seconds by thread name (the bureau's own thread, the runtime's workers).
for task in /proc/"$SERVER"/task/*; do
  echo "$(tr ' ' '_' <"$task/comm") $(awk '{print $14 + $15}' "$task/stat")"
done | awk -v hz="$(getconf CLK_TCK)" '{t[$1] += $2} END {printf "server CPU by thread:"; for (k in t) printf " %s %.1f s;", k, t[k] / hz; print ""}'
echo "machine after: $(uptime)"

# 4. Checks: no error, and every request answered counted as a report by the server.
reports=$(curl -s "$URL/metrics" | awk '$1 == "openbureau_reports_total" {print $2}')
summary=$(grep '^SUMMARY' "$RUN/wrk.txt")
requests=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$summary")
bad=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$summary")
echo "reports produced by the server (metrics, including the first by hand): $reports"
if grep -q 'Non-2xx or 3xx responses' "$RUN/wrk.txt" || (( bad != 0 )); then
  echo "FAIL: $bad responses were not 2xx" >&2
  exit 1
fi
# wrk counts the responses it read; requests still in flight when it stopped were produced too.
if (( reports < requests + 1 )); then
  echo "FAIL: the server counted $reports reports for $requests answered requests" >&2
  exit 1
fi
echo "OK"
