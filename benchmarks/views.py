"""Speed of view selection and off-screen renders on the sample scene.

Targets (this 2-core CPU): view selection for the sofa target <= 5 s; 16 renders at
512 px <= 8 s. Run:  python benchmarks/views.py  (writes benchmarks/results/views.json).
Each timing is the median of a few repeats; scene loading and renderer start-up are reported
separately because they happen once per scene, not per selection.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
RESULTS = ROOT / "benchmarks" / "results" / "views.json"


def _median_time(fn, repeats: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def main() -> int:
    from pipeline.scene.scene import load_scene
    from pipeline.views.selection import ViewSelectionSettings, select_views

    t = time.perf_counter()
    scene = load_scene(SCENE)
    load_s = time.perf_counter() - t
    hits = scene.raycast(np.array([[0.0, -2.41, 2.0]]), np.array([[0.0, 0.0, -1.0]]))
    seat = hits.points[0]

    first_t = time.perf_counter()
    select_views(scene, seat)  # first call also builds the Embree BVH of the scene
    first_s = time.perf_counter() - first_t
    sel_s, sel_all, selection = _median_time(lambda: select_views(scene, seat), 5)
    pix_s, pix_all, pix_sel = _median_time(
        lambda: select_views(scene, seat, settings=ViewSelectionSettings(visibility_method="pixels")), 3)
    floor_s, _, floor_sel = _median_time(lambda: select_views(scene, [0.8, 0.0, 0.0]), 3)

    from pipeline.views.render import SceneRenderer

    t = time.perf_counter()
    renderer = SceneRenderer(scene)
    start_s = time.perf_counter() - t
    cameras = selection.cameras
    while len(cameras) < 16:  # always time 16 renders
        cameras = cameras + selection.cameras
    cameras = cameras[:16]
    renderer.rgb(cameras[0])  # first render uploads textures
    rgb_s, rgb_all, _ = _median_time(lambda: [renderer.rgb(c) for c in cameras], 3)
    depth_s, _, _ = _median_time(lambda: [renderer.depth(c) for c in cameras], 3)
    body = np.array([[-0.2, -0.15, 0.0], [0.2, -0.15, 0.0], [0.2, 0.15, 0.0], [-0.2, 0.15, 0.0]]) + seat
    top = body + [0.0, 0.0, 1.0]
    verts = np.vstack([body, top])
    faces = np.array([[0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7],
                      [4, 5, 6], [4, 6, 7], [0, 2, 1], [0, 3, 2]])
    comp_s, _, _ = _median_time(lambda: [renderer.render_bodies(c, [(verts, faces)]) for c in cameras], 3)
    renderer.close()

    result = {
        "what": "GenZI view selection and off-screen renders on resources/scenes/living_room.glb",
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform(),
                    "note": "shared 2-core CPU, software OpenGL (Mesa llvmpipe through EGL); other jobs may run"},
        "scene_load_s": round(load_s, 3),
        "view_selection_sofa": {
            "target_s": 5.0,
            "median_s": round(sel_s, 3),
            "runs_s": [round(x, 3) for x in sel_all],
            "first_call_s": round(first_s, 3),
            "views": len(selection.cameras),
            "framing": selection.framing,
            "visibility_method": "samples",
            "pixels_method_median_s": round(pix_s, 3),
            "pixels_method_views": len(pix_sel.cameras),
        },
        "view_selection_floor_standing": {"median_s": round(floor_s, 3), "views": len(floor_sel.cameras),
                                          "framing": floor_sel.framing},
        "renders_16_at_512": {
            "target_s": 8.0,
            "rgb_median_s": round(rgb_s, 3),
            "rgb_runs_s": [round(x, 3) for x in rgb_all],
            "depth_median_s": round(depth_s, 3),
            "body_composite_median_s": round(comp_s, 3),
            "renderer_start_s": round(start_s, 3),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = sel_s <= 5.0 and rgb_s <= 8.0
    print("within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
