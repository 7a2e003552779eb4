#!/usr/bin/env bash
# Every GPU benchmark in one go, most important first, inside a time budget.
#
#   bash benchmarks/gpu_session.sh [SECONDS] [RESULTS_DIR]
#
# GPU time is often short. Each step gets what is left of SECONDS (default 560) and writes its own
# JSON file. A step cut short therefore loses only itself: the inpainting benchmark writes after
# every case, and the generation benchmark prints each stage's time as it finishes. Order:
#   1. inpainting, eager, batches 1/4/16 against stock diffusers   (issue targets: capture, peak)
#   2. end to end, fast preset                                      (target 10 s)
#   3. end to end, paper preset                                     (target 60 s)
#   4. inpainting, compiled UNet, batch 16                          (target 4 s)
#   5. inpainting, channels-last and one VAE call per 16 images     (the dynamic-mask re-encodes)
set -u
BUDGET=${1:-560}
OUT=${2:-benchmarks/results}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
START=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
step() {  # step NAME MAX_SECONDS COMMAND...
    local name=$1 max=$2; shift 2
    local t; t=$(left)
    if [ "$t" -lt 30 ]; then echo "== $name: skipped (${t} s left)"; return; fi
    [ "$t" -gt "$max" ] && t=$max
    echo "== $name (up to ${t} s)"
    timeout "$t" "$@" 2>&1 | grep -vE 'it/s\]|s/it\]|Loading weights|should be kept in float32'
    echo "== $name: exit ${PIPESTATUS[0]} after $(( $(date +%s) - START )) s"
}
step "inpainting, eager" 170 python3 benchmarks/inpaint_gpu.py --out "$OUT/inpaint_gpu.json"
step "fast preset" 90 python3 benchmarks/generate_gpu.py --presets fast --out "$OUT/generate_gpu_fast.json"
step "paper preset" 300 python3 benchmarks/generate_gpu.py --presets paper --out "$OUT/generate_gpu_paper.json"
step "inpainting, compiled" 200 python3 benchmarks/inpaint_gpu.py --compile --batches 16 --skip-stock \
    --out "$OUT/inpaint_gpu_compiled.json"
step "inpainting, channels-last, VAE batch 16" 90 python3 benchmarks/inpaint_gpu.py --channels-last --vae-batch 16 \
    --batches 16 --skip-stock --out "$OUT/inpaint_gpu_cl_vae16.json"
ls -la "$OUT"
