#!/usr/bin/env bash
# Validates the deployment files without a cluster or a container engine:
#
# - renders each Kustomize overlay in deploy/k8s/overlays with `kubectl kustomize`
#   (or `kustomize build`). Every document is validated strictly against the
#   Kubernetes JSON schemas bundled with kubernetes-validate, and the workloads
#   against the rules of scripts/validate-manifests.py. The operators' custom
#   resources are skipped by API group, because their schemas come with CRDs that
#   only a cluster has.
# - checks deploy/docker-compose.yml with `docker compose config -q`, or with the
#   docker-compose 1.29 of Debian when the compose plugin is missing.
# - checks the alert rules in deploy/prometheus with `promtool check rules` and runs
#   their unit tests with `promtool test rules`.
#
# It installs what is missing: Debian's docker-compose and python3-venv (as root),
# and a pinned kubernetes-validate in a Python virtual environment. Debian has no
# package with kustomize. Without kubectl or kustomize on PATH, the overlays are
# rendered by scripts/render-kustomize.py, which otherwise must render the same.
# Without promtool on PATH, the promtool of Debian's prometheus package is taken from
# the downloaded package into the cache, with no installation: installing the package
# would also install and start a Prometheus server.
#
# LIAISON_CI_CACHE       cache folder (default /var/cache/liaison-ci)
# LIAISON_DEPLOY_VENV    virtual environment for kubernetes-validate
#                        (default $LIAISON_CI_CACHE/deploy-venv)
# LIAISON_K8S_VERSIONS   Kubernetes versions to validate against, space-separated
#                        (default "1.30.0 1.33.0")
# LIAISON_DEPLOY_RENDERER  `python` renders with scripts/render-kustomize.py even
#                        where kubectl or kustomize is installed (default kustomize)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

kubernetes_validate_version=1.37.0
pyyaml_version=6.0.3
jsonschema_version=4.26.0
cache=${LIAISON_CI_CACHE:-/var/cache/liaison-ci}
venv=${LIAISON_DEPLOY_VENV:-$cache/deploy-venv}
k8s_versions=${LIAISON_K8S_VERSIONS:-1.30.0 1.33.0}
renderer=${LIAISON_DEPLOY_RENDERER:-kustomize}
compose_file=deploy/docker-compose.yml
overlays=(deploy/k8s/overlays/*/)

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

# Installs the Debian packages that are missing, which needs root.
apt_install() {
    local missing=() package
    for package in "$@"; do
        installed "$package" || missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || fail "missing $*, and there is no apt-get to install them"
    ((EUID == 0)) || fail "missing $*: run as root, or run: apt-get install ${missing[*]}"
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update </dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

section "Python virtual environment"
python=python3
if ! command -v "$python" >/dev/null || ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install python3 python3-venv
    python=/usr/bin/python3
fi
requirements="kubernetes-validate==$kubernetes_validate_version PyYAML==$pyyaml_version jsonschema==$jsonschema_version"
if [[ ! -x $venv/bin/python ]] || [[ "$(cat "$venv/.liaison-packages" 2>/dev/null)" != "$requirements" ]]; then
    echo "installing $requirements in $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    # shellcheck disable=SC2086 # $requirements is a space-separated list.
    "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements </dev/null
    echo "$requirements" >"$venv/.liaison-packages"
else
    echo "already installed in $venv: $requirements"
fi

section "Kustomize"
if [[ $renderer == python ]]; then
    render=()
elif command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    render=(kubectl kustomize)
elif command -v kustomize >/dev/null; then
    render=(kustomize build)
else
    # Debian has no kustomize package; the Python renderer implements the fields that
    # deploy/k8s uses and stops on any other.
    echo "warning: neither kubectl nor kustomize is on PATH" >&2
    render=()
fi
echo "rendering with: ${render[*]:-scripts/render-kustomize.py}"
rendered=()
for overlay in "${overlays[@]}"; do
    name=$(basename "$overlay")
    output=$work/$name.yaml
    if ((${#render[@]})); then
        "${render[@]}" "$overlay" >"$output" || fail "rendering $overlay with ${render[*]} failed"
        # Keeps the fallback renderer equal to kustomize for these files.
        "$venv/bin/python" scripts/render-kustomize.py "$overlay" "$output" ||
            fail "scripts/render-kustomize.py renders $overlay differently from ${render[*]}"
    else
        "$venv/bin/python" scripts/render-kustomize.py "$overlay" >"$output" ||
            fail "rendering $overlay failed"
    fi
    echo "$overlay: $(grep -c '^kind:' "$output") documents"
    rendered+=("$output")
done
((${#rendered[@]})) || fail "no overlay in deploy/k8s/overlays"

section "Kubernetes manifests"
"$venv/bin/python" scripts/validate-manifests.py "$k8s_versions" "${rendered[@]}"

section "Compose file"
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    command -v docker-compose >/dev/null || apt_install docker-compose
    compose=(docker-compose)
fi
echo "checking with: ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo unknown version))"
"${compose[@]}" -f "$compose_file" config -q || fail "$compose_file is invalid"
services=$("${compose[@]}" -f "$compose_file" config --services | wc -l)
echo "$compose_file: valid, $services services"

section "Prometheus rules"
promtool=$(command -v promtool || true)
if [[ -z $promtool ]]; then
    promtool=$cache/promtool/usr/bin/promtool
    if [[ ! -x $promtool ]]; then
        command -v apt-get >/dev/null || fail "promtool is missing, and there is no apt-get to download it"
        echo "downloading Debian's prometheus package for its promtool"
        mkdir -p "$work/prometheus-deb"
        (cd "$work/prometheus-deb" && apt-get download prometheus </dev/null) ||
            fail "downloading the prometheus package failed: run apt-get update, or put promtool on PATH"
        rm -rf "$cache/promtool"
        dpkg-deb -x "$work"/prometheus-deb/prometheus_*.deb "$cache/promtool"
        # Only promtool is kept, not the server or its web assets.
        find "$cache/promtool" -type f ! -path '*/usr/bin/promtool' -delete
    fi
fi
echo "checking with: $promtool ($("$promtool" --version 2>&1 | head -n 1))"
"$promtool" check rules deploy/prometheus/alerts.yml || fail "deploy/prometheus/alerts.yml is invalid"
(cd deploy/prometheus && "$promtool" test rules alerts.test.yml) ||
    fail "the unit tests of deploy/prometheus/alerts.yml failed"

echo
echo "deployment files are valid"
