"""Anatomical priors: joint-angle limits with a mild pull to neutral, and a shape prior.

Anny has no learned pose prior (SMPL-X has VPoser), so plausibility comes from per-joint
angle ranges. Each main bone's local rotation is turned into a rotation vector and measured
in an anatomical frame of three axes; each component has a [lower, upper] range in degrees.
Leaving the range costs the squared excess (radians); every component also pays a small
quadratic pull towards the rest pose so that unobserved joints stay neutral.

Frames. Legs, spine, neck, head and clavicles use the rest pose's world-aligned axes
(x = body left, y = back, z = up; Anny's ``local-ref`` axes): for them +x is forward flexion
of the spine and neck, backward swing of the thigh (so hip flexion is negative) and flexion
of the knee. Arm bones use a limb frame built from the rest geometry: (flexion axis
d x forward, a back-pointing axis, the bone direction d), so the first component is
flexion (forward) for shoulder and elbow alike. Right-side bones are mirrored
(components 2 and 3 change sign), so one table of left-side limits serves both sides.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.core.rotations import matrix_to_axis_angle, rot6d_to_matrix

# Left-side (or central) limits in degrees: (lower xyz, upper xyz) in the frames above.
ANNY_LIMITS_DEG: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "spine05": ((-8, -8, -10), (18, 8, 10)),
    "spine04": ((-8, -8, -10), (18, 8, 10)),
    "spine03": ((-8, -8, -10), (18, 8, 10)),
    "spine02": ((-8, -8, -10), (18, 8, 10)),
    "spine01": ((-8, -8, -10), (18, 8, 10)),
    "neck01": ((-15, -12, -20), (20, 12, 20)),
    "neck02": ((-15, -12, -20), (20, 12, 20)),
    "neck03": ((-15, -12, -20), (20, 12, 20)),
    "head": ((-25, -20, -30), (25, 20, 30)),
    "clavicle": ((-15, -30, -20), (15, 10, 20)),
    "shoulder01": ((-15, -15, -15), (15, 15, 15)),
    # limb frame: (flexion forward, back axis: + brings the left arm down/in, twist)
    "upperarm01": ((-50, -150, -90), (170, 40, 90)),
    "lowerarm01": ((-40, -10, -80), (105, 10, 80)),  # rest pose is already ~43 deg flexed
    "wrist": ((-70, -25, -25), (70, 35, 25)),
    # world-aligned: x + = thigh backwards (flexion is negative), y + = adduction, z twist
    "upperleg01": ((-125, -50, -40), (30, 25, 40)),
    "lowerleg01": ((-3, -5, -15), (150, 5, 15)),
    "foot": ((-35, -20, -25), (50, 20, 25)),
}
LIMB_FRAME_BONES = ("upperarm01", "lowerarm01", "wrist")
FORWARD = np.array([0.0, -1.0, 0.0])


def _family(bone: str) -> str:
    return bone.split(".")[0]


def limb_frame(direction: np.ndarray) -> np.ndarray:
    """Rows: flexion axis (d x forward), back axis (d x flexion axis), the bone direction d."""
    d = direction / np.linalg.norm(direction)
    a = np.cross(d, FORWARD)
    a /= np.linalg.norm(a)
    c = np.cross(d, a)
    c /= np.linalg.norm(c)
    return np.stack([a, c, d])


class JointLimitPrior:
    """Differentiable joint-limit hinge + neutral pull for a list of bones.

    ``frames`` (J, 3, 3) rows are the anatomical axes of each bone (already mirrored for the
    right side); ``lower``/``upper`` (J, 3) in degrees.
    """

    def __init__(self, bones, frames, lower_deg, upper_deg, neutral_weight: float = 0.01):
        self.bones = tuple(bones)
        self.frames = torch.as_tensor(np.asarray(frames), dtype=torch.float32)
        self.lower = torch.as_tensor(np.radians(np.asarray(lower_deg, dtype=np.float64)), dtype=torch.float32)
        self.upper = torch.as_tensor(np.radians(np.asarray(upper_deg, dtype=np.float64)), dtype=torch.float32)
        self.neutral_weight = float(neutral_weight)

    def to(self, device) -> "JointLimitPrior":
        self.frames, self.lower, self.upper = (t.to(device) for t in (self.frames, self.lower, self.upper))
        return self

    def components(self, pose6d: torch.Tensor) -> torch.Tensor:
        """(B, J, 6) -> (B, J, 3) anatomical angle components in radians."""
        rotvec = matrix_to_axis_angle(rot6d_to_matrix(pose6d))
        return torch.einsum("jab,...jb->...ja", self.frames.to(pose6d.device), rotvec)

    def __call__(self, pose6d: torch.Tensor) -> torch.Tensor:
        ang = self.components(pose6d)
        lo, hi = self.lower.to(ang.device), self.upper.to(ang.device)
        excess = torch.relu(lo - ang) + torch.relu(ang - hi)
        hinge = (excess * excess).sum((-1, -2))
        neutral = (ang * ang).sum((-1, -2))
        return (hinge + self.neutral_weight * neutral).mean()


def anny_joint_limit_prior(bone_names, rest_heads: dict[str, np.ndarray], child_of: dict[str, str],
                           neutral_weight: float = 0.01) -> JointLimitPrior:
    """Build the prior for Anny's main bones from the average body's rest bone heads."""
    frames, lower, upper = [], [], []
    mirror = np.diag([1.0, -1.0, -1.0])
    for bone in bone_names:
        fam = _family(bone)
        lo, hi = ANNY_LIMITS_DEG[fam]
        if fam in LIMB_FRAME_BONES:
            direction = rest_heads[child_of[bone]] - rest_heads[bone]
            frame = limb_frame(direction)
        else:
            frame = np.eye(3)
        if bone.endswith(".R"):
            frame = mirror @ frame
        frames.append(frame)
        lower.append(lo)
        upper.append(hi)
    return JointLimitPrior(bone_names, np.stack(frames), lower, upper, neutral_weight)


def phenotype_prior(phenotypes: torch.Tensor, free_mask: torch.Tensor | None = None,
                    average: float = 0.5) -> torch.Tensor:
    """Mean squared distance of the free phenotypes from the average person (0.5 each)."""
    d = (phenotypes - average) ** 2
    if free_mask is not None:
        m = free_mask.to(d.dtype)
        return (d * m).sum(-1).mean() / m.sum().clamp_min(1.0)
    return d.mean()


# The paper's joint-angle prior for SMPL-X, on the 21 body joints'
# axis-angle components: (body-pose index, axis, sign of the penalised direction).
_SMPLX_HINGES = (
    (0, 0, 1), (1, 0, 1), (2, 0, -1), (3, 0, -1), (4, 0, -1), (5, 0, -1), (6, 0, -1), (7, 0, -1),
    (8, 0, -1), (11, 0, -1), (12, 1, 1), (13, 1, -1), (15, 1, 1), (16, 1, -1), (17, 1, 1), (18, 1, -1),
)  # fmt: skip
_SMPLX_ABS = ((9, 0), (9, 1), (9, 2), (10, 0), (10, 1), (10, 2), (14, 0), (14, 1), (14, 2), (19, 1), (20, 1))


def smplx_angle_prior(body_pose_aa: torch.Tensor, neutral_weight: float = 0.01) -> torch.Tensor:
    """Mean of the paper's 16 one-sided hinges and 11 absolute values, plus a neutral pull.

    ``body_pose_aa`` (B, 21, 3) axis-angle of SMPL-X's body joints (radians).
    """
    terms = [torch.relu(sign * body_pose_aa[:, j, a]) for j, a, sign in _SMPLX_HINGES]
    terms += [body_pose_aa[:, j, a].abs() for j, a in _SMPLX_ABS]
    hinge = torch.stack(terms, -1).mean(-1)
    return (hinge + neutral_weight * (body_pose_aa**2).sum((-1, -2))).mean()
