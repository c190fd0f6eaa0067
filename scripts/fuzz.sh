#!/usr/bin/env bash
# Fuzzes every service's OpenAPI document with schemathesis. Starts `liaison serve all`
# (debug build) on a free port of 127.0.0.1 with a temporary data folder, then runs
# schemathesis on /openapi/<service>.json twice per service: without a token and with
# an officer's token. A run fails on a 5xx response, an undocumented status code or
# content type, or a body that does not match the documented schema. The script
# prints the test cases each run generated and the total, and exits non-zero when any
# run failed.
#
# LIAISON_CI_CACHE           cache folder (default /var/cache/liaison-ci)
# LIAISON_FUZZ_VENV          Python virtual environment for schemathesis
#                            (default $LIAISON_CI_CACHE/fuzz-venv)
# LIAISON_FUZZ_MAX_EXAMPLES  test cases per operation in the fuzzing phase (default 50)
# LIAISON_FUZZ_WORKERS       concurrent schemathesis workers per run (default 1)
# LIAISON_FUZZ_SEED          seed that repeats an earlier run's inputs (default random)
# LIAISON_FUZZ_SERVICES      services to fuzz, space-separated (default all six)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

schemathesis_version=4.32.5
cache=${LIAISON_CI_CACHE:-/var/cache/liaison-ci}
venv=${LIAISON_FUZZ_VENV:-$cache/fuzz-venv}
max_examples=${LIAISON_FUZZ_MAX_EXAMPLES:-50}
# With more than one worker, Python 3.11 (3.11.2 and 3.11.7 tried) now and then raises
# "SystemError: AST constructor recursion depth mismatch" when two threads call
# ast.parse at once, and schemathesis reports each as an error of the run.
workers=${LIAISON_FUZZ_WORKERS:-1}
seed=${LIAISON_FUZZ_SEED:-}
read -r -a services <<<"${LIAISON_FUZZ_SERVICES:-registry needs joint-actions recommendations aggregation notifier}"
wait_secs=120

# The checks of every run, as schemathesis 4.32 names them.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

section() {
    printf '\n==> %s\n' "$*"
}

