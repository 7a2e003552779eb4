"""How well clothes sit: skin seen through cloth, and how far cloth floats off the body.

Skin-through is measured as a viewer sees it: from directions around the person, rays
through every pixel; a pixel counts when the first surface hit is visible skin and a
garment lies just behind it (within ``depth_tol``), i.e. skin poking out of the cloth.
"""

from __future__ import annotations

import numpy as np

from pipeline.body.garments.fitting import DressedBody
from pipeline.body.garments.posing import posed_part_vertices


def _posed(dressed: DressedBody, part, posed_matrices=None) -> np.ndarray:
    return posed_part_vertices(dressed.skin, part.rest_vertices, part.joint_indices, part.joint_weights, posed_matrices)


def _rays(centre: np.ndarray, height: float, azimuth: float, size: int):
    """Orthographic rays looking at ``centre`` horizontally from ``azimuth``."""
    d = -np.array([np.cos(azimuth), np.sin(azimuth), 0.0])
    right = np.cross(d, [0.0, 0.0, 1.0])
    s = np.linspace(-0.5, 0.5, size) * height * 1.1
    uu, vv = np.meshgrid(s, s)
    origins = centre[None] - 3.0 * height * d[None] + uu.reshape(-1, 1) * right[None] + vv.reshape(-1, 1) * np.array([[0, 0, 1.0]])
    return origins, np.repeat(d[None], len(origins), 0)


def skin_through_share(dressed: DressedBody, posed_matrices=None, directions: int = 8, size: int = 160,
                       depth_tol: float = 0.03) -> float:
    """Share (0..1) of the person's pixels, over ``directions`` views, that show skin through cloth."""
    from pipeline.scene.mesh_query import MeshQuery

    body_v = _posed(dressed, dressed.body, posed_matrices)
    parts = [(body_v, dressed.body.faces)] + [(_posed(dressed, g, posed_matrices), g.faces) for g in dressed.garments]
    if len(parts) == 1:
        return 0.0
    offsets = np.cumsum([0] + [len(v) for v, _ in parts])
    all_v = np.concatenate([v for v, _ in parts])
    all_f = np.concatenate([f + o for (_, f), o in zip(parts, offsets)])
    n_body_faces = len(dressed.body.faces)
    everything = MeshQuery(all_v, all_f, winding=False)
    cloth = MeshQuery(all_v, all_f[n_body_faces:], winding=False)
    lo, hi = all_v.min(0), all_v.max(0)
    centre, height = (lo + hi) / 2, float(np.max(hi - lo))
    through = person = 0
    for az in np.linspace(0, 2 * np.pi, directions, endpoint=False):
        origins, dirs = _rays(centre, height, az, size)
        t_all, f_all = everything.first_hits(origins, dirs)
        t_cloth, f_cloth = cloth.first_hits(origins, dirs)
        hit = f_all >= 0
        skin_first = hit & (f_all < n_body_faces)
        poking = skin_first & (f_cloth >= 0) & (t_cloth - t_all < depth_tol)
        person += int(hit.sum())
        through += int(poking.sum())
    return through / max(person, 1)


def garment_body_distance(dressed: DressedBody, posed_matrices=None) -> tuple[float, float]:
    """(mean distance in metres of garment vertices from the full body surface, share inside)."""
    from pipeline.scene.mesh_query import MeshQuery

    skin = dressed.skin
    body = posed_part_vertices(skin, skin.rest_vertices, skin.joint_indices, skin.joint_weights, posed_matrices)
    query = MeshQuery(body, np.asarray(skin.faces))
    dist, inside = [], []
    for g in dressed.garments:
        d, i = query.distance_and_inside(_posed(dressed, g, posed_matrices))
        dist.append(d)
        inside.append(i)
    if not dist:
        return 0.0, 0.0
    return float(np.concatenate(dist).mean()), float(np.concatenate(inside).mean())
