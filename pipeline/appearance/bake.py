"""Bake a texture for the body and each garment from all painted views.

Every texel of a part's layout (:mod:`.uv_layout`) is a point on the posed surface. A view
sees it when the point faces the camera and is the first surface along the camera's ray
(the person's own depth map, ray cast; the scene's depth when the view has one) away from
silhouette edges, where paintings blend person and background. Its colour there counts by
the view's confidence and by how squarely the view sees it. Views are then combined the way
the lifting combines them: each view is first judged by how well it agrees with the other
views where they see the same surface (a view painting another person counts little
everywhere), then each texel takes a Cauchy-weighted mean starting at the weighted median. Texels no trusted view sees take their region's robust colour; texels
outside every face copy their nearest covered texel, so filtering never bleeds a seam.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pipeline.appearance.colour import ciede2000, lab_to_srgb, srgb_to_lab
from pipeline.appearance.painted import PaintedView
from pipeline.appearance.uv_layout import rasterize

MIN_COS = 0.25  # no texel seen more obliquely than ~75 degrees
DEPTH_TOL = 0.015  # metres a texel may lie behind the depth map and still count as seen
EDGE_GAP = 0.05  # a nearer surface this much in front, one pixel away, marks an occluding edge
VIEW_SCALE = 10.0  # CIEDE2000 above the typical view's disagreement at which a view's weight halves
TEXEL_SCALE = 8.0  # Lab distance at which a texel's sample weight halves
MIN_TRUST = 0.3  # texels seen only by views trusted less than this are filled instead


@dataclass
class BakePart:
    """A posed part and its layout: what a texture is baked for."""

    name: str
    vertices: np.ndarray  # (N, 3) posed, world metres
    faces: np.ndarray  # (F, 3)
    face_uv: np.ndarray  # (F, 3, 2), v up
    face_region: np.ndarray  # (F,) region names
    size: int


@dataclass
class BakedTexture:
    image: np.ndarray  # (S, S, 3) uint8, row 0 at v = 1
    views: np.ndarray  # (S, S) int: trusted views that saw each texel (0: filled)
    covered: np.ndarray  # (S, S) bool: texels inside some face


@dataclass
class SurfaceTexels:
    part: np.ndarray  # (M,) part index
    texel: np.ndarray  # (M,) flat texel index in its part's texture
    points: np.ndarray  # (M, 3)
    normals: np.ndarray  # (M, 3)
    region: np.ndarray  # (M,) region names


def surface_texels(parts: Sequence[BakePart]) -> SurfaceTexels:
    """Every covered texel of every part as a point (and normal) on the posed surface."""
    from pipeline.scene.normals import vertex_normals

    out = {k: [] for k in ("part", "texel", "points", "normals", "region")}
    for k, part in enumerate(parts):
        texel, face, bary = rasterize(part.face_uv, part.size)
        order = np.argsort(texel, kind="stable")  # one face per texel: the last one drawn
        texel, face, bary = texel[order], face[order], bary[order]
        last = np.r_[texel[1:] != texel[:-1], True]
        texel, face, bary = texel[last], face[last], bary[last]
        v = np.asarray(part.vertices, dtype=np.float64)
        f = np.asarray(part.faces, dtype=np.int64)[face]
        n = np.einsum("mk,mkd->md", bary, vertex_normals(v, part.faces)[f])
        out["part"].append(np.full(len(texel), k))
        out["texel"].append(texel)
        out["points"].append(np.einsum("mk,mkd->md", bary, v[f]))
        out["normals"].append(n / np.linalg.norm(n, axis=1, keepdims=True).clip(1e-12))
        out["region"].append(np.asarray(part.face_region, dtype=object)[face])
    return SurfaceTexels(**{k: np.concatenate(v) for k, v in out.items()})


def _project(cam, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (N, 2) in the camera's own size, depth (N,)) without autograd's overhead."""
    p = points @ cam.world_to_camera[:3, :3].T + cam.world_to_camera[:3, 3]
    z = p[:, 2]
    zc = np.where(z > 1e-6, z, 1e-6)
    k = cam.K
    return np.stack([k[0, 0] * p[:, 0] / zc + k[0, 2], k[1, 1] * p[:, 1] / zc + k[1, 2]], axis=1), z


