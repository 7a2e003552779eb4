"""Rays and frustums of a :class:`~pipeline.views.cameras.Camera`, for picking and drawing cameras.

The desktop viewport turns its interactive view into a ``Camera`` (``camera_from_view``) and
asks here for the ray through a clicked pixel, so the click is resolved by a ray cast against
the real scene geometry with exactly the projection the pipeline uses. Pixel coordinates
follow ``pipeline.views.cameras``: top-left origin, pixel (i, j) has its centre at (i + 0.5, j + 0.5).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pipeline.views.cameras import WORLD_UP, Camera


def camera_from_view(
    position: Sequence[float],
    focal_point: Sequence[float],
    view_up: Sequence[float],
    fov_y_deg: float,
    width: int,
    height: int,
    name: str = "",
) -> Camera:
    """A pinhole ``Camera`` equivalent to an interactive viewer's perspective camera.

    ``view_up`` need not be orthogonal to the viewing direction (viewers keep it loose);
    the image-up direction is the part of it orthogonal to the view.
    """
    position = np.asarray(position, dtype=np.float64)
    focal_point = np.asarray(focal_point, dtype=np.float64)
    if np.linalg.norm(focal_point - position) < 1e-12:
        raise ValueError("The view's position and focal point coincide; reset the view first.")
    if width <= 0 or height <= 0:
        raise ValueError(f"The view has no pixels ({width} x {height}); show the window first.")
    up = np.asarray(view_up, dtype=np.float64)
    if np.linalg.norm(up) < 1e-12:
        up = WORLD_UP
    return Camera.looking_at(
        position, focal_point, up=up, fov_y_deg=float(fov_y_deg),
        width=int(width), height=int(height), name=name,
    )


def pixel_ray(camera: Camera, u: float, v: float) -> tuple[np.ndarray, np.ndarray]:
    """World-space ray (origin, unit direction) through continuous pixel coordinates (u, v)."""
    k_inv = np.linalg.inv(camera.K)
    d_cam = k_inv @ np.array([float(u), float(v), 1.0])
    d_world = camera.rotation.T @ d_cam
    d_world /= np.linalg.norm(d_world)
    return camera.position.copy(), d_world


def display_pixel_ray(camera: Camera, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """Ray through the centre of integer pixel (x, y) counted from the BOTTOM-left corner.

    Viewers (VTK) report mouse positions this way; this converts to the top-left convention.
    """
    return pixel_ray(camera, x + 0.5, camera.height - y - 0.5)


def frustum_points(camera: Camera, depth: float) -> np.ndarray:
    """(5, 3) points: the camera centre, then the image corners at ``depth`` metres.

    Corner order: top-left, top-right, bottom-right, bottom-left (as seen in the image).
    """
    if depth <= 0:
        raise ValueError("The frustum depth must be positive.")
    w, h = camera.width, camera.height
    k_inv = np.linalg.inv(camera.K)
    corners_px = np.array([[0.0, 0.0, 1.0], [w, 0.0, 1.0], [w, h, 1.0], [0.0, h, 1.0]])
    corners_cam = (k_inv @ corners_px.T).T * depth  # z == depth for every corner
    c2w = camera.camera_to_world
    corners_world = corners_cam @ c2w[:3, :3].T + c2w[:3, 3]
    return np.vstack([camera.position[None, :], corners_world])


def viewer_pose(camera: Camera, distance: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position, focal_point, view_up) that make a viewer look through ``camera``.

    The focal point lies on the viewing axis, as deep as the camera's recorded look-at
    point when it has one in front of it, else ``distance`` metres ahead.
    """
    position = camera.position
    forward = camera.forward
    depth = float(distance)
    if camera.look_at is not None:
        ahead = float(np.dot(camera.look_at - position, forward))
        if ahead > 1e-6:
            depth = ahead
    return position, position + forward * depth, camera.up.copy()


def orbit_camera(camera: Camera, pivot: Sequence[float], azimuth_deg: float, elevation_deg: float,
                 max_elevation_deg: float = 85.0) -> Camera:
    """The camera moved on a sphere around ``pivot`` (Z-up), still aimed at ``pivot``.

    ``azimuth_deg`` turns about the world Z axis through the pivot; ``elevation_deg`` raises
    the camera, clamped to +-``max_elevation_deg`` so it never flips over the pole. Distance,
    field of view, image size, name and extras are kept; the look-at point becomes ``pivot``.
    """
    pivot = np.asarray(pivot, dtype=np.float64).reshape(3)
    offset = camera.position - pivot
    radius = float(np.linalg.norm(offset))
    if radius < 1e-9:
        raise ValueError("The camera sits on the point to orbit around; move it away first.")
    azimuth = np.arctan2(offset[1], offset[0]) + np.radians(azimuth_deg)
    elevation = np.arcsin(np.clip(offset[2] / radius, -1.0, 1.0)) + np.radians(elevation_deg)
    limit = np.radians(max_elevation_deg)
    elevation = float(np.clip(elevation, -limit, limit))
    direction = np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)])
    moved = Camera.looking_at(pivot + radius * direction, pivot, fov_y_deg=camera.fov_y_deg,
                              width=camera.width, height=camera.height, name=camera.name)
    moved.extra = dict(camera.extra)
    return moved


def camera_under_ray(cameras: Sequence[Camera], origin: Sequence[float], direction: Sequence[float],
                     depth: float, max_angle_deg: float = 2.5) -> int | None:
    """Index of the camera whose drawn frustum (apex or middle, ``depth`` deep) a click ray
    passes closest to, within ``max_angle_deg`` as seen from the ray origin; None if none."""
    origin = np.asarray(origin, dtype=np.float64).reshape(3)
    d = np.asarray(direction, dtype=np.float64).reshape(3)
    d = d / np.linalg.norm(d)
    best, best_angle = None, np.radians(max_angle_deg)
    for i, cam in enumerate(cameras):
        for point in (cam.position, cam.position + cam.forward * (0.5 * depth)):
            v = point - origin
            dist = float(np.linalg.norm(v))
            if dist < 1e-9 or np.dot(v, d) <= 0:
                continue
            angle = float(np.arccos(np.clip(np.dot(v, d) / dist, -1.0, 1.0)))
            if angle < best_angle:
                best, best_angle = i, angle
    return best
