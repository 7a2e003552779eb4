"""Runs generation, re-fitting and image import in a QThread and turns pipeline events into signals.

The worker never touches widgets or the 3D viewport: it only emits signals carrying plain
values and numpy arrays; receivers live in the GUI thread (queued connections), where images
become QImages. LiftingStep events are throttled (about 10 per second, plus the last step of
each fit) so a fast fit cannot flood the event loop. The views are rendered in the GUI thread
before a job starts (an off-screen VTK render in a worker thread can deadlock with the Qt
viewport); later renders (round 2, ranking) go through a GuiThreadRenderer.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from pipeline.core import events as ev
from genzi_desktop.workers.tasks import run_in_thread, thread_is_running, wait_for_thread

log = logging.getLogger("genzi_desktop.generation")

LIFTING_INTERVAL_S = 0.1  # at most ~10 live body updates per second


@dataclass
class GenerationJob:
    """What the worker should do. ``kind``: "generate" (paint with the diffusion model),
    "import" (the user's own images from ``images_folder``), "refit" (fit the saved images
    of ``run_dir`` again, leaving out ``excluded``)."""

    kind: str
    run_dir: Path
    request: Any = None  # GenerationRequest (generate / import)
    cameras: list = field(default_factory=list)  # pipeline Camera list (generate / import)
    normal: Any = None
    images_folder: Path | None = None
    excluded: list[str] = field(default_factory=list)
    scene: Any = None  # an already loaded pipeline Scene (saves loading it again)
    view_images: list = field(default_factory=list)  # the cameras' views, rendered in the GUI thread
    imagination: Any = None  # tests: a ready Imagination (overrides the kind's default)
    renderer: Any = None  # GuiThreadRenderer: mid-job scene renders (round 2, ranking) in the GUI thread
    trusted_pickles: frozenset = frozenset()  # SHA-256s of .pkl models the user just agreed to open


class GenerationWorker(QtCore.QObject):
    """Lives in its own QThread; ``run`` does the job and reports through signals."""

    stageStarted = QtCore.Signal(str, str, int)  # stage, detail, round
    stageFinished = QtCore.Signal(str, str, int, float)  # stage, detail, round, seconds
    progress = QtCore.Signal(str, int, int, str)  # stage, step, total, detail
    viewRendered = QtCore.Signal(str, object)  # view, (H, W, 3) uint8
    inpaintStep = QtCore.Signal(str, int, int, int, object, object, int)  # view, sample, step, total, mask, preview, round
    inpaintDone = QtCore.Signal(str, int, object, object, int)  # view, sample, image, mask, round
    keypointsDetected = QtCore.Signal(str, int, object, bool, str, int)  # view, sample, kp, valid, reason, round
    # set, iteration, total, vertices|None, faces|None (sent with the first vertices), weights, losses, round
    liftingStep = QtCore.Signal(str, int, int, object, object, object, object, int)
    resultReady = QtCore.Signal(str, object, object, float, object, int)  # set, vertices, faces, score, metrics, round
    warning = QtCore.Signal(str, str)  # message, stage
    finished = QtCore.Signal(object)  # GenerationResult
    failed = QtCore.Signal(str)  # a message for the user
    cancelled = QtCore.Signal()

    def __init__(self, job: GenerationJob) -> None:
        super().__init__()
        self.job = job
        self.token = ev.CancelToken()
        self._last_lift = 0.0
        self._faces_sent = False
        self._live_body_failed = False

    def cancel(self) -> None:
        self.token.cancel()

    # ---- events (worker thread) -----------------------------------------------------------
    def emit_event(self, event: ev.Event) -> None:
        """The pipeline's event sink: one signal per event type."""
        if isinstance(event, ev.LiftingStep):
            now = time.perf_counter()
            last = event.iteration >= event.total - 1
            if not last and now - self._last_lift < LIFTING_INTERVAL_S:
                return
            self._last_lift = now
            faces = None
            if event.vertices is not None and not self._faces_sent and not self._live_body_failed:
                faces = self._body_faces()
                self._faces_sent = faces is not None
            self.liftingStep.emit(event.set_name, int(event.iteration), int(event.total), event.vertices, faces,
                                  dict(event.view_weights), dict(event.losses), int(event.round))
        elif isinstance(event, ev.InpaintStep):
            self.inpaintStep.emit(event.view, int(event.sample), int(event.step), int(event.total),
                                  event.mask, event.preview, int(event.round))
        elif isinstance(event, ev.InpaintDone):
            self.inpaintDone.emit(event.view, int(event.sample), event.image, event.mask, int(event.round))
        elif isinstance(event, ev.KeypointsDetected):
            self.keypointsDetected.emit(event.view, int(event.sample), event.keypoints, bool(event.valid),
                                        event.reason, int(event.round))
        elif isinstance(event, ev.ViewRendered):
            self.viewRendered.emit(event.view, event.image)
        elif isinstance(event, ev.ResultReady):
            self.resultReady.emit(event.set_name, event.vertices, event.faces, float(event.score),
                                  dict(event.metrics), int(event.round))
        elif isinstance(event, ev.Progress):
            self.progress.emit(event.stage, int(event.step), int(event.total), event.detail)
        elif isinstance(event, ev.StageStarted):
            self.stageStarted.emit(event.stage, event.detail, int(event.round))
        elif isinstance(event, ev.StageFinished):
            self.stageFinished.emit(event.stage, event.detail, int(event.round), float(event.seconds))
        elif isinstance(event, ev.StageSkipped):
            self.stageFinished.emit(event.stage, "already done", int(event.round), 0.0)
        elif isinstance(event, ev.Warning):
            self.warning.emit(event.message, event.stage)
        elif isinstance(event, ev.Error):
            self.warning.emit(event.message, event.stage)

    def _prepare_anny(self) -> None:
        """Anny's one-time cache build (about a minute on the first run) with progress; quick afterwards."""
        from pipeline.body.anny_body import ensure_anny_cache

        self.stageStarted.emit("body", "", 0)
        t0 = time.perf_counter()

        def progress(step, total=100, detail=""):  # may run in a helper thread: only emit
            self.progress.emit("body", int(step), int(total or 100), str(detail or ""))

        ensure_anny_cache(progress)
        self.token.check()
        self.stageFinished.emit("body", "ready", 0, time.perf_counter() - t0)

    def _body_faces(self):
        """The fitted body's triangles, from the job's own body model (SMPL-X with the user's file;
        the run has loaded it by now, cached per process). A failure is a warning, once."""
        import numpy as np

        from pipeline.body.spec import load_body

        request = self.job.request
        if request is None:
            from pipeline.generation.run_folder import read_json

            from pipeline.generation import GenerationRequest

            request = GenerationRequest.from_dict(read_json(Path(self.job.run_dir) / "config.json")["request"])
        try:
            return np.asarray(load_body(request.body_spec(), "cpu", self.job.trusted_pickles).faces)
        except Exception as exc:  # noqa: BLE001 - the run goes on; only the live preview is missing
            self._live_body_failed = True
            message = f"The body cannot be shown while it is fitted: {exc}"
            log.warning(message)
            self.warning.emit(message, "lifting")
            return None

    # ---- the job (worker thread) -------------------------------------------------------------
    @QtCore.Slot()
    def run(self) -> None:
        try:
            _limit_worker_threads()
            result = self._run_job()
        except ev.Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - reported to the user, never raised in Qt
            log.debug("generation failed:\n%s", traceback.format_exc())
            self.failed.emit(_describe(exc))
        else:
            self.finished.emit(result)

    def _run_job(self):
        from pipeline.generation import DiffusionImagination, UserImagesImagination, refit_from_images, run_generation
        from pipeline.generation.user_cameras import prepare_run_with_cameras

        job = self.job
        if job.renderer is not None:
            job.renderer.set_cancel(self.token)
        if job.kind == "refit":
            return refit_from_images(job.run_dir, job.excluded, self.emit_event, self.token, renderer=job.renderer,
                                     trusted_pickles=job.trusted_pickles)
        if job.kind not in ("generate", "import"):
            raise ValueError(f"unknown job kind {job.kind!r}")
        if job.request is not None and job.request.body_model == "anny":
            self._prepare_anny()
        imagination = job.imagination
        if imagination is None:
            if job.kind == "import":
                imagination = UserImagesImagination(job.images_folder)
            else:
                imagination = DiffusionImagination(job.request.model)
        if job.cameras:  # the user's cameras; without any, the pipeline selects views itself
            prepare_run_with_cameras(job.request, job.run_dir, job.cameras, imagination_description=imagination.describe(),
                                     normal=job.normal, scene=job.scene, images=job.view_images or None,
                                     emit=self.emit_event, cancel=self.token)
        return run_generation(job.request, job.run_dir, self.emit_event, self.token, imagination=imagination,
                              resume=True, renderer=job.renderer, trusted_pickles=job.trusted_pickles)


