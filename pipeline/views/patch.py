"""The surface patch at the target, and the ray queries view selection makes against the scene.

The patch is what a view must see: the connected surface within ``patch_radius`` of the
target, subdivided locally so large flat triangles still give it enough faces.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import trimesh

from pipeline.scene.source import as_scene
from pipeline.views.selection_types import SurfacePatch, TargetNotOnSurfaceError, ViewSelectionError, ViewSelectionSettings


def faces_in_box(triangles: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    tmin = triangles.min(axis=1)
    tmax = triangles.max(axis=1)
    return np.nonzero(np.all(tmax >= lo, axis=1) & np.all(tmin <= hi, axis=1))[0]


def nearest_surface_point(scene: Any, point: Sequence[float]) -> tuple[np.ndarray, float, int]:
    """Closest point on the scene surface to ``point``: (point, distance, face index)."""
    mesh = as_scene(scene).mesh
    p = np.asarray(point, dtype=np.float64).reshape(3)
    triangles = mesh.triangles
    best = (None, math.inf, -1)
    for reach in (0.25, 1.0, 4.0, math.inf):  # grow the search box until something is found
        if math.isinf(reach):
            idx = np.arange(len(triangles))
        else:
            idx = faces_in_box(triangles, p - reach, p + reach)
        if len(idx) == 0:
            continue
        closest = trimesh.triangles.closest_point(triangles[idx], np.repeat(p[None], len(idx), axis=0))
        d = np.linalg.norm(closest - p, axis=1)
        k = int(np.argmin(d))
        if d[k] <= reach or math.isinf(reach):
            best = (closest[k], float(d[k]), int(idx[k]))
            break
    if best[0] is None:
        raise ViewSelectionError("the scene has no triangles; load a scene with surfaces in it")
    return best


def build_patch(mesh: trimesh.Trimesh, target: np.ndarray, settings: ViewSelectionSettings) -> SurfacePatch:
    """Connected surface patch within ``patch_radius`` of ``target``.

    The scene near the target is cropped to a small box and subdivided so the patch has
    vertices even on large flat triangles; patch faces touch a vertex within the radius,
    are joined through shared edges, single faces are dropped, and the component closest to
    the target wins. The normal is the vertex normal nearest the target.
    """
    r = settings.patch_radius
    reach = r + 2.0 * settings.subdivide_max_edge
    lo, hi = target - reach, target + reach
    idx = faces_in_box(mesh.triangles, lo, hi)
    if len(idx) == 0:
        raise TargetNotOnSurfaceError(f"no surface within {r:g} m of the target {np.round(target, 3).tolist()}")
    local = trimesh.Trimesh(mesh.vertices, mesh.faces[idx], process=False)
    local.remove_unreferenced_vertices()
    verts, faces = local.vertices, local.faces
    for axis in range(3):  # crop to the box so large triangles do not explode when subdivided
        for sign, origin in ((1.0, lo), (-1.0, hi)):
            plane_normal = np.zeros(3)
            plane_normal[axis] = sign
            verts, faces, _ = trimesh.intersections.slice_faces_plane(verts, faces, plane_normal, origin)
            if len(faces) == 0:
                raise TargetNotOnSurfaceError(f"no surface within {r:g} m of the target {np.round(target, 3).tolist()}")
    verts, faces = trimesh.remesh.subdivide_to_size(verts, faces, settings.subdivide_max_edge, max_iter=12)
    dense = trimesh.Trimesh(verts, faces, process=True)  # merges split (seam) vertices by position
    dense.update_faces(dense.nondegenerate_faces())
    dense.remove_unreferenced_vertices()

    dist = np.linalg.norm(dense.vertices - target, axis=1)
    near = dist <= r
    if not near.any():
        raise TargetNotOnSurfaceError(f"no surface vertex within {r:g} m of the target {np.round(target, 3).tolist()}")
    face_in = np.nonzero(near[dense.faces].any(axis=1))[0]
    in_set = np.zeros(len(dense.faces), dtype=bool)
    in_set[face_in] = True
    adjacency = dense.face_adjacency
    pairs = adjacency[in_set[adjacency[:, 0]] & in_set[adjacency[:, 1]]]
    components = trimesh.graph.connected_components(pairs, nodes=face_in, min_len=2)
    if len(components) == 0:  # only isolated faces: keep them all rather than nothing
        components = [face_in]
    best = min(components, key=lambda comp: dist[np.unique(dense.faces[comp])].min())
    best = np.sort(np.asarray(best, dtype=np.int64))

    used = np.unique(dense.faces[best])
    remap = np.full(len(dense.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    normal = dense.vertex_normals[int(np.argmin(dist))]
    return SurfacePatch(
        vertices=dense.vertices[used].copy(),
        faces=remap[dense.faces[best]],
        face_normals=dense.face_normals[best].copy(),
        face_areas=dense.area_faces[best].copy(),
        target=np.asarray(target, dtype=np.float64).copy(),
        normal=np.asarray(normal, dtype=np.float64) / max(np.linalg.norm(normal), 1e-12),
    )


def flipped(patch: SurfacePatch) -> SurfacePatch:
    """The same patch seen from its other side (for surfaces with inverted triangles)."""
    return replace(patch, faces=patch.faces[:, ::-1].copy(), face_normals=-patch.face_normals, normal=-patch.normal)


def scene_intersector(scene_or_mesh: Any):
    """The scene's cached ray intersector (Embree when available), or a mesh's own."""
    if isinstance(scene_or_mesh, trimesh.Trimesh):
        return scene_or_mesh.ray
    return as_scene(scene_or_mesh).intersector


def lowest_surface_below(scene: Any, point: np.ndarray, lift: float = 0.05) -> float:
    """Height of the lowest surface straight below ``point`` (its own height if none)."""
    origin = np.asarray(point, dtype=np.float64) + np.array([0.0, 0.0, lift])
    locations, _, _ = scene_intersector(scene).intersects_location(origin[None], np.array([[0.0, 0.0, -1.0]]), multiple_hits=True)
    if len(locations) == 0:
        return float(point[2])
    return float(min(locations[:, 2].min(), point[2]))
