#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for tests, from Debian's server binaries
# (/usr/lib/postgresql/<version>/bin). Used by packages/platform/test/db when no PostgreSQL answers
# at 127.0.0.1:5432 (and tested by packages/platform/test/db/private-cluster.test.ts).
#
#   scripts/pg-private.sh start <empty-dir> [port]   # prints postgres://postgres@127.0.0.1:<port>/postgres
#   scripts/pg-private.sh stop <dir>                  # stops the cluster and removes <dir>
#   scripts/pg-private.sh restart <dir>               # fast restart on the same port (fault tests)
#
# The caller owns <dir> (e.g. from mkdtemp); the data directory, unix socket and log live in it.
# Trust authentication on 127.0.0.1 only, and durability settings off: test data, never real data.
# initdb refuses to run as root, so as root the cluster runs as the `postgres` OS user.
set -euo pipefail

die() { echo "pg-private: $*" >&2; exit 1; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
  echo "$d"
}

# Run a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop <dir> [port]"

case "$cmd" in
  start)
    [ -d "$dir" ] || die "$dir is not a directory"
    bin=$(bindir)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Pick a free port (or the one given); retry a few times in case another process takes it first.
    for attempt in 1 2 3 4 5; do
      port=${3:-$(( 20000 + RANDOM % 40000 ))}
      if port_busy "$port"; then [ -n "${3:-}" ] && die "port $port is in use"; continue; fi
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        echo "postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
      [ -n "${3:-}" ] && break
      echo "pg-private: start on port $port failed (attempt $attempt), retrying" >&2
    done
    cat "$dir/server.log" >&2 || true
    die "could not start the cluster"
    ;;
  stop)
    [ -d "$dir/data" ] || die "$dir/data is not a cluster"
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    rm -rf -- "$dir"
    ;;
  restart)
    # -m fast: open sessions are terminated (57P01), as in a failover; the options of the start
    # (port, socket directory) are kept in postmaster.opts.
    [ -d "$dir/data" ] || die "$dir/data is not a cluster"
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null
    ;;
  *) die "unknown command $cmd (start|stop|restart)" ;;
esac
