"""The per-user cache folder: what one run builds that the next run (or process) can reuse.

One place decides where it lies (``GENZI_CACHE_DIR``, else the platform's user cache
folder: ``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on macOS, ``$XDG_CACHE_HOME``
or ``~/.cache`` elsewhere, each with a ``genzi`` folder), how entries are keyed (a hash of
their inputs' content) and how the folder is kept bounded (oldest entries go first). Compiled
kernels are sent there too, so the first compile on a machine is paid once.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

ENV_DIR = "GENZI_CACHE_DIR"


def cache_root() -> Path:
    """The folder that holds every cache of this application (not created here)."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "genzi"


def cache_dir(kind: str) -> Path:
    """``<root>/<kind>``, created on first use."""
    path = cache_root() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_key(*parts) -> str:
    """A hex key from the content of arrays, bytes, strings and numbers, in order."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        elif isinstance(part, bytes):
            h.update(part)
        else:
            h.update(repr(part).encode())
        h.update(b"|")
    return h.hexdigest()[:32]


def prune(kind: str, max_bytes: int) -> int:
    """Delete the least recently used files of ``kind`` until it holds at most ``max_bytes``;
    returns how many were deleted. A file another process is using may stay."""
    folder = cache_root() / kind
    if not folder.is_dir():
        return 0
    files = [(f.stat().st_mtime, f.stat().st_size, f) for f in folder.iterdir() if f.is_file()]
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, f in sorted(files):
        if total <= max_bytes:
            break
        try:
            f.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


def configure_compile_caches() -> Path:
    """Point torch's inductor caches into the user cache (unless already set), so compiled
    kernels survive the process and the temporary folder; returns the folder."""
    folder = cache_dir("inductor")
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder))
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return folder
