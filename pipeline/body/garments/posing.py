"""Posed vertices of a skinned part with the body's bone transforms (glTF's skinning)."""

from __future__ import annotations

import numpy as np

from pipeline.body.base import SkinnedMesh


def blended_transforms(skin: SkinnedMesh, joint_indices: np.ndarray, joint_weights: np.ndarray,
                       posed_matrices: np.ndarray | None = None) -> np.ndarray:
    """(N, 4, 4) per-vertex blend of the bones' skinning transforms (posed @ inv(bind))."""
    posed = np.asarray(skin.posed_matrices if posed_matrices is None else posed_matrices, dtype=np.float64)
    skinning = posed @ np.linalg.inv(np.asarray(skin.bind_matrices, dtype=np.float64))
    w = np.asarray(joint_weights, dtype=np.float64)
    return np.einsum("vk,vkij->vij", w, skinning[np.asarray(joint_indices, dtype=np.int64)])


def posed_part_vertices(skin: SkinnedMesh, rest_vertices: np.ndarray, joint_indices: np.ndarray,
                        joint_weights: np.ndarray, posed_matrices: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) vertices of a part skinned to ``skin``'s bones, in the fitted pose (or in
    ``posed_matrices`` (J, 4, 4), to pose it differently)."""
    blended = blended_transforms(skin, joint_indices, joint_weights, posed_matrices)
    rest = np.asarray(rest_vertices, dtype=np.float64)
    return np.einsum("vij,vj->vi", blended[:, :3, :3], rest) + blended[:, :3, 3]
