"""Where a fit starts: the paper's placement in front of the cameras, a posture preset from
the prompt, and the best of several yaws against the detections."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel
from pipeline.core.rotations import matrix_to_rot6d, rot6d_to_matrix, rotation_about_z, rotation_between
from pipeline.lifting.losses import per_view_reprojection
from pipeline.views.cameras import Camera


def estimate_target(cameras: Sequence[Camera]) -> np.ndarray:
    """The point the cameras look at: their stored look_at, else the least-squares meeting
    point of their optical axes."""
    looks = [c.look_at for c in cameras if c.look_at is not None]
    if looks:
        return np.mean(np.stack(looks), axis=0)
    a = np.zeros((3, 3))
    b = np.zeros(3)
    for c in cameras:
        d = c.forward / np.linalg.norm(c.forward)
        m = np.eye(3) - np.outer(d, d)
        a += m
        b += m @ c.position
    if len(cameras) < 2 or np.linalg.matrix_rank(a) < 3:
        c = cameras[0]
        return c.position + 2.0 * c.forward
    return np.linalg.solve(a, b)


def body_frame(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pelvis, up, front) of a body from its 23 keypoints."""
    idx = {n: i for i, n in enumerate(KEYPOINT_NAMES)}
    lh, rh = keypoints[idx["left_hip"]], keypoints[idx["right_hip"]]
    ls, rs = keypoints[idx["left_shoulder"]], keypoints[idx["right_shoulder"]]
    pelvis = 0.5 * (lh + rh)
    up = 0.5 * (ls + rs) - pelvis
    up /= max(np.linalg.norm(up), 1e-9)
    left = (lh - rh) + (ls - rs)
    front = np.cross(left, up)
    front /= max(np.linalg.norm(front), 1e-9)
    return pelvis, up, front


# prompt posture -> the body's preset used to start the fit
POSTURE_PRESETS = {"sit": "sitting_chair", "lie": "lying_back", "stand": "standing"}


def _posture_preset(body: BodyModel, posture: str | None) -> dict[str, torch.Tensor] | None:
    """Parameters of the body's posture preset for 'sit'/'lie'/'stand' (None if unavailable)."""
    if posture is None or posture not in POSTURE_PRESETS:
        return None
    try:
        from pipeline.body.presets import preset_params
    except ImportError:
        return None
    try:
        return preset_params(body, POSTURE_PRESETS[posture])
    except (KeyError, ValueError, AttributeError):
        return None


def initial_params(
    body: BodyModel,
    cameras: Sequence[Camera],
    target: np.ndarray | None = None,
    posture: str | None = None,
) -> dict[str, torch.Tensor]:
    """Paper initialisation: pelvis at t0 = p + mean(d) (d: unit directions from the target p
    towards the cameras), body upright and facing the cameras' mean direction; the pose of a
    posture preset when one is asked for and available, else the model's neutral pose."""
    p = np.asarray(target if target is not None else estimate_target(cameras), dtype=np.float64)
    dirs = np.stack([c.position - p for c in cameras])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True).clip(1e-9)
    mean_dir = dirs.mean(0)
    t0 = p + mean_dir

    params = _posture_preset(body, posture) or body.init_params(1)
    params = {k: v.detach().clone() for k, v in params.items()}
    with torch.no_grad():
        kp = body(params).keypoints[0].double().cpu().numpy()
    pelvis, up, front = body_frame(kp)
    r_cur = rot6d_to_matrix(params["orientation"][0].double()).cpu().numpy()

    # 1) upright unless the preset itself is lying (then keep its tilt)
    r_fix = np.eye(3)
    lying = posture == "lie" or abs(up[2]) < 0.5
    if not lying:
        r_fix = rotation_between(up, np.array([0.0, 0.0, 1.0]))
    front_w = r_fix @ front
    up_w = r_fix @ up
    # 2) yaw so the body faces the cameras (lying: long axis across the view direction)
    want = np.array([mean_dir[0], mean_dir[1], 0.0])
    if np.linalg.norm(want) > 1e-6:
        want /= np.linalg.norm(want)
        have = np.array([front_w[0], front_w[1], 0.0])
        if np.linalg.norm(have) < 0.3:  # facing the sky: align the head axis sideways instead
            have = np.array([up_w[0], up_w[1], 0.0])
            want = np.array([-want[1], want[0], 0.0])
        if np.linalg.norm(have) > 1e-6:
            have /= np.linalg.norm(have)
            yaw = math.atan2(have[0] * want[1] - have[1] * want[0], have @ want)
            r_fix = rotation_about_z(yaw) @ r_fix
    return placed(body, params, r_fix @ r_cur, t0)


def placed(body: BodyModel, params: dict[str, torch.Tensor], rotation: np.ndarray, pelvis_at: np.ndarray):
    """A copy of ``params`` with global rotation ``rotation`` and the pelvis (mid-hips) at
    ``pelvis_at``, whatever point the model rotates about."""
    out = {k: v.detach().clone() for k, v in params.items()}
    dtype = out["orientation"].dtype
    out["orientation"] = matrix_to_rot6d(torch.as_tensor(rotation, dtype=dtype))[None].to(body.device)
    out["translation"] = torch.zeros_like(out["translation"])
    with torch.no_grad():
        kp = body(out).keypoints[0].double().cpu().numpy()
    pelvis, _, _ = body_frame(kp)
    out["translation"] = torch.as_tensor(np.asarray(pelvis_at) - pelvis, dtype=dtype, device=body.device)[None]
    return out


def best_yaw_start(body, params, K, w2c, xy, conf, scale, rho, steps: int = 12):
    """Turn the start body about the vertical through its pelvis to the yaw whose keypoints
    agree best (robust reprojection) with the detections. The paper starts from one fixed
    orientation; a person painted facing away from the cameras would then start backwards
    and end in a twisted local minimum."""
    with torch.no_grad():
        kp = body(params).keypoints[0].double().cpu().numpy()
    pelvis, _, _ = body_frame(kp)
    best, best_loss = 0.0, float("inf")
    for yaw in np.linspace(0.0, 2 * math.pi, steps, endpoint=False):
        r = rotation_about_z(yaw)
        kp_y = torch.as_tensor((kp - pelvis) @ r.T + pelvis, dtype=torch.float32)
        e = per_view_reprojection(kp_y, K, w2c, xy, conf, scale, rho).sum()
        if float(e) < best_loss:
            best, best_loss = yaw, float(e)
    if best == 0.0:
        return params
    r_cur = rot6d_to_matrix(params["orientation"][0].double()).cpu().numpy()
    return placed(body, params, rotation_about_z(best) @ r_cur, pelvis)


