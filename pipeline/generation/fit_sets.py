"""Detect the painted person in a folder of hypothesis images and fit one body per set.

Shared by ``genzi fit`` and the end-to-end generator. A hypothesis folder holds either one
set (``view_XX.png`` per view, missing views allowed) or several (``set_K/view_XX.png``);
image stems must match the view names of ``views.json``.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pipeline.core.atomic import write_file_atomic, write_json_atomic
from pipeline.body.base import KEYPOINT_NAMES, BodyModel
from pipeline.views.cameras import Camera
from pipeline.core.events import CancelToken, KeypointsDetected
from pipeline.generation.results import FitRecord
from pipeline.lifting.fit import FitResult, ViewObservation
from pipeline.lifting.schedule import LiftingSettings
from pipeline.lifting.starts import DEFAULT_STARTS, StartOptions

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class HypothesisFolderError(ValueError):
    """The hypothesis folder holds nothing that matches the views."""


@dataclass
class HypothesisSet:
    name: str  # "set_0", ...
    images: dict[str, Path]  # view name -> image file


@dataclass
class SetFit:
    """One set's outcome: the fit (None if it failed), its observations and metrics."""

    name: str
    observations: list[ViewObservation]
    result: FitResult | None = None
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    detection_notes: dict[str, str] = field(default_factory=dict)  # view -> reason it was unusable


def _set_index(name: str) -> int:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else 0


def find_hypothesis_sets(hyp_dir: str | Path, view_names: Sequence[str]) -> list[HypothesisSet]:
    """The sets in ``hyp_dir`` (flat: one set ``set_0``; or ``set_K`` sub-folders)."""
    root = Path(hyp_dir)
    if not root.is_dir():
        raise HypothesisFolderError(f"hypothesis folder {root} does not exist")
    names = set(view_names)

    def images_in(folder: Path) -> dict[str, Path]:
        found = {}
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and f.stem in names:
                found[f.stem] = f
        return found

    subdirs = sorted((d for d in root.iterdir() if d.is_dir() and re.fullmatch(r"set_\d+", d.name)), key=lambda d: _set_index(d.name))
    sets = [HypothesisSet(d.name, images_in(d)) for d in subdirs]
    sets = [s for s in sets if s.images]
    flat = images_in(root)
    if flat and not any(s.name == "set_0" for s in sets):
        sets.insert(0, HypothesisSet("set_0", flat))
    if not sets:
        raise HypothesisFolderError(
            f"no hypothesis images in {root}: expected view images named like the views "
            f"({', '.join(sorted(names)[:3])}, ...) with suffix .png/.jpg, directly or in set_K/ folders"
        )
    return sets


