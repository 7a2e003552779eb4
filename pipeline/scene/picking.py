"""Which surface a click means: the first surface along the click's ray that the user sees.

A viewer that hides back faces (to look into a room from outside) shows nothing where the ray
meets a wall from behind, so a pick must pass through such faces too, or the click would land
on an invisible wall. The ray cast itself is the scene's (real geometry, not a depth buffer).
"""

from __future__ import annotations

import numpy as np

#: Step past a back face before casting again (metres, plus a share of the distance so far).
_STEP = 1e-4


def pick_surface(scene, origin, direction, *, front_faces_only: bool = False, skip_parts=None,
                 max_layers: int = 64) -> tuple[np.ndarray, np.ndarray] | None:
    """(point, unit normal facing the ray) of the surface a ray meets, or None (the sky).

    ``front_faces_only``: skip faces whose winding normal points away from the viewer
    (what a back-face-culling viewer hides). ``skip_parts``: indices of parts the user hid
    (the outline's unchecked elements), passed through like back faces. ``scene`` needs
    ``raycast``/``pick``, ``mesh`` and ``face_part`` (``pipeline.scene.scene.Scene``).
    """
    hit = pick_part(scene, origin, direction, front_faces_only=front_faces_only, skip_parts=skip_parts,
                    max_layers=max_layers)
    return None if hit is None else (hit[0], hit[1])


def pick_part(scene, origin, direction, *, front_faces_only: bool = False, skip_parts=None,
              max_layers: int = 64) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Like :func:`pick_surface`, with the index of the part (``scene.geometries``) hit."""
    origin = np.asarray(origin, dtype=np.float64).reshape(3)
    direction = np.asarray(direction, dtype=np.float64).reshape(3)
    length = float(np.linalg.norm(direction))
    if not np.isfinite(length) or length == 0 or not np.all(np.isfinite(origin)):
        raise ValueError("A pick needs a finite origin and a non-zero direction.")
    skip = np.zeros(len(scene.geometries), dtype=bool)
    if skip_parts is not None and len(skip_parts):
        skip[np.asarray(skip_parts, dtype=np.int64)] = True
    unit = direction / length
    vertices, faces = np.asarray(scene.mesh.vertices), np.asarray(scene.mesh.faces)
    start, travelled = origin.copy(), 0.0
    for _ in range(max_layers):
        hits = scene.raycast(start[None], unit[None])
        if not hits.hit[0]:
            return None
        face = int(hits.face_ids[0])
        part = int(scene.face_part[face])
        facing = True
        if front_faces_only:  # winding normal of this face only (all normals of a big scene cost seconds)
            c = vertices[faces[face]]
            facing = float(np.dot(np.cross(c[1] - c[0], c[2] - c[0]), unit)) <= 0.0
        if facing and not skip[part]:
            return hits.points[0].copy(), hits.normals[0].copy(), part
        d = float(hits.distances[0])
        travelled += d
        start = hits.points[0] + unit * (_STEP + 1e-6 * travelled)
    return None
