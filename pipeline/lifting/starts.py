"""More than one start for the multi-view fit, keeping the result that agrees best with all views.

Why: a crouching or leaning person started from the prompt's posture (or the neutral pose)
can end in a local minimum that a start from another posture preset avoids, and a person
seen mostly from behind fits as well facing the cameras as facing away. :func:`fit_sets_with_starts`
fits every set from the usual start and, as extra sets of the same batched optimisation,
from the sitting and standing presets, from the usual start with other heights, from a body
fitted to the triangulated detections (and, when asked, the usual start turned by 180 degrees
about the vertical through the pelvis). Per set it keeps the fit whose keypoints lie nearest
the points where the views' detections meet (``selection="consensus"``), or the one with the
lowest median per-view reprojection error (``"reprojection"``). Neither is the fit's own
view-confidence-weighted loss: that loss can lock onto a few agreeing views and call a fit
good that most views contradict. The prompt's body words (:mod:`pipeline.body.prompt_shape`)
can seed the starts' shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch

from pipeline.body.base import BodyModel
from pipeline.body.prompt_shape import phenotypes_from_prompt
from pipeline.core.posture_words import posture_from_prompt
from pipeline.core.rotations import matrix_to_rot6d, rot6d_to_matrix, rotation_about_z
from pipeline.core.events import LiftingStep
from pipeline.lifting.fit import FitProblem, FitResult, SetOutcome, ViewObservation, fit_bodies
from pipeline.lifting.placement import aligned_to_detections, body_frame, initial_params
from pipeline.lifting.problem import prepare_set
from pipeline.lifting.schedule import LiftingSettings
from pipeline.lifting.triangulated_start import fitted_to_points, trusted_points

#: a set's triangulated keypoints and which of them the views agree on
Points = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class StartOptions:
    """Which extra starts to try (none: exactly the single-start fit)."""

    turned: bool = False  # also start turned by 180 degrees
    shape_from_prompt: bool = False  # seed the starts' phenotypes from the prompt's words
    postures: tuple[str, ...] = ()  # also start from these posture presets ("sit", "stand", "lie")
    heights: tuple[float, ...] = ()  # also the usual start with these height phenotypes
    triangulated: bool = False  # also a start fitted to the detections' 3D meeting points
    selection: str = "reprojection"  # which fit to keep: see SELECTIONS

    @property
    def any(self) -> bool:
        return (self.turned or self.shape_from_prompt or bool(self.postures) or bool(self.heights)
                or self.triangulated)


#: What ``genzi fit`` and the generator use: prompt body words seed the start's shape
#: (hold-out benchmark: a child on a stool 38 -> 21 mm) and the sitting and standing presets
#: are extra starts (hold-out tuning half: crouch_cabinet 56.5 -> 34.9 mm clean, 46.3 -> 41.2
#: with outliers; benchmarks/results/lifting_holdout_round3.md). The 180-degree start stays
#: off: it changed the tuning half's worst cases for the worse or not at all. The usual start
#: is also fitted as a short and a tall person (height phenotypes 0.25, 0.75): the shape prior
#: and the slow shape steps keep a fit near its start's height, and a wrong height moves the
#: hips along the thighs (hold-out tuning half, outliers median 25.9 -> 21.5 mm, clean seed 1
#: worst 42.9 -> 36.8; benchmarks/results/lifting_holdout_round4.md). A start fitted to the
#: triangulated detections joins them, and the kept fit is the one nearest the points the
#: views agree on: over the tuning half's 9 runs (3 conditions, 3 seeds) the mean went 26.9 ->
#: 25.9 mm, no run's median or worst case got worse, and the worst clothed case went 70.2 ->
#: 52.2 mm (benchmarks/results/lifting_holdout_round9.md).
DEFAULT_STARTS = StartOptions(shape_from_prompt=True, postures=("sit", "stand"), heights=(0.25, 0.75),
                              triangulated=True, selection="consensus")

#: How a set's fit is chosen among its starts' fits:
#: - "reprojection": the lowest :func:`median_view_error_px`;
#: - "consensus": the lowest :func:`consensus_error_mm`, the mean 3D distance of the fit's
#:   keypoints to the points where the views' detections meet (views showing someone else
#:   left out keypoint by keypoint); "reprojection" when the views agree on too few keypoints.
SELECTIONS = ("reprojection", "consensus")
#: "consensus" chooses only among fits whose median view error is at most this factor times the
#: best one's plus this many pixels (a safety net; it changed no choice on the tuning half)
CONSENSUS_PX_FACTOR = 1.5
CONSENSUS_PX_SLACK = 2.0


def _pelvis(body: BodyModel, params: dict) -> np.ndarray:
    with torch.no_grad():
        kp = body(params).keypoints[0].double().cpu().numpy()
    return body_frame(kp)[0]


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


def median_view_error_px(result: FitResult) -> float:
    """Median over the used views of the fit's mean keypoint reprojection error (pixels):
    how well the fit explains the views, every view counted alike and a minority of views
    it cannot explain (outliers) ignored."""
    errors = [e for e in result.reprojection_error_px.values() if np.isfinite(e)]
    return float(np.median(errors)) if errors else float("inf")


def consensus_error_mm(result: FitResult, points: np.ndarray, ok: np.ndarray) -> float:
    """Mean distance (mm) of the fit's keypoints to the triangulated ``points`` where ``ok``."""
    return float(1000.0 * np.linalg.norm(np.asarray(result.keypoints3d)[ok] - points[ok], axis=1).mean())


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def named_starts(body: BodyModel, problem: FitProblem, settings: LiftingSettings,
                 options: StartOptions, cancel=None) -> tuple[dict[str, dict | None], Points | None]:
    """The starts of one set by name, and the set's :func:`trusted_points` when the triangulated
    start or the consensus selection asks for them (computed once for both).

    The starts: its own ``init`` (a round-2 seed) or None (the fit places it) when there is
    nothing extra to try, else the placed start (the prompt's posture, shape from the prompt's
    words, best yaw), the same from each of ``options.postures`` (a start equal to one already
    there, e.g. the prompt's own posture, is left out) and, when asked, the usual start turned
    by 180 degrees and a start fitted to the trusted points
    (:mod:`pipeline.lifting.triangulated_start`)."""
    if problem.init is not None or not options.any:
        return {"usual": problem.init}, None
    prep = prepare_set(problem.observations, settings, body.device)
    if prep is None:  # the fit drops the set with its own message
        return {"usual": None}, None
    points = trusted_points(prep) if options.triangulated or options.selection == "consensus" else None
    words = phenotypes_from_prompt(problem.prompt) if options.shape_from_prompt else {}
    shape = body.shape_from_phenotypes(words) if words else None

    def placed_start(posture: str | None) -> dict:
        start = initial_params(body, [o.camera for o in prep.used], problem.target, posture)
        if shape is not None:
            start = with_shape(body, start, shape)
        return aligned_to_detections(body, start, prep, settings)

    usual = placed_start(posture_from_prompt(problem.prompt) if settings.posture_from_prompt else None)
    starts = {"usual": usual}
    for posture in options.postures:
        start = placed_start(posture)
        if not any(_same(start, other) for other in starts.values()):
            starts[f"{posture} preset"] = start
    pinned = "height" in body.fixed_phenotypes
    for h in options.heights if "height" in body.phenotype_names and not pinned else ():
        starts[f"height {h:g}"] = with_shape(body, usual, body.shape_from_phenotypes({**words, "height": float(h)}))
    if options.turned:
        starts["turned 180 degrees"] = turned(body, usual)
    if options.triangulated and points is not None:
        starts["triangulated"] = fitted_to_points(body, usual, *points, cancel=cancel)
    return starts, points


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
    :func:`fit_bodies`; per set the fit that ``options.selection`` prefers is kept (its
    warnings say which start it came from). Live steps are reported for the usual start only."""
    if options.selection not in SELECTIONS:
        raise ValueError(f"Unknown start selection {options.selection!r}; choose from {SELECTIONS}.")
    settings = settings or LiftingSettings()
    expanded, owner, labels, consensus = [], [], [], []
    for i, problem in enumerate(problems):
        starts, points = named_starts(body, problem, settings, options, cancel)
        consensus.append(points if options.selection == "consensus" else None)
        for label, init in starts.items():
            name = problem.name if label == "usual" else f"{problem.name} ({label})"
            expanded.append(replace(problem, init=init, name=name, points=points))
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
        if consensus[i] is not None:
            # only among fits that explain the views nearly as well as the best one does
            best_px = min(median_view_error_px(o.result) for _, o in finished)
            near = [(label, o) for label, o in finished
                    if median_view_error_px(o.result) <= CONSENSUS_PX_FACTOR * best_px + CONSENSUS_PX_SLACK]
            scored = [(consensus_error_mm(o.result, *consensus[i]), label, o) for label, o in near]
            what = "mean distance to the views' triangulated keypoints {:.1f} mm"
        else:
            scored = [(median_view_error_px(o.result), label, o) for label, o in finished]
            what = "median view reprojection error {:.2f} px"
        err, label, best = min(scored, key=lambda t: t[0])
        best.result.warnings.append(f"kept the fit from the {label} start of {len(mine)} ({what.format(err)})")
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
