#!/usr/bin/env bash
# Builds the one-folder desktop app (dist/genzi-desktop/) and smoke-tests the frozen result:
#   1. the app starts under a virtual display, opens the sample scene, saves a screenshot, quits;
#   2. the frozen `genzi --help` works;
#   3. --selftest-fit: render a known Anny body into 3 views of the sample scene, mediapipe
#      keypoints, a short fit, GLB + FBX export, all inside the frozen app.
# Records size, build time, start time and the self-test in benchmarks/results/desktop_build.json.
# Takes several minutes (about 10 on 2 cores); not part of the test suite. See docs/desktop_build.md.
#   scripts/build_desktop.sh [--no-build]     (--no-build: only re-run the smoke tests)
#   PYI_CLEAN=--clean scripts/build_desktop.sh  (drop PyInstaller's cache first)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=.venv/bin/python
DIST="$ROOT/dist/genzi-desktop"
OUT="$ROOT/build/desktop_smoke"
RESULT="$ROOT/benchmarks/results/desktop_build.json"
BUILD=1
[[ "${1:-}" == "--no-build" ]] && BUILD=0
mkdir -p "$OUT" "$(dirname "$RESULT")"

XVFB=()
if [[ -z "${DISPLAY:-}" ]]; then
  command -v xvfb-run >/dev/null || { echo "xvfb-run is needed (apt-get install xvfb xauth)"; exit 2; }
  XVFB=(xvfb-run -a -s "-screen 0 1920x1080x24 -noreset")
fi

build_s=null
if [[ $BUILD -eq 1 ]]; then
  "$PY" -m pip install -q -e ".[build]"
  if "$PY" -c "import PyQt5" 2>/dev/null || "$PY" -c "import PyQt6" 2>/dev/null; then
    echo "Note: PyQt5/6 are installed; the spec excludes them (only PySide6 may be collected)."
  fi
  start=$(date +%s.%N)
  "$PY" -m PyInstaller --noconfirm ${PYI_CLEAN:-} --log-level WARN \
      --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" pyinstaller.spec
  build_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  # a `genzi` command next to the app, for the command line inside the bundle
  printf '#!/bin/sh\nexec "$(dirname "$0")/genzi-desktop" genzi "$@"\n' > "$DIST/genzi"
  chmod +x "$DIST/genzi"
fi
[[ -x "$DIST/genzi-desktop" ]] || { echo "no build at $DIST; run without --no-build"; exit 2; }

size_bytes=$(du -sb "$DIST" | cut -f1)
file_count=$(find "$DIST" -type f | wc -l)

# 1. GUI: open the sample scene, screenshot, quit (timed twice: cold file cache, then warm)
rm -f "$OUT/screenshot.png"
run_app() {
  local t0 t1
  t0=$(date +%s.%N)
  "${XVFB[@]}" "$DIST/genzi-desktop" --scene "$ROOT/resources/scenes/living_room.glb" \
      --screenshot "$OUT/screenshot.png" --quit > "$OUT/app.log" 2>&1 || echo "app exited with $?" >> "$OUT/app.log"
  t1=$(date +%s.%N)
  python3 -c "print(round($t1 - $t0, 2))"
}
start_cold_s=$(run_app)
start_warm_s=$(run_app)
app_ok=false
[[ -s "$OUT/screenshot.png" ]] && app_ok=true
echo "app: screenshot=$app_ok cold=${start_cold_s}s warm=${start_warm_s}s"

# 2. frozen command line
cli_ok=false
"$DIST/genzi" --help > "$OUT/cli_help.txt" 2>&1 && grep -q "export" "$OUT/cli_help.txt" && cli_ok=true

# 3. frozen keypoints + fit + export
rm -rf "$OUT/selftest"
t0=$(date +%s.%N)
selftest_ok=false
if "${XVFB[@]}" "$DIST/genzi-desktop" --selftest-fit "$OUT/selftest" > "$OUT/selftest.log" 2>&1; then
  selftest_ok=true
fi
selftest_s=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
echo "selftest: ok=$selftest_ok in ${selftest_s}s"

python3 - "$RESULT" <<PY
import json, platform, sys, os, datetime
selftest = {}
path = "$OUT/selftest/selftest.json"
if os.path.exists(path):
    selftest = json.load(open(path))
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}",
    "mode": "PyInstaller one-folder (pyinstaller.spec), CPU torch",
    "build_seconds": $build_s,
    "folder_size_mb": round($size_bytes / 2**20, 1),
    "file_count": $file_count,
    "app_start_to_screenshot_and_quit_s": {"cold": $start_cold_s, "warm": $start_warm_s},
    "app_screenshot_ok": "$app_ok" == "true",
    "cli_help_ok": "$cli_ok" == "true",
    "selftest_fit_ok": "$selftest_ok" == "true",
    "selftest_wall_s": $selftest_s,
    "selftest": selftest,
}
json.dump(result, open(sys.argv[1], "w"), indent=2)
print(json.dumps(result, indent=2))
PY
[[ $app_ok == true && $cli_ok == true && $selftest_ok == true ]]
