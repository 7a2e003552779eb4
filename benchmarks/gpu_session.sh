#!/usr/bin/env bash
# Every GPU benchmark in one go, most important first, inside a time budget.
#
#   bash benchmarks/gpu_session.sh [SECONDS] [--cpu-smoke] [--out DIR] [--only STEP,STEP]
#
# Runs on a bare GPU machine that has only Python and torch: the other packages come from an
# offline wheelhouse made beforehand with benchmarks/gpu_wheelhouse.sh (folder .whl/ or
# $GENZI_WHEELHOUSE, installed into a temporary folder; nothing is fetched). A step whose
# packages are missing says so and is skipped.
#
# GPU time is often short and one call may be limited to 10 minutes, so every step fits a
# 10-minute window (at most 570 s, less if less of SECONDS is left) and writes its own JSON;
# a step cut short loses only itself. --only runs named steps, so a session can also run them
# one call at a time. The caches (scene grids, compiled kernels) live in $GENZI_CACHE_DIR
# (default: a fresh folder under /tmp, so the first run of a step on a machine is the cold one;
# the JSON marks it "cold": true). Steps, in order:
#   inpaint    inpainting, eager, batches 1/4/16: ours (reused mask latents), the paper's mask
#              (re-encoded every update, with the masks' IoU against ours), fixed mask, stock
#   fast       end to end, fast preset, cold then warm             (target 10 s per person)
#   lifting    8 hypothesis sets fitted as one batch vs one set alone, on the GPU
#   paper      end to end, paper preset, warm                      (target 60 s per person)
#   compiled   inpainting, compiled UNet, batch 16: cold compile, warm timing (target 4 s)
#   compiled_warm  the same on the kernel cache the first left ("cold": false)
#   paper8gb   end to end, paper preset, GPU memory capped at 8 GB (what a laptop card needs)
#
# --cpu-smoke runs every step with the tiny random model on the CPU (minutes): proof that the
# script and its steps work end to end before GPU time is spent.
set -u
BUDGET=560
OUT=benchmarks/results/gpu
SMOKE=0
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu-smoke) SMOKE=1 ;;
        --out) OUT=$2; shift ;;
        --only) ONLY=$2; shift ;;
        [0-9]*) BUDGET=$1 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
export GENZI_CACHE_DIR=${GENZI_CACHE_DIR:-$(mktemp -d /tmp/genzi-cache.XXXX)}
START=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - START) )); }

WHEELS=${GENZI_WHEELHOUSE:-.whl}
if [ -d "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    SITE=/tmp/genzi-site
    echo "== installing $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS (offline)"
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$WHEELS"/*.whl \
        || echo "== some wheels did not install; steps that need them will say so"
    export PYTHONPATH="$SITE:${PYTHONPATH:-}"
fi
have() { $PY -c "import $1" >/dev/null 2>&1; }
echo "== python $($PY -c 'import sys; print(sys.version.split()[0])'), torch $($PY -c 'import torch; print(torch.__version__, torch.cuda.is_available())')"
for m in diffusers transformers anny warp mediapipe vtkmodules trimesh; do
    have $m && echo "   $m: yes" || echo "   $m: MISSING"
done

step() {  # step NAME MAX_SECONDS MODULES COMMAND...
    local name=$1 max=$2 mods=$3; shift 3
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then return; fi
    for m in ${mods//,/ }; do
        if ! have "$m"; then echo "== $name: skipped (python package '$m' missing; see benchmarks/gpu_wheelhouse.sh)"; return; fi
    done
    local t; t=$(left)
    if [ "$t" -lt 30 ]; then echo "== $name: skipped (${t} s left)"; return; fi
    [ "$t" -gt "$max" ] && t=$max
    echo "== $name (up to ${t} s)"
    local s0; s0=$(date +%s)
    timeout "$t" "$@" 2>&1 | grep -vE 'it/s\]|s/it\]|Loading weights|should be kept in float32'
    echo "== $name: exit ${PIPESTATUS[0]} after $(( $(date +%s) - s0 )) s"
}

INPAINT=(benchmarks/inpaint_gpu.py)
GENERATE=(benchmarks/generate_gpu.py)
E2E=diffusers,anny,warp,mediapipe,vtkmodules,trimesh
if [ "$SMOKE" = 1 ]; then
    INPAINT+=(--tiny --batches 1,2 --steps 6 --repeats 1)
    GENERATE+=(--tiny --device cpu --fit-iterations 40)
fi
step inpaint 570 diffusers $PY "${INPAINT[@]}" --paper-mask --out "$OUT/inpaint_gpu.json"
step fast 570 $E2E $PY "${GENERATE[@]}" --presets fast --cold-and-warm --out "$OUT/generate_gpu_fast.json"
LIFT=(benchmarks/lifting.py --compare-sequential --work /tmp/genzi_lifting_bench --results "$OUT/lifting_batch_gpu.json")
if [ "$SMOKE" = 1 ]; then
    step lifting 570 $E2E $PY "${LIFT[@]}" --sets 2 --iterations 40 --repeat 1 --device cpu
else
    step lifting 570 $E2E $PY "${LIFT[@]}" --sets 8 --repeat 2 --device cuda
fi
if [ "$SMOKE" = 1 ]; then  # the tiny paper preset is minutes of CPU: one short run shows the step works
    step paper 570 $E2E $PY "${GENERATE[@]}" --presets paper --fit-iterations 8 --out "$OUT/generate_gpu_paper.json"
else
    step paper 570 $E2E $PY "${GENERATE[@]}" --presets paper --out "$OUT/generate_gpu_paper.json"
fi
if [ "$SMOKE" = 1 ]; then
    step compiled 570 diffusers $PY "${INPAINT[@]}" --compile --skip-stock --out "$OUT/inpaint_gpu_compiled.json"
else
    step compiled 570 diffusers $PY "${INPAINT[@]}" --compile --batches 16 --skip-stock --out "$OUT/inpaint_gpu_compiled.json"
    # the same again on the kernel cache the first one left: what a user's second session pays
    step compiled_warm 570 diffusers $PY "${INPAINT[@]}" --compile --batches 16 --skip-stock --out "$OUT/inpaint_gpu_compiled_warm.json"
    step paper8gb 570 $E2E $PY "${GENERATE[@]}" --presets paper --memory-cap-gb 8 --out "$OUT/generate_gpu_paper_8gb.json"
fi
ls -la "$OUT"
