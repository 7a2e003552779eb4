"""The imagination stage: where the 2D people come from.

The orchestrator hands an :class:`Imagination` a list of :class:`PaintItem` (one per view and
hypothesis set, each with its own seed and, in round 2, a fixed silhouette mask) and stores
whatever it paints. Three sources share this interface:

- :class:`DiffusionImagination` (default): the diffusion inpainter with dynamic masks in
  round 1 and the seed body's dilated silhouette in round 2.
- :class:`UserImagesImagination`: images the user painted in any tool for the exported
  views (``view_XX.png`` or ``set_K/view_XX.png``).
- :class:`RenderedBodyImagination`: a test and benchmark double that renders a known body
  into the scene, so keypoints, fitting and ranking run on real, checkable input.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from pipeline.core.events import CancelToken, EventSink, InpaintDone, Warning
from pipeline.generation import stages
from pipeline.generation.paint_types import PaintItem, PaintResult
from pipeline.core.oom import run_with_oom_backoff

log = logging.getLogger("pipeline.generation")


@dataclass
class ImaginationContext:
    """What an imagination may need from the run; heavy members are created on demand."""

    request: Any  # GenerationRequest
    settings: Any  # GenerationSettings
    scene_getter: Any  # () -> Scene
    renderer_getter: Any  # () -> SceneRenderer
    body_getter: Any  # () -> BodyModel
    device: str = "cpu"


class Imagination(ABC):
    """Source of the painted hypothesis images."""

    kind: str = "imagination"
    max_rounds: int = 2  # a source that cannot repaint for round 2 says 1
    views_file: Path | None = None  # images painted for given cameras: their views.json
    num_sets: int | None = None  # images that exist already: how many hypothesis sets they hold

    def check_available(self, request: Any) -> None:
        """Raise when the source cannot paint (a missing model), before any work is done."""

    def prepare(self, context: ImaginationContext, emit: EventSink) -> None:
        """Load models; called once per run before the first :meth:`paint`."""
        self.context = context

    @abstractmethod
    def paint(
        self, items: list[PaintItem], emit: EventSink, cancel: CancelToken
    ) -> Iterator[tuple[PaintItem, PaintResult]]:
        """Paint items, yielding each as soon as it is done (so it can be saved at once)."""

    @abstractmethod
    def describe(self) -> dict:
        """JSON description for ``config.json``."""

    def close(self) -> None:
        """Free models."""


# ---------------------------------------------------------------------------------------
class DiffusionImagination(Imagination):
    """The diffusion inpainter: dynamic masks in round 1, silhouettes in round 2."""

    kind = "diffusion"

    def __init__(self, model: str | None = None, *, components: Any = None) -> None:
        self.model = model
        self.components = components  # pre-loaded components (tests, app cache)
        self._inpainter = None

    def describe(self) -> dict:
        return {"kind": self.kind, "model": self.model}

    def check_available(self, request: Any) -> None:
        """Fail early, with what to do, when the model cannot be found (cheap: no loading)."""
        if self.components is None:
            stages.check_model_available(self.model or request.model)

    def prepare(self, context: ImaginationContext, emit: EventSink) -> None:
        super().prepare(context, emit)
        req = context.request
        model = self.model or req.model
        self.model = model
        self._inpainter = stages.load_inpainter(
            model, device=req.device, dtype=req.dtype, components=self.components, emit=emit
        )

    def paint(self, items, emit, cancel):
        settings = self.context.settings
        req = self.context.request
        batch = max(1, int(settings.inpaint.batch_size or 16))  # images handed over per call (saved after each)
        pending = list(items)
        painted = 0
        while pending:
            cancel.check()
            chunk_size = min(batch, len(pending))

            def attempt(n: int, chunk=None):
                return stages.inpaint_batch(
                    self._inpainter, chunk or pending[:n], req, settings, emit=emit, cancel=cancel
                )

            try:
                results, used = run_with_oom_backoff(attempt, chunk_size, emit=emit, what="inpainting")
            except Exception as exc:  # noqa: BLE001 - one bad image must not end the run
                from pipeline.core.events import Cancelled

                if isinstance(exc, (Cancelled, stages.GenerationError)) or painted == 0:
                    raise  # cancelled, or failing from the start: a problem of the model, not of one image
                used = chunk_size
                results = []
                for item in pending[:used]:  # find the image(s) that fail, keep the others
                    try:
                        results.extend(attempt(1, [item]))
                    except Exception as one:  # noqa: BLE001
                        if isinstance(one, Cancelled):
                            raise
                        log.exception("painting %s/%s failed", item.set_name, item.view)
                        results.append(PaintResult(None, reason=f"painting failed: {one}"))
            batch = used
            done = pending[:used]
            pending = pending[used:]
            for item, result in zip(done, results):
                painted += int(result.image is not None)
                yield item, result

    def close(self) -> None:
        self._inpainter = None


# ---------------------------------------------------------------------------------------
_VIEW_FILE = re.compile(r"^(view_\d+)\.(png|jpg|jpeg|webp)$", re.IGNORECASE)
_SET_DIR = re.compile(r"^set_(\d+)$")


def scan_user_images(folder: str | Path) -> dict[int, dict[str, Path]]:
    """``{set_index: {view_name: path}}`` from ``folder/view_XX.png`` or ``folder/set_K/view_XX.png``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Hypothesis image folder {folder} does not exist.")
    sets: dict[int, dict[str, Path]] = {}
    for sub in sorted(folder.iterdir(), key=lambda p: (len(p.name), p.name)):
        m = _SET_DIR.match(sub.name)
        if sub.is_dir() and m:
            views = {mm.group(1): p for p in sorted(sub.iterdir()) if p.is_file() and (mm := _VIEW_FILE.match(p.name))}
            if views:
                sets[int(m.group(1))] = views
    if not sets:  # one set straight in the folder
        flat = {m.group(1): p for p in sorted(folder.iterdir()) if p.is_file() and (m := _VIEW_FILE.match(p.name))}
        if flat:
            sets[0] = flat
    if not sets:
        raise FileNotFoundError(
            f"No hypothesis images in {folder}: put one image per exported view there named like "
            "view_00.png (or several sets as set_0/view_00.png, set_1/view_00.png, ...)."
        )
    return dict(sorted(sets.items()))


