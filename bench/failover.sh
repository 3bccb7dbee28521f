#!/usr/bin/env bash
# Failover test (issue 13, part 3): a PostgreSQL primary dies mid-batch and its synchronous replica
# takes over; nothing a client was told is stored is lost, nothing is stored twice, and readers see
# only retryable errors during the switch. Runs in CI (`./x test`); passes or fails, never skips.
#
#   bench/failover.sh                     # builds the debug binary unless BIN names one
#   BIN=target/debug/openbureau bench/failover.sh
#
# 1. A primary (port PORT) and a streaming replica made from it by pg_basebackup (PORT+1), both
#    throwaway clusters on loopback (bench/pg.sh); the primary then commits only once the replica
#    has applied the commit (synchronous_standby_names = the replica, synchronous_commit =
#    remote_apply). Every client names both hosts with target_session_attrs=read-write, so it
#    reaches whichever is the primary.
# 2. Simulates PEOPLE people over MONTHS months; a lender gets an inquiry consent from each.
# 3. SERVERS bureau servers (`openbureau serve`, 2 workers each) over the one store; a client per
#    server asks for reports without pause from here to the end.
# 4. Ingests the furnisher files in delivery order; once a third of them are in and an ingest
#    transaction is open, SIGKILLs every process of the primary, waits DOWN_SECONDS, promotes the
#    replica, and runs the ingest of every file again.
# 5. Checks: the re-run exits 0; every file is one batch; the store's batches, people, documents,
#    consents, notices, account terms and account-months equal, row for row by their natural keys,
#    a reference database that ingested the same files in the same order without a failure;
#    `audit verify` passes; each client saw only 200 and 503 STORE_UNAVAILABLE, and 200s again
#    after the promotion; each server was up throughout.
#
# Variables (defaults): PEOPLE (1500) MONTHS (12) SEED (7) SERVERS (2) PORT (55441) DOWN_SECONDS
# (2) KEEP (unset: the work folder is removed at the end; set: kept and named).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEOPLE=${PEOPLE:-1500}
MONTHS=${MONTHS:-12}
SEED=${SEED:-7}
SERVERS=${SERVERS:-2}
PORT=${PORT:-55441}
DOWN_SECONDS=${DOWN_SECONDS:-2}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
source "$ROOT/bench/lib.sh"

for tool in jq curl psql; do
  command -v "$tool" >/dev/null || { echo "bench/failover.sh needs $tool" >&2; exit 2; }
done
if [[ -z ${BIN:-} ]]; then
  log "building the debug binary"
  (cd "$ROOT" && cargo build --quiet -p openbureau)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/openbureau
fi
BIN=$(release_binary)

# Under /tmp: the postgres user must reach the clusters' folders whatever the checkout's rights.
WORK=$(mktemp -d /tmp/openbureau-failover.XXXXXX)
chmod 711 "$WORK" # the postgres user passes through to its clusters' folders, reads nothing else
PRIMARY=$WORK/primary REPLICA=$WORK/replica DATA=$WORK/data SIM=$WORK/sim
P1=$PORT P2=$((PORT + 1))
STORE_URL="postgres://postgres@127.0.0.1:$P1,127.0.0.1:$P2/openbureau?target_session_attrs=read-write"
REFERENCE_URL="postgres://postgres@127.0.0.1:$P2/reference"
pids=()
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  touch "$WORK/stop" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/bench/pg.sh" stop "$REPLICA" 2>/dev/null || true
  "$ROOT/bench/pg.sh" stop "$PRIMARY" 2>/dev/null || true
  if [[ -n ${KEEP:-} || $rc -ne 0 ]]; then echo "work folder kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { psql -XAtq "$1" -c "$2"; }
# The phase the clients label their answers with, replaced whole (a client never reads it half
# written).
set_phase() { echo "$1" >"$WORK/phase.new" && mv "$WORK/phase.new" "$WORK/phase"; }

# 1. Primary, replica, synchronous replication.
log "primary on $P1"
"$ROOT/bench/pg.sh" start "$PRIMARY" "$P1" >/dev/null
primary_url=$("$ROOT/bench/pg.sh" url "$P1")
sql "$primary_url" "CREATE DATABASE openbureau"
log "replica on $P2 (pg_basebackup)"
mkdir -p "$REPLICA"
chmod 700 "$REPLICA"
[[ $(id -u) -eq 0 ]] && chown postgres "$REPLICA"
# (Its warnings about the primary's socket file, kept in its folder by bench/pg.sh, are noise.)
as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$REPLICA" -R -X stream -c fast \
  2>"$WORK/basebackup.log" || fail "pg_basebackup: $(cat "$WORK/basebackup.log")"
