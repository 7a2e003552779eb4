"""Pinhole cameras in one convention, shared by rendering, keypoints and fitting.

Convention (OpenCV): camera x points right, y down, z forward (into the scene).
``world_to_camera`` is a 4x4 rigid transform taking Z-up world metres to camera metres.
Pixel coordinates are continuous with the image's top-left corner at (0, 0), so the centre
of pixel (i, j) is at (i + 0.5, j + 0.5) and the principal point of a W x H image is
(W / 2, H / 2).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

WORLD_UP = np.array([0.0, 0.0, 1.0])


@dataclass
class Camera:
    """A pinhole camera: image size, vertical field of view and a world-to-camera pose."""

    width: int
    height: int
    fov_y_deg: float
    world_to_camera: np.ndarray  # (4, 4) float64
    name: str = ""
    look_at: np.ndarray | None = None  # the point the camera was aimed at, if known
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.world_to_camera = np.asarray(self.world_to_camera, dtype=np.float64).reshape(4, 4)
        if self.look_at is not None:
            self.look_at = np.asarray(self.look_at, dtype=np.float64).reshape(3)

    # ---- intrinsics -------------------------------------------------------------------
    @property
    def focal(self) -> float:
        return 0.5 * self.height / math.tan(math.radians(self.fov_y_deg) / 2.0)

    @property
    def K(self) -> np.ndarray:
        f = self.focal
        return np.array([[f, 0.0, self.width / 2.0], [0.0, f, self.height / 2.0], [0.0, 0.0, 1.0]])

    # ---- extrinsics -------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray:
        return self.world_to_camera[:3, :3]

    @property
    def camera_to_world(self) -> np.ndarray:
        return np.linalg.inv(self.world_to_camera)

    @property
    def position(self) -> np.ndarray:
        r, t = self.world_to_camera[:3, :3], self.world_to_camera[:3, 3]
        return -r.T @ t

    @property
    def forward(self) -> np.ndarray:
        """Viewing direction in world coordinates (camera +z)."""
        return self.world_to_camera[2, :3].copy()

    @property
    def up(self) -> np.ndarray:
        """Image-up direction in world coordinates (camera -y)."""
        return -self.world_to_camera[1, :3]

    @classmethod
    def looking_at(
        cls,
        eye: Sequence[float],
        target: Sequence[float],
        *,
        up: Sequence[float] = WORLD_UP,
        fov_y_deg: float = 60.0,
        width: int = 512,
        height: int = 512,
        name: str = "",
    ) -> "Camera":
        eye = np.asarray(eye, dtype=np.float64)
        target = np.asarray(target, dtype=np.float64)
        z = target - eye
        z /= np.linalg.norm(z)
        up = np.asarray(up, dtype=np.float64)
        x = np.cross(z, up)
        if np.linalg.norm(x) < 1e-9:  # looking straight up or down: pick any right vector
            x = np.cross(z, np.array([0.0, 1.0, 0.0]))
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        m = np.eye(4)
        m[:3, :3] = np.stack([x, y, z])
        m[:3, 3] = -m[:3, :3] @ eye
        return cls(width, height, fov_y_deg, m, name=name, look_at=target)

    # ---- projection (numpy convenience) -----------------------------------------------
    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project (N, 3) world points; returns (N, 2) pixels and (N,) depths."""
        uv, depth = project_points(
            torch.as_tensor(np.asarray(points, dtype=np.float64)),
            torch.as_tensor(self.K),
            torch.as_tensor(self.world_to_camera),
        )
        return uv.numpy(), depth.numpy()

    # ---- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {
            "name": self.name,
            "width": int(self.width),
            "height": int(self.height),
            "fov_y_deg": float(self.fov_y_deg),
            "K": self.K.tolist(),
            "world_to_camera": self.world_to_camera.tolist(),
        }
        if self.look_at is not None:
            d["look_at"] = self.look_at.tolist()
        if self.extra:
            d["extra"] = self.extra
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Camera":
        if "fov_y_deg" in d:
            fov = float(d["fov_y_deg"])
            width, height = int(d["width"]), int(d["height"])
        else:  # views.json entries carry K and the shared image size
            K = np.asarray(d["K"], dtype=np.float64)
            width, height = int(d["width"]), int(d["height"])
            fov = math.degrees(2.0 * math.atan(0.5 * height / K[1, 1]))
        return cls(
            width,
            height,
            fov,
            np.asarray(d["world_to_camera"], dtype=np.float64),
            name=d.get("name", ""),
            look_at=d.get("look_at"),
            extra=dict(d.get("extra", {})),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "Camera":
        return cls.from_dict(json.loads(text))


def stack_cameras(cameras: Sequence[Camera], *, dtype=torch.float32, device=None):
    """Batched (V, 3, 3) intrinsics and (V, 4, 4) extrinsics for :func:`project_points`."""
    K = torch.as_tensor(np.stack([c.K for c in cameras]), dtype=dtype, device=device)
    w2c = torch.as_tensor(np.stack([c.world_to_camera for c in cameras]), dtype=dtype, device=device)
    return K, w2c


def project_points(
    points: torch.Tensor, K: torch.Tensor, world_to_camera: torch.Tensor, eps: float = 1e-6
) -> tuple[torch.Tensor, torch.Tensor]:
    """Differentiable pinhole projection, batched over views.

    points: (N, 3), or (B, N, 3) for one point set per view when B == V.
    K: (3, 3) or (V, 3, 3); world_to_camera: (4, 4) or (V, 4, 4).
    Returns pixels (..., N, 2) and camera depths (..., N). A point behind the camera gets a
    clamped depth so gradients stay finite; callers should mask on the returned depth.
    """
    single = K.dim() == 2
    if single:
        K = K.unsqueeze(0)
        world_to_camera = world_to_camera.unsqueeze(0)
    R = world_to_camera[:, :3, :3]
    t = world_to_camera[:, :3, 3]
    if points.dim() == 2:
        cam = torch.einsum("vij,nj->vni", R, points.to(R.dtype)) + t[:, None, :]
    else:
        cam = torch.einsum("vij,vnj->vni", R, points.to(R.dtype)) + t[:, None, :]
    z = cam[..., 2]
    zc = z.clamp(min=eps)
    x = cam[..., 0] / zc
    y = cam[..., 1] / zc
    u = K[:, 0, 0, None] * x + K[:, 0, 1, None] * y + K[:, 0, 2, None]
    v = K[:, 1, 1, None] * y + K[:, 1, 2, None]
    uv = torch.stack([u, v], dim=-1)
    if single:
        return uv[0], z[0]
    return uv, z


def resized_camera(camera: Camera, width: int | None = None, height: int | None = None) -> Camera:
    """The same camera (pose, vertical field of view) at another image size.
    Give one side to keep the camera's aspect ratio, or both to choose a new one."""
    if width is None and height is None:
        return camera
    if width is None:
        width = round(height * camera.width / camera.height)
    if height is None:
        height = round(width * camera.height / camera.width)
    return dataclasses.replace(camera, width=int(width), height=int(height))


def camera_with_longest_side(camera: Camera, side: int, multiple: int = 1) -> Camera:
    """The camera with its longer image side ``side`` pixels, both sides rounded to a
    ``multiple`` (8 for the inpainting model's latent grid), same pose and field of view."""
    scale = side / max(camera.width, camera.height)
    w = max(multiple, int(round(camera.width * scale / multiple)) * multiple)
    h = max(multiple, int(round(camera.height * scale / multiple)) * multiple)
    return resized_camera(camera, w, h)
