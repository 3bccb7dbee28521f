# Shared by the bench scripts: logging, the release binary, the delivery order of simulated files,
# and the load benchmark's lender.

LENDER=${LENDER:-BENCHLENDER}

log() { printf '[%s %s] %s\n' "$(basename "$0" .sh)" "$(date -u +%H:%M:%S)" "$*" >&2; }

# Builds the release binary unless BIN names one; prints its path.
release_binary() {
  if [[ -n ${BIN:-} ]]; then
    [[ -x $BIN ]] || { echo "no binary at $BIN" >&2; exit 2; }
    # Absolute: the scripts run it from other folders.
    echo "$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
    return
  fi
  log "building the release binary"
  if [[ -n ${CARGO_LOCK:-} ]]; then
    (cd "$ROOT" && flock "$CARGO_LOCK" cargo build --release --quiet -p openbureau)
  else
    (cd "$ROOT" && cargo build --release --quiet -p openbureau)
  fi
  echo "${CARGO_TARGET_DIR:-$ROOT/target}/release/openbureau"
}

# The furnisher files of a simulation in delivery order: by month, then furnisher
# (docs/simulator.md), as paths relative to the simulation's folder.
delivery_order() {
  (cd "$1" && ls -d -- */*.jsonl | grep -v '^truth/' | sort -t/ -k2,2 -k1,1)
}

# add_load_lender BIN DATA SIM OUT: ingests an inquiry consent (purpose 02) from every simulated
# person to the lender LENDER, makes it a lender, and writes OUT/documents.txt (document number
# and consent reference, one person a line). TODAY (default: today, UTC) dates the consents.
add_load_lender() {
  local bin=$1 data=$2 sim=$3 out=$4 today evidence expires
  today=${TODAY:-$(date -u +%F)}
  evidence=$(printf 'openbureau load benchmark' | sha256sum | cut -d' ' -f1)
  expires=$(date -u -d "$today +5 years -1 day" +%F)
  {
    printf '{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"%s","furnisher_name":"Load-test lender"}\n' "$LENDER"
    jq -c --arg granted "$today" --arg expires "$expires" --arg evidence "$evidence" \
      '{kind: "consent", subject: {name, birth_date, document: {type: .document_type, number: .document_number}},
        scope: "inquire", purpose: "02", granted_on: $granted, expires_on: $expires, evidence_sha256: $evidence,
        consent_ref: "LOAD-\(.person)"}' \
      "$sim/truth.jsonl"
  } >"$out/lender-consents.jsonl"
  "$bin" --data "$data" ingest "$out/lender-consents.jsonl" | tee -a "$out/ingest.txt"
  # Registered by its batch without a role: the operator makes it a lender.
  "$bin" --data "$data" org add --code "$LENDER" --name "Load-test lender" --role lender
  jq -r '"\(.document_number) LOAD-\(.person)"' "$sim/truth.jsonl" >"$out/documents.txt"
  rm -f "$out/lender-consents.jsonl"
}