fail() {
    echo "error: $*" >&2
    exit 1
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Succeeds when Python $1 is recent enough for schemathesis 4.32 (3.11 or later) and
# `$1 -m venv` can create an environment with pip. Debian's python3 ships the venv
# module without ensurepip, which the package python3-venv adds.
python_fits() {
    "$1" -c 'import ensurepip, sys, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

section "Python virtual environment"
python=python3
if ! command -v "$python" >/dev/null || ! python_fits "$python"; then
    # No usable Python on PATH, such as Debian's python3 without python3-venv: install
    # python3-venv and use the system interpreter it belongs to.
    command -v apt-get >/dev/null ||
        fail "$python is missing, older than 3.11 or cannot run python3 -m venv; install Python 3.11 or later with the venv module"
    ((EUID == 0)) ||
        fail "$python is missing, older than 3.11 or cannot run python3 -m venv; run as root to install python3-venv, or run: apt-get install python3-venv"
    packages=(python3 python3-venv)
    missing=()
    for package in "${packages[@]}"; do
        installed "$package" || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update </dev/null
        apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
    fi
    python=/usr/bin/python3
    python_fits "$python" ||
        fail "$python ($("$python" --version 2>&1)) is older than 3.11 or still cannot run python3 -m venv"
fi
if [[ ! -x $venv/bin/python ]]; then
    echo "creating $venv with $("$python" --version)"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" == *"version $schemathesis_version" ]]; then
    echo "schemathesis $schemathesis_version is installed in $venv"
else
    echo "installing schemathesis $schemathesis_version in $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$schemathesis_version" </dev/null
fi

section "Build"
work=$(mktemp -d -t liaison-fuzz.XXXXXX)
server_pid=
# Stops the server and removes the work folder. After a failure it prints the server's
# log first (warnings, errors and start-up), because the folder with the log goes too.
stop_server() {
    local status=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    if ((status != 0)) && [[ -s $work/server.log ]]; then
        section "Server log"
        cat "$work/server.log"
    fi
    rm -rf "$work"
}
trap stop_server EXIT

"${CARGO:-cargo}" build --bin liaison
built="${CARGO_TARGET_DIR:-target}/debug/liaison"
[[ -x $built ]] || fail "cargo build left no binary at $built"
# A link of its own (or a copy), because another checkout's build in a shared
# CARGO_TARGET_DIR replaces debug/liaison. Its documents must be the checked-in ones.
binary=$work/liaison
ln "$built" "$binary" 2>/dev/null || cp "$built" "$binary"
"$binary" openapi --out "$work/openapi" >/dev/null
diff -rq openapi "$work/openapi" >/dev/null ||
    fail "the documents of $built differ from openapi/: run make openapi, or build again if another checkout shares CARGO_TARGET_DIR"

section "Server"
export LIAISON_DATA_DIR=$work/data
mkdir -p "$LIAISON_DATA_DIR"
# The settings of the embedded default, whatever the calling shell sets. One run sends
# well over the default rate limit of one caller, so the limit is off.
LIAISON_LISTEN=127.0.0.1:0 LIAISON_LOG_FORMAT=json RUST_LOG=warn,service_kit::app=info \
    LIAISON_RATE_LIMIT=0 \
    env -u LIAISON_DATABASE_URL -u LIAISON_BROKER_URL \
    -u LIAISON_JWT_PUBLIC_KEYS -u LIAISON_JWT_JWKS_URL \
    "$binary" serve all >"$work/server.log" 2>&1 </dev/null &
server_pid=$!

# Prints the address from the server's `listening` log line, once it is logged.
listening_address() {
    grep -m1 '"listening"' "$work/server.log" |
        "$venv/bin/python" -c 'import json, sys; print(json.loads(sys.stdin.readline())["listen"])' 2>/dev/null
}

# Succeeds when GET $1 returns a 2xx status.
answers_ok() {
    "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null
}

address=
for ((second = 0; second < wait_secs; second++)); do
    kill -0 "$server_pid" 2>/dev/null || fail "liaison serve all exited before it listened"
    address=$(listening_address) && [[ -n $address ]] && break
    sleep 1
done
[[ -n $address ]] || fail "liaison serve all logged no listening address after ${wait_secs} s"
base_url="http://$address"
for ((second = 0; second < wait_secs; second++)); do
    answers_ok "$base_url/readyz" && break
    sleep 1
done
answers_ok "$base_url/readyz" || fail "$base_url/readyz is not ready after ${wait_secs} s"
echo "liaison serve all is ready at $base_url (data in $LIAISON_DATA_DIR)"

officer_token=$("$binary" token --role officer --body fuzz-akimat --subject fuzz-officer)

# Runs schemathesis on one service's document. $1 is the service, $2 the run's label
# and the rest extra options. Writes the run's figures to $work/<service>-<label>.json.
fuzz_run() {
    local service=$1 label=$2
    shift 2
    local options=(
        --checks "$checks"
        --max-examples "$max_examples"
        --workers "$workers"
        --request-timeout 30
        --generation-database none
        --report json --report-json-path "$work/$service-$label.json"
        --report-dir "$work/reports"
        --no-color
    )
    [[ -n $seed ]] && options+=(--seed "$seed")
    # Schemathesis and Hypothesis keep caches in the working folder (.schemathesis and
    # .hypothesis), so each run starts in the temporary one, not in the checkout.
    (cd "$work" && "$venv/bin/schemathesis" run "$base_url/openapi/$service.json" \
        --url "$base_url" "${options[@]}" "$@" </dev/null)
}

# Prints the test cases that a run's JSON report counts, or 0 without a report.
generated_cases() {
    [[ -f $1 ]] || {
        echo 0
        return
    }
    "$venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["test_cases"]["generated"])' "$1"
}

started=$SECONDS
total=0
failed=()
summary=()
for service in "${services[@]}"; do
    for label in anonymous officer; do
        section "schemathesis: $service, $label"
        extra=()
        [[ $label == officer ]] && extra=(--header "Authorization: Bearer $officer_token")
        run_started=$SECONDS
        status=0
        fuzz_run "$service" "$label" "${extra[@]}" || status=$?
        cases=$(generated_cases "$work/$service-$label.json")
        total=$((total + cases))
        outcome=passed
        if ((status != 0)); then
            outcome="failed (exit $status)"
            failed+=("$service/$label")
        fi
        summary+=("$(printf '%-16s %-10s %6d cases %5d s  %s' "$service" "$label" "$cases" $((SECONDS - run_started)) "$outcome")")
    done
done

if ! kill -0 "$server_pid" 2>/dev/null; then
    failed+=("server")
    echo "error: liaison serve all exited during the runs" >&2
fi

section "Summary"
printf '%s\n' "${summary[@]}"
echo "total: $total test cases in ${#summary[@]} runs, $((SECONDS - started)) s"
if ((${#failed[@]})); then
    fail "schemathesis failed in: ${failed[*]}"
fi
