"""Colours of skin, clothes, shoes and hair taken from the painted views.

The fit tells where each part of the person is in every view. Points on each region's
surface are cast against the person (visibility by ray casting, and by the scene's depth
when given), projected into every painting and sampled. Each view gives one colour per
region, weighted by how squarely it sees the surface and by its confidence (the lifting's
view weight); views are then combined robustly, like the lifting itself: the estimate
starts at the weighted median and views far from it (CIEDE2000) count less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pipeline.appearance.colour import ciede2000, lab_to_srgb, srgb_to_lab
from pipeline.views.cameras import Camera

ROBUST_SCALE = 8.0  # CIEDE2000 at which a view's weight halves (Cauchy)
MIN_COS = 0.25  # surfaces seen more obliquely than ~75 degrees are not sampled


@dataclass
class RegionColour:
    rgb: tuple[float, float, float]
    views: int  # views that saw the region
    spread: float  # weighted median CIEDE2000 of the views from the result (agreement)


@dataclass
class PaintedView:
    camera: Camera
    image: np.ndarray  # (H, W, 3) uint8 painting
    weight: float = 1.0  # the view's confidence
    scene_depth: np.ndarray | None = None  # (H, W) metres along the camera's z; inf = empty


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-channel weighted median of (N, C) values."""
    out = []
    for c in range(values.shape[1]):
        order = np.argsort(values[:, c])
        cum = np.cumsum(weights[order])
        out.append(values[order[np.searchsorted(cum, 0.5 * cum[-1])], c])
    return np.asarray(out)


def _surface_samples(vertices, faces, face_region, regions, per_region: int, rng):
    centres = vertices[faces].mean(axis=1)
    normals = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True).clip(1e-12)
    picked = {}
    for region in regions:
        idx = np.flatnonzero(face_region == region)
        if len(idx) > per_region:
            idx = rng.choice(idx, per_region, replace=False)
        picked[region] = idx
    return centres, normals, picked


def _sample_view(view: PaintedView, query, centres, normals, faces_idx) -> tuple[np.ndarray, np.ndarray]:
    """(rgb (N, 3), weight (N,)) of the given faces in one view; weight 0 where unseen."""
    cam = view.camera
    eye = cam.position
    pts = centres[faces_idx]
    ray = pts - eye
    dist = np.linalg.norm(ray, axis=1)
    dirs = ray / dist[:, None].clip(1e-9)
    cos = -(normals[faces_idx] * dirs).sum(1)
    t_hit, face_hit = query.first_hits(np.repeat(eye[None], len(pts), 0), dirs)
    seen = (cos > MIN_COS) & ((face_hit == faces_idx) | (np.abs(t_hit - dist) < 2e-3))
    uv, depth = cam.project(pts)
    h, w = view.image.shape[:2]
    x = np.round(uv[:, 0] * w / cam.width - 0.5).astype(np.int64)
    y = np.round(uv[:, 1] * h / cam.height - 0.5).astype(np.int64)
    seen &= (depth > 0) & (x >= 0) & (x < w) & (y >= 0) & (y < h)
    x, y = x.clip(0, w - 1), y.clip(0, h - 1)
    if view.scene_depth is not None:
        seen &= depth <= view.scene_depth[y, x] + 0.02
    rgb = view.image[y, x, :3].astype(np.float64) / 255.0
    return rgb, np.where(seen, cos**4, 0.0)  # squarely seen, lit surfaces show the true colour


def robust_colour(view_lab: np.ndarray, view_weight: np.ndarray, iterations: int = 10) -> tuple[np.ndarray, float]:
    """Lab colour agreeing with most views (weighted median start, Cauchy reweighting)."""
    estimate = _weighted_median(view_lab, view_weight)
    for _ in range(iterations):
        de = ciede2000(view_lab, estimate[None])
        w = view_weight / (1.0 + (de / ROBUST_SCALE) ** 2)
        estimate = (w[:, None] * view_lab).sum(0) / w.sum().clip(1e-12)
    de = ciede2000(view_lab, estimate[None])
    spread = float(_weighted_median(de[:, None], view_weight)[0])
    return estimate, spread


def colours_from_paintings(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    views: Sequence[PaintedView],
    *,
    per_region: int = 1500,
    seed: int = 0,
) -> dict[str, RegionColour]:
    """Colour per region from painted ``views`` of the posed person ``parts``
    ((vertices, faces, face_region) each, world metres). Regions no view sees are absent."""
    from pipeline.scene.mesh_query import MeshQuery

    vertices, faces, face_region = [], [], []
    offset = 0
    for v, f, r in parts:
        vertices.append(np.asarray(v, dtype=np.float64))
        faces.append(np.asarray(f, dtype=np.int64) + offset)
        face_region.append(np.asarray(r, dtype=object))
        offset += len(v)
    vertices, faces, face_region = np.concatenate(vertices), np.concatenate(faces), np.concatenate(face_region)
    regions = list(dict.fromkeys(face_region.tolist()))
    rng = np.random.default_rng(seed)
    centres, normals, picked = _surface_samples(vertices, faces, face_region, regions, per_region, rng)
    query = MeshQuery(vertices, faces, winding=False)
    per_view: dict[str, list[tuple[np.ndarray, float]]] = {r: [] for r in regions}
    for view in views:
        for region in regions:
            rgb, w = _sample_view(view, query, centres, normals, picked[region])
            if w.sum() <= 0 or (w > 0).sum() < 5:
                continue
            lab = srgb_to_lab(rgb[w > 0])
            per_view[region].append((_weighted_median(lab, w[w > 0]), float(view.weight) * float(w.sum())))
    out = {}
    for region, samples in per_view.items():
        if not samples:
            continue
        lab = np.stack([s[0] for s in samples])
        weight = np.asarray([s[1] for s in samples])
        estimate, spread = robust_colour(lab, weight)
        out[region] = RegionColour(tuple(float(c) for c in lab_to_srgb(estimate)), len(samples), spread)
    return out
