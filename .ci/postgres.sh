#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on 127.0.0.1 for perfkit-pool's database tests and the
# `connections-pg` bench group.
#   source .ci/postgres.sh && pg_start    # exports PERFKIT_PG_URL
#   pg_stop
# As root, the server runs as the `postgres` user (it refuses to run as root).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-54329}

pg_start() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        echo "::: PostgreSQL server binaries not found in $PG_BIN" >&2
        return 1
    fi
    PG_DIR=$(mktemp -d /tmp/perfkit-pg.XXXXXX)
    echo perfkit >"$PG_DIR/pw"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres "$PG_DIR"
        as=(su postgres -s /bin/sh -c)
    else
        as=(sh -c)
    fi
    "${as[@]}" "'$PG_BIN/initdb' -D '$PG_DIR/data' -U perfkit --auth=scram-sha-256 \
        --pwfile='$PG_DIR/pw' -E UTF8 >'$PG_DIR/initdb.log' 2>&1 &&
        '$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/server.log' -w -o \
        \"-p $PG_PORT -k '$PG_DIR' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off\" \
        start >/dev/null" || { cat "$PG_DIR"/*.log >&2; return 1; }
    PG_AS=("${as[@]}")
    export PERFKIT_PG_URL="postgres://perfkit:perfkit@127.0.0.1:$PG_PORT/postgres"
    echo "::: PostgreSQL started in $PG_DIR: PERFKIT_PG_URL=$PERFKIT_PG_URL"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        "${PG_AS[@]}" "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m fast -w stop >/dev/null" || true
        rm -rf "$PG_DIR"
    fi
    unset PERFKIT_PG_URL
}
