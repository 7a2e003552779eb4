"""A dressed person cut into one piece per material: what viewports and exporters draw."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.appearance.styles import Material
from pipeline.body.garments import DressedBody, SkinnedPart, posed_part_vertices


@dataclass
class Piece:
    """Part of one person with one material, skinned to the person's bones."""

    name: str
    material: Material
    rest_vertices: np.ndarray  # (N, 3)
    vertices: np.ndarray  # (N, 3) fitted pose
    faces: np.ndarray  # (F, 3)
    joint_indices: np.ndarray  # (N, 4)
    joint_weights: np.ndarray  # (N, 4)
    uv: np.ndarray | None = None  # (N, 2) v up; with a texture, seams split into their own vertices
    texture: np.ndarray | None = None  # (S, S, 3) uint8 base colour image, row 0 at v = 1


def _compact(part: SkinnedPart, face_mask: np.ndarray):
    faces = part.faces[face_mask]
    used = np.unique(faces)
    remap = np.full(len(part.rest_vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    uv = None if part.uv is None else part.uv[used]
    return used, remap[faces], uv


def _textured(part: SkinnedPart, face_mask: np.ndarray):
    """Like :func:`_compact`, with vertices split along the texture layout's seams."""
    from pipeline.appearance.textured import layout_of
    from pipeline.appearance.uv_layout import split_seams

    face_uv, _ = layout_of(part)
    used, uv, faces = split_seams(part.faces[face_mask], face_uv[face_mask])
    return used, faces, uv


def dressed_pieces(dressed: DressedBody, materials: dict[str, Material],
                   textures: dict[str, np.ndarray] | None = None) -> list[Piece]:
    """One piece per (part, region) with that region's material, vertices compacted; parts
    with an image in ``textures`` (by part name) carry it with their layout's UVs."""
    pieces = []
    textures = textures or {}
    for part in dressed.parts():
        posed = posed_part_vertices(dressed.skin, part.rest_vertices, part.joint_indices, part.joint_weights)
        image = textures.get(part.name)
        for region in part.regions():
            mask = part.face_region == region
            used, faces, uv = _compact(part, mask) if image is None else _textured(part, mask)
            name = part.name if len(part.regions()) == 1 else f"{part.name}_{region}"
            pieces.append(Piece(name, materials[region], part.rest_vertices[used], posed[used], faces,
                                part.joint_indices[used], part.joint_weights[used], uv, image))
    return pieces
