"""A running job as the window shows it: stage names and progress in the status bar, the
gallery's images, and the body drawn live in the viewport while it is fitted."""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6 import QtCore

log = logging.getLogger("genzi_desktop.generation")

LIVE_BODY = "live"
# Share of the GUI thread that live body updates may take. A live update blocks the event loop
# for its render (5 ms on a GPU, 50-100 ms with software OpenGL); spacing them by
# render time / share keeps 10-plus updates a second on a GPU and keeps the window's p99
# latency under 50 ms with software OpenGL (benchmarks/results/gui_latency.json).
LIVE_RENDER_SHARE = 0.04
STAGE_NAMES = {
    "body": "Preparing the body model", "views": "Rendering views", "sdf": "Measuring the scene",
    "model": "Loading the painting model", "inpaint": "Painting people",
    "keypoints": "Finding keypoints", "lifting": "Fitting bodies", "ranking": "Ranking", "export": "Writing results",
}


def stage_progress_text(stage: str, detail: str) -> str:
    """The stage's label plus the worker's detail, without repeating the label
    ("Preparing the body model", not "Preparing the body model preparing body model")."""
    label = STAGE_NAMES.get(stage, stage)
    detail = (detail or "").strip()
    if not detail or set(detail.lower().split()) <= set(label.lower().split()):
        return label
    return f"{label}: {detail}"


class RunFeed(QtCore.QObject):
    """Follows one worker at a time; all slots run in the GUI thread."""

    def __init__(self, window, gallery) -> None:
        super().__init__(window)
        self.window = window
        self.gallery = gallery
        #: Show the body in the viewport while it is fitted (off: only the final bodies).
        self.show_live_body = True
        self._live_faces = None
        self._next_live_render = 0.0
        self._stage = ""

    def follow(self, worker) -> None:
        """Connect a new job's worker: its images go to the gallery, its progress and body here."""
        self._live_faces = None
        self._next_live_render = 0.0
        g = self.gallery
        worker.viewRendered.connect(g.on_view_rendered)
        worker.inpaintStep.connect(g.on_inpaint_step)
        worker.inpaintDone.connect(g.on_inpaint_done)
        worker.keypointsDetected.connect(g.on_keypoints)
        worker.liftingStep.connect(g.on_lifting_step)
        worker.liftingStep.connect(self.on_lifting_step)
        worker.stageStarted.connect(self.on_stage_started)
        worker.stageFinished.connect(self.on_stage_finished)
        worker.progress.connect(self.on_progress)
        worker.warning.connect(self.on_warning)

    def clear_live_body(self) -> None:
        self.window.viewport.set_body(LIVE_BODY, None)

    @QtCore.Slot(str, str, int)
    def on_stage_started(self, stage: str, detail: str, round_index: int) -> None:
        self._stage = stage
        text = STAGE_NAMES.get(stage, stage) + (f" (round {round_index})" if round_index else "")
        self.window.report_progress(text + "…", 0, 0)
        self.window.progress_bar.setRange(0, 0)
        log.info("%s %s", text, detail)

    @QtCore.Slot(str, str, int, float)
    def on_stage_finished(self, stage: str, detail: str, round_index: int, seconds: float) -> None:
        log.info("%s done in %.1f s: %s", STAGE_NAMES.get(stage, stage), seconds, detail)
        if stage in ("lifting",):
            self.gallery.fitting_finished()

    @QtCore.Slot(str, int, int, str)
    def on_progress(self, stage: str, step: int, total: int, detail: str) -> None:
        self.window.report_progress(stage_progress_text(stage, detail), step, total)

    @QtCore.Slot(str, int, int, object, object, object, object, int)
    def on_lifting_step(self, set_name, iteration, total, vertices, faces, weights, losses, round_index) -> None:
        self.window.report_progress(f"Fitting {set_name}: step {iteration + 1} of {total}", iteration + 1, total)
        if faces is not None:
            self._live_faces = faces
        last = iteration >= total - 1
        now = time.perf_counter()
        live = self.show_live_body and vertices is not None and self._live_faces is not None
        if live and (last or now >= self._next_live_render):
            self.window.viewport.set_body(LIVE_BODY, np.asarray(vertices), self._live_faces)
            spent = time.perf_counter() - now
            self._next_live_render = time.perf_counter() + spent / LIVE_RENDER_SHARE

    @QtCore.Slot(str, str)
    def on_warning(self, message: str, stage: str) -> None:
        # the pipeline has logged it already (View > Log); the status bar shows it briefly
        self.window.statusBar().showMessage(f"Warning: {message[:160]}", 6000)
