"""A dressed body's pieces in a glTF file: one mesh node per piece, all bound to the body's
one skin, each with its material (alpha blending for glass) and, when baked from the
paintings, its texture embedded in the file (glTF's v points down, so v is flipped)."""

from __future__ import annotations

import numpy as np
import pygltflib as gl

from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody

_ARRAY_BUFFER = 34962


def add_pieces(builder, body: ExportBody, frame: AxesUnits, skin_index: int | None, clean_weights=None) -> None:
    """Write ``body.pieces`` (rest pose with the skin, else the fitted pose); ``clean_weights``
    turns (indices, weights) into glTF's JOINTS_0/WEIGHTS_0 arrays."""
    from PIL import Image

    materials: dict[tuple, int] = {}
    for piece in body.pieces:
        mat = piece.material
        texture = None if piece.texture is None else builder.texture(Image.fromarray(piece.texture))
        key = (mat.name, texture)
        if key not in materials:
            rgba = mat.rgba if texture is None else (1.0, 1.0, 1.0, mat.alpha)
            materials[key] = builder.material(mat.name, rgba, double_sided=True, texture=texture,
                                              alpha_mode=gl.BLEND if mat.alpha < 0.999 else gl.OPAQUE)
            builder.gltf.materials[-1].pbrMetallicRoughness.roughnessFactor = float(mat.roughness)
        extra = {}
        if texture is not None:
            uv = np.asarray(piece.uv, dtype=np.float32).copy()
            uv[:, 1] = 1.0 - uv[:, 1]
            extra["TEXCOORD_0"] = builder.accessor(uv, gl.VEC2, _ARRAY_BUFFER)
        if skin_index is not None:
            joints, weights = clean_weights(piece.joint_indices, piece.joint_weights)
            extra["JOINTS_0"] = builder.accessor(joints, gl.VEC4, _ARRAY_BUFFER)
            extra["WEIGHTS_0"] = builder.accessor(weights, gl.VEC4, _ARRAY_BUFFER)
        points = piece.rest_vertices if skin_index is not None else piece.vertices
        name = f"{body.name}_{piece.name}"
        mesh = builder.mesh(name, frame.points(points), np.asarray(piece.faces), materials[key], extra or None)
        builder.node(gl.Node(name=name, mesh=mesh, skin=skin_index), root=True)
