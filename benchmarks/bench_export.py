"""Time and size of each export for one posed Anny body (and with the sample scene), and of
a presentation image. Writes benchmarks/results/export.json.

    python benchmarks/bench_export.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from pipeline.body import load_body_model
    from pipeline.views.cameras import Camera
    from pipeline.export import export_bodies
    from pipeline.export.image import render_presentation_image
    from pipeline.scene.scene import load_scene

    body = load_body_model("anny")
    params = body.init_params(1)
    torch.manual_seed(0)
    params["pose"] = params["pose"] + 0.3 * torch.randn_like(params["pose"])
    params["translation"] = torch.tensor([[0.6, 0.2, 0.9]])
    skin = body.skinned_mesh(params)
    scene = load_scene(SCENE)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, fmt, with_scene in [
            ("obj", "obj", False), ("ply", "ply", False), ("glb", "glb", False), ("fbx", "fbx", False),
            ("obj+scene", "obj", True), ("glb+scene", "glb", True), ("fbx+scene", "fbx", True),
        ]:
            times = []
            for _ in range(args.repeats):
                out = Path(tmp) / f"{label.replace('+', '_')}.{fmt}"
                t = time.perf_counter()
                written = export_bodies([skin], out, scene=scene if with_scene else None)
                times.append(time.perf_counter() - t)
            results[label] = {
                "median_s": round(float(np.median(times)), 3),
                "size_mb": round(sum(p.stat().st_size for p in written) / 2**20, 2),
            }
            print(label, results[label], flush=True)
        cam = Camera.looking_at([-1.5, -1.8, 1.7], [0.6, 0.2, 0.9], fov_y_deg=50.0, width=1920, height=1080)
        for width, ss in [(1920, 1), (3840, 1), (1920, 2)]:
            t = time.perf_counter()
            render_presentation_image(cam, Path(tmp) / "shot.png", scene=scene, bodies=[skin], width=width, supersample=ss)
            results[f"image_{width}px_ss{ss}"] = {"s": round(time.perf_counter() - t, 2)}
            print(width, ss, results[f"image_{width}px_ss{ss}"], flush=True)
    record = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), {platform.platform()}",
        "body": f"Anny, {len(skin.rest_vertices)} vertices, {len(skin.bone_names)} bones",
        "note": "export times include building the files in memory and writing them; image times include "
        "renderer start and scene upload (first call also pays VTK start-up)",
        "results": results,
    }
    out = ROOT / "benchmarks" / "results" / "export.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2))
    print(out)


if __name__ == "__main__":
    main()
