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
    visual = getattr(mesh, "visual", None)
    if getattr(visual, "kind", None) != "texture":
        return None
    material = getattr(visual, "material", None)
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    uv = getattr(visual, "uv", None)
    if image is None or uv is None or len(uv) != len(mesh.vertices) or not np.isfinite(uv).all():
        return None
    uv = np.asarray(uv, dtype=np.float32)[:, :2].copy()
    uv[:, 1] = 1.0 - uv[:, 1]
    factor = getattr(material, "baseColorFactor", None)
    factor = (1.0, 1.0, 1.0, 1.0) if factor is None else tuple(float(c) / 255.0 for c in np.asarray(factor)[:4])
    alpha_mode = str(getattr(material, "alphaMode", None) or "OPAQUE").upper()
    if alpha_mode not in ("OPAQUE", "MASK", "BLEND"):
        alpha_mode = "OPAQUE"
    return SceneTexture(image=image, uv=uv, factor=factor, alpha_mode=alpha_mode)


def encoded(image) -> tuple[bytes, str]:
    """PNG for images with transparency, JPEG (quality 92) for the rest: (bytes, MIME type)."""
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image.convert("RGBA").save(buf, "PNG")
        return buf.getvalue(), "image/png"
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue(), "image/jpeg"
