#!/usr/bin/env bash
# Back up and restore the bot's PostgreSQL database (DATABASE_URL, as the bot reads it).
#
#   deploy/backup.sh backup FILE    pg_dump in custom format (compressed, restorable by table)
#   deploy/backup.sh restore FILE   replace the database's contents with FILE's, in one
#                                   transaction, then check the schema and rebuild the index
#
# Stop the bot before a restore. `cvm` must be on PATH (the bot's environment).
set -euo pipefail

usage() { echo "usage: $0 backup|restore FILE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 file=$2
: "${DATABASE_URL:?set DATABASE_URL (postgresql+psycopg://user:password@host:port/db)}"
# libpq does not know SQLAlchemy's driver suffix.
url=${DATABASE_URL/postgresql+psycopg:/postgresql:}

pg_tool() {
  # The newest installed PostgreSQL's own tools (Debian keeps them out of PATH), else PATH.
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -n $dir && -x $dir/$1 ]]; then echo "$dir/$1"; else command -v "$1"; fi
}

case $action in
  backup)
    "$(pg_tool pg_dump)" --format=custom --no-owner --file="$file" "$url"
    echo "backed up to $file ($(du -h "$file" | cut -f1))"
    ;;
  restore)
    [[ -r $file ]] || { echo "$0: cannot read $file" >&2; exit 2; }
    "$(pg_tool pg_restore)" --clean --if-exists --no-owner --single-transaction \
      --exit-on-error --dbname="$url" "$file"
    cvm db current
    cvm index
    echo "restored from $file"
    ;;
  *) usage ;;
esac
