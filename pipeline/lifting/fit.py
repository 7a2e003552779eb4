"""Robust multi-view lifting: one 3D body that agrees with the 2D people of many views.

The method's lifting step on top of the :class:`BodyModel` interface:
Geman-McClure reprojection with torso/limb weights and detector scores, learned per-view
confidences s_v = sigmoid(c_v) used as normalised weights with the hinge
max(0, floor - sum s_v), pose and shape priors, scene penetration and contact from a signed
distance grid, four segments with piecewise-linear weight schedules and per-group learning
rates. Steps whose gradients are not finite are skipped.

Deviations from the paper, each chosen by ``benchmarks/lifting.py`` (see
:mod:`pipeline.lifting.schedule`): the learning rates anneal over the last segment, view
confidences learn 5x faster once unfrozen, the scene weights are lower, and the start is the
best of 12 yaws.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np
import torch

from pipeline.core.posture_words import posture_from_prompt
from pipeline.body.base import KEYPOINT_NAMES, BodyModel
from pipeline.views.cameras import Camera, project_points, stack_cameras
from pipeline.core.events import CancelToken, LiftingStep
from pipeline.lifting.losses import normalised_view_weights, per_view_reprojection, scene_terms, view_hinge
from pipeline.lifting.subset import forward_subset
from pipeline.lifting.schedule import LiftingSettings, learning_rates_at, segment_of, weights_at
from pipeline.core.rotations import matrix_to_rot6d, rot6d_to_matrix, rotation_about_z, rotation_between

PARAM_GROUPS = ("translation", "orientation", "pose", "shape")


class SignedDistance(Protocol):
    """Anything with a differentiable ``sample(points (N, 3)) -> (N,)`` in metres (SDFGrid)."""

    def sample(self, points: torch.Tensor) -> torch.Tensor: ...


@dataclass
class ViewObservation:
    """The 2D person seen in one view: keypoints in pixels in KEYPOINT_NAMES order."""

    name: str
    camera: Camera
    keypoints: np.ndarray  # (23, 2) pixels; NaN where missing
    conf: np.ndarray  # (23,) detector scores; 0 where missing
    valid: bool = True


@dataclass
class FitResult:
    params: dict[str, torch.Tensor]
    vertices: np.ndarray  # (V, 3) world metres
    keypoints3d: np.ndarray  # (23, 3) world metres, KEYPOINT_NAMES order
    view_weights: dict[str, float]  # s_v = sigmoid(c_v) per view name (0 for unused views)
    view_weights_normalised: dict[str, float]  # s_v / sum s, what the reprojection term used
    reprojection_error_px: dict[str, float]  # mean pixel error over the view's used keypoints
    losses: list[dict[str, float]] = field(default_factory=list)  # history, every emit_every its
    warnings: list[str] = field(default_factory=list)
    iterations: int = 0
    skipped_steps: int = 0
    seconds: float = 0.0
    used_views: list[str] = field(default_factory=list)


# ---- prompt -> posture rule -------------------------------------------------------------
# the word list lives in pipeline.core.posture_words (the view selection reads it too)


# ---- initialisation ------------------------------------------------
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


def _body_frame(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    pelvis, up, front = _body_frame(kp)
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
    return _placed(body, params, r_fix @ r_cur, t0)


def _placed(body: BodyModel, params: dict[str, torch.Tensor], rotation: np.ndarray, pelvis_at: np.ndarray):
    """A copy of ``params`` with global rotation ``rotation`` and the pelvis (mid-hips) at
    ``pelvis_at``, whatever point the model rotates about."""
    out = {k: v.detach().clone() for k, v in params.items()}
    dtype = out["orientation"].dtype
    out["orientation"] = matrix_to_rot6d(torch.as_tensor(rotation, dtype=dtype))[None].to(body.device)
    out["translation"] = torch.zeros_like(out["translation"])
    with torch.no_grad():
        kp = body(out).keypoints[0].double().cpu().numpy()
    pelvis, _, _ = _body_frame(kp)
    out["translation"] = torch.as_tensor(np.asarray(pelvis_at) - pelvis, dtype=dtype, device=body.device)[None]
    return out


def best_yaw_start(body, params, K, w2c, xy, conf, scale, rho, steps: int = 12):
    """Turn the start body about the vertical through its pelvis to the yaw whose keypoints
    agree best (robust reprojection) with the detections. The paper starts from one fixed
    orientation; a person painted facing away from the cameras would then start backwards
    and end in a twisted local minimum."""
    with torch.no_grad():
        kp = body(params).keypoints[0].double().cpu().numpy()
    pelvis, _, _ = _body_frame(kp)
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
    return _placed(body, params, rotation_about_z(best) @ r_cur, pelvis)


# ---- observations -> tensors -------------------------------------------------------------
def _prepare(observations: Sequence[ViewObservation], settings: LiftingSettings, device):
    names = list(KEYPOINT_NAMES)
    group_torso = torch.tensor([n in settings.torso_names for n in names], dtype=torch.float32)
    keypoint_w = torch.as_tensor(settings.keypoint_weights(names), dtype=torch.float32)
    used, xy_list, conf_list = [], [], []
    for obs in observations:
        if not obs.valid:
            continue
        xy = np.asarray(obs.keypoints, dtype=np.float64).reshape(len(names), 2)
        conf = np.asarray(obs.conf, dtype=np.float64).reshape(len(names))
        bad = ~np.isfinite(xy).all(1) | ~np.isfinite(conf) | (conf <= settings.keypoint_min_conf)
        conf = np.where(bad, 0.0, conf)
        xy = np.where(bad[:, None], 0.0, xy)
        if not (conf > 0).any():
            continue
        used.append(obs)
        xy_list.append(xy)
        conf_list.append(conf)
    if not used:
        return None
    xy = torch.as_tensor(np.stack(xy_list), dtype=torch.float32, device=device)
    conf = torch.as_tensor(np.stack(conf_list), dtype=torch.float32, device=device)
    conf = conf * keypoint_w.to(device)[None]
    K, w2c = stack_cameras([o.camera for o in used], device=device)
    scale = torch.tensor([float(max(o.camera.width, o.camera.height)) for o in used], device=device)
    return used, xy, conf, group_torso.to(device), K, w2c, scale


def _finite_step(loss: torch.Tensor, params: Sequence[torch.Tensor]) -> bool:
    """Whether the loss and every gradient are finite, with one host sync: a check per tensor
    would make the CPU wait for the GPU's queue several times in every step."""
    checks = [torch.isfinite(loss).reshape(())]
    checks += [torch.isfinite(p.grad).all() for p in params if p.grad is not None]
    return bool(torch.stack(checks).all())


