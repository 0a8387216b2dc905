#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks: Debian's `postgresql`
# (installed with apt-get only when no server binaries are found), `initdb` into a temporary
# folder owned by the `postgres` user (PostgreSQL refuses to run as root), `pg_ctl` on a free
# loopback port, trust authentication on loopback only, a database `backtest`.
#
# Usage:
#   eval "$(bash .ci/postgres.sh start)"   # exports BACKTEST_TEST_POSTGRES_URL, PG_CI_DIR
#   bash .ci/postgres.sh stop "$PG_CI_DIR"
set -euo pipefail

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && { echo "$dir"; return 0; }
    done
    return 1
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
start)
    if ! BIN=$(find_bin); then
        echo "== postgres: installing Debian's postgresql" >&2
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO=sudo
        $SUDO apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
        BIN=$(find_bin)
    fi
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/backtest-pg.XXXXXX")
    chmod 755 "$DIR"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"
    as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
        { cat "$DIR/initdb.log" >&2; exit 1; }
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >&2 ||
        { cat "$DIR/server.log" >&2; exit 1; }
    as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -q -c "CREATE DATABASE backtest" >&2
    echo "== postgres: $("$BIN/postgres" --version) on 127.0.0.1:$PORT (data in $DIR)" >&2
    echo "export PG_CI_DIR=$DIR PG_CI_BIN=$BIN BACKTEST_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PORT/backtest"
    ;;
stop)
    DIR=${2:?usage: postgres.sh stop DIR}
    BIN=$(find_bin) || exit 0
    [ -d "$DIR/data" ] && as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
*)
    echo "usage: bash .ci/postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
