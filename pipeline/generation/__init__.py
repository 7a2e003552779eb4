"""End-to-end generation: views, rounds of imagination, keypoints, fits, ranking, run folders.

The public entry points are :func:`run_generation` and :func:`refit_from_images`; a run is
described by a :class:`GenerationRequest` and its settings come from a preset
(:data:`PRESETS`) plus overrides.
"""

from pipeline.generation.config import DEFAULT_MODEL, GenerationRequest
from pipeline.generation.settings import DEFAULT_CLIP_MODEL, DEFAULT_PRESET, PRESETS, GenerationSettings, settings_for
from pipeline.generation.errors import GenerationError, NothingUsableError, RunFolderMismatchError
from pipeline.generation.imagination import (
    DiffusionImagination,
    Imagination,
    PaintItem,
    PaintResult,
    RenderedBodyImagination,
    UserImagesImagination,
)
from pipeline.generation.orchestrator import refit_from_images, run_generation
from pipeline.generation.results import FinalBody, FitRecord, GenerationResult

__all__ = [
    "DEFAULT_CLIP_MODEL", "DEFAULT_MODEL", "DEFAULT_PRESET", "PRESETS", "GenerationRequest", "GenerationSettings", "settings_for",
    "GenerationError", "NothingUsableError", "RunFolderMismatchError",
    "DiffusionImagination", "Imagination", "PaintItem", "PaintResult", "RenderedBodyImagination",
    "UserImagesImagination", "refit_from_images", "run_generation", "FinalBody", "FitRecord", "GenerationResult",
]  # fmt: skip
