"""Measure and correct where BlazePose puts keypoints on Anny bodies (body-side regressor).

BlazePose's landmarks (hips especially) sit elsewhere than Anny's COCO regressor puts its
keypoints. This script renders known Anny bodies (all presets, varied phenotypes, yaw and
camera directions), runs the detector, and fits for each keypoint a sparse, non-negative,
sum-to-one weighting of body vertices whose projections match BlazePose's detections
(linear least squares in the cross-product form of the pinhole projection, with a small pull
to Anny's own COCO weights). The result ``resources/body/anny_blazepose_keypoints.npz`` is
used by ``AnnyBody(keypoints="detector")`` so the fit compares like with like.

Before/after median pixel errors (fit set and a held-out set of bodies placed in the sample
scene, seen from its selected views) go to ``benchmarks/results/keypoint_bias.json``.

    python benchmarks/keypoint_bias.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
OUT_WEIGHTS = ROOT / "resources" / "body" / "anny_blazepose_keypoints.npz"
OUT_RESULTS = ROOT / "benchmarks" / "results" / "keypoint_bias.json"


def random_camera(rng, centre, width=512):
    from pipeline.views.cameras import Camera

    az = rng.uniform(0, 2 * math.pi)
    el = math.radians(rng.uniform(0, 30))
    dist = rng.uniform(2.3, 3.4)
    d = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    aim = centre + rng.normal(0, 0.08, 3)
    return Camera.looking_at(aim + dist * d, aim, fov_y_deg=60.0, width=width, height=width)


def collect(body, detector, renderer, configs, views_per_body, rng, scene_cases=None):
    """Rows of (vertices (V,3), camera, landmarks (33,4)) for every detected view."""
    from pipeline.body.presets import posed_body

    rows = []
    for posture, phen, yaw in configs:
        p = posed_body(body, posture, [0, 0, 0], yaw, shape=body.shape_from_phenotypes(phen))
        with torch.no_grad():
            v = body(p).vertices[0].cpu().numpy()
        centre = 0.5 * (v.min(0) + v.max(0))
        for _ in range(views_per_body):
            cam = random_camera(rng, centre)
            img = renderer.render_bodies(cam, [(v, body.faces)]).rgb
            lm = detector.landmarks(img)
            rows.append((v, cam, lm, posture))
    return rows


def scene_rows(body, detector, scene_path, cases, max_views):
    from pipeline.body.presets import posed_body
    from pipeline.views.render import SceneRenderer
    from pipeline.scene.source import as_scene
    from pipeline.views.selection import select_views

    scene = as_scene(scene_path)
    rows = []
    with SceneRenderer(scene) as r:
        for posture, target, yaw in cases:
            sel = select_views(scene, target)
            if yaw is None:  # face the cameras' side, as a painted person usually does
                from pipeline.body.presets import yaw_facing

                towards = np.mean([c.position for c in sel.cameras], axis=0) - np.asarray(target)
                yaw = yaw_facing(towards[:2])
            p = posed_body(body, posture, target, yaw)
            with torch.no_grad():
                v = body(p).vertices[0].cpu().numpy()
            for cam in sel.cameras[:max_views]:
                img = r.composite(cam, [(v, body.faces)])
                uv, _ = cam.project(np.asarray([target], dtype=np.float64))
                k = detector.detect(img, near=uv[0])
                rows.append((v, cam, k.landmarks, posture))
    return rows


def project(cam, x):
    uv, _ = cam.project(np.asarray(x, dtype=np.float64))
    return uv


def errors(rows, weights_fn, names, blaze_index, min_vis=0.5):
    """Per-keypoint pixel errors between detections and projected regressed keypoints."""
    errs = {n: [] for n in names}
    for v, cam, lm, _ in rows:
        if lm is None:
            continue
        kp = weights_fn(v)
        uv = project(cam, kp)
        for i, n in enumerate(names):
            j = blaze_index[n]
            if j is None or lm[j, 3] < min_vis:
                continue
            errs[n].append(float(np.linalg.norm(uv[i] - lm[j, :2])))
    return errs


def fit_keypoint(rows, j, candidates, w_coco, ridge=0.02, sum_weight=1000.0, trim_px=25.0):
    """Non-negative, sum-to-one vertex weights for BlazePose landmark ``j``."""
    from scipy.optimize import nnls

    def system(use):
        a_rows, b_rows = [], []
        for (v, cam, lm, _), keep in zip(rows, use):
            if not keep:
                continue
            r, t = cam.rotation, cam.world_to_camera[:3, 3]
            y = v[candidates] @ r.T + t  # (C, 3) camera coords
            k = cam.K
            xn = (lm[j, 0] - k[0, 2]) / k[0, 0]
            yn = (lm[j, 1] - k[1, 2]) / k[1, 1]
            depth = float(np.median(y[:, 2]))
            s = k[0, 0] / depth  # residual in pixels
            a_rows.append(s * (y[:, 0] - xn * y[:, 2]))
            a_rows.append(s * (y[:, 1] - yn * y[:, 2]))
            b_rows += [0.0, 0.0]
        n = len(a_rows) // 2
        a = np.asarray(a_rows)
        b = np.asarray(b_rows)
        # ridge towards COCO weights, scaled with the number of equations
        reg = math.sqrt(ridge * max(n, 1)) * np.eye(len(candidates))
        # The projection is homogeneous in the weights, so the equations alone would shrink
        # them towards 0: the sum-to-one row must outweigh all of them together.
        sw = sum_weight * math.sqrt(max(n, 1))
        a = np.vstack([a, sw * np.ones((1, len(candidates))), reg])
        b = np.concatenate([b, [sw], math.sqrt(ridge * max(n, 1)) * w_coco])
        return a, b

    use = [lm is not None and lm[j, 3] >= 0.5 for _, _, lm, _ in rows]
    w = w_coco.copy()
    for _ in range(2):  # fit, drop gross detector mistakes (left/right swaps), refit
        a, b = system(use)
        w, _ = nnls(a, b, maxiter=50 * len(candidates))
        new_use = []
        for (v, cam, lm, _), keep in zip(rows, use):
            if not keep:
                new_use.append(False)
                continue
            uv = project(cam, (w @ v[candidates])[None])[0]
            new_use.append(bool(np.linalg.norm(uv - lm[j, :2]) < trim_px))
        use = new_use
    w = w / max(w.sum(), 1e-9)
    return w, int(sum(use))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer renders (smoke run)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reuse", help="pickle of collected detections to reuse/create (development)")
    args = ap.parse_args()

    from pipeline.body.anny_body import AnnyBody
    from pipeline.body.base import KEYPOINT_NAMES
    from pipeline.body.presets import PRESET_NAMES
    from pipeline.keypoints.blazepose import BLAZEPOSE_INDEX, KeypointDetector
    from pipeline.views.render import BodyRenderer

    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    body = AnnyBody(keypoints="coco")
    detector = KeypointDetector(check_several_people=False)
    names = list(KEYPOINT_NAMES)
    n_phen = 2 if args.quick else 4
    views = 4 if args.quick else 8
    configs = []
    for posture in PRESET_NAMES:
        for _ in range(n_phen):
            phen = {k: float(rng.uniform(0.15, 0.85)) for k in body.phenotype_names}
            configs.append((posture, phen, float(rng.uniform(0, 360))))
    import pickle

    cached = None
    if args.reuse and Path(args.reuse).exists():
        with open(args.reuse, "rb") as fh:
            cached = pickle.load(fh)
    if cached is not None:
        train = cached["train"]
    else:
        with BodyRenderer() as renderer:
            train = collect(body, detector, renderer, configs, views, rng)
    t_collect = time.time() - t0
    print(f"collected {len(train)} views in {t_collect:.0f} s, detected {sum(r[2] is not None for r in train)}")

    # candidates: vertices near each COCO keypoint in the average rest body
    with torch.no_grad():
        rest_v = body(body.init_params()).vertices[0].cpu().numpy()
    w_coco_full = np.zeros((len(names), rest_v.shape[0]))
    w_coco_full[:, body.keypoint_vertex_index.cpu().numpy()] = body.keypoint_weights.cpu().numpy()
    coco_rest = w_coco_full @ rest_v
    radius = {"left_hip": 0.14, "right_hip": 0.14, "left_shoulder": 0.10, "right_shoulder": 0.10}
    idx_list, w_list, fitted, used_counts = [], [], [], {}
    for i, n in enumerate(names):
        j = BLAZEPOSE_INDEX[n]
        coco_idx = np.nonzero(w_coco_full[i] > 0)[0]
        if j is None:  # no BlazePose counterpart: keep COCO weights
            idx_list.append(coco_idx)
            w_list.append(w_coco_full[i, coco_idx])
            continue
        d = np.linalg.norm(rest_v - coco_rest[i], axis=1)
        near = np.nonzero(d < radius.get(n, 0.07))[0]
        if len(near) > 250:
            near = near[np.linspace(0, len(near) - 1, 250).astype(int)]
        cand = np.union1d(near, coco_idx[np.argsort(-w_coco_full[i, coco_idx])[:50]])
        w, used = fit_keypoint(train, j, cand, w_coco_full[i, cand])
        keep = w > 1e-4
        idx_list.append(cand[keep])
        w_list.append(w[keep] / w[keep].sum())
        fitted.append(n)
        used_counts[n] = used

    def coco_fn(v):
        return w_coco_full @ v

    def fitted_fn(v):
        return np.stack([w @ v[idx] for idx, w in zip(idx_list, w_list)])

    before = errors(train, coco_fn, names, BLAZEPOSE_INDEX)
    after = errors(train, fitted_fn, names, BLAZEPOSE_INDEX)

    scene_cases = [
        ("sitting_chair", [0.0, -2.35, 0.5], None),
        ("sitting_chair", [1.77, 1.63, 0.58], None),
        ("standing", [0.5, 0.3, 0.0], None),
        ("standing", [-1.0, 0.8, 0.0], None),
    ]
    if cached is not None:
        held = cached["held"]
    else:
        held = scene_rows(body, detector, ROOT / "resources" / "scenes" / "living_room.glb", scene_cases, 4 if args.quick else 8)
        if args.reuse:
            with open(args.reuse, "wb") as fh:
                pickle.dump({"train": train, "held": held}, fh)
    held_before = errors(held, coco_fn, names, BLAZEPOSE_INDEX)
    held_after = errors(held, fitted_fn, names, BLAZEPOSE_INDEX)

    def summary(errs):
        per = {n: (round(float(np.median(e)), 2) if e else None) for n, e in errs.items()}
        allv = [x for e in errs.values() for x in e]
        return {"median_px_all": round(float(np.median(allv)), 2), "per_keypoint_median_px": per}

    OUT_WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(i) for i in idx_list])
    np.savez_compressed(
        OUT_WEIGHTS,
        names=np.array(names),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        vertex_index=np.concatenate(idx_list).astype(np.int32),
        weights=np.concatenate(w_list).astype(np.float32),
        num_vertices=np.int64(rest_v.shape[0]),
        fitted=np.array(fitted),
    )
    result = {
        "what": "pixel distance between BlazePose detections and projected body keypoints, 512 px renders",
        "before": "Anny's COCO keypoint regressor",
        "after": "fitted BlazePose-style regressor (resources/body/anny_blazepose_keypoints.npz)",
        "fit_set": {"views": len(train), "detected": sum(r[2] is not None for r in train),
                    "before": summary(before), "after": summary(after)},
        "held_out_scene": {"views": len(held), "detected": sum(r[2] is not None for r in held),
                           "cases": [list(map(str, c)) for c in scene_cases],
                           "before": summary(held_before), "after": summary(held_after)},
        "samples_used_per_keypoint": used_counts,
        "seconds": round(time.time() - t0, 1),
        "quick": bool(args.quick),
    }  # fmt: skip
    OUT_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    OUT_RESULTS.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("fit_set", "held_out_scene")}, indent=1)[:3000])


if __name__ == "__main__":
    main()
