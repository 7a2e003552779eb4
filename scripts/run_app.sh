#!/usr/bin/env bash
# One command: install (if needed) and start GenZI Desktop on the bundled sample scene.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/genzi-desktop --scene resources/scenes/living_room.glb "$@"
