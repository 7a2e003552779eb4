"""Which OpenGL window VTK's off-screen renders use. Without an X display on Linux, VTK first
tries X, prints "bad X server connection" and only then falls back to EGL; choosing EGL up
front renders the same pixels without the warning. A user's own VTK_DEFAULT_OPENGL_WINDOW wins."""

from __future__ import annotations

import os
import sys

WINDOW_VARIABLE = "VTK_DEFAULT_OPENGL_WINDOW"


def choose_offscreen_window(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Set EGL as VTK's window class when there is no display to try; returns what was set."""
    if not platform.startswith("linux") or environ.get(WINDOW_VARIABLE):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    environ[WINDOW_VARIABLE] = "vtkEGLRenderWindow"
    return "vtkEGLRenderWindow"
