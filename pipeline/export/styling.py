"""Dress export bodies: outfit, figure style and colours become per-material pieces.

Every exporter then writes one mesh per piece (same skeleton for body and garments in the
rigged formats), each with its material: so a GLB, FBX or OBJ carries the clothes, the hair
and the style the user picked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from pipeline.appearance.pieces import dressed_pieces
from pipeline.appearance.styles import check_style, region_materials
from pipeline.body.garments import Outfit, fit_outfit
from pipeline.export.bodies import ExportBody


@dataclass
class Appearance:
    """How one person looks: style, outfit (None: bare body) and colours per region."""

    style: str = "clothed"
    outfit: Outfit | None = None
    colours: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    person_index: int = 0
    textures: dict[str, np.ndarray] = field(default_factory=dict)  # part name -> image baked from the paintings

    def to_dict(self) -> dict:
        return {"style": self.style, "outfit": None if self.outfit is None else self.outfit.to_dict(),
                "colours": {k: list(v) for k, v in self.colours.items()}, "person_index": self.person_index}

    @classmethod
    def from_dict(cls, d: dict) -> "Appearance":
        outfit = d.get("outfit")
        return cls(check_style(d.get("style", "clothed")), None if outfit is None else Outfit.from_dict(outfit),
                   {k: tuple(v) for k, v in (d.get("colours") or {}).items()}, int(d.get("person_index", 0)))


def styled_body(body: ExportBody, appearance: Appearance, hm08_index: np.ndarray | None) -> tuple[ExportBody, list[str]]:
    """``body`` with pieces for ``appearance`` (it needs the body's rig); plus warnings."""
    if body.skin is None:
        return body, ["This body has no rig, so it is exported without clothes or per-part materials."]
    from pipeline.appearance.textured import body_face_uv

    outfit = appearance.outfit if appearance.style != "silhouette" or appearance.outfit else None
    dressed = fit_outfit(body.skin, hm08_index, outfit, body_face_uv(hm08_index, len(body.skin.faces)))
    materials = region_materials(appearance.style, person_index=appearance.person_index,
                                 colours=appearance.colours)
    textures = appearance.textures if appearance.style == "clothed" else None
    return dataclasses.replace(body, pieces=dressed_pieces(dressed, materials, textures)), dressed.warnings
