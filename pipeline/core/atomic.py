"""Atomic file writes: a stopped run or a crash never leaves half a file behind.

Everything is written to a temporary file in the destination's folder and then renamed over
the destination in one step (``os.replace``), so readers see the old file or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np


def temporary_prefix(path: str | Path) -> str:
    """The start of the name of a temporary beside ``path`` written by this process; the
    process id in it lets :func:`remove_stale_temporaries` tell a crashed writer's leftovers
    from a live writer's file."""
    return f".{Path(path).name}.{os.getpid()}-"


def write_file_atomic(path: str | Path, write: Callable[[Path], None], suffix: str = ".tmp",
                      durable: bool = False) -> Path:
    """Call ``write(temporary_path)`` and move the result onto ``path``; ``suffix`` is the
    temporary file's ending, for writers that choose the format by it (``.npz``).
    ``durable``: flush the file to the disk before the rename (a power cut keeps the old file
    or the new one); a killed process never leaves half a file either way."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        write(path)  # a device or pipe (/dev/stdout): written to, never replaced by a file
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path), suffix=suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
        if durable:
            _fsync_folder(path.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def replace_folder(staging: str | Path, destination: str | Path) -> Path:
    """Put the finished folder ``staging`` where ``destination`` is, in two renames: readers
    see the old folder or the new one, never half of either. ``staging`` must lie beside
    ``destination`` (a rename does not cross drives)."""
    staging, destination = Path(staging), Path(destination)
    if not destination.exists():
        staging.rename(destination)
        return destination
    old = destination.with_name(f"{temporary_prefix(destination)}old-{uuid.uuid4().hex[:6]}")
    destination.rename(old)
    try:
        staging.rename(destination)
    except BaseException:
        old.rename(destination)  # put the old folder back
        raise
    shutil.rmtree(old, ignore_errors=True)
    return destination


def _fsync(path: str | Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder: Path) -> None:
    if os.name == "posix":  # a folder cannot be opened for fsync on Windows
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporaries beside ``path`` that a killed writer left (its process is gone);
    returns what was removed. Files and folders both: a folder save writes a folder."""
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    head = f".{path.name}."
    for entry in path.parent.iterdir():
        if not entry.name.startswith(head):
            continue
        pid_text = entry.name[len(head):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or process_alive(int(pid_text)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (Linux, macOS and Windows)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


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
