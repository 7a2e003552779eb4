"""Fit an outfit to one posed body: garments skinned to the body's own skeleton.

Each garment vertex is bound to a body triangle (:mod:`.binding`); its skin weights are the
triangle's weights blended by the barycentrics (strongest four kept), so posing a bone
moves body and garment together, in this code and in every rigged export. Garment
vertices that would sit inside the rest body are pushed out along the surface normal,
and body triangles a garment covers (its ``delete_verts``) are hidden.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np

from pipeline.body.base import SkinnedMesh
from pipeline.body.garments.binding import SurfaceBinding, bind_to_template, hidden_body_vertices
from pipeline.body.garments.catalogue import ASSETS, Outfit
from pipeline.body.garments.mhclo import BindingError, MhcloAsset, read_mhclo
from pipeline.body.garments.posing import blended_transforms, posed_part_vertices

log = logging.getLogger(__name__)
MIN_GAP = 0.004  # metres between a garment and the skin it covers
_BOTTOM_BONES = ("upperleg", "lowerleg", "foot", "toe", "pelvis", "root")


@dataclass
class SkinnedPart:
    """One skinned piece of a dressed person (the body itself or a garment).

    ``region`` names what a face is (skin, top, bottom, shoes, hair): materials and the
    colours taken from the paintings are per region."""

    name: str
    rest_vertices: np.ndarray  # (N, 3) bind pose, body frame
    faces: np.ndarray  # (F, 3)
    joint_indices: np.ndarray  # (N, 4) into the body's bones
    joint_weights: np.ndarray  # (N, 4)
    face_region: np.ndarray  # (F,) str
    uv: np.ndarray | None = None  # (N, 2)
    z_depth: int = 0
    face_uv: np.ndarray | None = None  # (F, 3, 2) texture coordinates per face corner (v up)

    def regions(self) -> list[str]:
        return list(dict.fromkeys(self.face_region.tolist()))


@dataclass
class DressedBody:
    """A body (its rig) plus fitted garments; body faces hidden under clothes removed."""

    skin: SkinnedMesh
    body: SkinnedPart
    garments: list[SkinnedPart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def parts(self) -> list[SkinnedPart]:
        return [self.body, *self.garments]


@functools.lru_cache(maxsize=32)
def _asset_binding(name: str, index_key: bytes, faces_key: bytes) -> tuple[MhcloAsset, SurfaceBinding]:
    hm08_index = np.frombuffer(index_key, dtype=np.int64)
    faces = np.frombuffer(faces_key, dtype=np.int64).reshape(-1, 3)
    asset = read_mhclo(ASSETS[name].path)
    return asset, bind_to_template(asset, hm08_index, faces)


def _blend_weights(skin: SkinnedMesh, binding: SurfaceBinding) -> tuple[np.ndarray, np.ndarray]:
    """Top-4 bone weights of each garment vertex from its triangle's three vertices."""
    tri = np.asarray(skin.faces)[binding.face]  # (N, 3)
    idx = np.asarray(skin.joint_indices)[tri].reshape(len(tri), 12)
    bary = np.clip(binding.bary, 0.0, None)
    bary /= bary.sum(1, keepdims=True).clip(1e-12)
    w = (np.asarray(skin.joint_weights)[tri] * bary[:, :, None]).reshape(len(tri), 12)
    n_bones = len(skin.bone_names)
    dense = np.zeros((len(tri), n_bones))
    np.add.at(dense, (np.repeat(np.arange(len(tri)), 12), idx.reshape(-1)), w.reshape(-1))
    top = np.argsort(-dense, axis=1)[:, :4]
    top_w = np.take_along_axis(dense, top, axis=1)
    top_w /= top_w.sum(1, keepdims=True).clip(1e-12)
    return top.astype(np.int64), top_w.astype(np.float32)


def _regions(asset: MhcloAsset, kind: str, joints: np.ndarray, faces: np.ndarray, bone_names) -> np.ndarray:
    if kind != "suit":
        return np.full(len(faces), {"shoes": "shoes", "hair": "hair", "eyebrows": "hair"}[kind], dtype=object)
    lower = np.array([name.startswith(_BOTTOM_BONES) for name in bone_names])
    vertex_bottom = lower[joints[:, 0]]
    face_bottom = vertex_bottom[faces].sum(1) >= 2
    return np.where(face_bottom, "bottom", "top").astype(object)


