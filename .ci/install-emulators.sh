#!/usr/bin/env bash
# Install the storage emulators the store tests start (tests/stores/conftest.py).
#
#   .ci/install-emulators.sh            # idempotent; a no-op (well under a second) when already installed
#
# - Azurite (Azure Blob), from npm, into .ci/node_modules (project-local; never global).
# - moto[server] (S3) and gcp-storage-emulator (GCS) are Python packages in the `dev` extra of
#   pyproject.toml; this script only checks they import, it does not pip-install them.
#
# Environment: AZURITE_VERSION (default 3.35.0, the release the tests run on); PYTHON (default
# .venv/bin/python if it exists, else python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
version="${AZURITE_VERSION:-3.35.0}"
bin="$here/node_modules/.bin/azurite-blob"

if [[ -x "$bin" ]]; then
  echo "azurite: already installed ($bin)"
else
  command -v npm >/dev/null 2>&1 || {
    echo "error: npm not found; install Node.js 18+ (it ships npm), then re-run $0" >&2
    exit 2
  }
  echo "azurite: installing azurite@$version into $here/node_modules"
  npm install --prefix "$here" --no-audit --no-fund --no-save --loglevel=error "azurite@$version"
  [[ -x "$bin" ]] || { echo "error: npm finished but $bin is missing" >&2; exit 2; }
fi

py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then py="$root/.venv/bin/python"; else py="python3"; fi
fi
if ! "$py" -W ignore -c "import moto.server, gcp_storage_emulator" >/dev/null 2>&1; then
  echo "error: moto[server] and gcp-storage-emulator must be installed in $py:" >&2
  echo "       $py -m pip install -e '.[dev]'" >&2
  exit 2
fi
echo "moto server, gcp-storage-emulator: importable with $py"
