"""Is the target in the scene at all? A point far outside the scene's box (a typo, a unit
slip, the wrong file) would silently fit bodies metres away from anything; it is refused
with a message instead. A point in empty air inside the room stays allowed (a person may
float above a floor the views can still see)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

#: How far outside the scene's bounding box a target may lie (metres): a person standing at
#: the edge of a terrace is inside this, a target 100 m away is not.
MAX_OUTSIDE_M = 1.0


class TargetOutsideSceneError(ValueError):
    """The target is not a finite point in or near the scene."""


def check_target_near_scene(scene, target: Sequence[float], max_outside: float = MAX_OUTSIDE_M) -> None:
    """Raise :class:`TargetOutsideSceneError` for a non-finite target or one more than
    ``max_outside`` metres outside ``scene.bounds``."""
    point = np.asarray(target, dtype=np.float64).reshape(-1)
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise TargetOutsideSceneError(f"The target must be three finite numbers X Y Z (metres), got {point.tolist()}.")
    lo, hi = np.asarray(scene.bounds, dtype=np.float64)
    outside = float(np.linalg.norm(np.maximum(lo - point, 0.0) + np.maximum(point - hi, 0.0)))
    if outside > max_outside:
        box = ", ".join(f"{a:.2f}..{b:.2f}" for a, b in zip(lo, hi))
        raise TargetOutsideSceneError(
            f"The target {np.round(point, 3).tolist()} is {outside:.1f} m outside the scene, whose extent is "
            f"X Y Z = {box} (metres, Z up). Pick a point on the scene (check the units and the axis order).")
