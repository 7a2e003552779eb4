#!/usr/bin/env bash
# An offline wheelhouse for benchmarks/gpu_session.sh: run where pip can reach PyPI, copy the
# folder to the GPU machine beside the checkout (GPU servers are often offline).
#
#   bash benchmarks/gpu_wheelhouse.sh [DIR] [--group inpaint|e2e|all] [--python 3.12]
#
# Downloads benchmarks/gpu_requirements.txt (or one group of it) as manylinux x86_64 wheels
# for the GPU image's Python, without dependencies (the file names every missing one), into
# DIR (default .whl, which gpu_session.sh installs from; keep it out of git). Prints the size:
# a transfer limited to 64 MiB per call takes the inpaint group (a few MB) but not the
# end-to-end group (VTK and warp are over 100 MB each): copy that one by other means.
set -eu
cd "$(dirname "$0")/.."
DIR=.whl
GROUP=all
PYV=3.12
while [ $# -gt 0 ]; do
    case "$1" in
        --group) GROUP=$2; shift ;;
        --python) PYV=$2; shift ;;
        *) DIR=$1 ;;
    esac
    shift
done
REQ=$(mktemp)
awk -v g="$GROUP" '/^# group: /{cur=$3} /^[A-Za-z]/{ if (g=="all" || g==cur) print }' benchmarks/gpu_requirements.txt >"$REQ"
echo "== $(wc -l <"$REQ") packages (group $GROUP) for Python $PYV into $DIR"
mkdir -p "$DIR"
PLATFORMS=""
for n in 2_17 2_24 2_27 2_28 2_31 2_34 2_35; do PLATFORMS="$PLATFORMS --platform manylinux_${n}_x86_64"; done
PIP=${PIP:-python3 -m pip}
# pure-Python wheels and binary ones in one call; --no-deps: the file lists every package needed
$PIP download --no-deps --only-binary=:all: --python-version "$PYV" --implementation cp \
    $PLATFORMS --platform manylinux2014_x86_64 --platform any -d "$DIR" -r "$REQ"
rm -f "$REQ"
echo "== wheelhouse: $(ls "$DIR"/*.whl | wc -l) wheels, $(du -sh "$DIR" | cut -f1)"
ls -S "$DIR" | head -5
