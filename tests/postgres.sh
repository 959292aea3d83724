#!/usr/bin/env bash
# `tests/postgres.sh` makes sure a PostgreSQL server for the test lane runs on 127.0.0.1:$PGPORT, with a fresh
# memberflow_test database, and prints its URL; `tests/postgres.sh stop` stops it.
# Installs Debian's postgresql when it is missing (CI runs as root); the cluster lives under var/pgtest.
set -euo pipefail
PGPORT=${PGPORT:-55432}
DATA=${PGDATA_DIR:-$PWD/var/pgtest}
URL="postgresql://memberflow@127.0.0.1:$PGPORT/memberflow_test"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

if [ -z "$(pg_bin)" ]; then
  echo "installing PostgreSQL from Debian packages…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(pg_bin)

if [ "${1:-}" = stop ]; then
  if [ -f "$DATA/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    else "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  fi
  exit 0
fi

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user when we are root.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres "$DATA"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -o "-h 127.0.0.1 -p $PGPORT -k /tmp -F" start >/dev/null
fi
psql_do() { PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qtAc "$1"; }
[ "$(psql_do "SELECT 1 FROM pg_roles WHERE rolname='memberflow'")" = 1 ] || psql_do "CREATE ROLE memberflow LOGIN SUPERUSER"
psql_do "DROP DATABASE IF EXISTS memberflow_test WITH (FORCE)"
psql_do "CREATE DATABASE memberflow_test OWNER memberflow"
echo "$URL"
