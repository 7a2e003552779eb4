"""Ranking fitted bodies: CLIP image-text similarity when a CLIP model is at hand, else the
fit's own evidence. Ranking never fails a run for lack of CLIP.

CLIP score (the paper's): render the body into the scene from every view of the
round, embed the renders and the prompt with CLIP, L2-normalise, and average the cosine
similarities over the views.

Fit score (no CLIP), higher is better, documented so users can predict it::

    score = - mean_reprojection / (0.02 * image_size)      # weighted by the view weights
            - 4 * (1 - non_collision)                        # fraction of vertices inside the scene
            - max_penetration_m / 0.05                       # deepest vertex, per 5 cm
            - 0.5 * (0 if contact else 1)                    # touching the scene
            + 0.5 * used_views / total_views                 # how many views agreed

A body 10 px off on 512 px views, collision-free, touching, with every view used scores
about -1 + 0.5 = -0.5.
"""

from __future__ import annotations

import logging
import math
import os
from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np

from pipeline.core.events import EventSink, Warning
from pipeline.core.obj_mesh import read_obj

log = logging.getLogger("pipeline.generation")

FIT_FORMULA = (
    "-reproj/(0.02*image_size) - 4*(1-non_collision) - max_penetration_m/0.05 - 0.5*(not contact) "
    "+ 0.5*used_views/total_views"
)
CLIP_FORMULA = "mean over views of cos(CLIP(body rendered into the scene), CLIP(prompt))"


class Ranker(ABC):
    method: str = ""
    formula: str = ""

    @abstractmethod
    def score(self, records: Sequence[Any], *, cameras: Sequence[Any], run: Any) -> list[float]:
        """One score per fit record, higher is better."""


def fit_score(record: Any, image_size: float, total_views: int) -> float:
    """The documented no-CLIP score of one fit record (see the module docstring)."""
    weights = record.view_weights or {}
    errors = {v: e for v, e in (record.reprojection_px or {}).items() if e is not None and math.isfinite(e)}
    if errors:
        w = np.array([max(weights.get(v, 1.0), 1e-6) for v in errors])
        e = np.array(list(errors.values()))
        reproj = float((w * e).sum() / w.sum())
    else:
        reproj = 0.5 * image_size  # nothing to check against: as bad as being far off
    m = record.metrics or {}
    non_collision = float(m.get("non_collision", 1.0))
    max_pen = float(m.get("max_penetration_m", 0.0))
    contact = bool(m.get("contact", False))
    used = len(record.used_views or errors)
    return (
        -reproj / (0.02 * image_size)
        - 4.0 * (1.0 - non_collision)
        - max_pen / 0.05
        - 0.5 * (0.0 if contact else 1.0)
        + 0.5 * used / max(1, total_views)
    )


class FitRanker(Ranker):
    method = "fit"
    formula = FIT_FORMULA

    def score(self, records, *, cameras, run) -> list[float]:
        size = float(max(cameras[0].width, cameras[0].height)) if cameras else 512.0
        return [fit_score(r, size, len(cameras)) for r in records]


class ClipRanker(Ranker):
    """CLIP ViT image-text similarity of the body rendered into the scene."""

    method = "clip"
    formula = CLIP_FORMULA

    def __init__(self, model: Any, processor: Any, device: str = "cpu", spec: str = "") -> None:
        self.model = model
        self.processor = processor
        self.device = device
        self.spec = spec

    @classmethod
    def load(cls, spec: str, *, device: str = "cpu", allow_download: bool = False) -> "ClipRanker":
        """Load from a local folder or a hub id; only cached copies unless downloads are allowed."""
        from transformers import CLIPModel, CLIPProcessor

        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or not allow_download
        kwargs = {"local_files_only": True} if offline and not os.path.isdir(spec) else {}
        model = CLIPModel.from_pretrained(spec, **kwargs).to(device).eval()
        processor = CLIPProcessor.from_pretrained(spec, **kwargs)
        return cls(model, processor, device, spec)

    def embed_text(self, text: str):
        import torch

        with torch.no_grad():
            tokens = self.processor(text=[text], return_tensors="pt", padding=True, truncation=True)
            tokens = {k: v.to(self.device) for k, v in tokens.items()}
            feat = self.model.get_text_features(**tokens)
            feat = feat if isinstance(feat, torch.Tensor) else feat.pooler_output  # transformers 5 returns an output
        return torch.nn.functional.normalize(feat.float(), dim=-1)

    def embed_images(self, images: Sequence[np.ndarray]):
        import torch

        with torch.no_grad():
            pixels = self.processor(images=list(images), return_tensors="pt")["pixel_values"].to(self.device)
            feat = self.model.get_image_features(pixel_values=pixels)
            feat = feat if isinstance(feat, torch.Tensor) else feat.pooler_output  # transformers 5 returns an output
        return torch.nn.functional.normalize(feat.float(), dim=-1)

    def similarity(self, images: Sequence[np.ndarray], text: str) -> float:
        return float((self.embed_images(images) @ self.embed_text(text).T).mean())

    def score(self, records, *, cameras, run) -> list[float]:
        from pipeline.generation import stages

        text = run.request.prompt
        scores = []
        for record in records:
            run.cancel.check()
            vertices, faces = read_obj(run.folder.fit_mesh_path(record.round, record.set_name))
            images = [stages.render_body_in_scene(run.renderer, cam, vertices, faces)[0] for cam in cameras]
            scores.append(self.similarity(images, text))
        return scores


def make_ranker(settings: Any, request: Any, emit: EventSink) -> Ranker:
    """CLIP when asked for or available (``ranking`` "clip"/"auto"), else the fit score.

    "auto" only uses a CLIP copy that is already on disk (a local folder or the hub cache),
    so a run never starts a download of its own; "clip" may download unless offline.
    A CLIP model that cannot be loaded gives a warning and the fit score.
    """
    if settings.ranking == "fit":
        return FitRanker()
    try:
        from pipeline.core.device import pick_device

        device = str(pick_device(request.device))
    except RuntimeError:  # the requested GPU is missing: rank on the CPU
        device = "cpu"
    try:
        return ClipRanker.load(settings.clip_model, device=device, allow_download=settings.ranking == "clip")
    except Exception as exc:  # noqa: BLE001 - ranking must never fail for lack of CLIP
        message = (
            f"CLIP model {settings.clip_model!r} is not available ({type(exc).__name__}); ranking by the fit's "
            "residuals and physical metrics instead"
        )
        log.info("%s: %s", message, exc)
        emit(Warning(message, "ranking"))
        return FitRanker()
