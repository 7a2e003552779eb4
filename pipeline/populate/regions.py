"""Floor-plan shapes of a populate plan: polygons in X/Y (metres, Z up) and their overlaps.

A placement's region is a polygon drawn on the floor, or a point with a radius (kept as a
24-sided polygon so one overlap test serves both).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def circle_polygon(center: Sequence[float], radius: float, sides: int = 24) -> np.ndarray:
    a = np.linspace(0.0, 2.0 * math.pi, sides, endpoint=False)
    return np.stack([center[0] + radius * np.cos(a), center[1] + radius * np.sin(a)], axis=1)


def inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) bool: even-odd rule for (N, 2) points against an (M, 2) polygon."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64)
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return (crosses & (x < x_at)).sum(axis=1) % 2 == 1


def area(polygon: np.ndarray) -> float:
    p = np.asarray(polygon, dtype=np.float64)
    return 0.5 * abs(float(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1))))


def _segments_cross(a0, a1, b0, b1) -> bool:
    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2 = orient(b0, b1, a0), orient(b0, b1, a1)
    d3, d4 = orient(a0, a1, b0), orient(a0, a1, b1)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def polygons_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two simple polygons share area (touching edges do not count)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if inside_polygon(a, b).any() or inside_polygon(b, a).any():
        return True
    for i in range(len(a)):
        for j in range(len(b)):
            if _segments_cross(a[i], a[(i + 1) % len(a)], b[j], b[(j + 1) % len(b)]):
                return True
    return False


def floor_point(origin, direction, hit_point, floor_z: float) -> np.ndarray | None:
    """The floor-plan (x, y) a click in a 3D view means, or None when it means none.

    A click on a surface (the floor, a sofa's seat, a table top) means the floor under it;
    a click past every surface means where the view ray meets the floor plane ``z = floor_z``.
    """
    if hit_point is not None:
        return np.asarray(hit_point, dtype=np.float64)[:2].copy()
    o, d = np.asarray(origin, dtype=np.float64), np.asarray(direction, dtype=np.float64)
    if d[2] >= -1e-9:  # looking level or up: the ray never comes down to the floor
        return None
    t = (floor_z - o[2]) / d[2]
    return (o + t * d)[:2] if t > 0 else None


def polygon_problem(corners) -> str | None:
    """What is wrong with a drawn floor polygon (too few corners, crossing edges, no area), or None."""
    p = np.asarray(corners, dtype=np.float64).reshape(-1, 2)
    if len(p) < 3:
        return f"A region needs at least 3 corners; it has {len(p)}. Click more corners on the floor."
    n = len(p)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # neighbours through the closing edge
            if _segments_cross(p[i], p[(i + 1) % n], p[j], p[(j + 1) % n]):
                return (f"The region's edges cross (edge {i + 1} and edge {j + 1}); undo the last corners "
                        "(Backspace) and go round the region in one direction.")
    if area(p) < 0.05:
        return f"The region encloses almost no floor ({area(p):.2f} m²); draw a larger one."
    return None