rm -f "$REPLICA/postmaster.pid" "$REPLICA/log"
PG_OPTS="-c cluster_name=replica1" "$ROOT/bench/pg.sh" start "$REPLICA" "$P2" >/dev/null
sql "$primary_url" "ALTER SYSTEM SET synchronous_standby_names = 'replica1'"
sql "$primary_url" "ALTER SYSTEM SET synchronous_commit = 'remote_apply'"
sql "$primary_url" "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 100); do
  state=$(sql "$primary_url" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'replica1'")
  [[ $state == sync ]] && break
  sleep 0.1
done
[[ $state == sync ]] || fail "the replica is not synchronous (state '$state')"
log "replication: replica1 $state, synchronous_commit $(sql "$primary_url" 'SHOW synchronous_commit')"

# 2. The simulated files and the lender's consents (dated once: the reference gets the same file).
export TODAY=${TODAY:-$(date -u +%F)}
"$BIN" --data "$DATA" simulate --people "$PEOPLE" --months "$MONTHS" --seed "$SEED" --out "$SIM" >"$WORK/simulate.txt"
mapfile -t files < <(delivery_order "$SIM")
export OPENBUREAU_STORE=$STORE_URL
mkdir -p "$WORK/reference"
add_load_lender "$BIN" "$DATA" "$SIM" "$WORK" >/dev/null
API_KEY=$("$BIN" --data "$DATA" org key --code "$LENDER" --label failover 2>/dev/null)

# 3. Bureau servers, and a client asking each for reports until the end.
# Starts server $1 in the background (its stdout and stderr to files: a command substitution
# would wait for the server to close them) and waits for its address in SERVER_ADDR.
start_server() {
  local log=$WORK/server-$1.log
  SERVER_ADDR=
  "$BIN" --data "$DATA" serve --listen 127.0.0.1:0 --workers 2 >"$WORK/server-$1.out" 2>"$log" &
  pids+=($!)
  echo $! >"$WORK/server-$1.pid"
  for _ in $(seq 1 300); do
    SERVER_ADDR=$(head -n 1 "$log" | jq -r 'select(.event == "listening") | .addr' 2>/dev/null || true)
    [[ -n $SERVER_ADDR ]] && return 0
    sleep 0.1
  done
  fail "server $1 did not start: $(cat "$log")"
}
client() {
  local url=$1 out=$2 doc ref code
  while [[ ! -e $WORK/stop ]]; do
    while read -r doc ref && [[ ! -e $WORK/stop ]]; do
      code=$(curl -s -o "$out.body" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $API_KEY" \
        -H 'Content-Type: application/json' \
        -d "{\"document_type\":\"prc_resident_id\",\"document_number\":\"$doc\",\"purpose\":\"02\",\"consent_ref\":\"$ref\"}" \
        "$url/v1/reports" || true)
      phase=$(cat "$WORK/phase")
      if [[ $code == 503 ]]; then code="503:$(jq -r '.error.code // "?"' "$out.body" 2>/dev/null || echo '?')"; fi
      echo "$phase $code $(date +%s.%N)" >>"$out"
    done <"$WORK/documents.txt"
  done
}
set_phase before
for s in $(seq 1 "$SERVERS"); do
  start_server "$s"
  log "server $s on $SERVER_ADDR"
  client "http://$SERVER_ADDR" "$WORK/client-$s.txt" &
  pids+=($!)
done

for s in $(seq 1 "$SERVERS"); do
  for _ in $(seq 1 300); do
    grep -q '^before 200 ' "$WORK/client-$s.txt" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '^before 200 ' "$WORK/client-$s.txt" || fail "client $s got no report before the ingest: $(tail -n 3 "$WORK/client-$s.txt" 2>/dev/null)"
done

# 4. Ingest; SIGKILL the primary mid-batch; promote the replica; ingest again.
(
  rc=0
  cd "$SIM"
  OPENBUREAU_STORE="$STORE_URL&application_name=failover-ingest" "$BIN" --data "$DATA" ingest "${files[@]}" \
    >"$WORK/ingest-1.txt" 2>&1 || rc=$?
  echo "$rc" >"$WORK/ingest-1.rc"
) &
ingest=$!
open_tx="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'failover-ingest' AND xact_start IS NOT NULL"
batches_in() { sql "$STORE_URL" "SELECT count(*) FROM batches" 2>/dev/null || echo 0; }
total=$(( ${#files[@]} + 1 )) # +1: the lender's consent file is a batch too
third=$(( total / 3 + 1 ))
killed=
while kill -0 "$ingest" 2>/dev/null; do
  # Mid-run and mid-batch, with a batch still to come after the open one: on a fast machine the
  # last batch could otherwise commit, and the ingest end well, between the look and the kill.
  in=$(batches_in)
  if (( in >= third && in < total - 1 )) && (( $(sql "$primary_url" "$open_tx" 2>/dev/null || echo 0) > 0 )); then
    set_phase during
    pid=$(head -n 1 "$PRIMARY/postmaster.pid")
    kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null || true
    killed=$(date -u +%T.%N)
    break
  fi
  sleep 0.02
done
[[ -n $killed ]] || fail "the ingest ended before the primary could be killed mid-batch; raise PEOPLE"
wait "$ingest" || true
log "primary killed at $killed with $(grep -c . "$WORK/ingest-1.txt") lines of ingest output; ingest exit $(cat "$WORK/ingest-1.rc")"
[[ $(cat "$WORK/ingest-1.rc") =~ ^[1-9][0-9]*$ ]] || fail "the ingest did not notice that its primary died"
sleep "$DOWN_SECONDS"
as_owner "$PG_BIN/pg_ctl" -D "$REPLICA" -w promote >/dev/null
set_phase after
log "replica promoted"
(cd "$SIM" && "$BIN" --data "$DATA" ingest "${files[@]}" >"$WORK/ingest-2.txt") || fail "the ingest run again after the promotion failed"
sleep 3 # the clients' reports after the switch
touch "$WORK/stop"

# 5. Checks.
"$BIN" --data "$DATA" audit verify || fail "audit verify"
for s in $(seq 1 "$SERVERS"); do
  out=$WORK/client-$s.txt
  bad=$(awk '$2 != "200" && $2 != "503:STORE_UNAVAILABLE" {print $1, $2}' "$out" | sort | uniq -c)
  [[ -z $bad ]] || fail "client $s saw answers that are not 200 nor 503 STORE_UNAVAILABLE:"$'\n'"$bad"
  for phase in before after; do
    grep -q "^$phase 200 " "$out" || fail "client $s had no report $phase the switch"
  done
  gap=$(awk '$2 == "200" { if (last) { g = $3 - last; if (g > max) max = g } last = $3 } END {printf "%.1f", max}' "$out")
  echo "client $s: $(awk '{n[$1" "$2]++} END {for (k in n) printf "%s=%d ", k, n[k]}' "$out"); longest wait between two reports ${gap} s"
done
for s in $(seq 1 "$SERVERS"); do kill -0 "$(cat "$WORK/server-$s.pid")" || fail "server $s died"; done

log "reference: the same files, in the same order, into a database that sees no failure"
sql "postgres://postgres@127.0.0.1:$P2/postgres" "CREATE DATABASE reference"
OPENBUREAU_STORE=$REFERENCE_URL add_load_lender "$BIN" "$DATA" "$SIM" "$WORK/reference" >/dev/null
(cd "$SIM" && OPENBUREAU_STORE=$REFERENCE_URL "$BIN" --data "$DATA" ingest "${files[@]}" >"$WORK/reference/ingest.txt")

# Rows by their natural keys (ids differ: a transaction cut short spends sequence values).
dump() {
  local url=$1
  sql "$url" "SELECT 'batch', o.code, encode(b.file_sha256, 'hex'), b.format, b.records, b.accepted, b.rejected
              FROM batches b JOIN organizations o ON o.id = b.org_id ORDER BY 2, 3"
  sql "$url" "SELECT 'document', encode(d.number_mac, 'hex'), d.doc_type, s.birth_date, encode(s.name_mac, 'hex')
              FROM documents d JOIN subjects s ON s.id = d.subject_id ORDER BY 2"
  sql "$url" "SELECT 'consent', o.code, encode(d.number_mac, 'hex'), c.scope, c.purpose, c.granted_on, c.expires_on,
                     c.revoked_on, c.consent_ref
              FROM consents c JOIN organizations o ON o.id = c.org_id JOIN documents d ON d.subject_id = c.subject_id
              ORDER BY 2, 3, 4, 5, 6, 9"
  sql "$url" "SELECT 'notice', o.code, n.account_key, n.notified_on, n.channel, n.account_id IS NULL
              FROM notices n JOIN organizations o ON o.id = n.org_id ORDER BY 2, 3, 4, 5"
  sql "$url" "SELECT 'terms', o.code, a.account_key, encode(d.number_mac, 'hex'), v.version, v.account_type, v.opened_on,
                     v.credit_limit_minor, v.periods, v.due_day, v.responsibility, v.deleted
              FROM account_versions v JOIN accounts a ON a.id = v.account_id JOIN organizations o ON o.id = a.org_id
              JOIN documents d ON d.subject_id = a.subject_id ORDER BY 2, 3, 5"
  sql "$url" "SELECT 'month', o.code, a.account_key, m.month, m.version, m.settled_on, m.balance_minor, m.used_minor,
                     m.due_minor, m.paid_minor, m.past_due_minor, m.days_past_due, m.status, m.class5,
                     m.last_payment_on, m.closed_on, m.credit_limit_minor, m.deleted
              FROM account_months m JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id
              ORDER BY 2, 3, 4, 5"
}
dump "postgres://postgres@127.0.0.1:$P2/openbureau" >"$WORK/store.rows"
dump "$REFERENCE_URL" >"$WORK/reference.rows"
[[ -s $WORK/reference.rows ]] || fail "the reference dump is empty"
if ! diff -q "$WORK/store.rows" "$WORK/reference.rows" >/dev/null; then
  diff "$WORK/store.rows" "$WORK/reference.rows" | head -n 20 >&2
  fail "the store after the failover differs from the reference (rows above: < store, > reference)"
fi
echo "store equals the reference: $(cut -d'|' -f1 "$WORK/store.rows" | sort | uniq -c | awk '{printf "%s %s; ", $1, $2}')"
echo "ingest after the promotion: $(tail -n 1 "$WORK/ingest-2.txt")"
echo "OK"
