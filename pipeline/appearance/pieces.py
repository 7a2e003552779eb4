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
    uv: np.ndarray | None = None


def _compact(part: SkinnedPart, face_mask: np.ndarray):
    faces = part.faces[face_mask]
    used = np.unique(faces)
    remap = np.full(len(part.rest_vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    uv = None if part.uv is None else part.uv[used]
    return used, remap[faces], uv


def dressed_pieces(dressed: DressedBody, materials: dict[str, Material]) -> list[Piece]:
    """One piece per (part, region) with that region's material, vertices compacted."""
    pieces = []
    for part in dressed.parts():
        posed = posed_part_vertices(dressed.skin, part.rest_vertices, part.joint_indices, part.joint_weights)
        for region in part.regions():
            used, faces, uv = _compact(part, part.face_region == region)
            name = part.name if len(part.regions()) == 1 else f"{part.name}_{region}"
            pieces.append(Piece(name, materials[region], part.rest_vertices[used], posed[used], faces,
                                part.joint_indices[used], part.joint_weights[used], uv))
    return pieces
