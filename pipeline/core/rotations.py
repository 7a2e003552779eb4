"""Rotation helpers shared by the body models and the lifting (6D <-> matrix <-> axis-angle,
yaw and alignment), torch and batched where it matters.

The 6D representation is the first two columns of a rotation matrix (Zhou et al. 2019); it is
continuous, so the optimiser never meets the wrap-around of axis-angle or Euler angles.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def rot6d_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """(..., 6) first two columns -> (..., 3, 3) rotation matrix via Gram-Schmidt."""
    a1, a2 = x[..., 0:3], x[..., 3:6]
    b1 = torch.nn.functional.normalize(a1, dim=-1, eps=1e-8)
    a2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = torch.nn.functional.normalize(a2, dim=-1, eps=1e-8)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(m: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 6): the first two columns, column-major as rot6d_to_matrix reads it."""
    return torch.cat([m[..., :, 0], m[..., :, 1]], dim=-1)


def rotation_about_z(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit direction ``a`` onto ``b`` (Rodrigues)."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        if c > 0:
            return np.eye(3)
        # 180 degrees: rotate about any axis perpendicular to a
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1.0 / (1.0 + c))


def kabsch(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """The rotation R (3, 3), no reflection, and the scale that best map ``source`` (N, 3) onto
    ``target`` (N, 3) about their means: ``target - mean ~ scale * R @ (source - mean)``."""
    xs, xt = source - source.mean(0), target - target.mean(0)
    u, s, vt = np.linalg.svd(xs.T @ xt)
    corr = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    var = (xs**2).sum()
    return (u @ corr @ vt).T, float((s * np.diag(corr)).sum() / var) if var > 0 else 1.0


def procrustes_align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Similarity-align ``source`` (N, 3) onto ``target`` (N, 3); returns the aligned source."""
    r, scale = kabsch(source, target)
    return scale * (source - source.mean(0)) @ r.T + target.mean(0)


def axis_angle_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """(..., 3) rotation vector -> (..., 3, 3) (Rodrigues, smooth at zero)."""
    theta2 = (v * v).sum(-1, keepdim=True)
    theta = torch.sqrt(theta2 + 1e-12)
    small = theta2 < 1e-8
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(theta)) / (theta2 + 1e-12))
    x, y, z = v.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(v.shape[:-1] + (3, 3))
    eye = torch.eye(3, dtype=v.dtype, device=v.device).expand_as(k)
    return eye + a[..., None] * k + b[..., None] * (k @ k)


def matrix_to_axis_angle(m: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 3) rotation vector with angle in [0, pi); gradients stay finite."""
    skew = torch.stack(
        [m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1
    )
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    cos = ((trace - 1.0) * 0.5).clamp(-1.0 + 1e-6, 1.0 - 1e-6)
    sin = 0.5 * torch.sqrt((skew * skew).sum(-1) + 1e-12)
    angle = torch.atan2(sin, cos)
    scale = torch.where(sin < 1e-4, 0.5 + angle * angle / 12.0, angle / (2.0 * sin + 1e-12))
    return skew * scale[..., None]


def euler_matrix(axes: str, degrees: list[float] | tuple[float, ...]) -> torch.Tensor:
    """Rotation for intrinsic-free, successive rotations about world axes, first axis first.

    ``euler_matrix("xz", (90, 30))`` rotates by 90 deg about x, then by 30 deg about z.
    """
    r = torch.eye(3)
    for axis, deg in zip(axes, degrees):
        v = torch.zeros(3)
        v["xyz".index(axis)] = math.radians(deg)
        r = axis_angle_to_matrix(v) @ r
    return r
