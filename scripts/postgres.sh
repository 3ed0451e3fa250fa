#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests, from the machine's PostgreSQL
# binaries (installed from apt when missing). Listens on loopback only, on its
# own port and socket folder, so it never touches a system cluster.
#
#   scripts/postgres.sh start   # prints the connection string on stdout
#   scripts/postgres.sh stop
#   scripts/postgres.sh url
set -euo pipefail

PG_PORT="${ML_GITOPS_PG_PORT:-54329}"
PG_DIR="${ML_GITOPS_PG_DIR:-${TMPDIR:-/tmp}/ml-gitops-pg-$PG_PORT}"
PG_USER=postgres

log() { printf '[postgres] %s\n' "$*" >&2; }

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

ensure_binaries() {
  if ! PG_BIN="$(find_bin)"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "PostgreSQL server binaries missing; installing them from apt"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      PG_BIN="$(find_bin)"
    else
      log "PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package"
      exit 2
    fi
  fi
}

# initdb and postgres refuse to run as root: run them as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Trust authentication: the cluster is throw-away, listens on 127.0.0.1 only
# and holds nothing but test data.
url() { echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres"; }

start() {
  ensure_binaries
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "creating a cluster in $PG_DIR"
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    log "already running on port $PG_PORT"
  else
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
      start >/dev/null || { cat "$PG_DIR/server.log" >&2; exit 1; }
    log "started on 127.0.0.1:$PG_PORT"
  fi
  url
}

stop() {
  PG_BIN="$(find_bin)" || exit 0
  if [ -f "$PG_DIR/data/PG_VERSION" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    log "stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
