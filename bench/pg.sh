#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on a loopback port, for tests and benchmarks: no system service,
# nothing outside DIR. Installs postgresql-15 from Debian's packages when it is missing.
#
#   bench/pg.sh start DIR PORT   initdb into DIR (when empty) and start; prints the URL
#   bench/pg.sh stop DIR         stop the cluster (fast shutdown)
#   bench/pg.sh url PORT         the URL tests use
#
# PG_OPTS adds server settings at start (e.g. "-c cluster_name=replica1"; bench/failover.sh).
# PG_WAL_MAX is the write-ahead log's size between checkpoints (default 8GB, for bulk ingest; the
# test suite keeps it small, so that the log never needs more disk than a test machine has).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_owner() {
  # initdb and postgres refuse to run as root: run them as the postgres user when we are root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_pg() {
  [ -x "$PG_BIN/initdb" ] && return 0
  echo "== installing postgresql-15 from Debian's packages" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  # The package starts a system cluster on 5432; tests never use it.
}

url() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }

start() {
  local dir="$1" port="$2"
  install_pg
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$PG_BIN/initdb" -D "$dir" --auth=trust -U postgres -E UTF8 --locale=C >/dev/null
  fi
  # fsync and synchronous_commit stay on: a commit is durable, as in production. A larger WAL
  # between checkpoints spares bulk ingest a checkpoint every few seconds; it also takes that much
  # disk until the next checkpoint.
  as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=1GB \
        -c max_wal_size=${PG_WAL_MAX:-8GB} -c checkpoint_timeout=15min ${PG_OPTS:-}" start >/dev/null
  url "$port"
}

stop() {
  local dir="$1"
  [ -f "$dir/postmaster.pid" ] || return 0
  # A server stuck in crash recovery does not stop fast; then it is stopped at once.
  as_owner "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null \
    || as_owner "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
}

case "${1:-}" in
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  url) url "$2" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
