#!/usr/bin/env bash
# Refreshes the locked dependency versions in locks/ from pyproject.toml.
#   scripts/refresh_locks.sh            keep the locked versions, add/remove what pyproject changed
#   scripts/refresh_locks.sh --upgrade  move every package to its newest release that fits
# One lock per platform; each holds the app and the test tools (installs take the subset they need):
#   linux-cpu.txt     Linux x86_64, CPU build of torch (+cpu, from PyTorch's CPU index)
#   linux-cuda.txt    Linux x86_64, PyPI's torch (a CUDA build, with its nvidia-* runtime wheels)
#   windows-cpu.txt   Windows x86_64, PyPI's torch (CPU)
#   macos-arm64.txt   macOS on Apple silicon, PyPI's torch (CPU + MPS)
# Needs uv (bootstrapped into .venv from PyPI when missing) and the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find_uv.sh
UPGRADE=()
[[ "${1:-}" == "--upgrade" ]] && UPGRADE=(--upgrade)
TORCH="$(grep -E '^torch==' locks/torch-version.txt | head -n1)"   # e.g. torch==2.13.0
CPU_LINKS=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
[[ -d /opt/wheels ]] && CPU_LINKS=(--find-links /opt/wheels)      # a local copy of the CPU wheel, where one lies
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-14.0}"  # torch wheels need macOS 14
compile() {  # compile OUT PLATFORM [extra uv args...]
  local out="$1" platform="$2"; shift 2
  local constraints; constraints="$(mktemp)"
  printf '%s\n' "${TORCH_PIN}" > "$constraints"
  "$UV" pip compile pyproject.toml --extra test --python-version 3.11 --python-platform "$platform" \
    -c "$constraints" --no-header --quiet "${UPGRADE[@]}" "$@" -o "locks/$out"
  rm -f "$constraints"
  echo "locks/$out: $(grep -c '==' "locks/$out") packages"
}
TORCH_PIN="${TORCH}+cpu" compile linux-cpu.txt x86_64-manylinux_2_35 "${CPU_LINKS[@]}"
TORCH_PIN="${TORCH}" compile linux-cuda.txt x86_64-manylinux_2_35
TORCH_PIN="${TORCH}" compile windows-cpu.txt x86_64-pc-windows-msvc
TORCH_PIN="${TORCH}" compile macos-arm64.txt aarch64-apple-darwin
