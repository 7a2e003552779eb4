"""More than one start for the multi-view fit, keeping the result that explains all views best.

Why: a person seen mostly from behind fits as well facing the cameras as facing away at the
start, and the single best-yaw start can pick the wrong one; the fit then ends in a twisted
minimum. :func:`fit_sets_with_starts` fits every set from the usual start and, as extra sets
of the same batched optimisation, from the same start turned by 180 degrees about the
vertical through the pelvis, and keeps per set the fit whose keypoints have the lowest robust
reprojection error over all used views with equal weights (so a fit that merely discounted
views it could not explain does not win). The prompt's body words
(:mod:`pipeline.body.prompt_shape`) can seed the start's shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel
from pipeline.core.posture_words import posture_from_prompt
from pipeline.core.rotations import matrix_to_rot6d, rot6d_to_matrix, rotation_about_z
from pipeline.core.events import LiftingStep
from pipeline.lifting.fit import FitProblem, FitResult, SetOutcome, ViewObservation, fit_bodies
from pipeline.lifting.losses import per_view_reprojection
from pipeline.lifting.placement import best_yaw_start, initial_params
from pipeline.lifting.problem import prepare_set
from pipeline.lifting.schedule import LiftingSettings

_HIPS = (KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip"))


@dataclass(frozen=True)
class StartOptions:
    """Which extra starts to try (both off: exactly the single-start fit)."""

    turned: bool = False  # also start turned by 180 degrees
    shape_from_prompt: bool = False  # seed the start's phenotypes from the prompt's words

    @property
    def any(self) -> bool:
        return self.turned or self.shape_from_prompt


#: What ``genzi fit`` and the generator use: prompt body words seed the start's shape
#: (hold-out benchmark: a child on a stool 38 -> 21 mm); the 180-degree start stays off (it
#: made two of four tuning cases worse: the turned fit explained the 2D views better but
#: was further from the truth).
DEFAULT_STARTS = StartOptions(shape_from_prompt=True)


def _pelvis(body: BodyModel, params: dict) -> np.ndarray:
    with torch.no_grad():
        kp = body(params).keypoints[0].double().cpu().numpy()
    return 0.5 * (kp[_HIPS[0]] + kp[_HIPS[1]])


def turned(body: BodyModel, params: dict, angle_rad: float = math.pi) -> dict:
    """A copy of ``params`` turned by ``angle_rad`` about the vertical through the pelvis."""
    out = {k: v.detach().clone() for k, v in params.items()}
    before = _pelvis(body, out)
    r = rot6d_to_matrix(out["orientation"][0].double()).cpu().numpy()
    dtype = out["orientation"].dtype
    out["orientation"] = matrix_to_rot6d(torch.as_tensor(rotation_about_z(angle_rad) @ r, dtype=dtype))[None].to(body.device)
    after = _pelvis(body, out)
    out["translation"] = out["translation"] + torch.as_tensor(before - after, dtype=out["translation"].dtype, device=body.device)
    return out


def with_shape(body: BodyModel, params: dict, shape: torch.Tensor) -> dict:
    """A copy of ``params`` with another shape, its pelvis kept where it was."""
    out = {k: v.detach().clone() for k, v in params.items()}
    before = _pelvis(body, out)
    out["shape"] = torch.as_tensor(shape, dtype=out["shape"].dtype, device=body.device).reshape(out["shape"].shape).clone()
    after = _pelvis(body, out)
    out["translation"] = out["translation"] + torch.as_tensor(before - after, dtype=out["translation"].dtype, device=body.device)
    return out


def evidence_tensors(observations: Sequence[ViewObservation], settings: LiftingSettings, device):
    """(K, w2c, xy, conf, scale) of the usable views, as the fit reads them (None if none)."""
    prep = prepare_set(observations, settings, device)
    return None if prep is None else (prep.K, prep.w2c, prep.xy, prep.conf, prep.scale)


def explained_error(keypoints3d: np.ndarray, evidence, rho: float) -> float:
    """Mean robust reprojection error over all used views, equal view weights."""
    K, w2c, xy, conf, scale = evidence
    kp = torch.as_tensor(np.asarray(keypoints3d), dtype=torch.float32, device=K.device)
    with torch.no_grad():
        return float(per_view_reprojection(kp, K, w2c, xy, conf, scale, rho).sum(1).mean())


def named_starts(body: BodyModel, problem: FitProblem, settings: LiftingSettings,
                 options: StartOptions) -> dict[str, dict | None]:
    """The starts of one set by name: its own ``init`` (a round-2 seed) or None (the fit places
    it) when there is nothing extra to try, else the placed start (shape from the prompt's
    words, best yaw) and, when asked, the same start turned by 180 degrees."""
    if problem.init is not None or not options.any:
        return {"usual": problem.init}
    prep = prepare_set(problem.observations, settings, body.device)
    if prep is None:  # the fit drops the set with its own message
        return {"usual": None}
    posture = posture_from_prompt(problem.prompt) if settings.posture_from_prompt else None
    start = initial_params(body, [o.camera for o in prep.used], problem.target, posture)
    if options.shape_from_prompt:
        from pipeline.body.prompt_shape import phenotypes_from_prompt

        words = phenotypes_from_prompt(problem.prompt)
        shape = body.shape_from_phenotypes(words) if words else None
        if shape is not None:
            start = with_shape(body, start, shape)
    if settings.yaw_search:
        start = best_yaw_start(body, start, prep.K, prep.w2c, prep.xy, prep.conf, prep.scale, settings.rho)
    starts = {"usual": start}
    if options.turned:
        starts["turned 180 degrees"] = turned(body, start)
    return starts


def fit_sets_with_starts(
    body: BodyModel,
    problems: Sequence[FitProblem],
    sdf=None,
    settings: LiftingSettings | None = None,
    options: StartOptions = StartOptions(),
    emit: Callable | None = None,
    cancel=None,
) -> list[SetOutcome]:
    """Every set from each of its starts (:func:`named_starts`), all in one batched
    :func:`fit_bodies`; per set the fit that explains all views best is kept (its warnings
    say which start it came from). Live steps are reported for the usual start only."""
    settings = settings or LiftingSettings()
    expanded, owner, labels = [], [], []
    for i, problem in enumerate(problems):
        for label, init in named_starts(body, problem, settings, options).items():
            name = problem.name if label == "usual" else f"{problem.name} ({label})"
            expanded.append(replace(problem, init=init, name=name))
            owner.append(i)
            labels.append(label)
    extra = {p.name for p, label in zip(expanded, labels) if label != "usual"}

    def usual_only(event) -> None:
        if not (isinstance(event, LiftingStep) and event.set_name in extra):
            emit(event)

    outcomes = fit_bodies(body, expanded, sdf, settings, usual_only if emit is not None and extra else emit, cancel)
    out = []
    for i, problem in enumerate(problems):
        mine = [(labels[k], outcomes[k]) for k in range(len(expanded)) if owner[k] == i]
        usual = mine[0][1]
        finished = [(label, o) for label, o in mine if o.result is not None]
        if len(mine) == 1 or not finished:
            out.append(SetOutcome(problem.name, usual.result, usual.error))
            continue
        evidence = evidence_tensors(problem.observations, settings, body.device)
        scored = [(explained_error(o.result.keypoints3d, evidence, settings.rho), label, o) for label, o in finished]
        err, label, best = min(scored, key=lambda t: t[0])
        best.result.warnings.append(f"kept the fit from the {label} start of {len(mine)} (robust error {err:.4f})")
        out.append(SetOutcome(problem.name, best.result, None))
    return out


def fit_with_starts(
    body: BodyModel,
    observations: Sequence[ViewObservation],
    sdf=None,
    settings: LiftingSettings | None = None,
    options: StartOptions = StartOptions(),
    emit: Callable | None = None,
    cancel=None,
    *,
    target: np.ndarray | None = None,
    prompt: str | None = None,
    set_name: str = "",
) -> FitResult:
    """One set through :func:`fit_sets_with_starts`; raises ValueError when it cannot be fitted."""
    problem = FitProblem(observations, set_name, None, target, prompt)
    outcome = fit_sets_with_starts(body, [problem], sdf, settings, options, emit, cancel)[0]
    if outcome.result is None:
        raise ValueError(outcome.error)
    return outcome.result
