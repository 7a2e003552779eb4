"""Shared fixtures for the lifting tests: a ring of cameras, projected observations, a box SDF."""

from __future__ import annotations

import math

import numpy as np
import torch

from pipeline.views.cameras import Camera
from pipeline.lifting.fit import ViewObservation


def ring_cameras(target, n: int = 8, distance: float = 2.5, height: float = 0.6, arc_deg: float = 200.0,
                 facing_deg: float = -90.0, size: int = 512) -> list[Camera]:  # fmt: skip
    """n cameras on an arc centred on ``facing_deg`` (world yaw of the arc's middle)."""
    target = np.asarray(target, float)
    cams = []
    for i in range(n):
        a = math.radians(facing_deg + arc_deg * (i / max(1, n - 1) - 0.5))
        eye = target + np.array([distance * math.cos(a), distance * math.sin(a), height])
        cams.append(Camera.looking_at(eye, target, width=size, height=size, name=f"view_{i:02d}"))
    return cams


def project_observations(keypoints3d: np.ndarray, cameras, noise_px: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    obs = []
    for cam in cameras:
        uv, depth = cam.project(keypoints3d)
        uv = uv + rng.normal(0.0, noise_px, uv.shape) if noise_px else uv
        conf = np.where(depth > 0, 0.9, 0.0)
        obs.append(ViewObservation(cam.name, cam, uv, conf, True))
    return obs


class BoxSDF:
    """Exact signed distance to an axis-aligned box (positive outside), plus an optional floor."""

    def __init__(self, lo, hi, floor_z: float | None = 0.0):
        self.lo = torch.tensor(lo, dtype=torch.float32)
        self.hi = torch.tensor(hi, dtype=torch.float32)
        self.floor_z = floor_z

    def sample(self, points: torch.Tensor) -> torch.Tensor:
        c = (self.lo + self.hi) / 2
        h = (self.hi - self.lo) / 2
        q = (points - c).abs() - h
        outside = torch.linalg.norm(q.clamp(min=0.0), dim=-1)
        inside = q.max(-1).values.clamp(max=0.0)
        d = outside + inside
        if self.floor_z is not None:
            d = torch.minimum(d, points[:, 2] - self.floor_z)
        return d


def mpjpe_mm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b, axis=-1).mean() * 1000.0)
