"""A tiny articulated stick-figure body implementing the BodyModel interface.

It lets the lifting tests prove the optimiser's logic (schedules, view confidences, scene
terms, NaN handling) in milliseconds, independent of the real body model. Rest pose: Z-up,
feet at the origin, facing -Y (like Anny), so its left is +X.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel, BodyOutput
from pipeline.core.rotations import rot6d_to_matrix

# joint name, parent index, rest position
JOINTS = [
    ("pelvis", -1, (0.0, 0.0, 0.95)),
    ("spine", 0, (0.0, 0.0, 0.95)),
    ("left_hip", 0, (0.1, 0.0, 0.95)),
    ("right_hip", 0, (-0.1, 0.0, 0.95)),
    ("left_knee", 2, (0.1, 0.0, 0.5)),
    ("right_knee", 3, (-0.1, 0.0, 0.5)),
    ("neck", 1, (0.0, 0.0, 1.5)),
    ("left_shoulder", 1, (0.18, 0.0, 1.45)),
    ("right_shoulder", 1, (-0.18, 0.0, 1.45)),
    ("left_elbow", 7, (0.2, 0.0, 1.15)),
    ("right_elbow", 8, (-0.2, 0.0, 1.15)),
]
POSED = list(range(1, len(JOINTS)))  # every joint but the root has a local rotation

# keypoint name -> (joint it rides on, rest position)
KEYPOINTS = {
    "nose": (6, (0.0, -0.1, 1.62)),
    "left_eye": (6, (0.035, -0.08, 1.66)),
    "right_eye": (6, (-0.035, -0.08, 1.66)),
    "left_ear": (6, (0.08, 0.0, 1.63)),
    "right_ear": (6, (-0.08, 0.0, 1.63)),
    "left_shoulder": (1, (0.18, 0.0, 1.45)),
    "right_shoulder": (1, (-0.18, 0.0, 1.45)),
    "left_elbow": (7, (0.2, 0.0, 1.15)),
    "right_elbow": (8, (-0.2, 0.0, 1.15)),
    "left_wrist": (9, (0.2, 0.0, 0.9)),
    "right_wrist": (10, (-0.2, 0.0, 0.9)),
    "left_hip": (0, (0.1, 0.0, 0.95)),
    "right_hip": (0, (-0.1, 0.0, 0.95)),
    "left_knee": (2, (0.1, 0.0, 0.5)),
    "right_knee": (3, (-0.1, 0.0, 0.5)),
    "left_ankle": (4, (0.1, 0.0, 0.08)),
    "right_ankle": (5, (-0.1, 0.0, 0.08)),
    "left_big_toe": (4, (0.1, -0.15, 0.02)),
    "left_small_toe": (4, (0.15, -0.12, 0.02)),
    "left_heel": (4, (0.1, 0.05, 0.02)),
    "right_big_toe": (5, (-0.1, -0.15, 0.02)),
    "right_small_toe": (5, (-0.15, -0.12, 0.02)),
    "right_heel": (5, (-0.1, 0.05, 0.02)),
}
BONES = [("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("right_hip", "right_knee"),
         ("right_knee", "right_ankle"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
         ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_hip", "left_shoulder"),
         ("right_hip", "right_shoulder"), ("left_ankle", "left_big_toe"), ("right_ankle", "right_big_toe")]  # fmt: skip


def axis_angle_to_matrix(aa: torch.Tensor) -> torch.Tensor:
    theta = torch.sqrt((aa * aa).sum(-1, keepdim=True) + 1e-12)
    k = aa / theta
    kx, ky, kz = k.unbind(-1)
    zero = torch.zeros_like(kx)
    kk = torch.stack([zero, -kz, ky, kz, zero, -kx, -ky, kx, zero], -1).reshape(*aa.shape[:-1], 3, 3)
    s, c = torch.sin(theta)[..., None], torch.cos(theta)[..., None]
    eye = torch.eye(3, dtype=aa.dtype).expand_as(kk)
    return eye + s * kk + (1 - c) * (kk @ kk)


class ToyBody(BodyModel):
    name = "toy"

    def __init__(self, rings: int = 6, per_ring: int = 6, radius: float = 0.05):
        self.rest_joints = torch.tensor([j[2] for j in JOINTS], dtype=torch.float32)
        self.parents = [j[1] for j in JOINTS]
        names = list(KEYPOINT_NAMES)
        self.kp_joint = torch.tensor([KEYPOINTS[n][0] for n in names])
        self.kp_rest = torch.tensor([KEYPOINTS[n][1] for n in names], dtype=torch.float32)
        # a point-cloud "skin": rings around each bone, riding on the bone's child-side joint
        verts, owner, faces = [], [], []
        for a, b in BONES:
            ia, ib = names.index(a), names.index(b)
            pa, pb = self.kp_rest[ia].numpy(), self.kp_rest[ib].numpy()
            joint = int(self.kp_joint[ib])  # the bone moves with its far end's joint
            d = pb - pa
            d /= np.linalg.norm(d)
            ortho = np.cross(d, [1.0, 0.3, 0.2])
            ortho /= np.linalg.norm(ortho)
            ortho2 = np.cross(d, ortho)
            base = len(verts)
            for r in range(rings):
                c = pa + (pb - pa) * (r + 0.5) / rings
                for q in range(per_ring):
                    ang = 2 * np.pi * q / per_ring
                    verts.append(c + radius * (np.cos(ang) * ortho + np.sin(ang) * ortho2))
                    owner.append(joint)
            for r in range(rings - 1):
                for q in range(per_ring):
                    a0 = base + r * per_ring + q
                    a1 = base + r * per_ring + (q + 1) % per_ring
                    faces.append([a0, a1, a0 + per_ring])
                    faces.append([a1, a1 + per_ring, a0 + per_ring])
        self.v_rest = torch.tensor(np.array(verts), dtype=torch.float32)
        self.v_joint = torch.tensor(owner)
        self._faces = np.array(faces, dtype=np.int64)

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    @property
    def num_vertices(self) -> int:
        return int(self.v_rest.shape[0])

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def init_params(self, batch: int = 1) -> dict[str, torch.Tensor]:
        eye6 = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        return {
            "translation": torch.zeros(batch, 3),
            "orientation": eye6.repeat(batch, 1),
            "pose": torch.zeros(batch, len(POSED) * 3),
            "shape": torch.zeros(batch, 1),
        }

    def forward(self, params: dict[str, torch.Tensor]) -> BodyOutput:
        t, o, pose, shape = params["translation"], params["orientation"], params["pose"], params["shape"]
        b = t.shape[0]
        scale = torch.exp(0.1 * shape)[:, :, None]  # (B, 1, 1)
        r_root = rot6d_to_matrix(o)
        local = axis_angle_to_matrix(pose.reshape(b, len(POSED), 3))
        rest = self.rest_joints[None] * scale
        rots = [r_root]
        pos = [rest[:, 0]]
        for j in range(1, len(JOINTS)):
            p = self.parents[j]
            pos.append(pos[p] + (rots[p] @ (rest[:, j] - rest[:, p])[..., None])[..., 0])
            rots.append(rots[p] @ local[:, j - 1])
        rots_t = torch.stack(rots, 1)  # (B, J, 3, 3)
        pos_t = torch.stack(pos, 1)  # (B, J, 3)

        def skin(points, owners):
            pr = points[None] * scale
            rel = pr - rest[:, owners]
            return (rots_t[:, owners] @ rel[..., None])[..., 0] + pos_t[:, owners] + t[:, None]

        return BodyOutput(
            vertices=skin(self.v_rest, self.v_joint),
            keypoints=skin(self.kp_rest, self.kp_joint),
            joints=pos_t + t[:, None],
        )

    def pose_prior(self, params):
        pose = params["pose"].reshape(-1, len(POSED), 3)
        knees = pose[:, 3:5, 0]  # knee x-rotation: legs bend backwards (negative about +x is forward)
        return (pose**2).mean() + torch.relu(-knees).mean()

    def shape_prior(self, params):
        return (params["shape"] ** 2).mean()

    def skinned_mesh(self, params):
        raise NotImplementedError("the toy body has no rig")
