"""What a painter is given (:class:`PaintItem`) and gives back (:class:`PaintResult`).

Apart from the painters themselves, so the stage helpers that fill a result need not import
the painters that call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.views.cameras import Camera


@dataclass
class PaintItem:
    """One image to paint: a view of one hypothesis set in one round."""

    round: int
    set_index: int
    set_name: str
    view: str
    view_index: int
    camera: Camera
    view_image: np.ndarray  # (H, W, 3) uint8 render of the scene
    seed: int
    fixed_mask: np.ndarray | None = None  # (H, W) bool; None = dynamic masking
    seed_body: dict | None = None  # round 2: the seed body's parameters (JSON form)


@dataclass
class PaintResult:
    image: np.ndarray | None  # (H, W, 3) uint8, None when this item could not be painted
    mask: np.ndarray | None = None  # (H, W) bool/float final mask, if any
    reason: str = ""  # why image is None
    info: dict = field(default_factory=dict)
