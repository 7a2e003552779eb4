"""Which surface a click means: the first surface along the click's ray that the user sees.

A viewer that hides back faces (to look into a room from outside) shows nothing where the ray
meets a wall from behind, so a pick must pass through such faces too, or the click would land
on an invisible wall. The ray cast itself is the scene's (real geometry, not a depth buffer).
"""

from __future__ import annotations

import numpy as np

#: Step past a back face before casting again (metres, plus a share of the distance so far).
_STEP = 1e-4


def pick_surface(scene, origin, direction, *, front_faces_only: bool = False,
                 max_layers: int = 64) -> tuple[np.ndarray, np.ndarray] | None:
    """(point, unit normal facing the ray) of the surface a ray meets, or None (the sky).

    ``front_faces_only``: skip faces whose winding normal points away from the viewer
    (what a back-face-culling viewer hides). ``scene`` needs ``raycast``/``pick`` and ``mesh``
    (``pipeline.scene.scene.Scene``).
    """
    origin = np.asarray(origin, dtype=np.float64).reshape(3)
    direction = np.asarray(direction, dtype=np.float64).reshape(3)
    length = float(np.linalg.norm(direction))
    if not np.isfinite(length) or length == 0 or not np.all(np.isfinite(origin)):
        raise ValueError("A pick needs a finite origin and a non-zero direction.")
    if not front_faces_only:
        return scene.pick(origin, direction)
    unit = direction / length
    face_normals = np.asarray(scene.mesh.face_normals)
    start, travelled = origin.copy(), 0.0
    for _ in range(max_layers):
        hits = scene.raycast(start[None], unit[None])
        if not hits.hit[0]:
            return None
        if float(np.dot(face_normals[hits.face_ids[0]], unit)) <= 0.0:
            return hits.points[0].copy(), hits.normals[0].copy()
        d = float(hits.distances[0])
        travelled += d
        start = hits.points[0] + unit * (_STEP + 1e-6 * travelled)
    return None
