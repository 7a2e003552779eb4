#!/usr/bin/env bash
# Installs GenZI Desktop into .venv/ at the repository root.
#   scripts/install.sh          app only
#   scripts/install.sh --test   app + test tools + virtual display packages
# Installs the versions locked in locks/ for this platform (scripts/refresh_locks.sh refreshes them).
# Environment: PYTHON (default python3.11 or python3); TORCH_VARIANT=cuda on Linux installs
# PyPI's CUDA build of torch (locks/linux-cuda.txt) instead of the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO="sudo"; fi
SYSTEM_PACKAGES=(libgl1 libegl1 libglx-mesa0 libegl-mesa0 libgl1-mesa-dri libosmesa6
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1
  libxcb-shm0 libxcb-sync1 libx11-xcb1 libfontconfig1 libdbus-1-3)
if [[ $WITH_TEST -eq 1 ]]; then SYSTEM_PACKAGES+=(xvfb xauth); fi
if command -v apt-get >/dev/null && { [[ $(id -u) -eq 0 ]] || [[ -n "$SUDO" ]]; }; then
  missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "Note: cannot run apt-get; make sure these packages are installed: ${SYSTEM_PACKAGES[*]}"
fi

PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
# The versions come from the lock for this platform (scripts/refresh_locks.sh writes them).
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) LOCK="locks/linux-${TORCH_VARIANT:-cpu}.txt" ;;
  Darwin-arm64) LOCK="locks/macos-arm64.txt" ;;
  MINGW*|MSYS*|CYGWIN*) LOCK="locks/windows-cpu.txt" ;;
  *) LOCK="" ;;
esac
INDEX_ARGS=()
if [[ "$LOCK" == "locks/linux-cpu.txt" ]]; then
  # torch's CPU build: a local copy of the wheel where one lies, else PyTorch's CPU index
  if [[ -d /opt/wheels ]]; then INDEX_ARGS=(--find-links /opt/wheels)
  else INDEX_ARGS=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match); fi
fi
# A stamp of what was installed lets later starts skip the installer.
EXTRA=""; [[ $WITH_TEST -eq 1 ]] && EXTRA="[test]"
STAMP=".venv/.genzi-installed"
HASH="$(cat pyproject.toml ${LOCK:+"$LOCK"} | sha256sum | cut -c1-16)"
WANT="$HASH ${EXTRA:-app} ${LOCK:-unlocked}"
SUPERSET="$HASH [test] ${LOCK:-unlocked}"  # a test install includes the app
if [[ ! -f "$STAMP" ]] || ! grep -qxF -e "$WANT" -e "$SUPERSET" "$STAMP"; then
  if [[ -n "$LOCK" && -f "$LOCK" ]]; then
    source scripts/find_uv.sh
    # bytecode compiled once here (about 30 s on 2 cores): uv leaves it out by default, and where
    # Python may not write it (PYTHONDONTWRITEBYTECODE) every start recompiled torch and the rest
    "$UV" pip install --compile-bytecode --python .venv/bin/python -c "$LOCK" ${INDEX_ARGS[@]+"${INDEX_ARGS[@]}"} -e ".${EXTRA}"
  else
    echo "Note: no lock for $(uname -s)-$(uname -m); installing the newest versions that fit pyproject.toml."
    .venv/bin/python -m pip install -q --upgrade pip wheel
    .venv/bin/python -m pip install -q -e ".${EXTRA}"
  fi
  echo "$WANT" >> "$STAMP"
fi
.venv/bin/python -m compileall -q pipeline genzi_desktop > /dev/null  # this checkout's own code, same reason
if [[ $WITH_TEST -eq 1 ]]; then
  # Khronos glTF validator for the export tests (skipped with a reason when npm is missing)
  if command -v npm >/dev/null; then
    npm install --prefix tools --no-audit --no-fund --loglevel=error
  else
    echo "Note: npm not found; tests/test_export.py will skip the glTF validator check."
  fi
fi
echo "Installed into $(pwd)/.venv"
