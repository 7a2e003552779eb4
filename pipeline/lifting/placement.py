"""Where a fit starts: the paper's placement in front of the cameras, a posture preset from
the prompt, the pelvis where the views' detected hips meet, and the best of several yaws
against the detections."""

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


# prompt posture -> the body's preset used to start the fit. A crouch prompt starts from the
# neutral pose (beside the sitting and standing starts): starting from the crouching preset
# changed the two hold-out crouch cases by +0.4 mm on average, better in 5 of 24 fits and worse
# in 9 (benchmarks/results/lifting_holdout_round9.md).
POSTURE_PRESETS = {"sit": "sitting_chair", "lie": "lying_back", "stand": "standing"}


def _posture_preset(body: BodyModel, posture: str | None) -> dict[str, torch.Tensor] | None:
    """Parameters of the body's posture preset for a prompt posture (None if unavailable)."""
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


HIP_INDEX = (KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip"))


def triangulate(P: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Linear (DLT) meeting point of pixels uv (n, 2) seen by projections P (n, 3, 4)."""
    rows = np.concatenate([uv[:, :1] * P[:, 2] - P[:, 0], uv[:, 1:] * P[:, 2] - P[:, 1]])
    x = np.linalg.svd(rows)[2][-1]
    return x[:3] / x[3] if abs(x[3]) > 1e-12 else np.full(3, np.nan)


def detected_pelvis(K, w2c, xy, conf, min_views: int = 3, rounds: int = 3) -> np.ndarray | None:
    """Where the views' detected mid-hips meet (world metres), or None when fewer than
    ``min_views`` views see both hips or the views do not agree on a point in front of them.

    Views whose mid-hip misses the point by more than twice the median miss (at least 10 px)
    are dropped and the point found again: views showing another person do not move it.
    K (V, 3, 3), w2c (V, 4, 4), xy (V, 23, 2) pixels, conf (V, 23) (0: unusable), tensors."""
    K, w2c = K.double().cpu().numpy(), w2c.double().cpu().numpy()
    xy, conf = xy.double().cpu().numpy(), conf.double().cpu().numpy()
    both = (conf[:, HIP_INDEX[0]] > 0) & (conf[:, HIP_INDEX[1]] > 0)
    uv = 0.5 * (xy[:, HIP_INDEX[0]] + xy[:, HIP_INDEX[1]])
    P = K @ w2c[:, :3, :]
    keep = both.copy()
    point = None
    for _ in range(rounds):
        if keep.sum() < min_views:
            return None
        point = triangulate(P[keep], uv[keep])
        if not np.isfinite(point).all():
            return None
        h = P @ np.append(point, 1.0)
        if (h[both, 2] <= 0).any():
            return None
        miss = np.linalg.norm(h[:, :2] / h[:, 2:3] - uv, axis=1)
        new_keep = both & (miss <= max(10.0, 2.0 * float(np.median(miss[keep]))))
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return point if keep.sum() >= min_views else None


def at_detected_pelvis(body: BodyModel, params: dict[str, torch.Tensor], K, w2c, xy, conf) -> dict[str, torch.Tensor]:
    """``params`` moved so the pelvis sits where the detected hips meet (:func:`detected_pelvis`),
    unchanged when they do not meet. Why: the paper's start (target plus one metre towards the
    cameras) depends on where the user clicked; the detections say where the person is."""
    pelvis = detected_pelvis(K, w2c, xy, conf)
    if pelvis is None:
        return params
    rotation = rot6d_to_matrix(params["orientation"][0].double()).cpu().numpy()
    return placed(body, params, rotation, pelvis)


def aligned_to_detections(body: BodyModel, start: dict[str, torch.Tensor], prep, settings) -> dict[str, torch.Tensor]:
    """A placed start turned (and, when ``settings`` ask, moved) to agree with the set's
    detections (``prep``: a PreparedSet): the pelvis at the detected hips, then the best yaw."""
    if settings.start_at_detected_pelvis:
        start = at_detected_pelvis(body, start, prep.K, prep.w2c, prep.xy, prep.conf)
    if settings.yaw_search:
        start = best_yaw_start(body, start, prep.K, prep.w2c, prep.xy, prep.conf, prep.scale, settings.rho)
    return start
