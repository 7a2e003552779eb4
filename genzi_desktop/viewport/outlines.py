"""Floor outlines in the viewport: the region being drawn and the plan's regions."""

from __future__ import annotations

import numpy as np
import pyvista as pv

SKETCH_COLOR = "#e8412c"
REGION_COLOR = "#2a9d4b"


def show_outline(viewport, key: str, points: np.ndarray | None, color: str = SKETCH_COLOR, corners: bool = True) -> None:
    """Draw (or with ``points`` None / empty, remove) a polyline through (N, 3) ``points``."""
    plotter = viewport.plotter
    with viewport.batch():
        for name in (f"outline-{key}", f"outline-{key}-corners"):
            plotter.remove_actor(name, render=False)
        if points is None or not len(points):
            return
        pts = np.asarray(points, dtype=np.float64)
        if len(pts) > 1:
            line = pv.lines_from_points(pts)
            plotter.add_mesh(line, color=color, line_width=3, name=f"outline-{key}", pickable=False, reset_camera=False)
        if corners:
            plotter.add_mesh(pv.PolyData(pts), color=color, point_size=9, render_points_as_spheres=True,
                             name=f"outline-{key}-corners", pickable=False, reset_camera=False)


def outline_keys(viewport) -> list[str]:
    """Keys of the outlines shown (tests and scripts check what is drawn)."""
    return sorted(str(k)[len("outline-"):] for k in viewport.plotter.actors
                  if str(k).startswith("outline-") and not str(k).endswith("-corners"))