def load_image(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def observations_for_set(
    hset: HypothesisSet,
    cameras: Sequence[Camera],
    detector,
    target: np.ndarray | None = None,
    emit: Callable | None = None,
) -> tuple[list[ViewObservation], dict[str, str]]:
    """Detect keypoints in every image of a set; returns observations for the views that
    have an image (unusable detections are kept with ``valid=False``) and the reasons."""
    by_name = {c.name: c for c in cameras}
    obs, notes = [], {}
    for view, path in sorted(hset.images.items()):
        cam = by_name[view]
        image = load_image(path)
        if image.shape[1] != cam.width or image.shape[0] != cam.height:
            notes[view] = f"image is {image.shape[1]}x{image.shape[0]}, the view is {cam.width}x{cam.height}"
            continue
        near = None
        if target is not None:
            uv, depth = cam.project(np.asarray(target, dtype=np.float64)[None])
            near = uv[0] if depth[0] > 0 else None
        kp = detector.detect(image, near=near, view=view)
        if emit is not None:
            packed = None if not np.isfinite(kp.keypoints).any() else np.concatenate([kp.keypoints, kp.conf[:, None]], 1)
            emit(KeypointsDetected(view, _set_index(hset.name), packed, bool(kp.valid), kp.reason))
        if not kp.valid:
            notes[view] = kp.reason or "not valid"
        obs.append(ViewObservation(view, cam, np.asarray(kp.keypoints, float), np.asarray(kp.conf, float), bool(kp.valid)))
    return obs, notes


def fit_observed_sets(
    body: BodyModel,
    sets: Sequence[tuple[str, list[ViewObservation]]],
    sdf=None,
    settings: LiftingSettings | None = None,
    *,
    inits: dict[str, dict] | None = None,
    target: np.ndarray | None = None,
    prompt: str | None = None,
    emit: Callable | None = None,
    cancel: CancelToken | None = None,
    starts: StartOptions | None = None,
) -> list[SetFit]:
    """The one fit path of ``genzi fit``, a run and the desktop: every ``(name, observations)``
    set fitted together in one batched optimisation, with scene metrics.

    ``inits``: start parameters per set name (a round-2 seed). ``starts``: extra starts for
    the sets without a seed, fitted as extra sets of the same batch (None: ``DEFAULT_STARTS``,
    :mod:`pipeline.lifting.starts`). A set that cannot be fitted (no usable view, a diverged
    fit) comes back with ``error``; the others are unaffected.
    """
    from pipeline.lifting.fit import FitProblem
    from pipeline.lifting.metrics import scene_metrics
    from pipeline.lifting.starts import fit_sets_with_starts

    settings = settings or LiftingSettings()
    inits = inits or {}
    starts = DEFAULT_STARTS if starts is None else starts
    problems = [FitProblem(obs, name, inits.get(name), target, prompt) for name, obs in sets]
    outcomes = fit_sets_with_starts(body, problems, sdf, settings, starts, emit, cancel)
    fits = []
    for (name, obs), outcome in zip(sets, outcomes):
        fit = SetFit(name, list(obs), outcome.result, error=outcome.error)
        if sdf is not None and fit.result is not None:
            fit.metrics = scene_metrics(sdf, fit.result.vertices, settings.contact_tolerance)
        fits.append(fit)
    return fits


def iter_fit_hypothesis_sets(
    body: BodyModel,
    cameras: Sequence[Camera],
    sets: Sequence[HypothesisSet],
    sdf=None,
    settings: LiftingSettings | None = None,
    *,
    target: np.ndarray | None = None,
    prompt: str | None = None,
    detector=None,
    emit: Callable | None = None,
    cancel: CancelToken | None = None,
    observations: dict[str, list[ViewObservation]] | None = None,
    starts: StartOptions | None = None,
):
    """:func:`fit_hypothesis_sets` as a generator: every set is detected, then all are fitted
    together through :func:`fit_observed_sets` and handed out one by one, so a caller that is
    stopped while handling them keeps the ones it has."""
    if detector is None and observations is None:
        from pipeline.keypoints.blazepose import KeypointDetector

        detector = KeypointDetector()
    observed, notes = [], {}
    for hset in sets:
        if cancel is not None:
            cancel.check()
        if observations is not None and hset.name in observations:
            obs, notes[hset.name] = observations[hset.name], {}
        else:
            obs, notes[hset.name] = observations_for_set(hset, cameras, detector, target, emit)
        observed.append((hset.name, obs))
    fits = fit_observed_sets(body, observed, sdf, settings, target=target, prompt=prompt, emit=emit, cancel=cancel,
                             starts=starts)
    for fit in fits:
        fit.detection_notes = notes[fit.name]
        yield fit


def fit_hypothesis_sets(*args, **kwargs) -> list[SetFit]:
    """Detect (unless ``observations`` are given per set name) and fit every set; the
    arguments of :func:`iter_fit_hypothesis_sets`, all results at once.

    A set without any usable view is reported with ``error`` instead of raising, so one bad
    set never stops the others. ``starts``: extra starts (posture presets, 180-degree turn,
    shape words of the prompt, :mod:`pipeline.lifting.starts`); None: ``DEFAULT_STARTS``.
    """
    return list(iter_fit_hypothesis_sets(*args, **kwargs))


fit_hypothesis_sets.__signature__ = inspect.signature(iter_fit_hypothesis_sets).replace(return_annotation="list[SetFit]")


def fit_record(body: BodyModel, fit: SetFit, round_index: int = 0) -> FitRecord:
    """A run's record of one fitted set (``round_R/fits/set_K.json``)."""
    r = fit.result
    reprojection = {k: float(v) for k, v in r.reprojection_error_px.items()}
    return FitRecord(
        set_name=fit.name,
        round=round_index,
        params=body.params_to_json(r.params),
        keypoints3d={n: [float(x) for x in p] for n, p in zip(KEYPOINT_NAMES, r.keypoints3d)},
        view_weights={k: float(v) for k, v in r.view_weights.items()},
        reprojection_px=reprojection,
        metrics={**fit.metrics, "reprojection_px": reprojection, "seconds": float(r.seconds),
                 "iterations": int(r.iterations)},
        used_views=list(r.used_views),
        model=getattr(body, "name", "body"),
        warnings=list(r.warnings),
        vertices=r.vertices,
        faces=np.asarray(body.faces),
    )


def report_entry(body: BodyModel, fit: SetFit, mesh_name: str) -> dict:
    """One ``bodies[]`` entry of report.json (keys are a contract other tools read)."""
    r = fit.result
    m = fit.metrics
    return {
        "set": fit.name,
        "model": getattr(body, "name", "body"),
        "params": body.params_to_json(r.params),
        "keypoints3d": {n: [float(x) for x in p] for n, p in zip(KEYPOINT_NAMES, r.keypoints3d)},
        "metrics": {
            "non_collision": float(m["non_collision"]) if m else None,
            "contact": bool(m["contact"]) if m else None,
            "max_penetration_m": float(m["max_penetration_m"]) if m else None,
        },
        "view_weights": {k: float(v) for k, v in sorted(r.view_weights.items())},
        "mesh": mesh_name,
    }


def write_fit_outputs(out_dir: str | Path, body: BodyModel, fits: Sequence[SetFit],
                      scene: str | Path | None = None) -> Path:
    """``OUT/body_K.obj`` per fitted set and ``OUT/report.json``; returns the report path.

    ``scene`` (the fitted scene file) is recorded so ``genzi export --with-scene`` finds it.
    Bodies of an earlier fit into the same folder that this one did not make are removed, so
    the folder never mixes two fits."""
    import trimesh

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bodies, failed = [], []
    for fit in fits:
        if fit.result is None:
            failed.append({"set": fit.name, "reason": fit.error or "failed", "views": fit.detection_notes})
            continue
        mesh_name = f"body_{_set_index(fit.name)}.obj"
        mesh = trimesh.Trimesh(fit.result.vertices, np.asarray(body.faces), process=False)
        write_file_atomic(out / mesh_name, lambda tmp, mesh=mesh: mesh.export(str(tmp), file_type="obj"))
        bodies.append(report_entry(body, fit, mesh_name))
    kept = {b["mesh"] for b in bodies}
    for old in out.glob("body_*.obj"):
        if re.fullmatch(r"body_\d+\.obj", old.name) and old.name not in kept:
            old.unlink()
    report = {"bodies": bodies}
    if scene is not None:
        report["scene"] = str(Path(scene).expanduser().resolve())
    if failed:
        report["failed"] = failed
    return write_json_atomic(out / "report.json", report)