def fit_body(
    body: BodyModel,
    observations: Sequence[ViewObservation],
    sdf: SignedDistance | None = None,
    settings: LiftingSettings | None = None,
    init: dict[str, torch.Tensor] | None = None,
    emit: Callable | None = None,
    cancel: CancelToken | None = None,
    *,
    target: np.ndarray | None = None,
    prompt: str | None = None,
    set_name: str = "",
) -> FitResult:
    """Fit one body to one hypothesis set. See the module docstring for the method.

    ``init``: start parameters (round 2 seeds); otherwise :func:`initial_params` from the
    cameras, the target point (default: where the cameras look) and the posture word of the
    prompt. ``emit`` receives a :class:`LiftingStep` every ``settings.emit_every`` iterations.
    Raises ValueError when no view holds a usable keypoint.
    """
    settings = settings or LiftingSettings()
    t_start = time.perf_counter()
    old_threads = torch.get_num_threads()
    if settings.num_threads:
        torch.set_num_threads(int(settings.num_threads))
    try:
        return _fit(body, observations, sdf, settings, init, emit, cancel, target, prompt, set_name, t_start)
    finally:
        if settings.num_threads:
            torch.set_num_threads(old_threads)


def _fit(body, observations, sdf, settings, init, emit, cancel, target, prompt, set_name, t_start) -> FitResult:
    device = body.device
    warnings: list[str] = []
    prepared = _prepare(observations, settings, device)
    if prepared is None:
        raise ValueError(
            f"cannot fit set '{set_name or '?'}': none of its {len(observations)} views holds a usable "
            "2D person (no valid view with a finite, confident keypoint); check the hypothesis images"
        )
    used, xy, conf, torso_mask, K, w2c, scale = prepared
    n_views = len(used)
    skipped_names = [o.name for o in observations if o not in used]
    if skipped_names:
        warnings.append(f"views without a usable person were ignored: {', '.join(skipped_names)}")
    learn_views = settings.use_view_confidences and n_views >= settings.min_views_for_hinge
    if settings.use_view_confidences and not learn_views:
        warnings.append(
            f"only {n_views} valid view(s) (< {settings.min_views_for_hinge}): fitted with equal view "
            "weights and without the view-confidence hinge"
        )
    floor = settings.view_floor_for(n_views)

    if init is None:
        posture = posture_from_prompt(prompt) if settings.posture_from_prompt else None
        init = initial_params(body, [o.camera for o in used], target, posture)
        if settings.yaw_search:
            init = best_yaw_start(body, init, K, w2c, xy, conf, scale, settings.rho)
    params = {k: v.detach().clone().to(device) for k, v in init.items()}
    groups = {}
    for name in PARAM_GROUPS:
        if name in params:
            params[name].requires_grad_(True)
            groups[name] = params[name]
    view_logits = torch.zeros(n_views, device=device, requires_grad=True)
    param_groups = [
        {"params": [t], "name": g, "weight_decay": 0.0 if g == "translation" else settings.weight_decay}
        for g, t in groups.items()
    ]
    param_groups.append({"params": [view_logits], "name": "view", "weight_decay": settings.weight_decay})
    optim = torch.optim.AdamW(param_groups, lr=0.01)
    all_params = [g["params"][0] for g in param_groups]

    torso_w = torso_mask[None, :]
    limb_w = 1.0 - torso_w
    total = settings.total_iterations
    n_vertices = body.num_vertices
    sub_early = torch.arange(0, n_vertices, max(1, settings.sdf_subsample), device=device)
    sub_final = torch.arange(0, n_vertices, max(1, settings.sdf_subsample_final), device=device)
    history: list[dict[str, float]] = []
    skipped = 0
    shape = params.get("shape")
    self_pen = None
    if any(float(x) > 0 for x in settings.weights.get("self_penetration", ())):
        from pipeline.lifting.self_penetration import SelfPenetrationProxy

        self_pen = SelfPenetrationProxy.for_body(body)

    for it in range(total):
        if cancel is not None:
            cancel.check()
        seg, _, _ = segment_of(settings, it)
        w = weights_at(settings, it)
        lrs = learning_rates_at(settings, it)
        for g in optim.param_groups:
            lr = lrs.get(g["name"], 0.0)
            if g["name"] == "view" and not learn_views:
                lr = 0.0
            g["lr"] = lr
        if shape is not None:
            # the body's rest shape is costly to differentiate: update it every few steps only
            shape.requires_grad_(lrs.get("shape", 0.0) > 0 and it % max(1, settings.shape_every) == 0)

        optim.zero_grad(set_to_none=True)
        scene_on = sdf is not None and (w.get("penetration", 0.0) > 0 or w.get("contact", 0.0) > 0)
        self_on = self_pen is not None and w.get("self_penetration", 0.0) > 0
        index = (sub_final if seg == 3 else sub_early) if scene_on else None
        n_scene = 0 if index is None else len(index)
        if self_on:
            index = self_pen.vertex_index if index is None else torch.cat([index, self_pen.vertex_index])
        kp_b, verts = forward_subset(body, params, index)
        kp3d = kp_b[0]
        e = per_view_reprojection(kp3d, K, w2c, xy, conf, scale, settings.rho)  # (V, J)
        s, s_norm = normalised_view_weights(view_logits, learn_views)
        e_torso = (e * torso_w).sum(-1)
        e_limb = (e * limb_w).sum(-1)
        terms: dict[str, torch.Tensor] = {
            "reproj_torso": (s_norm * e_torso).sum(),
            "reproj_limb": (s_norm * e_limb).sum(),
        }
        if learn_views:
            terms["view_hinge"] = view_hinge(s, floor)
        if w.get("pose_prior", 0.0) > 0:
            terms["pose_prior"] = body.pose_prior(params)
        if w.get("shape_prior", 0.0) > 0 and shape is not None and shape.requires_grad:
            terms["shape_prior"] = body.shape_prior(params)
        if scene_on:
            terms["penetration"], terms["contact"] = scene_terms(sdf.sample(verts[0, :n_scene]), settings.tau)
        if self_on:
            terms["self_penetration"] = self_pen(verts[0, n_scene:])
        loss = sum(w.get(k, 1.0) * v for k, v in terms.items())
        loss.backward()
        if not _finite_step(loss, all_params):
            skipped += 1
            optim.zero_grad(set_to_none=True)
        else:
            optim.step()

        if it % settings.emit_every == 0 or it == total - 1:
            record = {k: float(v.detach()) for k, v in terms.items()}
            record["total"] = float(loss.detach())
            history.append({"iteration": it, **record})
            if emit is not None:
                with torch.no_grad():
                    verts_all = body(params).vertices[0].cpu().numpy()
                emit(
                    LiftingStep(
                        set_name=set_name,
                        iteration=it,
                        total=total,
                        vertices=verts_all,
                        view_weights={o.name: float(v) for o, v in zip(used, s.detach())},
                        losses=record,
                    )
                )

    if shape is not None:
        shape.requires_grad_(False)
    if skipped:
        warnings.append(f"{skipped} of {total} steps were skipped because of non-finite gradients")
    with torch.no_grad():
        out = body(params)
        s, s_norm = normalised_view_weights(view_logits, learn_views)
        uv, _ = project_points(out.keypoints[0], K, w2c)
        err = torch.linalg.norm(uv - xy, dim=-1)
        mask = conf > 0
        per_view_err = {
            o.name: float(err[i][mask[i]].mean()) if mask[i].any() else float("nan") for i, o in enumerate(used)
        }
    view_w = {o.name: 0.0 for o in observations}
    view_wn = {o.name: 0.0 for o in observations}
    for i, o in enumerate(used):
        view_w[o.name] = float(s[i])
        view_wn[o.name] = float(s_norm[i])
    final = {k: v.detach().clone() for k, v in params.items()}
    return FitResult(
        params=final,
        vertices=out.vertices[0].cpu().numpy().astype(np.float64),
        keypoints3d=out.keypoints[0].cpu().numpy().astype(np.float64),
        view_weights=view_w,
        view_weights_normalised=view_wn,
        reprojection_error_px=per_view_err,
        losses=history,
        warnings=warnings,
        iterations=total,
        skipped_steps=skipped,
        seconds=time.perf_counter() - t_start,
        used_views=[o.name for o in used],
    )
