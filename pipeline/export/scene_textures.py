"""The base-colour texture of a scene mesh, ready for glTF: image, UVs and material factors.

Scene files keep their look in textures; without them an exported room is flat colour.
trimesh stores UVs with v pointing up (OpenGL), glTF with v pointing down, so v is flipped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np


@dataclass
class SceneTexture:
    image: object  # PIL image
    uv: np.ndarray  # (V, 2) float32, glTF convention
    factor: tuple[float, float, float, float]  # baseColorFactor multiplied with the image
    alpha_mode: str  # "OPAQUE", "MASK" or "BLEND"


def texture_of(mesh) -> SceneTexture | None:
    """The mesh's base-colour texture, or None when it has none (or its UVs do not fit)."""
    from pipeline.scene.materials import textured

    found = textured(mesh)
    if found is None or found[0].image is None or not np.isfinite(found[1]).all():
        return None
    colour, uv = found
    uv = np.asarray(uv, dtype=np.float32)[:, :2].copy()
    uv[:, 1] = 1.0 - uv[:, 1]
    factor = (1.0, 1.0, 1.0, 1.0) if colour.factor is None else tuple(float(c) for c in colour.factor)
    return SceneTexture(image=colour.image, uv=uv, factor=factor, alpha_mode=colour.alpha_mode)


def encoded(image) -> tuple[bytes, str]:
    """PNG for images with transparency, JPEG (quality 92) for the rest: (bytes, MIME type)."""
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image.convert("RGBA").save(buf, "PNG")
        return buf.getvalue(), "image/png"
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue(), "image/jpeg"
