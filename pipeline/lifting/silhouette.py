"""A silhouette term: the fitted skin should fill the painted person's mask and stay inside it.

Keypoints leave the pelvis tilt and the body's girth open; the person's outline closes part
of that. Both directions are cheap and need no differentiable renderer:

- skin outside the mask: the visible skin vertices, projected, sample the distance (pixels)
  from the mask; a vertex hidden behind the scene (deeper than the scene's depth at its
  pixel) is not expected in the mask and is skipped;
- mask not covered: points sampled inside the mask take the distance to the nearest
  projected vertex (any vertex: a visible person pixel always has the body behind it).

Maps are kept at a reduced resolution; distances stay in full-image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.lifting.losses import gmof
from pipeline.views.cameras import project_points

MAP_SIZE = 128  # the stored maps' longer side
SAMPLES = 128  # mask points per view for the coverage direction
VISIBLE_TOLERANCE_M = 0.03


@dataclass
class Silhouette:
    """One view's person mask as the fit reads it."""

    outside: np.ndarray  # (h, w) float32: full-image pixels to the mask, 0 inside
    scene_depth: np.ndarray  # (h, w) float32: the scene's camera depth (nearest in each cell), inf where empty
    samples: np.ndarray  # (SAMPLES, 2) full-image pixels inside the mask


def _blocks(a: np.ndarray, f: int) -> np.ndarray:
    """``a`` cut into f x f cells: (h, f, w, f), reduced over axes (1, 3) by the caller."""
    h, w = a.shape[0] // f, a.shape[1] // f
    return a[: h * f, : w * f].reshape(h, f, w, f)


def silhouette_from_mask(mask: np.ndarray, scene_depth: np.ndarray, seed: int = 0) -> Silhouette | None:
    """A :class:`Silhouette` from a full-size boolean person mask and the scene's depth; None
    for a mask too small to say anything (under 50 pixels)."""
    from scipy.ndimage import distance_transform_edt

    mask = np.asarray(mask, dtype=bool)
    ys, xs = np.nonzero(mask)
    if len(ys) < 50:
        return None
    f = max(1, max(mask.shape) // MAP_SIZE)
    outside = distance_transform_edt(~mask).astype(np.float32)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(ys), size=SAMPLES, replace=len(ys) < SAMPLES)
    samples = np.stack([xs[pick], ys[pick]], 1).astype(np.float32) + 0.5
    depth = np.where(np.isfinite(scene_depth), scene_depth, 1e6).astype(np.float32)
    return Silhouette(_blocks(outside, f).mean(axis=(1, 3)), _blocks(depth, f).min(axis=(1, 3)), samples)


def even_vertex_index(vertices: np.ndarray, cell_m: float) -> np.ndarray:
    """One vertex per ``cell_m`` cube of the skin: an even sample (a fixed stride would mostly
    pick the face and hands, where the mesh is densest)."""
    cells = np.floor(np.asarray(vertices) / cell_m).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    return np.sort(first)


class SilhouetteSubset:
    """The skin vertices the term reads, appended after another vertex subset (one joined
    tensor per subset: the subset forward caches by index tensor), and the mask points'
    nearest vertices between refreshes."""

    def __init__(self, index: torch.Tensor) -> None:
        self.index = index
        self.nearest: torch.Tensor | None = None
        self._joined: dict[int, torch.Tensor] = {}

    def after(self, other: torch.Tensor | None) -> torch.Tensor:
        if other is None:
            return self.index
        key = id(other)
        if key not in self._joined:
            self._joined[key] = torch.cat([other, self.index])
        return self._joined[key]


@dataclass
class SilhouetteBatch:
    """Silhouettes of N sets x M views as tensors; ``present`` is 0 where a view has none."""

    outside: torch.Tensor  # (N*M, 1, h, w)
    depth: torch.Tensor  # (N*M, 1, h, w)
    samples: torch.Tensor  # (N*M, S, 2)
    present: torch.Tensor  # (N, M)
    image_wh: torch.Tensor  # (N*M, 2) full image width, height


def stack_silhouettes(per_set: Sequence[Sequence[Silhouette | None]], sizes: Sequence[Sequence[tuple[int, int]]],
                      m: int, device) -> SilhouetteBatch | None:
    """Batch the silhouettes (``per_set[i][v]``, padded to ``m`` views); None when no view has one."""
    first = next((s for views in per_set for s in views if s is not None), None)
    if first is None:
        return None
    h, w = first.outside.shape
    outs, deps, samp, pres, wh = [], [], [], [], []
    for views, sz in zip(per_set, sizes):
        for v in range(m):
            s = views[v] if v < len(views) else None
            ok = s is not None and s.outside.shape == (h, w)
            outs.append(s.outside if ok else np.zeros((h, w), np.float32))
            deps.append(s.scene_depth if ok else np.zeros((h, w), np.float32))
            samp.append(s.samples if ok else np.zeros((SAMPLES, 2), np.float32))
            pres.append(1.0 if ok else 0.0)
            wh.append(sz[v] if v < len(sz) else sz[0])
    t = lambda a: torch.as_tensor(np.stack(a), dtype=torch.float32, device=device)  # noqa: E731
    n = len(per_set)
    return SilhouetteBatch(t(outs)[:, None], t(deps)[:, None], t(samp), t(pres).reshape(n, m), t(wh))


def silhouette_terms(vertices: torch.Tensor, K: torch.Tensor, w2c: torch.Tensor, sil: SilhouetteBatch,
                     scale: torch.Tensor, rho: float, nearest: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, M) robust skin-outside-mask and mask-not-covered terms in image-size units, and
    the nearest vertex of each mask point (N*M, S).

    vertices (N, V, 3) a skin subsample; K (N, M, 3, 3); w2c (N, M, 4, 4); scale (N, M).
    ``nearest``: reuse an earlier assignment of mask points to vertices (it changes slowly and
    finding it is most of the term's cost); None finds it anew.
    """
    n, v = vertices.shape[:2]
    m = K.shape[1]
    pts = vertices[:, None].expand(n, m, v, 3).reshape(n * m, v, 3)
    uv, z = project_points(pts, K.reshape(-1, 3, 3), w2c.reshape(-1, 4, 4))  # (NM, V, 2), (NM, V)
    grid = (2.0 * uv / sil.image_wh[:, None, :] - 1.0)[:, :, None, :]  # (NM, V, 1, 2)
    dist = F.grid_sample(sil.outside, grid, mode="bilinear", padding_mode="border", align_corners=False)[:, 0, :, 0]
    with torch.no_grad():
        scene_z = F.grid_sample(sil.depth, grid, mode="nearest", padding_mode="border", align_corners=False)[:, 0, :, 0]
        inside = (grid[..., 0, :].abs() <= 1.0).all(-1)
        visible = (inside & (z > 1e-3) & (z < scene_z + VISIBLE_TOLERANCE_M)).float()
    sc = scale.reshape(-1)[:, None]
    outside = (gmof(dist / sc, rho) * visible).sum(-1) / visible.sum(-1).clamp(min=1.0)
    if nearest is None:  # the nearest vertex of each mask point; only its distance is differentiated
        with torch.no_grad():
            nearest = torch.cdist(sil.samples, uv).argmin(-1)  # (NM, S)
    gap = torch.linalg.norm(sil.samples - torch.gather(uv, 1, nearest[..., None].expand(-1, -1, 2)), dim=-1)
    uncovered = gmof(gap / sc, rho).mean(-1)
    return outside.reshape(n, m) * sil.present, uncovered.reshape(n, m) * sil.present, nearest
