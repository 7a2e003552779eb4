#!/usr/bin/env bash
# One command: install everything (test tools and virtual display included) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-xcb}"
mkdir -p test-artifacts
.venv/bin/lint-imports
if [[ -z "${DISPLAY:-}" ]] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1920x1080x24 -noreset" .venv/bin/python -m pytest -q -ra "$@"
fi
exec .venv/bin/python -m pytest -q -ra "$@"
