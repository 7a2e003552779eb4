"""Rotation helpers for the body models (6D <-> matrix <-> axis-angle), torch, batched.

The 6D representation is the first two columns of the rotation matrix, column-major:
``(r00, r10, r20, r01, r11, r21)``; the same convention as ``pipeline/base.py`` documents.
"""

from __future__ import annotations

import math

import torch


def rot6d_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt (continuous, any input gives a rotation)."""
    a1, a2 = x[..., 0:3], x[..., 3:6]
    b1 = torch.nn.functional.normalize(a1, dim=-1, eps=1e-8)
    a2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = torch.nn.functional.normalize(a2, dim=-1, eps=1e-8)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(m: torch.Tensor) -> torch.Tensor:
    return torch.cat([m[..., :, 0], m[..., :, 1]], dim=-1)


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
