"""A floor region being drawn in the viewport: its corners, undo of the last one, closing it.

No Qt here: the viewport reports clicks, :func:`pipeline.populate.regions.floor_point` turns
them into floor-plan corners, and this keeps them until the region is closed or cancelled.
"""

from __future__ import annotations

import numpy as np

from pipeline.populate.plan import PlanError
from pipeline.populate.regions import polygon_problem

SAME_CORNER_M = 0.02  # a second click this close to the last corner (a double-click's first half) adds none
LIFT_M = 0.02  # the outline is drawn this far above the floor, so the floor does not hide it


class RegionSketch:
    """Corners of a ``kind`` ("region" or "seats") polygon on the floor at height ``floor_z``."""

    def __init__(self, kind: str, floor_z: float) -> None:
        if kind not in ("region", "seats"):
            raise ValueError(f"kind {kind!r}: draw a 'region' or 'seats'")
        self.kind, self.floor_z = kind, float(floor_z)
        self.corners: list[list[float]] = []

    def add(self, xy) -> bool:
        """Add a corner; False when it repeats the last one."""
        xy = [float(v) for v in np.asarray(xy, dtype=np.float64)[:2]]
        if self.corners and np.hypot(*(np.subtract(xy, self.corners[-1]))) < SAME_CORNER_M:
            return False
        self.corners.append(xy)
        return True

    def undo(self) -> bool:
        """Remove the last corner; False when there is none."""
        return self.corners.pop() is not None if self.corners else False

    def finish(self) -> list[list[float]]:
        """The closed polygon; :class:`PlanError` says what to fix when it is not a usable region."""
        problem = polygon_problem(self.corners)
        if problem:
            raise PlanError(problem)
        return [list(c) for c in self.corners]

    def outline(self, closed: bool = False) -> np.ndarray:
        """(N, 3) points of the drawn outline just above the floor (the first repeated when closed)."""
        pts = [[x, y, self.floor_z + LIFT_M] for x, y in self.corners]
        if closed and len(pts) > 2:
            pts.append(pts[0])
        return np.asarray(pts, dtype=np.float64).reshape(-1, 3)
