#!/usr/bin/env bash
# PostgreSQL and Redis from Debian's packages, without containers: the same services the
# docker-compose file runs, for a machine (or CI) with no Docker engine.
#
#   deploy/local/services.sh install          # apt-get install postgresql redis-server (root)
#   deploy/local/services.sh start [STATE]    # initdb on first start, then start both
#   deploy/local/services.sh stop  [STATE]
#   deploy/local/services.sh status [STATE]
#
# Ports and password come from the environment (defaults as in .env.example):
#   CVM_PG_PORT=5432 CVM_REDIS_PORT=6379 CVM_DB_PASSWORD=change-me  STATE=./data/services
set -euo pipefail

ACTION=${1:-status}
STATE=$(realpath -m "${2:-${CVM_STATE_DIR:-data/services}}")
PG_PORT=${CVM_PG_PORT:-5432}
REDIS_PORT=${CVM_REDIS_PORT:-6379}
PASSWORD=${CVM_DB_PASSWORD:-change-me}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
# PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$ACTION" in
install)
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql redis-server >/dev/null
  ;;
start)
  BIN=$(pg_bin)
  [ -n "$BIN" ] || { echo "PostgreSQL is not installed: run '$0 install'" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "Redis is not installed: run '$0 install'" >&2; exit 1; }
  mkdir -p "$STATE/redis"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$STATE"
    # the server must be able to walk down to its directory
    d="$STATE"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  if [ ! -f "$STATE/pg/PG_VERSION" ]; then
    printf '%s\n' "$PASSWORD" >"$STATE/.pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$STATE/.pwfile"
    as_pg "$BIN/initdb" -D "$STATE/pg" -U cvm --pwfile="$STATE/.pwfile" \
      --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$STATE/.pwfile"
  fi
  # Idempotent: a server that is already up is left as it is, and the other still starts.
  if ! as_pg "$BIN/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$STATE/pg" -w -l "$STATE/postgres.log" \
      -o "-p $PG_PORT -k $STATE -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  as_pg "$BIN/psql" -h "$STATE" -p "$PG_PORT" -U cvm -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'cvm'" | grep -q 1 ||
    as_pg "$BIN/createdb" -h "$STATE" -p "$PG_PORT" -U cvm cvm
  if ! redis-cli -p "$REDIS_PORT" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
      --daemonize yes --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" \
      --appendonly yes --requirepass "$PASSWORD"
  fi
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  echo "postgresql+psycopg://cvm:$PASSWORD@127.0.0.1:$PG_PORT/cvm"
  echo "redis://:$PASSWORD@127.0.0.1:$REDIS_PORT/0"
  ;;
stop)
  BIN=$(pg_bin)
  [ -f "$STATE/pg/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$STATE/pg" -m fast stop >/dev/null || true
  if [ -f "$STATE/redis.pid" ]; then
    kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
    rm -f "$STATE/redis.pid"
  fi
  ;;
status)
  BIN=$(pg_bin)
  as_pg "$BIN/pg_ctl" -D "$STATE/pg" status || true
  redis-cli -p "$REDIS_PORT" -a "$PASSWORD" --no-auth-warning ping || true
  ;;
*)
  echo "usage: $0 install|start|stop|status [STATE_DIR]" >&2
  exit 2
  ;;
esac