class UserImagesImagination(Imagination):
    """Hypotheses painted by the user (any tool) for the exported views; round 1 only."""

    kind = "user_images"
    max_rounds = 1

    def __init__(self, folder: str | Path, views_file: str | Path | None = None) -> None:
        """``views_file``: the ``views.json`` the images were painted for (the exported views);
        default ``folder/views.json`` when present, else the run selects views itself."""
        self.folder = Path(folder)
        self.sets = scan_user_images(self.folder)
        if views_file is None and (self.folder / "views.json").is_file():
            views_file = self.folder / "views.json"
        if views_file is not None:
            views_file = Path(views_file)
            if views_file.is_dir():
                views_file = views_file / "views.json"
            if not views_file.is_file():
                raise FileNotFoundError(f"No views.json at {views_file}: pass the folder 'genzi views' exported.")
        self.views_file = views_file
        self._check_images()

    def _check_images(self) -> None:
        """Every image opens, is whole and (with a views.json) has its view's size: refused now,
        with the names, rather than dropped one by one in the middle of the run."""
        from pipeline.generation.image_checks import check_images
        from pipeline.views.views_io import load_views

        size = None
        if self.views_file is not None:
            cameras, _ = load_views(self.views_file)  # a malformed views.json is refused here too
            if not cameras:
                raise ValueError(f"{self.views_file} lists no views.")
            size = (cameras[0].width, cameras[0].height)
        for images in self.sets.values():
            check_images(images, size, exact=False)  # other sizes of the same shape are rescaled

    @property
    def num_sets(self) -> int:  # type: ignore[override]
        return len(self.sets)

    def describe(self) -> dict:
        return {"kind": self.kind, "folder": str(self.folder), "sets": len(self.sets),
                "views_file": None if self.views_file is None else str(self.views_file)}

    def paint(self, items, emit, cancel):
        from pipeline.generation.run_folder import read_png

        set_keys = list(self.sets)
        for item in items:
            cancel.check()
            if item.set_index >= len(set_keys):
                yield item, PaintResult(None, reason=f"no user image set {item.set_index}")
                continue
            path = self.sets[set_keys[item.set_index]].get(item.view)
            if path is None:
                yield item, PaintResult(None, reason=f"no image for {item.view} in {self.folder}")
                continue
            image = read_png(path)
            if image.ndim == 2:
                image = np.repeat(image[..., None], 3, axis=2)
            h, w = item.view_image.shape[:2]
            if image.shape[:2] != (h, w):
                from PIL import Image

                emit(Warning(f"{path.name} is {image.shape[1]}x{image.shape[0]}, resized to the view's {w}x{h}", "inpaint"))
                image = np.asarray(Image.fromarray(image).resize((w, h), Image.BICUBIC))
            emit(InpaintDone(item.view, item.set_index, image, None, round=item.round))
            yield item, PaintResult(image, None, info={"source": str(path)})


