"""Robust multi-view lifting: bodies that agree with the 2D people of many views.

The method's lifting step on top of the :class:`BodyModel` interface:
Geman-McClure reprojection with torso/limb weights and detector scores, learned per-view
confidences s_v = sigmoid(c_v) used as normalised weights with the hinge
max(0, floor - sum s_v), pose and shape priors, scene penetration and contact from a signed
distance grid, a robust pull towards the points where most views' detections meet (not in
the paper: :func:`pipeline.lifting.triangulated_start.trusted_points`), optionally the
person's mask (:mod:`pipeline.lifting.silhouette`), four segments with piecewise-linear
weight schedules and per-group learning rates.

All hypothesis sets of a round are fitted in one optimisation (:func:`fit_bodies`): the body
parameters, view confidences and optimiser state carry a leading set dimension and every
loss reduces per set, so a set's result does not depend on the others in its batch
(:mod:`pipeline.lifting.set_adam`). A set whose step is not finite skips that step alone; a
set without usable keypoints, or one that never takes a finite step, is dropped with a
reason while the others finish. One set is a batch of one (:func:`fit_body`).

Deviations from the paper, each chosen by ``benchmarks/lifting.py`` (see
:mod:`pipeline.lifting.schedule`): the learning rates anneal over the last segment, view
confidences learn 5x faster once unfrozen, the scene weights are lower, and the start is the
best of 12 yaws.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch

from pipeline.body.base import BodyModel
from pipeline.core.events import CancelToken
from pipeline.core.posture_words import posture_from_prompt
from pipeline.lifting.losses import batched_reprojection, gmof, normalised_view_weights, scene_terms, view_hinge
from pipeline.lifting.problem import (
    FitProblem,
    FitResult,
    PreparedSet,
    SetOutcome,
    SignedDistance,
    ViewObservation,
    prepare_set,
    stack_sets,
)
from pipeline.lifting.schedule import LiftingSettings, learning_rates_at, segment_of, weights_at
from pipeline.lifting.silhouette import SilhouetteSubset, even_vertex_index, silhouette_terms
from pipeline.lifting.set_adam import ParamGroup, SetAdamW
from pipeline.lifting.placement import aligned_to_detections, estimate_target, initial_params
from pipeline.lifting.steps import FitLog, final_results
from pipeline.lifting.subset import SubsetForward
from pipeline.lifting.triangulated_start import trusted_points

POINTS_SCALE_M = 0.05  # the points term's robust scale: a point 5 cm off pulls at half its quadratic strength

__all__ = [
    "FitProblem", "FitResult", "SetOutcome", "SignedDistance", "ViewObservation",
    "estimate_target", "fit_bodies", "fit_body", "initial_params", "posture_from_prompt",
]  # fmt: skip

PARAM_GROUPS = ("translation", "orientation", "pose", "shape")
SILHOUETTE_REFRESH = 10  # iterations between re-assignments of mask points to their nearest vertex


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
    """Fit one body to one hypothesis set (a batch of one).

    Raises ValueError when no view holds a usable keypoint or the fit never took a finite step.
    """
    problem = FitProblem(observations, set_name, init, target, prompt)
    outcome = fit_bodies(body, [problem], sdf, settings, emit, cancel)[0]
    if outcome.result is None:
        raise ValueError(outcome.error)
    return outcome.result


def fit_bodies(
    body: BodyModel,
    problems: Sequence[FitProblem],
    sdf: SignedDistance | None = None,
    settings: LiftingSettings | None = None,
    emit: Callable | None = None,
    cancel: CancelToken | None = None,
) -> list[SetOutcome]:
    """Fit every set in one batched optimisation; one :class:`SetOutcome` per problem, in order.

    ``emit`` receives a :class:`LiftingStep` per set every ``settings.emit_every`` iterations.
    """
    settings = settings or LiftingSettings()
    old_threads = torch.get_num_threads()
    if settings.num_threads:
        torch.set_num_threads(int(settings.num_threads))
    try:
        return _fit_all(body, problems, sdf, settings, emit, cancel)
    finally:
        if settings.num_threads:
            torch.set_num_threads(old_threads)


def _no_views_error(problem: FitProblem) -> str:
    return (
        f"cannot fit set '{problem.name or '?'}': none of its {len(problem.observations)} views holds a usable "
        "2D person (no valid view with a finite, confident keypoint); check the hypothesis images"
    )


def _start(body, problem: FitProblem, prep: PreparedSet, settings: LiftingSettings) -> dict[str, torch.Tensor]:
    """The set's start parameters (batch 1) on the body's device."""
    if problem.init is not None:
        return {k: v.detach().clone().to(body.device) for k, v in problem.init.items()}
    posture = posture_from_prompt(problem.prompt) if settings.posture_from_prompt else None
    init = initial_params(body, [o.camera for o in prep.used], problem.target, posture)
    return aligned_to_detections(body, init, prep, settings)


def _fit_all(body, problems, sdf, settings: LiftingSettings, emit, cancel) -> list[SetOutcome]:
    t_start = time.perf_counter()
    device = body.device
    outcomes = [SetOutcome(p.name) for p in problems]
    live, prepared = [], []
    for i, problem in enumerate(problems):
        prep = prepare_set(problem.observations, settings, device)
        if prep is None:
            outcomes[i].error = _no_views_error(problem)
        else:
            live.append(i)
            prepared.append(prep)
    if not live:
        return outcomes
    batch = stack_sets(prepared, settings)
    starts = [_start(body, problems[i], prep, settings) for i, prep in zip(live, prepared)]
    params = {k: torch.cat([s[k] for s in starts], 0).detach().clone() for k in starts[0]}
    n_sets, n_views = batch.xy.shape[:2]
    points_on = any(float(x) > 0 for x in settings.weights.get("points", ()))
    points = _points_of(problems, live, prepared, sdf, device) if points_on else None

    groups = []
    for name in PARAM_GROUPS:
        if name in params:
            params[name].requires_grad_(True)
            groups.append(ParamGroup(name, params[name], 0.0 if name == "translation" else settings.weight_decay))
    view_logits = torch.zeros(n_sets, n_views, device=device, requires_grad=True)
    groups.append(ParamGroup("view", view_logits, settings.weight_decay))
    optim = SetAdamW(groups, n_sets)

    torso = torch.tensor([n in settings.torso_names for n in body.keypoint_names], dtype=torch.float32, device=device)
    n_vertices = body.num_vertices
    self_pen = None
    if any(float(x) > 0 for x in settings.weights.get("self_penetration", ())):
        from pipeline.lifting.self_penetration import SelfPenetrationProxy

        self_pen = SelfPenetrationProxy.for_body(body)
    scene_index = {
        "early": torch.arange(0, n_vertices, max(1, settings.sdf_subsample), device=device),
        "final": torch.arange(0, n_vertices, max(1, settings.sdf_subsample_final), device=device),
    }
    with_self = {k: torch.cat([v, self_pen.vertex_index]) for k, v in scene_index.items()} if self_pen else {}
    forward = SubsetForward(body)
    sil = None
    if batch.silhouettes is not None:
        with torch.no_grad():
            skin = body({k: v[:1] for k, v in params.items()}).vertices[0].cpu().numpy()
        sil = SilhouetteSubset(torch.as_tensor(even_vertex_index(skin, settings.silhouette_cell_m), device=device))
    shape = params.get("shape")
    total = settings.total_iterations
    skipped = torch.zeros(n_sets, device=device)
    names = [problems[i].name for i in live]
    log = FitLog(body, names, [p.used for p in prepared], settings, emit)

    for it in range(total):
        if cancel is not None:
            cancel.check()
        seg, _, _ = segment_of(settings, it)
        w = weights_at(settings, it)
        lrs = learning_rates_at(settings, it)
        if shape is not None:
            # the body's rest shape is costly to differentiate: update it every few steps only
            shape.requires_grad_(lrs.get("shape", 0.0) > 0 and it % max(1, settings.shape_every) == 0)
        optim.zero_grad()
        scene_on = sdf is not None and (w.get("penetration", 0.0) > 0 or w.get("contact", 0.0) > 0)
        self_on = self_pen is not None and w.get("self_penetration", 0.0) > 0
        key = "final" if seg == 3 else "early"
        index = (with_self[key] if self_on else scene_index[key]) if scene_on else None
        n_scene = 0 if index is None else len(scene_index[key])
        if self_on and index is None:
            index = self_pen.vertex_index
        sil_on = sil is not None and w.get("silhouette", 0.0) > 0
        n_before = 0 if index is None else len(index)
        if sil_on:
            index = sil.after(index)
        kp3d, verts = forward(params, index)
        e = batched_reprojection(kp3d, batch, settings.rho)  # (N, M, J)
        s, s_norm = normalised_view_weights(view_logits, batch.learn_views, batch.view_mask)
        terms: dict[str, torch.Tensor] = {  # each (N,), one value per set
            "reproj_torso": (s_norm * (e * torso).sum(-1)).sum(-1),
            "reproj_limb": (s_norm * (e * (1.0 - torso)).sum(-1)).sum(-1),
        }
        if settings.use_view_confidences:
            terms["view_hinge"] = view_hinge(s, batch.floor) * batch.learn_views
        if scene_on:
            values = sdf.sample(verts[:, :n_scene].reshape(-1, 3)).reshape(n_sets, n_scene)
            terms["penetration"], terms["contact"] = scene_terms(values, settings.tau)
        if self_on:
            terms["self_penetration"] = self_pen(verts[:, n_scene:n_before])
        if points is not None and w.get("points", 0.0) > 0:
            target_points, known = points
            d = torch.linalg.norm(kp3d - target_points, dim=-1) / POINTS_SCALE_M
            terms["points"] = (gmof(d, 1.0) * known).sum(-1) / known.sum(-1).clamp(min=1.0)
        if sil_on:
            keep = None if it % SILHOUETTE_REFRESH == 0 else sil.nearest
            out_t, cover_t, sil.nearest = silhouette_terms(verts[:, n_before:], batch.K, batch.w2c, batch.silhouettes,
                                                           batch.scale, settings.rho, keep)
            terms["silhouette"] = (s_norm * (out_t + cover_t)).sum(-1)
        per_set = sum(w.get(k, 1.0) * v for k, v in terms.items())
        loss = per_set.sum()
        # the priors are means over the batch: times N, every set's gradient is its own prior's
        if w.get("pose_prior", 0.0) > 0:
            loss = loss + w["pose_prior"] * n_sets * body.pose_prior(params)
        if w.get("shape_prior", 0.0) > 0 and shape is not None and shape.requires_grad:
            loss = loss + w["shape_prior"] * n_sets * body.shape_prior(params)
        loss.backward()
        ok = optim.finite_sets(per_set)
        skipped += (~ok).to(skipped.dtype)
        optim.step(lrs, ok)
        if it % settings.emit_every == 0 or it == total - 1:
            log.record(it, total, params, terms, w, s.detach())

    if shape is not None:
        shape.requires_grad_(False)
    results = final_results(body, params, view_logits, batch, prepared, log, skipped, total,
                            time.perf_counter() - t_start)
    for i, prep, (result, error) in zip(live, prepared, results):
        outcomes[i].result, outcomes[i].error = result, error
        if result is not None:
            result.warnings[:0] = _view_warnings(problems[i], prep, settings)
            names = [o.name for o in problems[i].observations]  # unused views weigh 0
            result.view_weights = {n: result.view_weights.get(n, 0.0) for n in names}
            result.view_weights_normalised = {n: result.view_weights_normalised.get(n, 0.0) for n in names}
    return outcomes


def _points_of(problems, live, prepared, sdf, device) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, J, 3) trusted points and (N, J) which are known, per fitted set: the problem's own
    ``points`` when the caller found them, else triangulated here; zeros for a set whose views
    do not agree. A point inside the scene is not trusted: no joint centre lies there, and the
    detectors' toes meet a few centimetres below the floor, which pulled the feet into it."""
    n_kp = prepared[0].xy.shape[1]
    pts = torch.zeros(len(live), n_kp, 3, device=device)
    known = torch.zeros(len(live), n_kp, device=device)
    for k, (i, prep) in enumerate(zip(live, prepared)):
        found = problems[i].points if problems[i].points is not None else trusted_points(prep)
        if found is not None:
            pts[k] = torch.as_tensor(np.nan_to_num(found[0]), dtype=torch.float32, device=device)
            known[k] = torch.as_tensor(found[1], dtype=torch.float32, device=device)
    if sdf is not None:
        with torch.no_grad():
            known = known * (sdf.sample(pts.reshape(-1, 3)).reshape(known.shape) >= 0.0)
    return pts, known


def _view_warnings(problem: FitProblem, prep: PreparedSet, settings: LiftingSettings) -> list[str]:
    out = []
    skipped = [o.name for o in problem.observations if o not in prep.used]
    if skipped:
        out.append(f"views without a usable person were ignored: {', '.join(skipped)}")
    n = len(prep.used)
    if settings.use_view_confidences and n < settings.min_views_for_hinge:
        out.append(
            f"only {n} valid view(s) (< {settings.min_views_for_hinge}): fitted with equal view "
            "weights and without the view-confidence hinge"
        )
    return out
