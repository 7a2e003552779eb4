"""The loaded inpainting model kept warm in the process between runs.

Loading SD-2 inpainting takes seconds to tens of seconds (reading ~2.6 GB, moving it to the
GPU); a desktop session that generates person after person should pay that once. The last
``keep`` models are held, keyed by what was asked for (source, device, precision) and, for a
local file or folder, its modification time, so an edited model is loaded again.
``release()`` frees them (the app calls it when the user switches models or memory runs low).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

_LOCK = threading.Lock()
_WARM: "OrderedDict[tuple, object]" = OrderedDict()
KEEP = 1


def _key(source, device, dtype) -> tuple:
    path = Path(str(source)).expanduser()
    stamp = path.stat().st_mtime_ns if path.exists() else None
    return (str(source), str(device), str(dtype), stamp)


def warm_inpaint_model(source, *, device="auto", dtype="auto", keep: int = KEEP):
    """(model, was_warm): the model loaded earlier in this process, or loaded now and kept."""
    from pipeline.inpaint.loading import load_inpaint_model

    key = _key(source, device, dtype)
    with _LOCK:
        if key in _WARM:
            _WARM.move_to_end(key)
            return _WARM[key], True
    model = load_inpaint_model(source, device=device, dtype=dtype)
    with _LOCK:
        _WARM[key] = model
        while len(_WARM) > max(0, keep):
            _WARM.popitem(last=False)
    return model, False


def release() -> int:
    """Forget every warm model (their memory is freed once no run uses them); returns how many."""
    with _LOCK:
        n = len(_WARM)
        _WARM.clear()
    return n
