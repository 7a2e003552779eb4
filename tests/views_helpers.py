"""Small synthetic scenes and the sample scene for the view-selection and render tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.source import as_scene

SAMPLE_SCENE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"


def box(lo, hi) -> trimesh.Trimesh:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    b = trimesh.creation.box(extents=hi - lo)
    b.apply_translation((lo + hi) / 2.0)
    return b


def scene_of(*parts):
    return as_scene(trimesh.util.concatenate(list(parts)))


def cupboard_scene(lip: float = 0.2, closed: bool = False):
    """A cupboard open towards +x with a front lip; the inner bottom's top is at z = 0.8."""
    parts = [
        box([-3, -3, -0.02], [3, 3, 0]),  # floor
        box([-0.25, -0.32, 0.78], [0.25, 0.32, 0.80]),  # inner bottom
        box([-0.25, -0.32, 1.30], [0.25, 0.32, 1.32]),  # top
        box([-0.27, -0.32, 0.78], [-0.25, 0.32, 1.32]),  # back
        box([-0.25, -0.34, 0.78], [0.25, -0.32, 1.32]),  # sides
        box([-0.25, 0.32, 0.78], [0.25, 0.34, 1.32]),
        box([0.23, -0.32, 0.80], [0.25, 0.32, 0.80 + lip]),  # front lip
        box([-0.25, -0.32, 0.0], [0.25, 0.32, 0.78]),  # base
    ]
    if closed:
        parts.append(box([0.25, -0.34, 0.78], [0.27, 0.34, 1.32]))  # door
    return scene_of(*parts)


def sofa_seat_point(scene) -> np.ndarray:
    """The sofa's seat: the first surface straight below (0, -2.41) from above the sofa."""
    hits = scene.raycast(np.array([[0.0, -2.41, 2.0]]), np.array([[0.0, 0.0, -1.0]]))
    assert hits.hit[0]
    return hits.points[0]
