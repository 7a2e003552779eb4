"""A start fitted to the detections' own 3D meeting points, and when those points can be trusted.

Why: the fit's starts are presets placed in front of the cameras, and a pose far from every
preset (a crouch, a reach) can end in a branch none of them leaves. Where several views see
a keypoint, its detections meet in 3D; a body moved, posed and sized onto those points
(inverse kinematics, no cameras) starts the multi-view fit near the views' own answer.

Each keypoint is triangulated robustly: every pair of views proposes a point, the point
that most views agree with (within ``INLIER_PX``) wins, and it is found again from those
views alone, so views that show someone else do not move it. The same points choose among
the starts' fits (:mod:`pipeline.lifting.starts`, selection "consensus"). They are trusted
only when more than half of the views agree with them: a person seen by half the views can
lose every keypoint to someone else whom the other half shows more consistently.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel
from pipeline.core.rotations import kabsch, matrix_to_rot6d, rot6d_to_matrix
from pipeline.lifting.losses import gmof
from pipeline.lifting.placement import triangulate

INLIER_PX = 15.0  # a view agrees with a point when its detection is this close to the point's projection
MIN_VIEWS = 3
TORSO = tuple(KEYPOINT_NAMES.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
IK_STEPS = 300
IK_RATE = 0.03
IK_SCALE_M = 0.5  # robust scale of the point distances: a wrong point 0.5 m away still pulls half as hard
IK_POSE_PRIOR = 1e-3


def triangulated_keypoints(K, w2c, xy, conf, inlier_px: float = INLIER_PX,
                           min_views: int = MIN_VIEWS) -> tuple[np.ndarray, np.ndarray]:
    """(J, 3) world points and a (J,) bool of the keypoints that at least ``min_views`` views
    agree on. K (V, 3, 3), w2c (V, 4, 4), xy (V, J, 2) pixels, conf (V, J) (0: unusable)."""
    K, w2c = np.asarray(K, dtype=np.float64), np.asarray(w2c, dtype=np.float64)
    xy, conf = np.asarray(xy, dtype=np.float64), np.asarray(conf, dtype=np.float64)
    P = K @ w2c[:, :3, :]
    n_kp = xy.shape[1]
    points, ok = np.full((n_kp, 3), np.nan), np.zeros(n_kp, dtype=bool)
    for j in range(n_kp):
        seen = np.flatnonzero(conf[:, j] > 0)
        if len(seen) < min_views:
            continue
        best = None
        for a, b in itertools.combinations(seen, 2):
            inliers = _agreeing(P, xy[:, j], seen, triangulate(P[[a, b]], xy[[a, b], j]), inlier_px)
            if best is None or len(inliers) > len(best):
                best = inliers
        if best is None or len(best) < min_views:
            continue
        point = triangulate(P[best], xy[best, j])
        final = _agreeing(P, xy[:, j], seen, point, inlier_px)
        if len(final) >= min_views:
            points[j], ok[j] = triangulate(P[final], xy[final, j]), True
    return points, ok


def _agreeing(P: np.ndarray, uv: np.ndarray, seen: np.ndarray, point: np.ndarray, inlier_px: float) -> np.ndarray:
    """The views of ``seen`` whose pixel lies within ``inlier_px`` of ``point``'s projection
    (and that have the point in front of them)."""
    if not np.isfinite(point).all():
        return seen[:0]
    h = P[seen] @ np.append(point, 1.0)
    front = h[:, 2] > 1e-6
    miss = np.linalg.norm(h[:, :2] / np.where(front, h[:, 2], 1.0)[:, None] - uv[seen], axis=1)
    return seen[front & (miss <= inlier_px)]


def _torso_aligned(body: BodyModel, params: dict, points: np.ndarray, ok: np.ndarray) -> dict:
    """``params`` rotated and moved so its shoulders and hips best match the points (Kabsch)."""
    idx = [j for j in TORSO if ok[j]]
    if len(idx) < 3:
        return params
    out = {k: v.detach().clone() for k, v in params.items()}
    with torch.no_grad():
        kp = body(out).keypoints[0].double().cpu().numpy()
    r, _ = kabsch(kp[idx], points[idx])
    dtype = out["orientation"].dtype
    current = rot6d_to_matrix(out["orientation"][0].double()).cpu().numpy()
    out["orientation"] = matrix_to_rot6d(torch.as_tensor(r @ current, dtype=dtype))[None].to(body.device)
    with torch.no_grad():
        moved = body(out).keypoints[0].double().cpu().numpy()
    shift = points[idx].mean(0) - moved[idx].mean(0)
    out["translation"] = out["translation"] + torch.as_tensor(shift, dtype=dtype, device=body.device)[None]
    return out


def fitted_to_points(body: BodyModel, start: dict, points: np.ndarray, ok: np.ndarray,
                     steps: int = IK_STEPS, cancel=None) -> dict:
    """``start`` aligned by its torso, then posed and sized (pose, orientation, translation,
    shape) so its keypoints meet ``points`` where ``ok``; the pose prior keeps hidden limbs sane.
    ``cancel`` (a CancelToken) is checked every step: a few seconds must not ignore the user."""
    params = _torso_aligned(body, start, points, ok)
    params = {k: v.detach().clone() for k, v in params.items()}
    names = [k for k in ("translation", "orientation", "pose", "shape") if k in params]
    for k in names:
        params[k].requires_grad_(True)
    optim = torch.optim.Adam([params[k] for k in names], lr=IK_RATE)
    target = torch.as_tensor(np.nan_to_num(points), dtype=torch.float32, device=body.device)
    weight = torch.as_tensor(ok, dtype=torch.float32, device=body.device)
    for _ in range(steps):
        if cancel is not None:
            cancel.check()
        optim.zero_grad()
        d = torch.linalg.norm(body(params).keypoints[0] - target, dim=-1)
        loss = (gmof(d / IK_SCALE_M, 1.0) * weight).sum() / weight.sum() + IK_POSE_PRIOR * body.pose_prior(params)
        loss.backward()
        optim.step()
    return {k: v.detach() for k, v in params.items()}


def agreeing_views(K, w2c, xy, conf, points: np.ndarray, ok: np.ndarray, inlier_px: float = INLIER_PX) -> np.ndarray:
    """(V,) bool: the views whose detections agree with the points on most of their
    keypoints (half or more of those they detected and the points have, within ``inlier_px``)."""
    K, w2c = np.asarray(K, dtype=np.float64), np.asarray(w2c, dtype=np.float64)
    xy, conf = np.asarray(xy, dtype=np.float64), np.asarray(conf, dtype=np.float64)
    h = np.einsum("vij,kj->vki", K @ w2c[:, :3, :], np.append(np.nan_to_num(points), np.ones((len(points), 1)), 1))
    front = h[..., 2] > 1e-6
    miss = np.linalg.norm(h[..., :2] / np.where(front, h[..., 2], 1.0)[..., None] - xy, axis=-1)
    asked = (conf > 0) & ok[None]
    agree = (asked & front & (miss <= inlier_px)).sum(1)
    return (asked.sum(1) > 0) & (agree >= 0.5 * asked.sum(1))


def trusted_points(prep) -> tuple[np.ndarray, np.ndarray] | None:
    """The set's triangulated keypoints (``prep``: a PreparedSet), or None when they cannot be
    trusted: the views agree on under half the keypoints or on fewer than three torso points,
    or the points explain no more than half of the views (then they may be someone else that a
    minority of views shows more consistently than the majority shows the person)."""
    args = (prep.K.cpu().numpy(), prep.w2c.cpu().numpy(), prep.xy.cpu().numpy(), prep.conf.cpu().numpy())
    points, ok = triangulated_keypoints(*args)
    if int(ok.sum()) < len(ok) // 2 or sum(bool(ok[j]) for j in TORSO) < 3:
        return None
    if agreeing_views(*args, points, ok).sum() <= 0.5 * len(args[0]):
        return None
    return points, ok
