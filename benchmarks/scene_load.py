"""Scene loading and ray-query speed: the sample room and a synthetic multi-million-triangle scene.

Measures ``load_scene`` (read, up-axis/unit guess, transform, merge), the first ray query
(Embree BVH build) and a 512 x 512 batch of rays, for:

* the bundled ``living_room.glb``;
* a generated scene of ``--huge-triangles`` triangles (copies of a fine icosphere on a floor)
  written as binary PLY and as GLB, to check that several million triangles load, report
  progress and raise the large-scene warning.

Usage::

    python benchmarks/scene_load.py [--huge-triangles 3000000] [--skip-huge]

Writes ``benchmarks/results/scene_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.scene.scene import load_scene  # noqa: E402

SAMPLE = ROOT / "resources" / "scenes" / "living_room.glb"


def measure(path: Path, repeats: int = 3) -> dict:
    best = None
    for _ in range(repeats):
        steps = []
        w0, c0 = time.perf_counter(), time.process_time()
        scene = load_scene(path, progress=lambda f, m: steps.append(f))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, scene, len(steps))
    wall, cpu, scene, progress_calls = best
    centre = scene.bounds.mean(axis=0)
    t0 = time.perf_counter()
    scene.pick(centre + [0, 0, 10], [0, 0, -1])
    first_ray = time.perf_counter() - t0
    n = 512
    u, v = np.meshgrid(np.linspace(-0.6, 0.6, n), np.linspace(-0.6, 0.6, n))
    directions = np.stack([u.ravel(), v.ravel(), -np.ones(n * n)], axis=1)
    origins = np.tile(centre + [0, 0, 0.45 * scene.size[2]], (n * n, 1))
    t0 = time.perf_counter()
    hits = scene.raycast(origins, directions)
    rays = time.perf_counter() - t0
    return {
        "file": path.name,
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "triangles": scene.triangle_count,
        "parts": len(scene.geometries),
        "options": scene.options.to_dict(),
        "load_wall_s": round(wall, 3),
        "load_cpu_s": round(cpu, 3),
        "progress_callbacks": progress_calls,
        "first_ray_with_bvh_build_s": round(first_ray, 3),
        "rays_512x512_s": round(rays, 3),
        "ray_hit_fraction": round(float(hits.hit.mean()), 3),
        "warnings": scene.warnings,
    }


def huge_scene(triangles: int) -> trimesh.Scene:
    sphere = trimesh.creation.icosphere(subdivisions=7, radius=0.4)  # 327,680 triangles
    copies = max(1, int(np.ceil(triangles / len(sphere.faces))))
    scene = trimesh.Scene()
    floor = trimesh.creation.box(extents=(2.0 * copies, 3.0, 0.02))
    floor.apply_translation((copies - 1.0, 0.0, -0.01))
    scene.add_geometry(floor, node_name="floor")
    for i in range(copies):
        part = sphere.copy()
        part.apply_translation((2.0 * i, 0.0, 0.4))
        scene.add_geometry(part, node_name=f"ball_{i}")
    return scene


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-triangles", type=int, default=3_000_000)
    parser.add_argument("--skip-huge", action="store_true")
    args = parser.parse_args(argv)
    results = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "load_average_1min": os.getloadavg()[0]}}
    load_scene(SAMPLE)  # warm imports
    results["sample"] = measure(SAMPLE)
    print(json.dumps(results["sample"]))
    if not args.skip_huge:
        huge = []
        with tempfile.TemporaryDirectory() as tmp:
            scene = huge_scene(args.huge_triangles)
            for ext in ("ply", "glb"):
                path = Path(tmp) / f"huge.{ext}"
                if ext == "ply":
                    trimesh.util.concatenate(list(scene.dump())).export(path)
                else:
                    scene.export(path)
                record = measure(path, repeats=1)
                huge.append(record)
                print(json.dumps(record))
        results["huge"] = huge
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = ROOT / "benchmarks" / "results" / "scene_load.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
