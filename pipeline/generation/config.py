"""What a generation run is asked to do: where, what, with which models, and the seed.

How the run does it is the settings tree of :mod:`pipeline.generation.settings`, built once
from the request's preset and overrides (:meth:`GenerationRequest.settings`).
"""

from __future__ import annotations

import math

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

from pipeline.body.spec import BodySpec
from pipeline.generation.settings import DEFAULT_PRESET, GenerationSettings, settings_for

DEFAULT_MODEL = "stabilityai/stable-diffusion-2-inpainting"


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
    preset: str = DEFAULT_PRESET
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
        if len(target) != 3 or not all(math.isfinite(v) for v in target):
            raise ValueError(f"The target must be three numbers X Y Z, all finite (world metres, Z up), got {target}.")
        self.target = target
        if self.normal is not None:
            normal = [float(v) for v in self.normal]
            if len(normal) != 3 or not all(math.isfinite(v) for v in normal) or not any(normal):
                raise ValueError(f"The normal must be three numbers X Y Z, finite and not all 0, got {normal}.")
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
        """The run's settings tree (build it once per job and pass it on)."""
        return settings_for(self.preset, self.overrides)

    def body_spec(self) -> BodySpec:
        """The body model this run fits (rebuild it with :func:`pipeline.body.spec.load_body`)."""
        return BodySpec.of(self.body_model, self.body_model_path, self.fixed_shape)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GenerationRequest":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

