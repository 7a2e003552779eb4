"""How much of the target's surface patch, and of a standing person, each camera really sees.

Ray casts against the whole scene, so occluders count.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import trimesh

from pipeline.views.cameras import Camera
from pipeline.views.patch import scene_intersector
from pipeline.views.selection_types import SurfacePatch


# barycentric sample points per patch face for the "samples" visibility test
FACE_SAMPLES = np.array([[1 / 3, 1 / 3, 1 / 3], [2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]])


def project_np(cam: Camera, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and depths of world points (plain numpy; same maths as ``project_points``)."""
    c = points @ cam.rotation.T + cam.world_to_camera[:3, 3]
    f = cam.focal
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = np.stack([f * c[:, 0] / c[:, 2] + cam.width / 2.0, f * c[:, 1] / c[:, 2] + cam.height / 2.0], axis=1)
    return uv, c[:, 2]


def patch_visibility(
    scene: Any,
    patch: SurfacePatch,
    cameras: Sequence[Camera],
    tolerance: float = 0.002,
    method: str = "samples",
) -> np.ndarray:
    """Share of the patch area each camera sees, occlusion included (method step 5).

    A patch face counts as seen when it faces the camera and some part of it is visible
    inside the image; the ratio is the seen faces' area over the patch area.

    ``method="samples"`` (default, fast): rays from the camera to four points on every
    facing patch face, cast against the whole scene; a point is visible when nothing is
    hit more than ``tolerance`` before it. ``method="pixels"``: the paper's face-id
    rasterisation emulated exactly, one ray through every pixel centre that can fall on the
    patch, cast against the scene and the patch; a face is seen when it owns a pixel.
    """
    if method not in ("samples", "pixels"):
        raise ValueError(f"visibility method must be 'samples' or 'pixels', not {method!r}")
    ratios = np.zeros(len(cameras))
    if not cameras:
        return ratios
    tri_pts = patch.vertices[patch.faces]  # (F, 3, 3)
    centroids = tri_pts.mean(axis=1)
    origins, directions, owners, lengths, face_of = [], [], [], [], []
    samples = np.einsum("sk,fkj->fsj", FACE_SAMPLES, tri_pts)  # (F, S, 3)
    for k, cam in enumerate(cameras):
        eye = cam.position
        if method == "samples":
            facing = np.einsum("ij,ij->i", patch.face_normals, eye - centroids) > 0
            faces = np.repeat(np.nonzero(facing)[0], len(FACE_SAMPLES))
            points = samples[facing].reshape(-1, 3)
            uv, depth = project_np(cam, points)
            inside = (depth > 1e-3) & (uv[:, 0] >= 0) & (uv[:, 0] <= cam.width) & (uv[:, 1] >= 0) & (uv[:, 1] <= cam.height)
            points, faces = points[inside], faces[inside]
            rays = points - eye
            length = np.linalg.norm(rays, axis=1)
            rays = rays / np.maximum(length[:, None], 1e-12)
            lengths.append(length)
            face_of.append(faces)
        else:
            uv, depth = project_np(cam, patch.vertices)
            front = depth > 1e-3
            if not front.any():
                continue
            u0, v0 = uv[front].min(axis=0)
            u1, v1 = uv[front].max(axis=0)
            if not front.all():  # patch straddles the camera plane: test the whole image
                u0, v0, u1, v1 = 0.0, 0.0, cam.width, cam.height
            i0, i1 = max(0, math.floor(u0 - 0.5)), min(cam.width - 1, math.ceil(u1 - 0.5))
            j0, j1 = max(0, math.floor(v0 - 0.5)), min(cam.height - 1, math.ceil(v1 - 0.5))
            if i1 < i0 or j1 < j0:
                continue
            ii, jj = np.meshgrid(np.arange(i0, i1 + 1) + 0.5, np.arange(j0, j1 + 1) + 0.5)
            f = cam.focal
            rays_cam = np.stack([(ii.ravel() - cam.width / 2.0) / f, (jj.ravel() - cam.height / 2.0) / f,
                                 np.ones(ii.size)], axis=1)
            rays = rays_cam @ cam.rotation  # camera -> world rotation is R^T
            rays /= np.linalg.norm(rays, axis=1, keepdims=True)
        origins.append(np.repeat(eye[None], len(rays), axis=0))
        directions.append(rays)
        owners.append(np.full(len(rays), k))
    if not origins or sum(len(o) for o in origins) == 0:
        return ratios
    origins = np.concatenate(origins)
    directions = np.concatenate(directions)
    owners = np.concatenate(owners)

    d_scene = np.full(len(origins), np.inf)
    _, ray, loc = scene_intersector(scene).intersects_id(origins, directions, multiple_hits=False, return_locations=True)
    d_scene[ray] = np.linalg.norm(loc - origins[ray], axis=1)
    if method == "samples":
        lengths = np.concatenate(lengths)
        seen_face = np.concatenate(face_of)
        visible = d_scene >= lengths - tolerance
        seen_face, seen_owner = seen_face[visible], owners[visible]
    else:
        patch_mesh = trimesh.Trimesh(patch.vertices, patch.faces, process=False)
        ptri, pray, ploc = patch_mesh.ray.intersects_id(origins, directions, multiple_hits=False, return_locations=True)
        d_patch = np.linalg.norm(ploc - origins[pray], axis=1)
        visible = d_patch <= d_scene[pray] + tolerance
        seen_face, seen_owner = ptri[visible], owners[pray[visible]]

    total = patch.area
    for k, cam in enumerate(cameras):
        faces = np.unique(seen_face[seen_owner == k])
        if len(faces) == 0:
            continue
        facing = np.einsum("ij,ij->i", patch.face_normals[faces], cam.position - centroids[faces]) > 0
        ratios[k] = patch.face_areas[faces[facing]].sum() / total
    return ratios


def person_axis_visibility(scene: Any, points: np.ndarray, cameras: Sequence[Camera]) -> np.ndarray:
    """Share of ``points`` each camera sees without anything in between."""
    eyes = np.stack([c.position for c in cameras])
    origins = np.repeat(eyes, len(points), axis=0)
    targets = np.tile(points, (len(cameras), 1))
    rays = targets - origins
    length = np.linalg.norm(rays, axis=1)
    rays /= length[:, None]
    d = np.full(len(origins), np.inf)
    _, ray, loc = scene_intersector(scene).intersects_id(origins, rays, multiple_hits=False, return_locations=True)
    d[ray] = np.linalg.norm(loc - origins[ray], axis=1)
    return (d >= length - 1e-3).reshape(len(cameras), len(points)).mean(axis=1)
