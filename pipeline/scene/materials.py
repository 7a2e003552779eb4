"""What a scene part's trimesh material says about its colour: the one place that knows
trimesh's two material kinds (glTF's PBR material and the OBJ-style simple material).

The viewport's look, the exporters' scene textures and colours all read materials through
here, so a trimesh change breaks one module (and ``tests/test_scene_materials.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from trimesh.visual import ColorVisuals, TextureVisuals
from trimesh.visual.material import PBRMaterial, SimpleMaterial

ALPHA_MODES = ("OPAQUE", "MASK", "BLEND")


@dataclass
class BaseColour:
    """A material's base colour: an image (PIL) or None, an RGBA factor in 0..1, glTF's alpha mode."""

    image: Any | None
    factor: np.ndarray | None  # (4,) float RGBA in 0..1; None when the material names no colour
    alpha_mode: str  # "OPAQUE", "MASK" or "BLEND"


def base_colour(material: Any) -> BaseColour:
    if isinstance(material, PBRMaterial):
        image, factor, mode = material.baseColorTexture, material.baseColorFactor, material.alphaMode
    elif isinstance(material, SimpleMaterial):
        image, factor, mode = material.image, material.diffuse, None
    else:
        return BaseColour(None, None, "OPAQUE")
    return BaseColour(image, _rgba(factor), str(mode).upper() if str(mode).upper() in ALPHA_MODES else "OPAQUE")


def _rgba(factor: Any) -> np.ndarray | None:
    if factor is None:
        return None
    values = np.asarray(factor).reshape(-1)
    values = values / 255.0 if values.dtype.kind in "ui" else values.astype(np.float64)
    return np.append(values[:4], 1.0) if len(values) == 3 else values[:4].astype(np.float64)


def textured(mesh: Any) -> tuple[BaseColour, np.ndarray] | None:
    """(base colour, per-vertex UVs) of a mesh whose visual is a texture with one UV per vertex, else None."""
    visual = mesh.visual
    if not isinstance(visual, TextureVisuals) or visual.uv is None or len(visual.uv) != len(mesh.vertices):
        return None
    return base_colour(visual.material), np.asarray(visual.uv, dtype=np.float64)


def vertex_colours(mesh: Any) -> np.ndarray | None:
    """(V, 4) uint8 colours of a mesh coloured per vertex or face (trimesh spreads face colours), else None."""
    visual = mesh.visual
    if isinstance(visual, ColorVisuals) and visual.kind in ("vertex", "face"):
        colours = np.asarray(visual.vertex_colors, dtype=np.uint8)
        return colours if len(colours) == len(mesh.vertices) else None
    return None


def main_colour(mesh: Any) -> tuple[float, float, float, float]:
    """The one colour that stands for a mesh (its material's or its colours' main colour), RGBA in 0..1."""
    visual = mesh.visual
    source = visual.material if isinstance(visual, TextureVisuals) and visual.material is not None else visual
    return tuple(float(x) for x in np.asarray(source.main_color, dtype=float) / 255.0)  # type: ignore[return-value]
