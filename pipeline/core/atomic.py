"""Atomic file writes: a stopped run or a crash never leaves half a file behind.

Everything is written to a temporary file in the destination's folder and then renamed over
the destination in one step (``os.replace``), so readers see the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np


def write_file_atomic(path: str | Path, write: Callable[[Path], None], suffix: str = ".tmp") -> Path:
    """Call ``write(temporary_path)`` and move the result onto ``path``; ``suffix`` is the
    temporary file's ending, for writers that choose the format by it (``.npz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return write_file_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """JSON with numpy arrays and scalars and paths written as plain values."""
    return write_bytes_atomic(path, (json.dumps(data, indent=1, default=_json_default) + "\n").encode())


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
