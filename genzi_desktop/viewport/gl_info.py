"""Which OpenGL the window gets: decides whether the viewport can afford multisampling.

With software OpenGL (Mesa's llvmpipe, common on VMs, remote desktops and CI) 4-8x MSAA makes
every viewport frame 2-3x slower (1280x887, sample room: ~90 ms without, ~240 ms with, under
load), which stalls the event loop whenever a live body update redraws. Hardware GL pays
almost nothing for it, so the viewport keeps it there.
"""

from __future__ import annotations

from functools import lru_cache

GL_RENDERER = 0x1F01
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "microsoft basic render")


@lru_cache(maxsize=1)
def opengl_renderer() -> str:
    """The GL_RENDERER string of a throwaway context ('' when there is no OpenGL at all)."""
    from PySide6 import QtGui

    ctx = QtGui.QOpenGLContext()
    surface = QtGui.QOffscreenSurface()
    surface.create()
    try:
        if not ctx.create() or not surface.isValid() or not ctx.makeCurrent(surface):
            return ""
        name = ctx.functions().glGetString(GL_RENDERER) or ""
        ctx.doneCurrent()
        return str(name)
    finally:
        surface.destroy()


def is_software_renderer(name: str) -> bool:
    low = name.lower()
    return any(s in low for s in SOFTWARE_RENDERERS)


def antialiasing_by_default() -> bool:
    """Smooth edges unless the GL is a software rasteriser (or unknown)."""
    name = opengl_renderer()
    return bool(name) and not is_software_renderer(name)
