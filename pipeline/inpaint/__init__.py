"""Stage 2 of GenZI: paint a person into every view with dynamic-mask diffusion inpainting.

Typical use::

    from pipeline.inpaint import Inpainter, InpaintRequest, InpaintSettings, load_inpaint_model
    model = load_inpaint_model()                     # SD 2 inpainting, auto device/precision
    results = Inpainter(model).run(
        [InpaintRequest("view_00", image, sample=0, seed=1)],
        InpaintSettings(prompt="a woman reading a book, sitting"),
        emit=print, cancel=token)

Heavy libraries (diffusers, transformers) are imported only when a model is loaded.
``pipeline.inpaint.testing`` builds tiny random models for tests.
"""

from pipeline.inpaint.errors import (
    InpaintError,
    InpaintSettingsError,
    ModelNotFoundError,
    ModelOfflineError,
    NotAnInpaintingModelError,
)
from pipeline.inpaint.inpainter import Inpainter, PaintJob
from pipeline.inpaint.loading import DEFAULT_MODEL_ID, InpaintModel, ModelSpec, load_inpaint_model
from pipeline.inpaint.masks import silhouette_mask
from pipeline.inpaint.schema import InpaintRequest, InpaintResult, InpaintSettings

__all__ = [
    "DEFAULT_MODEL_ID",
    "InpaintError",
    "InpaintModel",
    "InpaintRequest",
    "InpaintResult",
    "InpaintSettings",
    "InpaintSettingsError",
    "Inpainter",
    "PaintJob",
    "ModelNotFoundError",
    "ModelOfflineError",
    "ModelSpec",
    "NotAnInpaintingModelError",
    "load_inpaint_model",
    "silhouette_mask",
]
