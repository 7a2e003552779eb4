"""What a generation run is asked to do (:class:`GenerationRequest`) and how (:class:`GenerationSettings`).

Two presets cover the common cases: ``paper`` repeats the authors' settings (16 views, 4 then
2 inpaintings per view, 50 denoising steps, 2 rounds) and ``fast`` trades accuracy for a
quick first look (8 views, 2 inpaintings, 25 steps, 1 round). Every setting can be
overridden by name, so a run folder's ``config.json`` alone reproduces a run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

DEFAULT_MODEL = "stabilityai/stable-diffusion-2-inpainting"
DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch32"


@dataclass
class GenerationSettings:
    """Every knob of a run. Defaults are the ``paper`` preset."""

    num_views: int = 16
    image_size: int = 512
    rounds: int = 2
    inpaints_round1: int = 4  # hypothesis sets in round 1 (inpaintings per view)
    inpaints_round2: int = 2  # inpaintings per view per seed body in round 2
    seed_fraction: float = 0.5  # keep floor(fraction * N) round-1 bodies as round-2 seeds (at least 1)
    steps: int = 50
    guidance_scale: float = 7.5
    mask_quantile: float = 0.7
    dynamic_mask_stop: int | None = None  # None: half of the steps, as in the paper
    silhouette_kernel: int = 11
    silhouette_iterations: int = 8
    batch_size: int | None = None  # images per UNet call (None: from the GPU memory); halves on out-of-memory
    preview_every: int = 5
    fit_iterations: int | None = None  # None: the lifting stage's own default (the paper's 1600)
    self_penetration: bool = False  # the fit's optional capsule self-penetration term (pipeline.lifting.self_penetration)
    fit_device: str = "auto"  # "auto": the GPU when the run uses one (falls back to the CPU on error), else "cpu"
    min_valid_joints: int | None = None  # None: the keypoint stage's default (13 of 17)
    ranking: str = "auto"  # "auto" (CLIP when available, else fit), "clip", "fit"
    clip_model: str = DEFAULT_CLIP_MODEL
    sdf_half_extent: float = 1.6  # metres around the target
    sdf_cell: float = 0.03
    framing: str = "auto"
    inpaint_overrides: dict[str, Any] = field(default_factory=dict)  # any other InpaintSettings field

    def validate(self) -> None:
        """Clear messages for values that cannot work."""
        problems = []
        if self.num_views < 1:
            problems.append("num_views must be at least 1")
        if self.rounds not in (1, 2):
            problems.append("rounds must be 1 or 2")
        if self.inpaints_round1 < 1 or self.inpaints_round2 < 1:
            problems.append("inpaints_round1 and inpaints_round2 must be at least 1")
        if self.steps < 1:
            problems.append("steps must be at least 1")
        if self.image_size < 64 or self.image_size % 8:
            problems.append("image_size must be a multiple of 8 and at least 64")
        if not 0.0 < self.mask_quantile < 1.0:
            problems.append("mask_quantile must lie strictly between 0 and 1")
        if self.ranking not in ("auto", "clip", "fit"):
            problems.append("ranking must be 'auto', 'clip' or 'fit'")
        if not 0.0 < self.seed_fraction <= 1.0:
            problems.append("seed_fraction must lie in (0, 1]")
        if self.batch_size is not None and self.batch_size < 1:
            problems.append("batch_size must be at least 1")
        if problems:
            raise ValueError("Invalid generation settings: " + "; ".join(problems) + ".")

    @property
    def mask_stop(self) -> int:
        return self.steps // 2 if self.dynamic_mask_stop is None else int(self.dynamic_mask_stop)

    def inpaints_for_round(self, round_index: int) -> int:
        return self.inpaints_round1 if round_index == 1 else self.inpaints_round2


PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"num_views": 16, "inpaints_round1": 4, "inpaints_round2": 2, "steps": 50, "rounds": 2},
    # fast: a quick first look; the fit also gets fewer iterations (600 of the paper's 1600)
    "fast": {"num_views": 8, "inpaints_round1": 2, "inpaints_round2": 2, "steps": 25, "rounds": 1, "fit_iterations": 600},
}


def settings_for(preset: str = "paper", overrides: dict[str, Any] | None = None) -> GenerationSettings:
    """The preset's settings with ``overrides`` applied by name; unknown names are an error."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    valid = {f.name: f for f in fields(GenerationSettings)}
    values = dict(PRESETS[preset])
    for key, value in (overrides or {}).items():
        if key not in valid:
            raise ValueError(
                f"Unknown setting {key!r}. Settings you can override: {', '.join(sorted(valid))}."
            )
        values[key] = value
    settings = GenerationSettings(**values)
    settings.validate()
    return settings


@dataclass
class GenerationRequest:
    """Inputs of one run: where, what, with which models, and the seed."""

    scene: str | Path
    target: Sequence[float]
    prompt: str
    normal: Sequence[float] | None = None
    radius: float | None = None  # surface patch radius for view selection (None: 0.15 m)
    negative_prompt: str | None = None  # None: the inpainting stage's default list
    subject_words: Sequence[str] | None = None  # None: found in the prompt automatically
    seed: int = 0
    preset: str = "paper"
    overrides: dict[str, Any] = field(default_factory=dict)
    model: str = DEFAULT_MODEL
    device: str = "auto"
    dtype: str = "auto"
    body_model: str = "anny"  # "anny", or "smplx" with the user's model in body_model_path
    body_model_path: str | None = None  # SMPL-X: the model file (.npz or .pkl) or its folder
    fixed_shape: dict[str, float] | None = None  # Anny phenotype values held fixed during fitting

    def __post_init__(self) -> None:
        self.scene = str(self.scene)
        target = [float(v) for v in self.target]
        if len(target) != 3:
            raise ValueError("The target must be three numbers X Y Z (world metres, Z up).")
        self.target = target
        if self.normal is not None:
            normal = [float(v) for v in self.normal]
            if len(normal) != 3:
                raise ValueError("The normal must be three numbers X Y Z.")
            self.normal = normal
        if not str(self.prompt).strip():
            raise ValueError("The prompt is empty: describe the person and what they do, e.g. 'a man sitting on the sofa'.")
        self.seed = int(self.seed)
        if self.subject_words is not None:
            self.subject_words = [str(w) for w in self.subject_words]
        self.overrides = dict(self.overrides or {})
        self.body_model = str(self.body_model).lower().replace("-", "")
        if self.body_model not in ("anny", "smplx"):
            raise ValueError(f"Unknown body model {self.body_model!r}; choose 'anny' or 'smplx'.")
        if self.body_model == "smplx":
            if not self.body_model_path:
                raise ValueError("SMPL-X needs the model you downloaded from smpl-x.is.tue.mpg.de: give the "
                                 "SMPLX_NEUTRAL.npz file or its folder.")
            self.body_model_path = str(self.body_model_path)
            if self.fixed_shape:
                raise ValueError("Fixed body shape values (gender, age, height, weight) are Anny's; "
                                 "leave them out for SMPL-X, whose shape is fitted.")

    def settings(self) -> GenerationSettings:
        return settings_for(self.preset, self.overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GenerationRequest":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def settings_to_dict(settings: GenerationSettings) -> dict[str, Any]:
    return dataclasses.asdict(settings)
