#!/usr/bin/env bash
# Checks that the PostgreSQL and RabbitMQ instances used by the test suite are
# reachable, and exits with status 1 and a way to start each one when it is not.
#
# LIAISON_TEST_DATABASE_URL  PostgreSQL URL (default postgres://postgres@127.0.0.1:5432/postgres)
# LIAISON_TEST_AMQP_URL      RabbitMQ URL (default amqp://guest:guest@127.0.0.1:5672/%2f)
set -euo pipefail

database_url="${LIAISON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
amqp_url="${LIAISON_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
timeout_secs=5

# Replaces the password in a URL with *** so it can be printed.
redact() {
    sed -E 's#(://[^:/@]+):[^@/]*@#\1:***@#' <<<"$1"
}

# Prints "host port" of an amqp:// or amqps:// URL, with the protocol's default port
# when the URL has none.
amqp_host_port() {
    local url=$1 default_port=5672 authority host port
    case "$url" in
        amqps://*) default_port=5671 ;;
        amqp://*) ;;
        *) return 1 ;;
    esac
    authority=${url#*://}
    authority=${authority%%/*}
    authority=${authority%%\?*}
    authority=${authority##*@}
    if [[ $authority =~ ^\[([^]]+)\](:([0-9]+))?$ ]]; then
        host=${BASH_REMATCH[1]}
        port=${BASH_REMATCH[3]}
    elif [[ $authority =~ ^([^:]*)(:([0-9]+))?$ ]]; then
        host=${BASH_REMATCH[1]}
        port=${BASH_REMATCH[3]}
    else
        return 1
    fi
    echo "${host:-localhost} ${port:-$default_port}"
}

# Succeeds when a TCP connection to host $1, port $2 opens within the timeout.
tcp_open() {
    timeout "$timeout_secs" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

failed=0

check_postgres() {
    local shown
    shown=$(redact "$database_url")
    if command -v pg_isready >/dev/null; then
        if ! pg_isready -q -t "$timeout_secs" -d "$database_url"; then
            echo "error: PostgreSQL is not accepting connections (LIAISON_TEST_DATABASE_URL=$shown)." >&2
            echo "  Start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
            return 1
        fi
    else
        echo "warning: pg_isready is not installed (package postgresql-client), so only the login is checked" >&2
    fi
    if command -v psql >/dev/null; then
        local output
        if ! output=$(PGCONNECT_TIMEOUT=$timeout_secs psql "$database_url" -X -q -t -A -c 'SELECT 1' 2>&1 </dev/null); then
            echo "error: cannot log in to PostgreSQL (LIAISON_TEST_DATABASE_URL=$shown): $output" >&2
            echo "  The URL must name a role that logs in without a password prompt, such as" >&2
            echo "  postgres with trust access from 127.0.0.1 in pg_hba.conf." >&2
            return 1
        fi
    elif ! command -v pg_isready >/dev/null; then
        echo "error: neither pg_isready nor psql is installed, so PostgreSQL cannot be checked." >&2
        echo "  Install the postgresql-client package." >&2
        return 1
    fi
    echo "PostgreSQL: reachable at $shown"
}

check_rabbitmq() {
    local shown host_port host port
    shown=$(redact "$amqp_url")
    if ! host_port=$(amqp_host_port "$amqp_url"); then
        echo "error: LIAISON_TEST_AMQP_URL=$shown is not an amqp:// or amqps:// URL." >&2
        return 1
    fi
    read -r host port <<<"$host_port"
    if ! tcp_open "$host" "$port"; then
        echo "error: RabbitMQ is not reachable at $host:$port (LIAISON_TEST_AMQP_URL=$shown)." >&2
        echo "  Start it with: rabbitmq-server -detached" >&2
        return 1
    fi
    echo "RabbitMQ: port $port open on $host"
}

check_postgres || failed=1
check_rabbitmq || failed=1

if ((failed)); then
    echo "To run the SQLite-only suite, which needs neither service: make test-sqlite" >&2
    exit 1
fi
