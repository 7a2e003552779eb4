"""Collada ``.dae`` export with pycollada, for SketchUp (File > Import > COLLADA) and 3ds Max.

Posed people and optional scene meshes as triangle sets with one Lambert colour each. The
``<asset>`` block states the frame (SketchUp: Z-up; the unit as ``<unit meter=...>``), so
SketchUp places people at their real size; this app's own Collada reader reads it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core.atomic import write_file_atomic
from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody
from pipeline.export.gltf_skin import BODY_COLOR, colour_of
from pipeline.export.usd import prim_name
from pipeline.scene.normals import vertex_normals

COLLADA_FRAME = AxesUnits(up="z", units="m")
_UNIT_NAMES = {"m": "meter", "cm": "centimeter", "mm": "millimeter"}


def _add_mesh(doc, name: str, vertices: np.ndarray, faces: np.ndarray, rgba) -> object:
    from collada import geometry, material, scene, source

    effect = material.Effect(f"{name}_effect", [], "lambert", diffuse=tuple(float(c) for c in rgba[:3]),
                             double_sided=True)
    mat = material.Material(f"{name}_material", f"{name}_material", effect)
    doc.effects.append(effect)
    doc.materials.append(mat)
    normals = vertex_normals(vertices, faces, fallback=(0.0, 0.0, 1.0))
    sources = [
        source.FloatSource(f"{name}_positions", np.asarray(vertices, dtype=np.float32).reshape(-1), ("X", "Y", "Z")),
        source.FloatSource(f"{name}_normals", np.asarray(normals, dtype=np.float32).reshape(-1), ("X", "Y", "Z")),
    ]
    geom = geometry.Geometry(doc, name, name, sources)  # readers (trimesh, SketchUp) name parts by it
    inputs = source.InputList()
    inputs.addInput(0, "VERTEX", f"#{name}_positions")
    inputs.addInput(0, "NORMAL", f"#{name}_normals")
    indices = np.asarray(faces, dtype=np.int32).reshape(-1)
    geom.primitives.append(geom.createTriangleSet(indices, inputs, f"{name}_symbol"))
    doc.geometries.append(geom)
    return scene.Node(f"{name}_node", children=[scene.GeometryNode(geom, [scene.MaterialNode(f"{name}_symbol", mat, inputs=[])])])


def write_collada(bodies: Sequence[ExportBody], path: str | Path, *, frame: AxesUnits = COLLADA_FRAME,
                  static_meshes: Sequence[tuple[str, object]] = ()) -> Path:
    """Posed bodies (and scene meshes) in ``frame``; the asset block records it."""
    import collada
    from collada import asset, scene

    doc = collada.Collada()
    doc.assetInfo.upaxis = asset.UP_AXIS.Y_UP if frame.up == "y" else asset.UP_AXIS.Z_UP
    doc.assetInfo.unitmeter = 1.0 / frame.scale
    doc.assetInfo.unitname = _UNIT_NAMES[frame.units]
    doc.assetInfo.contributors.append(asset.Contributor(authoring_tool="GenZI Desktop"))
    used: set[str] = set()
    nodes = []
    for body in bodies:
        nodes.append(_add_mesh(doc, prim_name(body.name, used), frame.points(body.vertices), body.faces, BODY_COLOR))
    for name, mesh in static_meshes:
        if len(mesh.faces):
            nodes.append(_add_mesh(doc, prim_name(name, used), frame.points(mesh.vertices), np.asarray(mesh.faces),
                                   colour_of(mesh)))
    doc.scenes.append(scene.Scene("scene", nodes))
    doc.scene = doc.scenes[0]
    return write_file_atomic(Path(path), lambda tmp: doc.write(str(tmp)), suffix=".dae")
