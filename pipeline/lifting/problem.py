"""What a fit is given and what it returns, and the observations of many sets as one batch.

Sets may differ in their number of views: the batch pads every set to the largest count and
masks the padding (zero keypoint weights, no view confidence), so one optimisation serves
sets of any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES
from pipeline.lifting.schedule import LiftingSettings
from pipeline.lifting.silhouette import Silhouette, SilhouetteBatch, stack_silhouettes
from pipeline.views.cameras import Camera, stack_cameras


class SignedDistance(Protocol):
    """Anything with a differentiable ``sample(points (N, 3)) -> (N,)`` in metres (SDFGrid)."""

    def sample(self, points: torch.Tensor) -> torch.Tensor: ...


@dataclass
class ViewObservation:
    """The 2D person seen in one view: keypoints in pixels in KEYPOINT_NAMES order."""

    name: str
    camera: Camera
    keypoints: np.ndarray  # (23, 2) pixels; NaN where missing
    conf: np.ndarray  # (23,) detector scores; 0 where missing
    valid: bool = True
    silhouette: Silhouette | None = None  # the person's mask, for the optional silhouette term


@dataclass
class FitProblem:
    """One hypothesis set to fit: its views, and optionally where to start.

    ``init``: start parameters (batch 1; round 2 seeds); otherwise the start is placed from
    the cameras, ``target`` (default: where the cameras look) and the prompt's posture word.
    ``points``: the set's trusted triangulated keypoints and which are known, when the caller
    has them already (the starts do); otherwise the fit finds them itself.
    """

    observations: Sequence[ViewObservation]
    name: str = ""
    init: dict[str, torch.Tensor] | None = None
    target: np.ndarray | None = None
    prompt: str | None = None
    points: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class FitResult:
    params: dict[str, torch.Tensor]
    vertices: np.ndarray  # (V, 3) world metres
    keypoints3d: np.ndarray  # (23, 3) world metres, KEYPOINT_NAMES order
    view_weights: dict[str, float]  # s_v = sigmoid(c_v) per view name (0 for unused views)
    view_weights_normalised: dict[str, float]  # s_v / sum s, what the reprojection term used
    reprojection_error_px: dict[str, float]  # mean pixel error over the view's used keypoints
    losses: list[dict[str, float]] = field(default_factory=list)  # history, every emit_every its
    warnings: list[str] = field(default_factory=list)
    iterations: int = 0
    skipped_steps: int = 0
    seconds: float = 0.0
    used_views: list[str] = field(default_factory=list)


@dataclass
class SetOutcome:
    """One set's end of a batched fit: a result, or why the set was dropped."""

    name: str
    result: FitResult | None = None
    error: str | None = None


@dataclass
class PreparedSet:
    """One set's usable views as tensors (V views, 23 keypoints)."""

    used: list[ViewObservation]
    xy: torch.Tensor  # (V, 23, 2) pixels, 0 where unusable
    conf: torch.Tensor  # (V, 23) detector score x keypoint weight (0 for ignored names), 0 where unusable
    K: torch.Tensor  # (V, 3, 3)
    w2c: torch.Tensor  # (V, 4, 4)
    scale: torch.Tensor  # (V,) pixels per image unit


def prepare_set(observations: Sequence[ViewObservation], settings: LiftingSettings, device) -> PreparedSet | None:
    """The set's usable views (valid, with a finite, confident keypoint), or None if none is."""
    names = list(KEYPOINT_NAMES)
    keypoint_w = torch.as_tensor(settings.keypoint_weights(names), dtype=torch.float32)
    used, xy_list, conf_list = [], [], []
    for obs in observations:
        if not obs.valid:
            continue
        xy = np.asarray(obs.keypoints, dtype=np.float64).reshape(len(names), 2)
        conf = np.asarray(obs.conf, dtype=np.float64).reshape(len(names))
        bad = ~np.isfinite(xy).all(1) | ~np.isfinite(conf) | (conf <= settings.keypoint_min_conf)
        conf = np.where(bad, 0.0, conf)
        xy = np.where(bad[:, None], 0.0, xy)
        if not (conf > 0).any():
            continue
        used.append(obs)
        xy_list.append(xy)
        conf_list.append(conf)
    if not used:
        return None
    xy = torch.as_tensor(np.stack(xy_list), dtype=torch.float32, device=device)
    conf = torch.as_tensor(np.stack(conf_list), dtype=torch.float32, device=device)
    conf = conf * keypoint_w.to(device)[None]
    K, w2c = stack_cameras([o.camera for o in used], device=device)
    scale = torch.tensor([float(max(o.camera.width, o.camera.height)) for o in used], device=device)
    return PreparedSet(used, xy, conf, K, w2c, scale)


@dataclass
class SetBatch:
    """N prepared sets padded to the same view count M."""

    xy: torch.Tensor  # (N, M, 23, 2)
    conf: torch.Tensor  # (N, M, 23), 0 on padded views
    K: torch.Tensor  # (N, M, 3, 3); padded views repeat the set's first camera
    w2c: torch.Tensor  # (N, M, 4, 4)
    scale: torch.Tensor  # (N, M)
    view_mask: torch.Tensor  # (N, M) float, 1 for real views
    learn_views: torch.Tensor  # (N,) bool: the set learns view confidences (enough views)
    floor: torch.Tensor  # (N,) the hinge floor per set
    silhouettes: SilhouetteBatch | None = None

    @property
    def sets(self) -> int:
        return int(self.xy.shape[0])


def _pad(t: torch.Tensor, m: int, fill_from_first: bool) -> torch.Tensor:
    if t.shape[0] == m:
        return t
    extra = t[:1].expand(m - t.shape[0], *t.shape[1:]) if fill_from_first else t.new_zeros(m - t.shape[0], *t.shape[1:])
    return torch.cat([t, extra], 0)


def stack_sets(prepared: Sequence[PreparedSet], settings: LiftingSettings) -> SetBatch:
    m = max(len(p.used) for p in prepared)
    dev = prepared[0].xy.device
    counts = [len(p.used) for p in prepared]
    learn = [settings.use_view_confidences and c >= settings.min_views_for_hinge for c in counts]
    return SetBatch(
        xy=torch.stack([_pad(p.xy, m, False) for p in prepared]),
        conf=torch.stack([_pad(p.conf, m, False) for p in prepared]),
        K=torch.stack([_pad(p.K, m, True) for p in prepared]),
        w2c=torch.stack([_pad(p.w2c, m, True) for p in prepared]),
        scale=torch.stack([_pad(p.scale, m, True) for p in prepared]),
        view_mask=torch.tensor([[1.0] * c + [0.0] * (m - c) for c in counts], device=dev),
        learn_views=torch.tensor(learn, device=dev),
        floor=torch.tensor([settings.view_floor_for(c) for c in counts], device=dev),
        silhouettes=_silhouettes(prepared, settings, m, dev),
    )


def _silhouettes(prepared: Sequence[PreparedSet], settings: LiftingSettings, m: int, dev) -> SilhouetteBatch | None:
    """The views' masks as tensors, only when the silhouette term is switched on."""
    if not any(settings.weights.get("silhouette", ())):
        return None
    return stack_silhouettes([[o.silhouette for o in p.used] for p in prepared],
                             [[(o.camera.width, o.camera.height) for o in p.used] for p in prepared], m, dev)
