"""How long the signed distance grid around a target takes to build, and how exact it is.

Builds the grid around the sofa seat of the sample room (the lifting benchmark's main target)
at several cell sizes, on the CPU (or any warp device), and compares grid samples with exact
per-point signed distances (``sdf_at``) at random points in the room.

Usage::

    python benchmarks/sdf_build.py                       # 2, 3 and 4 cm cells on the CPU
    python benchmarks/sdf_build.py --cells 0.02 --device cuda:0

Writes ``benchmarks/results/sdf_build.json`` (``sdf_build_<device>.json`` for other devices).
Wall time is what a user waits; CPU time is what the build itself costs (on a shared machine
the two differ: the load average is recorded too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.scene.scene import load_scene  # noqa: E402
from pipeline.scene.sdf import DEFAULT_HALF_EXTENT, build_sdf_grid, sdf_at  # noqa: E402

SAMPLE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA_TARGET = (0.0, -2.41, 0.5)


def accuracy(scene, grid, count: int = 5000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    b = grid.bounds
    pts = rng.uniform(b[0], b[1], size=(count, 3))
    room = (pts[:, 1] > -2.95) & (pts[:, 2] > 0.0)  # inside the room (behind the wall does not matter)
    exact = sdf_at(scene, pts)
    got = grid.sample_numpy(pts)
    err = np.abs(got - exact)
    clear = np.abs(exact) > 2 * grid.spacing
    near = np.abs(exact) < 0.05
    return {
        "points": int(count),
        "points_in_room": int(room.sum()),
        "sign_agreement_in_room_beyond_2_cells": float(np.mean((np.sign(got) == np.sign(exact))[room & clear])),
        "sign_agreement_everywhere_beyond_2_cells": float(np.mean((np.sign(got) == np.sign(exact))[clear])),
        "abs_error_m_within_5cm_median": float(np.median(err[room & near])),
        "abs_error_m_within_5cm_p95": float(np.percentile(err[room & near], 95)),
        "abs_error_m_in_room_p95": float(np.percentile(err[room], 95)),
        "abs_error_m_in_room_max": float(err[room].max()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=float, nargs="+", default=[0.02, 0.03, 0.04])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    scene = load_scene(SAMPLE)
    # Warm-up: compile (or load cached) warp kernels so the timings are the build alone.
    build_sdf_grid(scene, SOFA_TARGET, half_extent=(0.2, 0.2, 0.2), cell=0.05, device=args.device)
    runs = []
    for cell in args.cells:
        best = None
        for _ in range(args.repeats):
            load = os.getloadavg()[0]
            w0, c0 = time.perf_counter(), time.process_time()
            grid = build_sdf_grid(scene, SOFA_TARGET, half_extent=DEFAULT_HALF_EXTENT, cell=cell, device=args.device)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            if best is None or wall < best["wall_s"]:
                best = {"wall_s": wall, "cpu_s": cpu, "load_average_1min": load, "info": grid.info, "grid": grid}
        grid = best.pop("grid")
        record = {
            "cell_m": cell,
            "shape": list(grid.shape),
            "voxels": int(np.prod(grid.shape)),
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in best.items() if k != "info"},
            "stages_s": {k: round(v, 3) for k, v in best["info"].items() if k.startswith("seconds_")},
            "exact_points": best["info"]["exact_points"],
            "disputed_points": best["info"]["disputed_points"],
            "parts": {k: v for k, v in best["info"].items() if k.endswith("parts")},
            "accuracy": accuracy(scene, grid),
        }
        runs.append(record)
        print(json.dumps(record))
    result = {
        "benchmark": "SDF grid build around the sofa seat of resources/scenes/living_room.glb",
        "target": SOFA_TARGET,
        "half_extent_m": list(DEFAULT_HALF_EXTENT),
        "device": args.device,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "scene_triangles": scene.triangle_count,
        "runs": runs,
    }
    out = args.out or ROOT / "benchmarks" / "results" / ("sdf_build.json" if args.device == "cpu" else f"sdf_build_{args.device.replace(':', '')}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
