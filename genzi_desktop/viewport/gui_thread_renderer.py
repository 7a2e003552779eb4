"""Scene renders for the generation worker, drawn in the GUI thread.

Off-screen VTK in a worker thread shares the X display and OpenGL with the Qt viewport and has
hung the app; the worker's views were therefore rendered before a job started. Round 2 (seed
silhouettes) and ranking renders happen mid-job, so the worker gets this stand-in for the
pipeline's SceneRenderer instead: each call is queued to the GUI thread, which renders with
its own SceneRenderer, while the worker waits. The wait polls the job's cancel token, so a
window that cancels and waits for the job (closing) can never deadlock with it.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
from PySide6 import QtCore, QtWidgets

from pipeline.core.events import CancelToken


class GuiThreadRenderer(QtCore.QObject):
    """``rgb``, ``render_bodies`` and ``silhouettes`` of ``renderer_getter()``, run in the GUI thread."""

    _requested = QtCore.Signal(object)

    def __init__(self, renderer_getter: Callable[[], Any], cancel: CancelToken | None = None,
                 poll_seconds: float = 0.1, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._renderer_getter = renderer_getter
        self._cancel = cancel
        self._poll = float(poll_seconds)
        self._requested.connect(self._serve, QtCore.Qt.ConnectionType.QueuedConnection)

    def set_cancel(self, cancel: CancelToken) -> None:
        self._cancel = cancel

    # ---- the renderer's interface ------------------------------------------------------------
    def rgb(self, camera):
        return self._call("rgb", lambda renderer: renderer.rgb(camera))

    def render_bodies(self, camera, bodies, *args, **kwargs):
        return self._call("render_bodies", lambda renderer: renderer.render_bodies(camera, bodies, *args, **kwargs))

    def silhouettes(self, camera, bodies, *args, **kwargs):
        return self._call("silhouettes", lambda renderer: renderer.silhouettes(camera, bodies, *args, **kwargs))

    # ---- marshalling -----------------------------------------------------------------------------
    def _call(self, method: str, use):
        """``use(renderer)`` in the GUI thread, waited for here (cancel still reaches the wait);
        ``method`` names the call in the request, for logs and tests."""
        if QtCore.QThread.currentThread() is self.thread():
            return use(self._renderer_getter())
        request = {"method": method, "use": use, "done": threading.Event()}
        self._requested.emit(request)
        while not request["done"].wait(self._poll):
            if self._cancel is not None:
                self._cancel.check()  # raises Cancelled; the GUI may be waiting for this job
        if "error" in request:
            raise request["error"]
        return request["result"]

    @QtCore.Slot(object)
    def _serve(self, request: dict) -> None:
        try:
            request["result"] = request["use"](self._renderer_getter())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting worker
            request["error"] = exc
        finally:
            request["done"].set()


class SceneRenders:
    """The GUI thread's off-screen renderer of the window's scene (made again for a new scene)."""

    def __init__(self, window) -> None:
        self.window = window
        self._renderer = None

    def renderer(self):
        from pipeline.views.render import SceneRenderer

        scene = self.window.scene
        if self._renderer is None or self._renderer.scene is not scene:
            self.close()
            self._renderer = SceneRenderer(scene)
        return self._renderer

    def views(self, cameras, view_settings) -> list[np.ndarray]:
        """The cameras' views as the run uses them (its number of views and image size),
        rendered here in the GUI thread (the window keeps painting between views)."""
        from pipeline.generation.user_cameras import cameras_for_run

        renderer = self.renderer()
        images = []
        for cam in cameras_for_run(cameras, view_settings):
            images.append(np.ascontiguousarray(np.asarray(renderer.rgb(cam))[..., :3]))
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        return images

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