# ---------------------------------------------------------------------------------------
class RenderedBodyImagination(Imagination):
    """Test/benchmark double: renders a known body into each view instead of painting.

    The body is given as parameters (JSON or tensors) or as a posture preset placed at a
    point (``posture="sitting_chair", at=(x, y, z), facing_yaw_deg=180``). Its composite into
    the scene view is what a perfect inpainter would paint, so the real keypoint detector,
    fits, ranking and round 2 run on it and the result can be compared with the known body.
    """

    kind = "rendered_body"

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        *,
        posture: str | None = None,
        at: Any = None,
        facing_yaw_deg: float = 0.0,
    ) -> None:
        if params is None and (posture is None or at is None):
            raise ValueError("RenderedBodyImagination needs body params, or a posture and a point 'at'.")
        self.params = params
        self.posture = posture
        self.at = None if at is None else [float(x) for x in at]
        self.facing_yaw_deg = float(facing_yaw_deg)

    def describe(self) -> dict:
        if self.params is not None:
            return {"kind": self.kind, "params": _jsonable(self.params)}
        return {"kind": self.kind, "posture": self.posture, "at": self.at, "facing_yaw_deg": self.facing_yaw_deg}

    def known_params(self, body: Any) -> dict[str, Any]:
        """The known body's parameters as tensors of ``body``."""
        if self.params is None:
            from pipeline.body.presets import posed_body

            self.params = posed_body(body, self.posture, self.at, self.facing_yaw_deg)
        return stages.params_from_json(body, self.params)

    def prepare(self, context: ImaginationContext, emit: EventSink) -> None:
        super().prepare(context, emit)
        body = context.body_getter()
        self._vertices, self._faces = stages.body_mesh(body, self.known_params(body))

    def paint(self, items, emit, cancel):
        renderer = self.context.renderer_getter()
        for item in items:
            cancel.check()
            image, silhouette = stages.render_body_in_scene(renderer, item.camera, self._vertices, self._faces)
            emit(InpaintDone(item.view, item.set_index, image, silhouette, round=item.round))
            yield item, PaintResult(image, silhouette)


def _jsonable(params: Any) -> Any:
    import torch

    if isinstance(params, dict):
        return {k: _jsonable(v) for k, v in params.items()}
    if isinstance(params, torch.Tensor):
        return params.detach().cpu().tolist()
    if isinstance(params, np.ndarray):
        return params.tolist()
    return params


def make_imagination(request: Any, user_images: str | Path | None = None) -> Imagination:
    """The default imagination for a request: user images when given, else diffusion."""
    if user_images is not None:
        return UserImagesImagination(user_images)
    return DiffusionImagination(request.model)


def iter_items(items: Iterable[PaintItem]) -> list[PaintItem]:
    return list(items)