def depth_map(view: PaintedView, query, vertices: np.ndarray, face_part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(depth (H, W) along the camera's axis of the first person surface per painting pixel,
    inf where none; part (H, W) index of the part hit there, -1 where none). Only pixels
    near the person's projection are ray cast."""
    cam = view.camera
    h, w = view.image.shape[:2]
    sx, sy = w / cam.width, h / cam.height
    uv, z = _project(cam, vertices)
    depth = np.full((h, w), np.inf)
    part = np.full((h, w), -1, dtype=np.int64)
    front = z > 0
    if not front.any():
        return depth, part
    lo = np.floor(uv[front].min(0) * (sx, sy)).astype(int) - 2
    hi = np.ceil(uv[front].max(0) * (sx, sy)).astype(int) + 2
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w - 1), min(hi[1], h - 1)
    if x1 < x0 or y1 < y0:
        return depth, part
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
    pix = np.stack([(xs.ravel() + 0.5) / sx, (ys.ravel() + 0.5) / sy, np.ones(xs.size)], axis=1)
    d_cam = pix @ np.linalg.inv(cam.K).T
    norm = np.linalg.norm(d_cam, axis=1)
    dirs = (d_cam / norm[:, None]) @ cam.camera_to_world[:3, :3].T
    t, face = query.first_hits(np.repeat(cam.position[None], len(dirs), 0), dirs)
    depth[y0:y1 + 1, x0:x1 + 1] = np.where(face >= 0, t / norm, np.inf).reshape(xs.shape)
    part[y0:y1 + 1, x0:x1 + 1] = np.where(face >= 0, face_part[face.clip(0)], -1).reshape(xs.shape)
    return depth, part


