"""Typed progress events and cancellation, shared by the CLI and the desktop app (no Qt).

The pipeline calls ``emit(event)`` with one of the dataclasses below and checks a
:class:`CancelToken` between steps. Large payloads are numpy arrays so a GUI can turn them
into images without touching pipeline objects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Cancelled(Exception):
    """Raised inside the pipeline when the user asked to stop."""


class CancelToken:
    """Thread-safe stop flag: the GUI sets it, the worker checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


@dataclass
class Event:
    """Base class of all pipeline events."""


@dataclass
class StageStarted(Event):
    stage: str  # "views", "inpaint", "keypoints", "lifting", "ranking", "export", ...
    detail: str = ""
    round: int = 0


@dataclass
class StageFinished(Event):
    stage: str
    detail: str = ""
    round: int = 0
    seconds: float = 0.0


@dataclass
class StageSkipped(Event):
    """A stage that a resumed run found already finished on disk."""

    stage: str
    detail: str = ""
    round: int = 0


@dataclass
class Progress(Event):
    stage: str
    step: int
    total: int
    detail: str = ""


@dataclass
class ViewRendered(Event):
    view: str
    image: np.ndarray  # (H, W, 3) uint8


@dataclass
class InpaintStep(Event):
    view: str
    sample: int  # which inpainting of this view (hypothesis set index)
    step: int
    total: int
    mask: np.ndarray | None = None  # (H, W) bool or float in [0, 1]
    preview: np.ndarray | None = None  # (h, w, 3) uint8, cheap latent preview
    round: int = 0


@dataclass
class InpaintDone(Event):
    view: str
    sample: int
    image: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray | None = None
    round: int = 0


@dataclass
class KeypointsDetected(Event):
    view: str
    sample: int
    keypoints: np.ndarray | None  # (K, 3) pixels + confidence, None when nobody was found
    valid: bool
    reason: str = ""
    round: int = 0


@dataclass
class LiftingStep(Event):
    set_name: str
    iteration: int
    total: int
    vertices: np.ndarray | None = None  # (V, 3) world metres
    view_weights: dict[str, float] = field(default_factory=dict)
    losses: dict[str, float] = field(default_factory=dict)
    round: int = 0


@dataclass
class ResultReady(Event):
    set_name: str
    vertices: np.ndarray
    faces: np.ndarray
    score: float
    metrics: dict[str, Any] = field(default_factory=dict)
    round: int = 0


@dataclass
class Warning(Event):  # noqa: A001 - a pipeline warning event, not the builtin
    message: str
    stage: str = ""


@dataclass
class Error(Event):
    message: str
    stage: str = ""


EventSink = Callable[[Event], None]


def null_sink(event: Event) -> None:
    """An event sink that ignores everything."""