def _push_out(points: np.ndarray, rest: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, int]:
    """Move points inside (or within MIN_GAP of) the body surface to MIN_GAP outside it."""
    from pipeline.scene.mesh_query import MeshQuery

    query = MeshQuery(rest, faces, winding=True)
    dist, inside = query.distance_and_inside(points)
    bad = inside | (dist < MIN_GAP)
    if not bad.any():
        return points, 0
    closest, _, face = query.closest(points[bad])
    tri = rest[faces[face]]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True).clip(1e-12)
    out = points.copy()
    out[bad] = closest + MIN_GAP * normal
    return out, int(bad.sum())


def _push_out_posed(skin: SkinnedMesh, posed_body: np.ndarray, rest_points: np.ndarray,
                    joints: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rest positions whose fitted-pose positions keep MIN_GAP outside the posed body
    (bent knees and elbows fold skin into the cloth): push in the pose, then un-skin."""
    posed = posed_part_vertices(skin, rest_points, joints, weights)
    pushed, n = _push_out(posed, posed_body, np.asarray(skin.faces))
    if n == 0:
        return rest_points
    blended = blended_transforms(skin, joints, weights)
    moved = np.any(pushed != posed, axis=1)
    out = rest_points.copy()
    inv = np.linalg.inv(blended[moved])
    out[moved] = np.einsum("vij,vj->vi", inv[:, :3, :3], pushed[moved]) + inv[:, :3, 3]
    return out


def fit_outfit(skin: SkinnedMesh, hm08_index: np.ndarray | None, outfit: Outfit | None,
               body_face_uv: np.ndarray | None = None) -> DressedBody:
    """Dress the body of ``skin``. ``hm08_index`` (V,) maps body vertices to the hm08 base
    mesh; None (a body without that topology, e.g. SMPL-X) gives the bare body and a warning.
    ``body_face_uv`` (F, 3, 2): the body's texture coordinates per face corner, if it has any."""
    faces = np.asarray(skin.faces, dtype=np.int64)
    rest = np.asarray(skin.rest_vertices, dtype=np.float64)
    body = SkinnedPart("body", rest, faces, np.asarray(skin.joint_indices), np.asarray(skin.joint_weights),
                       np.full(len(faces), "skin", dtype=object))
    if body_face_uv is not None and len(body_face_uv) == len(faces):
        body.face_uv = np.asarray(body_face_uv, dtype=np.float64)
    dressed = DressedBody(skin=skin, body=body)
    if outfit is None or not outfit.asset_names():
        return dressed
    if hm08_index is None:
        dressed.warnings.append("Clothes and hair need a body with MakeHuman's topology (Anny); "
                                "this body model has none, so it is shown without them. Styles still apply.")
        return dressed
    hm08_index = np.ascontiguousarray(hm08_index, dtype=np.int64)
    posed_body = posed_part_vertices(skin, rest, skin.joint_indices, skin.joint_weights)
    hidden = np.zeros(len(rest), dtype=bool)
    for name in outfit.asset_names():
        try:
            asset, binding = _asset_binding(name, hm08_index.tobytes(), faces.tobytes())
        except (BindingError, OSError, KeyError) as exc:
            dressed.warnings.append(f"Skipped {name}: {exc}")
            log.warning("skipped garment %s: %s", name, exc)
            continue
        kind = ASSETS[name].kind
        placed, _ = _push_out(binding.place(rest, faces), rest, faces)
        joints, weights = _blend_weights(skin, binding)
        placed = _push_out_posed(skin, posed_body, placed, joints, weights)
        regions = _regions(asset, kind, joints, asset.faces, skin.bone_names)
        dressed.garments.append(SkinnedPart(name, placed, asset.faces, joints, weights, regions,
                                            asset.uv, asset.z_depth, asset.face_uv))
        hidden |= hidden_body_vertices(asset, hm08_index)
    if hidden.any():
        keep = ~hidden[faces].all(axis=1)
        body.faces = faces[keep]
        body.face_region = body.face_region[keep]
        if body.face_uv is not None:
            body.face_uv = body.face_uv[keep]
    dressed.garments.sort(key=lambda g: g.z_depth)
    return dressed
