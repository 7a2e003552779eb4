#!/usr/bin/env bash
# Installs GenZI Desktop into .venv/ at the repository root.
#   scripts/install.sh          app only
#   scripts/install.sh --test   app + test tools + virtual display packages
# Environment: PYTHON (default python3.11 or python3), TORCH_SPEC (default torch==2.13.0;
# set e.g. TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cu124" for a CUDA build).
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
# A stamp of what was installed lets later starts skip pip (it costs ~30 s even with nothing to do).
EXTRA=""; [[ $WITH_TEST -eq 1 ]] && EXTRA="[test]"
STAMP=".venv/.genzi-installed"
HASH="$(sha256sum pyproject.toml | cut -c1-16)"
WANT="$HASH ${EXTRA:-app} ${TORCH_SPEC:-torch==2.13.0}"
SUPERSET="$HASH [test] ${TORCH_SPEC:-torch==2.13.0}"  # a test install includes the app
if [[ ! -f "$STAMP" ]] || ! grep -qxF -e "$WANT" -e "$SUPERSET" "$STAMP"; then
  .venv/bin/python -m pip install -q --upgrade pip wheel
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # shellcheck disable=SC2086
    .venv/bin/python -m pip install -q ${TORCH_SPEC:-torch==2.13.0}
  fi
  .venv/bin/python -m pip install -q -e ".${EXTRA}"
  echo "$WANT" >> "$STAMP"
fi
if [[ $WITH_TEST -eq 1 ]]; then
  # Khronos glTF validator for the export tests (skipped with a reason when npm is missing)
  if command -v npm >/dev/null; then
    npm install --prefix tools --no-audit --no-fund --loglevel=error
  else
    echo "Note: npm not found; tests/test_export.py will skip the glTF validator check."
  fi
fi
echo "Installed into $(pwd)/.venv"
