"""Automatic camera selection around a target point, the first step of GenZI.

Why: the inpainting model needs views from which the surface the person interacts with is
clearly visible, and the keypoint detector needs the whole person inside the image. This
module samples Fibonacci directions around the target, frames each candidate, measures how
much of the surface patch at the target it really sees (ray casts against the whole scene,
so occluders count) and keeps the best views. When nothing passes it relaxes the rules step
by step and says so; when even that fails it raises :class:`NoViewsError` with advice.

Every number is a field of :class:`ViewSelectionSettings`; the defaults are the paper's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from pipeline.core.posture_words import posture_from_prompt
from pipeline.scene.source import as_scene
from pipeline.views.cameras import WORLD_UP, Camera
from pipeline.views.patch import build_patch, flipped, lowest_surface_below, nearest_surface_point
from pipeline.views.selection_types import (
    FRAMINGS,
    NoViewsError,
    SurfacePatch,
    TargetNotOnSurfaceError,
    ViewSelection,
    ViewSelectionError,
    ViewSelectionSettings,
)
from pipeline.views.visibility import patch_visibility, person_axis_visibility

__all__ = [
    "NoViewsError", "SurfacePatch", "TargetNotOnSurfaceError", "ViewSelection", "ViewSelectionError",
    "ViewSelectionSettings", "build_patch", "fibonacci_directions", "lowest_surface_below",
    "nearest_surface_point", "patch_visibility", "person_axis_visibility", "prompt_implies_standing",
    "select_views",
]  # fmt: skip


def fibonacci_directions(n: int) -> np.ndarray:
    """``n`` unit vectors spread evenly on the sphere (golden-angle spiral), deterministic."""
    i = np.arange(n, dtype=np.float64) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    phi = math.pi * (3.0 - math.sqrt(5.0)) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def prompt_implies_standing(prompt: str | None) -> bool:
    """True when the prompt asks for a standing or walking person (and no other posture)."""
    return posture_from_prompt(prompt) == "stand"


# ------------------------------------------------------------------------------------------
# candidates and visibility
# ------------------------------------------------------------------------------------------
def _camera_rotation(forward: np.ndarray) -> np.ndarray:
    """World-to-camera rotation (OpenCV rows x, y, z) looking along ``forward`` with Z up."""
    z = forward / np.linalg.norm(forward)
    x = np.cross(z, WORLD_UP)
    if np.linalg.norm(x) < 1e-9:
        x = np.cross(z, np.array([0.0, 1.0, 0.0]))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def _standing_distance(
    look_at: np.ndarray, direction: np.ndarray, points: np.ndarray, settings: ViewSelectionSettings
) -> float:
    """Smallest distance from ``look_at`` along ``direction`` at which all ``points`` fit.

    The camera orientation does not depend on the distance, so a point's camera coordinates
    are R (X - L) + (0, 0, D) and the fit condition |x| <= t z is linear in D.
    """
    R = _camera_rotation(-direction)
    c = (points - look_at) @ R.T
    f = 0.5 * settings.image_size / math.tan(math.radians(settings.fov_y_deg) / 2.0)
    t = (0.5 - settings.framing_margin) * settings.image_size / f
    need = np.maximum(np.abs(c[:, 0]), np.abs(c[:, 1])) / t - c[:, 2]
    return float(need.max())


@dataclass
class _Stage:
    cameras: list[Camera]
    ratios: np.ndarray
    candidates: int
    capped: int  # standing views where the person could not be fitted within max distance


def _evaluate(scene, patch, target, normal, framing, base_z, settings: ViewSelectionSettings) -> _Stage:
    dirs = fibonacci_directions(settings.num_directions)
    elevation = np.degrees(np.arcsin(np.clip(dirs @ WORLD_UP, -1.0, 1.0)))
    keep = (elevation > settings.min_elevation_deg) & (elevation < settings.max_elevation_deg)
    if settings.use_normal:
        angle = np.degrees(np.arccos(np.clip(dirs @ normal, -1.0, 1.0)))
        keep &= angle < settings.max_normal_angle_deg
    dirs = dirs[keep]

    if framing == "standing":
        look_at = np.array([target[0], target[1], base_z + 0.5 * settings.person_height])
        w = 0.5 * settings.person_width
        corners = np.array(
            [[target[0] + sx * w, target[1] + sy * w, base_z + sz * settings.person_height]
             for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)]
        )
        must_fit = np.vstack([corners, target[None]])
    else:
        look_at = target.copy()

    cameras, capped = [], 0
    for d in dirs:
        dist = settings.distance
        if framing == "standing":
            need = _standing_distance(look_at, d, must_fit, settings)
            if need > settings.max_standing_distance:
                capped += 1
                need = settings.max_standing_distance
            dist = max(dist, need)
        cam = Camera.looking_at(
            look_at + dist * d, look_at, fov_y_deg=settings.fov_y_deg,
            width=settings.image_size, height=settings.image_size,
        )
        cameras.append(cam)
    ratios = patch_visibility(scene, patch, cameras, settings.occlusion_tolerance, settings.visibility_method)
    if framing == "standing" and cameras:
        # the person, not only the floor patch, must be in sight: drop cameras that see
        # too little of the standing person's axis (e.g. stepped back into furniture)
        axis = np.array([[target[0], target[1], base_z + h * settings.person_height] for h in (0.15, 0.35, 0.55, 0.75, 0.95)])
        seen = person_axis_visibility(scene, axis, cameras)
        ratios = np.where(seen >= settings.min_person_visible, ratios, 0.0)
    return _Stage(cameras, ratios, len(dirs), capped)


def _relaxation_steps(settings: ViewSelectionSettings, framing: str):
    """(description, settings) pairs, each step keeping the previous relaxations."""
    current = settings
    if framing != "standing":  # a standing person must fit, so its distance is not shortened
        for d in settings.relax_distances:
            if d < current.distance:
                yield f"distance {current.distance:g} -> {d:g} m", (current := replace(current, distance=d))
    lo, hi = settings.relax_elevation_deg
    if lo < current.min_elevation_deg or hi > current.max_elevation_deg:
        text = (f"elevation band {current.min_elevation_deg:g}..{current.max_elevation_deg:g}"
                f" -> {lo:g}..{hi:g} deg")
        yield text, (current := replace(current, min_elevation_deg=lo, max_elevation_deg=hi))
    for v in settings.relax_min_visibility:
        if v < current.min_visibility:
            yield f"visibility threshold {current.min_visibility:g} -> {v:g}", (current := replace(current, min_visibility=v))


# ------------------------------------------------------------------------------------------
# main entry
# ------------------------------------------------------------------------------------------
def select_views(
    scene: Any,
    target: Sequence[float],
    *,
    normal: Sequence[float] | None = None,
    settings: ViewSelectionSettings | None = None,
    framing: str = "auto",
    prompt: str | None = None,
) -> ViewSelection:
    """Choose cameras around ``target`` from which the surface there is well visible.

    ``scene``: a loaded scene (``geometries``/``mesh``) or a scene file path.
    ``framing``: "target" aims at the target (the paper; seats, beds); "standing" aims above
    it and steps back until a ``person_height`` x ``person_width`` person standing at the
    target fits; "auto" picks "standing" for floor targets or prompts that imply standing.
    Raises :class:`TargetNotOnSurfaceError` for a point in empty air and :class:`NoViewsError`
    when no view passes even after relaxation.
    """
    settings = settings or ViewSelectionSettings()
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, not {framing!r}")
    scene = as_scene(scene)
    mesh = scene.mesh
    p = np.asarray(target, dtype=np.float64).reshape(-1)
    if p.shape != (3,) or not np.all(np.isfinite(p)):
        raise ValueError(f"the target must be three finite numbers x y z (metres), got {target!r}")
    warnings: list[str] = []

    nearest, gap, _ = nearest_surface_point(scene, p)
    if gap > settings.snap_distance:
        raise TargetNotOnSurfaceError(
            f"the target {np.round(p, 3).tolist()} is not on a surface: the nearest surface is "
            f"{gap:.2f} m away at {np.round(nearest, 3).tolist()}. Pick a point on a surface "
            f"(a seat, the floor, a table top) or use that nearest point.",
            nearest=nearest, distance=gap,
        )
    if gap > 1e-3:
        warnings.append(f"target moved {gap:.3f} m onto the nearest surface at {np.round(nearest, 3).tolist()}")
        p = nearest

    patch = build_patch(mesh, p, settings)
    if normal is not None:
        n = np.asarray(normal, dtype=np.float64).reshape(3)
        if not np.all(np.isfinite(n)) or np.linalg.norm(n) < 1e-9:
            raise ValueError(f"the normal must be a non-zero vector x y z, got {normal!r}")
        n = n / np.linalg.norm(n)
    else:
        n = patch.normal

    base_z = lowest_surface_below(scene, p)
    on_floor = p[2] - base_z <= settings.floor_tolerance
    if framing == "auto":
        framing = "standing" if (on_floor or prompt_implies_standing(prompt)) else "target"
    if on_floor:
        base_z = float(p[2])  # the person stands at the target; otherwise on the floor below it

    relaxed: list[str] = []
    stage = _evaluate(scene, patch, p, n, framing, base_z, settings)
    used = settings
    passing = np.nonzero(stage.ratios > used.min_visibility)[0]
    if len(passing) < settings.min_views:
        # triangles facing into the object (inverted winding) look like a hidden surface:
        # try the other side before relaxing any rule
        other = flipped(patch)
        other_n = other.normal if normal is None else n  # a normal the user gave is kept
        other_stage = _evaluate(scene, other, p, other_n, framing, base_z, settings)
        other_passing = np.nonzero(other_stage.ratios > used.min_visibility)[0]
        if len(other_passing) > len(passing):
            patch, n, stage, passing = other, other_n, other_stage, other_passing
            warnings.append("the surface at the target faces into its object (inverted triangles?); "
                            "used its other side")
    if len(passing) < settings.min_views:
        for text, step_settings in _relaxation_steps(settings, framing):
            relaxed.append(text)
            used = step_settings
            stage = _evaluate(scene, patch, p, n, framing, base_z, used)
            passing = np.nonzero(stage.ratios > used.min_visibility)[0]
            if len(passing) >= settings.min_views:
                break
    if len(passing) == 0:
        raise NoViewsError(
            f"no camera sees the surface at the target {np.round(p, 3).tolist()} well enough, even after "
            f"relaxing ({'; '.join(relaxed) or 'nothing to relax'}). The spot is probably enclosed or "
            f"hidden (inside a cupboard, under furniture, against a wall). Move the target onto an open "
            f"surface that can be seen from around it, or place the cameras by hand."
        )
    if relaxed:
        warnings.append("no view passed the paper's rules; relaxed: " + "; ".join(relaxed))

    order = passing[np.argsort(-stage.ratios[passing], kind="stable")][: settings.max_views]
    cameras = []
    for k, i in enumerate(order):
        cam = stage.cameras[i]
        cam.name = f"view_{k:02d}"
        cameras.append(cam)
    if framing == "standing" and stage.capped:
        warnings.append(
            f"a standing person does not fully fit in some candidate views within {settings.max_standing_distance:g} m"
        )
    if len(cameras) < settings.max_views and len(cameras) < 8:
        warnings.append(f"only {len(cameras)} views see the target well; results may be less reliable")
    return ViewSelection(
        cameras=cameras,
        visibility=[float(stage.ratios[i]) for i in order],
        target=p,
        normal=n,
        patch=patch,
        framing=framing,
        relaxed=relaxed,
        warnings=warnings,
        candidates=stage.candidates,
        settings=used,
    )
