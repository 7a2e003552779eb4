"""People running at the same time on this machine paint their views together.

Each person's run hands its images to the :class:`PaintBoard` instead of painting them
itself. The first person to hand in waits until every running person has handed in (or
``wait_s`` has passed), then paints everyone's images in shared UNet calls
(:meth:`pipeline.inpaint.Inpainter.run_many`: as many images per call as the memory allows,
halved on out-of-memory). The model is loaded once for all. An image comes out as it would
painted alone (the sampler's per-image seeds), so sharing changes speed, not people.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from pipeline.core.events import Cancelled, CancelToken
from pipeline.generation import stages
from pipeline.generation.imagination import DiffusionImagination, PaintResult

WAIT_S = 3.0  # how long handed-in images wait for the other running people


class PaintBoard:
    """Collects the images of the running people and paints them in shared calls."""

    def __init__(self, cancel: CancelToken | None = None, wait_s: float = WAIT_S) -> None:
        self.cancel = cancel or CancelToken()  # the job's: one person's cancel must not stop the others' images
        self.wait_s = wait_s
        self.lock = threading.Condition()
        self.running = 0  # people whose run is under way
        self.waiting: list[dict] = []  # handed in, not painted yet
        self.painting = False
        self.models: dict[tuple, Any] = {}
        self.calls: list[int] = []  # people per shared call (for the log and the benchmark)

    def enter(self) -> None:
        with self.lock:
            self.running += 1

    def leave(self) -> None:
        with self.lock:
            self.running -= 1
            self.lock.notify_all()

    def inpainter(self, model: str, device: str, dtype: str, emit):
        """The one loaded inpainter per (model, device, dtype) that every person uses."""
        key = (model, device, dtype)
        with self.lock:
            if key not in self.models:
                self.models[key] = stages.load_inpainter(model, device=device, dtype=dtype, emit=emit)
            return self.models[key]

    def paint(self, inpainter, job) -> list:
        """Hand in one person's :class:`~pipeline.inpaint.PaintJob`; returns its results."""
        entry = {"job": job, "inpainter": inpainter, "since": time.monotonic(), "result": None, "error": None}
        with self.lock:
            self.waiting.append(entry)
            self.lock.notify_all()
            while entry["result"] is None and entry["error"] is None:
                everyone = len(self.waiting) >= self.running
                waited = self.waiting and time.monotonic() - self.waiting[0]["since"] >= self.wait_s
                if not self.painting and self.waiting and (everyone or waited):
                    self._paint_waiting()
                else:
                    self.lock.wait(timeout=0.1)
        if entry["error"] is not None:
            raise entry["error"]
        return entry["result"]

    def _paint_waiting(self) -> None:
        """Paint everything handed in with the same model (called holding the lock, released meanwhile)."""
        inpainter = self.waiting[0]["inpainter"]
        batch = [e for e in self.waiting if e["inpainter"] is inpainter]
        self.waiting = [e for e in self.waiting if e["inpainter"] is not inpainter]
        self.painting = True
        self.lock.release()
        try:
            try:
                results = inpainter.run_many([e["job"] for e in batch], cancel=self.cancel)
                for e, r in zip(batch, results):
                    e["result"] = r
            except BaseException as exc:  # noqa: BLE001 - each person gets the error (Cancelled included)
                for e in batch:
                    e["error"] = exc
            self.calls.append(len(batch))
        finally:
            self.lock.acquire()
            self.painting = False
            self.lock.notify_all()


class SharedDiffusionImagination(DiffusionImagination):
    """The diffusion painter of one person, painting through the job's :class:`PaintBoard`."""

    kind = "diffusion"

    def __init__(self, board: PaintBoard, model: str | None = None) -> None:
        super().__init__(model)
        self.board = board

    def prepare(self, context, emit) -> None:
        self.context = context
        req = context.request
        self.model = self.model or req.model
        self._inpainter = self.board.inpainter(self.model, req.device, req.dtype, emit)

    def paint(self, items, emit, cancel):
        from pipeline.inpaint import InpaintRequest, PaintJob

        items = list(items)
        cancel.check()
        req, settings = self.context.request, self.context.settings
        requests = [InpaintRequest(view_name=i.view, image=i.view_image, sample=i.set_index, seed=i.seed,
                                   fixed_mask=i.fixed_mask) for i in items]
        round_index = max(i.round for i in items) if items else 1
        job = PaintJob(requests, stages.inpaint_settings_for(req, settings, round_index), emit=emit)
        try:
            results = self.board.paint(self._inpainter, job) if items else []
        except Cancelled:
            cancel.check()
            raise
        for item, res in zip(items, results):
            info = {"prompt": res.prompt, "token_indices": list(res.token_indices)}
            yield item, PaintResult(np.asarray(res.image), np.asarray(res.mask), info=info)
        cancel.check()  # this person alone may have been stopped while everyone painted
