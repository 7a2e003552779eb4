"""What an exporter gets for one body: the posed mesh, and the rig when there is one.

Run folders written before a body model was available (or by a model without a rig) only
have a posed mesh, so the rig is optional; static formats never need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from pipeline.body.base import SkinnedMesh


def posed_vertices(skin: SkinnedMesh) -> np.ndarray:
    """(V, 3) posed vertices by linear blend skinning, glTF's model:
    ``sum_k w_k * posed[j_k] @ inv(bind[j_k]) @ rest``."""
    rest = np.asarray(skin.rest_vertices, dtype=np.float64)
    skinning = np.asarray(skin.posed_matrices, dtype=np.float64) @ np.linalg.inv(
        np.asarray(skin.bind_matrices, dtype=np.float64)
    )  # (J, 4, 4)
    idx = np.asarray(skin.joint_indices, dtype=np.int64)
    w = np.asarray(skin.joint_weights, dtype=np.float64)
    blended = np.einsum("vk,vkij->vij", w, skinning[idx])  # (V, 4, 4)
    return np.einsum("vij,vj->vi", blended[:, :3, :3], rest) + blended[:, :3, 3]


@dataclass
class ExportBody:
    """One body to export. ``vertices`` are posed, world Z-up metres."""

    name: str
    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3) int
    skin: SkinnedMesh | None = None
    # per-material pieces (pipeline.appearance.pieces.Piece: body, clothes, hair) that replace
    # the plain body mesh when present; see pipeline/export/styling.py
    pieces: list = field(default_factory=list)

    @classmethod
    def from_skin(cls, skin: SkinnedMesh, name: str = "body") -> "ExportBody":
        return cls(name=name, vertices=posed_vertices(skin), faces=np.asarray(skin.faces), skin=skin)


def as_export_body(item, index: int = 0) -> ExportBody:
    """Accept an ExportBody, a SkinnedMesh, a trimesh.Trimesh or a (vertices, faces) pair."""
    if isinstance(item, ExportBody):
        return item
    if isinstance(item, SkinnedMesh):
        return ExportBody.from_skin(item, name=f"body_{index}")
    if isinstance(item, trimesh.Trimesh):
        return ExportBody(f"body_{index}", np.asarray(item.vertices, float), np.asarray(item.faces))
    if isinstance(item, tuple) and len(item) == 2:
        return ExportBody(f"body_{index}", np.asarray(item[0], float), np.asarray(item[1]))
    raise TypeError(
        f"Cannot export a {type(item).__name__} as a body: pass a SkinnedMesh "
        "(BodyModel.skinned_mesh(params)), an ExportBody, a trimesh.Trimesh or (vertices, faces)."
    )
