"""The inpaint section of a run's settings: how many images per view and how they are painted.

:class:`pipeline.inpaint.schema.InpaintSettings` is what one call of the inpainter takes;
these are the run-level choices it is built from (see :meth:`PaintSettings.for_call`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # the inpaint package pulls in torch; settings are also read for ``--help``
    from pipeline.inpaint.schema import InpaintSettings


@dataclass
class PaintSettings:
    """Defaults are the paper's: 4 then 2 inpaintings per view, 50 denoising steps."""

    inpaints_round1: int = 4  # hypothesis sets in round 1 (inpaintings per view)
    inpaints_round2: int = 2  # inpaintings per view per seed body in round 2
    steps: int = 50
    guidance_scale: float = 7.5
    mask_quantile: float = 0.7
    dynamic_mask_stop: int | None = None  # None: half of the steps, as in the paper
    silhouette_kernel: int = 11
    silhouette_iterations: int = 8
    batch_size: int | None = None  # images per UNet call (None: from the GPU memory); halves on out-of-memory
    preview_every: int = 5
    extra: dict[str, Any] = field(default_factory=dict)  # any other InpaintSettings field, by name

    def problems(self) -> list[str]:
        out = []
        if self.inpaints_round1 < 1 or self.inpaints_round2 < 1:
            out.append("inpaint.inpaints_round1 and inpaint.inpaints_round2 must be at least 1")
        if self.steps < 1:
            out.append("inpaint.steps must be at least 1")
        if not 0.0 < self.mask_quantile < 1.0:
            out.append("inpaint.mask_quantile must lie strictly between 0 and 1")
        if self.batch_size is not None and self.batch_size < 1:
            out.append("inpaint.batch_size must be at least 1")
        from pipeline.inpaint.schema import InpaintSettings

        unknown = set(self.extra or {}) - {f.name for f in fields(InpaintSettings)}
        if unknown:
            out.append(f"unknown inpainting setting(s) {sorted(unknown)} in inpaint.extra; "
                       f"choose from {sorted(f.name for f in fields(InpaintSettings))}")
        return out

    @property
    def mask_stop(self) -> int:
        return self.steps // 2 if self.dynamic_mask_stop is None else int(self.dynamic_mask_stop)

    def for_call(self, prompt: str, negative_prompt: str | None, subject_words: Sequence[str] | None,
                 round_index: int = 1) -> "InpaintSettings":
        """The inpainter's settings for one round of this run (``extra`` wins)."""
        values = {
            "prompt": prompt,
            "negative_prompt": negative_prompt or "",
            "subject_tokens": list(subject_words) if subject_words else None,
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "dynamic_stop": self.mask_stop,
            "quantile_start": self.mask_quantile,
            "quantile_end": self.mask_quantile,
            "batch_size": self.batch_size,
            "preview_every": self.preview_every,
            "round": round_index,
            **dict(self.extra or {}),
        }
        from pipeline.inpaint.schema import InpaintSettings

        names = {f.name for f in fields(InpaintSettings)}
        return replace(InpaintSettings(), **{k: v for k, v in values.items() if k in names})
