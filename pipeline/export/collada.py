"""Collada ``.dae`` export with pycollada, for SketchUp (File > Import > COLLADA) and 3ds Max.

Posed people (skin, clothes and hair as separate meshes, with their colours or the textures
baked from the paintings as PNGs beside the file) and optional scene meshes as triangle sets
with one Lambert colour each. The
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
from pipeline.export.gltf_skin import BODY_COLOR, colour_of, image_digest
from pipeline.export.usd import prim_name
from pipeline.scene.normals import vertex_normals

COLLADA_FRAME = AxesUnits(up="z", units="m")
_UNIT_NAMES = {"m": "meter", "cm": "centimeter", "mm": "millimeter"}


def _add_mesh(doc, name: str, vertices: np.ndarray, faces: np.ndarray, rgba, uv: np.ndarray | None = None,
              image: str | None = None) -> object:
    """A triangle set with a Lambert material: its colour, or the image file ``image``
    (relative to the .dae) read through per-vertex ``uv`` (v up, as Collada's)."""
    from collada import geometry, material, scene, source

    params, diffuse = [], tuple(float(c) for c in rgba[:3])
    if image is not None:
        picture = material.CImage(f"{name}_image", image)
        doc.images.append(picture)
        surface = material.Surface(f"{name}_surface", picture)
        sampler = material.Sampler2D(f"{name}_sampler", surface)
        params, diffuse = [surface, sampler], material.Map(sampler, "UVSET0")
    alpha = float(rgba[3]) if len(rgba) > 3 else 1.0
    effect = material.Effect(f"{name}_effect", params, "lambert", diffuse=diffuse, double_sided=True,
                             transparency=None if alpha >= 0.999 else alpha,
                             transparent=(1.0, 1.0, 1.0, 1.0) if alpha < 0.999 else (0.0, 0.0, 0.0, 1.0),
                             opaque_mode="A_ONE" if alpha < 0.999 else None)
    mat = material.Material(f"{name}_material", f"{name}_material", effect)
    doc.effects.append(effect)
    doc.materials.append(mat)
    normals = vertex_normals(vertices, faces, fallback=(0.0, 0.0, 1.0))
    sources = [
        source.FloatSource(f"{name}_positions", np.asarray(vertices, dtype=np.float32).reshape(-1), ("X", "Y", "Z")),
        source.FloatSource(f"{name}_normals", np.asarray(normals, dtype=np.float32).reshape(-1), ("X", "Y", "Z")),
    ]
    inputs = source.InputList()
    inputs.addInput(0, "VERTEX", f"#{name}_positions")
    inputs.addInput(0, "NORMAL", f"#{name}_normals")
    bind = []
    if uv is not None and image is not None:
        sources.append(source.FloatSource(f"{name}_uv", np.asarray(uv, dtype=np.float32).reshape(-1), ("S", "T")))
        inputs.addInput(0, "TEXCOORD", f"#{name}_uv", set="0")
        bind = [("UVSET0", "TEXCOORD", "0")]
    geom = geometry.Geometry(doc, name, name, sources)  # readers (trimesh, SketchUp) name parts by it
    indices = np.asarray(faces, dtype=np.int32).reshape(-1)
    geom.primitives.append(geom.createTriangleSet(indices, inputs, f"{name}_symbol"))
    doc.geometries.append(geom)
    return scene.Node(f"{name}_node", children=[scene.GeometryNode(geom, [scene.MaterialNode(f"{name}_symbol", mat, inputs=bind)])])


def _add_body(doc, body: ExportBody, frame: AxesUnits, used: set[str], folder: Path, stem: str,
              written: dict[str, Path]) -> tuple[list, list[Path]]:
    """The posed body, or its pieces (skin, clothes, hair) each with its colour and, when baked
    from the paintings, its texture as a PNG beside the .dae (written once per picture)."""
    if not body.pieces:
        return [_add_mesh(doc, prim_name(body.name, used), frame.points(body.vertices), body.faces, BODY_COLOR)], []
    from PIL import Image

    nodes, files = [], []
    for piece in body.pieces:
        name = prim_name(f"{body.name}_{piece.name}", used)
        image = None
        if piece.texture is not None and piece.uv is not None:
            picture = Image.fromarray(piece.texture)
            key = image_digest(picture)
            if key not in written:  # a suit's top and bottom share one picture
                written[key] = folder / f"{stem}_{name}.png"
                picture.save(written[key])
                files.append(written[key])
            image = written[key].name
        nodes.append(_add_mesh(doc, name, frame.points(piece.vertices), piece.faces, piece.material.rgba,
                               piece.uv, image))
    return nodes, files


def write_collada(bodies: Sequence[ExportBody], path: str | Path, *, frame: AxesUnits = COLLADA_FRAME,
                  static_meshes: Sequence[tuple[str, object]] = ()) -> list[Path]:
    """Posed bodies (and scene meshes) in ``frame``; the asset block records it. Returns the
    .dae and the texture PNGs written beside it."""
    import collada
    from collada import asset, scene

    doc = collada.Collada()
    doc.assetInfo.upaxis = asset.UP_AXIS.Y_UP if frame.up == "y" else asset.UP_AXIS.Z_UP
    doc.assetInfo.unitmeter = 1.0 / frame.scale
    doc.assetInfo.unitname = _UNIT_NAMES[frame.units]
    doc.assetInfo.contributors.append(asset.Contributor(authoring_tool="GenZI Desktop"))
    used: set[str] = set()
    nodes, files, written = [], [], {}
    path = Path(path)
    for body in bodies:
        body_nodes, pngs = _add_body(doc, body, frame, used, path.parent, path.stem, written)
        nodes.extend(body_nodes)
        files.extend(pngs)
    for name, mesh in static_meshes:
        if len(mesh.faces):
            nodes.append(_add_mesh(doc, prim_name(name, used), frame.points(mesh.vertices), np.asarray(mesh.faces),
                                   colour_of(mesh)))
    doc.scenes.append(scene.Scene("scene", nodes))
    doc.scene = doc.scenes[0]
    return [write_file_atomic(path, lambda tmp: doc.write(str(tmp)), suffix=".dae"), *files]
