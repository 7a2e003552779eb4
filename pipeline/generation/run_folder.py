"""The on-disk layout of a run, and atomic writes so a stopped run never leaves half files.

Layout::

    run_dir/
      config.json               inputs, settings, seeds, package versions
      run.log                   the run's log
      views/views.json, view_XX.png
      scene_sdf.npz             signed distance grid around the target
      round_1/
        masks/set_K/view_XX.png       final inpainting mask per image
        images/set_K/view_XX.png      the painted hypotheses (a valid ``genzi fit`` input)
        images.json                   seed and source of every image
        keypoints/set_K.json          2D keypoints per view with validity and reason
        fits/set_K.json, fits/set_K.obj
        ranking.json
      round_2/ ...                    same, sets seeded from the best round-1 bodies
      stages/<stage>.done             written last, atomically: the stage is complete
      report.json                     final bodies sorted by score (``genzi fit`` shape)
      body_K.obj                      one mesh per final body, in rank order
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.atomic import read_json, write_bytes_atomic, write_json_atomic

__all__ = ["RunFolder", "read_json", "read_png", "write_bytes_atomic", "write_json_atomic", "write_png_atomic"]


def write_png_atomic(path: Path, image: np.ndarray) -> None:
    """Save an (H, W, 3) uint8 image or an (H, W) mask (bool/float in [0, 1]) as PNG."""
    import io

    from PIL import Image

    arr = np.asarray(image)
    if arr.ndim == 2:
        if arr.dtype != np.uint8:
            arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        pil = Image.fromarray(arr, mode="L")
    else:
        pil = Image.fromarray(np.ascontiguousarray(arr[..., :3]).astype(np.uint8), mode="RGB")
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    write_bytes_atomic(path, buf.getvalue())


def read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        if im.mode in ("L", "1"):
            return np.asarray(im.convert("L"))
        return np.asarray(im.convert("RGB"))


class RunFolder:
    """Paths and stage markers of one run folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # ---- top-level files ----------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def report_path(self) -> Path:
        return self.root / "report.json"

    @property
    def log_path(self) -> Path:
        return self.root / "run.log"

    @property
    def views_dir(self) -> Path:
        return self.root / "views"

    @property
    def sdf_path(self) -> Path:
        return self.root / "scene_sdf.npz"

    def body_mesh_path(self, rank: int) -> Path:
        return self.root / f"body_{rank}.obj"

    # ---- per round ----------------------------------------------------------------------
    def round_dir(self, round_index: int) -> Path:
        return self.root / f"round_{round_index}"

    def image_path(self, round_index: int, set_name: str, view: str) -> Path:
        return self.round_dir(round_index) / "images" / set_name / f"{view}.png"

    def mask_path(self, round_index: int, set_name: str, view: str) -> Path:
        return self.round_dir(round_index) / "masks" / set_name / f"{view}.png"

    def images_index_path(self, round_index: int) -> Path:
        return self.round_dir(round_index) / "images.json"

    def keypoints_path(self, round_index: int, set_name: str) -> Path:
        return self.round_dir(round_index) / "keypoints" / f"{set_name}.json"

    def fit_path(self, round_index: int, set_name: str) -> Path:
        return self.round_dir(round_index) / "fits" / f"{set_name}.json"

    def fit_mesh_path(self, round_index: int, set_name: str) -> Path:
        return self.round_dir(round_index) / "fits" / f"{set_name}.obj"

    def ranking_path(self, round_index: int) -> Path:
        return self.round_dir(round_index) / "ranking.json"

    def excluded_path(self) -> Path:
        return self.root / "excluded_images.json"

    # ---- stage markers ------------------------------------------------------------------
    def marker_path(self, stage: str) -> Path:
        return self.root / "stages" / f"{stage}.done"

    def is_done(self, stage: str) -> bool:
        return self.marker_path(stage).is_file()

    def mark_done(self, stage: str, **info: Any) -> None:
        write_json_atomic(self.marker_path(stage), {"stage": stage, "finished_at": time.time(), **info})

    def clear_marker(self, stage: str) -> None:
        path = self.marker_path(stage)
        if path.exists():
            path.unlink()

    def clear_markers_from(self, stages: list[str]) -> None:
        for stage in stages:
            self.clear_marker(stage)
