#!/usr/bin/env bash
# A throw-away PostgreSQL server for the register tests.
#
#   .ci/postgres.sh start   initialise a cluster (if needed), start it, create the
#                           database prtr_test and print its URL on standard output
#   .ci/postgres.sh url     print the URL of the running server
#   .ci/postgres.sh stop    stop the server and delete the cluster folder
#
# Typical use:
#   export PRTR_TEST_POSTGRES_URL="$(.ci/postgres.sh start)"
#   .venv/bin/python -m pytest tests/test_register.py
#   .ci/postgres.sh stop
#
# Settings (environment):
#   PGDATA_DIR   folder of the cluster (default /tmp/prtr-pg); when run as root it must
#                be a folder the postgres user can reach, so not under /root
#   PRTR_PG_PORT first port to try (default 54329); the next free one is taken
#   PG_BIN       folder of initdb and pg_ctl (default: newest /usr/lib/postgresql/*/bin)
#
# It works with Debian's packages (`apt-get install -y postgresql`), which put the
# binaries outside PATH, and it never touches the cluster Debian creates on port 5432.
# The server listens on 127.0.0.1 only and trusts local connections: it is for tests,
# and holds nothing but test data.
set -euo pipefail

PGDATA_DIR="${PGDATA_DIR:-/tmp/prtr-pg}"
FIRST_PORT="${PRTR_PG_PORT:-54329}"
DATABASE=prtr_test
SUPERUSER=postgres
MARKER="$PGDATA_DIR/.prtr-test-cluster"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        echo "$PG_BIN"
        return
    fi
    local newest
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$newest" ]]; then
        if command -v pg_ctl >/dev/null 2>&1; then
            dirname "$(command -v pg_ctl)"
            return
        fi
        say "PostgreSQL is not installed. On Debian: apt-get install -y postgresql"
        exit 1
    fi
    echo "$newest"
}

# Run a command as the cluster's owner: postgres when we are root (initdb refuses
# root), ourselves otherwise.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_for() {
    echo "postgresql+psycopg://$SUPERUSER@127.0.0.1:$1/$DATABASE"
}

running() {
    [[ -f "$PGDATA_DIR/data/postmaster.pid" ]] &&
        as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR/data" status >/dev/null 2>&1
}

start() {
    if running; then
        say "already running"
        url_for "$(cat "$PGDATA_DIR/port")"
        return
    fi

    mkdir -p "$PGDATA_DIR"
    if [[ "$(id -u)" == 0 ]]; then
        if ! id postgres >/dev/null 2>&1; then
            say "no 'postgres' user: install Debian's postgresql package first"
            exit 1
        fi
        chown postgres: "$PGDATA_DIR"
        chmod 700 "$PGDATA_DIR"
    fi
    if [[ ! -f "$PGDATA_DIR/data/PG_VERSION" ]]; then
        say "initialising a cluster in $PGDATA_DIR/data"
        as_owner "$BIN/initdb" -D "$PGDATA_DIR/data" --username="$SUPERUSER" \
            --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PGDATA_DIR/initdb.log" 2>&1 ||
            as_owner "$BIN/initdb" -D "$PGDATA_DIR/data" --username="$SUPERUSER" \
                --auth=trust --encoding=UTF8 --locale=C >"$PGDATA_DIR/initdb.log" 2>&1 || {
            say "initdb failed; see $PGDATA_DIR/initdb.log"
            exit 1
        }
        as_owner touch "$MARKER"
    fi

    local port="$FIRST_PORT"
    while port_in_use "$port"; do
        port=$((port + 1))
        if ((port > FIRST_PORT + 50)); then
            say "no free port between $FIRST_PORT and $port"
            exit 1
        fi
    done

    # The socket goes into the cluster folder: /var/run/postgresql may not exist or
    # may belong to Debian's own cluster.
    as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR/data" -l "$PGDATA_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PGDATA_DIR -c fsync=off" \
        start >/dev/null || {
        say "the server did not start; see $PGDATA_DIR/server.log"
        exit 1
    }
    echo "$port" | as_owner tee "$PGDATA_DIR/port" >/dev/null

    if ! as_owner "$BIN/psql" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
        as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" "$DATABASE"
    fi
    say "running on 127.0.0.1:$port (data in $PGDATA_DIR)"
    url_for "$port"
}

stop() {
    if running; then
        as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR/data" -m fast -w stop >/dev/null
        say "stopped"
    else
        say "not running"
    fi
    # Delete only a folder this script made.
    if [[ -f "$MARKER" ]]; then
        rm -rf "$PGDATA_DIR"
        say "removed $PGDATA_DIR"
    fi
}

BIN="$(find_bin)"
case "${1:-}" in
start) start ;;
stop) stop ;;
url)
    if running; then url_for "$(cat "$PGDATA_DIR/port")"; else
        say "not running"
        exit 1
    fi
    ;;
*)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
