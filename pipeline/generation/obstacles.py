"""Bodies already placed in the scene, as obstacles for the next person's fit.

When many people are put into one design, each later fit must keep out of the earlier
bodies as well as out of the furniture. The cheapest way that reuses the fit's existing
non-penetration term is to fold the bodies into the scene's signed distance grid: the grid
holds ``min(scene distance, distance to the nearest body)``, so every loss and metric that
reads the grid sees the other people too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Mesh = tuple[np.ndarray, np.ndarray]  # (vertices (V, 3), faces (F, 3)), world Z-up metres


def body_signed_distance(points: np.ndarray, obstacles: Sequence[Mesh]) -> np.ndarray:
    """Signed distance (N,) from ``points`` to the nearest obstacle body (negative inside).

    The sign comes from the generalised winding number, which tolerates the small openings a
    body mesh may have (eyes, mouth). ``inf`` everywhere when there is no obstacle.
    """
    from pipeline.scene.mesh_query import MeshQuery

    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    best = np.full(len(points), np.inf)
    for vertices, faces in obstacles:
        query = MeshQuery(np.asarray(vertices, dtype=np.float64), np.asarray(faces), winding=True)
        distance, inside = query.distance_and_inside(points, mode="winding")
        best = np.minimum(best, np.where(inside, -distance, distance))
    return best


def merge_into_grid(grid, obstacles: Sequence[Mesh]):
    """The scene grid with the obstacle bodies folded in (the same grid when there are none)."""
    obstacles = [o for o in obstacles or () if len(o[1])]
    if not obstacles:
        return grid
    nx, ny, nz = grid.shape
    axes = [grid.origin[i] + grid.spacing * np.arange(n) for i, n in enumerate((nx, ny, nz))]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    bodies = body_signed_distance(points, obstacles).reshape(nx, ny, nz)
    values = np.minimum(grid.values, bodies.astype(np.float32))
    info = dict(grid.info, obstacle_bodies=len(obstacles))
    return type(grid)(origin=grid.origin, spacing=grid.spacing, values=values, info=info)


def penetration_into_bodies(vertices: np.ndarray, obstacles: Sequence[Mesh]) -> dict:
    """How deep a body reaches into the other bodies: max depth (m) and vertices inside."""
    obstacles = [o for o in obstacles or () if len(o[1])]
    if not obstacles:
        return {"person_penetration_max_m": 0.0, "person_penetration_vertices": 0}
    d = body_signed_distance(vertices, obstacles)
    inside = d < 0
    return {
        "person_penetration_max_m": float(max(0.0, -d.min())),
        "person_penetration_vertices": int(inside.sum()),
    }
