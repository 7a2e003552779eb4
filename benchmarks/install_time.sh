#!/usr/bin/env bash
# Times a fresh install from the lock: a clean clone, an empty package cache, scripts/install.sh --test.
#   bash benchmarks/install_time.sh [REPO]   (default: this repository) -> benchmarks/results/install.json
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
REPO="${1:-$HERE}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
git clone -q "$REPO" "$WORK/clone"
cd "$WORK/clone"
start=$(date +%s.%N)
UV_CACHE_DIR="$WORK/empty-cache" PIP_NO_CACHE_DIR=1 bash scripts/install.sh --test > "$WORK/install.log" 2>&1
end=$(date +%s.%N)
packages=$(.venv/bin/python -m pip list --format=freeze 2>/dev/null | wc -l)
.venv/bin/python -c "import torch, PySide6, vtk, mediapipe, diffusers, anny, pipeline, genzi_desktop" 
python3 - "$start" "$end" "$packages" "$(git rev-parse --short HEAD)" "$HERE/benchmarks/results/install.json" <<'PY'
import json, os, sys, time
start, end, packages, commit, out = sys.argv[1:]
seconds = float(end) - float(start)
json.dump({"what": "git clone + scripts/install.sh --test with empty uv and pip caches (uv bootstrapped from PyPI)",
           "wall_seconds": round(seconds, 1), "minutes": round(seconds / 60, 2), "target_minutes": 5,
           "packages_installed": int(packages), "commit": commit, "cpu_cores": os.cpu_count(),
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, open(out, "w"), indent=1)
print(open(out).read())
PY
