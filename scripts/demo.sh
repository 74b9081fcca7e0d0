#!/usr/bin/env bash
# Set up .venv (if needed) and run `kpiwatch demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[native]'
# the compiled KPI core, once (~1-2 min); without a C compiler the pure sources run
.venv/bin/kpiwatch core status | grep -qx "core: compiled" || .venv/bin/kpiwatch core build \
  || echo "note: the KPI core runs as pure Python" >&2
exec .venv/bin/kpiwatch demo "$@"
