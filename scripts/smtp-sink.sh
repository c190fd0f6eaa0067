#!/usr/bin/env bash
# Installs aiosmtpd in a Python virtual environment and runs the SMTP sink that the
# notifier's tests send mail to (services/notifier/tests/smtp_sink.py). Arguments go to
# the sink: `scripts/smtp-sink.sh --dir FOLDER [--port PORT]`. With `--install-only`
# it installs and exits. The sink prints its port on the first line of its output.
#
# LIAISON_CI_CACHE   cache folder (default /var/cache/liaison-ci)
# LIAISON_SMTP_VENV  virtual environment for aiosmtpd (default $LIAISON_CI_CACHE/smtp-venv)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aiosmtpd_version=1.4.6
cache=${LIAISON_CI_CACHE:-/var/cache/liaison-ci}
venv=${LIAISON_SMTP_VENV:-$cache/smtp-venv}

fail() {
    echo "error: $*" >&2
    exit 1
}

# Succeeds when Python $1 can create a virtual environment with pip.
python_fits() {
    "$1" -c 'import ensurepip, sys, venv; sys.exit(sys.version_info < (3, 8))' >/dev/null 2>&1
}

install() {
    local python=python3
    if ! command -v "$python" >/dev/null || ! python_fits "$python"; then
        # Debian's python3 ships the venv module without ensurepip, which the package
        # python3-venv adds.
        command -v apt-get >/dev/null && ((EUID == 0)) ||
            fail "python3 with the venv module is missing; install python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update </dev/null >&2
        apt-get install -y --no-install-recommends python3 python3-venv </dev/null >&2
        python=/usr/bin/python3
    fi
    if [[ ! -x $venv/bin/python ]]; then
        echo "creating $venv" >&2
        mkdir -p "$(dirname "$venv")"
        "$python" -m venv "$venv" >&2
    fi
    if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('aiosmtpd') != '$aiosmtpd_version')" 2>/dev/null; then
        echo "installing aiosmtpd $aiosmtpd_version in $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "aiosmtpd==$aiosmtpd_version" </dev/null >&2
    fi
}

mkdir -p "$cache"
# Tests start several sinks at once; one installs while the others wait.
exec 9>"$cache/smtp-venv.lock"
flock 9
install
flock -u 9
exec 9>&-

if [[ ${1:-} == --install-only ]]; then
    exit 0
fi
exec "$venv/bin/python" "$root/services/notifier/tests/smtp_sink.py" "$@"
