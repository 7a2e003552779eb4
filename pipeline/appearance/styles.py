"""Figure styles architects present people in, as per-region material colours.

``clothed`` uses the outfit's colours (or the ones taken from the paintings); the others
colour every region alike: matte white or grey for massing models, translucent glass,
a flat silhouette, or one distinct colour per person for diagrams.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

STYLES: tuple[str, ...] = ("clothed", "white", "grey", "glass", "silhouette", "by-person")
STYLE_LABELS = {
    "clothed": "Clothed", "white": "White model", "grey": "Grey model", "glass": "Glass",
    "silhouette": "Silhouette", "by-person": "Colour by person",
}
REGIONS: tuple[str, ...] = ("skin", "top", "bottom", "shoes", "hair")
COLOUR_SOURCES: tuple[str, ...] = ("paintings", "outfit")

_SKIN_TONES = ((0.87, 0.72, 0.62), (0.80, 0.62, 0.50), (0.66, 0.48, 0.36), (0.47, 0.33, 0.24), (0.93, 0.80, 0.70))
_CLOTH = ((0.15, 0.18, 0.28), (0.55, 0.10, 0.12), (0.85, 0.85, 0.82), (0.25, 0.35, 0.22), (0.60, 0.55, 0.45),
          (0.12, 0.12, 0.12), (0.30, 0.45, 0.65), (0.75, 0.60, 0.30))
_HAIR = ((0.10, 0.07, 0.05), (0.35, 0.22, 0.12), (0.65, 0.50, 0.30), (0.45, 0.45, 0.45))


@dataclass(frozen=True)
class Material:
    """A PBR-ish material every exporter understands: base colour, alpha, roughness."""

    name: str
    rgb: tuple[float, float, float]
    alpha: float = 1.0
    roughness: float = 0.8
    unlit: bool = False  # silhouettes: one flat colour regardless of light

    @property
    def rgba(self) -> tuple[float, float, float, float]:
        return (*self.rgb, self.alpha)


def check_style(style: str) -> str:
    if style not in STYLES:
        raise ValueError(f"Unknown figure style {style!r}; choose one of {', '.join(STYLES)}.")
    return style


def outfit_colours(seed: int) -> dict[str, tuple[float, float, float]]:
    """Plausible colours for an outfit, varied by seed (top and bottom differ)."""
    rng = np.random.default_rng(seed + 7919)
    top, bottom = rng.choice(len(_CLOTH), size=2, replace=False)
    return {
        "skin": _SKIN_TONES[int(rng.integers(len(_SKIN_TONES)))],
        "top": _CLOTH[int(top)], "bottom": _CLOTH[int(bottom)],
        "shoes": _CLOTH[5] if rng.random() < 0.6 else _CLOTH[int(rng.integers(len(_CLOTH)))],
        "hair": _HAIR[int(rng.integers(len(_HAIR)))],
    }


def person_colour(index: int) -> tuple[float, float, float]:
    """Distinct, evenly spread colours for "colour by person" (golden-ratio hues)."""
    hue = (0.08 + index * 0.618034) % 1.0
    return colorsys.hsv_to_rgb(hue, 0.65, 0.85)


def region_materials(style: str, *, person_index: int = 0,
                     colours: dict[str, tuple[float, float, float]] | None = None) -> dict[str, Material]:
    """One material per region for ``style``; ``colours`` are the clothed colours."""
    check_style(style)
    if style == "clothed":
        base = outfit_colours(person_index)
        base.update(colours or {})
        return {r: Material(f"{r}", tuple(float(c) for c in base[r]), roughness=0.9 if r != "skin" else 0.6)
                for r in REGIONS}
    flat = {
        "white": Material("white_model", (0.93, 0.93, 0.91), roughness=1.0),
        "grey": Material("grey_model", (0.55, 0.55, 0.56), roughness=1.0),
        "glass": Material("glass", (0.70, 0.82, 0.90), alpha=0.35, roughness=0.05),
        "silhouette": Material("silhouette", (0.16, 0.17, 0.19), roughness=1.0, unlit=True),
        "by-person": Material(f"person_{person_index}", person_colour(person_index), roughness=0.9),
    }[style]
    return {r: flat for r in REGIONS}
