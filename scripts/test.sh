#!/usr/bin/env bash
# Set up .venv (if needed) and run the whole test suite: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
DEBS="prometheus prometheus-alertmanager chromium chromium-driver"
if ! command -v promtool >/dev/null || ! command -v prometheus-alertmanager >/dev/null \
  || ! command -v amtool >/dev/null || ! command -v chromium >/dev/null \
  || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # shellcheck disable=SC2086
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DEBS >/dev/null
  else
    echo "note: promtool, amtool or chromium missing; install Debian packages $DEBS" >&2
  fi
fi
# the compiled KPI core (mypyc, ~1-2 min): the suite tests what production runs; where
# no compiler is found, the pure sources run (CI=1: that is a failure)
if ! .venv/bin/kpiwatch core status | grep -qx "core: compiled"; then
  if ! .venv/bin/kpiwatch core build; then
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "note: the KPI core runs as pure Python" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# two pytest processes (each starts its own embedded broker): the suite halves on 2 cores
.venv/bin/pytest -q -p no:cacheprovider -n "${KPIWATCH_TEST_PROCESSES:-2}" "$@"