def worker_threads() -> int:
    """CPU threads the job may use: all cores but one, which stays with the window (the
    event loop must keep answering while a fit runs); ``GENZI_WORKER_THREADS`` overrides."""
    import os

    env = os.environ.get("GENZI_WORKER_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) - 1)


def _limit_worker_threads() -> None:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_num_threads(worker_threads())  # per calling thread for OpenMP: this worker only


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if isinstance(exc, MemoryError):
        return "Out of memory: use fewer views, fewer results or the 'fast' preset, or a smaller image size."
    if not text:
        return name
    if name in ("GenerationError", "NothingUsableError", "RunFolderMismatchError", "InpaintError", "FileNotFoundError",
                "ValueError", "ProjectError"):
        return text
    return f"{text} ({name})"


class GenerationRunner(QtCore.QObject):
    """Owns one worker and its thread; the GUI keeps a runner while a job runs."""

    done = QtCore.Signal()

    def __init__(self, job: GenerationJob, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QtCore.QThread(self)
        self.thread.setObjectName(f"generation-{job.kind}")
        self.worker = GenerationWorker(job)
        run_in_thread(self.worker, self.thread, (self.worker.finished, self.worker.failed, self.worker.cancelled))
        self.thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.worker.cancel()

    def is_running(self) -> bool:
        return thread_is_running(self.thread)

    def wait(self, ms: int = 60000) -> bool:
        return wait_for_thread(self.thread, ms)

    @QtCore.Slot()
    def _on_thread_finished(self) -> None:
        self.done.emit()
