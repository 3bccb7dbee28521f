#!/usr/bin/env bash
# Long fuzzing runs (issue 17, point 2): each fuzz target in turn for SECONDS (default 3600), on
# the nightly toolchain with cargo-fuzz, one core each.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        default: every target in fuzz/Cargo.toml
#   JOBS=2 fuzz/run.sh 3600                  two targets at once (one core each)
#
# The corpus of each target is kept in the repository (fuzz/corpus/TARGET, minimized with
# libFuzzer's -merge=1 after each run). A new corpus is seeded from small files the simulator
# writes (canonical, Metro 2 and PBOC-style; 3 people over 3 months), the formats' golden files,
# and fuzz/seeds/TARGET (hand-written bodies and policy files). Crashes land in
# fuzz/artifacts/TARGET; each found becomes a regression test before it is fixed.
# At the end a line per target gives the run's executions, coverage and crashes
# (fuzz/logs/TARGET.log holds libFuzzer's own output).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-3600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\([a-z0-9_]*\)"$/\1/p' fuzz/Cargo.toml | grep -v openbureau-fuzz)
fi
command -v cargo-fuzz >/dev/null || { echo "error: cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 1; }

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
echo "== seeds: the simulator's files"
cargo run -q -p openbureau -- simulate --people 3 --months 3 --seed 7 --end-month 2024-06 --out "$seeds/canonical" >/dev/null
cargo run -q -p openbureau -- simulate --people 3 --months 3 --seed 7 --end-month 2024-06 --format metro2 --out "$seeds/metro2" >/dev/null
cargo run -q -p openbureau -- simulate --people 3 --months 3 --seed 7 --end-month 2024-06 --format pboc --out "$seeds/pboc" >/dev/null
seed_dirs() {
  case "$1" in
    jsonl) echo "$seeds/canonical" ;;
    metro2) echo "$seeds/metro2 crates/formats/tests/golden" ;;
    pboc) echo "$seeds/pboc" ;;
    *) echo "" ;;
  esac
}

mkdir -p fuzz/logs
(cd fuzz && cargo +nightly fuzz build -O 2>&1 | tail -1)

run_one() {
  local t="$1" corpus="fuzz/corpus/$1" fresh
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  fresh="$(mktemp -d)"
  local extra=()
  for d in $(seed_dirs "$t") "fuzz/seeds/$t"; do
    [ -d "$d" ] && extra+=("$d")
  done
  # Files only, flat: libFuzzer reads a folder's files, not its subfolders.
  local flat="$fresh/seeds"
  mkdir -p "$flat"
  for d in "${extra[@]}"; do
    find "$d" -type f -size -64k -print0 | while IFS= read -r -d '' f; do cp "$f" "$flat/$(sha1sum "$f" | cut -c1-16)"; done
  done
  nice -n 10 cargo +nightly fuzz run -O "$t" "$corpus" "$flat" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    > "fuzz/logs/$t.log" 2>&1 || true
  # Keep the smallest corpus that reaches the same coverage.
  # The merge builds the target again from the working tree: if that fails (sources edited
  # meanwhile), or the merge keeps nothing, the run's corpus stays as it is, unminimized.
  mkdir -p "$fresh/min"
  if cargo +nightly fuzz run -O "$t" "$fresh/min" "$corpus" -- -merge=1 >> "fuzz/logs/$t.log" 2>&1 \
    && [ -n "$(find "$fresh/min" -type f -print -quit)" ]; then
    rm -rf "$corpus" && mv "$fresh/min" "$corpus"
  else
    echo "warning: $t: the merge failed; fuzz/corpus/$t kept unminimized (fuzz/logs/$t.log)" >&2
  fi
  rm -rf "$fresh"
  local execs cov crashes
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz/logs/$t.log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "fuzz/logs/$t.log" | tail -1)"
  crashes="$(find "fuzz/artifacts/$t" -type f | wc -l)"
  echo "$t: ${SECONDS_EACH} s, ${execs:-?} executions, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files, crashes in fuzz/artifacts/$t: $crashes"
}

JOBS="${JOBS:-1}"
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
