"""The shared ``anny.Anny`` instances (one per device, at most two kept) and the keypoint weights
fitted to BlazePose.

Anny's first build writes its cache (~70 s, ~800 MB in ``~/.cache/anny``); afterwards a model
loads in seconds. Every ``AnnyBody`` on a device shares one float32 instance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES

# Expected first-build time of Anny's cache on a laptop CPU, for the progress estimate only.
_EXPECTED_BUILD_SECONDS = 70.0
_MODELS: OrderedDict[str, object] = OrderedDict()  # device -> model, least recently used first
MAX_MODELS = 2  # CPU and one GPU
_MODELS_LOCK = threading.Lock()

ProgressCallback = Callable[[int, int, str], None]


class _StageLogHandler(logging.Handler):
    """Turns Anny's cache-builder log lines into coarse progress messages."""

    def __init__(self, report: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._report = report

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if "Loading cached" in msg:
            self._report("loading cached body model data")
        elif "No cached model data" in msg:
            self._report("building body model data (first run, about a minute)")
        elif "Saved built" in msg:
            self._report("saved body model cache")
        elif "Compacted" in msg:
            self._report("compacting phenotype blendshapes")


def _build_anny(device: str):
    import anny  # heavy: imports warp and roma

    model = anny.Anny()  # float64 by default; builds ~/.cache/anny on first use
    return model.to(dtype=torch.float32, device=device)


def get_anny_model(device: str | torch.device = "cpu", progress: ProgressCallback | None = None):
    """The process-wide shared float32 ``anny.Anny`` instance for ``device`` (built once)."""
    key = str(torch.device(device))
    with _MODELS_LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            if progress:
                progress(100, 100, "body model ready")
            return _MODELS[key]
        model = _build_with_progress(key, progress)  # from the disk cache: seconds
        _MODELS[key] = model
        while len(_MODELS) > MAX_MODELS:
            _MODELS.popitem(last=False)
        return model


def _build_with_progress(device: str, progress: ProgressCallback | None):
    if progress is None:
        return _build_anny(device)
    state = {"msg": "preparing body model", "done": False}
    start = time.monotonic()

    def report(msg: str) -> None:
        state["msg"] = msg

    def ticker() -> None:
        while not state["done"]:
            frac = 1.0 - np.exp(-(time.monotonic() - start) / (_EXPECTED_BUILD_SECONDS / 2.5))
            progress(int(min(99, 99 * frac)), 100, state["msg"])
            time.sleep(0.5)

    handler = _StageLogHandler(report)
    loggers = [logging.getLogger("anny.models.model_data"), logging.getLogger("anny.models.model_transforms")]
    old_levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    try:
        model = _build_anny(device)
    finally:
        state["done"] = True
        thread.join(timeout=2.0)
        for lg, level in zip(loggers, old_levels):
            lg.removeHandler(handler)
            lg.setLevel(level)
    progress(100, 100, "body model ready")
    return model


def ensure_anny_cache(progress: ProgressCallback | None = None) -> None:
    """Build Anny's on-disk cache (~70 s, ~800 MB, once per machine) and the shared CPU model.

    ``progress(step, total, detail)`` is called with step in 0..100; it may be called from a
    helper thread, so GUI callers should forward it through a signal. Safe to call repeatedly.
    """
    get_anny_model("cpu", progress=progress)


DETECTOR_KEYPOINTS_FILE = Path(__file__).resolve().parents[2] / "resources" / "body" / "anny_blazepose_keypoints.npz"


def load_detector_keypoint_weights(num_vertices: int, path: Path = DETECTOR_KEYPOINTS_FILE) -> torch.Tensor | None:
    """(23, V) weights placing keypoints where BlazePose finds them (benchmarks/keypoint_bias.py).

    None when the file is missing or made for another mesh (then Anny's COCO regressor is used).
    """
    if not path.exists():
        return None
    d = np.load(path)
    if int(d["num_vertices"]) != num_vertices or list(d["names"]) != list(KEYPOINT_NAMES):
        return None
    w = torch.zeros(len(KEYPOINT_NAMES), num_vertices)
    off = d["offsets"]
    for k in range(len(KEYPOINT_NAMES)):
        idx = torch.as_tensor(d["vertex_index"][off[k] : off[k + 1]].astype(np.int64))
        w[k, idx] = torch.as_tensor(d["weights"][off[k] : off[k + 1]])
    return w
