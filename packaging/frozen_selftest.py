"""Self-test of the frozen desktop build: every heavy stage once, with the bundled files.

Loads the sample scene, renders a known Anny body into three views (the "hypotheses"),
finds its keypoints with mediapipe's bundled models, builds the scene's distance grid
(warp), fits a body to them (a short schedule, with scene terms), and exports the fit as GLB and FBX (bundled assimp). Writes ``selftest.json``
with timings and the 3D keypoint error against the known body; exit status 0 when the
keypoints were found in at least two views and the fit lands within 0.25 m.

    genzi-desktop --selftest-fit OUT_DIR          (frozen)
    python packaging/frozen_selftest.py OUT_DIR   (from a checkout, for comparison)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
SAMPLE_SCENE = ROOT / "resources" / "scenes" / "living_room.glb"


def run(out_dir: str | Path, iterations: int = 80) -> int:
    import torch
    from PIL import Image

    from pipeline.body import load_body_model
    from pipeline.views.cameras import Camera
    from pipeline.export import export_bodies
    from pipeline.lifting.fit import ViewObservation, fit_body
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.keypoints.blazepose import detect_keypoints
    from pipeline.views.render import SceneRenderer
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf import build_sdf_grid

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    t = time.perf_counter()
    scene = load_scene(SAMPLE_SCENE)
    times["scene_s"] = time.perf_counter() - t

    t = time.perf_counter()
    body = load_body_model("anny")
    times["body_model_s"] = time.perf_counter() - t
    truth = body.init_params(1)
    spot = np.array([0.6, 0.2])  # open floor in the sample room
    verts = body(truth).vertices[0].detach().numpy()
    truth["translation"] = truth["translation"] + torch.tensor(
        [[spot[0] - verts[:, 0].mean(), spot[1] - verts[:, 1].mean(), -verts[:, 2].min()]], dtype=torch.float32
    )
    gt = body(truth)
    verts = gt.vertices[0].detach().numpy()
    centre = verts.mean(axis=0)

    t = time.perf_counter()
    cameras = []
    for k, angle in enumerate((-110.0, -60.0, -20.0)):
        a = np.radians(angle)
        eye = centre + np.array([2.4 * np.cos(a), 2.4 * np.sin(a), 0.5])
        cameras.append(Camera.looking_at(eye, centre, fov_y_deg=55.0, width=512, height=512, name=f"view_{k:02d}"))
    with SceneRenderer(scene) as renderer:
        images = [renderer.composite(cam, [(verts, body.faces)]) for cam in cameras]
    for cam, img in zip(cameras, images):
        Image.fromarray(img).save(out / f"{cam.name}.png")
    times["render_s"] = time.perf_counter() - t

    t = time.perf_counter()
    observations = []
    for cam, img in zip(cameras, images):
        kp = detect_keypoints(img, view=cam.name)
        observations.append(ViewObservation(cam.name, cam, np.asarray(kp.keypoints, float), np.asarray(kp.conf, float), bool(kp.valid)))
    times["keypoints_s"] = time.perf_counter() - t
    valid_views = sum(o.valid for o in observations)

    t = time.perf_counter()
    sdf = build_sdf_grid(scene, centre, 1.2, 0.05)  # warp kernels compiled in the bundle
    times["sdf_s"] = time.perf_counter() - t

    t = time.perf_counter()
    fit = fit_body(body, observations, sdf, LiftingSettings().with_iterations(iterations), target=centre)
    times["fit_s"] = time.perf_counter() - t
    gt_kp = gt.keypoints[0].detach().numpy()
    error = float(np.nanmean(np.linalg.norm(fit.keypoints3d - gt_kp, axis=1)))

    t = time.perf_counter()
    skin = body.skinned_mesh(fit.params)
    written = export_bodies([skin], out / "fit.glb") + export_bodies([skin], out / "fit.fbx")
    times["export_s"] = time.perf_counter() - t

    ok = valid_views >= 2 and error < 0.25
    report = {
        "ok": ok,
        "frozen": bool(getattr(sys, "frozen", False)),
        "valid_views": valid_views,
        "views": len(cameras),
        "fit_iterations": iterations,
        "keypoint_error_m": round(error, 4),
        "reprojection_error_px": {k: round(v, 2) for k, v in fit.reprojection_error_px.items()},
        "exports": {p.name: p.stat().st_size for p in written},
        "times_s": {k: round(v, 2) for k, v in times.items()},
    }
    (out / "selftest.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else "selftest_out"))
