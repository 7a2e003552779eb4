"""The scene distance grid, built once per scene, box and cell and reused from the user cache.

The key is the scene's content (vertices, faces, which part each face belongs to: the sign
rule depends on it), the box, the cell and :data:`SDF_FORMAT`; a changed scene file, a moved
target or a new cell size is a different grid. Opening the same design again, re-running,
re-fitting or a second person near the same spot loads the grid in a fraction of a second.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from pipeline.core.user_cache import cache_dir, content_key, prune
from pipeline.scene.sdf import SDFGrid, build_sdf_grid

log = logging.getLogger(__name__)

#: Bump when the grid builder changes what it computes, so old cached grids are not used.
SDF_FORMAT = 1
KIND = "sdf"
MAX_CACHE_BYTES = 2 * 1024**3


def scene_key(scene, center, half_extent, cell: float) -> str:
    mesh = scene.mesh if hasattr(scene, "face_part") else scene
    part = np.asarray(scene.face_part) if hasattr(scene, "face_part") else np.zeros(0)
    return content_key(
        "sdf", SDF_FORMAT,
        np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64), part,
        np.round(np.asarray(center, dtype=np.float64).reshape(3), 6),
        np.round(np.broadcast_to(np.asarray(half_extent, dtype=np.float64), (3,)), 6), round(float(cell), 6),
    )  # fmt: skip


def cached_sdf_grid(scene, center, half_extent, cell: float, *, progress=None, use_cache: bool = True):
    """(grid, from_cache): the grid from the user cache, or built now and stored there.

    ``progress(fraction, message)`` as :func:`build_sdf_grid`; a cache hit reports one
    "from the cache" step. A cache that cannot be read or written is skipped with a log line.
    """
    key = scene_key(scene, center, half_extent, cell) if use_cache else None
    path = cache_dir(KIND) / f"{key}.npz" if key else None
    if path is not None and path.exists():
        t0 = time.perf_counter()
        try:
            grid = SDFGrid.load(path)
        except ValueError as exc:
            log.warning("ignoring an unreadable cached scene grid %s: %s", path, exc)
        else:
            path.touch()  # most recently used
            if progress is not None:
                progress(1.0, f"Scene distance grid from the cache ({time.perf_counter() - t0:.2f} s)")
            return grid, True
    grid = build_sdf_grid(scene, np.asarray(center, dtype=np.float64), half_extent, cell, progress=progress)
    if path is not None:
        try:
            from pipeline.core.atomic import write_file_atomic

            write_file_atomic(path, grid.save, suffix=".npz")
            prune(KIND, MAX_CACHE_BYTES)
        except OSError as exc:
            log.warning("could not keep the scene grid in the cache (%s); it is rebuilt next time", exc)
    return grid, False