def _neighbour(depth: np.ndarray, fn) -> np.ndarray:
    padded = np.pad(depth, 1, mode="edge")
    h, w = depth.shape
    stack = [padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
    return fn(np.stack(stack), axis=0)


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    x = np.clip(x - 0.5, 0, w - 1)
    y = np.clip(y - 0.5, 0, h - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    img = image[..., :3].astype(np.float64) / 255.0
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def sample_view(view: PaintedView, texels: SurfaceTexels, depth: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Lab (M, 3), weight (M,)) of every texel in one view; weight 0 where unseen: facing
    away, another part in front (cloth over skin), behind the depth map, or at an edge."""
    cam = view.camera
    h, w = view.image.shape[:2]
    uv, z = _project(cam, texels.points)
    x, y = uv[:, 0] * w / cam.width, uv[:, 1] * h / cam.height
    to_eye = cam.position[None] - texels.points
    cos = np.einsum("md,md->m", texels.normals, to_eye) / np.sqrt(np.einsum("md,md->m", to_eye, to_eye)).clip(1e-9)
    col, row = np.floor(x).astype(int), np.floor(y).astype(int)
    seen = (z > 0) & (cos > MIN_COS) & (col >= 0) & (col < w) & (row >= 0) & (row < h)
    idx = np.flatnonzero(seen)
    c, r = col[idx], row[idx]
    nearest, farthest = _neighbour(depth, np.min), _neighbour(depth, np.max)
    keep = (z[idx] <= depth[r, c] + DEPTH_TOL) & (part[r, c] == texels.part[idx])
    keep &= np.isfinite(farthest[r, c]) & (nearest[r, c] >= z[idx] - EDGE_GAP)
    if view.scene_depth is not None:
        keep &= z[idx] <= view.scene_depth[r, c] + 0.02
    idx = idx[keep]
    lab = np.zeros((len(z), 3), dtype=np.float32)
    weight = np.zeros(len(z), dtype=np.float32)
    if len(idx):
        lab[idx] = srgb_to_lab(_bilinear(view.image, x[idx], y[idx]))
        weight[idx] = float(view.weight) * cos[idx] ** 2
    return lab, weight


def median_pick(lab: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per texel, the Lab colour of the view at the weighted median lightness: a robust
    start that is one view's real colour. lab (K, M, 3), weight (K, M) -> (M, 3)."""
    order = np.argsort(np.where(weight > 0, lab[:, :, 0], np.inf), axis=0)
    cum = np.cumsum(np.take_along_axis(weight, order, axis=0), axis=0)
    pick = np.take_along_axis(order, np.argmax(cum >= 0.5 * cum[-1:], axis=0)[None], axis=0)[0]
    return lab[pick, np.arange(lab.shape[1])]


def view_trust(lab: np.ndarray, weight: np.ndarray, rng, min_shared: int = 200) -> np.ndarray:
    """(K,) trust per view from how it agrees with the other views where both see the same
    texels: its disagreement is the median, over partner views, of the pair's median
    CIEDE2000. Each partner has one vote, so a view is judged by the majority of views,
    not by whichever part of the body the views painting something else happen to cover.
    Trust falls with the excess over the typical view's disagreement, so paintings that all
    differ a little (another hand, other folds) keep their trust."""
    k_views = len(lab)
    seen = weight > 0
    pair = np.full((k_views, k_views), np.nan)
    for j in range(k_views):
        for k in range(j + 1, k_views):
            both = np.flatnonzero(seen[j] & seen[k])
            if len(both) < min_shared:
                continue
            both = rng.choice(both, min(len(both), 4000), replace=False)
            pair[j, k] = pair[k, j] = float(np.median(ciede2000(lab[j, both], lab[k, both])))
    residual = np.array([np.nanmedian(row) if np.isfinite(row).any() else np.nan for row in pair])
    if not np.isfinite(residual).any():
        return np.ones(k_views)
    typical = float(np.nanmedian(residual))
    excess = np.clip(np.nan_to_num(residual, nan=typical) - typical, 0.0, None)
    return 1.0 / (1.0 + (excess / VIEW_SCALE) ** 2)


def combine(lab: np.ndarray, weight: np.ndarray, iterations: int = 4, seed: int = 0):
    """Robust per-texel colour over views: (Lab (M, 3), trusted views per texel (M,), view trust (K,))."""
    trust = view_trust(lab, weight, np.random.default_rng(seed))
    w = weight * trust[:, None].astype(np.float32)
    estimate = median_pick(lab, w)
    for _ in range(iterations):
        diff = lab - estimate[None]
        wt = w / (1.0 + np.einsum("kmc,kmc->km", diff, diff) / TEXEL_SCALE**2)
        estimate = np.einsum("km,kmc->mc", wt, lab) / wt.sum(0).clip(1e-12)[:, None]
    trusted_views = ((weight > 0) & (trust[:, None] >= MIN_TRUST)).sum(0)
    return estimate, trusted_views, trust


def fill_gutter(image: np.ndarray, covered: np.ndarray) -> np.ndarray:
    from scipy.ndimage import distance_transform_edt

    if covered.all() or not covered.any():
        return image
    _, (rows, cols) = distance_transform_edt(~covered, return_indices=True)
    return image[rows, cols]


def texel_images(parts: Sequence[BakePart], texels: SurfaceTexels, rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Images by part name from one uint8 colour per texel (gutters filled)."""
    out = {}
    for k, part in enumerate(parts):
        mine = texels.part == k
        image = np.zeros((part.size**2, 3), np.uint8)
        covered = np.zeros(part.size**2, bool)
        image[texels.texel[mine]], covered[texels.texel[mine]] = rgb[mine], True
        out[part.name] = fill_gutter(image.reshape(part.size, part.size, 3), covered.reshape(part.size, part.size))
    return out


def bake_textures(parts: Sequence[BakePart], views: Sequence[PaintedView],
                  region_colours: dict[str, tuple[float, float, float]] | None = None,
                  cancel=None) -> dict[str, BakedTexture]:
    """A texture per part from painted ``views`` of the posed person ``parts``.

    ``region_colours`` (sRGB) fill texels no trusted view sees; by default each region's
    weighted median over the texels that were seen. ``cancel``: a CancelToken checked per view."""
    from pipeline.scene.mesh_query import MeshQuery

    texels = surface_texels(parts)
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts])
    all_v = np.concatenate([np.asarray(p.vertices, dtype=np.float64) for p in parts])
    all_f = np.concatenate([np.asarray(p.faces, dtype=np.int64) + o for p, o in zip(parts, offsets)])
    face_part = np.repeat(np.arange(len(parts)), [len(p.faces) for p in parts])
    query = MeshQuery(all_v, all_f, winding=False)
    m = len(texels.texel)
    lab = np.zeros((max(len(views), 1), m, 3), dtype=np.float32)
    weight = np.zeros((max(len(views), 1), m), dtype=np.float32)
    for k, view in enumerate(views):
        if cancel is not None:
            cancel.check()
        lab[k], weight[k] = sample_view(view, texels, *depth_map(view, query, all_v, face_part))
    estimate, seen, _ = combine(lab, weight) if len(views) else (np.zeros((m, 3)), np.zeros(m, int), None)
    ok = seen > 0
    fill = {}
    for region in dict.fromkeys(texels.region.tolist()):
        mine = texels.region == region
        if region_colours and region in region_colours:
            fill[region] = srgb_to_lab(np.asarray(region_colours[region], dtype=np.float64))
        elif (mine & ok).any():
            w = weight.sum(0)[mine & ok]
            fill[region] = median_pick(estimate[mine & ok][:, None], w[:, None])[0]
        else:
            fill[region] = srgb_to_lab(np.array([0.6, 0.6, 0.6]))
        estimate[mine & ~ok] = fill[region]
    rgb = np.round(lab_to_srgb(estimate) * 255).clip(0, 255).astype(np.uint8)
    out = {}
    for k, part in enumerate(parts):
        mine = texels.part == k
        s = part.size
        image = np.zeros((s * s, 3), np.uint8)
        views_of = np.zeros(s * s, np.int64)
        covered = np.zeros(s * s, bool)
        image[texels.texel[mine]] = rgb[mine]
        views_of[texels.texel[mine]] = seen[mine]
        covered[texels.texel[mine]] = True
        image, views_of, covered = image.reshape(s, s, 3), views_of.reshape(s, s), covered.reshape(s, s)
        out[part.name] = BakedTexture(fill_gutter(image, covered), views_of, covered)
    return out
