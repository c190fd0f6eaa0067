#!/usr/bin/env bash
# Prepares the reference dashboard's browser tests (services/aggregation/dashboard):
# installs its pinned npm packages with `npm ci` when package-lock.json changed since
# the last install, checks that the checked-in dist/ is what the sources build, and
# checks that Chromium is installed. Exits with status 1 and what to do when a step
# cannot be done.
#
# CHROMIUM                   the browser (default /usr/bin/chromium)
# LIAISON_TEST_SKIP_BROWSER  1 skips this script and the browser tests
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../services/aggregation/dashboard"

if [[ "${LIAISON_TEST_SKIP_BROWSER:-}" == 1 ]]; then
    echo "LIAISON_TEST_SKIP_BROWSER=1: the dashboard's browser tests are skipped"
    exit 0
fi

command -v node >/dev/null || {
    echo "error: the dashboard's tests need Node.js 20 or later and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
}

# npm ci removes node_modules and installs exactly the lockfile; a stamp beside it
# records which lockfile the last install used. Install scripts stay off: esbuild
# finds its binary in its platform package without one.
stamp=node_modules/.package-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "installing the dashboard's npm packages (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund
    echo "$wanted" >"$stamp"
fi

npm run --silent check

chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x "$chromium" ]] || {
    echo "error: the dashboard's browser tests need Chromium at $chromium:" \
        "install Debian's chromium package, set CHROMIUM, or set LIAISON_TEST_SKIP_BROWSER=1" >&2
    exit 1
}
echo "dashboard: npm packages installed, dist/ up to date, $("$chromium" --version 2>/dev/null | head -1)"
