#!/usr/bin/env bash
# API fuzzing against the OpenAPI document (issue 17, point 3): schemathesis (from PyPI) runs
# every check it has against a loopback server over the demo's store, once with a key that is
# both furnisher and lender (DEMOLEND), once with an operator's key, SECONDS each. Any failure
# (a 5xx, an answer outside its declared statuses or schema, a request outside the schema
# accepted, a method not answered 405, a resource usable after it was deleted...) fails the
# script. One check is left out, `positive_data_acceptance` (every request the schema allows
# must succeed): a schema cannot say a document number's check digit or whether a person
# authorized a lender, so the bureau refuses such requests with 400 and a code.
#
#   bench/schemathesis.sh [SECONDS]          default 60; BIN=path/to/openbureau to skip the build;
#                                            SEED=N for another sequence of cases (default 20261206)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
PORT="${PORT:-18431}"
SEED="${SEED:-20261206}"
VERSION=4.32.5
if ! command -v schemathesis >/dev/null || ! schemathesis --version | grep -q "$VERSION"; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "schemathesis==$VERSION"
fi
if [ -z "${BIN:-}" ]; then
  cargo build -q -p openbureau
  BIN="${CARGO_TARGET_DIR:-target}/debug/openbureau"
fi
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
"$BIN" --data "$work/d" demo > "$work/demo.log" 2>&1
key_of() { "$@" 2>/dev/null | grep -E '^[0-9a-f]{64}$' | tail -1; }
lender="$(key_of "$BIN" --data "$work/d" org key --code DEMOLEND --label schemathesis)"
admin="$(key_of "$BIN" --data "$work/d" admin key --label schemathesis)"
[ -n "$lender" ] && [ -n "$admin" ] || { echo "error: no keys issued" >&2; exit 1; }
"$BIN" --data "$work/d" serve --listen "127.0.0.1:$PORT" 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
status=0
for who in lender admin; do
  key="${!who}"
  echo "== schemathesis, $who key, ${SECONDS_EACH} s"
  schemathesis run "http://127.0.0.1:$PORT/v1/openapi.json" -H "Authorization: Bearer $key" \
    --checks all --exclude-checks positive_data_acceptance --max-time "$SECONDS_EACH" --workers 1 --seed "$SEED" --no-color > "$work/$who.log" 2>&1 || status=1
  # The failures in full, else the summary.
  if grep -q '^=* FAILURES' "$work/$who.log"; then
    sed -n '/^=* FAILURES/,$p' "$work/$who.log" | head -200
  else
    sed -n '/^=* SUMMARY/,$p' "$work/$who.log"
  fi
done
kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
server=""
if grep -q '"status":5' "$work/serve.log"; then
  echo "error: the server answered 5xx:"; grep '"status":5' "$work/serve.log" | head -5
  status=1
fi
exit "$status"
