#!/usr/bin/env bash
# checkov over the exported example plans (Terraform JSON for AWS/GCP, ARM for Azure), judged against the
# reviewed suppressions in policy/checkov-suppressions.yaml. Exits non-zero on any unsuppressed failure.
#
# checkov pins many dependencies: it lives in its own virtualenv (CHECKOV_VENV, default
# ~/.cache/mlinfra/checkov-<version>), never in the project's. Idempotent: the venv is reused when it has the
# pinned version. Bounded: install <= 180 s, each checkov run <= 120 s (about 1.5 min in all on 2 cores).
#
#   bash .ci/checkov.sh            # results in .mlinfra/checkov/<stack>/{plan.json,export/,checkov.json}, report.json
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOV_VERSION="3.3.30"
VENV="${CHECKOV_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mlinfra/checkov-${CHECKOV_VERSION}}"
OUT="${CHECKOV_OUT:-$ROOT/.mlinfra/checkov}"  # .mlinfra/ is git-ignored
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"

if ! { [ -x "$VENV/bin/checkov" ] && [ "$("$VENV/bin/checkov" --version 2>/dev/null)" = "$CHECKOV_VERSION" ]; }; then
  echo "checkov: installing $CHECKOV_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  timeout 180 python3 -m venv "$VENV"
  timeout 180 "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"
timeout 180 "$PY" -m policy.checkov_report export --out "$OUT"

scan() {
  local dir="$1"
  # checkov exits 1 when a check fails: the verdict (with suppressions) is the report's, below.
  (cd "$dir/export" && timeout 120 "$VENV/bin/checkov" -d . --framework terraform_json arm --output json \
      --skip-download >"$dir/checkov.json" 2>"$dir/checkov.log") || true
  [ -s "$dir/checkov.json" ] || echo "checkov: no result for $(basename "$dir") (see $dir/checkov.log)" >&2
}
# checkov spends most of its ~10 s per run starting up: scan the stacks in parallel.
for dir in "$OUT"/*/; do
  scan "$dir" &
done
wait

"$PY" -m policy.checkov_report report --dir "$OUT" --json "$OUT/report.json"
