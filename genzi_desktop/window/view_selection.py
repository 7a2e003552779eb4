"""Automatic view selection and camera thumbnails in the main window.

View selection runs the pipeline's views stage with the job's settings (the preset's number
of views, Advanced > Views, the Target panel's region radius) in a worker thread."""

from __future__ import annotations

import logging

from PySide6 import QtCore

from genzi_desktop.controllers.requests import region_radius
from genzi_desktop.dialogs.errors import describe_exception, show_error
from genzi_desktop.model.edits import SetCameras
from genzi_desktop.workers.tasks import start_task
from pipeline.views.cameras import Camera

log = logging.getLogger("genzi_desktop")

THUMBNAIL_MAX_SIDE = 128


class ViewSelection:
    """Main-window part: Cameras > Select views and the thumbnails of the Cameras panel."""

    @QtCore.Slot()
    def select_views(self) -> None:
        """Run GenZI's automatic view selection for the target in a worker thread."""
        if self.scene is None or self.design.target is None:
            self.statusBar().showMessage("Place a target first: click on a surface in the view.", 6000)
            return
        if self._views_task is not None and self._views_task.is_running():
            return
        from pipeline.views.run_settings import select_target_views

        try:
            settings = self.generation.job_settings()
        except ValueError as exc:
            show_error(self, "Cannot select views", str(exc), "Correct the Advanced settings in the Prompt panel.")
            return
        scene, target = self.scene, self.design.target
        prompt = self.generation.prompt_panel.values().prompt  # framing: "standing" prompts step back
        radius = region_radius(target)

        def job(report, cancel):
            report("Selecting views…", 0, 0)
            # the job's settings: its preset's number of views, image size and framing, the region radius
            return select_target_views(scene, target.point_array, settings.views, radius=radius,
                                       normal=target.normal_array, prompt=prompt)

        self.show_progress("Selecting views…")
        self._views_task = start_task(self, job, name="select-views",
                                      on_finished=lambda sel: self._views_done(sel, scene),
                                      on_failed=self._views_failed, on_progress=self.report_progress,
                                      on_cancelled=self._task_cancelled)
        self._views_task.done.connect(self.update_actions)  # the thread has really ended
        self.update_actions()

    def _views_done(self, selection, scene=None) -> None:
        self._views_task = None
        self.hide_progress()
        if scene is not None and scene is not self.scene:  # another scene was opened meanwhile
            log.info("View selection finished for a scene that is no longer open; ignored.")
            return
        cameras = []
        for cam, vis in zip(selection.cameras, selection.visibility):
            cam.extra = dict(cam.extra or {}, visibility=float(vis))
            cameras.append(cam)
        again = bool(self.design.cameras)
        self.apply_edit(SetCameras(self.design.cameras, cameras, "Select views again" if again else "Select views"))
        for rule in selection.relaxed:
            log.warning("View selection relaxed: %s", rule)
        for w in selection.warnings:
            log.warning("View selection: %s", w)
        msg = f"Selected {len(cameras)} views"
        if selection.relaxed:
            msg += " (rules relaxed: " + "; ".join(selection.relaxed) + ")"
        self.statusBar().showMessage(msg, 8000)
        log.info(msg)
        self.update_actions()
        self.viewsSelected.emit(len(cameras))

    def _views_failed(self, exc: BaseException) -> None:
        self._views_task = None
        self.hide_progress()
        self.update_actions()
        message = describe_exception(exc)
        self.viewSelectionFailed.emit(message)
        show_error(self, "No views found", f"Could not choose cameras for this target: {message}",
                   "Move the target to an open surface (a seat, the floor, a table top), or add "
                   "cameras by hand with Cameras > Add camera from view.")

    # ------------------------------------------------------------------ thumbnails
    # Rendered in the GUI thread, one per event-loop turn: an off-screen VTK render in a worker
    # thread while the Qt viewport paints deadlocks here (both wait for the GIL / GL locks).
    def _render_thumbnails(self) -> None:
        """Debounced: a drag changes a camera many times; render once it rests."""
        self._thumb_timer.start()

    @QtCore.Slot()
    def _queue_thumbnails(self) -> None:
        if self.scene is None:
            return
        self._thumb_queue = []
        for i, cam in enumerate(self.design.cameras):
            if self.camera_panel.needs_thumbnail(i):
                scale = THUMBNAIL_MAX_SIDE / max(cam.width, cam.height)
                small = Camera(max(1, round(cam.width * scale)), max(1, round(cam.height * scale)),
                               cam.fov_y_deg, cam.world_to_camera, name=cam.name)
                self._thumb_queue.append((i, cam.to_json(), small))
        if self._thumb_queue:
            QtCore.QTimer.singleShot(0, self._render_next_thumbnail)

    @QtCore.Slot()
    def _render_next_thumbnail(self) -> None:
        if not self._thumb_queue or self.scene is None or self._shut_down:
            return
        index, key, small = self._thumb_queue.pop(0)
        try:
            if self._renderer is None or self._renderer.scene is not self.scene:
                from pipeline.views.render import SceneRenderer

                self._renderer = SceneRenderer(self.scene)
            self.camera_panel.set_thumbnail(index, key, self._renderer.rgb(small))
        except Exception as exc:  # a missing thumbnail must not stop the work
            log.warning("Thumbnail of %s failed: %s", small.name, describe_exception(exc))
            self._thumb_queue.clear()
        if self._thumb_queue:
            QtCore.QTimer.singleShot(0, self._render_next_thumbnail)
        else:
            self.thumbnailsReady.emit()

