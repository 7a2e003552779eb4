"""A cheap self-penetration proxy: body parts as capsules, vertices of other parts kept out.

The paper lists self-penetration as an optional term; a full mesh self-intersection test
would cost more than the rest of the fit. Here every coarse part (torso, head, upper arms,
forearms, hands, thighs, shins, feet) becomes a capsule fitted to its rest-pose vertices:
its axis runs between the means of the part's lowest and highest 10 % of vertices along its
principal direction, its radius is 0.8 x the median vertex distance to that axis (inside the
skin, so touching is free). In the posed body the capsule ends are the same vertex means, so
the capsules follow any pose and shape. The loss is the mean squared depth of sampled
vertices of *non-neighbouring* parts inside each capsule (a hand in the chest, a forearm
through a thigh); neighbours (upper arm and torso, ...) are skipped because they share skin.

Parts come from each vertex's dominant skinning bone and its nearest listed ancestor, so the
same code serves Anny and SMPL-X.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.body.base import SkinnedMesh

#: Part of the skeleton each bone name starts (Anny names, then SMPL-X names); bones below a
#: listed bone belong to its part, everything else is torso.
PART_ROOTS: dict[str, str] = {
    "head": "head",
    "upperarm01.L": "upper_arm_l", "lowerarm01.L": "forearm_l", "wrist.L": "hand_l",
    "upperarm01.R": "upper_arm_r", "lowerarm01.R": "forearm_r", "wrist.R": "hand_r",
    "upperleg01.L": "thigh_l", "lowerleg01.L": "shin_l", "foot.L": "foot_l",
    "upperleg01.R": "thigh_r", "lowerleg01.R": "shin_r", "foot.R": "foot_r",
    "left_shoulder": "upper_arm_l", "left_elbow": "forearm_l", "left_wrist": "hand_l",
    "right_shoulder": "upper_arm_r", "right_elbow": "forearm_r", "right_wrist": "hand_r",
    "left_hip": "thigh_l", "left_knee": "shin_l", "left_ankle": "foot_l",
    "right_hip": "thigh_r", "right_knee": "shin_r", "right_ankle": "foot_r",
}  # fmt: skip
END_VERTICES = 32  # vertices averaged per capsule end (enough for a stable mean, few to pose)
NEIGHBOURS: set[frozenset[str]] = {
    frozenset(p)
    for p in [
        ("torso", "head"),
        ("torso", "upper_arm_l"), ("upper_arm_l", "forearm_l"), ("forearm_l", "hand_l"),
        ("torso", "upper_arm_r"), ("upper_arm_r", "forearm_r"), ("forearm_r", "hand_r"),
        ("torso", "thigh_l"), ("thigh_l", "shin_l"), ("shin_l", "foot_l"),
        ("torso", "thigh_r"), ("thigh_r", "shin_r"), ("shin_r", "foot_r"),
        ("thigh_l", "thigh_r"),  # the inner thighs touch in most postures
    ]
}  # fmt: skip


def vertex_parts(skinned: SkinnedMesh) -> tuple[list[str], np.ndarray]:
    """(part names, (V,) part index of every vertex) from the dominant skinning bone."""
    names = list(skinned.bone_names)
    parents = np.asarray(skinned.parents)
    bone_part: list[str] = []
    for b in range(len(names)):
        j, part = b, "torso"
        while j >= 0:
            if names[j] in PART_ROOTS:
                part = PART_ROOTS[names[j]]
                break
            j = int(parents[j])
        bone_part.append(part)
    dominant = skinned.joint_indices[np.arange(len(skinned.joint_indices)), np.argmax(skinned.joint_weights, axis=1)]
    part_names = sorted(set(bone_part))
    index = {p: i for i, p in enumerate(part_names)}
    return part_names, np.array([index[bone_part[int(b)]] for b in dominant], dtype=np.int64)


class SelfPenetrationProxy:
    """Capsules per part and sampled vertices; call with the posed vertices at ``vertex_index``."""

    def __init__(self, skinned: SkinnedMesh, samples_per_part: int = 48, end_fraction: float = 0.1,
                 radius_scale: float = 0.8, device: str | torch.device = "cpu") -> None:
        rest = np.asarray(skinned.rest_vertices, dtype=np.float64)
        self.part_names, part_of = vertex_parts(skinned)
        ends_a, ends_b, radii, samples, sample_part = [], [], [], [], []
        for p in range(len(self.part_names)):
            idx = np.nonzero(part_of == p)[0]
            if len(idx) < 20:
                raise ValueError(f"part {self.part_names[p]} has only {len(idx)} vertices")
            pts = rest[idx]
            centre = pts.mean(0)
            axis = np.linalg.svd(pts - centre, full_matrices=False)[2][0]
            t = (pts - centre) @ axis
            lo, hi = np.quantile(t, [end_fraction, 1.0 - end_fraction])
            a_idx, b_idx = idx[t <= lo], idx[t >= hi]
            a_idx, b_idx = a_idx[:: max(1, len(a_idx) // END_VERTICES)], b_idx[:: max(1, len(b_idx) // END_VERTICES)]
            a, b = rest[a_idx].mean(0), rest[b_idx].mean(0)
            radii.append(radius_scale * float(np.median(_segment_distance_np(pts, a, b))))
            ends_a.append(a_idx)
            ends_b.append(b_idx)
            step = max(1, len(idx) // samples_per_part)
            samples.append(idx[::step][:samples_per_part])
            sample_part.append(np.full(len(samples[-1]), p))
        samples_all = np.concatenate(samples)
        needed = np.unique(np.concatenate([samples_all, *ends_a, *ends_b]))
        position = {int(v): i for i, v in enumerate(needed)}
        # ends as (P, V_needed) averaging matrices, so capsule ends are one matmul
        avg_a = np.zeros((len(self.part_names), len(needed)))
        avg_b = np.zeros_like(avg_a)
        for p, (ia, ib) in enumerate(zip(ends_a, ends_b)):
            avg_a[p, [position[int(v)] for v in ia]] = 1.0 / len(ia)
            avg_b[p, [position[int(v)] for v in ib]] = 1.0 / len(ib)
        sample_part_all = np.concatenate(sample_part)
        checked = np.array([[s != c and frozenset((self.part_names[s], self.part_names[c])) not in NEIGHBOURS
                             for c in range(len(self.part_names))] for s in sample_part_all])
        dev = torch.device(device)
        self.vertex_index = torch.as_tensor(needed, dtype=torch.long, device=dev)
        self._avg_a = torch.as_tensor(avg_a, dtype=torch.float32, device=dev)
        self._avg_b = torch.as_tensor(avg_b, dtype=torch.float32, device=dev)
        self._samples = torch.as_tensor([position[int(v)] for v in samples_all], dtype=torch.long, device=dev)
        self._radii = torch.as_tensor(radii, dtype=torch.float32, device=dev)
        self._checked = torch.as_tensor(checked, dtype=torch.float32, device=dev)  # (S, P)

    @classmethod
    def for_body(cls, body, **kwargs) -> "SelfPenetrationProxy":
        return cls(body.skinned_mesh(body.init_params(1)), device=body.device, **kwargs)

    def depths(self, vertices: torch.Tensor) -> torch.Tensor:
        """(..., S, P) how deep each sampled vertex is inside each other part's capsule (0
        outside); ``vertices`` (..., n, 3), leading dimensions (hypothesis sets) kept."""
        a = self._avg_a @ vertices  # (..., P, 3)
        b = self._avg_b @ vertices
        x = vertices[..., self._samples, :]  # (..., S, 3)
        ab = b - a
        t = ((x[..., :, None, :] - a[..., None, :, :]) * ab[..., None, :, :]).sum(-1)
        t = t / (ab * ab).sum(-1).clamp(min=1e-9)[..., None, :]
        closest = a[..., None, :, :] + t.clamp(0.0, 1.0)[..., None] * ab[..., None, :, :]
        dist = (x[..., :, None, :] - closest).norm(dim=-1)
        return torch.relu(self._radii - dist) * self._checked

    def __call__(self, vertices: torch.Tensor) -> torch.Tensor:
        """Mean squared penetration depth (m^2) over the sampled vertices; ``vertices`` are the
        posed positions at :attr:`vertex_index`, (n, 3) or (N, n, 3) for one value per set."""
        d = self.depths(vertices)
        return (d * d).sum((-1, -2)) / d.shape[-2]


def _segment_distance_np(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip((points - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)
