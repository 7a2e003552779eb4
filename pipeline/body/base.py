"""The one body-model interface the fitting, rendering and export code relies on.

Parameters are a dict of tensors with a batch dimension B. Every model understands
``translation`` (B, 3) in world metres and ``orientation`` (B, 6), the continuous 6D
rotation (first two columns of the rotation matrix); ``pose`` and ``shape`` are
model-specific unconstrained tensors (a model maps them to valid values inside
``forward``, so no optimiser step can leave the valid range).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch

# The 23 COCO + feet keypoints every body model exposes, in this order.
KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
)  # fmt: skip


@dataclass
class BodyOutput:
    vertices: torch.Tensor  # (B, V, 3) world metres
    keypoints: torch.Tensor  # (B, 23, 3) world metres, in KEYPOINT_NAMES order
    joints: torch.Tensor  # (B, J, 3) world positions of the skeleton's joints (bone heads)


@dataclass
class SkinnedMesh:
    """Everything a rigged export (glTF skin) needs, for one body.

    A posed vertex is ``sum_k w_k * posed[j_k] @ inv(bind[j_k]) @ rest_vertex``, which is
    exactly glTF's skinning model, so exporters can write it without knowing the model.
    """

    rest_vertices: np.ndarray  # (V, 3) world metres, bind pose
    faces: np.ndarray  # (F, 3) int
    bone_names: list[str]
    parents: np.ndarray  # (J,) int, -1 for the root
    bind_matrices: np.ndarray  # (J, 4, 4) bone-to-world transforms in the bind pose
    posed_matrices: np.ndarray  # (J, 4, 4) bone-to-world transforms in the fitted pose
    joint_indices: np.ndarray  # (V, 4) int bone indices
    joint_weights: np.ndarray  # (V, 4) float, rows sum to 1


class BodyModel(ABC):
    """A differentiable, batched parametric body."""

    name: str = "body"
    keypoint_names: tuple[str, ...] = KEYPOINT_NAMES
    phenotype_names: tuple[str, ...] = ()  # shape values a user can hold fixed (Anny's); none by default
    main_bones: tuple[str, ...] = ()  # bones without .L/.R sides that posture presets name directly
    bone_names: list[str]

    @property
    @abstractmethod
    def faces(self) -> np.ndarray:
        """(F, 3) int triangle indices."""

    @property
    @abstractmethod
    def num_vertices(self) -> int: ...

    @property
    @abstractmethod
    def device(self) -> torch.device: ...

    @abstractmethod
    def init_params(self, batch: int = 1) -> dict[str, torch.Tensor]:
        """Neutral parameters: standing at the origin, facing the model's rest direction."""

    @abstractmethod
    def forward(self, params: dict[str, torch.Tensor]) -> BodyOutput: ...

    @abstractmethod
    def pose_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Scalar: anatomical joint-limit hinges plus a mild pull to neutral."""

    @abstractmethod
    def shape_prior(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Scalar: pull of the shape towards the average person."""

    @abstractmethod
    def skinned_mesh(self, params: dict[str, torch.Tensor]) -> SkinnedMesh:
        """Skeleton, weights and transforms of the first body in the batch, for export."""

    def set_bone_anatomical(self, params: dict[str, torch.Tensor], name: str, angles_deg) -> None:
        """Set one bone's anatomical angles (degrees) in ``params``; a model without named
        anatomical angles keeps its neutral pose, so posture presets only orient it."""

    def shape_from_phenotypes(self, values: dict[str, float], batch: int = 1) -> torch.Tensor | None:
        """Shape parameters for named phenotypes (:attr:`phenotype_names`, e.g. from a prompt's
        body words); None: the model has no such phenotypes."""
        return None

    @property
    def fixed_phenotypes(self) -> dict[str, float]:
        """Phenotypes the user holds fixed (the fit keeps them); none by default."""
        return {}

    def hm08_vertex_indices(self) -> np.ndarray | None:
        """(V,) hm08 base-mesh index of each vertex, which clothes bind to; None: no clothes."""
        return None

    def dominant_bones(self) -> np.ndarray:
        """(V,) index into :attr:`bone_names` of the bone that moves each vertex most."""
        return self.skinned_mesh(self.init_params()).joint_indices[:, 0]

    def __call__(self, params: dict[str, torch.Tensor]) -> BodyOutput:
        return self.forward(params)

    def params_to_json(self, params: dict[str, torch.Tensor]) -> dict:
        return {k: v.detach().cpu().tolist() for k, v in params.items()}

    def params_from_json(self, d: dict) -> dict[str, torch.Tensor]:
        return {k: torch.tensor(v, dtype=torch.float32, device=self.device) for k, v in d.items()}
