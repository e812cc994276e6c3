#!/usr/bin/env bash
# Back up and restore the bot's PostgreSQL database (DATABASE_URL, as the bot reads it).
#
#   deploy/backup.sh backup FILE    pg_dump in custom format (compressed, restorable by table)
#   deploy/backup.sh restore FILE   replace the database's contents with FILE's, in one
#                                   transaction, then check the schema and rebuild the index
#
# Stop the bot before a restore. `cvm` must be on PATH (the bot's environment).
# PG_BIN: the folder of pg_dump and pg_restore (default: the newest installed PostgreSQL's).
#
# The password never reaches a command line (where `ps` shows it to every user): it is
# taken out of the URL and handed to libpq in a password file readable by this user only,
# removed on exit.
set -euo pipefail

usage() { echo "usage: $0 backup|restore FILE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 file=$2
: "${DATABASE_URL:?set DATABASE_URL (postgresql+psycopg://user:password@host:port/db)}"
# libpq does not know SQLAlchemy's driver suffix.
url=${DATABASE_URL/postgresql+psycopg:/postgresql:}

# scheme://user:password@host/db -> scheme://user@host/db, the password to PGPASSFILE.
scheme=${url%%://*} rest=${url#*://}
authority=${rest%%/*} path=${rest#"$authority"}
if [[ $authority == *@* ]]; then
  userinfo=${authority%@*} hosts=${authority##*@}
  if [[ $userinfo == *:* ]]; then
    password=${userinfo#*:}
    url="$scheme://${userinfo%%:*}@$hosts$path"
    # The URL's %XX escapes decoded (a backslash kept as it is), then the password file's
    # own escapes for backslash and colon.
    password=${password//\\/\\\\}
    printf -v password '%b' "${password//%/\\x}"
    password=${password//\\/\\\\}
    password=${password//:/\\:}
    PGPASSFILE=$(umask 077 && mktemp)
    trap 'rm -f "$PGPASSFILE"' EXIT
    printf '*:*:*:*:%s\n' "$password" >"$PGPASSFILE"
    export PGPASSFILE
    unset PGPASSWORD password
  fi
fi

pg_tool() {
  # PG_BIN, else the newest installed PostgreSQL's own tools (Debian keeps them out of
  # PATH), else PATH.
  local dir=${PG_BIN:-}
  [[ -n $dir ]] || dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
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
