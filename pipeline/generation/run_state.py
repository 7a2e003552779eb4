"""State of one run: its folder, the heavy objects it makes on first use, and the stage runner.

The stage modules (``stage_*.py``) receive a :class:`Run` and read everything through it, so
the scene, renderer, body, SDF grid and detector are each made once per run, and events,
warnings and stage markers are kept in one place.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pipeline.body.spec import load_body
from pipeline.core.device import pick_device
from pipeline.core.events import (
    CancelToken,
    Event,
    EventSink,
    StageFinished,
    StageSkipped,
    StageStarted,
    Warning,
    null_sink,
)
from pipeline.generation import stages
from pipeline.generation.config import GenerationRequest
from pipeline.generation.exclusions import load_excluded
from pipeline.generation.imagination import Imagination, ImaginationContext, make_imagination
from pipeline.generation.ranking import Ranker, make_ranker
from pipeline.generation.run_folder import RunFolder, read_json, read_png
from pipeline.generation.settings import GenerationSettings

log = logging.getLogger("pipeline.generation")


class Run:
    """One run: the folder, lazily loaded heavy objects, event bookkeeping."""

    def __init__(
        self,
        request: GenerationRequest,
        run_dir: str | Path,
        emit: EventSink,
        cancel: CancelToken,
        imagination: Imagination | None,
        *,
        allow_painting: bool = True,
        renderer=None,
        trusted_pickles: frozenset[str] = frozenset(),
        obstacles: Sequence = (),
    ) -> None:
        self.request = request
        self.trusted_pickles = frozenset(trusted_pickles)  # the user's consent, never stored in the folder
        self.obstacles = list(obstacles)  # other people's (vertices, faces): kept out of like furniture
        self.settings: GenerationSettings = request.settings()
        self.folder = RunFolder(run_dir)
        self._emit = emit or null_sink
        self.cancel = cancel or CancelToken()
        self.imagination = imagination
        self.allow_painting = allow_painting
        self.warnings: list[str] = []
        self.stages_run: list[str] = []
        self.stages_skipped: list[str] = []
        self.stage_seconds: dict[str, float] = {}
        self._scene = None
        self._renderer = renderer  # None: a SceneRenderer of the run's scene, made on first use
        self._owns_renderer = False
        self._body = None
        self._fit_device: str | None = None
        self._sdf = None
        self._detector = None
        self._views: tuple[list, list[np.ndarray]] | None = None
        self._imagination_ready = False
        self._ranker: Ranker | None = None
        self.excluded = load_excluded(self.folder)

    # ---- events -------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if isinstance(event, Warning):
            self.warnings.append(event.message)
            log.warning("%s%s", f"[{event.stage}] " if event.stage else "", event.message)
        try:
            self._emit(event)
        except Exception:  # a broken listener must not break the run
            log.exception("event listener failed on %s", type(event).__name__)

    def warn(self, message: str, stage: str = "") -> None:
        self.emit(Warning(message, stage))

    # ---- lazily created heavy objects ---------------------------------------------------
    @property
    def scene(self):
        if self._scene is None:
            self._scene = stages.load_scene(self.request.scene)
        return self._scene

    @property
    def renderer(self):
        if self._renderer is None:
            self._renderer = stages.make_renderer(self.scene)
            self._owns_renderer = True
        return self._renderer

    def close_own_renderer(self) -> None:
        """Release the off-screen render window this run made (not one it was given)."""
        if self._owns_renderer and self._renderer is not None:
            self._renderer.close()
            self._renderer = None
            self._owns_renderer = False

    @property
    def body(self):
        if self._body is None:
            self._body = load_body(self.request.body_spec(), self.fit_device, self.trusted_pickles)
        return self._body

    @property
    def fit_device(self) -> str:
        if self._fit_device is None:
            wanted = self.settings.lifting.fit_device
            if wanted == "auto":
                try:
                    wanted = "cuda" if pick_device(self.request.device).type == "cuda" else "cpu"
                except Exception:  # noqa: BLE001
                    wanted = "cpu"
            self._fit_device = wanted
        return self._fit_device

    def fall_back_to_cpu(self, reason: str) -> bool:
        """After a failure of a GPU fit: continue on the CPU (once); False if already there."""
        if self.fit_device == "cpu":
            return False
        self.warn(f"fitting on {self.fit_device} failed ({reason}); fitting on the CPU instead", "lifting")
        self._fit_device = "cpu"
        self._body = None
        return True

    @property
    def sdf(self):
        if self._sdf is None:
            self._sdf = stages.load_sdf(self.folder.sdf_path)
        return self._sdf

    def forget_sdf(self) -> None:
        """The grid on disk changed: read it again on next use."""
        self._sdf = None

    @property
    def detector(self):
        if self._detector is None:
            self._detector = stages.make_detector(self.settings)
        return self._detector

    @property
    def ranker(self) -> Ranker:
        if self._ranker is None:
            self._ranker = make_ranker(self.settings, self.request, self.emit)
        return self._ranker

    def views(self) -> tuple[list, list[np.ndarray]]:
        """(cameras, rendered RGB images) from ``views/``."""
        if self._views is None:
            cameras = stages.read_views(self.folder.views_dir / "views.json")
            images = [read_png(self.folder.views_dir / f"{c.name}.png") for c in cameras]
            self._views = (cameras, images)
        return self._views

    def forget_views(self) -> None:
        """The views on disk changed: read them again on next use."""
        self._views = None

    def ready_imagination(self) -> Imagination:
        if self.imagination is None:
            self.imagination = make_imagination(self.request)
        if not self._imagination_ready:
            context = ImaginationContext(
                request=self.request,
                settings=self.settings,
                scene_getter=lambda: self.scene,
                renderer_getter=lambda: self.renderer,
                body_getter=lambda: self.body,
                device=self.request.device,
            )
            self.imagination.prepare(context, self.emit)
            self._imagination_ready = True
        return self.imagination

    # ---- stage runner -------------------------------------------------------------------
    def stage(self, key: str, stage: str, round_index: int, fn: Callable[[], str | None]) -> bool:
        """Run ``fn`` unless its marker exists and its files are all there; True when it ran."""
        if self.folder.is_done(key):
            missing = missing_artefacts(self.folder, key)
            if not missing:
                self.stages_skipped.append(key)
                self.emit(StageSkipped(stage, "already finished", round_index))
                return False
            self.warn(f"stage {key} was finished but {missing} is missing; running it again", stage)
            order = stage_order(2)
            self.folder.clear_markers_from(order[order.index(key):])  # later stages are checked again too
        self.cancel.check()
        self.emit(StageStarted(stage, "", round_index))
        t0 = time.perf_counter()
        detail = fn() or ""
        seconds = time.perf_counter() - t0
        self.folder.mark_done(key, seconds=seconds, detail=detail)
        self.stages_run.append(key)
        self.stage_seconds[key] = seconds
        log.info("stage %s finished in %.2f s %s", key, seconds, detail)
        self.emit(StageFinished(stage, detail, round_index, seconds))
        return True


def stage_order(rounds: int) -> list[str]:
    """Stage keys in the order a run executes them."""
    keys = ["views", "sdf"]
    for r in range(1, rounds + 1):
        keys += [f"r{r}_inpaint", f"r{r}_keypoints", f"r{r}_lifting", f"r{r}_ranking"]
    return keys + ["report"]


def missing_artefacts(folder: RunFolder, key: str) -> str:
    """The first file a finished stage should have left but did not ("" when complete)."""
    paths: list[Path] = []
    if key == "views":
        paths = [folder.views_dir / "views.json"]
        if paths[0].exists():
            paths += [folder.views_dir / f"{v['name']}.png" for v in read_json(paths[0])["views"]]
    elif key == "sdf":
        paths = [folder.sdf_path]
    elif key == "report":
        paths = [folder.report_path]
        if paths[0].exists():
            paths += [folder.root / b["mesh"] for b in read_json(paths[0]).get("bodies", [])]
    elif key.startswith("r") and "_" in key:
        r = int(key[1:key.index("_")])
        kind = key[key.index("_") + 1:]
        plan_path = folder.round_dir(r) / "plan.json"
        if not plan_path.exists():
            return str(plan_path)
        sets = [e["set"] for e in read_json(plan_path)["sets"]]
        if kind == "inpaint":
            paths = [folder.images_index_path(r)]
        elif kind == "keypoints":
            paths = [folder.keypoints_path(r, s) for s in sets]
        elif kind == "lifting":
            paths = [folder.fit_path(r, s) for s in sets]
        elif kind == "ranking":
            paths = [folder.ranking_path(r)]
    for path in paths:
        if not path.exists():
            return str(path.relative_to(folder.root))
    return ""
