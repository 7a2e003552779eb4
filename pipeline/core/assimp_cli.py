"""Locating and running the assimp 6 command-line tool (FBX import and export).

One place for both directions. The tool comes from the ``cmeel-assimp`` wheel (or the
desktop bundle, or ``$GENZI_ASSIMP``); never the system ``assimp`` on PATH, because
Debian/Ubuntu ship assimp 5.2, whose binary FBX is corrupt. Callers turn a missing tool
or a failed run into their own user-facing error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

ASSIMP_ENV = "GENZI_ASSIMP"  # override: full path to an assimp >= 6 executable


def _candidates() -> list[Path]:
    found = []
    env = os.environ.get(ASSIMP_ENV)
    if env:
        found.append(Path(env))
    if getattr(sys, "frozen", False):  # the desktop build ships it under assimp/ of its bundle folder,
        # where the frozen app also places this module's file (pipeline/core/assimp_cli.pyc)
        found.append(Path(__file__).resolve().parents[2] / "assimp" / "bin" / "assimp")
    try:
        import cmeel  # type: ignore[import-not-found]

        found.append(Path(cmeel.__file__).resolve().parent.parent / "cmeel.prefix" / "bin" / "assimp")
    except ImportError:
        pass
    for entry in sys.path:
        if entry:
            found.append(Path(entry) / "cmeel.prefix" / "bin" / "assimp")
    return found


def find_assimp() -> Path | None:
    """Path of an executable assimp 6 CLI, or None when none is installed."""
    for path in _candidates():
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def assimp_env(exe: Path) -> dict[str, str]:
    """The environment with the wheel's own libassimp on the library path."""
    env = dict(os.environ)
    prefix = exe.resolve().parent.parent
    libs = [str(p) for p in (prefix / "lib", prefix / "lib64") if p.is_dir()]
    key = "DYLD_LIBRARY_PATH" if sys.platform == "darwin" else "LD_LIBRARY_PATH"
    env[key] = os.pathsep.join(p for p in (*libs, env.get(key, "")) if p)
    return env


def run_assimp_cli(exe: Path, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``exe args`` with its libraries found; raises OSError/TimeoutExpired like subprocess."""
    return subprocess.run(
        [str(exe), *args], env=assimp_env(exe), capture_output=True, text=True, timeout=timeout
    )
